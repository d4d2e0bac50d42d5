"""Inputs of a worked example: sliders and selectors bound to the URL, a notice for bad URL values, and a
button back to the notes' example.

A field's key is also its URL parameter, so a copied link reproduces the example. Before the widgets exist,
`url_notice` keeps from them every link value a field does not accept (or a parameter given twice): the widget
opens at its default, the value leaves the address, and a notice names it. URL text is only compared and
parsed as a number, never rendered or evaluated.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

from .i18n import t

UNBOUND = "bp-link-unbound"  # session key: the fields whose widget must not read the link in this run
MAX_STEP = 100_000           # a link's step beyond the example's last is clamped to it; beyond this, refused


@dataclass(frozen=True)
class Number:
    key: str            # session key and URL parameter
    label: str          # shown beside the slider; may hold $LaTeX$
    default: float
    lo: float
    hi: float
    step: float = 0.1

    def accepts(self, raw: str) -> bool:
        try:
            v = float(raw)
        except ValueError:
            return False
        return math.isfinite(v) and self.lo <= v <= self.hi

    def widget(self, container=st) -> float:
        # value= as well as the session default: Streamlit drops a link's value that equals the widget's own
        # default, which without it would be the slider's minimum
        return container.slider(self.label, self.lo, self.hi, value=self.default, step=self.step, key=self.key,
                                bind=binding(self.key))


@dataclass(frozen=True)
class Whole:
    """A whole number: a slider, or a number box for a wide range such as a seed."""

    key: str
    label: str
    default: int
    lo: int
    hi: int
    step: int = 1
    number_box: bool = False

    def accepts(self, raw: str) -> bool:
        try:
            v = int(raw)
        except ValueError:
            return False
        return self.lo <= v <= self.hi

    def widget(self, container=st) -> int:
        draw = container.number_input if self.number_box else container.slider
        return int(draw(self.label, self.lo, self.hi, value=self.default, step=self.step, key=self.key,
                        bind=binding(self.key)))


@dataclass(frozen=True)
class Flag:
    """On or off, as a toggle; true/false in the URL."""

    key: str
    label: str
    default: bool

    def accepts(self, raw: str) -> bool:
        return raw.lower() in ("true", "false")

    def widget(self, container=st) -> bool:
        return bool(container.toggle(self.label, value=self.default, key=self.key, bind=binding(self.key)))


@dataclass(frozen=True)
class Ladder:
    """A slider over a few fixed numbers (a learning rate from 0.001 to 10 000)."""

    key: str
    label: str
    default: float
    options: tuple[float, ...]

    def accepts(self, raw: str) -> bool:
        return raw in {f"{o:g}" for o in self.options}

    def widget(self, container=st) -> float:
        return container.select_slider(self.label, self.options, value=self.default, key=self.key,
                                       format_func=lambda o: f"{o:g}", bind=binding(self.key))


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    default: str
    options: tuple[str, ...]
    catalogue: str = ""  # message-catalogue prefix for the option labels, e.g. "activation"
    radio: bool = False  # a row of radio buttons instead of a select box

    def shown(self, option: str) -> str:
        """An option as the learner reads it (and as a bound selectbox writes it into the URL)."""
        return t(f"{self.catalogue}.{option}") if self.catalogue else option

    def accepts(self, raw: str) -> bool:
        return raw in self.options or raw in map(self.shown, self.options)

    def widget(self, container=st) -> str:
        draw = container.radio if self.radio else container.selectbox
        extra = {"horizontal": True} if self.radio else {}
        return draw(self.label, self.options, index=self.options.index(self.default), key=self.key,
                    format_func=self.shown, bind=binding(self.key), **extra)


Field = Number | Whole | Flag | Ladder | Choice


def init(fields: Sequence[Field]) -> None:
    """Give each field its default in session state (a URL value, if valid, still wins on first load)."""
    for f in fields:
        st.session_state.setdefault(f.key, f.default)


def _notice_key(page: str) -> str:
    return f"{page}-notice"


def step_key(page: str) -> str:
    return f"{page}-step"


def step(page: str) -> Whole:
    """A lesson's step as a field: the stepper's "Go to step" box (pages/ui/stepper.py), bound to ?<page>-step.
    url_notice checks a link's step with the page's fields; the stepper clamps it to the example's steps."""
    return Whole(step_key(page), t("steps.goto"), 1, 1, MAX_STEP, number_box=True)


def repeated(key: str) -> bool:
    """True when a link gives the parameter more than once (a bound widget would take the last one)."""
    return len(st.query_params.get_all(key)) > 1


def drop_link_value(key: str) -> None:
    """Keep the link's value for `key` from its widget, in this run: take it out of the address and leave the
    widget unbound for this one run (`binding`); the next run binds it again. Deleting is not enough: a bound
    widget reads the link its run began with (where Streamlit's whole-number box fails on "inf", its slider
    rounds 2.5 and a repeated parameter gives its last value). A parameter still bound to its widget, as when the
    browser's Back button returns to such a link, cannot be deleted: the unbound widget takes it out."""
    with contextlib.suppress(KeyError, StreamlitAPIException):
        del st.query_params[key]
    st.session_state.setdefault(UNBOUND, set()).add(key)


def binding(key: str) -> str | None:
    """The `bind` of the widget of `key`: the URL, but not in a run that dropped the link's value (above)."""
    once = st.session_state.get(UNBOUND, set())
    if key in once:
        once.discard(key)
        return None
    return "query-params"


def usable(field: Field) -> bool:
    """The link gives this field one value, and the field accepts it (or the link does not give it)."""
    values = st.query_params.get_all(field.key)
    return not values or (len(values) == 1 and field.accepts(values[0]))


def _option_by_name(field: Field) -> bool:
    """The link names one of this choice's options by the option itself, not by the text the widget shows."""
    raw = st.query_params.get(field.key)
    return isinstance(field, Choice) and raw in field.options and raw not in map(field.shown, field.options)


def url_notice(page: str, fields: Sequence[Field]) -> None:
    """Before the page's widgets: each link value of these fields or of the page's step that the field does not
    accept, or that the link repeats, is dropped (drop_link_value) and its default used, and the notice names it
    until the learner sets that input or moves the step. URL text is only compared and parsed, never shown."""
    fields = [*fields, step(page)]
    st.session_state.get(UNBOUND, set()).difference_update(f.key for f in fields)  # those of widgets not drawn
    notice = st.session_state.setdefault(_notice_key(page), {})
    renamed = False
    for f in fields:
        if not usable(f):
            drop_link_value(f.key)
            st.session_state[f.key] = notice[f.key] = f.default
        elif _option_by_name(f):
            # a link may name a choice by its option ("sigmoid_neuron"); the select box reads only the text it
            # shows, so the address is rewritten to that text and the page runs again from it
            option = st.query_params[f.key]
            try:
                st.query_params[f.key] = f.shown(option)
                renamed = True
            except StreamlitAPIException:  # already bound (the Back button): set it, unbound for this run
                drop_link_value(f.key)
                st.session_state[f.key] = option
    if renamed:
        st.rerun()
    for key, default in list(notice.items()):
        if st.session_state.get(key, default) != default:
            del notice[key]
    if notice:
        st.warning(t("inputs.ignored", names=", ".join(notice)), icon=":material/link_off:")


def _reset(page: str, fields: Sequence[Field]) -> None:
    for f in fields:
        st.session_state[f.key] = f.default
    st.session_state.pop(_notice_key(page), None)


def reset_button(page: str, fields: Sequence[Field], container=st) -> None:
    container.button(t("inputs.reset"), key=f"{page}-reset-example", on_click=_reset, args=(page, fields),
                     icon=":material/restart_alt:", width="stretch")

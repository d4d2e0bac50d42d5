"""Inputs of a worked example: sliders and selectors bound to the URL, a notice for bad URL values, and a
button back to the notes' example.

A field's key is also its URL parameter, so a copied link reproduces the example. Streamlit itself drops a
URL value that is not a valid choice or number in range and uses the default; `url_notice` names each
such parameter to the learner. URL text is only compared and parsed as a float, never rendered or evaluated.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from .i18n import t


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
                                bind="query-params")


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
                        bind="query-params"))


@dataclass(frozen=True)
class Flag:
    """On or off, as a toggle; true/false in the URL."""

    key: str
    label: str
    default: bool

    def accepts(self, raw: str) -> bool:
        return raw.lower() in ("true", "false")

    def widget(self, container=st) -> bool:
        return bool(container.toggle(self.label, value=self.default, key=self.key, bind="query-params"))


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
                                       format_func=lambda o: f"{o:g}", bind="query-params")


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
                    format_func=self.shown, bind="query-params", **extra)


Field = Number | Whole | Flag | Ladder | Choice


def init(fields: Sequence[Field]) -> None:
    """Give each field its default in session state (a URL value, if valid, still wins on first load)."""
    for f in fields:
        st.session_state.setdefault(f.key, f.default)


def url_notice(page: str, fields: Sequence[Field]) -> None:
    """Name every URL parameter of this page whose value was ignored, once per link."""
    bad = []
    for f in fields:
        values = st.query_params.get_all(f.key)
        if values and (len(values) > 1 or not f.accepts(values[-1])):
            bad.append(f.key)
    seen = f"{page}-notice"
    if bad:
        st.session_state[seen] = bad
    if st.session_state.get(seen):
        st.warning(t("inputs.ignored", names=", ".join(st.session_state[seen])), icon=":material/link_off:")


def _reset(page: str, fields: Sequence[Field]) -> None:
    for f in fields:
        st.session_state[f.key] = f.default
    st.session_state.pop(f"{page}-notice", None)


def reset_button(page: str, fields: Sequence[Field], container=st) -> None:
    container.button(t("inputs.reset"), key=f"{page}-reset-example", on_click=_reset, args=(page, fields),
                     icon=":material/restart_alt:", width="stretch")

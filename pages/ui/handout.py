"""The handout buttons every lesson ends with: the worked example as a Jupyter notebook and as Markdown.

A page run only registers the two buttons: Streamlit calls a download's `data` callable when the learner
clicks it (on a thread of its own), so the files are built then, once per click, from what the page
already holds (its Step records and inputs). Everything language-dependent is read in the page's language,
which is fixed when the page runs: the callable has no session to ask.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st

from bp_core import handout as H
from bp_core.step import Step

from . import inputs
from .classroom import projecting
from .i18n import t
from .lessons import lesson

try:  # the session's language (pages/ui/i18n.py); English where the catalogue knows only one
    from .i18n import current_language
except ImportError:  # pragma: no cover - an i18n without per-session languages
    def current_language() -> str:
        return "en"

IPYNB_MIME = "application/x-ipynb+json"
MARKDOWN_MIME = "text/markdown"

Steps = Sequence[Step] | Callable[[], Sequence[Step]]


def describe(fields: Sequence[inputs.Field]) -> tuple[tuple[str, str], ...]:
    """The page's inputs as (label, value) as the sidebar shows them; fields not drawn on this run are left
    out (their widgets, and so their session keys, exist only while they are shown)."""
    rows = []
    for field in fields:
        if field.key not in st.session_state:
            continue
        v = st.session_state[field.key]
        if isinstance(field, inputs.Choice):
            shown = field.shown(v)
        elif isinstance(field, inputs.Flag):
            shown = t("handout.on" if v else "handout.off")
        elif isinstance(field, inputs.Whole):
            shown = str(int(v))
        else:
            shown = f"{float(v):g}"
        rows.append((field.label.replace("|", r"\|"), shown.replace("|", r"\|")))
    return tuple(rows)


def build(lesson_key: str, steps: Steps, settings: Sequence[tuple[str, str]], recompute: Callable[[], H.Recompute],
          lang: str, title_extra: str = "") -> H.Handout:
    """The handout, in language `lang`: the sentences of the steps and the headings from the catalogue."""
    steps = tuple(steps() if callable(steps) else steps)
    words = {w: t(w if w.startswith("phase.") else f"handout.doc.{w}", lang=lang) for w in H.WORDS}
    sentences = tuple(t(f"step.{s.kind}", lang=lang, **s.params) for s in steps)
    title = t(lesson(lesson_key).title_key, lang=lang) + (f" · {title_extra}" if title_extra else "")
    return H.Handout(title, tuple(settings), steps, sentences, recompute(), words)


def handout_buttons(page: str, lesson_key: str, steps: Steps, settings: Sequence[tuple[str, str]],
                    recompute: Callable[[], H.Recompute], suffix: str = "", title_extra: str = "") -> None:
    """Two download buttons, "notebook (.ipynb)" and "Markdown (.md)", named after the lesson (and suffix).

    steps:     the lesson's Step records, or a function that makes them (built only on a click)
    settings:  the page's inputs as describe() gives them
    recompute: a function giving the lesson's maths as notebook code (bp_core.handout.*_code)
    """
    if projecting():   # what a learner takes home is not shown to a class
        return
    lang = current_language()
    made: list[H.Handout] = []   # one build per page run, shared by the two files

    def handout() -> H.Handout:
        if not made:
            made.append(build(lesson_key, steps, settings, recompute, lang, title_extra))
        return made[0]

    name = f"{lesson(lesson_key).url_path}{suffix}"
    with st.container(key=f"{page}-handout"):
        st.markdown(f"**{t('handout.heading')}** · {t('handout.caption')}")
        with st.container(horizontal=True, gap="small"):
            st.download_button(t("handout.notebook"), data=lambda: H.notebook_json(handout()),
                               file_name=f"{name}.ipynb", mime=IPYNB_MIME, key=f"{page}-handout-ipynb",
                               icon=":material/download:", on_click="ignore", width="content")
            st.download_button(t("handout.markdown"), data=lambda: H.markdown(handout()),
                               file_name=f"{name}.md", mime=MARKDOWN_MIME, key=f"{page}-handout-md",
                               icon=":material/description:", on_click="ignore", width="content")


# -- one line per lesson page ---------------------------------------------------------------------------
def network(page: str, lesson_key: str, net, trace, fields: Sequence[inputs.Field]) -> None:
    """A Network's worked example (the single-node chain, the 2x2x2 network)."""
    handout_buttons(page, lesson_key, trace.steps, describe(fields), lambda: H.network_code(net, trace))


def graph(page: str, example: str, values: dict[str, float], steps: Sequence[Step],
          fields: Sequence[inputs.Field]) -> None:
    """A graph of the chain-rule lesson, by example name and input values."""
    handout_buttons(page, "chain_rule", steps, describe(fields), lambda: H.graph_code(example, values),
                    suffix=f"_{example}")


def softmax(page: str, trace, fields: Sequence[inputs.Field]) -> None:
    handout_buttons(page, "softmax_jacobian", trace.steps, describe(fields), lambda: H.softmax_code(trace))


def deep(page: str, net, ct, fields: Sequence[inputs.Field]) -> None:
    """The deep-networks lesson in note 004's column form."""
    handout_buttons(page, "deep_networks", ct.steps, describe(fields), lambda: H.deep_code(net, ct))


def training(page: str, update, X: np.ndarray, Y: np.ndarray, lr: float, fields: Sequence[inputs.Field]) -> None:
    """One update of step mode: the backward pass on its mini-batch and W* = W - lr dW. Its Step records
    are made on a click (for a large batch they take a while); an update that overflowed has none."""
    if update.dW is None:
        st.caption(t("handout.unavailable"))
        return
    x, y = X[update.indices], Y[update.indices]
    trace: list = []

    def traced():
        if not trace:
            trace.append(update.before.backprop(x, y, lr=lr))
        return trace[0]

    handout_buttons(page, "training", lambda: traced().steps, describe(fields),
                    lambda: H.network_code(update.before, traced()), suffix=f"_update_{update.number}",
                    title_extra=t("handout.update", n=update.number))

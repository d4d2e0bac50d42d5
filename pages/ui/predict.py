"""Predict, then reveal: with the toggle on, a backward step keeps its numbers and value back until the learner
has typed a prediction (a number, or a small grid of them for a matrix) and pressed Enter or Check.

The answer is checked by bp_core.slips.diagnose against the step's value and the slips bp_core computed for it
(a missing ReLU mask, a missing transpose, 1/batch forgotten, softmax' taken as 1, a sign error, ...): right,
or the slip it matches, or neither. Then the step is revealed, and stays revealed (stepping back and forth, or
switching the toggle) until the example changes or the score is reset.

The lessons' walks ask at each backward step (`hides`); the training lesson asks at each update for the output
layer's new weights (`pending`, with `bp_core.slips.update_candidates`).

Only the inputs of an open question and a log of answered steps live in session state, per lesson:
``{page}-predict`` (the toggle), ``{page}-predict-log`` (step -> Answer), ``{page}-predict-missing``.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from bp_core.slips import ATOL, RTOL, Candidate, Verdict, diagnose
from bp_core.step import Step, value_latex

from .i18n import t

MAX_GRID = 16   # up to this many entries, one box per entry; a larger value is typed as rows of text
NUMBER_FORMAT = "%g"
LIMIT = 1e15    # an answer box takes numbers in [-LIMIT, LIMIT]: every value of the lessons' examples, and no inf


@dataclass(frozen=True)
class Answer:
    """What the learner gave for one step: the numbers (None: shown without a prediction) and the verdict."""

    value: float | np.ndarray | None
    verdict: Verdict | None


def toggle_key(page: str) -> str:
    return f"{page}-predict"


def _log(page: str) -> dict[str, Answer]:
    return st.session_state.setdefault(f"{page}-predict-log", {})


def step_id(step: Step) -> str:
    """A step of one example: its name and its value, so that a changed example asks again."""
    return f"{step.name}={value_latex(step.value)}"


def _digest(step: Step) -> str:
    return hashlib.sha1(step_id(step).encode()).hexdigest()[:10]


def entry_key(page: str, step: Step, index: int) -> str:
    """The key of the box for entry `index` (row by row) of the step's answer; -1 for the text of a large one."""
    return f"{page}-predict-{_digest(step)}-{index if index >= 0 else 'text'}"


def form_key(page: str, step: Step) -> str:
    return f"{page}-predict-form-{_digest(step)}"


def is_on(page: str) -> bool:
    return bool(st.session_state.get(toggle_key(page), False))


def pending(page: str, step: Step) -> bool:
    """Whether the toggle is on and the step has not been answered (or shown) yet."""
    return is_on(page) and step_id(step) not in _log(page)


def hides(page: str, step: Step) -> bool:
    """Whether a step of a walk keeps its numbers and value back: a backward step that is pending. (The
    training lesson asks about each whole update instead, through `pending`.)"""
    return step.phase == "backward" and pending(page, step)


def seen(page: str, k: int, step: Step) -> int:
    """The last step a picture may show: the one before a step whose value is kept back."""
    return k - 1 if hides(page, step) else k


def score(page: str) -> tuple[int, int]:
    """(right, answered) over the lesson's log; a step shown without a prediction counts as answered."""
    answers = _log(page).values()
    return sum(1 for a in answers if a.verdict is not None and a.verdict.right), len(answers)


def _reset(page: str) -> None:
    st.session_state[f"{page}-predict-log"] = {}
    st.session_state.pop(f"{page}-predict-missing", None)


def bar(page: str) -> None:
    """The toggle and, while it is on, the score and its reset: one row above the step."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"bp-predict-bar-{page}"):
        on = st.toggle(t("predict.toggle"), key=toggle_key(page), help=t("predict.help"), persist_state="session")
        if on:
            right, answered = score(page)
            st.markdown(t("predict.score", k=right, m=answered), width="content")
            st.button(t("predict.reset"), key=f"{page}-predict-reset", on_click=_reset, args=(page,),
                      icon=":material/restart_alt:", type="tertiary", width="content")


# -- the question ---------------------------------------------------------------------------------------------
def _shape(value) -> tuple[int, int]:
    return np.atleast_2d(np.asarray(value, dtype=float)).shape


def _read(page: str, step: Step) -> np.ndarray | None:
    """The learner's numbers in the step's shape, or None if an entry is empty or not a number."""
    rows, cols = _shape(step.value)
    if rows * cols > MAX_GRID:
        text = st.session_state.get(entry_key(page, step, -1)) or ""
        lines = [line for line in re.split(r"[;\n]", text) if line.strip()]
        try:
            numbers = [[float(v) for v in re.split(r"[\s,]+", line.strip())] for line in lines]
        except ValueError:
            return None
        if len(numbers) != rows or any(len(row) != cols for row in numbers):
            return None
        arr = np.array(numbers, dtype=float)
    else:
        values = [st.session_state.get(entry_key(page, step, i)) for i in range(rows * cols)]
        if any(v is None for v in values):
            return None
        arr = np.array(values, dtype=float).reshape(rows, cols)
    return arr if np.all(np.isfinite(arr)) else None


def _as_value(arr: np.ndarray, value) -> float | np.ndarray:
    """The answer in the value's own form: a float for a scalar step."""
    return arr.reshape(np.shape(value)) if isinstance(value, np.ndarray) else float(arr.item())


def _check(page: str, step: Step, candidates: Sequence[Candidate]) -> None:
    arr = _read(page, step)
    if arr is None:
        st.session_state[f"{page}-predict-missing"] = step_id(step)
        return
    st.session_state.pop(f"{page}-predict-missing", None)
    answer = _as_value(arr, step.value)
    _log(page)[step_id(step)] = Answer(answer, diagnose(step.value, answer, candidates, RTOL, ATOL))


def _show(page: str, step: Step) -> None:
    st.session_state.pop(f"{page}-predict-missing", None)
    _log(page)[step_id(step)] = Answer(None, None)


def ask(page: str, step: Step, candidates: Sequence[Candidate] = (), prompt: str | None = None) -> None:
    """The prediction form: the question (`prompt`, else "what value does this step give?"), one box per
    entry (Enter checks), Check, and Show me (no prediction)."""
    rows, cols = _shape(step.value)
    with st.form(form_key(page, step), border=True, enter_to_submit=True):
        st.markdown(f"**{prompt or t('predict.prompt')}**")
        if rows * cols == 1:
            st.number_input(t("predict.value"), -LIMIT, LIMIT, value=None, format=NUMBER_FORMAT,
                            key=entry_key(page, step, 0), placeholder=t("predict.placeholder"))
        elif rows * cols <= MAX_GRID:
            st.caption(t("predict.grid", rows=rows, cols=cols))
            for r in range(rows):
                # a row of boxes, not columns: it keeps the matrix's shape where columns wrap (projection mode)
                with st.container(horizontal=True, gap="small"):
                    for c in range(cols):
                        st.number_input(t("predict.entry", row=r + 1, col=c + 1), -LIMIT, LIMIT, value=None,
                                        format=NUMBER_FORMAT,
                                        key=entry_key(page, step, r * cols + c), label_visibility="collapsed",
                                        placeholder=f"({r + 1}, {c + 1})", width=200 if cols == 1 else "stretch")
        else:
            st.text_area(t("predict.rows", rows=rows, cols=cols), key=entry_key(page, step, -1), height=120)
        if st.session_state.get(f"{page}-predict-missing") == step_id(step):
            st.warning(t("predict.missing", rows=rows, cols=cols), icon=":material/edit:")
        st.caption(t("predict.tolerance", rel=f"{RTOL:.0%}", abs=f"{ATOL:g}"))
        with st.container(horizontal=True, gap="small"):
            st.form_submit_button(t("predict.check"), type="primary", icon=":material/check:",
                                  on_click=_check, args=(page, step, tuple(candidates)))
            st.form_submit_button(t("predict.show"), icon=":material/visibility:", on_click=_show, args=(page, step))


def feedback(page: str, step: Step) -> None:
    """What the learner's answer to this step was worth, once it is revealed (toggle on)."""
    if not is_on(page):
        return
    answer = _log(page).get(step_id(step))
    if answer is None:
        return
    if answer.verdict is None:
        st.info(t("predict.shown"), icon=":material/visibility:")
        return
    typed = f"${value_latex(answer.value)}$"
    if answer.verdict.right:
        st.success(t("predict.right", answer=typed), icon=":material/check_circle:")
        return
    slip = answer.verdict.slip
    # every predict.slip text is a format string: always filled, so that its doubled braces come out single
    why = t("predict.unknown") if slip is None else t(f"predict.slip.{slip.kind}", value=typed, **slip.params)
    st.error(f"{t('predict.wrong', answer=typed)} {why}", icon=":material/cancel:")

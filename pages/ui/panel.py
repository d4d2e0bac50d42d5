"""The current step, three ways side by side: SymPy's derivation, the formula with numbers, the value; with
"predict, then reveal" (pages/ui/predict.py) on, a backward step asks for the learner's prediction first."""
from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from bp_core.derivations import Derivation
from bp_core.slips import Candidate
from bp_core.step import Step, value_latex

from . import predict
from .classroom import projecting
from .i18n import t

# Past this many characters of LaTeX the numbers get a row of their own instead of a narrow column.
SIDE_BY_SIDE_LIMIT = 160


def show_step(step: Step, derivation: Derivation | None, page: str | None = None,
              slips: Sequence[Candidate] = ()) -> None:
    """The step's meaning in words, its formula in the notes' notation, then the three views: side by side
    when they fit, one under the other (same order) when the numbers are long (matrices) or in projection mode,
    where the step has half the screen beside its picture (pages/ui/stage.py) and its maths is set larger
    (assets/projection.css).

    With the lesson's code `page`, the "predict, then reveal" toggle heads the step; while it is on, a backward
    step not yet answered shows SymPy's derivation beside a prediction form instead of its numbers and value,
    and `slips` (bp_core.slips' candidates for this step) name the slip a wrong answer matches."""
    if page is not None:
        predict.bar(page)
    st.markdown(f"**{t('phase.' + step.phase)}** · {t('step.' + step.kind, **step.params)}")
    st.latex(step.formula)
    if page is not None and predict.hides(page, step):
        sympy_col, ask_col = (st.container(), st.container()) if projecting() else st.columns([3, 4])
        with sympy_col:
            st.caption(t("panel.sympy"))
            _sympy(derivation)
        with ask_col:
            predict.ask(page, step, slips)
        return
    value = value_latex(step.value)
    if len(step.numbers) + len(value) <= SIDE_BY_SIDE_LIMIT and not projecting():
        sympy_col, numbers_col, value_col = st.columns([3, 4, 2])
    else:
        sympy_col, numbers_col, value_col = st.container(), st.container(), st.container()
    with sympy_col:
        st.caption(t("panel.sympy"))
        _sympy(derivation)
    with numbers_col:
        st.caption(t("panel.numbers"))
        st.latex(step.numbers)
    with value_col:
        st.caption(t("panel.value"))
        st.latex(value)
    if page is not None:
        predict.feedback(page, step)


def _sympy(derivation: Derivation | None) -> None:
    """SymPy's local derivatives and the expression they make, aligned in one block."""
    if derivation is None:
        st.caption(t("panel.no_sympy"))
        return
    lines = [rf"{lhs} &= {rhs}" for lhs, rhs in derivation.locals]
    if not lines:
        st.latex(derivation.expression)
        return
    lines.append(rf"\Rightarrow\ & {derivation.expression}")
    st.latex(r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}")

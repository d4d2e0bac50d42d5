"""The current step, three ways side by side: SymPy's derivation, the formula with numbers, the value."""
from __future__ import annotations

import streamlit as st

from bp_core.derivations import Derivation
from bp_core.step import Step, value_latex

from .i18n import t


def show_step(step: Step, derivation: Derivation | None) -> None:
    """The step's meaning in words, its formula in the notes' notation, then the three views."""
    st.markdown(f"**{t('phase.' + step.phase)}** · {t('step.' + step.kind, **step.params)}")
    st.latex(step.formula)
    sympy_col, numbers_col, value_col = st.columns([3, 4, 2])
    with sympy_col:
        st.caption(t("panel.sympy"))
        if derivation is None:
            st.caption(t("panel.no_sympy"))
        else:
            lines = [rf"{lhs} &= {rhs}" for lhs, rhs in derivation.locals]
            lines.append(rf"\Rightarrow\ & {derivation.expression}" if lines else derivation.expression)
            st.latex(r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}" if len(lines) > 1 else lines[0])
    with numbers_col:
        st.caption(t("panel.numbers"))
        st.latex(step.numbers)
    with value_col:
        st.caption(t("panel.value"))
        st.latex(value_latex(step.value))

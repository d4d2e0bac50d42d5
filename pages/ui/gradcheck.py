"""The gradient-check expander every lesson ends with: backprop beside finite differences."""
from __future__ import annotations

import streamlit as st

from bp_core.gradcheck import AGREE, CLOSE, EPS, Check, worst

from .i18n import t

ICONS = {"agree": "✅", "close": "⚠️", "wrong": "❌"}


def gradient_check(checks: tuple[Check, ...], expanded: bool = False) -> None:
    """A table of every parameter's two gradients and their relative error, with a verdict in words."""
    overall = worst(checks)
    with st.expander(f"{ICONS[overall]} {t('gradcheck.title')}", expanded=expanded):
        st.markdown(t("gradcheck.how", eps=f"{EPS:g}"))
        st.markdown(f"**{t('gradcheck.overall.' + overall)}**")
        st.dataframe(
            {
                t("gradcheck.parameter"): [c.name for c in checks],
                t("gradcheck.backprop"): [c.backprop for c in checks],
                t("gradcheck.numeric"): [c.numeric for c in checks],
                t("gradcheck.rel_error"): [c.rel_error for c in checks],
                t("gradcheck.verdict"): [f"{ICONS[c.verdict]} {t('gradcheck.verdicts.' + c.verdict)}" for c in checks],
            },
            hide_index=True,
            width="stretch",
            column_config={
                t("gradcheck.backprop"): st.column_config.NumberColumn(format="%.6g"),
                t("gradcheck.numeric"): st.column_config.NumberColumn(format="%.6g"),
                t("gradcheck.rel_error"): st.column_config.NumberColumn(format="%.1e"),
            },
        )
        st.caption(t("gradcheck.thresholds", agree=f"{AGREE:g}", close=f"{CLOSE:g}"))

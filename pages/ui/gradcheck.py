"""The gradient-check expander every lesson ends with: backprop beside finite differences."""
from __future__ import annotations

from types import MappingProxyType

import streamlit as st

from bp_core.gradcheck import AGREE, CLOSE, EPS, Check, worst

from .i18n import t

ICONS = MappingProxyType({
    "agree": ":material/check_circle:", "close": ":material/warning:", "wrong": ":material/cancel:",
})


def gradient_check(checks: tuple[Check, ...], toggle: tuple[str, str] | None = None) -> None:
    """A table of every parameter's two gradients and their relative error, with a verdict in words.

    toggle: (session key, label) of a switch shown above the table, for a page whose checks depend on it
    (the 2x2x2 lesson's "take the softmax derivative as 1"); the page reads the key before computing.
    """
    overall = worst(checks)
    expanded = bool(toggle and st.session_state.get(toggle[0]))
    with st.expander(t("gradcheck.title"), icon=ICONS[overall], expanded=expanded):
        if toggle:
            st.toggle(toggle[1], key=toggle[0])
        st.markdown(t("gradcheck.how", eps=f"{EPS:g}"))
        st.markdown(f"**{t('gradcheck.overall.' + overall)}**")
        st.dataframe(
            {
                t("gradcheck.parameter"): [c.name for c in checks],
                t("gradcheck.backprop"): [c.backprop for c in checks],
                t("gradcheck.numeric"): [c.numeric for c in checks],
                t("gradcheck.rel_error"): [c.rel_error for c in checks],
                t("gradcheck.verdict"): [t("gradcheck.verdicts." + c.verdict) for c in checks],
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

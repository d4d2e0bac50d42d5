"""The gradient-check expander every lesson ends with: backprop beside finite differences.

The table is plain HTML, not st.dataframe: a page with a dataframe loads its grid and Arrow code (1.2 MB of
JavaScript, most of a lesson's first load beyond Streamlit's own) and redraws the grid on every rerun; a table of a
few dozen numbers needs neither, and a screen reader reads an HTML table cell by cell."""
from __future__ import annotations

import html
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
        st.html(table(checks))
        st.caption(t("gradcheck.thresholds", agree=f"{AGREE:g}", close=f"{CLOSE:g}"))


def table(checks: tuple[Check, ...]) -> str:
    """The checks as an HTML table: the parameter, both gradients (6 significant digits), the relative error and
    the verdict; the numbers right-aligned."""
    head = "".join(f"<th>{html.escape(t(key))}</th>" for key in (
        "gradcheck.parameter", "gradcheck.backprop", "gradcheck.numeric", "gradcheck.rel_error", "gradcheck.verdict"))
    rows = "".join(
        f"<tr><td>{html.escape(c.name)}</td><td>{c.backprop:.6g}</td><td>{c.numeric:.6g}</td>"
        f"<td>{c.rel_error:.1e}</td><td>{html.escape(t('gradcheck.verdicts.' + c.verdict))}</td></tr>"
        for c in checks)
    return f'<div class="bp-gradcheck"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'

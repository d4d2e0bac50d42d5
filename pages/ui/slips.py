"""The expander "What the notes wrote": a lesson's slips of DESIGN.md section 5 (bp_core.slips), each with what
the note wrote, what is right, and the number each gives on the current example, side by side and labelled."""
from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from bp_core.slips import NoteSlip
from bp_core.step import value_latex

from . import lazy
from .i18n import t

SIDE_BY_SIDE_LIMIT = 110   # characters of LaTeX per side beyond which the two go one under the other


def _with_value(latex: str, value) -> str:
    if value is None:
        return latex
    shown = value_latex(value)
    return f"{latex} = {shown}" if latex else shown


def notes(slips: Sequence[NoteSlip], page: str) -> None:
    """One expander listing every slip, in the order of the steps they belong to, made only while it is open
    (pages/ui/lazy.py). `page`: the lesson's code, which keys the expander's state."""
    box = lazy.expander(t("slips.title"), f"{page}-notes", icon=":material/edit_note:")
    if box is None:
        return
    with box:
        st.caption(t("slips.intro"))
        for slip in slips:
            show(slip)


def show(slip: NoteSlip) -> None:
    """One slip: the note and the explanation, then what it wrote beside what is right, each with its number."""
    info = slip.params
    with st.container(border=True):
        # every slips.kind text is a format string: always filled (notes=), so its doubled braces come out single
        explained = t(f"slips.kind.{slip.kind}", notes=slip.notes, **info)
        st.markdown(f"**{t('slips.note', notes=slip.notes)}** · {explained}")
        if not (slip.wrote or slip.right):
            return
        wrote, right = _with_value(slip.wrote, slip.wrote_value), _with_value(slip.right, slip.right_value)
        narrow = max(len(wrote), len(right)) <= SIDE_BY_SIDE_LIMIT
        left, other = st.columns(2) if narrow else (st.container(), st.container())
        left.caption(t("slips.wrote"))
        left.latex(wrote)
        other.caption(t("slips.right"))
        other.latex(right)
        if slip.check is not None:
            st.caption(t("slips.check"))
            st.latex(value_latex(slip.check))
        if "why" in info:
            st.caption(t(f"slips.why.{info['why']}", **info))
        elif "where" in info:
            st.caption(t(f"slips.where.{info['where']}"))
        elif slip.wrote_value is None and slip.right_value is None:
            st.caption(t("slips.symbols"))
        elif slip.wrote_value is not None and slip.right_value is not None and (
                value_latex(slip.wrote_value) == value_latex(slip.right_value)):
            st.caption(t("slips.same", value=f"${value_latex(slip.right_value)}$"))

"""Expanders whose content is made only while they are open. Streamlit draws a closed expander's content all the same:
on a lesson page the closed reference sections held a third to two thirds of the page's elements and formulas,
which the browser drew and typeset on every first load and every change of an input (docs/performance.md, change
16). Opening or closing one reruns the page."""
from __future__ import annotations

import streamlit as st


def expander(label: str, key: str, icon: str | None = None):
    """An expander whose open state is kept under `key`: the container to draw into while it is open, else None."""
    box = st.expander(label, icon=icon, key=key, on_change="rerun")
    return box if box.open else None

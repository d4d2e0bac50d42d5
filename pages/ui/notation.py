"""The notes' names in plain text (x₁, w₃₂₂), for labels that a screen reader reads.

Streamlit draws a widget's label with KaTeX but gives the control the label's source as its accessible name,
so a label "$w_{322}$" is read out dollar sign by dollar sign. The inputs' labels name their quantity in
Unicode instead: the same on screen as in the formulas, and read aloud as "w 3 2 2".
"""
from __future__ import annotations

from bp_core.step import num

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def subscript(text: object) -> str:
    """Digits as subscripts: 12 -> "₁₂"."""
    return str(text).translate(SUBSCRIPT)


def superscript(text: object) -> str:
    """Digits and brackets as superscripts: "(0)" -> "⁽⁰⁾"."""
    return str(text).translate(SUPERSCRIPT)


def plain(name: str) -> str:
    """A name as the code writes it ("w322", "x1", "z") with its index as a subscript: "w₃₂₂", "x₁", "z"."""
    head = name.rstrip("0123456789")
    return head + subscript(name[len(head):])


def plain_number(v: float) -> str:
    """A number as bp_core.step.num writes it for the formulas, in plain text for a picture or a tooltip: the power
    of ten as "e" (2.538 \\times 10^{-8} -> "2.538e−8") and a real minus sign."""
    return num(v).replace(r" \times 10^{", "e").replace("}", "").replace("-", "−")

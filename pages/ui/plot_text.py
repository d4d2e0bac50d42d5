"""Plotly pictures that are cheap to draw and to build: boxes behind labels without annotations, and a
figure made from plain dicts without Plotly's validation.

An annotation sizes its box to its text, but the browser measures that text (a layout of the whole page per
label, each time a chart is drawn): on a lesson page with many labels that was most of a step's repaint. So
the pictures draw each label as a text trace and the box behind it as a layout shape, sized here in pixels
from an estimate of the text's width.
"""
from __future__ import annotations

import re
from types import MappingProxyType

import plotly.graph_objects as go

# Width of each character in em of Source Sans, the font Streamlit gives its charts (measured in Chromium);
# any other character counts 0.55 em, a little wide. Subscripts are drawn at 0.7 of the size, bold ~8% wider.
_EM = MappingProxyType({
    **dict.fromkeys("0123456789", 0.50), " ": 0.2, ".": 0.23, "−": 0.55, "-": 0.3, "=": 0.55, "?": 0.42,
    "∂": 0.52, "/": 0.35, "*": 0.42, "+": 0.5, "(": 0.3, ")": 0.3, "L": 0.47, "y": 0.47, "w": 0.68, "h": 0.53,
    "a": 0.49, "d": 0.53, "z": 0.42, "x": 0.46, "e": 0.48, "f": 0.3,
})
_TAG = re.compile(r"(<[^>]*>)")
LINE = 1.3  # Plotly's line spacing, in em


def text_size(text: str, size: float) -> tuple[float, float]:
    """Width and height in pixels of a label in Plotly's pseudo-HTML (spans, <b>, <sub>, <br>)."""
    lines = text.split("<br>")
    widest = 0.0
    for line in lines:
        width, sub, bold = 0.0, False, False
        for part in _TAG.split(line):
            if part.startswith("<"):
                sub = {"<sub>": True, "</sub>": False}.get(part, sub)
                bold = {"<b>": True, "</b>": False}.get(part, bold)
                continue
            width += sum(_EM.get(ch, 0.55) for ch in part) * (0.7 if sub else 1.0) * (1.08 if bold else 1.0)
        widest = max(widest, width * size)
    return widest, len(lines) * LINE * size


def text_box(x: float, y: float, text: str, size: float, pad: float, fill: str, border: str = "rgba(0,0,0,0)",
             width: float = 0) -> dict:
    """A rectangle shape centred on the data point (x, y), sized in pixels to hold `text` with `pad` around it.
    It is drawn below the traces (layer "below"), in the order of the layout's shapes."""
    w, h = text_size(text, size)
    w, h = w / 2 + pad + width / 2, h / 2 + pad + width / 2
    return dict(type="rect", xref="x", yref="y", xsizemode="pixel", ysizemode="pixel", xanchor=x, yanchor=y,
                x0=-w, x1=w, y0=-h, y1=h, fillcolor=fill, line=dict(color=border, width=width), layer="below")


def path(xs: list, ys: list) -> str:
    """An SVG path of straight segments from x, y lists of (start, end, None) triples, as line traces take them."""
    return " ".join(f"M{xs[i]},{ys[i]} L{xs[i + 1]},{ys[i + 1]}" for i in range(0, len(xs), 3))


def unchecked_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, without Plotly's validation of every property (go.Figure validates each
    shape and trace property in Python: 60-80 ms for a network diagram, 4 ms without). The dicts are the
    same a validated figure would hold; tests/test_plot_specs.py validates every chart the lessons send."""
    return go.Figure(dict(data=data, layout=layout), _validate=False)

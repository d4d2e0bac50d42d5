"""Plotly pictures that are cheap to draw and to build: boxes behind labels without annotations, and a
figure made from plain dicts without Plotly's validation; and their text enlarged for projection mode.

An annotation sizes its box to its text, but the browser measures that text (a layout of the whole page per
label, each time a chart is drawn): on a lesson page with many labels that was most of a step's repaint. So
the pictures draw each label as a text trace and the box behind it as a layout shape, sized here in pixels
from an estimate of the text's width.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go

from .classroom import chart_scale

# Width of each character in em of Source Sans, the font Streamlit gives its charts (measured in Chromium);
# a Chinese character counts 1 em, any other 0.55 em, a little wide. Subscripts are drawn at 0.7 of the size, bold
# ~8% wider.
_EM = MappingProxyType({
    **dict.fromkeys("0123456789", 0.50), " ": 0.2, ".": 0.23, "−": 0.55, "-": 0.3, "=": 0.55, "?": 0.42,
    "∂": 0.52, "/": 0.35, "*": 0.42, "+": 0.5, "(": 0.3, ")": 0.3, "L": 0.47, "y": 0.47, "w": 0.68, "h": 0.53,
    "a": 0.49, "d": 0.53, "z": 0.42, "x": 0.46, "e": 0.48, "f": 0.3,
})
_WIDE = 1.0  # em: a Chinese character (from U+2E80 on)
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
            em = sum(_EM.get(ch, _WIDE if ch >= "\u2e80" else 0.55) for ch in part)
            width += em * (0.7 if sub else 1.0) * (1.08 if bold else 1.0)
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


# Plotly's automatic margins (Streamlit's chart theme turns automargin on for every axis; legends and colour bars push
# margins too) measure the charts' text in the page and draw a chart again until its margins settle: a layout of
# the whole page each time, most of a step's repaint on a long page (the training lesson's step: 1.4 s -> 0.65 s,
# benchmarks/bench_browser.py). So the charts set their margins by hand, wide enough for their labels, and a legend
# under a chart sits at the bottom of the figure.
LEGEND_BELOW = MappingProxyType(dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0))


def margins(l: float, r: float, t: float, b: float) -> dict:  # noqa: E741 - Plotly's own names for the sides
    """A figure's margins in pixels, fixed: Plotly does not grow them to fit its text (see LEGEND_BELOW)."""
    return dict(l=l, r=r, t=t, b=b, autoexpand=False)


def axis_suffix(col: int | None) -> str:
    """The axis suffix of panel `col` of a one-row figure: "" for the first (or only) one, "2" for the second..."""
    return "" if not col or col == 1 else str(col)


def side_by_side(titles: Sequence[str], spacing: float) -> dict:
    """The layout of panels side by side, one per title, as make_subplots(rows=1, cols=len(titles),
    subplot_titles=titles, horizontal_spacing=spacing) writes it: each panel's axes with their domain and anchor,
    and the titles as notes above the panels (16 px)."""
    n = len(titles)
    width = (1 - spacing * (n - 1)) / n
    layout: dict = {"annotations": []}
    for col, title in enumerate(titles, start=1):
        a = axis_suffix(col)
        domain = [(col - 1) * (width + spacing), (col - 1) * (width + spacing) + width]
        layout[f"xaxis{a}"] = dict(anchor=f"y{a}", domain=domain)
        layout[f"yaxis{a}"] = dict(anchor=f"x{a}", domain=[0.0, 1.0])
        layout["annotations"].append(dict(text=title, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16)))
    return layout


def unchecked_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, without Plotly's validation of every property (go.Figure validates each
    shape and trace property in Python: 60-80 ms for a network diagram, 4 ms without). The dicts are the
    same a validated figure would hold; tests/test_plot_specs.py validates every chart the lessons send."""
    return go.Figure(dict(data=data, layout=layout), _validate=False)


ROUNDING = 1e-6   # pixels: a box placed exactly `gap` from another, or at the picture's edge, is clear of it


def clear(boxes: list[tuple[float, float, float, float]], width: float, height: float, gap: float = 2) -> bool:
    """True when no two boxes (centre x, centre y, width, height, in pixels) come within `gap` of each other and
    every box lies inside the width x height picture: what a diagram's layout checks before it is drawn."""
    b = np.asarray(boxes, dtype=float).reshape(-1, 4)
    x, y, half_w, half_h = b[:, 0], b[:, 1], b[:, 2] / 2, b[:, 3] / 2
    inside = ((x - half_w >= -ROUNDING) & (x + half_w <= width + ROUNDING)
              & (y - half_h >= -ROUNDING) & (y + half_h <= height + ROUNDING))
    apart_x = np.abs(x[:, None] - x[None, :]) >= half_w[:, None] + half_w[None, :] + gap - ROUNDING
    apart_y = np.abs(y[:, None] - y[None, :]) >= half_h[:, None] + half_h[None, :] + gap - ROUNDING
    return bool(inside.all() and (apart_x | apart_y | np.eye(len(b), dtype=bool)).all())


# The sizes Streamlit's chart theme gives text a figure leaves unsized, in pixels in normal mode.
THEME = MappingProxyType({"text": 12, "title": 16, "axis_title": 14})
BOLD = 1.08   # a bold title's width over its width in the regular face
_BREAK = re.compile(r"(?<= )|(?<=[\u3000-\u9fff\uff00-\uffef])")   # a line breaks after a space or a CJK character


def wrap(text: str, size: float, width: float) -> str:
    """`text` broken into lines (<br>) no wider than `width` pixels at `size`, after a space or a CJK character."""
    lines, line = [], ""
    for piece in _BREAK.split(text):
        if line and text_size(line + piece, size)[0] > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    return "<br>".join(lines + [line])


def top_title(text: str, size: float, width: float | None = None) -> tuple[dict, float]:
    """A figure's title at its top left, `size` pixels, broken into lines to fit a figure `width` pixels wide (when
    given); and the height its lines after the first add, for the top margin (Plotly anchors a title's top by its
    first line)."""
    if width is not None:
        text = wrap(text, size * BOLD, width - 20)
    more = text.count("<br>") * LINE * size
    return dict(text=text, font=dict(size=size), x=0, xanchor="left", yref="container", y=1, yanchor="top",
                pad=dict(t=8 + more)), more


def enlarge(fig: go.Figure, scale: float, width: float | None = None) -> go.Figure:
    """`fig` with all its text `scale` times as large (in place; returned): titles, axes' ticks and titles,
    legends, colour bars, annotations (subplot titles too) and the traces' own text. A size the figure leaves to
    the theme is set from the theme's. The title goes to the top of the figure, in a top margin grown with it
    (broken into lines no wider than `width` pixels, the chart's width, when given); a legend under the plot goes
    to the bottom. For a chart built with go.Figure; the diagrams size their text themselves."""
    if scale == 1:
        return fig

    def size(font, role: str = "text") -> float | list[float]:
        given = font.size if font.size is not None else THEME[role]
        return [s * scale for s in given] if isinstance(given, (list, tuple)) else given * scale

    layout = fig.layout
    title, lines = top_title(layout.title.text or "", size(layout.title.font, "title"), width)
    fig.update_layout(font_size=THEME["text"] * scale, legend_font_size=size(layout.legend.font),
                      hoverlabel_font_size=size(layout.hoverlabel.font), title=title)
    if layout.margin.t is not None and layout.height is not None:   # the top margin holds the title
        more = layout.margin.t * (scale - 1) + lines
        fig.update_layout(margin_t=layout.margin.t + more, height=layout.height + more)
    if layout.margin.autoexpand is False:   # margins set by hand (margins()) grow with the text they hold
        m = layout.margin
        more = (m.b or 0) * (scale - 1)
        fig.update_layout(margin=dict(l=(m.l or 0) * scale, r=(m.r or 0) * scale, b=(m.b or 0) + more),
                          height=None if layout.height is None else layout.height + more)
    if layout.legend.y is not None and layout.legend.y < 0:
        # A legend under the plot, placed a fraction of the plot's height below it, would run into the larger
        # axis title: it goes to the bottom of the figure, and Plotly makes room for both.
        fig.update_layout(legend=dict(yref="container", y=0, yanchor="bottom"))
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        axis.update(tickfont_size=size(axis.tickfont), title_font_size=size(axis.title.font, "axis_title"))
    for note in layout.annotations:
        note.font.size = size(note.font)
    for trace in fig.data:
        if "textfont" in trace and trace.textfont.size is not None:
            trace.textfont.size = size(trace.textfont)
        if "colorbar" in trace:
            trace.colorbar.update(tickfont_size=size(trace.colorbar.tickfont),
                                  title_font_size=size(trace.colorbar.title.font, "axis_title"))
    return fig


def for_projection(fig: go.Figure, width: float | None = None) -> go.Figure:
    """`fig` with its text enlarged in projection mode (in place; returned), unchanged otherwise: Plotly sizes text
    in pixels, which the stylesheet cannot scale. `width`: the chart's width in projection mode, if its title may
    need more than one line (classroom.PICTURE_WIDTH for a chart beside the step)."""
    return enlarge(fig, chart_scale(), width)

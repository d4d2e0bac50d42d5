"""Bar traces drawn as SVG (svg_figure.py): each bar a rectangle from zero to its value in a panel's Frame, filled with
its colour or Plotly's "/" hatching, outlined as its marker's line; its text outside the bar's end or in its middle,
shrunk to the bar's width as Plotly shrinks it, and with the layout's uniformtext "hide", hidden where even its least
size would not fit.

A chart stretches to its column, so a bar's width in pixels is known only in the browser: a text's size is a CSS
min() (or clamp(), with a least size) of its own size and the size at which it fits its bar, in units of the figure's
width (cqw: the figure is a size container), and the hiding is a container query on that width.
"""
from __future__ import annotations

import html
import math

from . import colors
from .plot_text import text_size
from .svg_axes import Frame
from .svg_text import attrs, checked_color, element_id, short
from .svg_traces import data_array, each, hover_text, tooltip

BAR_GAP = 0.2     # Plotly's default gap between bars, a fraction of the space between two x values
TEXT_PAD = 3      # px between a bar's end and its text outside it (Plotly's)
FILL = 0.9        # of a bar's width, the most its text takes
HATCH = 8         # px: the side of the square a "/" hatching repeats in (Plotly's default pattern size)
HATCH_LINE = 2    # px: its lines' width
FIT_CLASS = "bp-bar-text"


def bar_width(trace: dict, layout: dict) -> float:
    """A bar's width in data units: the trace's, or as Plotly the space between neighbouring x values less the gap."""
    if trace.get("width") is not None:
        if not isinstance(trace["width"], (int, float)):
            raise ValueError(f"unsupported bar width: one for all bars ({trace['width']!r})")
        return float(trace["width"])
    xs = sorted(set(data_array(trace.get("x", []))))
    spacing = min((b - a for a, b in zip(xs, xs[1:])), default=1)
    return (1 - layout.get("bargap", BAR_GAP)) * spacing


def _texts_of(trace: dict) -> list[str]:
    return [str(text) for text in each(trace.get("text"), len(data_array(trace.get("x", [])))) if text]


def fit_factor(fr: Frame, trace: dict, layout: dict, text: str) -> float:
    """The size of `text` at which it takes FILL of its bar's width, in pixels per pixel of the plot area's width."""
    share = bar_width(trace, layout) / abs(fr.x1 - fr.x0) * (fr.domain[1] - fr.domain[0])
    return FILL * share / text_size(text, 1)[0]


def least_fit(fr: Frame, trace: dict, layout: dict) -> float | None:
    """The fit factor of the trace's widest text (its bars are alike): its texts' one size; None without text."""
    return min((fit_factor(fr, trace, layout, text) for text in _texts_of(trace)), default=None)


def _pattern(marker: dict, defs: dict) -> str:
    """A bar's fill: its colour, or a "/" hatching of the pattern's colour over it (Plotly's fillmode "overlay")."""
    color = checked_color(marker.get("color", colors.INK))
    pattern = marker.get("pattern") or {}
    shape = pattern.get("shape", "")
    if not shape:
        return color
    if shape != "/" or pattern.get("fillmode") != "overlay":
        raise ValueError(f"unsupported bar pattern: \"/\" over one colour (fillmode \"overlay\") ({pattern})")
    lines = checked_color(pattern.get("fgcolor", colors.INK))
    key = ("hatch", color, lines)
    if key not in defs:
        name = element_id("hatch", key[1:])
        # one stripe corner to corner, and the ends of its neighbours in the other two corners
        s, q, near, far = HATCH, short(HATCH / 4), short(HATCH * 3 / 4), short(HATCH * 5 / 4)
        stripes = f"M0,{s} L{s},0 M-{q},{q} L{q},-{q} M{near},{far} L{far},{near}"
        defs[key] = (name, f'<pattern{attrs(id=name, patternUnits="userSpaceOnUse", width=s, height=s)}>'
                           f"<rect{attrs(width=s, height=s, fill=color)}/>"
                           f"<path{attrs(d=stripes, stroke=lines, stroke_width=HATCH_LINE)}/></pattern>")
    return f"url(#{defs[key][0]})"


def bars(fr: Frame, trace: dict, layout: dict, defs: dict, rules: dict, uniform: float | None) -> tuple[str, str]:
    """(the bars, their texts): the texts apart, for a trace with Plotly's cliponaxis False to draw over the plot
    area's edges.
    `uniform`: with the layout's uniformtext, the figure's one fit factor (its widest text's), else None; `rules`
    collects the container queries that hide texts (svg_figure.py writes them once)."""
    if trace.get("base") is not None or trace.get("orientation", "v") != "v":
        raise ValueError(f"unsupported bars: upright, from zero ({trace.get('base')}, {trace.get('orientation')})")
    xs, ys = data_array(trace.get("x", [])), data_array(trace.get("y", []))
    w = bar_width(trace, layout)
    marker = trace.get("marker", {})
    fill, line = _pattern(marker, defs), marker.get("line", {})
    edge = attrs(stroke=checked_color(line["color"]), stroke_width=short(line["width"])) if line.get("width") else ""
    template = trace.get("hovertemplate")
    rects = []
    for x, y in zip(xs, ys):
        if y is None or not math.isfinite(y):
            continue
        top, bottom = sorted((fr.y(0), fr.y(y)))
        tip = tooltip(hover_text(template, x=x, y=y)) if template else ""
        place = attrs(x=fr.x(x - w / 2), y=short(top), width=f"{short(100 * w / abs(fr.x1 - fr.x0))}%",
                      height=short(bottom - top), fill=fill)
        rects.append(f"<rect{place}{edge}>{tip}</rect>")
    return f"<g>{''.join(rects)}</g>", _texts(fr, trace, layout, xs, ys, rules, uniform)


def _texts(fr: Frame, trace: dict, layout: dict, xs: list, ys: list, rules: dict, uniform: float | None) -> str:
    """The bars' texts: as Plotly's uniformtext "hide", all one size, no less than its minsize, and a text that would
    need less hidden (each by its own width); without it, the trace's texts one size, as large as its widest fits."""
    position = trace.get("textposition", "outside")
    if position not in ("outside", "inside") or (position == "inside" and trace.get("insidetextanchor") != "middle"):
        raise ValueError(f"unsupported bar text: outside, or inside in the middle ({position})")
    if trace.get("textangle", "auto") not in (0, "auto"):   # "auto" turns a text only where level it would not fit
        raise ValueError(f"unsupported bar text angle: {trace.get('textangle')!r}")
    font = trace.get("textfont", {})
    size, color = font.get("size", fr.font), checked_color(font.get("color", colors.INK))
    minsize = (layout.get("uniformtext") or {}).get("minsize", 0) if uniform else 0
    plot_width = f"(100cqw - {short(fr.l + fr.r)}px)"   # cqw: of the figure's width
    fitted = f"calc({plot_width} * {(uniform or least_fit(fr, trace, layout) or 1):.5g})"
    style = f"font-size:clamp({short(minsize)}px, {fitted}, {short(size)}px)" if minsize else \
        f"font-size:min({short(size)}px, {fitted})"
    out = []
    for x, y, text in zip(xs, ys, each(trace.get("text"), len(xs))):
        if not text or y is None or not math.isfinite(y):
            continue
        if "<" in str(text):
            raise ValueError(f"unsupported markup in a bar's text: {text!r}")
        if position == "inside":
            where = dict(y=short((fr.y(0) + fr.y(y)) / 2), dominant_baseline="central")
        elif y >= 0:
            where = dict(y=short(fr.y(y) - TEXT_PAD), dominant_baseline="text-after-edge")
        else:
            where = dict(y=short(fr.y(y) + TEXT_PAD), dominant_baseline="text-before-edge")
        cls = FIT_CLASS
        if minsize:   # hidden in a figure narrower than where this text fits at minsize
            width = math.ceil(fr.l + fr.r + minsize / fit_factor(fr, trace, layout, str(text)))
            cls += f" bp-hide-under-{width}"
            rules[width] = f"@container (max-width: {width - 0.01}px) {{ .bp-hide-under-{width} {{ display: none }} }}"
        place = attrs(**{"class": cls}, x=fr.x(x), text_anchor="middle", fill=color, style=style, **where)
        out.append(f"<text{place}>{html.escape(str(text), quote=False)}</text>")
    return "".join(out)

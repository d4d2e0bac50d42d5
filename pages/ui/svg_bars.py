"""Bar traces drawn as SVG (svg_figure.py): each bar a rectangle from zero to its value in a panel's Frame, filled with
its colour or Plotly's "/" hatching, outlined as its marker's line; its text outside the bar's end or in its middle,
shrunk to the bar's width as Plotly shrinks it, and with the layout's uniformtext "hide", hidden where even its least
size would not fit.

A chart stretches to its column, so a bar's width in pixels is known only in the browser: a text's size is a CSS
min() (or clamp(), with a least size) of its own size and the size at which it is as wide as its bar, in units of the
figure's width (cqw: the figure is a size container), and the hiding is a container query on that width. Where this
differs from Plotly: the texts of uniformtext share the size of the widest text, hidden or not (Plotly's is the
least over the texts it shows), and a text inside a bar may take the bar's whole width (Plotly leaves 3 px each side).
"""
from __future__ import annotations

import html
import math

from . import colors
from .plot_text import text_size
from .svg_axes import Frame
from .svg_text import attrs, checked_color, element_id, short
from .svg_traces import check_shown, data_array, each, has_text, hover_text, missing, stroke_attrs, tooltip

BAR_GAP = 0.2     # Plotly's default gap between bars, a fraction of the space between two x values
TEXT_PAD = 3      # px between a bar's end and its text outside it (Plotly's TEXTPAD)
# Plotly's "/" pattern (components/drawing pattern): its size 8 px, solidity 0.3; the tile it repeats is a square of
# size times root 2, its line solidity times size wide
HATCH = 8 * math.sqrt(2)
HATCH_LINE = 0.3 * 8
FIT_CLASS = "bp-bar-text"
# what a bar trace may hold: anything else would change the picture and is refused
_BAR_KEYS = frozenset({"type", "x", "y", "width", "name", "marker", "text", "textposition", "insidetextanchor",
                       "textfont", "textangle", "cliponaxis", "hovertemplate", "showlegend", "xaxis", "yaxis",
                       "visible", "opacity", "meta", "base", "orientation"})
_MARKER_KEYS = frozenset({"color", "line", "pattern"})


def bar_width(trace: dict, layout: dict) -> float:
    """A bar's width in data units: the trace's, or as Plotly the space between neighbouring x values less the gap."""
    if trace.get("width") is not None:
        if not isinstance(trace["width"], (int, float)):
            raise ValueError(f"unsupported bar width: one for all bars ({trace['width']!r})")
        return float(trace["width"])
    xs = sorted({x for x in data_array(trace.get("x", [])) if isinstance(x, (int, float)) and math.isfinite(x)})
    spacing = min((b - a for a, b in zip(xs, xs[1:])), default=1)
    return (1 - layout.get("bargap", BAR_GAP)) * spacing


def _texts_of(trace: dict) -> list[str]:
    """The texts of the bars that are drawn (a finite value)."""
    ys = data_array(trace.get("y", []))
    return [str(text) for text, y in zip(each(trace.get("text"), len(ys)), ys)
            if has_text(text) and y is not None and math.isfinite(y)]


def fit_factor(fr: Frame, trace: dict, layout: dict, text: str) -> float:
    """The size of `text` at which it is as wide as its bar (Plotly's scale of a text outside a bar: the bar's width
    over the text's), in pixels per pixel of the plot area's width."""
    share = bar_width(trace, layout) / abs(fr.x1 - fr.x0) * (fr.domain[1] - fr.domain[0])
    return share / text_size(text, 1)[0]


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
        side, q, near, far = (short(v) for v in (HATCH, HATCH / 4, HATCH * 3 / 4, HATCH * 5 / 4))
        stripes = f"M0,{side} L{side},0 M-{q},{q} L{q},-{q} M{near},{far} L{far},{near}"
        defs[key] = (name, f'<pattern{attrs(id=name, patternUnits="userSpaceOnUse", width=side, height=side)}>'
                           f"<rect{attrs(width=side, height=side, fill=color)}/>"
                           f"<path{attrs(d=stripes, stroke=lines, stroke_width=short(HATCH_LINE))}/></pattern>")
    return f"url(#{defs[key][0]})"


def bars(fr: Frame, trace: dict, layout: dict, defs: dict, rules: dict, uniform: float | None) -> tuple[str, str]:
    """(the bars, their texts): the texts apart, for a trace with Plotly's cliponaxis False to draw over the plot
    area's edges.
    `uniform`: with the layout's uniformtext, the figure's one fit factor (its widest text's), else None; `rules`
    collects the container queries that hide texts (svg_figure.py writes them once)."""
    check_shown(trace)
    marker = trace.get("marker", {})
    if (trace.get("base") is not None or trace.get("orientation", "v") != "v" or fr.y_log
            or not set(trace) <= _BAR_KEYS or not set(marker) <= _MARKER_KEYS):
        raise ValueError(f"unsupported bars: upright from zero on a linear axis, with {sorted(_BAR_KEYS)} and a "
                         f"marker's {sorted(_MARKER_KEYS)} only ({trace})")
    xs, ys = data_array(trace.get("x", [])), data_array(trace.get("y", []))
    if not all(x is None or isinstance(x, (int, float)) for x in xs):
        raise ValueError(f"unsupported bars: numbers along x ({xs})")
    w = bar_width(trace, layout)
    if not w > 0:
        raise ValueError(f"unsupported bars: a width above 0 ({w})")
    fill, line = _pattern(marker, defs), marker.get("line", {})
    edge = attrs(**stroke_attrs(line)) if line.get("width") else ""
    template = trace.get("hovertemplate")
    rects = []
    for x, y in zip(xs, ys):
        if missing(x, y):   # as Plotly, a bar without a value or a place is left out
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
    # drawn level: Plotly's "auto" would turn a text that does not fit level, which these never need
    if trace.get("textangle", "auto") not in (0, "auto"):
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
        if not has_text(text) or missing(x, y) or (position == "inside" and y == 0):   # no room in a bar of 0
            continue
        if "<" in str(text):
            raise ValueError(f"unsupported markup in a bar's text: {text!r}")
        if position == "inside":
            where = dict(y=short((fr.y(0) + fr.y(y)) / 2), dominant_baseline="central")
        elif fr.y(y) <= fr.y(0):   # the bar's end up the page: its text above it (Plotly goes by the pixels)
            where = dict(y=short(fr.y(y) - TEXT_PAD), dominant_baseline="text-after-edge")
        else:
            where = dict(y=short(fr.y(y) + TEXT_PAD), dominant_baseline="text-before-edge")
        cls = FIT_CLASS
        if minsize:   # hidden in a figure narrower than where this text fits at minsize
            width = math.ceil(fr.l + fr.r + minsize / fit_factor(fr, trace, layout, str(text)))
            cls += f" bp-hide-under-{width}"
            rules[width] = f"@container (max-width: {width - 0.01}px) {{ .bp-hide-under-{width} {{ display: none }} }}"
        place = attrs(**{"class": cls}, x=fr.x(x), text_anchor="middle", fill=color, style=style, **where)
        out.append(f"<text{place}>{html.escape(str(text).replace(chr(10), ' '), quote=False)}</text>")
    return "".join(out)

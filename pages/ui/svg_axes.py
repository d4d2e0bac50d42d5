"""The axes of a figure drawn as SVG (svg_figure.py): data to the plot area's percentages and pixels, ticks as
Plotly places them, grid and zero lines, axis titles, and a heatmap's colour bar."""
from __future__ import annotations

import math
from types import MappingProxyType

from . import colors
from .plot_text import LINE, THEME, text_size
from .svg_text import attrs, checked_color, element_id, short, text_label

TICK_GAP = 6       # px between the plot area and an axis's tick labels
TITLE_GAP = 6      # px between an axis's tick labels and its title
NOMINAL_WIDTH = 640   # px: the plot area's width for an x axis's automatic ticks (a chart stretches to its column)
GRID = "#EEEEEE"   # Plotly's grid colour
GRID_EDGE = "#444444"   # Plotly's outline of a colour bar
COLORBAR_GAP = 10  # px between the plot area and a colour bar
_SI = MappingProxyType({3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"})   # Plotly's SI prefixes for tick labels


class Frame:
    """Data to the plot area: x to a percentage of its width, y to pixels from its top (on a log y axis, as Plotly,
    its range is in powers of ten)."""

    def __init__(self, layout: dict, suffix: str = ""):
        margin = layout.get("margin", {})
        self.l, self.r = margin.get("l", 80), margin.get("r", 80)
        self.t, self.b = margin.get("t", 100), margin.get("b", 80)
        self.height = layout.get("height", 450)
        self.plot_h = self.height - self.t - self.b
        # the panel's axes (a figure of panels side by side: "xaxis2", "yaxis2" for the second)
        self.xname, self.yname = f"xaxis{suffix}", f"yaxis{suffix}"
        for name, types in ((self.xname, ("linear",)), (self.yname, ("linear", "log"))):
            axis = layout.get(name, {})
            if not axis.get("range") or axis.get("type", "linear") not in types or "autorange" in axis:
                raise ValueError(f"unsupported {name}: a range given, {' or '.join(types)} ({axis})")
        xaxis, yaxis = layout[self.xname], layout[self.yname]
        self.x0, self.x1 = xaxis["range"]
        self.y0, self.y1 = yaxis["range"]   # bottom, top: a reversed axis (a matrix's rows) counts down
        if (self.x0 >= self.x1 or self.y0 == self.y1
                or not all(math.isfinite(v) for v in (self.x0, self.x1, self.y0, self.y1))):
            raise ValueError(f"unsupported axes: an empty, endless or (x) reversed range ({self.x0}, {self.x1}; "
                             f"{self.y0}, {self.y1})")
        # where the panel lies across the figure's plot area; panels sit side by side, each the plot's full height
        self.domain = tuple(xaxis.get("domain", (0, 1)))
        if tuple(yaxis.get("domain", (0, 1))) != (0, 1) or not 0 <= self.domain[0] < self.domain[1] <= 1:
            raise ValueError(f"unsupported domains: panels side by side only ({self.domain}, {yaxis.get('domain')})")
        self.y_log = yaxis.get("type") == "log"
        # y tied to x's scale (Plotly's scaleanchor, with x's domain shrunk to fit): the plot area's width in pixels
        anchor, ratio = yaxis.get("scaleanchor"), yaxis.get("scaleratio", 1)
        if (anchor not in (None, "x") or xaxis.get("scaleanchor") or (anchor and self.y_log)
                or (anchor and (xaxis.get("constrain") != "domain" or self.domain != (0, 1)))):
            raise ValueError("unsupported scaleanchor: y to x only, on linear axes of one panel, x constrained by its "
                             "domain")
        self.width = self.plot_h * abs((self.x1 - self.x0) / ((self.y1 - self.y0) * ratio)) if anchor else None
        self.font = layout.get("font", {}).get("size", THEME["text"])   # the size of text that sets none
        self.background = checked_color(layout.get("plot_bgcolor", "white"))

    def x(self, v: float) -> str:
        return f"{short(100 * (v - self.x0) / (self.x1 - self.x0))}%"

    def y(self, v: float) -> float:
        if self.y_log:
            v = math.log10(v)
        return self.plot_h * (self.y1 - v) / (self.y1 - self.y0)


def colorbar(fr: Frame, trace: dict, defs: dict) -> str:
    """A heatmap's colour bar right of the plot area, as Plotly places it (centred on the plot's height, `len` a
    fraction of it, `thickness` pixels wide), its ticks on its right and its title turned up beside them."""
    bar = trace.get("colorbar") or {}
    if any(k in bar for k in ("x", "y", "orientation")) or (bar.get("title") or {}).get("side", "right") != "right":
        raise ValueError(f"unsupported colour bar: placed by Plotly's defaults, its title on the right ({bar})")
    zmin, zmax, scale = trace["zmin"], trace["zmax"], trace["colorscale"]
    length, thick = bar.get("len", 1) * fr.plot_h, bar.get("thickness", 30)
    top = (fr.plot_h - length) / 2
    key = ("colorscale", *(f"{short(float(p), 4)}:{checked_color(c)}" for p, c in scale))
    if key not in defs:
        name = element_id("scale", key[1:])
        stops = "".join(f"<stop{attrs(offset=f'{short(100 * float(p))}%', stop_color=c)}/>" for p, c in scale)
        defs[key] = (name, f'<linearGradient id="{name}" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient>')
    size = bar.get("tickfont", {}).get("size", fr.font)
    ticks = _axis_ticks(bar, zmin, zmax, length, 40)
    out = [f"<rect{attrs(x=0, y=short(top), width=short(thick), height=short(length), fill=f'url(#{defs[key][0]})')}"
           f"{attrs(stroke=GRID_EDGE, stroke_width=1)}/>"]
    out += [text_label("0", top + length * (zmax - v) / (zmax - zmin), label, size, colors.INK, cls="bp-tick",
                       anchor="start", transform=f"translate({short(thick + TICK_GAP)} 0)") for v, label in ticks]
    out.append(_side_title(fr, bar, ticks, size, thick, +1))
    # an SVG at the plot area's right edge (x is a percentage there), the bar COLORBAR_GAP pixels further right
    return (f"<svg{attrs(x='100%', overflow='visible')}><g transform=\"translate({COLORBAR_GAP} 0)\">"
            + "".join(out) + "</g></svg>")


def _side_title(fr: Frame, axis: dict, ticks: list[tuple], tick_size: float, start: float, side: int) -> str:
    """The title of a vertical axis (the y axis, side -1: on its left; a colour bar, side +1: on its right), turned a
    quarter left and centred on the plot's height, beyond its widest tick label; `start`: where its tick labels'
    side of the bar begins. "" without a title."""
    text, title_size = title_of(axis)
    if not text:
        return ""
    title_size = title_size or THEME["axis_title"]
    widest = max((text_size(label, tick_size)[0] for _, label in ticks), default=0)
    reach = start + TICK_GAP + widest + TITLE_GAP + LINE * title_size / 2
    return text_label("0", 0, text, title_size, colors.INK, cls="bp-axis-title",
                      transform=f"translate({short(side * reach)} {short(fr.plot_h / 2)}) rotate(-90)")


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")   # Plotly's minus sign


def _auto_ticks(lo: float, hi: float, intervals: float) -> tuple[list[float], float]:
    """Plotly's automatic ticks on a linear axis (axes.js autoTicks): a step of 2, 5 or 10 times a power of ten, the
    first one above range / intervals; the ticks are the step's multiples within [lo, hi]."""
    rough = (hi - lo) / intervals
    base = 10 ** math.floor(math.log10(rough))
    step = base * next(m for m in (2, 5, 10) if m > rough / base)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [i * step for i in range(first, last + 1)], step


def _axis_ticks(axis: dict, lo: float, hi: float, length: float, min_px: float, log: bool = False) -> list[tuple]:
    """An axis's ticks as (value, label): its tickvals (and ticktext) when given; otherwise about one per `min_px`
    pixels of its `length` (4 to 9 intervals, as Plotly), labelled with the decimals of their step; on a log axis,
    powers of ten written 10<sup>k</sup> (Plotly's exponentformat "power")."""
    if axis.get("tickvals") is not None:
        return [(v, str(text)) for v, text in zip(axis["tickvals"], axis.get("ticktext", axis["tickvals"]))]
    intervals = min(max(length / min_px, 4), 9) + 1
    lo, hi = min(lo, hi), max(lo, hi)
    if log and math.floor(hi) - math.ceil(lo) >= 1:   # two powers of ten or more: those (Plotly's dtick of decades)
        every = max(1, math.ceil((hi - lo) / intervals))
        return [(10.0 ** k, f"10<sup>{_minus(str(k))}</sup>" if k != 0 else "1")
                for k in range(math.ceil(lo), math.floor(hi) + 1) if k % every == 0]
    if log:   # less: 1, 2 and 5 times the powers of ten (Plotly's "D2" ticks), written out
        values = [m * 10.0 ** k for k in range(math.floor(lo), math.ceil(hi) + 1) for m in (1, 2, 5)
                  if lo - 1e-9 <= k + math.log10(m) <= hi + 1e-9]
        return [(v, _minus(f"{v:.12g}")) for v in values]
    values, step = _auto_ticks(lo, hi, intervals)
    # Plotly's exponentformat "B": from a thousand up, one SI prefix for the whole axis, by its largest end
    power = 3 * math.floor(math.log10(max(abs(lo), abs(hi))) / 3) if max(abs(lo), abs(hi)) >= 1000 else 0
    if power > max(_SI):
        return [(v, _minus(f"{v:.3g}")) for v in values]
    scale, suffix = 10.0 ** power, _SI.get(power, "")
    decimals = max(0, -math.floor(math.log10(step / scale) + 1e-9))
    return [(v, _minus(short(v / scale, decimals)) + suffix if abs(v) > step / 2 else "0") for v in values]


def title_of(axis: dict) -> tuple[str, float | None]:
    title = axis.get("title", {})
    title = title if isinstance(title, dict) else {"text": title}
    return title.get("text") or "", title.get("font", {}).get("size")


def _rule(fr: Frame, is_x: bool, v: float) -> str:
    """The attributes of a line across the plot area at value v: up and down at x = v, or across at y = v."""
    if is_x:
        return attrs(x1=fr.x(v), y1=0, x2=fr.x(v), y2=short(fr.plot_h))
    return attrs(x1="0%", y1=short(fr.y(v)), x2="100%", y2=short(fr.y(v)))


def axes(fr: Frame, layout: dict) -> tuple[str, str]:
    """A panel's axes: (grid and zero lines, under the data; tick labels and titles, around the plot area). A hidden
    axis draws nothing; an x axis draws its grid, zero line and title only if the figure gives them (a diagram's
    tick labels alone stay as they were), under the plot area or, on its "top" side, above it."""
    under, around = [], []
    for name in (fr.xname, fr.yname):
        axis = layout.get(name, {})
        if axis.get("visible", True) is False:
            continue
        is_x = name == fr.xname
        lo, hi = (fr.x0, fr.x1) if is_x else (fr.y0, fr.y1)
        log = not is_x and fr.y_log
        length = (fr.width or NOMINAL_WIDTH) if is_x else fr.plot_h
        ticks = _axis_ticks(axis, lo, hi, length, 80 if is_x else 40, log=log)
        # as Plotly, a tick beyond the axis's range is not drawn
        ticks = [(v, text) for v, text in ticks
                 if min(lo, hi) - 1e-9 <= (math.log10(v) if log and v > 0 else v) <= max(lo, hi) + 1e-9]
        size = axis.get("tickfont", {}).get("size", fr.font)
        grid = attrs(stroke=checked_color(axis.get("gridcolor", GRID)), stroke_width=short(axis.get("gridwidth", 1)))
        zero = axis.get("zeroline", True) and min(lo, hi) < 0 < max(lo, hi) and not log
        if axis.get("showgrid", True):
            under.append(f"<g{grid}>" + "".join(f"<line{_rule(fr, is_x, v)}/>" for v, _ in ticks) + "</g>")
        if zero:
            zero_color = checked_color(axis.get("zerolinecolor", axis.get("gridcolor", GRID)))
            under.append(f"<line{_rule(fr, is_x, 0)}{attrs(stroke=zero_color)}/>")
        if not axis.get("showticklabels", True):
            ticks = []
        if is_x:
            around += _x_labels(fr, axis, ticks, size)
            continue
        around += [text_label("0%", fr.y(v), text, size, colors.INK, cls="bp-tick", anchor="end",
                              transform=f"translate({-TICK_GAP} 0)") for v, text in ticks]
        around.append(_side_title(fr, axis, ticks, size, 0, -1))
    return "".join(under), "".join(around)


def _x_labels(fr: Frame, axis: dict, ticks: list[tuple], size: float) -> list[str]:
    """An x axis's tick labels and title: under the plot area, or above it on its "top" side (a matrix's columns)."""
    side = axis.get("side", "bottom")
    if side not in ("bottom", "top"):
        raise ValueError(f"unsupported x axis side: {side!r}")
    text, title_size = title_of(axis)
    title_size = title_size or THEME["axis_title"]
    tick_y = TICK_GAP + LINE * size / 2   # from the plot area's edge out to the middle of a tick label
    title_y = TICK_GAP + LINE * size + TITLE_GAP + LINE * title_size / 2
    if side == "top":
        tick_y, title_y = -tick_y, -title_y
    else:
        tick_y, title_y = fr.plot_h + tick_y, fr.plot_h + title_y
    out = [text_label(fr.x(v), tick_y, label, size, colors.INK, cls="bp-tick") for v, label in ticks]
    if text:
        out.append(text_label("50%", title_y, text, title_size, colors.INK, cls="bp-axis-title"))
    return out

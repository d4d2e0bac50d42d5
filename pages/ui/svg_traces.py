"""The traces of a figure drawn as SVG (svg_figure.py): Plotly's data arrays read, scatter traces (lines, markers,
text, arrows) and heatmaps drawn in a panel's Frame (svg_axes.py); bars in svg_bars.py."""
from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np

from . import colors, raster
from .notation import subscript, superscript
from .svg_axes import Frame
from .svg_text import TAG, attrs, checked_color, element_id, short, text_label

_MODE_FLAGS = frozenset({"lines", "markers", "text"})   # a trace's mode: some of these, joined by "+"
HOVER_REACH = 10   # px: the least radius of an invisible marker that only carries a tooltip (Plotly's reach is 20)
TEXT_GAP = 2       # px between a marker and the text under it


def _encoded(value) -> bool:
    """Whether a value is a NumPy array as Plotly's figure dicts hold one: {"dtype", "bdata"} (base64 of its bytes,
    and a "shape" for more than one dimension)."""
    return isinstance(value, dict) and "bdata" in value


def _decoded(value) -> np.ndarray:
    shape = tuple(int(v) for v in str(value.get("shape", "")).split(",") if v.strip())
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape or -1)


def data_array(value) -> list:
    """A data array as a list: a list, a NumPy array or Plotly's encoding of one."""
    if _encoded(value):
        return _decoded(value).tolist()
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def _matrix(value) -> np.ndarray:
    """A 2-D data array (a heatmap's z) as floats, None as NaN: nested lists, or Plotly's encoding with its shape."""
    if _encoded(value):
        return _decoded(value).astype(float)
    return np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float)


def each(value, n: int) -> list:
    """A per-point property: Plotly takes a list (one per point) or one value for every point."""
    if isinstance(value, (list, tuple, np.ndarray)) or _encoded(value):
        return data_array(value)
    return [value] * n


def stroke_attrs(line: dict) -> dict:
    """A line's stroke, dashed as Plotly dashes it (drawing.dashStyle: at least 3 px on and off)."""
    width = line.get("width", 2)
    on = max(width, 3)
    dashes = {"dot": f"{short(on)} {short(on)}", "dash": f"{short(3 * on)} {short(3 * on)}",
              "dashdot": f"{short(3 * on)} {short(on)} {short(on)} {short(on)}", None: None, "solid": None}
    if line.get("dash") not in dashes:
        raise ValueError(f"unsupported dash: {line.get('dash')!r}")
    return dict(stroke=checked_color(line.get("color", colors.INK)), stroke_width=short(width),
                stroke_dasharray=dashes[line.get("dash")])


def has_text(text) -> bool:
    """Whether a bar's or a cell's text is drawn: as Plotly, anything but None and "" (a 0 is drawn)."""
    return text is not None and text != ""


def missing(*values) -> bool:
    """A point Plotly leaves out: None or a number that is not finite (NaN, an infinite loss)."""
    return any(v is None or not math.isfinite(v) for v in values)


def _runs(xs: Sequence, ys: Sequence) -> list[list[tuple[float, float]]]:
    """The points of a line in runs, broken where a point is missing."""
    runs, run = [], []
    for x, y in zip(xs, ys):
        if missing(x, y):
            runs, run = runs + [run] if run else runs, []
        else:
            run.append((x, y))
    return runs + [run] if run else runs


def lines_svg(fr: Frame, xs, ys, line: dict) -> str:
    """A line trace or path: each two-point run a <line>; a longer run one path, so that its dashes run on along it
    and its joins are joined. x being a percentage of the width, the path sits in an SVG whose units are percentages
    across and pixels down, stretched to the plot area, its stroke (and dashes) kept in screen pixels."""
    paint = stroke_attrs(line)
    out = []
    for run in _runs(xs, ys):
        if len(run) == 2:
            (a, b), (c, d) = run
            out.append(f"<line{attrs(x1=fr.x(a), y1=short(fr.y(b)), x2=fr.x(c), y2=short(fr.y(d)))}/>")
        elif len(run) > 2:
            d = "M" + "L".join(f"{fr.x(x)[:-1]},{short(fr.y(y))}" for x, y in run)
            box = attrs(width="100%", height=short(fr.plot_h), viewBox=f"0 0 100 {short(fr.plot_h)}",
                        preserveAspectRatio="none", overflow="visible")
            out.append(f'<svg{box}><path{attrs(d=d, fill="none", vector_effect="non-scaling-stroke")}/></svg>')
    return f"<g{attrs(**paint)}>" + "".join(out) + "</g>"


_FIELD = re.compile(r"%\{(\w+)(?::([^}]*))?\}")


def hover_text(template: str, **point) -> str:
    """Plotly's hovertemplate for one point: each %{name} or %{name:format} (a Python format, as ".4g") filled from
    `point`, a float without a format to 6 significant digits; the <extra> box dropped."""
    def field(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2)
        if name not in point:
            raise ValueError(f"unsupported hover field: {match.group(0)!r} in {template!r}")
        value = point[name]
        return format(value, spec) if spec else (f"{value:.6g}" if isinstance(value, float) else str(value))

    return _FIELD.sub(field, re.sub(r"<extra>.*?</extra>", "", template))


def tooltip(hover: str | None) -> str:
    """A hover text as the element's tooltip: its lines kept, sub- and superscript digits as Unicode's (w⁽⁰⁾₁₂), the
    other tags dropped."""
    if not hover:
        return ""
    text = re.sub(r"<sub>(.*?)</sub>", lambda m: subscript(m.group(1)), hover)
    text = re.sub(r"<sup>(.*?)</sup>", lambda m: superscript(m.group(1)), text)
    lines = [html.escape(TAG.sub("", line).replace("\n", " "), quote=False) for line in text.split("<br>")]
    return f"<title>{'&#10;'.join(lines)}</title>"


def _diamond(r: float) -> str:
    d = short(1.3 * r)
    return f"M{d},0L0,{d}L-{d},0L0,-{d}Z"


def _triangle_up(r: float) -> str:
    half, side = short(r / 2), short(2 * r / math.sqrt(3))
    return f"M-{side},{half}H{side}L0,-{short(r)}Z"


def _cross(r: float) -> str:
    """Plotly's "x": two crossed bars as one outline, each step along a diagonal."""
    q = 0.8 * r / math.sqrt(2)
    corners = ((0, 1), (1, 2), (2, 1), (1, 0), (2, -1), (1, -2), (0, -1), (-1, -2), (-2, -1), (-1, 0), (-2, 1),
               (-1, 2))
    return "M" + "L".join(f"{short(q * i)},{short(q * j)}" for i, j in corners) + "Z"


# Plotly's marker outlines (drawing/symbol_defs.js) about the point, for a marker of radius r (half its size)
SYMBOL_PATHS = MappingProxyType({"diamond": _diamond, "triangle-up": _triangle_up, "x": _cross})


def marker_fill(trace: dict) -> str:
    """A trace's marker colour: its own, or as Plotly, on a line the line's colour."""
    lines = "lines" in trace.get("mode", "").split("+")
    line_color = trace.get("line", {}).get("color", colors.INK) if lines else colors.INK
    return trace.get("marker", {}).get("color", line_color)


def marker_svg(x: str, y: float, size: float, symbol: str, fill: str, line_color: str | None, line_width: float,
            opacity: float, hover: str | None) -> str:
    is_open = symbol.endswith("-open")
    base = symbol.removesuffix("-open")
    if is_open:   # Plotly draws an open marker's outline in its colour, at least 1 px
        line_color, line_width = fill, line_width or 1
    paint = dict(fill="none" if is_open else checked_color(fill),
                 stroke=checked_color(line_color) if line_width else None,
                 stroke_width=short(line_width) if line_width else None,
                 opacity=short(opacity) if opacity != 1 else None,
                 pointer_events="all" if hover else None)
    tip = tooltip(hover)
    if hover and opacity == 0:   # only there to be pointed at: easier to find than its drawn size
        size = max(size, 2 * HOVER_REACH)
    if base == "circle":
        return f"<circle{attrs(cx=x, cy=short(y), r=short(size / 2), **paint)}>{tip}</circle>"
    if base == "square":
        place = attrs(x=x, y=short(y - size / 2), width=short(size), height=short(size),
                      transform=f"translate({short(-size / 2)} 0)", **paint)
        return f"<rect{place}>{tip}</rect>"
    if base in SYMBOL_PATHS:   # drawn about its point: an SVG placed there, its origin the point
        outline = SYMBOL_PATHS[base](size / 2)
        return (f"<svg{attrs(x=x, y=short(y), overflow='visible')}><path{attrs(d=outline, **paint)}>{tip}</path>"
                "</svg>")
    raise ValueError(f"unsupported marker symbol: {symbol!r}")


def _arrows(fr: Frame, trace: dict, defs: dict[tuple, tuple[str, str]]) -> str:
    """Arrowheads pointing along each segment from the previous point, `standoff` pixels short of the point: SVG
    markers at the end of an unstroked line, which the browser turns with the line whatever the column's width."""
    marker = trace["marker"]
    if marker.get("angleref") != "previous":
        raise ValueError(f"unsupported arrow: pointing along the segment from the previous point only ({marker})")
    xs, ys = data_array(trace["x"]), data_array(trace["y"])
    n = len(xs)
    sizes, standoffs = each(marker.get("size", 6), n), each(marker.get("standoff", 0), n)
    color = checked_color(marker.get("color", colors.INK))
    out = []
    for i in range(1, n):
        if not sizes[i] or missing(xs[i - 1], ys[i - 1], xs[i], ys[i]):
            continue
        key = (sizes[i], standoffs[i], color)
        if key not in defs:
            length, half, back = sizes[i], 0.32 * sizes[i], standoffs[i]
            name = element_id("arrow", (short(v) if isinstance(v, (int, float)) else v for v in key))
            head = f"M{short(-back)},0 L{short(-back - length)},{short(-half)} L{short(-back - length)},{short(half)} Z"
            marker_attrs = attrs(id=name, markerUnits="userSpaceOnUse", orient="auto", overflow="visible", refX=0,
                                 refY=0)
            defs[key] = (name, f"<marker{marker_attrs}><path{attrs(d=head, fill=color)}/></marker>")
        place = attrs(x1=fr.x(xs[i - 1]), y1=short(fr.y(ys[i - 1])), x2=fr.x(xs[i]), y2=short(fr.y(ys[i])),
                      marker_end=f"url(#{defs[key][0]})")
        out.append(f"<line{place}/>")
    return "<g>" + "".join(out) + "</g>"


def check_shown(trace: dict) -> None:
    """Refuse a hidden or translucent trace: drawn as if shown and opaque, it would look other than it is."""
    if trace.get("visible", True) is not True or trace.get("opacity", 1) != 1:
        raise ValueError(f"unsupported trace: visible and opaque only ({trace.get('visible')}, {trace.get('opacity')})")


def trace_svg(fr: Frame, trace: dict, defs: dict) -> str:
    """A scatter or heatmap trace in the panel `fr` (bars: svg_bars.py)."""
    check_shown(trace)
    if trace.get("type") == "heatmap":
        return _heatmap(fr, trace)
    if (trace.get("type", "scatter") != "scatter" or not isinstance(trace.get("mode"), str)
            or not set(trace["mode"].split("+")) <= _MODE_FLAGS):
        raise ValueError(f"unsupported trace: {trace.get('type')} {trace.get('mode')} (a scatter with its mode given)")
    xs, ys = data_array(trace.get("x", [])), data_array(trace.get("y", []))
    if fr.y_log:   # as Plotly, a value a log axis cannot show is left out
        ys = [None if y is None or y <= 0 else y for y in ys]
    mode = trace["mode"].split("+")
    out = []
    if "lines" in mode:
        out.append(lines_svg(fr, xs, ys, trace.get("line", {})))
    marker = trace.get("marker", {})
    if "markers" in mode and marker.get("symbol") == "arrow":
        out.append(_arrows(fr, trace, defs))
    elif "markers" in mode:
        n = len(xs)
        sizes, fills = each(marker.get("size", 6), n), each(marker_fill(trace), n)
        line = marker.get("line", {})
        edge, edge_w = each(line.get("color"), n), each(line.get("width", 0), n)
        if trace.get("hoverinfo") == "text":
            hover = each(trace.get("hovertext"), n)
        elif trace.get("hovertemplate"):
            hover = [hover_text(trace["hovertemplate"], x=x, y=y) for x, y in zip(xs, ys)]
        else:
            hover = [None] * n
        out += [marker_svg(fr.x(x), fr.y(y), s, marker.get("symbol", "circle"), f, c, w, marker.get("opacity", 1), h)
                for x, y, s, f, c, w, h in zip(xs, ys, sizes, fills, edge, edge_w, hover) if not missing(x, y)]
    if "text" in mode:
        n = len(xs)
        font = trace.get("textfont", {})
        sizes, fills = each(font.get("size", fr.font), n), each(font.get("color", colors.INK), n)
        position = trace.get("textposition", "middle center")
        if position not in ("middle center", "bottom center"):
            raise ValueError(f"unsupported text position: {position!r}")
        under = position == "bottom center"
        gaps = each(marker.get("size", 6) if "markers" in mode else 0, n) if under else [None] * n
        out += [text_label(fr.x(x), fr.y(y), text, s, c, below=None if gap is None else gap / 2 + TEXT_GAP)
                for x, y, text, s, c, gap in zip(xs, ys, each(trace.get("text", ""), n), sizes, fills, gaps)
                if not missing(x, y) and text]
    return "".join(out)


def _heatmap(fr: Frame, trace: dict) -> str:
    """A heatmap as one image over its cells' extent (raster.py): x and y evenly spaced and increasing, a colour scale
    of [position, "#RRGGBB"] with zmin and zmax given, each cell a block of its colour, a value that is not finite
    left empty; rows go down the page on a reversed y axis. Gaps between the cells (xgap, ygap) are lines of the
    plot's background over the cells' edges, as Plotly leaves the background there. Text in the cells
    (texttemplate "%{text}") is centred on its cell, in the textfont's colour, else as Plotly ink on a light cell and
    white on a dark one (_cell_text). Smoothing is refused; hover values are not read."""
    scale = trace.get("colorscale")
    if (trace.get("zsmooth") or trace.get("texttemplate") not in (None, "", "%{text}") or fr.y_log
            or not isinstance(scale, (list, tuple)) or None in (trace.get("zmin"), trace.get("zmax"))):
        raise ValueError("unsupported heatmap: no smoothing, text as texttemplate \"%{text}\", a colour scale as a "
                         f"list, zmin and zmax given ({trace.get('zsmooth')}, {trace.get('texttemplate')})")
    z = _matrix(trace["z"])
    xs, ys = np.array(data_array(trace["x"]), float), np.array(data_array(trace["y"]), float)
    steps = np.diff(xs), np.diff(ys)
    if (z.shape != (len(ys), len(xs)) or min(len(xs), len(ys)) < 2
            or not all(np.allclose(d, d[0]) and d[0] > 0 for d in steps)):
        raise ValueError(f"unsupported heatmap: x and y evenly spaced and increasing, z {len(ys)} x {len(xs)}")
    (dx, dy) = steps[0][0], steps[1][0]
    left, right, bottom, top = xs[0] - dx / 2, xs[-1] + dx / 2, ys[0] - dy / 2, ys[-1] + dy / 2
    rgba = raster.colored(z, scale, trace["zmin"], trace["zmax"])
    upward = fr.y(top) < fr.y(bottom)   # rows up the page: the image's first row is the last one
    y_top, y_bottom = sorted((fr.y(top), fr.y(bottom)))
    place = attrs(href=raster.data_url(rgba[::-1] if upward else rgba), x=fr.x(left), y=short(y_top),
                  width=f"{short(100 * (right - left) / (fr.x1 - fr.x0))}%", height=short(y_bottom - y_top),
                  preserveAspectRatio="none", style="image-rendering:pixelated")
    gaps = _cell_gaps(fr, trace, xs, ys, (dx, dy), (y_top, y_bottom))
    return f"<image{place}/>" + gaps + _cell_text(fr, trace, z, rgba, xs, ys)


def _cell_gaps(fr: Frame, trace: dict, xs, ys, steps: tuple[float, float], rows: tuple[float, float]) -> str:
    """The gaps between a heatmap's cells: lines of the plot's background, the gap's width, along the cells' edges."""
    out = []
    xgap, ygap = trace.get("xgap") or 0, trace.get("ygap") or 0
    if xgap:
        edges = [xs[0] - steps[0] / 2 + i * steps[0] for i in range(len(xs) + 1)]
        out.append(f"<g{attrs(stroke=fr.background, stroke_width=short(xgap))}>" + "".join(
            f"<line{attrs(x1=fr.x(e), y1=short(rows[0]), x2=fr.x(e), y2=short(rows[1]))}/>" for e in edges) + "</g>")
    if ygap:
        edges = [ys[0] - steps[1] / 2 + i * steps[1] for i in range(len(ys) + 1)]
        x1, x2 = fr.x(xs[0] - steps[0] / 2), fr.x(xs[-1] + steps[0] / 2)
        out.append(f"<g{attrs(stroke=fr.background, stroke_width=short(ygap))}>" + "".join(
            f"<line{attrs(x1=x1, y1=short(fr.y(e)), x2=x2, y2=short(fr.y(e)))}/>" for e in edges) + "</g>")
    return "".join(out)


def _cell_text(fr: Frame, trace: dict, z: np.ndarray, rgba: np.ndarray, xs, ys) -> str:
    """Each cell's text (a 0 too; "" and None are none), in the textfont's colour or one that stands out on the cell
    (on an empty cell, ink: the plots' backgrounds are light)."""
    if not trace.get("texttemplate") or trace.get("text") is None:
        return ""
    font = trace.get("textfont", {})
    size, given = font.get("size", fr.font), font.get("color", "auto")
    out = []
    for r, row in enumerate(trace["text"]):
        for c, text in enumerate(row):
            if not has_text(text):
                continue
            color = given if given != "auto" else contrast(rgba[r, c, :3]) if np.isfinite(z[r, c]) else colors.INK
            out.append(text_label(fr.x(xs[c]), fr.y(ys[r]), str(text), size, color))
    return "".join(out)


def contrast(rgb) -> str:
    """Text that stands out on a colour: as Plotly (tinycolor's isDark, brightness under 128), white on a dark one,
    ink on a light one."""
    r, g, b = (int(v) for v in rgb)
    return "white" if (299 * r + 587 * g + 114 * b) / 1000 < 128 else colors.INK

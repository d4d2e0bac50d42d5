"""The lessons' diagrams and line charts drawn as inline SVG, from the same figure dicts Plotly would draw.

A diagram (the computational graph, the networks) is boxes, circles, lines and labels at places the figure builders
work out; a line chart (a loss curve, gradient sizes per layer) is lines and markers over two axes. Plotly draws both
well, but Streamlit keys a chart by a hash of its figure, so every step's new highlight mounts a new chart: plotly.js
lays the figure out from nothing, measures the page and draws it twice (once at its own width, again at the
column's). On a lesson page that was half of a Next click's repaint and most of a slider move's
(benchmarks/bench_browser.py; docs/performance.md). As SVG the same picture is a few hundred elements the browser
draws in one pass.

`to_html` reads the subset of Plotly's figure format these figures use, with Plotly's meaning:

- the layout's height, margins, title (top left), legend (the traces with a name; shown, as Plotly, when the layout
  says or more than one trace would be in it) and shapes: "path" shapes of straight segments, and "rect" shapes sized
  in pixels around a data point (plot_text.text_box);
- the axes: linear, or a log y axis, always with their range given (in powers of ten on a log axis, as Plotly's). A
  hidden y axis makes a diagram; a shown one a chart, whose data is cut off at the plot area's edges and whose axes
  draw tick labels (the tickvals and ticktext given, or Plotly's automatic steps of 1, 2 or 5 times a power of ten,
  with its SI prefix from a thousand up; on a log axis 10<sup>k</sup>, or 1, 2 and 5 times the powers of ten within
  a decade), grid lines, a zero line and titles. A diagram's x axis may show tick labels;
- scatter traces whose mode is some of "lines", "markers" and "text": lines broken by None or a value that is not
  finite (a line of more than two points is one path, so that its dashes run on); markers "circle", "square",
  "diamond", "triangle-up", "x" (and "-open"), and "arrow" pointing along the segment from the previous point,
  standing off from the point by `marker.standoff` pixels; text in Plotly's pseudo-HTML (<b>, <br>, <sub>, <sup>,
  <span style>), centred on its point or below its marker; `hovertext` with `hoverinfo="text"` as a tooltip. Data
  arrays may be lists or NumPy arrays as Plotly writes them ({"dtype", "bdata"}).

As with Plotly and a chart at the column's full width, a figure keeps its height and its text and marker
sizes in pixels and stretches horizontally: x positions are percentages of the plot area's width, y positions
pixels. What would change the picture and is not drawn here (another trace type, mode, symbol, shape, dash or
axis type; a hidden or translucent trace; other markup; a colour that is not one) is an error (ValueError), so a
figure cannot silently lose part of itself. What only concerns Plotly's own interaction (hovermode, dragmode,
fixedrange, customdata, meta) or its page (backgrounds, the title's and legend's exact placement) is not read.

The figure and its traces are drawn here; its axes (ticks, grid, titles, a colour bar) in svg_axes.py; its text and
attributes, escaped and checked, in svg_text.py; a heatmap's picture in raster.py.
"""
from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from . import colors, raster
from .notation import subscript, superscript
from .plot_text import LINE, THEME
from .svg_axes import Frame, axes, colorbar
from .svg_text import TAG, attrs, checked_color, element_id, inline_html, short, text_label

_NUMBER = r"-?[0-9.]+(?:e-?[0-9]+)?"
_SEGMENTS = re.compile(rf"(\s*M\s*{_NUMBER},{_NUMBER}\s*L\s*{_NUMBER},{_NUMBER})*\s*")
_MODE_FLAGS = frozenset({"lines", "markers", "text"})   # a trace's mode: some of these, joined by "+"
HOVER_REACH = 10   # px: the least radius of an invisible marker that only carries a tooltip (Plotly's reach is 20)
TEXT_GAP = 2       # px between a marker and the text under it


def show(fig: go.Figure | dict) -> None:
    """Draw the diagram in the page, at the width of its column. Through st.markdown: st.html's sanitiser drops SVG.
    The HTML is built here from the figure builders' own labels and numbers: every text and attribute escaped, every
    colour checked, any markup but <b>, <br>, <sub>, <sup> and <span style> refused."""
    st.markdown(to_html(fig), unsafe_allow_html=True)


def _encoded(value) -> bool:
    """Whether a value is a NumPy array as Plotly's figure dicts hold one: {"dtype", "bdata"} (base64 of its bytes,
    and a "shape" for more than one dimension)."""
    return isinstance(value, dict) and "bdata" in value


def _decoded(value) -> np.ndarray:
    shape = tuple(int(v) for v in str(value.get("shape", "")).split(",") if v.strip())
    return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape or -1)


def _array(value) -> list:
    """A data array as a list: a list, a NumPy array or Plotly's encoding of one."""
    if _encoded(value):
        return _decoded(value).tolist()
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def _matrix(value) -> np.ndarray:
    """A 2-D data array (a heatmap's z) as floats, None as NaN: nested lists, or Plotly's encoding with its shape."""
    if _encoded(value):
        return _decoded(value).astype(float)
    return np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float)


def _each(value, n: int) -> list:
    """A per-point property: Plotly takes a list (one per point) or one value for every point."""
    if isinstance(value, (list, tuple, np.ndarray)) or _encoded(value):
        return _array(value)
    return [value] * n


def _stroke(line: dict) -> dict:
    """A line's stroke, dashed as Plotly dashes it (drawing.dashStyle: at least 3 px on and off)."""
    width = line.get("width", 2)
    on = max(width, 3)
    dashes = {"dot": f"{short(on)} {short(on)}", "dash": f"{short(3 * on)} {short(3 * on)}",
              "dashdot": f"{short(3 * on)} {short(on)} {short(on)} {short(on)}", None: None, "solid": None}
    if line.get("dash") not in dashes:
        raise ValueError(f"unsupported dash: {line.get('dash')!r}")
    return dict(stroke=checked_color(line.get("color", colors.INK)), stroke_width=short(width),
                stroke_dasharray=dashes[line.get("dash")])


def _missing(*values) -> bool:
    """A point Plotly leaves out: None or a number that is not finite (NaN, an infinite loss)."""
    return any(v is None or not math.isfinite(v) for v in values)


def _runs(xs: Sequence, ys: Sequence) -> list[list[tuple[float, float]]]:
    """The points of a line in runs, broken where a point is missing."""
    runs, run = [], []
    for x, y in zip(xs, ys):
        if _missing(x, y):
            runs, run = runs + [run] if run else runs, []
        else:
            run.append((x, y))
    return runs + [run] if run else runs


def _lines_svg(fr: Frame, xs, ys, line: dict) -> str:
    """A line trace or path: each two-point run a <line>; a longer run one path, so that its dashes run on along it
    and its joins are joined. x being a percentage of the width, the path sits in an SVG whose units are percentages
    across and pixels down, stretched to the plot area, its stroke (and dashes) kept in screen pixels."""
    paint = _stroke(line)
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


def _path_points(path: str) -> tuple[list, list]:
    """The x, y lists (with None between segments) of a path of "M x,y L x,y" segments (plot_text.path)."""
    if not _SEGMENTS.fullmatch(path):
        raise ValueError(f"unsupported path (straight \"M x,y L x,y\" segments only): {path[:80]!r}")
    numbers = [float(v) for v in re.findall(_NUMBER, path)]   # x0, y0, x1, y1 of each segment in turn
    xs, ys = [], []
    for i in range(0, len(numbers), 4):
        xs += [numbers[i], numbers[i + 2], None]
        ys += [numbers[i + 1], numbers[i + 3], None]
    return xs, ys


def _shape(fr: Frame, shape: dict) -> str:
    if ((shape.get("xref", "x"), shape.get("yref", "y")) != ("x", "y") or shape.get("opacity", 1) != 1
            or shape.get("layer", "above") not in ("above", "below")):
        raise ValueError(f"unsupported shape: opaque, in data coordinates, above or below the traces ({shape})")
    if shape.get("type") == "path":
        return _lines_svg(fr, *_path_points(shape["path"]), shape.get("line", {}))
    if shape.get("type") == "rect" and shape.get("xsizemode") == "pixel" and shape.get("ysizemode") == "pixel":
        line = shape.get("line", {})
        x0, x1, y0, y1 = shape["x0"], shape["x1"], shape["y0"], shape["y1"]
        width = line.get("width", 0)
        place = attrs(x=fr.x(shape["xanchor"]), y=short(fr.y(shape["yanchor"]) - y1), width=short(x1 - x0),
                      height=short(y1 - y0), transform=f"translate({short(x0)} 0)",
                      fill=checked_color(shape.get("fillcolor", "none")),
                      stroke=checked_color(line["color"]) if width else None,
                      stroke_width=short(width) if width else None)
        if x1 < x0 or y1 < y0 or line.get("dash") not in (None, "solid"):
            raise ValueError(f"unsupported rect: x0 <= x1, y0 <= y1, a solid border ({shape})")
        return f"<rect{place}/>"
    raise ValueError(f"unsupported shape: {shape.get('type')} {shape.get('xsizemode')}")


def _tooltip(hover: str | None) -> str:
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
_SYMBOL_PATHS = MappingProxyType({"diamond": _diamond, "triangle-up": _triangle_up, "x": _cross})


def _marker_fill(trace: dict) -> str:
    """A trace's marker colour: its own, or as Plotly, on a line the line's colour."""
    lines = "lines" in trace.get("mode", "").split("+")
    line_color = trace.get("line", {}).get("color", colors.INK) if lines else colors.INK
    return trace.get("marker", {}).get("color", line_color)


def _marker(x: str, y: float, size: float, symbol: str, fill: str, line_color: str | None, line_width: float,
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
    tip = _tooltip(hover)
    if hover and opacity == 0:   # only there to be pointed at: easier to find than its drawn size
        size = max(size, 2 * HOVER_REACH)
    if base == "circle":
        return f"<circle{attrs(cx=x, cy=short(y), r=short(size / 2), **paint)}>{tip}</circle>"
    if base == "square":
        place = attrs(x=x, y=short(y - size / 2), width=short(size), height=short(size),
                      transform=f"translate({short(-size / 2)} 0)", **paint)
        return f"<rect{place}>{tip}</rect>"
    if base in _SYMBOL_PATHS:   # drawn about its point: an SVG placed there, its origin the point
        outline = _SYMBOL_PATHS[base](size / 2)
        return (f"<svg{attrs(x=x, y=short(y), overflow='visible')}><path{attrs(d=outline, **paint)}>{tip}</path>"
                "</svg>")
    raise ValueError(f"unsupported marker symbol: {symbol!r}")


def _arrows(fr: Frame, trace: dict, defs: dict[tuple, tuple[str, str]]) -> str:
    """Arrowheads pointing along each segment from the previous point, `standoff` pixels short of the point: SVG
    markers at the end of an unstroked line, which the browser turns with the line whatever the column's width."""
    marker = trace["marker"]
    if marker.get("angleref") != "previous":
        raise ValueError(f"unsupported arrow: pointing along the segment from the previous point only ({marker})")
    xs, ys = _array(trace["x"]), _array(trace["y"])
    n = len(xs)
    sizes, standoffs = _each(marker.get("size", 6), n), _each(marker.get("standoff", 0), n)
    color = checked_color(marker.get("color", colors.INK))
    out = []
    for i in range(1, n):
        if not sizes[i] or _missing(xs[i - 1], ys[i - 1], xs[i], ys[i]):
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


def _trace(fr: Frame, trace: dict, defs: dict) -> str:
    if trace.get("visible", True) is not True or trace.get("opacity", 1) != 1:
        raise ValueError(f"unsupported trace: visible and opaque only ({trace.get('visible')}, {trace.get('opacity')})")
    if trace.get("type") == "heatmap":
        return _heatmap(fr, trace)
    if (trace.get("type", "scatter") != "scatter" or not isinstance(trace.get("mode"), str)
            or not set(trace["mode"].split("+")) <= _MODE_FLAGS):
        raise ValueError(f"unsupported trace: {trace.get('type')} {trace.get('mode')} (a scatter with its mode given)")
    xs, ys = _array(trace.get("x", [])), _array(trace.get("y", []))
    if fr.y_log:   # as Plotly, a value a log axis cannot show is left out
        ys = [None if y is None or y <= 0 else y for y in ys]
    mode = trace["mode"].split("+")
    out = []
    if "lines" in mode:
        out.append(_lines_svg(fr, xs, ys, trace.get("line", {})))
    marker = trace.get("marker", {})
    if "markers" in mode and marker.get("symbol") == "arrow":
        out.append(_arrows(fr, trace, defs))
    elif "markers" in mode:
        n = len(xs)
        sizes, fills = _each(marker.get("size", 6), n), _each(_marker_fill(trace), n)
        line = marker.get("line", {})
        edge, edge_w = _each(line.get("color"), n), _each(line.get("width", 0), n)
        hover = _each(trace.get("hovertext"), n) if trace.get("hoverinfo") == "text" else [None] * n
        out += [_marker(fr.x(x), fr.y(y), s, marker.get("symbol", "circle"), f, c, w, marker.get("opacity", 1), h)
                for x, y, s, f, c, w, h in zip(xs, ys, sizes, fills, edge, edge_w, hover) if not _missing(x, y)]
    if "text" in mode:
        n = len(xs)
        font = trace.get("textfont", {})
        sizes, fills = _each(font.get("size", fr.font), n), _each(font.get("color", colors.INK), n)
        position = trace.get("textposition", "middle center")
        if position not in ("middle center", "bottom center"):
            raise ValueError(f"unsupported text position: {position!r}")
        under = position == "bottom center"
        gaps = _each(marker.get("size", 6) if "markers" in mode else 0, n) if under else [None] * n
        out += [text_label(fr.x(x), fr.y(y), text, s, c, below=None if gap is None else gap / 2 + TEXT_GAP)
                for x, y, text, s, c, gap in zip(xs, ys, _each(trace.get("text", ""), n), sizes, fills, gaps)
                if not _missing(x, y) and text]
    return "".join(out)


def _heatmap(fr: Frame, trace: dict) -> str:
    """A heatmap as one image over its cells' extent (raster.py): x and y evenly spaced and increasing, a colour scale
    of [position, "#RRGGBB"] with zmin and zmax given, each cell a block of its colour, a value that is not finite
    left empty. Text in the cells, gaps between them, smoothing and hover values are not drawn (refused, and the
    last not read)."""
    drawn_apart = sorted(k for k in ("text", "texttemplate", "xgap", "ygap", "zsmooth") if trace.get(k))
    scale = trace.get("colorscale")
    if (drawn_apart or fr.y_log or not isinstance(scale, (list, tuple))
            or None in (trace.get("zmin"), trace.get("zmax"))):
        raise ValueError(f"unsupported heatmap: {drawn_apart or 'a colour scale as a list, zmin and zmax given'}")
    z = _matrix(trace["z"])
    xs, ys = np.array(_array(trace["x"]), float), np.array(_array(trace["y"]), float)
    steps = np.diff(xs), np.diff(ys)
    if (z.shape != (len(ys), len(xs)) or min(len(xs), len(ys)) < 2
            or not all(np.allclose(d, d[0]) and d[0] > 0 for d in steps)):
        raise ValueError(f"unsupported heatmap: x and y evenly spaced and increasing, z {len(ys)} x {len(xs)}")
    (dx, dy) = steps[0][0], steps[1][0]
    left, right, bottom, top = xs[0] - dx / 2, xs[-1] + dx / 2, ys[0] - dy / 2, ys[-1] + dy / 2
    image = raster.colored(z, scale, trace["zmin"], trace["zmax"])[::-1]   # the image's first row is the top one
    place = attrs(href=raster.data_url(image), x=fr.x(left), y=short(fr.y(top)),
                  width=f"{short(100 * (right - left) / (fr.x1 - fr.x0))}%", height=short(fr.y(bottom) - fr.y(top)),
                  preserveAspectRatio="none", style="image-rendering:pixelated")
    return f"<image{place}/>"


def _swatch(trace: dict, size: float) -> str:
    """A legend entry's picture: a line trace's line (with its marker in the middle), a marker drawn as on the chart,
    or for a circle or a square, a box of the marker's colour."""
    marker = trace.get("marker", {})
    symbol, mode = marker.get("symbol", "circle"), trace.get("mode", "").split("+")
    lines = "lines" in mode
    if lines or symbol.removesuffix("-open") in _SYMBOL_PATHS:
        width, middle = (2.5 if lines else 1) * size, size / 2
        stroke = _stroke(trace.get("line", {}))
        drawn = f"<line{attrs(x1=0, y1=short(middle), x2=short(width), y2=short(middle), **stroke)}/>" if lines else ""
        if "markers" in mode:
            edge = marker.get("line", {})
            drawn += _marker("50%", middle, min(_each(marker.get("size", 6), 1)[0], size), symbol, _marker_fill(trace),
                             _each(edge.get("color"), 1)[0], _each(edge.get("width", 0), 1)[0], 1, None)
        return (f'<svg{attrs(width=short(width), height=short(size))} style="vertical-align:middle;overflow:visible;'
                f'margin-right:0.4em">{drawn}</svg>')
    color = checked_color(_each(marker.get("color", colors.INK), 1)[0])
    edge = marker.get("line", {})
    # the box's border: the marker's outline where it draws one (a pending point: white, its outline grey)
    border = checked_color(edge["color"]) if isinstance(edge.get("color"), str) and edge.get("width") else color
    open_ = symbol.endswith("-open")
    style = (f"display:inline-block;width:{short(0.8 * size)}px;height:{short(0.8 * size)}px;"
             f"box-sizing:border-box;border:2px solid {border};background:{'white' if open_ else color};"
             f"border-radius:{'50%' if symbol.startswith('circle') else '1px'};margin-right:0.4em")
    return f'<span style="{style}"></span>'


def _legend(fr: Frame, data: list[dict], layout: dict) -> str:
    # as Plotly: unless the layout says, a legend is shown when more than one trace would be in it (a heatmap is in
    # it only if it says so)
    data = [trace for trace in data if trace.get("showlegend", trace.get("type") != "heatmap")]
    if not layout.get("showlegend", len(data) > 1):
        return ""
    size = layout.get("legend", {}).get("font", {}).get("size", fr.font)
    items = [f'<span style="white-space:nowrap">{_swatch(trace, size)}{inline_html(trace["name"])}</span>'
             for trace in data if trace.get("name")]
    if not items:
        return ""
    return (f'<div style="position:absolute;left:0;right:0;bottom:4px;display:flex;flex-wrap:wrap;'
            f'column-gap:{short(1.5 * size)}px;row-gap:4px;align-items:center;font-size:{short(size)}px;'
            f'line-height:1.3">{"".join(items)}</div>')


def to_html(fig: go.Figure | dict) -> str:
    """The figure as one HTML element: a block of the figure's height, its title and legend as HTML, and the plot
    area as an SVG that fills the column's width between the margins."""
    spec = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    data, layout = list(spec.get("data", [])), dict(spec.get("layout", {}))
    unsupported = sorted(key for key in ("annotations", "images", "sliders", "updatemenus") if layout.get(key))
    if unsupported:
        raise ValueError(f"unsupported in a diagram: {unsupported}")
    fr = Frame(layout)
    shapes = layout.get("shapes", [])
    defs: dict[tuple, tuple[str, str]] = {}
    data_layer = "".join(_shape(fr, s) for s in shapes if s.get("layer", "above") == "below")
    data_layer += "".join(_trace(fr, trace, defs) for trace in data)
    data_layer += "".join(_shape(fr, s) for s in shapes if s.get("layer", "above") != "below")
    under, around = axes(fr, layout)
    if layout.get("yaxis", {}).get("visible", True) is not False:
        # a chart: as Plotly, what lies beyond the axes' ranges is cut off at the plot area's edges
        data_layer = f'<svg{attrs(width="100%", height=short(fr.plot_h), overflow="hidden")}>{data_layer}</svg>'
        background = layout.get("plot_bgcolor", "white")
        if background.lower() not in ("white", "#ffffff", "#fff"):
            under = f"<rect{attrs(width='100%', height=short(fr.plot_h), fill=checked_color(background))}/>" + under
    around += "".join(colorbar(fr, trace, defs) for trace in data
                      if trace.get("type") == "heatmap" and trace.get("showscale", True))
    body = under + data_layer + around
    marker_defs = "<defs>" + "".join(d for _, d in defs.values()) + "</defs>" if defs else ""

    title = layout.get("title", {})
    title = title if isinstance(title, dict) else {"text": title}
    heading, aria = "", ""
    if title.get("text"):
        size = title.get("font", {}).get("size", THEME["title"])
        heading = (f'<div class="bp-diagram-title" style="position:absolute;left:0;top:8px;font-size:{short(size)}px;'
                   f'font-weight:600;line-height:{LINE}">{inline_html(title["text"])}</div>')
        aria = f' role="img" aria-label="{html.escape(" ".join(TAG.sub(" ", title["text"]).split()), quote=True)}"'
    if fr.width is None:   # the column's width between the margins
        left, width = f"{short(fr.l)}px", f"calc(100% - {short(fr.l + fr.r)}px)"
    else:   # y tied to x's scale: as wide as that makes it, centred there (Plotly's constraintoward); in a column too
            # narrow for it, the column's width (x then squeezed a little, rather than the picture cut off)
        left = f"calc({short(fr.l)}px + max(0px, (100% - {short(fr.l + fr.r + fr.width)}px) / 2))"
        width = f"min({short(fr.width)}px, calc(100% - {short(fr.l + fr.r)}px))"
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" style="position:absolute;left:{left};top:{short(fr.t)}px;'
           f'width:{width};height:{short(fr.plot_h)}px;overflow:visible">'
           f"{marker_defs}{body}</svg>")
    return (f'<div class="bp-diagram"{aria} style="position:relative;'
            f'height:{short(fr.height)}px;color:{colors.INK};background:white">{heading}{svg}'
            f"{_legend(fr, data, layout)}</div>")

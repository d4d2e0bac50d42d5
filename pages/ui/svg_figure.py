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
  says or more than one trace would be in it; under the figure, or just above the plot when placed at its top),
  notes on the plot area ("paper" annotations without an arrow: text in a padded, bordered box) and shapes: "path"
  shapes of straight segments; "rect" shapes between two data points (or over the panel's height: y "domain"),
  dashed or see-through, and "rect" shapes sized in pixels around a data point (plot_text.text_box);
- panels side by side (make_subplots' one row: "xaxis2" and "yaxis2" with their domains), each its own axes;
- the axes: linear, or a log y axis, always with their range given (in powers of ten on a log axis, as Plotly's; a
  reversed range counts down, as a matrix's rows). A hidden y axis makes a diagram; a shown one a chart, whose data
  is cut off at the plot area's edges and whose axes draw tick labels (the tickvals and ticktext given, or Plotly's
  automatic steps of 1, 2 or 5 times a power of ten, with its SI prefix from a thousand up; on a log axis
  10<sup>k</sup>, or 1, 2 and 5 times the powers of ten within a decade), grid lines, a zero line and titles; an x
  axis under the plot or on its top. A diagram's x axis may show tick labels;
- scatter traces whose mode is some of "lines", "markers" and "text": lines broken by None or a value that is not
  finite (a line of more than two points is one path, so that its dashes run on); markers "circle", "square",
  "diamond", "triangle-up", "x" (and "-open"), and "arrow" pointing along the segment from the previous point,
  standing off from the point by `marker.standoff` pixels; text in Plotly's pseudo-HTML (<b>, <br>, <sub>, <sup>,
  <span style>), centred on its point or below its marker; `hovertext` with `hoverinfo="text"`, or a
  `hovertemplate`, as a tooltip. Data arrays may be lists or NumPy arrays as Plotly writes them ({"dtype", "bdata"});
- bar traces (svg_bars.py) and heatmaps with their colour bars, gaps and numbers in the cells (svg_traces.py).

As with Plotly and a chart at the column's full width, a figure keeps its height and its text and marker
sizes in pixels and stretches horizontally: x positions are percentages of the plot area's width, y positions
pixels. What would change the picture and is not drawn here (another trace type, mode, symbol, shape, dash or
axis type; a hidden or translucent trace; other markup; a colour that is not one) is an error (ValueError), so a
figure cannot silently lose part of itself. What only concerns Plotly's own interaction (hovermode, dragmode,
fixedrange, customdata, meta) or its page (backgrounds, the title's and legend's exact placement) is not read.

The figure, its panels, shapes, notes and legend are drawn here; its traces in svg_traces.py and svg_bars.py; its axes
(ticks, grid, titles, a colour bar) in svg_axes.py; its text and attributes, escaped and checked, in svg_text.py; a
heatmap's picture in raster.py.
"""
from __future__ import annotations

import html
import re

import plotly.graph_objects as go
import streamlit as st

from . import colors, svg_bars
from .plot_text import LINE, THEME
from .svg_axes import Frame, axes, colorbar
from .svg_text import TAG, attrs, checked_color, inline_html, short
from .svg_traces import SYMBOL_PATHS, each, lines_svg, marker_fill, marker_svg, stroke_attrs, trace_svg

_NUMBER = r"-?[0-9.]+(?:e-?[0-9]+)?"
_SEGMENTS = re.compile(rf"(\s*M\s*{_NUMBER},{_NUMBER}\s*L\s*{_NUMBER},{_NUMBER})*\s*")
_AXIS = re.compile(r"xaxis(\d*)")


def show(fig: go.Figure | dict) -> None:
    """Draw the diagram in the page, at the width of its column. Through st.markdown: st.html's sanitiser drops SVG.
    The HTML is built here from the figure builders' own labels and numbers: every text and attribute escaped, every
    colour checked, any markup but <b>, <br>, <sub>, <sup> and <span style> refused."""
    st.markdown(to_html(fig), unsafe_allow_html=True)


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
    """A layout shape in the panel's data coordinates: a path of straight segments; a rectangle between two data
    points (its y "domain": the panel's height), outlined, dashed or see-through as Plotly's; or one sized in
    pixels about a data point (plot_text.text_box)."""
    if shape.get("layer", "above") not in ("above", "below"):
        raise ValueError(f"unsupported shape: above or below the traces ({shape})")
    if shape.get("type") == "path":
        if shape.get("opacity", 1) != 1:
            raise ValueError(f"unsupported path shape: opaque only ({shape})")
        return lines_svg(fr, *_path_points(shape["path"]), shape.get("line", {}))
    if shape.get("type") != "rect":
        raise ValueError(f"unsupported shape: {shape.get('type')}")
    line = shape.get("line", {})
    width = line.get("width", 2)   # Plotly's outline of a shape: 2 px
    paint = dict(fill=checked_color(shape.get("fillcolor", "none")),
                 opacity=short(shape["opacity"]) if shape.get("opacity", 1) != 1 else None,
                 **(stroke_attrs(line) if width else {}))
    x0, x1, y0, y1 = shape["x0"], shape["x1"], shape["y0"], shape["y1"]
    if shape.get("xsizemode") == "pixel" and shape.get("ysizemode") == "pixel":
        if x1 < x0 or y1 < y0 or line.get("dash") not in (None, "solid"):
            raise ValueError(f"unsupported rect: x0 <= x1, y0 <= y1, a solid border ({shape})")
        place = attrs(x=fr.x(shape["xanchor"]), y=short(fr.y(shape["yanchor"]) - y1), width=short(x1 - x0),
                      height=short(y1 - y0), transform=f"translate({short(x0)} 0)", **paint)
        return f"<rect{place}/>"
    if (shape.get("xsizemode", "scaled") != "scaled" or shape.get("ysizemode", "scaled") != "scaled"
            or shape.get("xref", "x").endswith(" domain")):
        raise ValueError(f"unsupported rect: sized in data or in pixels, x in data ({shape})")
    if shape.get("yref", "y").endswith(" domain"):   # a fraction of the panel's height, from its bottom
        top, bottom = sorted(fr.plot_h * (1 - v) for v in (y0, y1))
    else:
        top, bottom = sorted(fr.y(v) for v in (y0, y1))
    place = attrs(x=fr.x(min(x0, x1)), y=short(top), width=f"{short(100 * abs(x1 - x0) / abs(fr.x1 - fr.x0))}%",
                  height=short(bottom - top), **paint)
    return f"<rect{place}/>"


_NOTE_KEYS = frozenset({"text", "x", "y", "xref", "yref", "xanchor", "yanchor", "showarrow", "font", "bgcolor",
                        "bordercolor", "borderwidth", "borderpad"})


def _plot_area(fr: Frame) -> tuple[str, str]:
    """CSS for where the plot area lies across the figure: its left edge and its width, the column's less the
    margins (Plotly's "paper")."""
    return f"{short(fr.l)}px", f"calc(100% - {short(fr.l + fr.r)}px)"


def _annotation(note: dict, fr: Frame) -> str:
    """A note placed on the figure's plot area ("paper": 0 to 1 across and up it, the whole area between the
    margins), without an arrow, as HTML: its anchor (Plotly's "auto": by the third of the plot it is in) at the
    point, its box padded and bordered. Any other property of a note is refused."""
    if ((note.get("xref"), note.get("yref")) != ("paper", "paper") or note.get("showarrow", True)
            or not set(note) <= _NOTE_KEYS):
        raise ValueError(f"unsupported annotation: on the plot area (\"paper\"), without an arrow, with "
                         f"{sorted(_NOTE_KEYS)} only ({note})")
    x, y = note.get("x", 0.5), note.get("y", 0.5)
    xanchor, yanchor = note.get("xanchor", "auto"), note.get("yanchor", "auto")
    if xanchor == "auto":
        xanchor = "left" if x < 1 / 3 else "right" if x > 2 / 3 else "center"
    if yanchor == "auto":
        yanchor = "bottom" if y < 1 / 3 else "top" if y > 2 / 3 else "middle"
    left, width = _plot_area(fr)
    shift = ({"left": "0", "center": "-50%", "right": "-100%"}[xanchor],
             {"top": "0", "middle": "-50%", "bottom": "-100%"}[yanchor])
    font = note.get("font", {})
    border, pad = note.get("borderwidth", 1), note.get("borderpad", 1)
    edge = f"border:{short(border)}px solid {checked_color(note['bordercolor'])};" if note.get("bordercolor") else ""
    style = (f"position:absolute;left:calc({left} + {short(x, 4)} * {width});top:{short(fr.t + fr.plot_h * (1 - y))}px;"
             f"transform:translate({shift[0]}, {shift[1]});white-space:nowrap;text-align:center;"
             f"font-size:{short(font.get('size', fr.font))}px;line-height:{LINE};"
             f"color:{checked_color(font.get('color', colors.INK))};padding:{short(pad)}px;{edge}"
             f"background:{checked_color(note.get('bgcolor', 'rgba(0,0,0,0)'))}")
    return f'<div class="bp-note" style="{style}">{inline_html(note.get("text", ""))}</div>'


def _swatch(trace: dict, size: float) -> str:
    """A legend entry's picture: a line trace's line (with its marker in the middle), a marker drawn as on the chart,
    or for a circle or a square, a box of the marker's colour (a bar's: square, hatched as the bar)."""
    marker = trace.get("marker", {})
    symbol, mode = marker.get("symbol", "circle"), trace.get("mode", "").split("+")
    lines = "lines" in mode
    if lines or symbol.removesuffix("-open") in SYMBOL_PATHS:
        width, middle = (2.5 if lines else 1) * size, size / 2
        stroke = stroke_attrs(trace.get("line", {}))
        drawn = f"<line{attrs(x1=0, y1=short(middle), x2=short(width), y2=short(middle), **stroke)}/>" if lines else ""
        if "markers" in mode:
            edge = marker.get("line", {})
            drawn += marker_svg("50%", middle, min(each(marker.get("size", 6), 1)[0], size), symbol, marker_fill(trace),
                             each(edge.get("color"), 1)[0], each(edge.get("width", 0), 1)[0], 1, None)
        return (f'<svg{attrs(width=short(width), height=short(size))} style="vertical-align:middle;overflow:visible;'
                f'margin-right:0.4em">{drawn}</svg>')
    color = checked_color(each(marker.get("color", colors.INK), 1)[0])
    edge = marker.get("line", {})
    # the box's border: the marker's outline where it draws one (a pending point: white, its outline grey)
    border = checked_color(edge["color"]) if isinstance(edge.get("color"), str) and edge.get("width") else color
    background = "white" if symbol.endswith("-open") else color
    if trace.get("type") == "bar" and (marker.get("pattern") or {}).get("shape"):   # its "/" hatching
        stripes = checked_color(marker["pattern"].get("fgcolor", colors.INK))
        background = f"repeating-linear-gradient(-45deg, {color} 0 3px, {stripes} 3px 5px)"
    round_ = symbol.startswith("circle") and trace.get("type") != "bar"
    style = (f"display:inline-block;width:{short(0.8 * size)}px;height:{short(0.8 * size)}px;"
             f"box-sizing:border-box;border:2px solid {border};background:{background};"
             f"border-radius:{'50%' if round_ else '1px'};margin-right:0.4em")
    return f'<span style="{style}"></span>'


def _legend(fr: Frame, data: list[dict], layout: dict) -> str:
    """The legend, as HTML: under the figure, or where the layout puts it at the plot's top (y 1 or more, in the
    plot's fractions) just above the plot area, at its right end with xanchor "right"."""
    # as Plotly: unless the layout says, a legend is shown when more than one trace would be in it (a heatmap is in
    # it only if it says so)
    data = [trace for trace in data if trace.get("showlegend", trace.get("type") != "heatmap")]
    if not layout.get("showlegend", len(data) > 1):
        return ""
    legend = layout.get("legend", {})
    size = legend.get("font", {}).get("size", fr.font)
    items = [f'<span style="white-space:nowrap">{_swatch(trace, size)}{inline_html(trace["name"])}</span>'
             for trace in data if trace.get("name")]
    if not items:
        return ""
    place = "left:0;right:0;bottom:4px"
    if legend.get("yref", "paper") == "paper" and legend.get("y", 0) >= 1:
        side = f"right:{short(fr.r)}px;justify-content:flex-end" if legend.get("xanchor") == "right" else \
            f"left:{short(fr.l)}px"
        place = f"{side};bottom:calc(100% - {short(fr.t)}px)"
    return (f'<div style="position:absolute;{place};display:flex;flex-wrap:wrap;'
            f'column-gap:{short(1.5 * size)}px;row-gap:4px;align-items:center;font-size:{short(size)}px;'
            f'line-height:1.3">{"".join(items)}</div>')


def _panels(layout: dict) -> list[Frame]:
    """The figure's panels side by side, one per x axis ("xaxis", "xaxis2", ...) with its y axis."""
    suffixes = sorted((m.group(1) for key in layout if (m := _AXIS.fullmatch(key))), key=lambda s: int(s or 1))
    return [Frame(layout, suffix) for suffix in suffixes or [""]]


def _on(fr: Frame, item: dict, what: str) -> bool:
    """Whether a trace or (`what` "shape") a shape is drawn in panel `fr`; refused if its y is another panel's."""
    xref, yref = (item.get("xref", "x"), item.get("yref", "y")) if what == "shape" else \
        (item.get("xaxis", "x"), item.get("yaxis", "y"))
    x_of, y_of = xref.split(" ")[0], yref.split(" ")[0]
    if x_of != "x" + fr.xname[5:]:
        return False
    if y_of != "y" + fr.yname[5:]:
        raise ValueError(f"unsupported {what}: its x and y axes of different panels ({xref}, {yref})")
    return True


def _uniform_fit(panels: list[Frame], data: list[dict], layout: dict) -> float | None:
    """With the layout's uniformtext, the one fit factor of every bar's text (svg_bars.py): the widest's."""
    uniform = layout.get("uniformtext") or {}
    if not uniform.get("mode"):
        return None
    if uniform["mode"] != "hide":
        raise ValueError(f"unsupported uniformtext: mode \"hide\" ({uniform})")
    factors = [svg_bars.least_fit(fr, trace, layout) for fr in panels for trace in data
               if trace.get("type") == "bar" and _on(fr, trace, "trace")]
    return min((f for f in factors if f is not None), default=None)


def _panel(fr: Frame, data: list[dict], layout: dict, defs: dict, rules: dict, uniform: float | None) -> str:
    """One panel: its shapes and traces in its plot area, cut off at its edges if it is a chart, its axes and colour
    bars around; in an SVG over its share of the plot area's width when it has a share."""
    shapes = [s for s in layout.get("shapes", []) if _on(fr, s, "shape")]
    data = [trace for trace in data if _on(fr, trace, "trace")]
    bar_traces = [trace for trace in data if trace.get("type") == "bar"]
    if len(bar_traces) > 1 and layout.get("barmode", "group") != "overlay":
        raise ValueError(f"unsupported bars: one trace a panel, or barmode \"overlay\" ({layout.get('barmode')})")
    data_layer = "".join(_shape(fr, s) for s in shapes if s.get("layer", "above") == "below")
    bar_text = ""
    for trace in data:
        if trace.get("type") == "bar":
            drawn, text = svg_bars.bars(fr, trace, layout, defs, rules, uniform)
            if trace.get("cliponaxis", True):   # as Plotly, cut off at the plot area's edges with the bars
                drawn, text = drawn + text, ""
            data_layer, bar_text = data_layer + drawn, bar_text + text
        else:
            data_layer += trace_svg(fr, trace, defs)
    data_layer += "".join(_shape(fr, s) for s in shapes if s.get("layer", "above") != "below")
    under, around = axes(fr, layout)
    if layout.get(fr.yname, {}).get("visible", True) is not False:
        # a chart: as Plotly, what lies beyond the axes' ranges is cut off at the plot area's edges
        data_layer = f'<svg{attrs(width="100%", height=short(fr.plot_h), overflow="hidden")}>{data_layer}</svg>'
        if fr.background.lower() not in ("white", "#ffffff", "#fff"):
            under = f"<rect{attrs(width='100%', height=short(fr.plot_h), fill=fr.background)}/>" + under
    scales = [trace for trace in data if trace.get("type") == "heatmap" and trace.get("showscale", True)]
    if scales and fr.domain[1] != 1:   # Plotly's colour bar is right of the whole plot area, not between panels
        raise ValueError(f"unsupported colour bar: on a heatmap of the rightmost panel only ({fr.xname})")
    around += "".join(colorbar(fr, trace, defs) for trace in scales)
    body = under + data_layer + bar_text + around
    if fr.domain == (0, 1):
        return body
    d0, d1 = fr.domain
    place = attrs(x=f"{short(100 * d0, 3)}%", width=f"{short(100 * (d1 - d0), 3)}%", height=short(fr.plot_h),
                  overflow="visible")
    return f"<svg{place}>{body}</svg>"


def to_html(fig: go.Figure | dict) -> str:
    """The figure as one HTML element: a block of the figure's height, its title, notes and legend as HTML, and the
    plot area as an SVG that fills the column's width between the margins, its panels side by side in it."""
    spec = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    data, layout = list(spec.get("data", [])), dict(spec.get("layout", {}))
    unsupported = sorted(key for key in ("images", "sliders", "updatemenus") if layout.get(key))
    if unsupported:
        raise ValueError(f"unsupported in a diagram: {unsupported}")
    panels = _panels(layout)
    placed = [(trace, "trace") for trace in data] + [(shape, "shape") for shape in layout.get("shapes", [])]
    for item, what in placed:   # a trace or shape on axes no panel has would be lost
        if not any(_on(fr, item, what) for fr in panels):
            raise ValueError(f"unsupported {what}: on axes the layout does not have ({item})")
    fr = panels[0]   # the margins, height and text size are the figure's
    defs: dict[tuple, tuple[str, str]] = {}
    rules: dict[int, str] = {}   # the container queries that hide bars' texts
    uniform = _uniform_fit(panels, data, layout)
    body = "".join(_panel(panel, data, layout, defs, rules, uniform) for panel in panels)
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
        left, width = _plot_area(fr)
    else:   # y tied to x's scale: as wide as that makes it, centred there (Plotly's constraintoward); in a column too
            # narrow for it, the column's width (x then squeezed a little, rather than the picture cut off)
        left = f"calc({short(fr.l)}px + max(0px, (100% - {short(fr.l + fr.r + fr.width)}px) / 2))"
        width = f"min({short(fr.width)}px, calc(100% - {short(fr.l + fr.r)}px))"
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" style="position:absolute;left:{left};top:{short(fr.t)}px;'
           f'width:{width};height:{short(fr.plot_h)}px;overflow:visible">'
           f"{marker_defs}{body}</svg>")
    notes = "".join(_annotation(note, fr) for note in layout.get("annotations", []))
    # a size container: bars' text is sized to the bars' share of its width (svg_bars.py)
    contained = ";container-type:inline-size" if any(trace.get("type") == "bar" for trace in data) else ""
    hiding = f"<style>{' '.join(rules[w] for w in sorted(rules))}</style>" if rules else ""
    return (f'<div class="bp-diagram"{aria} style="position:relative;'
            f'height:{short(fr.height)}px;color:{colors.INK};background:white{contained}">{hiding}{heading}{svg}'
            f"{notes}{_legend(fr, data, layout)}</div>")

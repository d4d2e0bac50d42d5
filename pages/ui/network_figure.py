"""A diagram of any bp_core.Network at one step of its worked example, as a figure in Plotly's format (drawn in the
page by svg_figure.py).

Layers run left to right, then the loss L. Each unit is a box with its forward values (h, a or y) and,
once the backward pass reaches it, its gradients; each weight is an edge labelled with its value w_kji and,
once computed, its gradient and its updated value. What the steps up to the current one have computed is
shown in colors.FORWARD (values) and colors.GRADIENT (gradients, every one marked with "∂"); what is still
to come is grey, with "?" in place of a number. The ids a step touches (Step.touches: "x1", "h21", "a21",
"w311", "L"; "x", "h2", "w3" in a single-node chain) are highlighted. Biases are not drawn.

Nothing here computes: every number is read from the trace.

Built without Plotly annotations (see plot_text.py), which cost up to 0.8 s of the browser's time per step
on the largest network when Plotly drew the diagrams: edges and boxes are layout shapes, the labels two text traces
on top.

In normal mode the layers sit one unit of the x axis apart, on a page wide enough for them. In projection mode
the picture has half a 1280-pixel screen and its text must be larger: it is laid out in pixels for that column
(_fit), with the largest text that leaves every label clear of every other.
"""
from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import plotly.graph_objects as go

from bp_core.step import sub

from . import colors
from .classroom import CHART_SCALE, PICTURE_HEIGHT, PICTURE_WIDTH
from .i18n import t
from .notation import plain_number
from .plot_text import LEGEND_BELOW, clear, margins, path, text_box, text_size, top_title, unchecked_figure

FORWARD_FILL = "#E3EFF8"     # a light tint of colors.FORWARD: a box whose values are known
HIGHLIGHT_FILL = "#FBF3B0"   # a light tint of colors.HIGHLIGHT: what the current step touches
LINE_PENDING = "#D9D9D9"


@dataclass
class _Known:
    """What the steps up to the current one have computed."""

    h: set[int] = field(default_factory=set)          # layers whose h is known
    a: set[int] = field(default_factory=set)          # layers whose a (or y) is known
    loss: bool = False
    dy: bool = False
    dz: set[int] = field(default_factory=set)
    da: set[int] = field(default_factory=set)
    grads: set[str] = field(default_factory=set)      # weight ids whose gradient is known
    updated: set[int] = field(default_factory=set)    # layers whose W* is known
    loss_after: bool = False


def _idx(chain: bool, *i: int) -> str:
    return "" if chain else sub(*i)


def _weight_ids(net, k: int) -> list[str]:
    chain = net.is_chain
    n_in, n_out = net.weights[k - 1].shape
    return [f"w{k}{_idx(chain, j, i)}" for j in range(1, n_out + 1) for i in range(1, n_in + 1)]


def _known(net, trace, upto: int | None) -> _Known:
    known = _Known()
    N, chain = net.depth, net.is_chain
    steps = trace.steps if upto is None else trace.steps[: upto + 1]
    everything = upto is None
    for step in steps:
        name = step.name
        for k in range(1, N + 1):
            if name == f"h{k}":
                known.h.add(k)
            elif name == ("y" if k == N else f"a{k}"):
                known.a.add(k)
            elif name == f"dz{k}":
                known.dz.add(k)
            elif name == f"dL/da{k}":
                known.da.add(k)
            elif name in (f"dW{k}", f"dL/dw{k}" if chain else None):
                known.grads.update(_weight_ids(net, k))
            elif name in (f"W{k}*", f"w{k}*"):
                known.updated.add(k)
        if name.startswith("dL/dw") and not chain:
            known.grads.add("w" + name[len("dL/dw"):])
        known.loss |= name == "L"
        known.dy |= name == "dL/dy"
        known.loss_after |= name == "L*"
    if everything:
        known.h, known.a = set(range(1, N + 1)), set(range(1, N + 1))
        known.loss = known.dy = True
    return known


def _span(text: str, color: str, bold: bool = False) -> str:
    body = f"<b>{text}</b>" if bold else text
    return f'<span style="color:{color}">{body}</span>'


def _labels(points: list[tuple[float, float, str, str]], size: float, meta: str) -> dict:
    """Texts at (x, y), one trace; customdata holds each one's box fill (the highlight is readable from it)."""
    return dict(type="scatter", x=[p[0] for p in points], y=[p[1] for p in points], text=[p[2] for p in points],
                customdata=[p[3] for p in points], mode="text", textposition="middle center",
                textfont=dict(size=size, color=colors.INK), hoverinfo="skip", showlegend=False,
                cliponaxis=False, meta=meta)


def _line(label: str, value: float | None, color: str) -> str:
    if value is None:
        return _span(f"{label} = ?", colors.PENDING)
    return _span(f"{label} = {plain_number(value)}", color)


def _edges(net) -> Iterable[tuple[int, int, int, str]]:
    """(k, j, i, weight id) of every weight, in drawing order: layer by layer, each unit's inputs in turn."""
    chain = net.is_chain
    for k in range(1, net.depth + 1):
        n_in, n_out = net.weights[k - 1].shape
        for j in range(1, n_out + 1):
            for i in range(1, n_in + 1):
                yield k, j, i, f"w{k}{_idx(chain, j, i)}"


def _unit(net, trace, known: _Known, k: int, j: int) -> tuple[list[str], str, set[str]]:
    """Unit j of layer k (layer 0: the input): its lines, its state (pending, forward, gradient) and its ids."""
    chain, N = net.is_chain, net.depth
    s = _idx(chain, j)
    if k == 0:
        return [_span(f"x<sub>{s}</sub> = {plain_number(trace.x[0, j - 1])}", colors.FORWARD)], "forward", {f"x{s}"}
    h_name = f"h<sub>{k}{s}</sub>"
    a_name = ("y" + (f"<sub>{s}</sub>" if s else "")) if k == N else f"a<sub>{k}{s}</sub>"
    ids = {f"h{k}{s}", f"y{s}" if k == N else f"a{k}{s}"}
    h = float(trace.h[k - 1][0, j - 1]) if k in known.h else None
    a = float(trace.a[k][0, j - 1]) if k in known.a else None
    lines = [_line(h_name, h, colors.FORWARD), _line(a_name, a, colors.FORWARD)]
    if k == N:
        dy = float(trace.dy[0, j - 1]) if known.dy else None
        lines.append(_line(f"∂L/∂{a_name}", dy, colors.GRADIENT))
    elif not chain:
        da = float(trace.da[k][0, j - 1]) if k in known.da else None
        lines.append(_line(f"∂L/∂{a_name}", da, colors.GRADIENT))
    if not chain:
        dz = float(trace.dz[k - 1][0, j - 1]) if k in known.dz else None
        lines.append(_line(f"∂ dz<sub>{k}{s}</sub>", dz, colors.GRADIENT))
    has_grad = (k == N and known.dy) or k in known.da or k in known.dz
    return lines, "gradient" if has_grad else "forward" if h is not None else "pending", ids


def _weight(net, trace, known: _Known, k: int, j: int, i: int, wid: str) -> str:
    """The label of weight w_kji: its value, then its gradient, then its updated value once they are known."""
    name = f"w<sub>{wid[1:]}</sub>"
    lines = [_span(f"{name} = {plain_number(net.weights[k - 1][i - 1, j - 1])}", colors.INK)]
    grad = float(trace.dW[k - 1][i - 1, j - 1]) if wid in known.grads else None
    lines.append(_line("∂", grad, colors.GRADIENT))
    if k in known.updated and trace.updated is not None:
        new = float(trace.updated.weights[k - 1][i - 1, j - 1])
        lines.append(_span(f"{name}* = {plain_number(new)}", colors.FORWARD, bold=True))
    return "<br>".join(lines)


def _loss(trace, known: _Known) -> list[str]:
    lines = [_line("L", float(trace.loss) if known.loss else None, colors.FORWARD)]
    if trace.loss_after is not None:
        lines.append(_line("L*", float(trace.loss_after) if known.loss_after else None, colors.FORWARD))
    return lines


# -- where the picture puts it -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Place:
    """Where the diagram draws: each layer's column and the rows' spacing (unit j of a layer of n sits
    (n - 1) / 2 - (j - 1) rows above `mid`), the loss box, each weight's label (in the order of _edges), the
    size of the labels', the title's and the legend's text, and the figure's height, margins and axes."""

    widths: tuple[int, ...]
    x: tuple[float, ...]
    row: float
    mid: float
    loss: tuple[float, float]
    labels: tuple[tuple[float, float], ...]
    font: float
    title: float
    legend: float
    layout: dict

    def unit(self, k: int, j: int) -> tuple[float, float]:
        return _at(self.widths, self.x, self.row, self.mid, k, j)


def _at(widths, x, row: float, mid: float, k: int, j: int) -> tuple[float, float]:
    return x[k], mid + row * ((widths[k] - 1) / 2 - (j - 1))


def _on_edge(widths, k: int, p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
    """Where the label of an edge p -> q into layer k sits on it: mid-edge when level, nearer the source when
    the edge crosses others (many inputs to many units)."""
    frac = 0.3 if widths[k - 1] > 1 and widths[k] > 1 and p[1] != q[1] else 0.5
    return p[0] + frac * (q[0] - p[0]), p[1] + frac * (q[1] - p[1])


def _normal(net, height: int | None, titled: bool) -> _Place:
    """The layout of normal mode, in units of one layer: the page is wide enough for it."""
    N, widths = net.depth, net.widths
    tallest = max(widths)
    x = tuple(float(k) for k in range(N + 1))
    labels = tuple(_on_edge(widths, k, _at(widths, x, 1.0, 0.0, k - 1, i), _at(widths, x, 1.0, 0.0, k, j))
                   for k, j, i, _ in _edges(net))
    top = (tallest - 1) / 2
    pad = 0.55 if tallest == 1 else 0.42
    return _Place(widths, x, 1.0, 0.0, (N + 0.65, 0.0), labels, 15 if tallest == 1 else 12, 15, 12, dict(
        height=height or (210 if tallest == 1 else 140 + 160 * tallest),
        margin=margins(10, 10, 40 if titled else 10, 40),
        xaxis=dict(visible=False, range=[-0.3, N + 0.95], fixedrange=True),
        yaxis=dict(visible=False, range=[-top - pad, top + pad], fixedrange=True),
        legend=dict(LEGEND_BELOW, font=dict(size=12)),
    ))


# The projected layout, in pixels: the space around a unit's text (and room for its widest border, a
# highlighted unit's), around a weight's text, kept between any two boxes and the picture's edge, and the least
# length of an edge left showing between two columns of boxes.
PAD, LABEL_PAD, BORDER, SPACE, EDGE = 5, 2, 3, 4, 16
MARGIN = 10      # the figure's left and right margins
STEP = 4         # pixels by which the rows move apart while the layout looks for room


def fits_projection(net, trace, title: str = "") -> bool:
    """Whether projection mode can draw this network (under this title) with its text at least its normal size
    and no two labels overlapping (a network too large for that is better shown by a simpler picture)."""
    return _projected(net, trace, title) is not None


def _projected(net, trace, title: str) -> _Place | None:
    """The layout of projection mode: the text as large as fits, up to CHART_SCALE times its normal size, in the
    picture's column (PICTURE_WIDTH pixels) with no two boxes overlapping; None when even normal size does not
    fit. Sized from the labels of the whole worked example (the widest), so that nothing moves from step to step."""
    full = _known(net, trace, None)
    units = tuple("<br>".join(_unit(net, trace, full, k, j)[0]) for k in range(net.depth + 1)
                  for j in range(1, net.widths[k] + 1))
    weights = tuple(_weight(net, trace, full, *edge) for edge in _edges(net))
    legend = tuple(t(f"network_figure.legend.{key}") for key in ("forward", "gradient", "pending", "highlight"))
    return _pack(net.widths, units, weights, "<br>".join(_loss(trace, full)), legend, title)


@functools.lru_cache(maxsize=256)
def _pack(widths: tuple[int, ...], units: tuple[str, ...], weights: tuple[str, ...], loss: str,
          legend: tuple[str, ...], title: str) -> _Place | None:
    """The largest text size (a whole pixel) at which _fit finds room. Cached: a step's picture has the same
    layout as the step before."""
    base = 15 if max(widths) == 1 else 12
    for font in range(round(base * CHART_SCALE), base - 1, -1):
        place = _fit(widths, units, weights, loss, legend, title, font, font / base)
        if place is not None:
            return place
    return None


def _box(text: str, size: float, pad: float, border: float = 0) -> tuple[float, float]:
    w, h = text_size(text, size)
    return w + 2 * pad + border, h + 2 * pad + border


def _legend_height(names: tuple[str, ...], size: float, width: float) -> float:
    """The height of a horizontal legend of these names, wrapped to `width` (an item: its symbol, the name, a gap)."""
    lines, used = 1, 0.0
    for name in names:
        item = text_size(name, size)[0] + 3.5 * size
        lines, used = (lines + 1, item) if used and used + item > width else (lines, used + item)
    return lines * (1.3 * size + 8)


def _fit(widths, units, weights, loss, legend, title: str, font: int, scale: float) -> _Place | None:
    """The projected layout with the labels' text `font` pixels high, or None if it does not fit.

    Columns are packed side by side, as far apart as their boxes and a visible edge need, and the width left over
    is shared out; then the rows move apart until no two boxes overlap. A level edge along the top (bottom) row has
    its label above (below) the boxes it joins, where the row leaves room; an edge between rows has its label on
    it, as in normal mode."""
    N = len(widths) - 1
    width = PICTURE_WIDTH - 2 * MARGIN
    units = iter(units)
    sizes = {(k, j): _box(next(units), font, PAD, BORDER) for k in range(N + 1) for j in range(1, widths[k] + 1)}
    loss_size = _box(loss, font, PAD, BORDER)
    edges = [(k, j, i) for k in range(1, N + 1) for j in range(1, widths[k] + 1) for i in range(1, widths[k - 1] + 1)]
    label_sizes = [_box(text, font - 1, LABEL_PAD) for text in weights]

    # a level edge's label: up along the top row, down along the bottom row, else (None) on the edge
    top = [(n - 1) / 2 for n in widths]
    sides = []
    for k, j, i in edges:
        r, s = top[k - 1] - (i - 1), top[k] - (j - 1)
        sides.append(0 if r != s else 1 if r == top[k - 1] == top[k] else -1 if -r == top[k - 1] == top[k] else None)

    column = [max(sizes[k, j][0] for j in range(1, widths[k] + 1)) for k in range(N + 1)]
    gaps = [EDGE] * (N + 1)                   # between the columns, the last one between y and L
    for (k, _, _), side, (w, _) in zip(edges, sides, label_sizes):
        if side is None:
            gaps[k - 1] = max(gaps[k - 1], w + 2 * SPACE)
    share = (1,) * N + (0.65,)                # the loss sits closer, as in normal mode
    spare = width - 2 * SPACE - sum(column) - sum(gaps) - loss_size[0]
    if spare < 0:
        return None
    x = [SPACE + column[0] / 2]
    for k in range(1, N + 2):
        right = column[k] if k <= N else loss_size[0]
        x.append(x[-1] + (column[k - 1] + right) / 2 + gaps[k - 1] + spare * share[k - 1] / sum(share))
    x, loss_x = tuple(x[:-1]), x[-1]

    title_size, legend_size = round(15 * scale), round(12 * scale)
    heading, lines = top_title(title, title_size, PICTURE_WIDTH)
    margin_top = round(2.6 * title_size + lines) if title else 10
    margin_bottom = round(_legend_height(legend, legend_size, width) + 2 * SPACE)
    row = max(size[1] for size in sizes.values()) + SPACE if max(widths) > 1 else 0.0
    while True:
        boxes = [(*_at(widths, x, row, 0.0, k, j), *size) for (k, j), size in sizes.items()]
        boxes.append((loss_x, 0.0, *loss_size))
        labels = []
        for (k, j, i), side, (w, h) in zip(edges, sides, label_sizes):
            p, q = _at(widths, x, row, 0.0, k - 1, i), _at(widths, x, row, 0.0, k, j)
            if side:   # beside the two boxes it joins, clear of the taller
                lift = (max(sizes[k - 1, i][1], sizes[k, j][1]) + h) / 2 + SPACE
                labels.append(((p[0] + q[0]) / 2, p[1] + side * lift))
            else:
                labels.append(_on_edge(widths, k, p, q))
            boxes.append((*labels[-1], w, h))
        low = min(b[1] - b[3] / 2 for b in boxes) - SPACE
        height = max(b[1] + b[3] / 2 for b in boxes) + SPACE - low
        if margin_top + height + margin_bottom > PICTURE_HEIGHT:
            return None
        if clear([(bx, by - low, bw, bh) for bx, by, bw, bh in boxes], width, height, SPACE):
            break
        if max(widths) == 1:
            return None
        row += STEP

    return _Place(widths, x, row, -low, (loss_x, -low), tuple((lx, ly - low) for lx, ly in labels), font, title_size,
                  legend_size, dict(
                      title=heading,
                      height=round(margin_top + height + margin_bottom),
                      margin=dict(l=MARGIN, r=MARGIN, t=margin_top, b=margin_bottom, autoexpand=False),
                      xaxis=dict(visible=False, range=[0, width], fixedrange=True),
                      yaxis=dict(visible=False, range=[0, height], fixedrange=True),
                      legend=dict(orientation="h", yanchor="top", y=-SPACE / height, xanchor="left", x=0,
                                  font=dict(size=legend_size)),
                  ))


# -- the figure ------------------------------------------------------------------------------------------------
def network_figure(
    net,
    trace,
    upto: int | None = None,
    *,
    highlight: Iterable[str] = (),
    title: str = "",
    highlight_name: str | None = None,
    height: int | None = None,
    projected: bool = False,
) -> go.Figure:
    """The network with what trace.steps[: upto + 1] have computed (everything when upto is None), the ids
    in `highlight` marked and named in the legend by highlight_name ("this step" unless told). The trace
    must be of one sample. `projected`: laid out for projection mode, when it fits there (fits_projection);
    `height` is normal mode's."""
    if trace.x.shape[0] != 1:
        raise ValueError(f"the network figure shows one sample; got a batch of {trace.x.shape[0]}")
    N, widths = net.depth, net.widths
    known = _known(net, trace, upto)
    lit = set(highlight)
    place = (projected and _projected(net, trace, title)) or _normal(net, height, bool(title))
    font, pos, loss_pos = place.font, place.unit, place.loss
    data: list[dict] = []   # plain dicts, made into a figure once, unchecked (plot_text.unchecked_figure)
    # Shapes are collected and set once (add_shape one by one is quadratic in their number), in drawing
    # order: edges, then the boxes over them; the texts are traces, above every shape.
    shapes: list[dict] = []

    # -- edges: one path per style, weights first so the boxes sit on top ----------------------------
    styles: dict[str, tuple[list, list]] = {}

    def segment(style: str, p: tuple[float, float], q: tuple[float, float]) -> None:
        xs, ys = styles.setdefault(style, ([], []))
        xs += [p[0], q[0], None]
        ys += [p[1], q[1], None]

    edge_labels = []
    for (k, j, i, wid), (x, y) in zip(_edges(net), place.labels):
        p, q = pos(k - 1, i), pos(k, j)
        style = "gradient" if wid in known.grads else "forward" if k in known.h else "pending"
        if wid in lit:
            segment("highlight", p, q)
        segment(style, p, q)
        edge_labels.append((x, y, _weight(net, trace, known, k, j, i, wid), wid in lit))
    for j in range(1, widths[N] + 1):
        ids = {f"y{_idx(net.is_chain, j)}", "L"}
        segment("highlight" if ids <= lit else "forward" if known.loss else "pending", pos(N, j), loss_pos)
        if ids <= lit:
            segment("forward" if known.loss else "pending", pos(N, j), loss_pos)

    line_styles = {
        "highlight": dict(color=colors.HIGHLIGHT, width=12),
        "pending": dict(color=LINE_PENDING, width=2, dash="dot"),
        "forward": dict(color=colors.FORWARD, width=2),
        "gradient": dict(color=colors.GRADIENT, width=2.5),
    }
    for style in ("highlight", "pending", "forward", "gradient"):
        if style in styles:
            xs, ys = styles[style]
            shapes.append(dict(type="path", path=path(xs, ys), xref="x", yref="y", line=line_styles[style],
                               layer="below"))

    # -- unit boxes --------------------------------------------------------------------------------
    unit_texts: list[tuple[float, float, str, str]] = []

    def box(x: float, y: float, lines: list[str], state: str, lit_box: bool) -> None:
        border = {"pending": colors.PENDING, "forward": colors.FORWARD, "gradient": colors.GRADIENT}[state]
        fill = HIGHLIGHT_FILL if lit_box else "white" if state == "pending" else FORWARD_FILL
        text = "<br>".join(lines)
        shapes.append(text_box(x, y, text, font, PAD, fill, border, BORDER if lit_box else 1.5))
        unit_texts.append((x, y, text, fill))

    for k in range(N + 1):
        for j in range(1, widths[k] + 1):
            lines, state, ids = _unit(net, trace, known, k, j)
            box(*pos(k, j), lines, state, bool(ids & lit))
    box(*loss_pos, _loss(trace, known), "forward" if known.loss else "pending", "L" in lit)

    weight_texts = []
    for x, y, text, lit_edge in edge_labels:
        fill = HIGHLIGHT_FILL if lit_edge else "rgba(255,255,255,0.88)"
        shapes.append(text_box(x, y, text, font - 1, LABEL_PAD, fill))
        weight_texts.append((x, y, text, fill))
    data += [_labels(weight_texts, font - 1, "weight labels"), _labels(unit_texts, font, "unit labels")]

    # -- legend: colour is never the only carrier, but say what the colours mean ----------------------
    for key, color, symbol in (("forward", colors.FORWARD, "square"), ("gradient", colors.GRADIENT, "square"),
                               ("pending", colors.PENDING, "square-open"), ("highlight", colors.HIGHLIGHT, "square")):
        name = highlight_name if key == "highlight" and highlight_name else t(f"network_figure.legend.{key}")
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=name,
                         marker=dict(color=color, size=place.legend, symbol=symbol, line=dict(color=color, width=2))))

    return unchecked_figure(data, dict(
        shapes=shapes,
        title=dict(text=title, x=0, xanchor="left", font=dict(size=place.title)),   # projected: the fitted title
        plot_bgcolor="white", paper_bgcolor="white",
        showlegend=True,
        hovermode=False,
    ) | copy.deepcopy(place.layout))

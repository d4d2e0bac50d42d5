"""A Plotly diagram of any bp_core.Network at one step of its worked example.

Layers run left to right, then the loss L. Each unit is a box with its forward values (h, a or y) and,
once the backward pass reaches it, its gradients; each weight is an edge labelled with its value w_kji and,
once computed, its gradient and its updated value. What the steps up to the current one have computed is
shown in colors.FORWARD (values) and colors.GRADIENT (gradients, every one marked with "∂"); what is still
to come is grey, with "?" in place of a number. The ids a step touches (Step.touches: "x1", "h21", "a21",
"w311", "L"; "x", "h2", "w3" in a single-node chain) are highlighted. Biases are not drawn.

Nothing here computes: every number is read from the trace.

Drawn without Plotly annotations (see plot_text.py), which cost up to 0.8 s of the browser's time per step
on the largest network: edges and boxes are layout shapes, the labels two text traces on top.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import plotly.graph_objects as go

from bp_core.step import num, sub

from . import colors
from .i18n import t
from .plot_text import path, text_box, unchecked_figure

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


def _value(v: float) -> str:
    """A number as plain text for the picture (the LaTeX minus sign and powers made readable)."""
    text = num(v)
    return text.replace(r" \times 10^{", "e").replace("}", "").replace("-", "−")


def _labels(points: list[tuple[float, float, str, str]], size: float, meta: str) -> dict:
    """Texts at (x, y), one trace; customdata holds each one's box fill (the highlight is readable from it)."""
    return dict(type="scatter", x=[p[0] for p in points], y=[p[1] for p in points], text=[p[2] for p in points],
                customdata=[p[3] for p in points], mode="text", textposition="middle center",
                textfont=dict(size=size, color=colors.INK), hoverinfo="skip", showlegend=False,
                cliponaxis=False, meta=meta)


def _line(label: str, value: float | None, color: str) -> str:
    if value is None:
        return _span(f"{label} = ?", colors.PENDING)
    return _span(f"{label} = {_value(value)}", color)


def network_figure(
    net,
    trace,
    upto: int | None = None,
    *,
    highlight: Iterable[str] = (),
    title: str = "",
    highlight_name: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """The network with what trace.steps[: upto + 1] have computed (everything when upto is None), the ids
    in `highlight` marked and named in the legend by highlight_name ("this step" unless told). The trace
    must be of one sample."""
    if trace.x.shape[0] != 1:
        raise ValueError(f"the network figure shows one sample; got a batch of {trace.x.shape[0]}")
    chain, N = net.is_chain, net.depth
    widths = net.widths
    known = _known(net, trace, upto)
    lit = set(highlight)
    tallest = max(widths)
    font = 15 if tallest == 1 else 12   # a chain has room for larger type

    def pos(k: int, j: int) -> tuple[float, float]:
        n = widths[k]
        return float(k), (n - 1) / 2 - (j - 1)

    loss_pos = (N + 0.65, 0.0)
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
    for k in range(1, N + 1):
        W = net.weights[k - 1]
        n_in, n_out = W.shape
        for j in range(1, n_out + 1):
            for i in range(1, n_in + 1):
                wid = f"w{k}{_idx(chain, j, i)}"
                p, q = pos(k - 1, i), pos(k, j)
                has_grad = wid in known.grads
                style = "gradient" if has_grad else "forward" if k in known.h else "pending"
                if wid in lit:
                    segment("highlight", p, q)
                segment(style, p, q)
                # where the label sits: mid-edge when level, nearer the source when the edge crosses others
                frac = 0.5 if p[1] == q[1] or n_in == 1 or n_out == 1 else 0.3
                x, y = p[0] + frac * (q[0] - p[0]), p[1] + frac * (q[1] - p[1])
                name = f"w<sub>{k}{_idx(chain, j, i)}</sub>"
                lines = [_span(f"{name} = {_value(W[i - 1, j - 1])}", colors.INK)]
                grad = float(trace.dW[k - 1][i - 1, j - 1]) if has_grad else None
                lines.append(_line("∂", grad, colors.GRADIENT))
                if k in known.updated and trace.updated is not None:
                    new = float(trace.updated.weights[k - 1][i - 1, j - 1])
                    lines.append(_span(f"{name}* = {_value(new)}", colors.FORWARD, bold=True))
                edge_labels.append((x, y, "<br>".join(lines), wid in lit))
    for j in range(1, widths[N] + 1):
        ids = {f"y{_idx(chain, j)}", "L"}
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
        shapes.append(text_box(x, y, text, font, 5, fill, border, 3 if lit_box else 1.5))
        unit_texts.append((x, y, text, fill))

    for k in range(N + 1):
        for j in range(1, widths[k] + 1):
            s = _idx(chain, j)
            x, y = pos(k, j)
            if k == 0:
                ids = {f"x{s}"}
                lines = [_span(f"x<sub>{s}</sub> = {_value(trace.x[0, j - 1])}", colors.FORWARD)]
                state = "forward"
            else:
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
                state = "gradient" if has_grad else "forward" if h is not None else "pending"
            box(x, y, lines, state, bool(ids & lit))

    loss_lines = [_line("L", float(trace.loss) if known.loss else None, colors.FORWARD)]
    if trace.loss_after is not None:
        loss_lines.append(_line("L*", float(trace.loss_after) if known.loss_after else None, colors.FORWARD))
    box(*loss_pos, loss_lines, "forward" if known.loss else "pending", "L" in lit)

    weight_texts = []
    for x, y, text, lit_edge in edge_labels:
        fill = HIGHLIGHT_FILL if lit_edge else "rgba(255,255,255,0.88)"
        shapes.append(text_box(x, y, text, font - 1, 2, fill))
        weight_texts.append((x, y, text, fill))
    data += [_labels(weight_texts, font - 1, "weight labels"), _labels(unit_texts, font, "unit labels")]

    # -- legend: colour is never the only carrier, but say what the colours mean ----------------------
    for key, color, symbol in (("forward", colors.FORWARD, "square"), ("gradient", colors.GRADIENT, "square"),
                               ("pending", colors.PENDING, "square-open"), ("highlight", colors.HIGHLIGHT, "square")):
        name = highlight_name if key == "highlight" and highlight_name else t(f"network_figure.legend.{key}")
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=name,
                         marker=dict(color=color, size=12, symbol=symbol, line=dict(color=color, width=2))))

    top = (tallest - 1) / 2
    pad = 0.55 if tallest == 1 else 0.42
    return unchecked_figure(data, dict(
        shapes=shapes,
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=height or (210 if tallest == 1 else 140 + 160 * tallest),
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        plot_bgcolor="white", paper_bgcolor="white",
        xaxis=dict(visible=False, range=[-0.3, N + 0.95], fixedrange=True),
        yaxis=dict(visible=False, range=[-top - pad, top + pad], fixedrange=True),
        legend=dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0, font=dict(size=12)),
        showlegend=True,
        hovermode=False,
    ))

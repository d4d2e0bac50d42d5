"""Chain rule on a computational graph (note 002): values forward through the nodes, then one backward step
per edge, upstream gradient x local gradient = downstream gradient; where two paths meet, gradients add.

Layout and widgets only: every number comes from bp_core.graph (Value) and bp_core.derivations.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from types import MappingProxyType

import plotly.graph_objects as go
import streamlit as st

from bp_core import graph_examples
from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core.derivations import Derivation, derive_graph
from bp_core.gradcheck import check_graph
from bp_core.graph import latex_name
from bp_core.step import Step, factor, num
from pages.ui import classroom, colors, handout, inputs, panel, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import CHART_SCALE, PICTURE_HEIGHT, PICTURE_WIDTH, projecting
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import t
from pages.ui.notation import plain
from pages.ui.plot_text import clear, margins, path, text_box, text_size, top_title, unchecked_figure

CODE = "cg"
OUTPUT = "f"
EXAMPLES = graph_examples.EXAMPLES
# slider half-range per example; the neuron's weights and inputs stay small enough to read e^{-d}
SPAN = MappingProxyType({"sum_times": 10.0, "sigmoid_neuron": 5.0, "shared_input": 10.0})
# URL/session key prefix per example: the two x, y, z examples keep their own values
PREFIX = MappingProxyType({"sum_times": f"{CODE}-", "sigmoid_neuron": f"{CODE}-", "shared_input": f"{CODE}-shared-"})


EXAMPLE = inputs.Choice(f"{CODE}-example", t("chain_rule.example_label"), EXAMPLES[0], EXAMPLES, "chain_rule.examples")
INPUTS = MappingProxyType({
    example: tuple(
        inputs.Number(f"{PREFIX[example]}{name}", plain(name), default, -SPAN[example], SPAN[example])
        for name, default in P.GRAPHS[example].items()
    )
    for example in EXAMPLES
})
PAPER = "rgba(255, 255, 255, 0.85)"  # behind the labels, so that an edge under one does not hide it
FIELDS = (EXAMPLE,) + tuple(field for fields in INPUTS.values() for field in fields)


# -- the trace: built once per example and values, then only read ------------------------------------
@dataclass(frozen=True)
class Node:
    label: str
    op: str
    exponent: float | None
    value: float
    constant: bool   # a number built into the graph (the -1 and 1 of the neuron), not an input
    x: float
    y: float
    uses: int        # edges leaving the node: how many contributions its gradient collects


@dataclass(frozen=True)
class Edge:
    """Backward along child -> node, as bp_core.graph.GraphStep computed it."""

    child: str
    node: str
    upstream: float
    local: float
    product: float
    child_grad: float  # the child's gradient once this contribution is added

    @property
    def id(self) -> str:
        return f"{self.child}->{self.node}"


@dataclass(frozen=True)
class Trace:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]          # in backward order
    forward: tuple[Step, ...]
    backward: tuple[Step, ...]
    derivations: dict[str, Derivation]

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.forward + self.backward


def trace(example: str, values: tuple[tuple[str, float], ...]) -> Trace:
    data = _trace(example, values)
    return Trace(tuple(Node(**n) for n in data["nodes"]), tuple(Edge(**e) for e in data["edges"]),
                 data["forward"], data["backward"], data["derivations"])


@st.cache_data(max_entries=256, show_spinner=False)
def _trace(example: str, values: tuple[tuple[str, float], ...]) -> dict:
    """The cached part, as plain dicts: a page runs as __main__, so its own classes do not pickle."""
    output = graph_examples.build(example, dict(values))
    forward = output.forward_steps()
    graph_steps = output.backward()
    derivations = derive_graph(output)  # runs backward() again: same numbers
    order = output.topological()
    inputs_ = {name for name, _ in values}
    place = layout(order, inputs_)
    uses = {node.label: 0 for node in order}
    for node in order:
        for child in node.children:
            uses[child.label] += 1
    nodes = [
        Node(n.label, n.op, n.exponent, n.data, not n.edges and n.label not in inputs_, *place[n.label], uses[n.label])
        for n in order
    ]
    edges = [Edge(s.child.label, s.node.label, s.upstream, s.local, s.product, s.child_grad) for s in graph_steps]
    return {
        "nodes": tuple(asdict(n) for n in nodes), "edges": tuple(asdict(e) for e in edges), "forward": forward,
        "backward": tuple(s.to_step(OUTPUT) for s in graph_steps), "derivations": derivations,
    }


def layout(order, inputs_: set[str]) -> dict[str, tuple[float, float]]:
    """(column, row) of every node, deterministic from the topology alone.

    Column = longest path from the inputs, so the inputs sit on the left and f on the right; a constant sits
    one column before (and below) the node that uses it. Row = the mean row of a node's inputs,
    pushed apart to one row per node; one sweep back orders the inputs by the rows of the nodes they feed.
    """
    column: dict[str, int] = {}
    for node in order:  # topological: every child before its node
        column[node.label] = 1 + max((column[c.label] for c in node.children), default=-1)
    constant = {n.label for n in order if not n.edges and n.label not in inputs_}
    leaves = [n.label for n in order if not n.edges and n.label in inputs_]
    last = max(column.values())

    def rows(leaf_order: list[str]) -> dict[str, float]:
        row = {label: -float(i) for i, label in enumerate(leaf_order)}
        for col in range(1, last + 1):
            here = [n for n in order if n.edges and column[n.label] == col]
            wanted = {}
            for n in here:
                placed = [row[c.label] for c in n.children if c.label not in constant]
                wanted[n.label] = sum(placed) / len(placed) if placed else 0.0
            ranked = sorted(here, key=lambda n: -wanted[n.label])  # stable: ties keep topological order
            for i, n in enumerate(ranked):
                row[n.label] = wanted[n.label] if i == 0 else min(wanted[n.label], row[ranked[i - 1].label] - 1.0)
            if ranked:  # centre the pushed-apart column on where its nodes wanted to be
                shift = sum(wanted.values()) / len(ranked) - sum(row[n.label] for n in ranked) / len(ranked)
                for n in ranked:
                    row[n.label] += shift
            for n in here:
                for c in n.children:
                    if c.label in constant:
                        row[c.label] = row[n.label] - 1.4  # low enough for its edge's label to clear n's
        return row

    row = rows(leaves)
    fed = {label: [n.label for n in order if label in (c.label for c in n.children)] for label in leaves}
    leaves = sorted(leaves, key=lambda label: -sum(row[m] for m in fed[label]) / max(len(fed[label]), 1))
    row = rows(leaves)
    for node in order:
        if node.label in constant:
            user = next(n for n in order if node in n.children)
            column[node.label] = column[user.label] - 1
    top = max(row.values())
    return {label: (float(column[label]), row[label] - top) for label in column}


# -- what the picture shows at step k -----------------------------------------------------------------------
def html_name(label: str) -> str:
    """p0 -> p<sub>0</sub> for Plotly text."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", label)
    return f"{m[1]}<sub>{m[2]}</sub>" if m else label.replace("-", "−")


def text_num(v: float) -> str:
    """A number as plain text with 4 significant digits and a real minus sign."""
    return f"{v:.4g}".replace("-", "−")


def op_text(node: Node) -> str:
    if node.op == "**":
        return f"(·)<sup>{text_num(node.exponent or 0)}</sup>"
    return {"+": "+", "*": "×", "exp": "exp", "sigmoid": "σ", "relu": "ReLU", "tanh": "tanh"}.get(node.op, "")


@dataclass(frozen=True)
class State:
    known: frozenset[str]                  # nodes whose forward value is worked out
    contributions: dict[str, list[Edge]]   # gradient contributions each node has received so far
    done: frozenset[str]                   # edges whose backward step has happened
    backward: bool                         # the backward pass has started (df/df = 1 is known)


def state(tr: Trace, k: int) -> State:
    nf = len(tr.forward)
    computed = {s.name for s in tr.forward[: k + 1]}
    known = frozenset(n.label for n in tr.nodes if n.op == "" or n.label in computed)
    contributions: dict[str, list[Edge]] = {}
    for edge in tr.edges[: max(k - nf + 1, 0)]:
        contributions.setdefault(edge.child, []).append(edge)
    done = frozenset(e.id for e in tr.edges[: max(k - nf + 1, 0)])
    return State(known, contributions, done, k >= nf)


def grad_text(tr: Trace, node: Node, s: State) -> tuple[str, str]:
    """The gradient label under a node and its colour: pending, a partial sum, or the full gradient."""
    name = f"∂f/∂{html_name(node.label)}"
    if node.label == OUTPUT:
        if not s.backward:
            return f"{name} = ?", colors.PENDING
        return f"{name} = {text_num(tr.edges[0].upstream)}", colors.GRADIENT  # the seed, df/df
    got = s.contributions.get(node.label, [])
    if not got:
        return f"{name} = ?", colors.PENDING
    if node.uses == 1:
        return f"{name} = {text_num(got[-1].child_grad)}", colors.GRADIENT
    terms = " + ".join(f"({text_num(e.product)})" if e.product < 0 else text_num(e.product) for e in got)
    if len(got) < node.uses:
        return f"{name} = {terms} + ?", colors.GRADIENT
    return f"{name} = {terms} = {text_num(got[-1].child_grad)}", colors.GRADIENT


@dataclass(frozen=True)
class Frame:
    """The graph's geometry with its text `scale` times its normal size: each node's circle (pixels), the label
    sizes, the figure's height, margins and y axis, how many y units a pixel is, and where the labels go."""

    scale: float
    size: dict[str, float]
    height: int
    margin: dict
    y_range: list[float]
    per_px: float

    def font(self, node: Node, grad: bool = False) -> float:
        """The size of the value above a node (the gradient below: a pixel smaller)."""
        return self.scale * ((11 if node.constant else 14) - grad)

    def label_y(self, node: Node, side: int) -> float:
        """The y of the value above a node (side 1) or its gradient below (side -1), 12 px clear of its circle."""
        return node.y + side * (self.size[node.label] / 2 + 12 * self.scale) * self.per_px


def frame(tr: Trace, scale: float = 1.0, title_lines: float = 0) -> Frame:
    wide = max(n.x for n in tr.nodes) > 5  # many columns: smaller circles leave room for the edge labels
    size = {n.label: scale * (30 if n.constant else (46 if wide else 52)) for n in tr.nodes}
    ys = [n.y for n in tr.nodes]
    margin = margins(10, 10, round(50 * scale + title_lines), 10)
    height = int(100 * scale * (max(ys) - min(ys) + 1.3) + (margin["t"] + margin["b"]))
    y_range = [min(ys) - 0.65, max(ys) + 0.65]
    per_px = (y_range[1] - y_range[0]) / (height - margin["t"] - margin["b"])   # y units per pixel
    return Frame(scale, size, height, margin, y_range, per_px)


def title_text(example: str) -> str:
    return t("chain_rule.figure.title", formula=t(f"chain_rule.formula.{example}"))


def projected_frame(tr: Trace, example: str) -> tuple[Frame, dict] | None:
    """Projection mode's geometry and title: the text as large as fits, up to CHART_SCALE times its normal size,
    with no two labels or circles overlapping in the picture's column (PICTURE_WIDTH pixels), judged on the graph
    at the end of its backward pass (every label there, the widest); None when even normal size does not fit (a
    graph too wide for the column, drawn as in normal mode)."""
    s = state(tr, len(tr.steps) - 1)
    at = {n.label: n for n in tr.nodes}
    width = PICTURE_WIDTH - 20
    xs = [n.x for n in tr.nodes]
    per_x = width / (max(xs) - min(xs) + 1.1)   # pixels per column
    for tenths in range(round(10 * CHART_SCALE), 9, -1):
        scale = tenths / 10
        heading, lines = top_title(title_text(example), 15 * scale, PICTURE_WIDTH)
        fr = frame(tr, scale, lines)
        if fr.height > PICTURE_HEIGHT:
            continue

        def px(x: float, y: float) -> tuple[float, float]:
            return (x - min(xs) + 0.55) * per_x, (y - fr.y_range[0]) / fr.per_px

        boxes = [(*px(n.x, n.y), fr.size[n.label], fr.size[n.label]) for n in tr.nodes]
        for n in tr.nodes:
            boxes.append((*px(n.x, fr.label_y(n, 1)), *text_size(text_num(n.value), fr.font(n))))
            boxes.append((*px(n.x, fr.label_y(n, -1)), *text_size(grad_text(tr, n, s)[0], fr.font(n, grad=True))))
        for e in tr.edges:
            w, h = text_size(f"∂ {text_num(e.product)}", 12 * scale)
            boxes.append((*px((at[e.child].x + at[e.node].x) / 2, (at[e.child].y + at[e.node].y) / 2), w + 2, h + 2))
        if clear(boxes, width, fr.height - fr.margin["t"] - fr.margin["b"]):
            return fr, heading
    return None


def figure(tr: Trace, example: str, k: int, known: int | None = None, projected: bool = False) -> go.Figure:
    """The graph at step k: values known so far (up to step `known`, k by default), gradients received so far,
    the step's elements haloed; laid out for projection mode when `projected`."""
    s = state(tr, k if known is None else known)
    step = tr.steps[k]
    touched = set(step.touches)
    if step.phase == "forward":  # a forward step also uses the edges into the node it computes
        touched |= {f"{c}->{step.name}" for c in step.touches[1:]}
    at = {n.label: n for n in tr.nodes}
    fr, title = (projected and projected_frame(tr, example)) or (frame(tr), dict(text=title_text(example),
                                                                                font=dict(size=15)))
    size, scale = fr.size, fr.scale
    xs = [n.x for n in tr.nodes]
    # Built as plain dicts and handed to Plotly once (add_* one by one is slow), and without annotations (see
    # pages/ui/plot_text.py): lines and the boxes behind labels are shapes, under every trace, in this order.
    traces, shapes = [], []

    # yellow halos under the edges and nodes the step touches
    halo_x, halo_y = [], []
    for e in tr.edges:
        if e.id in touched:
            halo_x += [at[e.child].x, at[e.node].x, None]
            halo_y += [at[e.child].y, at[e.node].y, None]
    shapes.append(dict(type="path", path=path(halo_x, halo_y), xref="x", yref="y", layer="below",
                       line=dict(color=colors.HIGHLIGHT, width=12 * scale)))
    haloed = [n for n in tr.nodes if n.label in touched]
    traces.append(dict(
        type="scatter", x=[n.x for n in haloed], y=[n.y for n in haloed], mode="markers", hoverinfo="skip",
        marker=dict(size=[size[n.label] + 18 * scale for n in haloed], color=colors.HIGHLIGHT, line=dict(width=0)),
    ))

    # edges: forward arrows from each input of a node to the node (the line runs under the circles, the
    # arrowhead, a marker, stands off by the node's radius), and the gradient each edge sent back, at its middle
    edge_x, edge_y, head, standoff, sent = [], [], [], [], []
    for e in tr.edges:
        child, node = at[e.child], at[e.node]
        edge_x += [child.x, node.x, None]
        edge_y += [child.y, node.y, None]
        head += [0, 13 * scale, 0]
        standoff += [0, size[node.label] / 2 + 1, 0]
        if e.id in s.done:
            sent.append(((child.x + node.x) / 2, (child.y + node.y) / 2, f"∂ {text_num(e.product)}"))
    shapes.append(dict(type="path", path=path(edge_x, edge_y), xref="x", yref="y", layer="below",
                       line=dict(color=colors.INK, width=1.6 * scale)))
    traces.append(dict(
        type="scatter", x=edge_x, y=edge_y, mode="markers", hoverinfo="skip",
        marker=dict(symbol="arrow", angleref="previous", size=head, standoff=standoff, color=colors.INK,
                    line=dict(width=0)),
    ))
    shapes += [text_box(x, y, text, 12 * scale, 1, "white") for x, y, text in sent]
    traces.append(dict(
        type="scatter", x=[p[0] for p in sent], y=[p[1] for p in sent], text=[p[2] for p in sent], mode="text",
        hoverinfo="skip", textfont=dict(color=colors.GRADIENT, size=12 * scale),
    ))

    # nodes: circles with the name and the operation
    def label(n: Node) -> str:
        op = op_text(n)
        name = html_name(n.label)
        return f"<b>{name}</b><br><span style='font-size:{13 * scale:g}px'>{op}</span>" if op else f"<b>{name}</b>"

    traces.append(dict(
        type="scatter", x=[n.x for n in tr.nodes], y=[n.y for n in tr.nodes], mode="markers+text", hoverinfo="skip",
        text=[label(n) for n in tr.nodes], textposition="middle center",
        textfont=dict(size=[scale * (12 if n.constant else 17) for n in tr.nodes], color=colors.INK),
        marker=dict(size=[size[n.label] for n in tr.nodes], color="white", opacity=1,
                    line=dict(color=colors.INK, width=2 * scale)),
    ))

    # forward value above each node, gradient below, 12 px clear of its circle
    values = [(text_num(n.value), colors.FORWARD) if n.label in s.known else ("?", colors.PENDING) for n in tr.nodes]
    grads = [grad_text(tr, n, s) for n in tr.nodes]
    for side, labels in ((1, values), (-1, grads)):
        at_y = [fr.label_y(n, side) for n in tr.nodes]
        sizes = [fr.font(n, grad=side < 0) for n in tr.nodes]
        shapes += [text_box(n.x, y, text, f, 0, PAPER) for n, y, (text, _), f in zip(tr.nodes, at_y, labels, sizes)]
        traces.append(dict(
            type="scatter", x=xs, y=at_y, mode="text", hoverinfo="skip", text=[text for text, _ in labels],
            textfont=dict(color=[colour for _, colour in labels], size=sizes),
        ))

    return unchecked_figure(traces, dict(
        title=title, height=fr.height, margin=fr.margin, shapes=shapes,
        showlegend=False, plot_bgcolor="white", paper_bgcolor="white", dragmode=False,
        xaxis=dict(visible=False, range=[min(xs) - 0.55, max(xs) + 0.55], fixedrange=True),
        yaxis=dict(visible=False, range=fr.y_range, fixedrange=True),
    ))


# -- gradients that add where paths meet ----------------------------------------------------------------------
def merge_text(tr: Trace, k: int) -> None:
    """For each node used by two or more nodes: the sum of its contributions, with the numbers."""
    s = state(tr, k)
    for node in tr.nodes:
        if node.uses < 2:
            continue
        ways = [e for e in tr.edges if e.child == node.label]
        paths = t("chain_rule.merge.and").join(f"${latex_name(e.node)}$" for e in ways)
        name = latex_name(node.label)
        if len(s.contributions.get(node.label, [])) < len(ways):
            st.info(t("chain_rule.merge.pending", node=name, paths=paths), icon=":material/call_merge:")
            continue
        d = r"\frac{{\partial {}}}{{\partial {}}}"
        symbolic = " + ".join(d.format(OUTPUT, latex_name(e.node)) + d.format(latex_name(e.node), name) for e in ways)
        products = " + ".join(rf"{factor(e.upstream)} \cdot {factor(e.local)}" for e in ways)
        terms = " + ".join(factor(e.product) for e in ways)
        formula = rf"{d.format(OUTPUT, name)} = {symbolic} = {products} = {terms} = {num(ways[-1].child_grad)}"
        with st.container(border=True):
            st.markdown(f"{t('chain_rule.merge.done', node=name, paths=paths)}\n\n$$\n{formula}\n$$")


# -- the page -----------------------------------------------------------------------------------------------
classroom.title(t("lessons.chain_rule.title"))
inputs.init(FIELDS)
inputs.url_notice(CODE, FIELDS)

with st.sidebar:
    st.subheader(t("inputs.heading"))
    example = EXAMPLE.widget()
    values = tuple((name, float(field.widget())) for name, field in zip(P.GRAPHS[example], INPUTS[example]))
    st.caption(t("chain_rule.inputs_caption"))
    inputs.reset_button(CODE, (EXAMPLE,) + INPUTS[example])

tr = trace(example, values)

st.markdown(t("chain_rule.intro"))
st.markdown(t(f"chain_rule.about.{example}"))
slips.notes(slip_core.chain_rule(example, dict(values)), CODE)

n = len(tr.steps)
cursor = stepper.cursor_key(CODE)
# A new example with another number of steps starts again at step 1 (the stepper would only clamp).
counted = f"{CODE}-steps-of-example"
if st.session_state.get(counted, n) != n:
    st.session_state[cursor] = 1
st.session_state[counted] = n


def render(k: int) -> None:
    step = tr.steps[k]
    shown = predict.seen(CODE, k, step)   # a gradient kept back for a prediction is not drawn either
    with stage.pictures():
        svg_figure.show(figure(tr, example, k, shown, projecting()))
        st.caption(t("chain_rule.legend"))
    edge = tr.edges[k - len(tr.forward)] if step.phase == "backward" else None
    candidates = () if edge is None else slip_core.edge_candidates(edge.upstream, edge.local)
    panel.show_step(step, tr.derivations.get(step.name), CODE, candidates)
    merge_text(tr, shown)


stepper.walk(CODE, n, render)
gradient_check(check_graph(example, dict(values)))
handout.graph(CODE, example, dict(values), tr.steps, (EXAMPLE,))

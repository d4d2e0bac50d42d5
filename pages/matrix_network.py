"""Lesson: the 2x2x2 matrix network of notes 000/001, x (W1) -> ReLU -> (W2) -> ReLU -> (W3) -> softmax -> L.

Layout and widgets only: the trace, the derivations, each weight's written-out chain rule, the notes' slips
and the notes' shortcut all come from bp_core through cached calls.
"""
import math
from types import MappingProxyType

import plotly.graph_objects as go
import streamlit as st

from bp_core import Network
from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core.derivations import derive
from bp_core.gradcheck import check_network
from bp_core.paths import all_paths, shortcut_gap
from bp_core.step import matrix, num
from pages.ui import classroom, colors, handout, inputs, lazy, panel, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import projecting
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import t
from pages.ui.lessons import lesson
from pages.ui.network_figure import network_figure
from pages.ui.notation import plain, subscript
from pages.ui.plot_text import axis_suffix, for_projection, margins, side_by_side, unchecked_figure

PAGE = "mn"
T = "matrix_network"
M = P.MATRIX_NET
HIDDEN = ("relu", "sigmoid", "tanh", "identity")
OUTPUTS = ("softmax", "identity", "sigmoid")
LOSSES = ("half_sse", "mse", "cross_entropy")
WIDE_LATEX = 90  # characters of LaTeX beyond which a written-out product gets line breaks
FORWARD_LATEX = MappingProxyType({
    "relu": r"\operatorname{ReLU}", "sigmoid": r"\sigma", "tanh": r"\tanh", "identity": r"\operatorname{id}",
    "softmax": r"\operatorname{softmax}",
})


def weight_field(k: int, j: int, i: int) -> inputs.Number:
    """The slider of w_kji, row i and column j of W_k (the preset is written row by row)."""
    return inputs.Number(f"mn-w{k}{j}{i}", plain(f"w{k}{j}{i}"), M[f"W{k}"][i - 1][j - 1], -2.0, 2.0, 0.05)


X_FIELDS = tuple(inputs.Number(f"mn-x{i}", plain(f"x{i}"), M["x"][i - 1], -3.0, 3.0, 0.05) for i in (1, 2))
W_FIELDS = MappingProxyType({  # row by row
    k: tuple(weight_field(k, j, i) for i in (1, 2) for j in (1, 2)) for k in (1, 2, 3)})
LABEL_FIELDS = tuple(inputs.Number(f"mn-t{j}", t(f"{T}.label_input", j=subscript(j)), M["label"][j - 1], 0.0, 1.0,
                                   0.05) for j in (1, 2))
HIDDEN_FIELD = inputs.Choice("mn-hidden", t(f"{T}.hidden"), M["hidden"], HIDDEN, "activation")
OUTPUT_FIELD = inputs.Choice("mn-output", t(f"{T}.output"), M["output"], OUTPUTS, "activation")
LOSS_FIELD = inputs.Choice("mn-loss", t(f"{T}.loss"), M["loss"], LOSSES, "loss")
LR_FIELD = inputs.Number("mn-lr", t(f"{T}.lr"), M["lr"], 0.0, 2.0, 0.01)
FIELDS = (*X_FIELDS, *(f for k in (1, 2, 3) for f in W_FIELDS[k]), *LABEL_FIELDS, HIDDEN_FIELD, OUTPUT_FIELD,
          LOSS_FIELD, LR_FIELD)


def build(weights, hidden, output, loss) -> Network:
    return Network([list(map(list, W)) for W in weights], hidden=hidden, output=output, loss=loss)


@st.cache_data(max_entries=256, show_spinner=False)
def worked_example(x, weights, label, hidden, output, loss, lr):
    """Trace, SymPy derivations, every weight's path, the notes' slips and each step's likely slips: one cached
    call of plain inputs."""
    net = build(weights, hidden, output, loss)
    trace = net.backprop(x, label, lr=lr)
    return (net, trace, derive(net, x, label, lr), all_paths(net, trace),
            (slip_core.matrix_network(net, trace), slip_core.network_candidates(net, trace)))


@st.cache_data(max_entries=256, show_spinner=False)
def shortcut(x, weights, label, hidden, output, loss):
    return shortcut_gap(build(weights, hidden, output, loss), x, label)


def sidebar_inputs():
    """Every input of the example in the sidebar; the weights grouped per matrix in the notes' layout."""
    bar = st.sidebar
    bar.header(t("inputs.heading"))
    bar.subheader(t(f"{T}.x_heading"))
    x = tuple(field.widget(bar) for field in X_FIELDS)
    weights = []
    for k in (1, 2, 3):
        with bar.expander(t(f"{T}.matrix_heading", k=k), expanded=k == 3):
            st.caption(t(f"{T}.matrix_caption", k=k))
            rows = []
            for row in (W_FIELDS[k][:2], W_FIELDS[k][2:]):
                left, right = st.columns(2)
                rows.append((row[0].widget(left), row[1].widget(right)))
            weights.append(tuple(rows))
    bar.subheader(t(f"{T}.label_heading"))
    label = tuple(field.widget(bar) for field in LABEL_FIELDS)
    hidden = HIDDEN_FIELD.widget(bar)
    output = OUTPUT_FIELD.widget(bar)
    loss = LOSS_FIELD.widget(bar)
    bar.caption(t(f"{T}.loss_note"))
    lr = LR_FIELD.widget(bar)
    inputs.reset_button(PAGE, FIELDS, bar)
    return dict(x=x, weights=tuple(weights), label=label, hidden=hidden, output=output, loss=loss, lr=lr)


def pretty(weight_id: str) -> str:
    """w211 -> w₂₁₁ for a select box, which shows no LaTeX."""
    return plain(weight_id)


def show_path(net, trace, paths) -> None:
    st.subheader(t(f"{T}.path.heading"))
    st.markdown(t(f"{T}.path.intro"))
    ids = [p for k in (3, 2, 1) for p in paths if p.startswith(f"w{k}")]   # W3 first, as the backward pass
    chosen = st.selectbox(t(f"{T}.path.pick"), ids, index=ids.index("w211"), key="mn-path", format_func=pretty)
    path = paths[chosen]
    # a product over many paths is broken before each "+" of its first split, to fit a projector
    long = len(path.numbers) > WIDE_LATEX
    rows = []
    for lines in ((path.symbolic_lines if long else (path.symbolic,)),
                  (path.numbers_lines if long else (path.numbers,)),
                  (num(path.value),)):
        rows += [f"&= {lines[0]}"] + [rf"&\qquad {line}" for line in lines[1:]]
    st.latex(rf"\begin{{aligned}} {path.lhs} " + r" \\ ".join(rows) + r"\end{aligned}")
    st.caption(t(f"{T}.path.matrix", k=path.k, i=path.i, j=path.j,
                 value=f"${num(trace.dW[path.k - 1][path.i - 1, path.j - 1])}$"))
    if path.stopped:
        st.caption(t(f"{T}.path.dead"))
    # every gradient known, the update not yet made: the picture of the backward pass's end
    last_backward = max(n for n, step in enumerate(trace.steps) if step.phase == "backward")
    figure = network_figure(net, trace, last_backward, highlight=path.touches, highlight_name=t(f"{T}.path.legend"),
                            title=t(f"{T}.path.title", w=pretty(chosen)), projected=projecting())
    svg_figure.show(figure)


def heatmap(gap) -> go.Figure:
    """The shortcut's error in each weight, one panel a matrix: as the matrices are written (i down, j across), each
    cell named and numbered, on Plotly's PiYG scale symmetric about 0. Drawn as SVG (svg_figure)."""
    titles = [t(f"{T}.shortcut.heatmap_matrix", k=k) for k in (1, 2, 3)]
    layout = side_by_side(titles, 0.08)
    top = max(gap.largest, 1e-12)
    traces = []
    for k, diff in enumerate(gap.difference, start=1):
        rows, cols = diff.shape
        a = axis_suffix(k)
        traces.append(dict(
            type="heatmap", z=diff, x=list(range(1, cols + 1)), y=list(range(1, rows + 1)), xaxis=f"x{a}",
            yaxis=f"y{a}", zmin=-top, zmax=top, colorscale=[list(stop) for stop in colors.PIYG], showscale=k == 3,
            colorbar=dict(title=dict(text=t(f"{T}.shortcut.heatmap_scale"), side="right")),
            text=[[f"w{k}{j + 1}{i + 1}<br>{num(v)}" for j, v in enumerate(row)] for i, row in enumerate(diff)],
            texttemplate="%{text}", hoverinfo="skip"))
        layout[f"xaxis{a}"].update(title=dict(text=t(f"{T}.shortcut.heatmap_x")), tickvals=list(range(1, cols + 1)),
                                   ticktext=[f"j={j}" for j in range(1, cols + 1)], range=[0.5, cols + 0.5])
        layout[f"yaxis{a}"].update(tickvals=list(range(1, rows + 1)), ticktext=[f"i={i}" for i in range(1, rows + 1)],
                                   range=[rows + 0.5, 0.5])   # row i = 1 at the top
    layout["yaxis"]["title"] = dict(text=t(f"{T}.shortcut.heatmap_y"))
    layout.update(title=dict(text=t(f"{T}.shortcut.heatmap_title"), x=0, xanchor="left", font=dict(size=15)),
                  height=320, margin=margins(60, 90, 70, 60))
    return for_projection(unchecked_figure(traces, layout))


def show_shortcut(values) -> None:
    st.subheader(t(f"{T}.shortcut.heading"))
    st.markdown(t(f"{T}.shortcut.intro"))
    if not st.toggle(t(f"{T}.shortcut.toggle"), key="mn-as-one"):
        return
    output, loss = values["output"], values["loss"]
    gap = shortcut(values["x"], values["weights"], values["label"], values["hidden"], output, loss)
    why = "softmax_ce" if output == "softmax" and loss == "cross_entropy" else output
    st.markdown(t(f"{T}.shortcut.{why}"))
    header = st.columns([1, 2, 2, 2])
    for column, key in zip(header, ("dz", "exact", "as_one", "difference")):
        column.caption(t(f"{T}.shortcut.{key}") if key != "dz" else "")
    rows = [("dz_{3}", gap.dz_exact, gap.dz_as_one, None)]
    rows += [(f"dW_{{{k}}}", e, s, d) for k, (e, s, d) in enumerate(zip(gap.exact, gap.as_one, gap.difference), 1)]
    for name, exact, as_one, diff in rows:
        cells = st.columns([1, 2, 2, 2], vertical_alignment="center")
        cells[0].latex(name)
        cells[1].latex(matrix(exact))
        cells[2].latex(matrix(as_one))
        if diff is not None:
            cells[3].latex(matrix(diff))
    st.caption(t(f"{T}.shortcut.largest", value=f"${num(gap.largest)}$"))
    if gap.largest > 0:
        svg_figure.show(heatmap(gap))


classroom.title(t(lesson(T).title_key))
st.markdown(t(f"{T}.intro"))

inputs.init(FIELDS)
inputs.url_notice(PAGE, FIELDS)
values = sidebar_inputs()

f, out = FORWARD_LATEX[values["hidden"]], FORWARD_LATEX[values["output"]]
notation = lazy.expander(t(f"{T}.notation"), f"{PAGE}-notation", icon=":material/functions:")
if notation is not None:
    with notation:
        st.latex(rf"h_1 = x W_1,\ a_1 = {f}(h_1),\quad h_2 = a_1 W_2,\ a_2 = {f}(h_2),\quad h_3 = a_2 W_3,\ "
                 rf"y = {out}(h_3)")
        st.latex(r"\begin{pmatrix} h_{k1} & h_{k2} \end{pmatrix} = \begin{pmatrix} a_{k-1,1} & a_{k-1,2} "
                 r"\end{pmatrix}\begin{pmatrix} w_{k11} & w_{k21} \\ w_{k12} & w_{k22} \end{pmatrix}")
        st.caption(t(f"{T}.naming"))

if values["loss"] == "cross_entropy" and values["output"] == "identity":
    st.warning(t(f"{T}.ce_identity"), icon=":material/info:")
    st.stop()
ce_softmax = values["loss"] == "cross_entropy" and values["output"] == "softmax"
if ce_softmax and not math.isclose(sum(values["label"]), 1.0):
    st.info(t(f"{T}.ce_label", total=num(sum(values["label"]))), icon=":material/info:")
try:
    net, trace, derivations, paths, (notes_slips, candidates) = worked_example(**values)
except ValueError as error:
    st.error(t(f"{T}.core_error", message=error), icon=":material/error:")
    st.stop()


def render(k: int) -> None:
    step = trace.steps[k]
    shown = predict.seen(PAGE, k, step)   # a value kept back for a prediction is not drawn either
    panel.show_step(step, derivations.get(step.name), PAGE, candidates.get(step.name, ()))
    with stage.pictures():
        svg_figure.show(network_figure(net, trace, shown, highlight=step.touches, title=t(f"{T}.diagram_title"),
                                       projected=projecting()))


stepper.walk(PAGE, len(trace.steps), render)
# with the notes' shortcut switched on, the check shows which gradients it makes wrong
shortcut_net = net.replace(output_grad_as_one=st.session_state.get("mn-gradcheck-shortcut", False))
gradient_check(check_network(shortcut_net, trace.x, trace.label),
               toggle=("mn-gradcheck-shortcut", t(f"{T}.gradcheck_shortcut")))
handout.network(PAGE, T, net, trace, FIELDS)
slips.notes(notes_slips, PAGE)

st.divider()
st.fragment(show_path)(net, trace, paths)
st.divider()
show_shortcut(values)

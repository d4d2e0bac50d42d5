"""Lesson: the single-node chain x -> w1 -> A -> w2 -> A -> w3 -> y -> L (notes 000, 001).

Layout and widgets only: the trace, the SymPy derivations, the notes' slips and the loss curves all come
from bp_core through one cached call.
"""
import plotly.graph_objects as go
import streamlit as st

from bp_core import Network
from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core.derivations import derive
from bp_core.gradcheck import check_network
from bp_core.step import num
from bp_core.sweep import loss_curve
from pages.ui import classroom, colors, handout, inputs, panel, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import projecting
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import t
from pages.ui.lessons import lesson
from pages.ui.network_figure import network_figure
from pages.ui.notation import plain, plain_number
from pages.ui.plot_text import LEGEND_BELOW, for_projection, margins, unchecked_figure

PAGE = "sn"
T = "single_node_chain"
C = P.CHAIN
HIDDEN = ("identity", "relu", "sigmoid", "tanh")
OUTPUTS = ("identity", "sigmoid")    # softmax over one output is the constant 1: see output_note
LOSSES = ("half_sse", "mse")         # cross-entropy needs probabilities over classes: see loss_note
WEIGHTS = ("w1", "w2", "w3")

FIELDS = (
    inputs.Number("sn-x", "x", C["x"], -3.0, 3.0, 0.05),
    inputs.Number("sn-w1", plain("w1"), C["w1"], -3.0, 3.0, 0.05),
    inputs.Number("sn-w2", plain("w2"), C["w2"], -3.0, 3.0, 0.05),
    inputs.Number("sn-w3", plain("w3"), C["w3"], -3.0, 3.0, 0.05),
    inputs.Number("sn-label", t(f"{T}.label"), C["label"], -3.0, 3.0, 0.05),
    inputs.Choice("sn-hidden", t(f"{T}.hidden"), C["hidden"], HIDDEN, "activation"),
    inputs.Choice("sn-output", t(f"{T}.output"), C["output"], OUTPUTS, "activation"),
    inputs.Choice("sn-loss", t(f"{T}.loss"), C["loss"], LOSSES, "loss"),
    inputs.Number("sn-lr", t(f"{T}.lr"), C["lr"], 0.0, 2.0, 0.01),
)


@st.cache_data(max_entries=256, show_spinner=False)
def worked_example(x, w1, w2, w3, label, hidden, output, loss, lr):
    """The chain's trace, SymPy derivations, the notes' slips, each step's likely slips and L along each weight:
    one cached call."""
    net = Network([[[w1]], [[w2]], [[w3]]], hidden=hidden, output=output, loss=loss)
    trace = net.backprop([x], [label], lr=lr)
    curves = {f"w{k}": loss_curve(net, [x], [label], k, lr=lr) for k in (1, 2, 3)}
    slips_ = (slip_core.single_node_chain(net, trace), slip_core.network_candidates(net, trace))
    return net, trace, derive(net, [x], [label], lr), slips_, curves


def weight_of(step) -> str:
    """The weight a step is about (its first touched weight), else w3, where the backward pass starts."""
    return next((i for i in step.touches if i in WEIGHTS), "w3")


def curve_figure(curve, w: str, L_known: bool, slope_known: bool, update_known: bool) -> go.Figure:
    """L along one weight, its tangent at the weight's value, the point (w, L) and the update's step: drawn as SVG
    (svg_figure), so its axes' ranges are given and the update's arrow is an arrowhead marker on a segment."""
    sym = f"w<sub>{w[1:]}</sub>"
    traces = [dict(type="scatter", x=curve.values, y=curve.losses, mode="lines", name=t(f"{T}.curve_line", w=sym),
                   line=dict(color=colors.FORWARD, width=2.5))]
    if slope_known:
        traces.append(dict(
            type="scatter", x=curve.values, y=curve.tangent, mode="lines", meta="tangent",
            name=t(f"{T}.curve_tangent", w=sym, slope=plain_number(curve.slope)),   # a legend: plain text
            line=dict(color=colors.GRADIENT, width=2, dash="dash")))
    if update_known and curve.w_new is not None:
        # the step from (w, L) to (w_new, L(w_new)): its head stops at the diamond's edge
        traces.append(dict(type="scatter", x=[curve.w, curve.w_new], y=[curve.loss, curve.loss_new],
                           mode="lines+markers", meta="step-arrow", showlegend=False, hoverinfo="skip",
                           line=dict(color=colors.INK, width=2),
                           marker=dict(symbol="arrow", angleref="previous", size=[0, 12], standoff=[0, 9],
                                       color=colors.INK)))
    traces.append(dict(
        type="scatter", x=[curve.w], y=[curve.loss], mode="markers", meta="current",
        name=t(f"{T}.curve_point" if L_known else f"{T}.curve_point_pending", w=sym),
        hovertext=[f"{w} = {plain_number(curve.w)}" + (f", L = {plain_number(curve.loss)}" if L_known else "")],
        hoverinfo="text",
        marker=dict(size=13, color=colors.FORWARD if L_known else "white",
                    line=dict(color=colors.FORWARD if L_known else colors.PENDING, width=2))))
    if update_known and curve.w_new is not None:
        traces.append(dict(type="scatter", x=[curve.w_new], y=[curve.loss_new], mode="markers", meta="updated",
                           name=t(f"{T}.curve_step", w=sym),
                           hovertext=[f"{w}* = {plain_number(curve.w_new)}, L = {plain_number(curve.loss_new)}"],
                           hoverinfo="text",
                           marker=dict(size=13, symbol="diamond", color=colors.FORWARD,
                                       line=dict(color=colors.INK, width=1.5))))
    lo, hi = curve.y_range
    fig = unchecked_figure(traces, dict(
        title=dict(text=t(f"{T}.curve_title", w=sym), x=0, xanchor="left", font=dict(size=15)),
        xaxis=dict(title=dict(text=t(f"{T}.curve_x", w=sym)), zeroline=False,
                   range=[float(curve.values[0]), float(curve.values[-1])], showgrid=True, gridcolor="#EEEEEE"),
        yaxis=dict(title=dict(text=t(f"{T}.curve_y")), range=[lo, hi], showgrid=True, gridcolor="#EEEEEE"),
        height=380, margin=margins(70, 10, 45, 90), plot_bgcolor="white",
        legend=dict(LEGEND_BELOW),
    ))
    return for_projection(fig)


def first_index(trace, name: str) -> int:
    return next((n for n, s in enumerate(trace.steps) if s.name == name), len(trace.steps))


def show_curve(trace, curves, k: int, step) -> None:
    st.subheader(t(f"{T}.curve_heading"))
    labels = {"follow": t(f"{T}.curve_follow"), **{w: f"$w_{w[1:]}$" for w in WEIGHTS}}
    pick = st.radio(t(f"{T}.curve_pick"), ("follow",) + WEIGHTS, key="sn-curve", horizontal=True,
                    format_func=labels.get)
    w = weight_of(step) if pick == "follow" else pick
    curve = curves[w]
    L_known = k >= first_index(trace, "L")
    slope_known = k >= first_index(trace, f"dL/d{w}")
    update_known = k >= first_index(trace, f"{w}*")
    svg_figure.show(curve_figure(curve, w, L_known, slope_known, update_known))
    sym = f"w_{w[1:]}"
    if update_known:
        st.caption(t(f"{T}.curve_caption_update", w=sym, value=num(curve.w), new=num(curve.w_new),
                     loss_new=num(curve.loss_new), loss_after=num(trace.loss_after)))
    elif slope_known:
        direction = "curve_up" if curve.slope > 0 else "curve_down" if curve.slope < 0 else "curve_flat"
        st.caption(t(f"{T}.curve_caption_slope", w=sym, value=num(curve.w), slope=num(curve.slope),
                     direction=t(f"{T}.{direction}", w=sym)))
    else:
        st.caption(t(f"{T}.curve_caption_pending", w=sym))


classroom.title(t(lesson(T).title_key))
st.markdown(t(f"{T}.intro"))

inputs.init(FIELDS)
inputs.url_notice(PAGE, FIELDS)
sidebar = st.sidebar
sidebar.header(t("inputs.heading"))
values = {}
for field in FIELDS:
    values[field.key[3:]] = field.widget(sidebar)
    if field.key == "sn-output":
        sidebar.caption(t(f"{T}.output_note"))
    elif field.key == "sn-loss":
        sidebar.caption(t(f"{T}.loss_note"))
inputs.reset_button(PAGE, FIELDS, sidebar)

try:
    net, trace, derivations, (notes_slips, candidates), curves = worked_example(**values)
except ValueError as error:
    st.error(t(f"{T}.core_error", message=error), icon=":material/error:")
    st.stop()


def render(k: int) -> None:
    step = trace.steps[k]
    shown = predict.seen(PAGE, k, step)   # a value kept back for a prediction is not drawn either
    # the chain's picture is short: it goes first, so that it shares the screen with the step
    with stage.pictures():
        svg_figure.show(network_figure(net, trace, shown, highlight=step.touches, title=t(f"{T}.diagram_title"),
                                       projected=projecting()))
    panel.show_step(step, derivations.get(step.name), PAGE, candidates.get(step.name, ()))
    with stage.below():
        show_curve(trace, curves, shown, step)


stepper.walk(PAGE, len(trace.steps), render)
gradient_check(check_network(net, trace.x, trace.label))
handout.network(PAGE, T, net, trace, FIELDS)
slips.notes(notes_slips, PAGE)

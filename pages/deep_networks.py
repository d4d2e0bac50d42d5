"""Lesson: deep networks in note 004's column-vector form, p(k+1) = W_k f(p(k)) + b(k), beside the row form.

Layout and widgets only: the random example, both passes in column form, the row-form trace they are shown
beside, one weight's unrolled derivative, the gradient sizes per layer and the note's slips all come from
bp_core (bp_core/deep.py and Network.backprop) through cached calls.
"""
from __future__ import annotations

import math
from types import MappingProxyType

import plotly.graph_objects as go
import streamlit as st

from bp_core import deep
from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core.step import matrix, num, value_latex
from pages.ui import classroom, colors, handout, inputs, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import PICTURE_WIDTH, projecting
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import t
from pages.ui.lessons import lesson
from pages.ui.network_figure import fits_projection, network_figure
from pages.ui.notation import plain, plain_number, subscript, superscript
from pages.ui.plot_text import LEGEND_BELOW, for_projection, margins, unchecked_figure

PAGE = "dn"
T = "deep_networks"
D = P.DEEP
HIDDEN = ("sigmoid", "relu", "tanh", "identity")
OUTPUTS = ("sigmoid", "identity", "softmax")
COMPARED = ("sigmoid", "relu")
# network_figure labels every weight and unit; beyond this many labels it takes over half a second to build
# (Plotly adds annotations one by one) and the labels overlap, so larger networks get the compact picture.
LABELLED_MAX = 60
# one line style per activation in the gradient-size plot (Okabe-Ito colours; the legend names each)
CURVES = MappingProxyType({
    "sigmoid": MappingProxyType(dict(color=colors.GRADIENT, dash="solid", symbol="circle")),
    "relu": MappingProxyType(dict(color="#009E73", dash="dash", symbol="diamond")),
    "tanh": MappingProxyType(dict(color="#CC79A7", dash="dot", symbol="square")),
    "identity": MappingProxyType(dict(color="#56B4E9", dash="dashdot", symbol="triangle-up")),
})


DEPTH = inputs.Whole("dn-depth", t(f"{T}.depth"), D["depth"], 1, deep.MAX_DEPTH)
SAME = inputs.Flag("dn-same", t(f"{T}.same_width"), True)
WIDTH = inputs.Whole("dn-width", t(f"{T}.width"), D["width"], 1, deep.MAX_WIDTH, 1)
LAYER_WIDTHS = tuple(inputs.Whole(f"dn-width{k}", t(f"{T}.width_k", k=k), D["width"], 1, deep.MAX_WIDTH, 1)
                     for k in range(1, deep.MAX_DEPTH + 1))
HIDDEN_FIELD = inputs.Choice("dn-hidden", t(f"{T}.hidden"), D["hidden"], HIDDEN, "activation")
OUTPUT_FIELD = inputs.Choice("dn-output", t(f"{T}.output"), deep.DEFAULT_OUTPUT, OUTPUTS, "activation")
BIASES = inputs.Flag("dn-biases", t(f"{T}.biases"), D["biases"])
SEED = inputs.Whole("dn-seed", t(f"{T}.seed"), D["seed"], 0, 9999, 1, number_box=True)
SCALE = inputs.Number("dn-scale", t(f"{T}.scale"), deep.DEFAULT_SCALE, 0.25, 3.0, 0.05)
FIELDS = (DEPTH, SAME, WIDTH, *LAYER_WIDTHS, HIDDEN_FIELD, OUTPUT_FIELD, BIASES, SEED, SCALE)


@st.cache_data(max_entries=128, show_spinner=False)
def worked_example(depth, widths, hidden, output, biases, seed, scale):
    """The example, both passes in column form, and the row-form trace of the same network: one cached call."""
    ex = deep.random_example(depth, widths, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)
    return ex, deep.column_backprop(ex.net, ex.x, ex.label), ex.net.backprop(ex.x, ex.label)


@st.cache_data(max_entries=128, show_spinner=False)
def candidates(depth, widths, hidden, output, biases, seed, scale):
    """Each backward step's likely slips (bp_core.slips), for predict-then-reveal."""
    ex, ct, rt = worked_example(depth, widths, hidden, output, biases, seed, scale)
    return slip_core.column_candidates(ex.net, ct, rt)


@st.cache_data(max_entries=128, show_spinner=False)
def checked(depth, widths, hidden, output, biases, seed, scale):
    """The column form's gradients beside finite differences."""
    ex = deep.random_example(depth, widths, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)
    return deep.gradient_check(ex.net, ex.x, ex.label)


@st.cache_data(max_entries=256, show_spinner=False)
def layer_sizes(depth, widths, hidden, output, biases, seed, scale):
    """|dL/dW_k| per layer and the hidden layers no gradient passes, for one activation."""
    ex = deep.random_example(depth, widths, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)
    return deep.gradient_norms(ex.net, ex.x, ex.label), deep.dead_layers(ex.net, ex.x, ex.label)


def sidebar_inputs() -> dict:
    bar = st.sidebar
    bar.header(t("inputs.heading"))
    depth = DEPTH.widget(bar)
    if SAME.widget(bar):
        widths = WIDTH.widget(bar)
    else:
        widths = tuple(field.widget(bar) for field in LAYER_WIDTHS[:depth])
    hidden = HIDDEN_FIELD.widget(bar)
    output = OUTPUT_FIELD.widget(bar)
    biases = BIASES.widget(bar)
    seed = SEED.widget(bar)
    scale = SCALE.widget(bar)
    bar.caption(t(f"{T}.scale_note"))
    inputs.reset_button(PAGE, FIELDS, bar)
    return dict(depth=depth, widths=widths, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)


def show_forms(n: int, depth: int) -> None:
    """The note's column form beside the row form of the other lessons, and how one transposes to the other."""
    column, row = st.columns(2)
    column.caption(t(f"{T}.column_heading"))
    column.latex(
        r"\begin{aligned} p^{(k+1)} &= W_k\, f\big(p^{(k)}\big) + b^{(k)} \\"
        r" \delta^{(N)} &= f_{out}'\big(p^{(N)}\big) \circ \frac{\partial L}{\partial x^{(N)}} \\"
        r" \delta^{(k)} &= \big(W_k^T \delta^{(k+1)}\big) \circ f'\big(p^{(k)}\big) \\"
        r" \frac{\partial L}{\partial W_k} &= \delta^{(k+1)} f\big(p^{(k)}\big)^T, \quad"
        r" \frac{\partial L}{\partial b^{(k)}} = \delta^{(k+1)} \end{aligned}")
    row.caption(t(f"{T}.row_heading"))
    row.latex(
        r"\begin{aligned} h_k &= a_{k-1} W_k + b_k \\"
        r" dz_N &= \frac{\partial L}{\partial y} \odot f_{out}'(h_N) \\"
        r" dz_k &= \big(dz_{k+1} W_{k+1}^T\big) \odot f'(h_k) \\"
        r" dW_k &= a_{k-1}^T dz_k, \quad db_k = dz_k \end{aligned}")
    st.markdown(t(f"{T}.transpose"))
    st.caption(t(f"{T}.input_note", n=n, depth=depth))


def pretty(k: int, i: int, j: int) -> str:
    """w^(0)_12 as plain text for a select box, which shows no LaTeX; then our name w_112."""
    note = "w" + superscript(f"({k})") + subscript(f"{i}{j}")
    ours = plain(f"w{k + 1}{i}{j}")
    return t(f"{T}.weight.option", note=note, ours=ours)


def show_weight(ex, ct, rt) -> None:
    """One weight's derivative: the note's forward unrolling with numbers, the backward product, its bias,
    and the note's slips for it."""
    st.subheader(t(f"{T}.weight.heading"))
    st.markdown(t(f"{T}.weight.intro"))
    options = deep.weights_of(ct)
    if st.session_state.get("dn-weight") not in options:
        st.session_state["dn-weight"] = options[0]
    k, i, j = st.selectbox(t(f"{T}.weight.pick"), options, key="dn-weight", format_func=lambda w: pretty(*w))
    g = deep.weight_gradient(ct, k, i, j)

    st.caption(t(f"{T}.weight.unrolled"))
    st.latex(rf"{g.lhs} = {g.unrolled}")
    st.caption(t(f"{T}.weight.forward"))
    small = r"\footnotesize " if max(ct.widths) > 4 else ""
    st.latex(small + r"\begin{aligned}" + r" \\ ".join(rf"{lhs} &= {numbers}" for lhs, numbers, _ in g.chain)
             + r"\end{aligned}")
    backward, bias = st.columns(2)
    with backward:
        st.caption(t(f"{T}.weight.backward"))
        st.latex(rf"\begin{{aligned}} {g.lhs} &= {g.backward} \\ &= {g.numbers} \\ &= {num(g.value)} \end{{aligned}}")
    with bias:
        st.caption(t(f"{T}.weight.bias"))
        if g.bias is None:
            st.caption(t(f"{T}.weight.bias_none"))
        else:
            st.latex(rf"{g.bias_lhs} = {deep.D(k + 1)}_{{{i}}} = {num(g.bias)}")
        st.caption(t(f"{T}.weight.row_check", k1=k + 1, i=i, j=j, value=f"${num(rt.dW[k][j - 1, i - 1])}$"))
    slips.notes(slip_core.deep_networks(ct, k, i, j), PAGE)
    picture(ex, ct, rt, None, g.touches, t(f"{T}.weight.diagram_title", w=pretty(k, i, j).split()[0]))


def labels(ct) -> int:
    """How many labels network_figure would draw: one per weight, one per unit, one for the loss."""
    widths = ct.widths
    return sum(a * b for a, b in zip(widths, widths[1:])) + sum(widths) + 1


def picture(ex, ct, rt, k: int | None, highlight, title: str | None) -> None:
    """The network at step k (everything when k is None): network_figure when it is small enough to label (in
    projection mode: with text at least its normal size and no two labels overlapping in the picture's column),
    else the compact picture. `title`: the picture's; None for the step's, which says which picture it is."""
    labelled_title = title or t(f"{T}.diagram_title")
    if labels(ct) <= LABELLED_MAX and (not projecting() or fits_projection(ex.net, rt, labelled_title)):
        upto = None if k is None else row_index[ct.row_names[k]]
        fig = network_figure(ex.net, rt, upto, highlight=highlight, title=labelled_title, projected=projecting())
    else:
        fig = compact_figure(ct, len(ct.steps) - 1 if k is None else k, set(highlight),
                             title or t(f"{T}.compact.title"))
        fig = for_projection(fig, PICTURE_WIDTH)
    svg_figure.show(fig)


def compact_figure(ct, k: int, lit: set[str], title: str) -> go.Figure:
    """Units as dots and weights as lines, coloured by what steps 1..k+1 have computed; values on hover."""
    done = {step.name for step in ct.steps[: k + 1]}
    N, widths = ct.N, ct.widths

    def pos(m: int, j: int) -> tuple[float, float]:
        return float(m), (widths[m] - 1) / 2 - (j - 1)

    def forward(m: int) -> bool:
        return m == 0 or f"p({m})" in done

    def gradient(m: int) -> bool:
        return m > 0 and f"delta({m})" in done

    fig = go.Figure()
    lines: dict[str, tuple[list, list]] = {}
    mid_x, mid_y, mid_text = [], [], []
    for m in range(N):
        ids = deep.weight_ids(widths, m)
        n_in = widths[m]
        for i in range(1, widths[m + 1] + 1):
            for j in range(1, n_in + 1):
                (x0, y0), (x1, y1) = pos(m, j), pos(m + 1, i)
                wid = ids[(i - 1) * n_in + (j - 1)]
                style = "gradient" if f"dL/dW_{m}" in done else "forward" if forward(m + 1) else "pending"
                for s in (("highlight",) if wid in lit else ()) + (style,):
                    xs, ys = lines.setdefault(s, ([], []))
                    xs += [x0, x1, None]
                    ys += [y0, y1, None]
                mid_x.append(x0 + 0.5 * (x1 - x0))
                mid_y.append(y0 + 0.5 * (y1 - y0))
                text = f"w<sup>({m})</sup><sub>{i}{j}</sub> = {plain_number(ct.W[m][i - 1, j - 1])}"
                if style == "gradient":
                    text += f"<br>∂L/∂w = {plain_number(ct.dW[m][i - 1, j - 1])}"
                mid_text.append(text)
    widths_px = {"highlight": 9, "pending": 1, "forward": 1.2, "gradient": 1.5}
    tints = {"highlight": colors.HIGHLIGHT, "pending": colors.PENDING, "forward": colors.FORWARD,
             "gradient": colors.GRADIENT}
    for s in ("highlight", "pending", "forward", "gradient"):
        if s in lines:
            dash = "dot" if s == "pending" else None
            fig.add_trace(go.Scatter(x=lines[s][0], y=lines[s][1], mode="lines", hoverinfo="skip", showlegend=False,
                                     line=dict(color=tints[s], width=widths_px[s], dash=dash)))
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", marker=dict(size=6, opacity=0), showlegend=False,
                             hovertext=mid_text, hoverinfo="text"))

    unit_x, unit_y, fill, border, text, halo_x, halo_y = [], [], [], [], [], [], []
    for m in range(N + 1):
        ids = deep.unit_ids(widths, m)
        n = widths[m]
        for j in range(1, n + 1):
            x, y = pos(m, j)
            has_grad = gradient(m) or (m == N and f"dL/dx({N})" in done)
            state = "gradient" if has_grad else "forward" if forward(m) else "pending"
            unit_x.append(x)
            unit_y.append(y)
            fill.append("white" if state == "pending" else "#E3EFF8")
            border.append(tints[state])
            lines_ = [f"x<sub>{j}</sub><sup>(0)</sup> = {plain_number(ct.x[0][j - 1, 0])}"] if m == 0 else []
            if m > 0 and forward(m):
                lines_ += [f"p<sub>{j}</sub><sup>({m})</sup> = {plain_number(ct.p[m][j - 1, 0])}",
                           f"x<sub>{j}</sub><sup>({m})</sup> = {plain_number(ct.x[m][j - 1, 0])}"]
            if gradient(m):
                lines_.append(f"∂ δ<sub>{j}</sub><sup>({m})</sup> = {plain_number(ct.delta[m][j - 1, 0])}")
            text.append("<br>".join(lines_) or "?")
            if lit & {ids[j - 1]} or (m > 0 and lit & {ids[n + j - 1]}):
                halo_x.append(x)
                halo_y.append(y)
    fig.add_trace(go.Scatter(x=halo_x, y=halo_y, mode="markers", hoverinfo="skip", showlegend=False,
                             marker=dict(size=30, color=colors.HIGHLIGHT)))
    fig.add_trace(go.Scatter(x=unit_x, y=unit_y, mode="markers", hovertext=text, hoverinfo="text", showlegend=False,
                             marker=dict(size=18, color=fill, line=dict(color=border, width=2.5))))
    loss_known = "L" in done
    fig.add_trace(go.Scatter(
        x=[N + 0.7], y=[0], mode="markers+text", text=[f"L = {plain_number(ct.loss)}" if loss_known else "L = ?"],
        textposition="bottom center", hoverinfo="skip", showlegend=False,
        marker=dict(size=30 if "L" in lit else 18, symbol="square", color=colors.HIGHLIGHT if "L" in lit else "white",
                    line=dict(color=colors.FORWARD if loss_known else colors.PENDING, width=2.5))))
    for key, color, symbol in (("forward", colors.FORWARD, "circle"), ("gradient", colors.GRADIENT, "circle-open"),
                               ("pending", colors.PENDING, "circle-open"), ("highlight", colors.HIGHLIGHT, "circle")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=t(f"{T}.compact.{key}"),
                                 marker=dict(color=color, size=12, symbol=symbol, line=dict(color=color, width=2))))
    top = (max(widths) - 1) / 2
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=170 + 55 * max(widths), margin=margins(10, 10, 40, 70),
        plot_bgcolor="white", paper_bgcolor="white",
        xaxis=dict(range=[-0.4, N + 1.1], fixedrange=True, showgrid=False, zeroline=False, tickmode="array",
                   tickvals=list(range(N + 1)) + [N + 0.7],
                   ticktext=[t(f"{T}.compact.layer", m=m) for m in range(N + 1)] + ["L"]),
        yaxis=dict(visible=False, range=[-top - 0.6, top + 0.6], fixedrange=True),
        legend=dict(LEGEND_BELOW, font=dict(size=12)),
        hoverlabel=dict(bgcolor="white", font=dict(size=13)),
    )
    return fig


def sizes_figure(curves: dict[str, tuple[float, ...]]) -> go.Figure:
    """|dL/dW_k| per layer on a log scale, one curve per activation; a zero is an x on the bottom edge."""
    positive = [v for norms in curves.values() for v in norms if v > 0]
    floor = 10 ** (math.floor(math.log10(min(positive))) - 1) if positive else 1e-3
    traces = []
    for act, norms in curves.items():
        style = CURVES[act]
        ks = list(range(len(norms)))
        traces.append(dict(
            type="scatter", x=ks, y=[v if v > 0 else None for v in norms], mode="lines+markers",
            name=t(f"{T}.norms.trace", act=t(f"activation.{act}")),
            line=dict(color=style["color"], dash=style["dash"], width=2.5),
            marker=dict(symbol=style["symbol"], size=10, color=style["color"]), meta=act))
        zeros = [k for k, v in zip(ks, norms) if v == 0]
        if zeros:
            traces.append(dict(
                type="scatter", x=zeros, y=[floor] * len(zeros), mode="markers", meta=f"{act}-zero",
                name=t(f"{T}.norms.zero", act=t(f"activation.{act}")),
                marker=dict(symbol="x", size=12, color=style["color"])))
    n = max(len(norms) for norms in curves.values())
    zeros = any(v == 0 for norms in curves.values() for v in norms)
    shown = [v for v in positive if math.isfinite(v)] + ([floor] if zeros else [])
    low, high = math.log10(min(shown, default=floor)), math.log10(max(shown, default=1.0))
    pad = max(0.08 * (high - low), 0.1)   # decades: about what Plotly's autorange leaves around the markers
    fig = unchecked_figure(traces, dict(
        title=dict(text=t(f"{T}.norms.title"), x=0, xanchor="left", font=dict(size=15)),
        xaxis=dict(title=dict(text=t(f"{T}.norms.x")), tickmode="array", tickvals=list(range(n)),
                   ticktext=[f"W<sub>{k}</sub>" for k in range(n)], range=[-0.3, n - 0.7], showgrid=True,
                   gridcolor="#EEEEEE"),
        yaxis=dict(title=dict(text=t(f"{T}.norms.y")), type="log", exponentformat="power",
                   range=[low - pad, high + pad],   # in powers of ten, as Plotly's log axes
                   showgrid=True, gridcolor="#EEEEEE"),
        height=380, margin=margins(80, 10, 45, 100), plot_bgcolor="white",
        legend=dict(LEGEND_BELOW),
    ))
    return for_projection(fig)


def show_sizes(values: dict) -> None:
    st.subheader(t(f"{T}.norms.heading"))
    st.markdown(t(f"{T}.norms.intro"))
    compare = st.toggle(t(f"{T}.norms.compare"), key="dn-compare")
    acts = [values["hidden"]] + ([a for a in COMPARED if a != values["hidden"]] if compare else [])
    sizes = {act: layer_sizes(**{**values, "hidden": act}) for act in acts}
    svg_figure.show(sizes_figure({act: norms for act, (norms, _) in sizes.items()}))
    for act, (norms, dead) in sizes.items():
        name = t(f"activation.{act}")
        if norms[0] > 0 and norms[-1] > 0:
            st.caption(t(f"{T}.norms.ratio", act=name, ratio=f"${num(norms[0] / norms[-1], 2)}$", last=len(norms) - 1))
        hidden_dead = [k for k in dead if k < len(norms)]      # layer N is the output
        if hidden_dead:
            st.caption(t(f"{T}.norms.dead", act=name, layers=", ".join(map(str, hidden_dead))))
        if len(norms) in dead:
            st.caption(t(f"{T}.norms.saturated", act=name))


classroom.title(t(lesson(T).title_key))
st.markdown(t(f"{T}.intro"))

inputs.url_notice(PAGE, FIELDS)
values = sidebar_inputs()

try:
    ex, ct, rt = worked_example(**values)
except ValueError as error:
    st.error(t(f"{T}.core_error", message=error), icon=":material/error:")
    st.stop()

show_forms(ct.N, values["depth"])
st.markdown(t(f"{T}.example", seed=values["seed"], x=matrix(ex.x[:, None]), label=matrix(ex.label[:, None])))
row_index = {step.name: n for n, step in enumerate(rt.steps)}


def render(k: int) -> None:
    step = ct.steps[k]
    row = rt.steps[row_index[ct.row_names[k]]]
    predict.bar(PAGE)
    st.markdown(f"**{t('phase.' + step.phase)}** · {t('step.' + step.kind, **step.params)}")
    column, row_form = st.columns(2)
    column.caption(t(f"{T}.panel_column"))
    column.latex(step.formula)
    row_form.caption(t(f"{T}.panel_row"))
    row_form.latex(row.formula)
    # a matrix value goes under the numbers, a column beside them; wide examples in smaller type
    wide = max(ct.widths) > 4
    matrix_value = getattr(step.value, "ndim", 0) == 2 and step.value.shape[1] > 1
    numbers, value = (st.container(), st.container()) if wide or matrix_value else st.columns([4, 1])
    small = r"\footnotesize " if wide else ""
    if predict.hides(PAGE, step):   # predict, then reveal: the numbers and the value wait for a prediction
        with numbers:
            predict.ask(PAGE, step, candidates(**values).get(step.name, ()))
    else:
        numbers.caption(t(f"{T}.panel_numbers"))
        numbers.latex(small + step.numbers)
        value.caption(t(f"{T}.panel_value"))
        value.latex(small + value_latex(step.value))
        predict.feedback(PAGE, step)
    with stage.pictures():
        picture(ex, ct, rt, predict.seen(PAGE, k, step), step.touches, None)


stepper.walk(PAGE, len(ct.steps), render)
gradient_check(checked(**values))
handout.deep(PAGE, ex.net, ct, FIELDS)

st.divider()
st.fragment(show_weight)(ex, ct, rt)
st.divider()
show_sizes(values)

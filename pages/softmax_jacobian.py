"""Softmax Jacobian (note 003): probabilities as bars, the Jacobian as a heatmap, gradients back through it,
the collapse to (y_hat - y) / T with cross-entropy, and the note's batch loop beside the vectorised form.

Layout and widgets only: every number, formula and derivation comes from bp_core.softmax_lesson.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core import softmax_lesson as lesson_core
from bp_core.gradcheck import check_softmax
from bp_core.softmax_derivations import derive
from pages.ui import classroom, colors, handout, inputs, panel, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import chart_scale
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import current_language, t
from pages.ui.lessons import lesson
from pages.ui.notation import subscript
from pages.ui.plot_text import LEGEND_BELOW, axis_suffix, enlarge, margins, side_by_side, unchecked_figure

CODE = "sj"
MAX_N = 6
CLASS_COUNTS = tuple(str(n) for n in range(2, MAX_N + 1))
DEFAULT_Z = lesson_core.default_logits(MAX_N)
NEGATIVE = "#5E3C99"  # purple end of the diverging Jacobian scale (PuOr, safe for colour-blind readers)
DIVERGING = ((0.0, NEGATIVE), (0.5, "#FFFFFF"), (1.0, colors.GRADIENT))
SEQUENTIAL = ((0.0, "#FFFFFF"), (1.0, colors.FORWARD))


def _c(key: str, **kw) -> str:
    return t(f"softmax_jacobian.{key}", **kw)


def _classes(n: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(1, n + 1))


N_FIELD = inputs.Choice(f"{CODE}-n", _c("classes"), str(len(P.SOFTMAX["z"])), CLASS_COUNTS)
Z_FIELDS = tuple(inputs.Number(f"{CODE}-z{j}", _c("logit", j=subscript(j)), DEFAULT_Z[j - 1], -6.0, 6.0, 0.1)
                 for j in range(1, MAX_N + 1))
T_FIELD = inputs.Number(f"{CODE}-temp", _c("temperature"), float(P.SOFTMAX["temperature"]), 0.1, 5.0, 0.1)


def class_fields(n: int) -> list[inputs.Choice]:
    """The label and the Jacobian cell: their options are the n classes."""
    options = _classes(n)
    return [
        inputs.Choice(f"{CODE}-label", _c("label"), str(lesson_core.default_label() + 1), options),
        inputs.Choice(f"{CODE}-j", _c("cell_j"), "1", options),
        inputs.Choice(f"{CODE}-k", _c("cell_k"), "2", options),
    ]


# -- cached data: the trace, its derivations, the figures of each step ------------------------------
@st.cache_data(max_entries=256, show_spinner=False)
def lesson_data(z: tuple[float, ...], T: float, c: int, j: int, k: int):
    trace = lesson_core.trace(z, T, c, (j, k))
    return trace, derive(trace), (slip_core.softmax_jacobian(trace), slip_core.softmax_candidates(trace))


@st.cache_data(max_entries=256, show_spinner=False)
def softmax_checks(z: tuple[float, ...], T: float, c: int):
    return check_softmax(z, T, c)


def _done(trace, idx: int, name: str) -> bool:
    return idx >= trace.step_index(name)


def _fmt(v: float, digits: int = 3) -> str:
    """A number on a chart: `digits` significant digits, and 0 rather than -0."""
    return f"{float(v) + 0.0:.{digits}g}"


# The figures are built from plain dicts, unvalidated (plot_text.unchecked_figure): go.Figure's validation of each
# update, make_subplots and add_trace took 20-50 ms a figure, 80 ms of a Next click on the server.
# tests/test_plot_specs.py validates every figure the page draws.
def _bar_range(values) -> list[float]:
    """A bar chart's y range, as Plotly's autorange would give it: from zero or below, with room beyond the longest
    bars for their numbers (and above zero for a zero bar's)."""
    lo, hi = min(0.0, float(np.min(values))), max(0.0, float(np.max(values)))
    pad = 0.15 * ((hi - lo) or 1.0)
    return [lo - pad if lo < 0 else 0.0, hi + pad]


def _halo(x: int, col: int | None = None) -> dict:
    """A yellow band behind bar x: what the current step touches."""
    a = axis_suffix(col)
    return dict(type="rect", x0=x - 0.45, x1=x + 0.45, y0=0, y1=1, xref=f"x{a}", yref=f"y{a} domain",
                fillcolor=colors.HIGHLIGHT, opacity=0.55, line=dict(width=0), layer="below")


def _panel_axes(col: int | None) -> dict:
    """A trace's axes in panel `col`."""
    return dict(xaxis=f"x{axis_suffix(col)}", yaxis=f"y{axis_suffix(col)}") if col else {}


def _pending_bars(n: int, name: str, col: int | None = None) -> dict:
    """Slots for values not computed yet: grey outlines, not filled in, marked '?'."""
    return dict(type="bar", x=list(range(1, n + 1)), y=[1.0] * n, width=0.5, name=name, marker=dict(
        color="rgba(0,0,0,0)", line=dict(color=colors.PENDING, width=2)), text=["?"] * n, textposition="inside",
        insidetextanchor="middle", textfont=dict(color="#888888", size=16),
        hovertemplate=f"{_c('chart.pending')}<extra></extra>", showlegend=False, **_panel_axes(col))


def _figure(data: list[dict], layout: dict, title: str, height: int, margin: dict, scale: float) -> go.Figure:
    """The figure with the lesson's frame: its title top left, a white plot, the legend at the plot's top right
    unless the layout places it, and its text `scale` times its size."""
    frame = dict(title=dict(text=title, x=0, xanchor="left"), height=height, margin=margin, plot_bgcolor="white",
                 paper_bgcolor="white", font=dict(color=colors.INK),
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    return enlarge(unchecked_figure(data, {**frame, **layout}), scale)


# The figures are cached as objects shared by every session (st.cache_resource), not as pickled copies:
# unpickling a go.Figure re-validates it. They are only read: svg_figure.show draws them from a copy as dicts.
@st.cache_resource(max_entries=1024, show_spinner=False)
def probability_figure(z, T, c, j, k, idx: int, known: int, lang: str, scale: float) -> go.Figure:
    """idx: the step whose elements are haloed; known: the last step whose values are drawn (idx, or the one
    before while a prediction is awaited). lang and scale are part of the cache key: the titles inside are in the
    session's language, and the text is `scale` times its size (pages/ui/classroom.py chart_scale). The other
    figures take the same arguments."""
    trace = lesson_data(z, T, c, j, k)[0]
    step, n = trace.steps[idx], trace.n
    xs = list(range(1, n + 1))
    data = [dict(type="bar", x=xs, y=list(trace.y), name=_c("chart.label_name"), marker=dict(
        color="rgba(0,0,0,0)", line=dict(color=colors.INK, width=2), pattern=dict(shape="")),
        hovertemplate="y_%{x} = %{y}<extra></extra>")]
    if _done(trace, known, "S"):
        data.append(dict(type="bar", x=xs, y=list(trace.S), name=_c("chart.S_name"),
                         marker=dict(color=colors.FORWARD), text=[_fmt(v) for v in trace.S], textposition="outside",
                         cliponaxis=False, hovertemplate="S_%{x} = %{y:.4g}<extra></extra>"))
    else:
        data.append(_pending_bars(n, _c("chart.S_name")))
    loss_done = _done(trace, known, "L")
    note = dict(xref="paper", yref="paper", x=1, y=0.97, xanchor="right", showarrow=False,
                text=_c("chart.loss", loss=f"{trace.loss:.4g}") if loss_done else _c("chart.loss_pending"),
                font=dict(size=15, color=colors.FORWARD if loss_done else colors.PENDING),
                bgcolor=colors.HIGHLIGHT if "L" in step.touches else "white",
                bordercolor=colors.FORWARD if loss_done else colors.PENDING, borderwidth=1.5, borderpad=4)
    layout = dict(shapes=[_halo(x) for x in xs if f"S{x}" in step.touches], annotations=[note], barmode="overlay",
                  bargap=0.25, xaxis=dict(title=dict(text=_c("chart.class_axis")), tickvals=xs, range=[0.4, n + 0.6]),
                  yaxis=dict(title=dict(text=_c("chart.S_axis")), range=[0, 1.12], gridcolor="#EEEEEE"))
    return _figure(data, layout, _c("chart.S_title"), 330, margins(70, 10, 60, 60), scale)


@st.cache_resource(max_entries=1024, show_spinner=False)
def gradient_figure(z, T, c, j, k, idx: int, known: int, lang: str, scale: float) -> go.Figure:
    trace = lesson_data(z, T, c, j, k)[0]
    step, n = trace.steps[idx], trace.n
    xs = list(range(1, n + 1))
    data = []
    if _done(trace, known, "dL/dS"):
        data.append(dict(type="bar", x=xs, y=list(trace.dS), name=_c("chart.dS_name"), marker=dict(
            color=colors.GRADIENT, pattern=dict(shape="/", fgcolor="white", fillmode="overlay")),
            text=[f"∂ {_fmt(v)}" for v in trace.dS], textposition="outside", textangle=0, cliponaxis=False,
            hovertemplate="∂L/∂S_%{x} = %{y:.4g}<extra></extra>", **_panel_axes(1)))
    else:
        data.append(_pending_bars(n, _c("chart.dS_name"), 1))
    if _done(trace, known, "J^T g"):
        data.append(dict(type="bar", x=xs, y=list(trace.dz_chain), name=_c("chart.dz_name"),
                         marker=dict(color=colors.GRADIENT), text=[f"∂ {_fmt(v)}" for v in trace.dz_chain],
                         textposition="outside", textangle=0, cliponaxis=False,
                         hovertemplate="∂L/∂z_%{x} = %{y:.4g}<extra></extra>", **_panel_axes(2)))
    else:
        data.append(_pending_bars(n, _c("chart.dz_name"), 2))
    if _done(trace, known, "dL/dz"):
        data.append(dict(type="scatter", x=xs, y=list(trace.dz), mode="markers", name=_c("chart.collapse_name"),
                         marker=dict(symbol="diamond", size=13, color=colors.INK, line=dict(color="white", width=1.5)),
                         hovertemplate="(S_%{x} − y_%{x}) / T = %{y:.4g}<extra></extra>", **_panel_axes(2)))
    layout = side_by_side((_c("chart.dS_title"), _c("chart.dz_title")), 0.14)
    shown = (trace.dS if _done(trace, known, "dL/dS") else np.ones(n),
             trace.dz_chain if _done(trace, known, "J^T g") else np.ones(n))
    for col, values in enumerate(shown, start=1):
        a = axis_suffix(col)
        layout[f"xaxis{a}"].update(title=dict(text=_c("chart.class_axis")), tickvals=xs, range=[0.4, n + 0.6])
        layout[f"yaxis{a}"].update(gridcolor="#EEEEEE", zeroline=True, zerolinecolor=colors.INK,
                                   range=_bar_range(values))
    layout["yaxis"]["title"] = dict(text=_c("chart.grad_axis"))
    layout.update(shapes=[_halo(x, col) for col, prefix in ((1, "g"), (2, "dz")) for x in xs
                          if f"{prefix}{x}" in step.touches],
                  legend=dict(LEGEND_BELOW), uniformtext=dict(minsize=9, mode="hide"))
    return _figure(data, layout, _c("chart.grad_title"), 360, margins(70, 10, 70, 100), scale)


def _cell_rect(r: int, c: int, outer: str, width: float, dash: str = "solid", col: int | None = None) -> dict:
    """An outline around heatmap cell (row r, column c), 1-based, in panel `col`."""
    a = axis_suffix(col)
    return dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, xref=f"x{a}", yref=f"y{a}",
                line=dict(color=outer, width=width, dash=dash), fillcolor="rgba(0,0,0,0)")


def _annotated_heatmap(values, done, scale, zmin, zmax, colorbar, hover, col: int | None = None
                       ) -> tuple[list[dict], list[dict]]:
    """values[r][c] shown where done[r][c]; the rest is a grey outline marked '?', not filled in: (the traces, the
    outlines for the figure's shapes)."""
    rows, cols = values.shape
    digits, size = (3, 14) if cols <= 4 else (2, 11)
    text = [[_fmt(values[r, c], digits) if done[r, c] else "" for c in range(cols)] for r in range(rows)]
    z = [[float(values[r, c]) if done[r, c] else None for c in range(cols)] for r in range(rows)]
    traces = [dict(type="heatmap", z=z, x=list(range(1, cols + 1)), y=list(range(1, rows + 1)), text=text,
                   texttemplate="%{text}", textfont=dict(size=size), colorscale=[list(stop) for stop in scale],
                   zmin=zmin, zmax=zmax, xgap=2, ygap=2, hoverongaps=False, showscale=colorbar is not None,
                   hovertemplate=hover, **_panel_axes(col),
                   **(dict(colorbar=dict(title=dict(text=colorbar), thickness=12, len=0.8)) if colorbar else {}))]
    pending = [(r + 1, c + 1) for r in range(rows) for c in range(cols) if not done[r, c]]
    if pending:
        traces.append(dict(type="scatter", x=[c for _, c in pending], y=[r for r, _ in pending], mode="text",
                           text=["?"] * len(pending), textfont=dict(color="#888888", size=16), hoverinfo="skip",
                           showlegend=False, **_panel_axes(col)))
    return traces, [_cell_rect(r, c, colors.PENDING, 1.5, col=col) for r, c in pending]


def _symmetric_limit(values: np.ndarray) -> float:
    return float(max(np.abs(values).max(), 1e-12))


@st.cache_resource(max_entries=1024, show_spinner=False)
def jacobian_figure(z, T, c, j, k, idx: int, known: int, lang: str, scale: float) -> go.Figure:
    """J as an annotated heatmap: entries appear as their steps compute them; (j, k) is the selected cell."""
    trace = lesson_data(z, T, c, j, k)[0]
    step, n = trace.steps[idx], trace.n
    done = np.zeros((n, n), dtype=bool)
    if _done(trace, known, "J"):
        done[:] = True
    else:
        cj, ck = trace.cell
        done[cj, cj] = _done(trace, known, f"dS{cj + 1}/dz{cj + 1}")
        done[cj, ck] = _done(trace, known, f"dS{cj + 1}/dz{ck + 1}")
    lim = _symmetric_limit(trace.J)
    data, shapes = _annotated_heatmap(trace.J, done, DIVERGING, -lim, lim, _c("chart.J_colorbar"),
                                      "∂S_%{y}/∂z_%{x} = %{z:.4g}<extra></extra>")
    shapes.append(_cell_rect(j + 1, k + 1, colors.INK, 2))
    for r in range(1, n + 1):
        for col in range(1, n + 1):
            if f"J{r}{col}" in step.touches:
                shapes += [_cell_rect(r, col, colors.HIGHLIGHT, 5), _cell_rect(r, col, colors.INK, 1.5, dash="dot")]
    ticks = list(range(1, n + 1))
    layout = dict(shapes=shapes,
                  xaxis=dict(title=dict(text=_c("chart.k_axis")), tickvals=ticks, side="top", showgrid=False,
                             zeroline=False, range=[0.5, n + 0.5], constrain="domain"),
                  # row 1 at the top, as a matrix is written
                  yaxis=dict(title=dict(text=_c("chart.j_axis")), tickvals=ticks, range=[n + 0.5, 0.5],
                             showgrid=False, zeroline=False, scaleanchor="x", constrain="domain"))
    return _figure(data, layout, _c("chart.J_title"), 360 + 20 * n, margins(60, 90, 90, 10), scale)


@st.cache_resource(max_entries=1024, show_spinner=False)
def batch_figure(z, T, c, j, k, idx: int, known: int, lang: str, scale: float) -> go.Figure:
    trace = lesson_data(z, T, c, j, k)[0]
    step, n, B = trace.steps[idx], trace.n, trace.batch
    s_done = np.full((B, n), _done(trace, known, "S batch"))
    d_done = np.full((B, n), _done(trace, known, "dZ loop"))
    lim = _symmetric_limit(trace.dZ_vec)
    left, shapes = _annotated_heatmap(trace.SB, s_done, SEQUENTIAL, 0.0, 1.0, None, _c("chart.SB_hover"), 1)
    right, more = _annotated_heatmap(trace.dZ_vec, d_done, DIVERGING, -lim, lim, None, _c("chart.dB_hover"), 2)
    shapes += more
    for col, prefix in ((1, "SB"), (2, "dB")):
        for b in range(1, B + 1):
            for x in range(1, n + 1):
                if f"{prefix}{b}{x}" in step.touches:
                    shapes.append(_cell_rect(b, x, colors.HIGHLIGHT, 4, col=col))
    layout = side_by_side((_c("chart.SB_title"), _c("chart.dB_title")), 0.12)
    samples = dict(tickvals=list(range(1, B + 1)), ticktext=[_c("chart.sample", b=b) for b in range(1, B + 1)],
                   range=[B + 0.5, 0.5], showgrid=False, zeroline=False)   # sample 1 at the top
    for col in (1, 2):
        a = axis_suffix(col)
        layout[f"xaxis{a}"].update(title=dict(text=_c("chart.class_axis")), tickvals=list(range(1, n + 1)),
                                   range=[0.5, n + 0.5], showgrid=False, zeroline=False)
        layout[f"yaxis{a}"].update(samples)
    layout["yaxis"]["title"] = dict(text=_c("chart.sample_axis"))
    layout["yaxis2"]["showticklabels"] = False   # the same samples as on the left
    layout["shapes"] = shapes
    return _figure(left + right, layout, _c("chart.batch_title"), 290, margins(110, 10, 80, 60), scale)


# -- the page ----------------------------------------------------------------------------------------
classroom.title(t(lesson("softmax_jacobian").title_key))

inputs.init([N_FIELD, *Z_FIELDS, T_FIELD])
# The label's and the cell's options depend on n, which a link may set: read n before any widget exists, so
# that url_notice sees the link as it came (a widget drops an invalid URL value when it is created). A link
# counts on the page's first run only; afterwards the URL follows the widgets.
link_n = st.query_params.get(N_FIELD.key)
first_run = not st.session_state.get(f"{CODE}-opened")
st.session_state[f"{CODE}-opened"] = True
from_link = first_run and link_n is not None and N_FIELD.accepts(link_n)
n = int(link_n if from_link else st.session_state[N_FIELD.key])
LABEL, CELL_J, CELL_K = CLASS_FIELDS = class_fields(n)
inputs.init(CLASS_FIELDS)
for field in CLASS_FIELDS:
    # fewer classes than before: a label or cell beyond n falls back to its default
    if st.session_state.get(field.key) not in field.options:
        st.session_state[field.key] = field.default
FIELDS = (N_FIELD, *Z_FIELDS, T_FIELD, *CLASS_FIELDS)
inputs.url_notice(CODE, FIELDS)

sidebar = st.sidebar
sidebar.subheader(t("inputs.heading"))
N_FIELD.widget(sidebar)
z = tuple(float(f.widget(sidebar)) for f in Z_FIELDS[:n])
T = float(sidebar.slider(T_FIELD.label, T_FIELD.lo, T_FIELD.hi, step=T_FIELD.step, key=T_FIELD.key,
                         bind=inputs.binding(T_FIELD.key), help=_c("temperature_help")))
c = int(LABEL.widget(sidebar)) - 1
inputs.reset_button(CODE, FIELDS, sidebar)

st.markdown(_c("intro"))
n_steps = len(lesson_data(z, T, c, 0, 1)[0].steps)


def render(idx: int) -> None:
    panel_box = st.container()
    with stage.pictures():
        left, right = st.columns([1, 1], gap="medium")
    heat_box = right.container()
    pick_j, pick_k = right.columns(2)
    sel_j = int(CELL_J.widget(pick_j)) - 1
    sel_k = int(CELL_K.widget(pick_k)) - 1
    trace, derivations, (_, candidates) = lesson_data(z, T, c, sel_j, sel_k)
    step = trace.steps[idx]
    known = predict.seen(CODE, idx, step)   # a value kept back for a prediction is not drawn either
    with panel_box:
        panel.show_step(step, derivations.get(step.name), CODE, candidates.get(step.name, ()))
    figure_args = (z, T, c, sel_j, sel_k, idx, known, current_language(), chart_scale())
    with left:
        svg_figure.show(probability_figure(*figure_args))
        svg_figure.show(gradient_figure(*figure_args))
    with heat_box:
        svg_figure.show(jacobian_figure(*figure_args))
    with right:
        st.markdown(f"**{_c('cell_heading')}**")
        if _done(trace, known, "J"):
            entry = trace.entry(sel_j, sel_k)
            st.latex(rf"{entry.formula} \\ = {entry.numbers}")
            st.caption(_c("props", asym=f"{trace.asymmetry:.2g}", rows=f"{np.abs(trace.row_sums).max():.2g}",
                          rank=trace.rank, n1=trace.n - 1))
        else:
            st.caption(_c("cell_pending", k=trace.step_index("J") + 1))
    with stage.below():
        st.subheader(_c("batch_heading", B=trace.batch))
        st.caption(_c("batch_caption"))
        svg_figure.show(batch_figure(*figure_args))
    handout.softmax(CODE, trace, [N_FIELD, *Z_FIELDS[:n], T_FIELD, *CLASS_FIELDS])


stepper.walk(CODE, n_steps, render)
gradient_check(softmax_checks(z, T, c))
slips.notes(lesson_data(z, T, c, 0, 1)[2][0], CODE)

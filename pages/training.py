"""Lesson: training (notes 000/001): the update W* = W - lr dL/dW, repeated over mini-batches of a data set.

Layout and widgets only. The data set, the network, every update and every run come from bp_core.datasets
and bp_core.training through cached calls of plain inputs; the session holds the inputs and the step cursor.
"""
from __future__ import annotations

import math
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from bp_core import datasets, training
from bp_core import presets as P
from bp_core import slips as slip_core
from bp_core.contour import level_lines
from bp_core.gradcheck import check_network
from bp_core.step import Step, matrix, num
from pages.ui import classroom, colors, handout, inputs, predict, slips, stage, stepper, svg_figure
from pages.ui.classroom import PICTURE_WIDTH, projecting
from pages.ui.gradcheck import gradient_check
from pages.ui.i18n import t
from pages.ui.lessons import lesson
from pages.ui.plot_text import LEGEND_BELOW, for_projection, margins, unchecked_figure

PAGE = "tr"
T = "training"
D = P.TRAINING
CHART = MappingProxyType({"displayModeBar": False})
# One run at most, so that it stays under 1 s on a 2-core machine: an update costs about 0.2 ms, and every epoch
# about 1 us more per point (its gradients and the loss on every point after it).
MAX_UPDATES = 2_000
MAX_PASSES = 100_000      # epochs x points
STEP_LIMIT = 100          # step mode walks the first updates of the run
PROGRESS_STEPS = 20       # run mode trains in this many cached chunks, moving the progress bar between them
GRID = 81
# Two classes in two more Okabe-Ito colours (blue and vermillion already mean "value" and "gradient"), and
# two marker shapes, so colour is never the only carrier.
CLASS_COLOR = MappingProxyType({1: "#009E73", 2: "#CC79A7"})
CLASS_TINT = MappingProxyType({1: "#B3E2D5", 2: "#F0D7E5"})
CLASS_SYMBOL = MappingProxyType({1: "circle", 2: "triangle-up"})


def fmt(v: float) -> str:
    """A setting as text, for option labels and the URL: 0.001, 0.5, 20, 10000."""
    return f"{v:g}"


DATASET = inputs.Choice("tr-dataset", t(f"{T}.dataset"), D["dataset"], datasets.NAMES, f"{T}.datasets")
POINTS = inputs.Whole("tr-points", t(f"{T}.points"), D["points"], 20, 400, 10)
NOISE = inputs.Number("tr-noise", t(f"{T}.noise"), D["noise"], 0.0, 0.5, 0.05)
SEED = inputs.Whole("tr-seed", t(f"{T}.seed"), D["seed"], 0, 99)
DEPTH = inputs.Whole("tr-depth", t(f"{T}.depth"), D["depth"], 1, 3)
WIDTH = inputs.Whole("tr-width", t(f"{T}.width"), D["width"], 2, 8)
HIDDEN = inputs.Choice("tr-hidden", t(f"{T}.hidden"), D["hidden"], training.HIDDEN, "activation")
BIASES = inputs.Flag("tr-biases", t(f"{T}.biases"), D["biases"])
LOSS = inputs.Choice("tr-loss", t(f"{T}.loss"), D["loss"], training.LOSSES, "loss")
INIT = inputs.Whole("tr-init", t(f"{T}.init_seed"), D["init_seed"], 0, 99)
LR = inputs.Ladder("tr-lr", t(f"{T}.lr"), D["lr"],
            (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0, 10000.0))
BATCH = inputs.Ladder("tr-batch", t(f"{T}.batch"), D["batch"], (1, 2, 5, 10, 20, 50, 100, 200, 400))
EPOCHS = inputs.Ladder("tr-epochs", t(f"{T}.epochs"), D["epochs"], (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000))
MODE = inputs.Choice("tr-mode", t(f"{T}.mode.label"), "step", ("step", "run"), f"{T}.mode", radio=True)
FIELDS = (DATASET, POINTS, NOISE, SEED, DEPTH, WIDTH, HIDDEN, BIASES, LOSS, INIT, LR, BATCH, EPOCHS, MODE)
NOTES_NETWORK = MappingProxyType({"tr-depth": 2, "tr-width": 2, "tr-hidden": "relu", "tr-biases": False})


class Settings(NamedTuple):
    """Everything a run depends on: the cache key of every cached call below."""

    dataset: str
    points: int
    noise: float
    seed: int
    depth: int
    width: int
    hidden: str
    biases: bool
    loss: str
    init_seed: int
    lr: float
    batch: int
    epochs: int

    @property
    def batches_per_epoch(self) -> int:
        return -(-self.points // self.batch)

    @property
    def updates(self) -> int:
        return self.epochs * self.batches_per_epoch


@st.cache_data(max_entries=64, show_spinner=False)
def data(dataset: str, points: int, noise: float, seed: int):
    return datasets.make(dataset, points, seed, noise)


def network(s: Settings):
    return training.initial_network(s.depth, s.width, s.hidden, s.biases, s.loss, s.init_seed)


def chunk_ends(epochs: int) -> list[int]:
    """Where run mode's chunks end: at most PROGRESS_STEPS of them, the last at `epochs`."""
    return sorted({math.ceil(epochs * i / PROGRESS_STEPS) for i in range(1, PROGRESS_STEPS + 1)})


@st.cache_data(max_entries=256, show_spinner=False)
def trained(s: Settings, upto: int, _before: training.Run | None):
    """The run up to epoch `upto`, continuing `_before` (the run up to the previous chunk's end, which
    the key (s, upto) determines, so it is left out of the key)."""
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    start = network(s) if _before is None else _before
    done = 0 if _before is None else _before.epochs
    return training.train(start, X, Y, lr=s.lr, batch=s.batch, epochs=upto - done, seed=s.init_seed)


@st.cache_data(max_entries=64, show_spinner=False)
def replay(s: Settings):
    """Step mode's updates: the first ones of the run, each with the networks before and after it."""
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    return training.first_updates(network(s), X, Y, lr=s.lr, batch=s.batch, seed=s.init_seed,
                                  count=min(s.updates, STEP_LIMIT))


@st.cache_data(max_entries=256, show_spinner=False)
def update_check(s: Settings, k: int):
    """Step mode's gradient check of update k: its gradients on its mini-batch beside finite differences."""
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    u = replay(s)[k]
    return check_network(u.before, X[u.indices], Y[u.indices])


@st.cache_data(max_entries=512, show_spinner=False)
def boundary(s: Settings, k: int | None, before: bool = False):
    """The probability of class 1 over the plane: after step mode's update k (before it, while a prediction
    of it is awaited), or (k None) after the run."""
    X, _ = data(s.dataset, s.points, s.noise, s.seed)
    if k is None:
        net = run_to_end(s, progress=False).net
    else:
        update = replay(s)[k]
        net = update.before if before else update.after or update.before
    return training.grid(net, X, GRID)


def run_to_end(s: Settings, progress: bool = True) -> training.Run:
    """Every chunk of the run in turn (cached), moving a progress bar between them."""
    bar = st.progress(0.0, text=t(f"{T}.run.progress", done=0, total=s.epochs)) if progress else None
    run = None
    for end in chunk_ends(s.epochs):
        run = trained(s, end, run)
        if bar is not None:
            bar.progress(end / s.epochs, text=t(f"{T}.run.progress", done=end, total=s.epochs))
        if run.diverged:
            break
    if bar is not None:
        bar.empty()
    return run


# -- inputs ---------------------------------------------------------------------------------------------

def use_notes_network() -> None:
    st.session_state.update(NOTES_NETWORK)


def sidebar() -> Settings:
    bar = st.sidebar
    bar.header(t("inputs.heading"))
    bar.subheader(t(f"{T}.data_heading"))
    dataset, points, noise, seed = DATASET.widget(bar), POINTS.widget(bar), NOISE.widget(bar), SEED.widget(bar)
    bar.subheader(t(f"{T}.network_heading"))
    depth, width, hidden = DEPTH.widget(bar), WIDTH.widget(bar), HIDDEN.widget(bar)
    biases, loss, init_seed = BIASES.widget(bar), LOSS.widget(bar), INIT.widget(bar)
    bar.button(t(f"{T}.notes_network"), key="tr-notes-network", on_click=use_notes_network,
               icon=":material/history_edu:", width="stretch")
    bar.subheader(t(f"{T}.descent_heading"))
    lr, batch, epochs = LR.widget(bar), BATCH.widget(bar), EPOCHS.widget(bar)
    inputs.reset_button(PAGE, [f for f in FIELDS if f is not MODE], bar)
    return Settings(dataset, points, round(float(noise), 4), seed, depth, width, hidden, bool(biases), loss,
                    init_seed, float(lr), int(batch), int(epochs))


# -- pictures -------------------------------------------------------------------------------------------

def boundary_figure(s: Settings, grid, title: str, batch: np.ndarray | None = None) -> go.Figure:
    """y_1 over the plane as a heatmap, the line y_1 = 1/2, and the points: shape and colour per class. Drawn as SVG
    (svg_figure): the axes' ranges are the heatmap's extent (the points' with a little room, without a heatmap)."""
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    cls = datasets.classes(Y)
    traces = []
    if grid is not None:
        traces.append(dict(
            type="heatmap", x=grid.xs, y=grid.ys, z=grid.p1, zmin=0, zmax=1, name=t(f"{T}.plot.probability"),
            colorscale=[[0, CLASS_TINT[2]], [0.5, "#FFFFFF"], [1, CLASS_TINT[1]]],
            colorbar=dict(title=dict(text=t(f"{T}.plot.probability"), side="right"), thickness=12, len=0.8),
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>y₁ %{z:.3f}<extra></extra>"))
        if grid.p1.min() < 0.5 < grid.p1.max():
            # the line y_1 = 1/2 worked out here (a few ms) rather than as a contour the browser traces
            line_x, line_y = level_lines(grid.xs, grid.ys, grid.p1, 0.5)
            traces.append(dict(
                type="scatter", x=line_x, y=line_y, mode="lines", name=t(f"{T}.plot.boundary"), showlegend=True,
                line=dict(color=colors.INK, width=2, dash="dash"), hoverinfo="skip"))
        half = (grid.xs[1] - grid.xs[0]) / 2, (grid.ys[1] - grid.ys[0]) / 2
        x_range = [grid.xs[0] - half[0], grid.xs[-1] + half[0]]
        y_range = [grid.ys[0] - half[1], grid.ys[-1] + half[1]]
    else:   # the network overflows over the plane: the points alone, with the room Plotly's autorange leaves
        lo, hi = X.min(axis=0), X.max(axis=0)
        room = 0.05 * (hi - lo) + 1e-9
        x_range, y_range = [lo[0] - room[0], hi[0] + room[0]], [lo[1] - room[1], hi[1] + room[1]]
    for c in (1, 2):
        mine = cls == c
        name = t(f"{T}.plot.class", c=c)
        traces.append(dict(
            type="scatter", x=X[mine, 0], y=X[mine, 1], mode="markers", name=name,
            marker=dict(symbol=CLASS_SYMBOL[c], color=CLASS_COLOR[c], size=7, line=dict(color="white", width=0.5)),
            hovertext=[f"{name}: x₁ {a:.2f}, x₂ {b:.2f}" for a, b in X[mine]], hoverinfo="text"))
    if batch is not None:
        traces.append(dict(
            type="scatter", x=X[batch, 0], y=X[batch, 1], mode="markers", name=t(f"{T}.plot.batch"),
            marker=dict(symbol="circle-open", color=colors.INK, size=13, line=dict(width=2)), hoverinfo="skip"))
    fig = unchecked_figure(traces, dict(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=450, margin=margins(60, 90, 40, 110), plot_bgcolor="#EDEDED",
        xaxis=dict(title=dict(text="x₁"), zeroline=False, constrain="domain", range=x_range),
        yaxis=dict(title=dict(text="x₂"), zeroline=False, scaleanchor="x", scaleratio=1, range=y_range),
        legend=dict(LEGEND_BELOW),
    ))
    return for_projection(fig, PICTURE_WIDTH)


def loss_figure(run: training.Run, title: str) -> go.Figure:
    """The loss on all points after each epoch and each mini-batch's loss before its update, on a log scale."""
    fig = go.Figure()
    per = run.batches_per_epoch
    batches_shown = run.diverged or run.updates <= 500
    if per > 1 or run.diverged:
        # each mini-batch's loss jumps about; it is drawn faint, and hidden (one click on the legend) when
        # there are so many that they would hide the loss on all points
        stride = max(1, run.updates // 4000)
        u = np.arange(run.updates)[::stride]
        few = run.updates <= 200
        fig.add_trace(go.Scatter(
            x=u / per, y=run.batch_losses[::stride], mode="lines+markers" if few else "lines",
            name=t(f"{T}.plot.batch_loss"), line=dict(color="#9A9A9A" if few else "#C4C4C4", width=1.5 if few else 1),
            marker=dict(size=5), visible=True if batches_shown else "legendonly"))
    fig.add_trace(go.Scatter(
        x=np.arange(run.epochs + 1), y=run.losses, mode="lines+markers" if run.epochs < 60 else "lines",
        name=t(f"{T}.plot.epoch_loss"), line=dict(color=colors.FORWARD, width=2.5), marker=dict(size=6)))
    if run.diverged:
        fig.add_vline(x=run.diverged_epoch, line=dict(color=colors.INK, dash="dot", width=1.5),
                      annotation_text=t(f"{T}.plot.diverged", e=run.diverged_epoch), annotation_position="top left")
    every = np.concatenate([run.losses, run.batch_losses]) if batches_shown else run.losses
    log = bool(every.min() > 0)
    lo, hi = np.log10(every.min()) if log else 0, np.log10(every.max()) if log else 0
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=430, margin=margins(80, 10, 40, 100), plot_bgcolor="white",
        xaxis=dict(title=dict(text=t(f"{T}.plot.epoch")), gridcolor="#EEEEEE", rangemode="tozero"),
        yaxis=dict(title=dict(text=t(f"{T}.plot.loss_log" if log else f"{T}.plot.loss")), gridcolor="#EEEEEE",
                   type="log" if log else "linear",
                   # a range of its own only for a run that blew up (autorange let its last jump run off the top)
                   range=[lo - 0.1, hi + 0.15] if log and run.diverged else None,
                   dtick=(1 if hi - lo >= 2 else "D2" if hi - lo >= 0.5 else None) if log else None,
                   tickformat="~g" if log else None),
        legend=dict(LEGEND_BELOW),
    )
    return for_projection(fig, PICTURE_WIDTH)


def steps_figure(updates, k: int, title: str, reveal: bool = True) -> go.Figure:
    """The loss on all points before update 1 and after each update up to k (up to k - 1 while a prediction
    of update k is awaited); the rest of step mode's range is left empty, to come."""
    shown = updates[: k + 1] if reveal else updates[:k]
    xs = [0] + [u.number for u in shown if u.loss_all_after is not None]
    ys = [updates[0].loss_all] + [u.loss_all_after for u in shown if u.loss_all_after is not None]
    traces = [dict(type="scatter", x=xs, y=ys, mode="lines+markers", name=t(f"{T}.plot.all_points"),
                   line=dict(color=colors.FORWARD, width=2), marker=dict(size=5))]
    now = updates[k]
    if reveal and now.loss_all_after is not None:
        traces.append(dict(
            type="scatter", x=[now.number - 1, now.number], y=[now.loss_all, now.loss_all_after], mode="markers+lines",
            name=t(f"{T}.plot.this_update"), line=dict(color=colors.GRADIENT, width=3),
            marker=dict(size=11, color=colors.HIGHLIGHT, line=dict(color=colors.INK, width=1.5))))
    finite = [v for v in ys + [now.loss_all] if math.isfinite(v)] or [0.0]   # a loss that blew up is not drawn
    lo, hi = min(finite), max(finite)
    pad = 0.06 * (hi - lo) or 0.1 * abs(hi) or 0.1   # Plotly's autorange leaves about this much around the points
    fig = unchecked_figure(traces, dict(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)),
        height=430, margin=margins(80, 10, 40, 100), plot_bgcolor="white",
        xaxis=dict(title=dict(text=t(f"{T}.plot.update")), range=[-0.5, len(updates) + 0.5], gridcolor="#EEEEEE"),
        yaxis=dict(title=dict(text=t(f"{T}.plot.loss")), gridcolor="#EEEEEE", range=[lo - pad, hi + pad]),
        showlegend=True,  # also while the line is a single point, before update 1 is revealed
        legend=dict(LEGEND_BELOW),
    ))
    return for_projection(fig, PICTURE_WIDTH)


# -- the two modes --------------------------------------------------------------------------------------

def blue(latex: str) -> str:
    return rf"\textcolor{{{colors.FORWARD}}}{{{latex}}}"


def vermillion(latex: str) -> str:
    return rf"\textcolor{{{colors.GRADIENT}}}{{{latex}}}"


def partial(name: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {name}}}"


def update_latex(name: str, old: np.ndarray, grad: np.ndarray | None, new: np.ndarray | None, lr: float,
                 narrow: bool = False) -> str:
    """name* = name - eta dL/dname = (old) - lr (grad) = (new): values blue, gradients vermillion, "?" for
    what could not be computed. Wider matrices go on lines of their own, so nothing runs off the page; so
    does every matrix in a `narrow` column (projection mode: half the screen, the maths set larger)."""
    unknown = r"\;?"
    head = rf"{name}^* = {name} - \eta\, {vermillion(partial(name))}"
    was = blue(matrix(old, 3))
    step = rf"- {fmt(lr)}\, " + vermillion(unknown if grad is None else matrix(grad, 3))
    now = unknown if new is None else blue(matrix(new, 3))
    columns = np.atleast_2d(old).shape[1]
    if narrow:   # a matrix of 3 columns or more smaller: the room reads it smaller rather than past the edge
        size = "" if columns <= 2 else r"\scriptsize" if columns <= 4 else r"\tiny"
        return aligned(size, head, f"&= {was}", f"& {step}", f"&= {now}")
    if columns <= 2:
        return rf"{head} = {was} {step} = {now}"
    if columns <= 4:
        return aligned(r"\small", head, f"&= {was} {step}", f"&= {now}")
    return aligned(r"\footnotesize", head, f"&= {was}", rf"&\quad {step}", f"&= {now}")


def aligned(size: str, first: str, *rest: str) -> str:
    """Lines of one equation in `size`, aligned at the = after the first line's name*."""
    body = r" \\ ".join((first.replace("^* =", "^* &=", 1),) + rest)
    return rf"{size} \begin{{aligned}} {body} \end{{aligned}}"


def question(u: training.Update) -> Step | None:
    """Predict, then reveal: the output layer's weights after update u, from the W, eta and dL/dW shown
    above them (None for an update that could not be made)."""
    if u.after is None:
        return None
    W = f"W_{{{u.before.depth}}}"
    return Step("update", f"update {u.number}: W{u.before.depth}*", rf"{W}^* = {W} - \eta\, {partial(W)}", "",
                u.after.weights[-1])


def show_update(s: Settings, updates, k: int) -> None:
    u = updates[k]
    asked = question(u)
    predict.bar(PAGE)
    hidden = asked is not None and predict.pending(PAGE, asked)   # the update's outcome waits for a prediction
    st.markdown(t(f"{T}.step.where", n=u.number, epoch=u.epoch, b=u.batch, batches=s.batches_per_epoch,
                  size=len(u.indices)))
    if u.diverged:
        st.error(t(f"{T}.step.diverged.{u.diverged}", lr=fmt(s.lr)), icon=":material/error:")
    batch_col, all_col = st.columns(2)
    for col, key, before, after in ((batch_col, "batch_loss", u.loss, u.loss_after),
                                    (all_col, "all_loss", u.loss_all, u.loss_all_after)):
        label = t(f"{T}.step.{key}", n=s.points)
        if hidden:
            after = None
        if before is None:
            col.metric(label, "—")
        elif after is None:
            col.metric(label, t(f"{T}.step.before_after", before=num(before), after="?"))
        else:
            col.metric(label, t(f"{T}.step.before_after", before=num(before), after=num(after)),
                       delta=num(after - before), delta_color="inverse")
    new_W = None if u.after is None or hidden else u.after.weights
    new_b = None if u.after is None or u.after.biases is None or hidden else u.after.biases
    narrow = projecting()
    for k_layer in range(u.before.depth):
        i = k_layer + 1
        st.latex(update_latex(f"W_{{{i}}}", u.before.weights[k_layer], None if u.dW is None else u.dW[k_layer],
                              None if new_W is None else new_W[k_layer], s.lr, narrow))
        if u.before.biases is not None:
            st.latex(update_latex(f"b_{{{i}}}", u.before.biases[k_layer], None if u.db is None else u.db[k_layer],
                                  None if new_b is None else new_b[k_layer], s.lr, narrow))
    if hidden:
        W, dW = u.before.weights[-1], u.dW[-1]
        predict.ask(PAGE, asked, slip_core.update_candidates(W, dW, s.lr),
                    prompt=t("predict.update", W=f"W_{{{u.before.depth}}}", lr=fmt(s.lr)))
    elif asked is not None:
        predict.feedback(PAGE, asked)
    grid = boundary(s, k, before=hidden)
    title = t(f"{T}.plot.boundary_before" if hidden else f"{T}.plot.boundary_after", n=u.number)
    with stage.pictures():
        left, right = st.columns(2)
    with left:
        svg_figure.show(boundary_figure(s, grid, title, u.indices))
    with right:
        svg_figure.show(steps_figure(updates, k, t(f"{T}.plot.steps_title"), reveal=not hidden))
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    handout.training(PAGE, u, X, Y, s.lr, FIELDS)
    if u.dW is not None:  # this update's gradients, on its mini-batch
        gradient_check(update_check(s, k))


def step_mode(s: Settings) -> None:
    updates = replay(s)
    n = len(updates)
    if updates[-1].diverged:
        st.caption(t(f"{T}.step.stopped", n=n))
    elif n < s.updates:
        st.caption(t(f"{T}.step.limit", n=n, total=f"{s.updates:,}"))
    stepper.walk(PAGE, n, lambda k: show_update(s, updates, k))


def run_mode(s: Settings) -> None:
    if s.updates > MAX_UPDATES:
        st.warning(t(f"{T}.run.too_many", updates=f"{s.updates:,}", limit=f"{MAX_UPDATES:,}"), icon=":material/timer:")
        return
    if s.epochs * s.points > MAX_PASSES:
        st.warning(t(f"{T}.run.too_long", epochs=s.epochs, points=s.points, passes=f"{s.epochs * s.points:,}",
                     limit=f"{MAX_PASSES:,}"), icon=":material/timer:")
        return
    run = run_to_end(s)
    X, Y = data(s.dataset, s.points, s.noise, s.seed)
    if run.diverged:
        st.error(t(f"{T}.run.diverged.{run.reason}", lr=fmt(s.lr), epoch=run.diverged_epoch), icon=":material/error:")
    elif run.losses[-1] >= run.losses[0]:
        st.warning(t(f"{T}.run.stuck", lr=fmt(s.lr)), icon=":material/trending_flat:")
    elif run.losses[-1] > 0.9 * run.losses[0]:
        st.info(t(f"{T}.run.slow", lr=fmt(s.lr), e=run.epochs), icon=":material/slow_motion_video:")
    first, last, acc = st.columns(3)
    first.metric(t(f"{T}.run.start_loss"), num(run.losses[0]))
    if run.diverged:
        last.metric(t(f"{T}.run.stopped_loss", u=run.updates), num(run.batch_losses[-1]))
    else:
        last.metric(t(f"{T}.run.end_loss", e=run.epochs), num(run.losses[-1]),
                    delta=num(run.losses[-1] - run.losses[0]), delta_color="inverse")
        acc.metric(t(f"{T}.run.accuracy", e=run.epochs), f"{training.accuracy(run.net, X, Y):.0%}")
    left, right = st.columns(2)
    left.plotly_chart(loss_figure(run, t(f"{T}.plot.loss_title")), width="stretch", config=dict(CHART),
                      key="tr-run-loss")
    if run.diverged and run.epochs == 0:
        right.info(t(f"{T}.run.no_boundary"), icon=":material/block:")
        return
    title = t(f"{T}.plot.boundary_run", e=run.epochs)
    with right:
        svg_figure.show(boundary_figure(s, boundary(s, None), title))
    if run.diverged:
        right.caption(t(f"{T}.run.boundary_before", e=run.epochs))


# -- the page -------------------------------------------------------------------------------------------

classroom.title(t(lesson(T).title_key))
st.markdown(t(f"{T}.intro"))
rule, why = st.columns([1, 1], vertical_alignment="center")
rule.latex(rf"W_k^* = W_k - \eta\, {vermillion(partial('W_k'))} \qquad "
           rf"b_k^* = b_k - \eta\, {vermillion(partial('b_k'))}")
why.caption(t(f"{T}.notes_rule"))

inputs.url_notice(PAGE, FIELDS)
settings = sidebar()

choose, summary = st.columns([1, 1.4], vertical_alignment="center")
mode = MODE.widget(choose)
summary.caption(t(f"{T}.summary", points=settings.points, batches=settings.batches_per_epoch,
                  batch=min(settings.batch, settings.points), epochs=settings.epochs,
                  updates=f"{settings.updates:,}",
                  widths=" → ".join(map(str, (2,) + (settings.width,) * settings.depth + (2,)))))
if settings.hidden == "relu" and settings.width == 2:
    st.info(t(f"{T}.narrow_relu"), icon=":material/info:")
if mode == "step":
    step_mode(settings)
else:
    run_mode(settings)
slips.notes(slip_core.training(network(settings), *data(settings.dataset, settings.points, settings.noise,
                                                         settings.seed), settings.batch, settings.init_seed), PAGE)

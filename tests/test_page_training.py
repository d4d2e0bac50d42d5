"""The training page under AppTest: it opens in step mode; Next and Previous walk every update, and at each
the matrices and losses shown are those of gradient descent replayed here from bp_core; run mode trains to
the end and reports the run's loss; a huge learning rate shows the divergence in words (and no NaN in the
chart); changing an input changes the numbers; a bad link value falls back with a warning naming it."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from lesson_app import bare, counter, data_array, drawn_charts, open_lesson
from streamlit.testing.v1 import AppTest

from bp_core import datasets, training
from bp_core import presets as P
from bp_core.step import matrix, num
from pages.ui.i18n import t

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/training.py"
TIMEOUT = 60
D = P.TRAINING


def open_page(**query: str) -> AppTest:
    return open_lesson(PAGE, **query)


def settings(**changes) -> dict:
    s = dict(D)
    s.update(changes)
    return s


def replay(count: int, **changes) -> list[dict]:
    """Gradient descent by hand, from bp_core's backprop: the networks before and after each of the first
    `count` updates, the gradients, and the losses on the mini-batch and on every point."""
    s = settings(**changes)
    X, Y = datasets.make(s["dataset"], s["points"], s["seed"], s["noise"])
    net = training.initial_network(s["depth"], s["width"], s["hidden"], s["biases"], s["loss"], s["init_seed"])
    out, epoch = [], 1
    while len(out) < count:
        for idx in training.batches(len(X), s["batch"], s["init_seed"], epoch):
            if len(out) == count:
                break
            x, y = X[idx], Y[idx]
            trace = net.backprop(x, y, steps=False)
            after = net.replace(weights=[W - s["lr"] * g for W, g in zip(net.weights, trace.dW)],
                                biases=None if trace.db is None else
                                [b - s["lr"] * g for b, g in zip(net.biases, trace.db)])
            out.append(dict(before=net, after=after, dW=trace.dW, db=trace.db, loss=trace.loss,
                            loss_after=after.loss_value(x, y), all=net.loss_value(X, Y),
                            all_after=after.loss_value(X, Y)))
            net = after
        epoch += 1
    return out


def shown_latex(at) -> str:
    return "\n".join(bare(element.value) for element in at.latex)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def check_update(at, expected: dict, points: int) -> None:
    """The page shows this update's W_k, dL/dW_k and W_k* (and b_k's), and its losses before and after."""
    latex = shown_latex(at)
    net, after = expected["before"], expected["after"]
    for k in range(net.depth):
        for arr in (net.weights[k], expected["dW"][k], after.weights[k]):
            assert matrix(arr, 3) in latex, f"W{k + 1}"
        if net.biases is not None:
            for arr in (net.biases[k], expected["db"][k], after.biases[k]):
                assert matrix(arr, 3) in latex, f"b{k + 1}"
    arrow = t("training.step.before_after", before=num(expected["loss"]), after=num(expected["loss_after"]))
    assert metric(at, t("training.step.batch_loss")) == arrow
    arrow = t("training.step.before_after", before=num(expected["all"]), after=num(expected["all_after"]))
    assert metric(at, t("training.step.all_loss", n=points)) == arrow


def test_page_opens_in_step_mode():
    at = open_page()
    assert [title.value for title in at.title] == [t("lessons.training.title")]
    assert counter(at) == f"**{t('steps.counter', k=1, n=100)}**"
    assert at.radio(key="tr-mode").value == "step"
    assert not at.get("plotly_chart")   # the boundary and the loss after each update are drawn as SVG
    boundary, steps = drawn_charts(at)
    assert [d["type"] for d in boundary["data"]][0] == "heatmap"
    assert steps["layout"]["title"]["text"] == t("training.plot.steps_title")
    check_update(at, replay(1)[0], D["points"])


def test_next_walks_every_update_and_previous_walks_back():
    # one epoch of 6 mini-batches: step mode walks all 6 updates of the run
    at = open_page(**{"tr-epochs": "1", "tr-batch": "20", "tr-points": "120"})
    expected = replay(6, epochs=1, points=120)
    for k in range(1, 7):
        assert counter(at) == f"**{t('steps.counter', k=k, n=6)}**"
        check_update(at, expected[k - 1], 120)
        if k < 6:
            at.button(key="tr-next").click().run()
    assert at.button(key="tr-next").disabled
    for k in range(6, 0, -1):
        assert counter(at) == f"**{t('steps.counter', k=k, n=6)}**"
        check_update(at, expected[k - 1], 120)
        if k > 1:
            at.button(key="tr-previous").click().run()
    assert at.button(key="tr-previous").disabled


def test_default_walk_reaches_the_last_of_100_updates():
    at = open_page()
    expected = replay(100)
    for k in (2, 3):
        at.button(key="tr-next").click().run()
        check_update(at, expected[k - 1], D["points"])
    at.button(key="tr-last").click().run()
    assert counter(at) == f"**{t('steps.counter', k=100, n=100)}**"
    check_update(at, expected[99], D["points"])


def test_link_opens_at_its_step():
    at = open_page(**{"tr-step": "17"})
    assert counter(at) == f"**{t('steps.counter', k=17, n=100)}**"
    check_update(at, replay(17)[16], D["points"])


def test_changing_an_input_changes_the_numbers():
    at = open_page(**{"tr-step": "4"})
    old = replay(4)[3]
    at.slider(key="tr-init").set_value(7).run()
    at.select_slider(key="tr-lr").set_value(0.1).run()
    at.selectbox(key="tr-dataset").set_value("circles").run()
    at.toggle(key="tr-biases").set_value(False).run()
    new = replay(4, init_seed=7, lr=0.1, dataset="circles", biases=False)[3]
    assert counter(at).startswith("**Step 4 ")
    check_update(at, new, D["points"])
    assert matrix(old["after"].weights[0], 3) not in shown_latex(at)
    assert "b_{1}" not in shown_latex(at)


def test_notes_network_button_sets_the_notes_2x2x2_relu_network():
    at = open_page()
    at.button(key="tr-notes-network").click().run()
    assert at.slider(key="tr-depth").value == 2 and at.slider(key="tr-width").value == 2
    assert at.selectbox(key="tr-hidden").value == "relu" and at.toggle(key="tr-biases").value is False
    check_update(at, replay(1, width=2, hidden="relu", biases=False)[0], D["points"])
    assert any(t("training.narrow_relu") == info.value for info in at.info)


def run_mode(**query) -> AppTest:
    at = open_page(**query)
    at.radio(key="tr-mode").set_value("run").run()
    assert not at.exception, at.exception
    return at


def chart(at, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_run_mode_trains_to_the_end():
    at = run_mode(**{"tr-epochs": "100"})
    s = settings(epochs=100)
    X, Y = datasets.make(s["dataset"], s["points"], s["seed"], s["noise"])
    net = training.initial_network(s["depth"], s["width"], s["hidden"], s["biases"], s["loss"], s["init_seed"])
    run = training.train(net, X, Y, lr=s["lr"], batch=s["batch"], epochs=100, seed=s["init_seed"])
    assert metric(at, t("training.run.start_loss")) == num(run.losses[0])
    assert metric(at, t("training.run.end_loss", e=100)) == num(run.losses[-1])
    assert metric(at, t("training.run.accuracy", e=100)) == f"{training.accuracy(run.net, X, Y):.0%}"
    assert not at.error
    loss_chart = chart(at, 0)                 # a Plotly chart: its mini-batch losses are shown by a legend click
    (boundary_chart,) = drawn_charts(at)      # drawn as SVG
    assert loss_chart["layout"]["title"]["text"] == t("training.plot.loss_title")
    assert loss_chart["layout"]["xaxis"]["title"]["text"] == t("training.plot.epoch")
    (epochs,) = [d for d in loss_chart["data"] if d["name"] == t("training.plot.epoch_loss")]
    assert np.allclose(data_array(epochs["y"]), run.losses)
    # the predictions: a heatmap of y_1 and both classes, each with its own marker shape
    kinds = {d["type"] for d in boundary_chart["data"]}
    assert "heatmap" in kinds
    symbols = {d["name"]: d["marker"]["symbol"] for d in boundary_chart["data"] if d.get("mode") == "markers"}
    assert symbols[t("training.plot.class", c=1)] != symbols[t("training.plot.class", c=2)]


@pytest.mark.parametrize("lr", ["10000", "100"])
def test_huge_learning_rate_shows_the_divergence_in_words(lr):
    at = run_mode(**{"tr-lr": lr})
    X, Y = datasets.make(D["dataset"], D["points"], D["seed"], D["noise"])
    net = training.initial_network(D["depth"], D["width"], D["hidden"], D["biases"], D["loss"], D["init_seed"])
    run = training.train(net, X, Y, lr=float(lr), batch=D["batch"], epochs=D["epochs"], seed=D["init_seed"])
    assert run.diverged
    message = t(f"training.run.diverged.{run.reason}", lr=lr, epoch=run.diverged_epoch)
    assert [e.value for e in at.error] == [message]
    # the loss curve up to that point, and not a NaN in it
    for trace in chart(at, 0)["data"]:
        assert np.all(np.isfinite(data_array(trace["y"])))
    assert "nan" not in " ".join(m.value for m in at.metric).lower()


def test_huge_learning_rate_in_step_mode_stops_at_the_update_that_diverges():
    at = open_page(**{"tr-lr": "10000"})
    assert [e.value for e in at.error] == [t("training.step.diverged.growth", lr="10000")]
    assert counter(at) == f"**{t('steps.counter', k=1, n=1)}**"


def test_too_many_updates_are_refused_in_words():
    at = run_mode(**{"tr-batch": "1", "tr-epochs": "2000"})
    assert any(w.value == t("training.run.too_many", updates="400,000", limit="2,000") for w in at.warning)
    assert not at.get("plotly_chart") and not drawn_charts(at)


def test_bad_link_values_fall_back_with_a_warning():
    at = open_page(**{"tr-lr": "nan", "tr-points": "abc", "tr-hidden": "softmax", "tr-biases": "maybe"})
    warnings = " ".join(w.value for w in at.warning)
    for key in ("tr-lr", "tr-points", "tr-hidden", "tr-biases"):
        assert key in warnings
    assert at.select_slider(key="tr-lr").value == D["lr"]
    assert at.slider(key="tr-points").value == D["points"]
    assert at.selectbox(key="tr-hidden").value == D["hidden"]
    assert at.toggle(key="tr-biases").value == D["biases"]
    check_update(at, replay(1)[0], D["points"])


def test_good_link_values_are_used_without_a_warning():
    at = open_page(**{"tr-lr": "0.001", "tr-depth": "1", "tr-hidden": t("activation.relu"),
                      "tr-dataset": t("training.datasets.moons"), "tr-biases": "false"})
    assert not at.warning
    assert at.select_slider(key="tr-lr").value == 0.001 and at.slider(key="tr-depth").value == 1
    assert at.selectbox(key="tr-hidden").value == "relu" and at.selectbox(key="tr-dataset").value == "moons"
    check_update(at, replay(1, lr=0.001, depth=1, hidden="relu", dataset="moons", biases=False)[0], D["points"])


def test_a_tiny_learning_rate_is_said_to_be_slow():
    at = run_mode(**{"tr-lr": "0.001", "tr-epochs": "50"})
    assert [i.value for i in at.info] == [t("training.run.slow", lr="0.001", e=50)]
    assert not at.error and not at.warning


def updates_shown(at: AppTest) -> list[str]:
    """The update lines of the step: W_k^* = ... and b_k^* = ..., one st.latex each."""
    return [latex for latex in (bare(e.value) for e in at.latex) if "^* " in latex and "pmatrix" in latex]


def test_projection_mode_sets_each_matrix_of_an_update_on_a_line_of_its_own():
    """Half the screen for the maths: W, -eta dL/dW and W* each get a line, so the 4-wide default matrices
    fit the column; in normal mode the 4 x 2 output layer's update stays on one line."""
    N = D["depth"] + 1
    normal = updates_shown(open_page())
    projected = updates_shown(open_page(present="true"))
    assert len(normal) == len(projected) == 2 * N                          # a W and a b update per layer
    for latex in projected:
        lines = re.split(r"\\\\ (?=&)", latex)        # the equation's lines (a matrix's rows go on with a number)
        assert len(lines) == 4 and all(line.count(r"\begin{pmatrix}") <= 1 for line in lines), latex
    W_out = next(latex for latex in normal if latex.startswith(f"W_{{{N}}}^*"))
    assert not re.search(r"\\\\ (?=&)", W_out) and W_out.count(r"\begin{pmatrix}") == 3

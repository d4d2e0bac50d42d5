"""Predict, then reveal, under AppTest: with the toggle on, a backward step keeps its numbers and value back
until a prediction is checked; a right answer scores, a wrong one names the slip bp_core recognises (computed
here independently), the step is then revealed and stays so; the score lives in the session per lesson; with
the toggle off every step shows its value as before."""
from __future__ import annotations

import numpy as np
from lesson_app import counter, diagrams_html, open_lesson, shown_latex

from bp_core import Network, datasets, deep, graph_examples, softmax_lesson, training
from bp_core import presets as P
from bp_core.step import Step, matrix, value_latex
from pages.ui import predict
from pages.ui.i18n import t

MN, SN, CG, SJ, DN, TR = ("pages/matrix_network.py", "pages/single_node_chain.py", "pages/chain_rule_graph.py",
                          "pages/softmax_jacobian.py", "pages/deep_networks.py", "pages/training.py")
M = P.MATRIX_NET


def notes_trace():
    net = Network([np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)], hidden=M["hidden"], output=M["output"],
                  loss=M["loss"])
    return net.backprop(M["x"], M["label"], lr=M["lr"])


def step_named(steps, name: str) -> tuple[int, Step]:
    """(1-based position, step)."""
    k = [s.name for s in steps].index(name)
    return k + 1, steps[k]


def go_to(at, code: str, k: int) -> None:
    at.number_input(key=f"{code}-step").set_value(k).run()
    assert not at.exception, at.exception


def switch(at, code: str, on: bool = True) -> None:
    at.toggle(key=predict.toggle_key(code)).set_value(on).run()
    assert not at.exception, at.exception


def matrix_lesson_at(trace, name: str):
    """The matrix lesson on the notes' example, predict-then-reveal on, at the step `name` of `trace`:
    (the app, the step's 1-based position, the step)."""
    at = open_lesson(MN)
    switch(at, "mn")
    k, step = step_named(trace.steps, name)
    go_to(at, "mn", k)
    return at, k, step


def type_answer(at, code: str, step: Step, answer) -> None:
    """Fill the prediction form (one box per entry, row by row; rows of text for a large value)."""
    arr = np.atleast_2d(np.asarray(answer, dtype=float))
    if arr.size > predict.MAX_GRID:
        at.text_area(key=predict.entry_key(code, step, -1)).input("\n".join(" ".join(f"{v:.6g}" for v in row)
                                                                            for row in arr))
    else:
        for i, v in enumerate(arr.ravel()):
            at.number_input(key=predict.entry_key(code, step, i)).set_value(float(v))


def press(at, label_key: str) -> None:
    next(b for b in at.button if b.label == t(label_key)).click().run()
    assert not at.exception, at.exception


def check(at, code: str, step: Step, answer) -> None:
    type_answer(at, code, step, answer)
    press(at, "predict.check")


def hidden(at, step: Step) -> bool:
    """Neither the step's numbers nor its value are on the page, and the prediction form is."""
    latex = shown_latex(at)
    asks = any(b.label == t("predict.check") for b in at.button)
    return asks and value_latex(step.value) not in latex and step.numbers not in latex


def score(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Score"))


def slip_named(at, kind: str) -> bool:
    """The error shown names this slip (its sentence; the sentences take no field but the answer)."""
    sentence = t(f"predict.slip.{kind}", value="")
    return any(sentence in e.value for e in at.error)


# -- the matrix network -------------------------------------------------------------------------------------
def test_a_backward_step_waits_for_a_prediction_and_a_right_one_scores():
    trace = notes_trace()
    at = open_lesson(MN)
    switch(at, "mn")
    assert score(at) == t("predict.score", k=0, m=0)
    h1 = trace.steps[0]
    assert value_latex(h1.value) in shown_latex(at)           # a forward step shows its value as before
    k, dy = step_named(trace.steps, "dL/dy")
    go_to(at, "mn", k)
    assert hidden(at, dy)
    assert dy.formula in shown_latex(at)                       # the question: its formula stays
    check(at, "mn", dy, np.round(dy.value, 4))
    assert [s.value for s in at.success] == [t("predict.right", answer=f"${value_latex(np.round(dy.value, 4))}$")]
    assert value_latex(dy.value) in shown_latex(at) and dy.numbers in shown_latex(at)
    assert score(at) == t("predict.score", k=1, m=1)


def test_a_sign_flip_is_named_then_revealed():
    at, _, dz3 = matrix_lesson_at(notes_trace(), "dz3")
    check(at, "mn", dz3, -np.asarray(dz3.value))
    assert slip_named(at, "sign")
    assert value_latex(dz3.value) in shown_latex(at)
    assert score(at) == t("predict.score", k=0, m=1)


def test_a_missing_relu_mask_is_named():
    """dz2 without ReLU'(h2): dL/da2 = dz3 W3^T, worked out here with NumPy; the notes' example has h22 < 0."""
    trace = notes_trace()
    W3 = np.array(M["W3"], dtype=float)
    no_mask = trace.dz[2] @ W3.T
    assert (trace.h[1] <= 0).any() and not np.allclose(no_mask, trace.dz[1])
    at, _, dz2 = matrix_lesson_at(trace, "dz2")
    check(at, "mn", dz2, np.round(no_mask, 4))
    assert slip_named(at, "mask")
    assert not slip_named(at, "sign")


def test_score_and_reveals_persist_across_steps_and_the_toggle():
    trace = notes_trace()
    at, k_dy, dy = matrix_lesson_at(trace, "dL/dy")
    check(at, "mn", dy, dy.value)
    at.button(key="mn-next").click().run()                     # dz3: not answered, so asked
    _, dz3 = step_named(trace.steps, "dz3")
    assert hidden(at, dz3)
    press(at, "predict.show")                                  # shown without a prediction: counted, not right
    assert [i.value for i in at.info] == [t("predict.shown")]
    assert value_latex(dz3.value) in shown_latex(at)
    at.button(key="mn-next").click().run()
    at.button(key="mn-previous").click().run()
    at.button(key="mn-previous").click().run()                 # back at dL/dy: still revealed, its verdict kept
    assert counter(at) == f"**{t('steps.counter', k=k_dy, n=len(trace.steps))}**"
    assert value_latex(dy.value) in shown_latex(at)
    assert at.success and score(at) == t("predict.score", k=1, m=2)
    switch(at, "mn", False)
    switch(at, "mn", True)
    assert value_latex(dy.value) in shown_latex(at) and score(at) == t("predict.score", k=1, m=2)
    at.button(key="mn-predict-reset").click().run()            # a reset asks everything again
    assert score(at) == t("predict.score", k=0, m=0) and hidden(at, dy)


def test_toggle_off_shows_every_value_as_before():
    trace = notes_trace()
    at = open_lesson(MN)
    for name in ("dz2", "dW1"):
        k, step = step_named(trace.steps, name)
        go_to(at, "mn", k)
        assert value_latex(step.value) in shown_latex(at) and step.numbers in shown_latex(at)
        assert not any(b.label == t("predict.check") for b in at.button)
        assert not [m for m in at.markdown if m.value.startswith("Score")]
    switch(at, "mn")
    assert hidden(at, step)
    switch(at, "mn", False)
    assert value_latex(step.value) in shown_latex(at)


def test_an_empty_entry_is_asked_for_and_nothing_is_scored():
    at, _, dW3 = matrix_lesson_at(notes_trace(), "dW3")
    at.number_input(key=predict.entry_key("mn", dW3, 0)).set_value(0.1)
    press(at, "predict.check")
    assert [w.value for w in at.warning] == [t("predict.missing", rows=2, cols=2)]
    assert hidden(at, dW3) and score(at) == t("predict.score", k=0, m=0)


def test_a_changed_example_asks_again():
    at, _, dy = matrix_lesson_at(notes_trace(), "dL/dy")
    check(at, "mn", dy, dy.value)
    at.slider(key="mn-x1").set_value(0.5).run()
    net = Network([np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)], hidden=M["hidden"], output=M["output"],
                  loss=M["loss"])
    _, new_dy = step_named(net.backprop((0.5, M["x"][1]), M["label"], lr=M["lr"]).steps, "dL/dy")
    assert hidden(at, new_dy)
    assert score(at) == t("predict.score", k=1, m=1)


# -- the other lessons ---------------------------------------------------------------------------------------
def test_the_chain_asks_for_each_weights_gradient():
    C = P.CHAIN
    net = Network([[[C["w1"]]], [[C["w2"]]], [[C["w3"]]]], hidden=C["hidden"], output=C["output"], loss=C["loss"])
    trace = net.backprop([C["x"]], [C["label"]], lr=C["lr"])
    at = open_lesson(SN)
    switch(at, "sn")
    k, dw2 = step_named(trace.steps, "dL/dw2")
    go_to(at, "sn", k)
    assert hidden(at, dw2)
    check(at, "sn", dw2, round(dw2.value, 4))
    assert at.success and score(at) == t("predict.score", k=1, m=1)


def test_the_graph_lesson_names_a_missing_local_gradient():
    """(x + y) z: along q -> f the upstream gradient is 1 and the local one z = -4; answering 1 leaves z out."""
    f = graph_examples.build("sum_times", dict(P.GRAPHS["sum_times"]))
    forward = f.forward_steps()
    backward = [s.to_step("f") for s in f.backward()]
    k, first = step_named(forward + tuple(backward), "df/dq via f")
    assert first.value == -4.0
    at = open_lesson(CG)
    switch(at, "cg")
    go_to(at, "cg", k)
    assert hidden(at, first)
    check(at, "cg", first, 1.0)
    assert slip_named(at, "local")


def test_the_softmax_lesson_takes_a_large_matrix_as_rows_of_text():
    """Six classes: J is 6 x 6, typed as rows. J = I (softmax' taken as 1) is named; the right J scores."""
    z = softmax_lesson.default_logits(6)
    trace = softmax_lesson.trace(z, 1.0, softmax_lesson.default_label())
    k, J = step_named(trace.steps, "J")
    at = open_lesson(SJ, **{"sj-n": "6"})
    switch(at, "sj")
    go_to(at, "sj", k)
    assert hidden(at, J)
    check(at, "sj", J, np.eye(6))
    assert slip_named(at, "as_one")
    at.button(key="sj-predict-reset").click().run()
    check(at, "sj", J, J.value)
    assert at.success and score(at) == t("predict.score", k=1, m=1)


def test_the_deep_lesson_asks_too():
    D = P.DEEP
    ex = deep.random_example(D["depth"], D["width"], hidden=D["hidden"], biases=D["biases"], seed=D["seed"])
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    k, delta = step_named(ct.steps, f"delta({ct.N - 1})")
    at = open_lesson(DN)
    switch(at, "dn")
    go_to(at, "dn", k)
    assert hidden(at, delta)
    check(at, "dn", delta, ct.W[ct.N - 1].T @ ct.delta[ct.N])       # W^T delta(k+1) without f'(p(k))
    assert slip_named(at, "mask")
    assert value_latex(delta.value) in " ".join(shown_latex(at))


def test_the_training_lesson_asks_for_the_output_weights_after_each_update():
    """Update k asks for the output layer's W_3* = W_3 - eta dL/dW_3 (worked out here from the W and dL/dW the
    page shows), keeps the new weights, the losses after and the picture after back until then, names
    W + eta dL/dW as a step uphill, and scores a right answer to the next update."""
    D = P.TRAINING
    X, Y = datasets.make(D["dataset"], D["points"], D["seed"], D["noise"])
    net = training.initial_network(D["depth"], D["width"], D["hidden"], D["biases"], D["loss"], D["init_seed"])
    first, second = training.first_updates(net, X, Y, lr=D["lr"], batch=D["batch"], seed=D["init_seed"], count=2)
    W, dW = first.before.weights[-1], first.dW[-1]
    W_star = W - D["lr"] * dW
    np.testing.assert_allclose(first.after.weights[-1], W_star)

    at = open_lesson(TR)
    switch(at, "tr")
    assert any(b.label == t("predict.check") for b in at.button)
    assert all(m.value.endswith("→ ?") for m in at.metric)     # the losses after the update wait too
    assert matrix(W_star, 3) not in " ".join(shown_latex(at))
    assert matrix(dW, 3) in " ".join(shown_latex(at))          # what the prediction is made from is shown
    assert any(t("training.plot.boundary_before", n=1) in picture for picture in diagrams_html(at))
    N = D["depth"] + 1                                         # hidden layers, then the output layer
    assert len(first.before.weights) == N
    question = Step("update", f"update 1: W{N}*", "", "", first.after.weights[-1])
    check(at, "tr", question, W + D["lr"] * dW)
    assert slip_named(at, "ascent")
    assert matrix(W_star, 3) in " ".join(shown_latex(at))      # revealed
    assert score(at) == t("predict.score", k=0, m=1)

    go_to(at, "tr", 2)
    W, dW = second.before.weights[-1], second.dW[-1]
    assert matrix(W - D["lr"] * dW, 3) not in " ".join(shown_latex(at))
    check(at, "tr", Step("update", f"update 2: W{N}*", "", "", second.after.weights[-1]),
          W - D["lr"] * dW)
    assert at.success and score(at) == t("predict.score", k=1, m=2)

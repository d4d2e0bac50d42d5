"""Network.backprop against independent references: finite differences, hand calculations, SymPy.

Every expected value here is computed by the test itself (central differences of net.loss_value, or the
chain rule written out by hand from the notes), never read back from the core's own output.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import re
import zlib

import numpy as np
import pytest
import sympy as sp
from core_helpers import (
    HIDDEN,
    LOSSES,
    NON_FINITE_TEXT,
    OUTPUTS,
    braces_balanced,
    central_diff,
    check_step_arithmetic,
    network_fd,
    random_network,
    rel_err,
)

from bp_core import Network

TOL = 1e-6


def _seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def _sigmoid(h):
    return 1.0 / (1.0 + np.exp(-h))


def _softmax(h):
    e = np.exp(h - np.max(h, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------------
# Every gradient of every combination against central finite differences
# ---------------------------------------------------------------------------------------------------
COMBOS = list(itertools.product(HIDDEN, OUTPUTS, LOSSES, (False, True), (1, 3)))


@pytest.mark.parametrize(
    "hidden, output, loss, biases, batch",
    COMBOS,
    ids=[f"{h}-{o}-{loss}-{'b' if b else 'nob'}-batch{n}" for h, o, loss, b, n in COMBOS],
)
def test_gradients_match_finite_differences(hidden, output, loss, biases, batch):
    rng = np.random.default_rng(_seed(hidden, output, loss, biases, batch))
    # a few random architectures per combination: depth 1..4, every width 1..5
    for _ in range(3):
        depth = int(rng.integers(1, 5))
        widths = [int(w) for w in rng.integers(1, 6, size=depth + 1)]
        net, x, y = random_network(rng, depth, widths, hidden, output, loss, biases, batch=batch)
        trace = net.backprop(x, y)
        fd_W, fd_b = network_fd(net, x, y)

        assert [g.shape for g in trace.dW] == [W.shape for W in net.weights]
        assert rel_err(trace.dW, fd_W) < TOL, (widths, trace.dW, fd_W)
        if biases:
            assert [g.shape for g in trace.db] == [b.shape for b in net.biases]
            assert rel_err(list(trace.dW) + list(trace.db), fd_W + fd_b) < TOL
        else:
            assert trace.db is None
        assert trace.loss == pytest.approx(net.loss_value(x, y), rel=1e-12, abs=1e-15)


def test_fd_check_is_not_vacuous():
    """The comparison above would notice a wrong gradient: a gradient scaled by 1.01 fails it."""
    rng = np.random.default_rng(0)
    net, x, y = random_network(rng, 3, [2, 3, 3, 2], "tanh", "softmax", "half_sse", True, batch=3)
    fd_W, _ = network_fd(net, x, y)
    assert max(np.abs(g).max() for g in fd_W) > 1e-3
    assert rel_err([1.01 * g for g in net.backprop(x, y).dW], fd_W) > 1e-4


# ---------------------------------------------------------------------------------------------------
# Cross-entropy with an identity output: log(y) needs y > 0
# ---------------------------------------------------------------------------------------------------
def test_cross_entropy_identity_output_positive_outputs_match_fd():
    """With positive outputs, -sum label log y is smooth: its gradients equal finite differences."""
    W = np.array([[0.5, 0.25], [0.75, 1.0]])
    net = Network([W], hidden="identity", output="identity", loss="cross_entropy")
    x, y = np.array([[1.0, 0.5]]), np.array([[0.3, 0.7]])
    # by hand: y_hat = (0.5 + 0.375, 0.25 + 0.5) = (0.875, 0.75); dL/dy_hat = -label / y_hat;
    # dW = x^T dL/dy_hat
    dy = -np.array([0.3 / 0.875, 0.7 / 0.75])
    expected = np.outer([1.0, 0.5], dy)
    trace = net.backprop(x, y)
    assert trace.loss == pytest.approx(-(0.3 * math.log(0.875) + 0.7 * math.log(0.75)), rel=1e-12)
    assert rel_err(trace.dW[0], expected) < 1e-12
    assert rel_err(trace.dW[0], network_fd(net, x, y)[0][0]) < TOL


def test_cross_entropy_identity_output_negative_output_is_refused():
    """log of a negative output is undefined: the core must refuse it, not return a number.

    Here y_hat = (0.5, -0.5) with label (0.5, 0.5). (Regression: before 2ef00ca the core returned loss ~354 from a
    clipped log and a gradient of about -1e307.)
    """
    net = Network([np.array([[1.0, -1.0]])], hidden="identity", output="identity", loss="cross_entropy")
    with pytest.raises(ValueError, match="cross_entropy"):
        net.backprop([0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="cross_entropy"):
        net.loss_value([0.0], [0.5, 0.5])       # an output of exactly 0: log 0 is refused too


# ---------------------------------------------------------------------------------------------------
# Loss values by hand
# ---------------------------------------------------------------------------------------------------
def test_loss_values_by_hand():
    W = np.eye(2)
    x = np.array([[0.2, 0.9], [0.6, 0.1]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    # identity network: y = x. half_sse per sample 1/2 sum (y - t)^2 = 1/2 (0.04 + 0.01), 1/2 (0.16 + 0.01)
    half = Network([W], hidden="identity", output="identity", loss="half_sse")
    assert half.loss_value(x, t) == pytest.approx((0.025 + 0.085) / 2, rel=1e-12)
    # mse: mean over all entries of (y - t)^2 = (0.04 + 0.01 + 0.16 + 0.01) / 4
    mse = half.replace(loss="mse")
    assert mse.loss_value(x, t) == pytest.approx(0.22 / 4, rel=1e-12)
    # cross-entropy: mean over the batch of -sum t log y = -(log 0.9 + log 0.6) / 2
    ce = half.replace(loss="cross_entropy")
    assert ce.loss_value(x, t) == pytest.approx(-(math.log(0.9) + math.log(0.6)) / 2, rel=1e-12)


@pytest.mark.parametrize("h", [-24.0, -40.0])
def test_sigmoid_cross_entropy_loss_at_a_saturated_output(h):
    """y = sigmoid(h) = 1 / (1 + e^{-h}), so -log y = -h + log(1 + e^{h}) (= 24.00000000004 at h = -24) and
    dL/dh = -(1 - y) ~ -1.

    (Regression: before 2ef00ca the loss took the log of sigmoid(h) = 0.5 (1 + tanh(h / 2)), which cancels
    catastrophically for h << 0: at h = -24 L was 23.9999996781; at h = -40 y rounds to exactly 0, the log
    was clipped at the smallest double, and the core reported L = 708.4 and dL/dw = 0.)
    """
    net = Network([np.array([[h]])], hidden="identity", output="sigmoid", loss="cross_entropy")
    trace = net.backprop([1.0], [1.0])
    assert trace.loss == pytest.approx(-h + math.log1p(math.exp(h)), rel=1e-12)
    assert trace.dW[0][0, 0] == pytest.approx(-1.0, rel=1e-9)


def test_softmax_cross_entropy_labels_that_do_not_sum_to_one():
    """-sum t log softmax(h) has gradient softmax(h) sum(t) - t; (y - t) / batch holds only when sum(t) = 1.

    (Regression: before 2ef00ca the shortcut was used for any label: dW = (-0.119, -0.881) where finite
    differences give (0.762, -0.762).)
    """
    net = Network([np.array([[1.0, -1.0]])], hidden="identity", output="softmax", loss="cross_entropy")
    x, t = np.array([[1.0]]), np.array([[1.0, 1.0]])
    trace = net.backprop(x, t)
    # by hand: h = (1, -1), s = softmax(h), dL/dh = 2 s - t
    s = _softmax(np.array([1.0, -1.0]))
    assert rel_err(trace.dW[0], (2 * s - 1.0)[None, :]) < 1e-9
    assert rel_err(trace.dW[0], network_fd(net, x, t)[0][0]) < TOL


def test_huge_loss_is_refused_not_inf():
    """y = 1e200: 1/2 y^2 is not a double. The core must raise, not report L = inf.

    (Regression: before 2ef00ca Network.backprop returned loss = inf and an "L" step ending in "= inf".)
    """
    net = Network([[[1e200]]], hidden="identity", output="identity", loss="half_sse")
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="overflowed"):
        net.backprop([1.0], [0.0])
    # the loss after the update too: w = 1, x = 1, label 0 gives dL/dw = 1, so lr = 1e200 makes
    # w* = 1 - 1e200, y = -1e200 and L* = 5e399
    small = Network([[[1.0]]], hidden="identity", output="identity", loss="half_sse")
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="overflowed"):
        small.backprop([1.0], [0.0], lr=1e200)


# ---------------------------------------------------------------------------------------------------
# The notes' hand calculations
# ---------------------------------------------------------------------------------------------------
def test_single_node_chain_identity_half_sse_by_hand():
    # x -> w1 -> A -> w2 -> A -> w3 -> y, A = identity, L = 1/2 (y - label)^2
    x, w1, w2, w3, label = 1.5, 0.8, -1.2, 0.5, 0.3
    a1 = x * w1            # 1.2
    a2 = a1 * w2           # -1.44
    y = a2 * w3            # -0.72
    dy = y - label         # -1.02
    L = 0.5 * dy**2        # 0.5202
    expected = {
        "dL/dw3": a2 * dy,                  # 1.4688
        "dL/dw2": a1 * w3 * dy,             # -0.612
        "dL/dw1": x * w2 * w3 * dy,         # 0.918
    }
    assert expected["dL/dw3"] == pytest.approx(1.4688)
    assert expected["dL/dw2"] == pytest.approx(-0.612)
    assert expected["dL/dw1"] == pytest.approx(0.918)

    net = Network([[[w1]], [[w2]], [[w3]]], hidden="identity", output="identity", loss="half_sse")
    trace = net.backprop([x], [label])
    assert trace.loss == pytest.approx(L, rel=1e-12)
    assert trace.y[0, 0] == pytest.approx(y, rel=1e-12)
    assert [g[0, 0] for g in trace.dW] == pytest.approx(
        [expected["dL/dw1"], expected["dL/dw2"], expected["dL/dw3"]], rel=1e-12
    )
    steps = {s.name: s.value for s in trace.steps}
    for name, value in expected.items():
        assert steps[name] == pytest.approx(value, rel=1e-12)
    assert steps["dL/dy"] == pytest.approx(dy, rel=1e-12)


def test_single_node_chain_sigmoid_hidden_by_hand():
    """dL/dw2 = a1 A'(h2) w3 [dy/dh3] dL/dy, with A = sigmoid, A' = A (1 - A), identity output."""
    x, w1, w2, w3, label = 0.7, -1.1, 0.9, 1.6, -0.2
    h1 = x * w1
    a1 = 1 / (1 + math.exp(-h1))
    h2 = a1 * w2
    a2 = 1 / (1 + math.exp(-h2))
    y = a2 * w3
    dy = y - label
    d1, d2 = a1 * (1 - a1), a2 * (1 - a2)
    expected = [x * d1 * w2 * d2 * w3 * dy, a1 * d2 * w3 * dy, a2 * dy]
    net = Network([[[w1]], [[w2]], [[w3]]], hidden="sigmoid", output="identity", loss="half_sse")
    trace = net.backprop([x], [label])
    assert trace.loss == pytest.approx(0.5 * dy**2, rel=1e-12)
    assert [g[0, 0] for g in trace.dW] == pytest.approx(expected, rel=1e-12)


def test_single_node_chain_against_sympy():
    """tanh hidden, sigmoid output, mse (one output: (y - label)^2), biases: SymPy differentiates."""
    w1, w2, w3, b1, b2, b3 = sp.symbols("w1 w2 w3 b1 b2 b3")
    x, label = sp.Rational(3, 4), sp.Rational(1, 5)
    a1 = sp.tanh(x * w1 + b1)
    a2 = sp.tanh(a1 * w2 + b2)
    y = 1 / (1 + sp.exp(-(a2 * w3 + b3)))
    L = (y - label) ** 2
    point = {w1: 0.4, w2: -1.3, w3: 2.1, b1: 0.1, b2: -0.2, b3: 0.3}
    expected_w = [float(sp.diff(L, w).subs(point)) for w in (w1, w2, w3)]
    expected_b = [float(sp.diff(L, b).subs(point)) for b in (b1, b2, b3)]

    net = Network(
        [[[0.4]], [[-1.3]], [[2.1]]], biases=[[0.1], [-0.2], [0.3]], hidden="tanh", output="sigmoid", loss="mse"
    )
    trace = net.backprop([0.75], [0.2])
    assert trace.loss == pytest.approx(float(L.subs(point)), rel=1e-12)
    assert [g[0, 0] for g in trace.dW] == pytest.approx(expected_w, rel=1e-10)
    assert [g[0] for g in trace.db] == pytest.approx(expected_b, rel=1e-10)
    steps = {s.name: s.value for s in trace.steps}
    assert [steps[f"dL/dw{k}"] for k in (1, 2, 3)] == pytest.approx(expected_w, rel=1e-10)
    assert [steps[f"dL/db{k}"] for k in (1, 2, 3)] == pytest.approx(expected_b, rel=1e-10)


# The 2x2x2 network of notes 000/001: x (1x2), W1, W2, W3 (2x2, w_kji at row i, column j), ReLU, softmax.
X2 = np.array([[1.0, 0.5]])
W1 = np.array([[0.5, -0.6], [0.3, 0.8]])   # h1 = (0.65, -0.2): the second unit is dead after ReLU
W2 = np.array([[0.7, 0.6], [0.4, 0.9]])
W3 = np.array([[0.2, -0.5], [0.6, 0.1]])
LABEL2 = np.array([[1.0, 0.0]])


def _net222(**options) -> Network:
    return Network([W1, W2, W3], hidden="relu", output="softmax", loss="half_sse", **options)


def _hand_222():
    """The 2x2x2 forward and backward pass written out with the notes' formulas."""
    h1 = X2 @ W1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ W2
    a2 = np.maximum(h2, 0)
    h3 = a2 @ W3
    y = _softmax(h3)
    dy = y - LABEL2                                  # dL/dy of 1/2 sum (y - label)^2
    J = np.diag(y[0]) - np.outer(y[0], y[0])         # dy_j/dh3_k = y_j (delta_jk - y_k)
    dz3 = dy @ J
    dW3 = a2.T @ dz3
    dz2 = dz3 @ W3.T @ np.diag((h2[0] > 0).astype(float))
    dW2 = a1.T @ dz2
    dz1 = dz2 @ W2.T @ np.diag((h1[0] > 0).astype(float))
    dW1 = X2.T @ dz1                                 # X^T dz1, not A1^T dz1 (note 001's slip)
    return dict(h1=h1, a1=a1, h2=h2, a2=a2, h3=h3, y=y, dy=dy, dz3=dz3, dz2=dz2, dz1=dz1, dW3=dW3, dW2=dW2, dW1=dW1)


def test_222_relu_softmax_half_sse_by_hand():
    hand = _hand_222()
    assert np.allclose(hand["h1"], [[0.65, -0.2]])
    trace = _net222().backprop(X2, LABEL2)
    for k in (1, 2, 3):
        assert rel_err(trace.dW[k - 1], hand[f"dW{k}"]) < 1e-12
        assert rel_err(trace.dz[k - 1], hand[f"dz{k}"]) < 1e-12
    # each output weight's own product: dL/dw3ji = a2i dz3j, at row i, column j
    for i, j in itertools.product((1, 2), (1, 2)):
        assert trace.dW[2][i - 1, j - 1] == pytest.approx(hand["a2"][0, i - 1] * hand["dz3"][0, j - 1], rel=1e-12)
    # the dead ReLU unit passes no gradient back: dW1's second column is zero
    assert np.all(trace.dW[0][:, 1] == 0)
    assert rel_err(trace.dW, network_fd(_net222(), X2, LABEL2)[0]) < TOL


# ---------------------------------------------------------------------------------------------------
# The notes' simplification: the output activation's derivative taken as 1
# ---------------------------------------------------------------------------------------------------
def test_output_grad_as_one_softmax_gives_the_notes_formula_and_differs_from_exact():
    hand = _hand_222()
    net = _net222(output_grad_as_one=True)
    trace = net.backprop(X2, LABEL2)
    # dz3 = dL/dy = y - label, so dW3 = a2^T (y - label)
    assert rel_err(trace.dz[2], hand["dy"]) < 1e-12
    assert rel_err(trace.dW[2], hand["a2"].T @ hand["dy"]) < 1e-12
    # ... which is not the gradient of the loss
    exact = network_fd(net, X2, LABEL2)[0]
    assert rel_err(trace.dW[2], exact[2]) > 0.1
    # note 000 writes dw322 = a22 Delta y1; with the simplification it is a22 Delta y2
    steps = {s.name: s.value for s in trace.steps}
    assert steps["dL/dw322"] == pytest.approx(hand["a2"][0, 1] * hand["dy"][0, 1], rel=1e-12)
    assert steps["dL/dw322"] != pytest.approx(hand["a2"][0, 1] * hand["dy"][0, 0], rel=1e-3)


def test_output_grad_as_one_sigmoid_differs_from_exact():
    rng = np.random.default_rng(7)
    net, x, y = random_network(rng, 2, [2, 3, 2], "tanh", "sigmoid", "half_sse", False, batch=3)
    approx = net.replace(output_grad_as_one=True).backprop(x, y)
    assert rel_err(approx.dW, network_fd(net, x, y)[0]) > 0.1


@pytest.mark.parametrize("loss", ["half_sse", "mse"])
def test_output_grad_as_one_identity_is_exact(loss):
    rng = np.random.default_rng(11)
    net, x, y = random_network(rng, 3, [2, 3, 2, 2], "tanh", "identity", loss, True, batch=3)
    approx = net.replace(output_grad_as_one=True)
    trace = approx.backprop(x, y)
    fd_W, fd_b = network_fd(net, x, y)
    assert rel_err(list(trace.dW) + list(trace.db), fd_W + fd_b) < TOL


# ---------------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------------
STEPS_222 = [
    "h1", "a1", "h2", "a2", "h3", "y", "L",
    "dL/dy", "dz3", "dL/dw311", "dL/dw312", "dL/dw321", "dL/dw322", "dW3",
    "dL/da2", "dz2", "dW2", "dL/da1", "dz1", "dW1",
]


def _check_step_text(step):
    """Non-empty, balanced LaTeX; no nan, inf or log 0 on screen; and the arithmetic written is true."""
    for text in (step.formula, step.numbers):
        assert isinstance(text, str) and text.strip(), step
        assert braces_balanced(text), (step.name, text)
    assert not NON_FINITE_TEXT.search(step.numbers), (step.name, step.numbers)
    assert not re.search(r"\\log 0(?![.\d])", step.numbers), (step.name, step.numbers)
    check_step_arithmetic(step)


def test_222_step_names_in_order():
    trace = _net222().backprop(X2, LABEL2)
    assert [s.name for s in trace.steps] == STEPS_222
    phases = [s.phase for s in trace.steps]
    assert phases == sorted(phases, key=["forward", "backward", "update"].index)


def test_222_step_values():
    hand = _hand_222()
    trace = _net222().backprop(X2, LABEL2)
    steps = {s.name: s for s in trace.steps}
    # per-weight steps: w3ji sits at row i, column j
    for j, i in itertools.product((1, 2), (1, 2)):
        step = steps[f"dL/dw3{j}{i}"]
        assert step.value == pytest.approx(hand["dW3"][i - 1, j - 1], rel=1e-12)
        assert step.value == trace.dW[2][i - 1, j - 1]
    # matrix steps carry the trace's arrays
    pairs = {
        "h1": trace.h[0], "a1": trace.a[1], "h2": trace.h[1], "a2": trace.a[2], "h3": trace.h[2], "y": trace.a[3],
        "dL/dy": trace.dy, "dz3": trace.dz[2], "dW3": trace.dW[2], "dL/da2": trace.da[2], "dz2": trace.dz[1],
        "dW2": trace.dW[1], "dL/da1": trace.da[1], "dz1": trace.dz[0], "dW1": trace.dW[0],
    }
    for name, arr in pairs.items():
        assert np.array_equal(np.asarray(steps[name].value).reshape(arr.shape), arr), name
    assert steps["L"].value == trace.loss
    # and the trace's arrays are the hand calculation
    for name in ("h1", "a1", "h2", "a2", "h3", "y", "dy", "dz3", "dz2", "dz1", "dW3", "dW2", "dW1"):
        step_name = {"dy": "dL/dy"}.get(name, name)
        assert rel_err(steps[step_name].value, hand[name]) < 1e-12, name
    # dL/da2 = dz3 W3^T
    assert rel_err(steps["dL/da2"].value, hand["dz3"] @ W3.T) < 1e-12


def test_steps_are_frozen_and_read_only():
    trace = _net222().backprop(X2, LABEL2, lr=0.1)
    for step in trace.steps:
        with pytest.raises(dataclasses.FrozenInstanceError):
            step.value = 0.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            step.name = "x"
        if isinstance(step.value, np.ndarray):
            assert not step.value.flags.writeable
            with pytest.raises(ValueError):
                step.value[(0,) * step.value.ndim] = 1.0
    assert isinstance(trace.steps, tuple)


def test_update_steps():
    lr = 0.05
    net = _net222()
    trace = net.backprop(X2, LABEL2, lr=lr)
    names = [s.name for s in trace.steps]
    assert names[: len(STEPS_222)] == STEPS_222
    assert names[len(STEPS_222):] == ["W1*", "W2*", "W3*", "L*"]
    assert all(s.phase == "update" for s in trace.steps[len(STEPS_222):])
    steps = {s.name: s.value for s in trace.steps}
    fd_W = network_fd(net, X2, LABEL2)[0]
    new = [W - lr * g for W, g in zip(net.weights, fd_W)]       # w* = w - lr g with the FD gradient
    for k in (1, 2, 3):
        assert np.allclose(steps[f"W{k}*"], new[k - 1], rtol=0, atol=1e-9)
    expected_after = Network(new, hidden="relu", output="softmax", loss="half_sse").loss_value(X2, LABEL2)
    assert steps["L*"] == pytest.approx(expected_after, rel=1e-8)
    assert trace.loss_after == pytest.approx(expected_after, rel=1e-8)
    assert steps["L*"] < steps["L"]


def test_update_steps_with_biases_and_a_batch():
    rng = np.random.default_rng(3)
    net, x, y = random_network(rng, 2, [3, 4, 2], "sigmoid", "softmax", "cross_entropy", True, batch=3)
    lr = 0.01
    trace = net.backprop(x, y, lr=lr)
    update = [s for s in trace.steps if s.phase == "update"]
    assert [s.name for s in update] == ["W1*", "b1*", "W2*", "b2*", "L*"]
    fd_W, fd_b = network_fd(net, x, y)
    values = {s.name: s.value for s in update}
    for k in (1, 2):
        assert np.allclose(values[f"W{k}*"], net.weights[k - 1] - lr * fd_W[k - 1], rtol=0, atol=1e-9)
        assert np.allclose(values[f"b{k}*"], net.biases[k - 1] - lr * fd_b[k - 1], rtol=0, atol=1e-9)
    after = net.replace(
        weights=[values["W1*"], values["W2*"]], biases=[values["b1*"], values["b2*"]]
    ).loss_value(x, y)
    assert values["L*"] == pytest.approx(after, rel=1e-12)
    assert values["L*"] < trace.loss
    for step in trace.steps:
        _check_step_text(step)


def test_chain_1111_steps_match_fd():
    w = [0.9, -0.7, 1.3]
    x, label = np.array([[0.8]]), np.array([[0.25]])
    net = Network([[[v]] for v in w], hidden="tanh", output="sigmoid", loss="half_sse")
    trace = net.backprop(x, label, lr=0.1)
    backward = [s for s in trace.steps if s.phase == "backward"]
    assert [s.name for s in backward] == ["dL/dy", "dL/dw3", "dL/dw2", "dL/dw1"]
    assert [s.name for s in trace.steps if s.phase == "update"] == ["w1*", "w2*", "w3*", "L*"]
    fd_W = network_fd(net, x, label)[0]
    values = {s.name: s.value for s in backward}
    for k in (1, 2, 3):
        assert values[f"dL/dw{k}"] == pytest.approx(fd_W[k - 1][0, 0], rel=TOL)
    # dL/dy against FD of 1/2 (y - label)^2 in y
    y = float(trace.y[0, 0])
    dy_fd = central_diff(lambda v: 0.5 * (v - 0.25) ** 2, np.array(y))
    assert values["dL/dy"] == pytest.approx(float(dy_fd), rel=TOL)
    for step in trace.steps:
        _check_step_text(step)


def test_chain_with_biases_step_names():
    net = Network([[[0.5]], [[-1.5]]], biases=[[0.1], [0.2]], hidden="sigmoid", output="identity", loss="mse")
    trace = net.backprop([1.0], [0.0])
    assert [s.name for s in trace.steps if s.phase == "backward"] == [
        "dL/dy", "dL/dw2", "dL/db2", "dL/dw1", "dL/db1"
    ]
    fd_W, fd_b = network_fd(net, [1.0], [0.0])
    values = {s.name: s.value for s in trace.steps}
    assert [values["dL/dw1"], values["dL/dw2"]] == pytest.approx([fd_W[0][0, 0], fd_W[1][0, 0]], rel=TOL)
    assert [values["dL/db1"], values["dL/db2"]] == pytest.approx([fd_b[0][0], fd_b[1][0]], rel=TOL)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("shape", ["chain", "222", "deep-batch"])
def test_every_step_text_is_well_formed(output, loss, shape):
    rng = np.random.default_rng(_seed(output, loss, shape))
    if shape == "chain":
        net, x, y = random_network(rng, 3, 1, "sigmoid", output, loss, False)
    elif shape == "222":
        net, x, y = random_network(rng, 3, 2, "relu", output, loss, False)
    else:
        net, x, y = random_network(rng, 4, [3, 4, 2, 5, 3], "tanh", output, loss, True, batch=3)
    for lr in (None, 0.1):
        trace = net.backprop(x, y, lr=lr)
        assert trace.steps
        for step in trace.steps:
            _check_step_text(step)
            assert step.phase in ("forward", "backward", "update")
            assert isinstance(step.value, (float, np.ndarray))
            assert np.all(np.isfinite(step.value))
    assert net.backprop(x, y, steps=False).steps == ()


@pytest.mark.parametrize("weights", [[[-40.0]], [[-40.0, 1.0]]], ids=["chain", "two_outputs"])
def test_saturated_sigmoid_cross_entropy_steps_show_true_arithmetic(weights):
    """At h = -40, sigmoid(h) = 4.2e-18: the gradient is right (-1), and the steps must say so truthfully.

    (Core bug: y is computed as 0.5 (1 + tanh(h / 2)) = 0 exactly, so the screen shows "L = -(1 log 0) = 40",
    "dL/dy = -1 / 0 = -4.494e307" and "dL/dw = 1 . 0 . (-4.494e307) = -1": factors whose product is 0
    beside the value -1.)
    """
    net = Network([weights], hidden="identity", output="sigmoid", loss="cross_entropy")
    trace = net.backprop([1.0], [1.0] + [0.5] * (len(weights[0]) - 1))
    assert trace.dW[0][0, 0] == pytest.approx(-1.0, rel=1e-12)
    for step in trace.steps:
        _check_step_text(step)


def test_softmax_cross_entropy_dz_step_with_labels_not_summing_to_one():
    """The dz step writes "y - label = dz"; for label (1, 1) dz is 2 y - label, so what it writes must match.

    (Core bug: the step shows (0.8808, 0.1192) - (1, 1) = (0.7616, -0.7616), which is false arithmetic:
    network_steps.py _dz_out still writes the sum(label) = 1 shortcut.)
    """
    net = Network([np.array([[1.0, -1.0]])], hidden="identity", output="softmax", loss="cross_entropy")
    trace = net.backprop([1.0], [1.0, 1.0])
    for step in trace.steps:
        _check_step_text(step)


def test_wide_layer_step_names_stay_unambiguous():
    """With 10+ units, indices are comma-separated (w_{3,10,1}) so no two step names collide."""
    rng = np.random.default_rng(5)
    net, x, y = random_network(rng, 2, [11, 2, 11], "tanh", "identity", "half_sse", False)
    trace = net.backprop(x, y)
    names = [s.name for s in trace.steps]
    assert len(names) == len(set(names))
    assert sum(n.startswith("dL/dw2") for n in names) == 2 * 11


# ---------------------------------------------------------------------------------------------------
# Immutability
# ---------------------------------------------------------------------------------------------------
def test_trace_is_immutable():
    trace = _net222().backprop(X2, LABEL2, lr=0.1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.loss = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.dW = ()
    arrays = [trace.x, trace.label, trace.dy, *trace.h, *trace.a, *trace.dz, *trace.da, *trace.dW]
    for arr in arrays:
        assert not arr.flags.writeable
    with pytest.raises(ValueError):
        trace.dW[0][0, 0] = 1.0
    for field in (trace.dW, trace.dz, trace.da, trace.h, trace.a):
        assert isinstance(field, tuple)


def test_network_copies_its_inputs():
    W = np.array([[1.0, 2.0]])
    net = Network([W], hidden="relu", output="identity")
    W[0, 0] = 99.0
    assert net.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 5.0
    x = np.array([[1.0]])
    trace = net.backprop(x, [[0.0, 0.0]])
    x[0, 0] = 7.0
    assert trace.x[0, 0] == 1.0


def test_batch_of_one_and_a_vector_are_the_same():
    net = _net222()
    a = net.backprop(X2[0], LABEL2[0])
    b = net.backprop(X2, LABEL2)
    assert a.loss == b.loss
    assert all(np.array_equal(g, h) for g, h in zip(a.dW, b.dW))


def test_batch_gradient_is_the_mean_of_per_sample_gradients():
    rng = np.random.default_rng(9)
    net, x, y = random_network(rng, 3, [2, 3, 3, 2], "tanh", "softmax", "cross_entropy", True, batch=4)
    whole = net.backprop(x, y, steps=False)
    per = [net.backprop(x[i], y[i], steps=False) for i in range(4)]
    for k in range(3):
        assert rel_err(whole.dW[k], np.mean([p.dW[k] for p in per], axis=0)) < 1e-12
        assert rel_err(whole.db[k], np.mean([p.db[k] for p in per], axis=0)) < 1e-12


# ---------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------
GOOD_W = [np.ones((2, 3)), np.ones((3, 2))]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(weights=[np.ones((2, 3)), np.ones((2, 2))]), "W2 must have 3 rows"),
        (dict(weights=GOOD_W, hidden="softplus"), "hidden activation must be one of"),
        (dict(weights=GOOD_W, output="softmax2"), "output activation must be one of"),
        (dict(weights=GOOD_W, loss="hinge"), "loss must be one of"),
        (dict(weights=GOOD_W, hidden="ReLU"), "hidden activation must be one of"),
        (dict(weights=[]), "non-empty list"),
        (dict(weights=np.ones((2, 2))), "non-empty list"),
        (dict(weights=[np.ones((2, 0))]), "must not be empty"),
        (dict(weights=[np.ones((0, 2))]), "must not be empty"),
        (dict(weights=[np.ones(3)]), "must have 2 dimensions"),
        (dict(weights=[[[1.0, float("nan")]]]), "W1"),
        (dict(weights=[np.ones((2, 3)), [[1.0, 1.0]] * 2 + [[float("inf"), 1.0]]]), "W2"),
        (dict(weights=[[["a", "b"]]]), "must be numbers"),
        (dict(weights=GOOD_W, biases=[np.ones(3)]), "one vector per layer"),
        (dict(weights=GOOD_W, biases=[np.ones(2), np.ones(2)]), "b1 must have shape (3,)"),
        (dict(weights=GOOD_W, biases=[np.ones(3), np.ones((1, 2))]), "must have 1 dimensions"),
        (dict(weights=GOOD_W, biases=[np.ones(3), [0.0, float("nan")]]), "b2"),
        (dict(weights=GOOD_W, biases=[np.ones(3), [0.0, float("-inf")]]), "finite"),
    ],
)
def test_bad_network_raises(kwargs, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Network(**kwargs)


def test_nan_weight_message_says_finite():
    with pytest.raises(ValueError, match=r"W1.*finite"):
        Network([[[1.0, float("nan")]]])
    with pytest.raises(ValueError, match=r"b1.*finite"):
        Network([[[1.0, 1.0]]], biases=[[float("nan"), 0.0]])


@pytest.mark.parametrize(
    "x, y, fragment",
    [
        (np.ones(3), np.ones(2), "x must have 2 columns"),
        (np.ones((2, 3)), np.ones((2, 2)), "x must have 2 columns"),
        (np.ones(2), np.ones(3), "label y must have 2 columns"),
        (np.ones((3, 2)), np.ones((2, 2)), "label y must have 3 rows"),
        (np.ones((1, 2, 2)), np.ones(2), "x must have 1 or 2 dimensions"),
        (np.zeros((0, 2)), np.zeros((0, 2)), "x must not be empty"),
        ([float("nan"), 1.0], np.ones(2), "x must be finite"),
        ([float("inf"), 1.0], np.ones(2), "x must be finite"),
        (np.ones(2), [float("nan"), 1.0], "label y must be finite"),
        (np.ones(2), [1.0, float("-inf")], "label y must be finite"),
        ("ab", np.ones(2), "x must be numbers"),
    ],
)
def test_bad_data_raises(x, y, fragment):
    net = Network(GOOD_W, hidden="relu", output="softmax")
    with pytest.raises(ValueError, match=re.escape(fragment)):
        net.backprop(x, y)
    with pytest.raises(ValueError, match=re.escape(fragment)):
        net.loss_value(x, y)


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), [0.1, 0.2], "fast"])
def test_bad_learning_rate_raises(lr):
    net = Network(GOOD_W)
    with pytest.raises(ValueError, match="learning rate"):
        net.backprop(np.ones(2), [1.0, 0.0], lr=lr)


def test_overflowing_pre_activation_raises():
    net = Network([[[1e300]], [[1e300]]], hidden="identity", output="identity")
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="h2 overflowed"):
        net.backprop([1.0], [0.0])


def test_biases_that_are_not_a_list_raise_value_error():
    """biases=3.0 is bad input like any other: ValueError, not TypeError.

    (Core bug: network.py calls len(biases) unchecked and raises TypeError "object of type 'float' has no len()".)
    """
    with pytest.raises(ValueError, match="biases"):
        Network(GOOD_W, biases=3.0)


def test_network_is_immutable():
    net = Network([[[1.0]]], output="identity")
    with pytest.raises(AttributeError, match="immutable"):
        net.hidden = "bogus"
    assert net.replace(hidden="tanh").hidden == "tanh" and net.hidden == "relu"


def test_sigmoid_slope_keeps_its_digits_where_sigmoid_rounds_to_one():
    from bp_core.activations import ACTIVATIONS

    # sigma'(h) = e^-h / (1 + e^-h)^2, by hand ~ e^-57 = 1.7928e-25 at h = 57 (sigma(57) rounds to 1.0)
    e = np.exp(-57.0)
    assert ACTIVATIONS["sigmoid"].df(np.array(57.0)) == pytest.approx(e / (1 + e) ** 2, rel=1e-12)


def test_stepped_equals_replace_and_refuses_overflow():
    net = Network([[[1.0, -2.0]], [[0.5], [0.25]]], biases=[[0.1, 0.2], [0.3]], hidden="tanh", output="identity")
    trace = net.backprop([1.0], [2.0])
    fast = net.stepped(0.1, trace.dW, trace.db)
    slow = net.replace(weights=[W - 0.1 * g for W, g in zip(net.weights, trace.dW)],
                       biases=[b - 0.1 * g for b, g in zip(net.biases, trace.db)])
    for a, b in zip(fast.weights + fast.biases, slow.weights + slow.biases):
        np.testing.assert_array_equal(a, b)
        assert not a.flags.writeable
    assert (fast.hidden, fast.output, fast.loss) == (net.hidden, net.output, net.loss)
    with pytest.raises(ValueError, match="W1"):
        net.stepped(1e308, [np.full((1, 2), 1e10), np.zeros((2, 1))], trace.db)

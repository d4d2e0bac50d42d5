"""bp_core.sweep and bp_core.paths against independent references.

sweep: the loss curve along one weight has, at the current weight, a central-difference slope equal to
the gradient of that weight in the trace. paths: each weight's written-out chain-rule product has the value
of trace.dW, and its numbers, multiplied out here, give that value; the notes' slips and the notes'
shortcut are checked against arithmetic done in the test.
"""
from __future__ import annotations

import itertools
import re
import zlib

import numpy as np
import pytest
from core_helpers import (
    HIDDEN,
    LOSSES,
    OUTPUTS,
    braces_balanced,
    random_network,
    rel_err,
)

from bp_core import Network
from bp_core import presets as P
from bp_core.paths import all_paths, notes_slips, shortcut_gap, weight_path
from bp_core.sweep import loss_along, loss_curve


def _rng(*parts) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(parts).encode()))


def matrix_net(**options) -> tuple[Network, list[float], list[float]]:
    M = P.MATRIX_NET
    net = Network([np.array(M[k]) for k in ("W1", "W2", "W3")], hidden=M["hidden"], output=M["output"],
                  loss=M["loss"]).replace(**options)
    return net, list(M["x"]), list(M["label"])


def chain_net(**options) -> tuple[Network, list[float], list[float]]:
    C = P.CHAIN
    net = Network([[[C["w1"]]], [[C["w2"]]], [[C["w3"]]]], hidden=C["hidden"], output=C["output"],
                  loss=C["loss"]).replace(**options)
    return net, [C["x"]], [C["label"]]


def some_networks():
    """The two lessons' examples and random single-sample networks of many shapes and options."""
    yield "chain", *chain_net()
    yield "chain-tanh-sigmoid-mse", *chain_net(hidden="tanh", output="sigmoid", loss="mse")
    yield "matrix", *matrix_net()
    yield "matrix-as-one", *matrix_net(output_grad_as_one=True)
    yield "matrix-ce", *matrix_net(loss="cross_entropy")
    for n, (hidden, output, loss) in enumerate(itertools.product(HIDDEN, OUTPUTS, LOSSES)):
        rng = _rng(hidden, output, loss)
        depth = 1 + n % 4
        widths = [int(w) for w in rng.integers(1, 4, size=depth + 1)]
        net, x, y = random_network(rng, depth, widths, hidden, output, loss, biases=bool(n % 2))
        yield f"{hidden}-{output}-{loss}-{widths}", net, x, y


NETWORKS = list(some_networks())
IDS = [name for name, *_ in NETWORKS]


# -- sweep --------------------------------------------------------------------------------------------
# the notes' shortcut is not the slope of the loss (test_shortcut_gap covers it), so it is left out here
EXACT = [n for n in NETWORKS if not n[1].output_grad_as_one]


@pytest.mark.parametrize("name, net, x, label", EXACT, ids=[n[0] for n in EXACT])
def test_curve_slope_at_the_weight_is_the_gradient(name, net, x, label):
    trace = net.backprop(x, label)
    eps = 1e-6
    for k, W in enumerate(net.weights, start=1):
        for i, j in itertools.product(range(1, W.shape[0] + 1), range(1, W.shape[1] + 1)):
            w = float(W[i - 1, j - 1])
            below, at, above = loss_along(net, x, label, k, i, j, [w - eps, w, w + eps])
            assert at == pytest.approx(trace.loss, rel=1e-12, abs=1e-15)
            fd = (above - below) / (2 * eps)
            assert fd == pytest.approx(trace.dW[k - 1][i - 1, j - 1], rel=1e-5, abs=1e-8), (k, i, j)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_loss_curve_of_the_chain(k):
    net, x, label = chain_net(hidden="sigmoid")
    lr = 0.3
    curve = loss_curve(net, x, label, k, lr=lr)
    trace = net.backprop(x, label)
    w = float(net.weights[k - 1][0, 0])
    assert curve.w == w and curve.slope == pytest.approx(trace.dW[k - 1][0, 0], rel=1e-12)
    assert w in curve.values and np.all(np.diff(curve.values) > 0)
    # the curve passes through the current point, and the tangent touches it there
    n = int(np.searchsorted(curve.values, w))
    assert curve.losses[n] == pytest.approx(trace.loss, rel=1e-12)
    assert curve.tangent[n] == pytest.approx(trace.loss, rel=1e-12)
    # the tangent is the straight line through that point with the gradient as slope
    m = (curve.tangent[-1] - curve.tangent[0]) / (curve.values[-1] - curve.values[0])
    assert m == pytest.approx(curve.slope, rel=1e-9)
    # the curve itself has that slope at w (central differences on the grid's neighbours are too coarse:
    # recompute with a small step)
    eps = 1e-6
    lo, hi = loss_along(net, x, label, k, 1, 1, [w - eps, w + eps])
    assert (hi - lo) / (2 * eps) == pytest.approx(curve.slope, rel=1e-6)
    # one update step along this weight alone
    assert curve.w_new == pytest.approx(w - lr * curve.slope)
    assert curve.values[0] <= curve.w_new <= curve.values[-1]
    moved = [np.array(W) for W in net.weights]
    moved[k - 1][0, 0] = curve.w_new
    assert curve.loss_new == pytest.approx(net.replace(weights=moved).loss_value(x, label), rel=1e-12)
    lo, hi = curve.y_range
    assert lo < np.nanmin(curve.losses) and hi > np.nanmax(curve.losses)


def test_loss_along_refuses_a_weight_that_does_not_exist():
    net, x, label = matrix_net()
    for k, i, j in ((0, 1, 1), (4, 1, 1), (1, 3, 1), (2, 1, 0)):
        with pytest.raises(ValueError):
            loss_along(net, x, label, k, i, j, [0.0])


def test_loss_along_gives_nan_where_the_network_overflows():
    net, x, label = chain_net()
    out = loss_along(net, x, label, 1, 1, 1, [0.5, 1e308])
    assert np.isfinite(out[0]) and np.isnan(out[1])


# -- paths ----------------------------------------------------------------------------------------------
def multiply_out(latex: str) -> float:
    """The value of a written-out product of numbers, parsed here: factors joined by \\cdot, sums in
    \\left( \\right), negatives in parentheses, powers of ten as \\times 10^{n}."""
    text = re.sub(r"\\times 10\^\{(-?\d+)\}", r"e\1", latex)
    for latex_text, plain in ((r"\left(", "("), (r"\right)", ")"), (r"\big(", "("), (r"\big)", ")"), (r"\cdot", "*"),
                              (" ", "")):
        text = text.replace(latex_text, plain)
    assert re.fullmatch(r"[0-9.e+\-*()]+", text), text  # numbers and arithmetic only
    return float(eval(text, {"__builtins__": {}}))  # noqa: S307 - the pattern above allows arithmetic only


@pytest.mark.parametrize("name, net, x, label", NETWORKS, ids=IDS)
def test_every_path_value_is_the_gradient(name, net, x, label):
    trace = net.backprop(x, label)
    paths = all_paths(net, trace)
    assert len(paths) == sum(W.size for W in net.weights)
    for path in paths.values():
        expected = trace.dW[path.k - 1][path.i - 1, path.j - 1]
        assert path.value == pytest.approx(expected, rel=1e-9, abs=1e-12), path.id
        # the numbers as written give the value too (up to their 4 significant digits)
        assert multiply_out(path.numbers) == pytest.approx(path.value, rel=5e-3, abs=1e-3 * (1 + abs(path.value)))
        # broken into lines, the product is the same
        assert multiply_out(" ".join(path.numbers_lines)) == pytest.approx(multiply_out(path.numbers), rel=1e-12)
        assert len(path.symbolic_lines) == len(path.numbers_lines) >= 1
        assert braces_balanced(path.symbolic) and braces_balanced(path.numbers)
        assert path.touches[0] == path.id and "L" in path.touches


def test_matrix_paths_as_the_notes_write_them():
    net, x, label = matrix_net()
    trace = net.backprop(x, label)
    p311 = weight_path(net, trace, 3, 1, 1)
    assert p311.symbolic == r"a_{21} \cdot dz_{31}"
    assert p311.weight == "w_{311}"
    p211 = weight_path(net, trace, 2, 1, 1)
    assert p211.symbolic == (r"a_{11} \cdot \operatorname{ReLU}'(h_{21}) \cdot "
                             r"\left(w_{311} \cdot dz_{31} + w_{321} \cdot dz_{32}\right)")
    # by hand: a11 relu'(h21) (w311 dz31 + w321 dz32)
    a1, h2 = trace.a[1][0], trace.h[1][0]
    dz3, W3 = trace.dz[2][0], net.weights[2]
    hand = a1[0] * float(h2[0] > 0) * (W3[0, 0] * dz3[0] + W3[0, 1] * dz3[1])
    assert p211.value == pytest.approx(hand, rel=1e-12)
    # a W1 weight has four paths: through h21 and h22, then to each output
    p111 = weight_path(net, trace, 1, 1, 1)
    assert p111.symbolic.count("dz_{3") == 4
    assert {"w111", "x1", "h11", "w211", "w221", "h21", "h22", "w311", "w321", "w312", "w322", "y1", "y2",
            "L"} <= set(p111.touches)
    # its two first branches, one per line; the ReLU of h22 is off, so the second contributes 0
    assert len(p111.symbolic_lines) == 2 and p111.symbolic_lines[1].startswith("+ w_{221}")
    assert p111.stopped == ("h22",) and p311.stopped == ()
    # through the softmax, a W3 weight reaches both outputs
    assert {"y1", "y2"} <= set(p311.touches)
    identity = net.replace(output="identity")
    assert "y2" not in weight_path(identity, identity.backprop(x, label), 3, 1, 1).touches


def test_chain_path_uses_the_chain_names():
    net, x, label = chain_net()
    trace = net.backprop(x, label)
    path = weight_path(net, trace, 2, 1, 1)
    assert path.weight == "w_{2}" and path.id == "w2"
    assert path.symbolic == r"a_{1} \cdot \operatorname{id}'(h_{2}) \cdot w_{3} \cdot dz_{3}"
    assert path.touches == ("w2", "a1", "h1", "a2", "h2", "w3", "y", "h3", "L")


def test_paths_refuse_a_batch_and_a_missing_weight():
    net, x, label = matrix_net()
    with pytest.raises(ValueError):
        weight_path(net, net.backprop([x, x], [label, label]), 1, 1, 1)
    with pytest.raises(ValueError):
        weight_path(net, net.backprop(x, label), 3, 3, 1)


# -- the notes' slips and shortcut ----------------------------------------------------------------------
def test_slips_of_the_matrix_network():
    net, x, label = matrix_net()
    trace = net.backprop(x, label)
    slips = notes_slips(net, trace)
    W1 = np.array(P.MATRIX_NET["W1"])
    # h12 as the note writes it, x1 w21 + x2 w12 in its two-index names, against x1 w21 + x2 w22
    assert slips["h1"].wrote_value == pytest.approx(x[0] * W1[0, 1] + x[1] * W1[1, 0])
    assert slips["h1"].right_value == pytest.approx(x[0] * W1[0, 1] + x[1] * W1[1, 1])
    a2, y = trace.a[2][0], trace.y[0]
    assert slips["dL/dw322"].wrote_value == pytest.approx(a2[1] * (y[0] - label[0]))
    assert slips["dL/dw322"].right_value == pytest.approx(a2[1] * (y[1] - label[1]))
    assert slips["dz3"].wrote_value == pytest.approx(y - np.array(label))
    assert slips["dW1"].right_value == pytest.approx(trace.dW[0])
    assert slips["dW1"].wrote_value == pytest.approx(np.outer(trace.a[1][0], trace.dz[0][0]))
    assert slips["dL/da2"].wrote_value is None


def test_mse_slip_of_the_chain():
    net, x, label = chain_net(loss="mse")
    trace = net.backprop(x, label)
    slip = notes_slips(net, trace)["dL/dy"]
    y = trace.y[0, 0]
    assert slip.wrote_value == pytest.approx(y - label[0])
    assert slip.right_value == pytest.approx(2 * (y - label[0]))
    assert "dL/dw3" in notes_slips(net, trace)


@pytest.mark.parametrize("output, loss", [("softmax", "half_sse"), ("sigmoid", "mse"), ("identity", "half_sse"),
                                          ("softmax", "cross_entropy")])
def test_shortcut_gap(output, loss):
    net, x, label = matrix_net(output=output, loss=loss)
    gap = shortcut_gap(net, x, label)
    exact = net.backprop(x, label)
    as_one = net.replace(output_grad_as_one=True).backprop(x, label)
    assert rel_err(list(gap.exact), list(exact.dW)) < 1e-12
    assert rel_err(list(gap.as_one), list(as_one.dW)) < 1e-12
    for d, s, e in zip(gap.difference, as_one.dW, exact.dW):
        assert np.allclose(d, s - e)
    assert np.allclose(gap.dz_as_one, exact.dy)   # the shortcut sets dz_3 = dL/dy
    if output == "identity":
        assert gap.largest == 0.0                  # there the derivative really is 1
    else:
        assert gap.largest > 1e-3

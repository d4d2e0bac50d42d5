"""softmax, softmax_jacobian, cross_entropy and softmax_cross_entropy_grad against hand calculations
and central finite differences."""
from __future__ import annotations

import contextlib
import math
import re
import warnings

import numpy as np
import pytest
from core_helpers import central_diff, rel_err

from bp_core import (
    Network,
    cross_entropy,
    softmax,
    softmax_cross_entropy_grad,
    softmax_jacobian,
)


@contextlib.contextmanager
def strict_floats():
    """Overflow, division by zero and invalid operations raise; so does any warning.

    Underflow is allowed: e^{-20000} = 0 is the correct double, and exactly what a stable softmax relies on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def _hand_softmax(z):
    e = np.exp(np.asarray(z, float))
    return e / e.sum()


# ---------------------------------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------------------------------
def test_softmax_by_hand():
    # e^0 : e^{ln 2} : e^{ln 3} = 1 : 2 : 3
    assert np.allclose(softmax([0.0, math.log(2), math.log(3)]), [1 / 6, 2 / 6, 3 / 6], rtol=1e-14, atol=0)
    assert np.allclose(softmax([2.0, 2.0]), [0.5, 0.5], rtol=0, atol=0)


def test_softmax_sums_to_one_along_last_axis():
    rng = np.random.default_rng(0)
    for shape in [(4,), (3, 5), (2, 3, 4)]:
        z = rng.normal(scale=5, size=shape)
        s = softmax(z)
        assert s.shape == z.shape
        assert np.allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-14)
        assert np.all((s >= 0) & (s <= 1))
        if len(shape) == 2:
            for row, zrow in zip(s, z):
                assert rel_err(row, _hand_softmax(zrow)) < 1e-14


@pytest.mark.parametrize(
    "z, expected",
    [
        ([1e4, -1e4], [1.0, 0.0]),
        ([-1e4, 1e4, -1e4], [0.0, 1.0, 0.0]),
        ([1e4, 1e4], [0.5, 0.5]),
        ([-1e4, -1e4, -1e4, -1e4], [0.25] * 4),
        ([1e4, 1e4 - math.log(3)], [0.75, 0.25]),
    ],
)
def test_softmax_is_stable_at_huge_logits(z, expected):
    with strict_floats():
        s = softmax(z)
    assert np.all(np.isfinite(s))
    assert np.allclose(s, expected, rtol=1e-12, atol=1e-300)


def test_softmax_is_stable_for_any_finite_logits():
    """The contract says 'stable for any finite z'; logits 2e308 apart must not overflow or warn.

    (Regression: before 2ef00ca the shift z - max(z) overflowed to -inf: the result [1, 0] was right, but
    NumPy warned "overflow encountered in subtract".)
    """
    with strict_floats():
        s = softmax([1e308, -1e308])
    assert np.array_equal(s, [1.0, 0.0])


def test_softmax_shift_invariance():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 4))
    for c in (-1000.0, -3.5, 0.25, 700.0, 5000.0):
        assert rel_err(softmax(z + c), softmax(z)) < 1e-12
    # a different shift per row, too
    assert rel_err(softmax(z + np.array([[1.0], [-50.0], [300.0]])), softmax(z)) < 1e-12


# ---------------------------------------------------------------------------------------------------
# softmax_jacobian
# ---------------------------------------------------------------------------------------------------
def test_softmax_jacobian_by_hand():
    # s = (1/2, 1/2): J = [[s1(1-s1), -s1 s2], [-s2 s1, s2(1-s2)]] = [[1/4, -1/4], [-1/4, 1/4]]
    assert np.allclose(softmax_jacobian([0.5, 0.5]), [[0.25, -0.25], [-0.25, 0.25]], rtol=0, atol=1e-16)
    # s = (0.2, 0.3, 0.5): diag(s) - s s^T
    s = np.array([0.2, 0.3, 0.5])
    expected = [
        [0.2 * 0.8, -0.2 * 0.3, -0.2 * 0.5],
        [-0.3 * 0.2, 0.3 * 0.7, -0.3 * 0.5],
        [-0.5 * 0.2, -0.5 * 0.3, 0.5 * 0.5],
    ]
    assert np.allclose(softmax_jacobian(s), expected, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_softmax_jacobian_single(n):
    rng = np.random.default_rng(n)
    z = rng.normal(scale=2, size=n)
    J = softmax_jacobian(softmax(z))
    assert J.shape == (n, n)
    assert np.allclose(J, J.T, rtol=0, atol=1e-15)
    assert np.allclose(J.sum(axis=1), 0.0, rtol=0, atol=1e-15)
    fd = central_diff(softmax, z)               # fd[j, k] = d S_j / d z_k
    assert rel_err(J, fd) < 1e-8
    # generic logits: rank n - 1 (the direction (1, ..., 1) is shift invariance, everything else counts)
    assert np.linalg.matrix_rank(J) == n - 1
    assert np.allclose(J @ np.ones(n), 0.0, atol=1e-15)


def test_softmax_jacobian_batched():
    rng = np.random.default_rng(2)
    z = rng.normal(scale=2, size=(4, 3))
    s = softmax(z)
    J = softmax_jacobian(s)
    assert J.shape == (4, 3, 3)
    assert np.allclose(J, np.swapaxes(J, 1, 2), rtol=0, atol=1e-15)
    assert np.allclose(J.sum(axis=2), 0.0, rtol=0, atol=1e-15)
    for b in range(4):
        assert rel_err(J[b], central_diff(softmax, z[b])) < 1e-8
        assert rel_err(J[b], np.diag(s[b]) - np.outer(s[b], s[b])) < 1e-14
        assert np.linalg.matrix_rank(J[b]) == 2


def test_softmax_jacobian_stable_at_huge_logits():
    with strict_floats():
        J = softmax_jacobian(softmax([1e4, -1e4, 0.0]))
    assert np.all(np.isfinite(J))
    assert np.allclose(J, 0.0, atol=1e-300)   # a saturated softmax does not move


# ---------------------------------------------------------------------------------------------------
# cross_entropy
# ---------------------------------------------------------------------------------------------------
def test_cross_entropy_by_hand():
    # one sample: -(0 log 0.7 + 1 log 0.2 + 0 log 0.1) = -log 0.2 = 1.6094379124341003
    assert cross_entropy([0.7, 0.2, 0.1], [0.0, 1.0, 0.0]) == pytest.approx(1.6094379124341003, rel=1e-14)
    # a batch: the mean of -log 0.2 and -(0.5 log 0.25 + 0.5 log 0.5) = 1.5 log 2
    y_hat = [[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]
    y = [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]
    assert cross_entropy(y_hat, y) == pytest.approx((1.6094379124341003 + 1.5 * math.log(2)) / 2, rel=1e-14)


def test_cross_entropy_never_takes_log_of_zero():
    with strict_floats():
        # a zero prediction under a zero label contributes 0 (0 log 0 is taken as 0)
        assert cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0
        # a zero prediction under a positive label: finite (and large), never -inf or nan
        value = cross_entropy([0.0, 1.0], [1.0, 0.0])
    assert math.isfinite(value) and value > 100


def test_cross_entropy_of_softmax_at_huge_logits_is_finite():
    with strict_floats():
        assert cross_entropy(softmax([1e4, -1e4]), [1.0, 0.0]) == 0.0
        assert math.isfinite(cross_entropy(softmax([1e4, -1e4]), [0.0, 1.0]))


# ---------------------------------------------------------------------------------------------------
# softmax_cross_entropy_grad
# ---------------------------------------------------------------------------------------------------
def _probabilities(rng, batch, n):
    return rng.dirichlet(np.ones(n), size=batch)


@pytest.mark.parametrize("batch, n", [(1, 2), (1, 4), (3, 3), (5, 2)])
def test_softmax_cross_entropy_grad_equals_full_chain(batch, n):
    rng = np.random.default_rng(batch * 10 + n)
    z = rng.normal(scale=2, size=(batch, n))
    y = _probabilities(rng, batch, n)
    grad = softmax_cross_entropy_grad(z, y)
    assert grad.shape == (batch, n)
    # the long way: dL/dy_hat = -y / y_hat / batch (the 1/batch of the mean), then through each J
    s = softmax(z)
    dL_dyhat = -y / s / batch
    chain = np.stack([dL_dyhat[b] @ (np.diag(s[b]) - np.outer(s[b], s[b])) for b in range(batch)])
    assert rel_err(grad, chain) < 1e-12
    # and finite differences of the composed loss, 1/batch included
    fd = central_diff(lambda zz: cross_entropy(softmax(zz), y), z)
    assert rel_err(grad, fd) < 1e-7


def test_softmax_cross_entropy_grad_by_hand():
    # z = (0, ln 3): softmax = (1/4, 3/4); y = (0, 1): dL/dz = (1/4, -1/4)
    assert np.allclose(softmax_cross_entropy_grad([[0.0, math.log(3)]], [[0.0, 1.0]]), [[0.25, -0.25]], atol=1e-15)
    # two samples: each row divided by the batch of 2
    g = softmax_cross_entropy_grad([[0.0, math.log(3)], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]])
    assert np.allclose(g, [[0.125, -0.125], [-0.25, 0.25]], atol=1e-15)


def test_softmax_cross_entropy_grad_one_sample_vector():
    g = softmax_cross_entropy_grad([0.0, math.log(3)], [0.0, 1.0])
    assert np.allclose(np.ravel(g), [0.25, -0.25], atol=1e-15)


def test_softmax_cross_entropy_grad_huge_logits():
    with strict_floats():
        g = softmax_cross_entropy_grad([[1e4, -1e4]], [[0.0, 1.0]])
    assert np.allclose(g, [[1.0, -1.0]])


def test_network_softmax_cross_entropy_uses_the_shortcut_exactly():
    """For a one-layer identity-input network, dz = (softmax(h) - y) / batch, hand-checked."""
    W = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]])
    x = np.array([[1.0, 0.5], [-1.0, 1.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    net = Network([W], hidden="identity", output="softmax", loss="cross_entropy")
    trace = net.backprop(x, y)
    h = x @ W
    dz = (np.stack([_hand_softmax(r) for r in h]) - y) / 2
    assert rel_err(trace.dz[0], dz) < 1e-12
    assert rel_err(trace.dW[0], x.T @ dz) < 1e-12
    assert trace.loss == pytest.approx(cross_entropy(np.stack([_hand_softmax(r) for r in h]), y), rel=1e-12)


def test_network_softmax_cross_entropy_at_huge_logits():
    """Logits 2e308 apart: with label (1, 0) the loss is log(1 + e^{-2e308}) = 0, which is a double.

    (Regression: before 2ef00ca log_softmax's shift overflowed to -inf, 0 * -inf = nan, and the loss was nan.)
    """
    net = Network([[[1e308, -1e308]]], hidden="identity", output="softmax", loss="cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trace = net.backprop([1.0], [1.0, 0.0])
        assert trace.loss == 0.0
        assert np.array_equal(trace.dW[0], [[0.0, 0.0]])        # (y - label) / batch = (1 - 1, 0 - 0)
        # with label (0, 1) the loss is 2e308: not a double, so it must be refused
        with pytest.raises(ValueError, match="overflowed"):
            net.backprop([1.0], [0.0, 1.0])


# ---------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: softmax([]), "must not be empty"),
        (lambda: softmax([1.0, float("nan")]), "finite"),
        (lambda: softmax([float("inf"), 0.0]), "finite"),
        (lambda: softmax("abc"), "must be numbers"),
        (lambda: softmax(3.0), "dimensions"),
        (lambda: softmax_jacobian(np.ones((2, 2, 2))), "dimensions"),
        (lambda: softmax_jacobian([0.5, float("nan")]), "finite"),
        (lambda: cross_entropy([0.5, 0.5], [1.0, 0.0, 0.0]), "same shape"),
        (lambda: cross_entropy([0.5, float("nan")], [1.0, 0.0]), "finite"),
        (lambda: cross_entropy([0.5, 0.5], [float("inf"), 0.0]), "labels y"),
        (lambda: softmax_cross_entropy_grad([[1.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]]), "same shape"),
        (lambda: softmax_cross_entropy_grad([[1.0, float("-inf")]], [[1.0, 0.0]]), "finite"),
    ],
)
def test_bad_input_raises(call, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        call()


def test_jacobian_keeps_rank_and_zero_row_sums_when_one_probability_is_near_one():
    """z = (6, -6): S_1 = 1 - 6.1e-6. Computing 1 - S_1 by subtraction loses digits; by hand the exact
    Jacobian is S_1 S_2 [[1, -1], [-1, 1]]: rank 1 and rows summing to exactly 0."""
    s = softmax(np.array([6.0, -6.0]))
    J = softmax_jacobian(s)
    assert np.linalg.matrix_rank(J) == 1
    assert np.all(J.sum(axis=1) == 0.0)
    np.testing.assert_allclose(J, s[0] * s[1] * np.array([[1.0, -1.0], [-1.0, 1.0]]), rtol=1e-12)

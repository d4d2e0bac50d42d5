"""Property tests of the core over random shapes and values (hypothesis).

Set CORE_PROPERTY_SCALE=20 (say) to run twenty times as many examples locally.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from core_helpers import (
    HIDDEN,
    LOSSES,
    OUTPUTS,
    central_diff,
    check_step_arithmetic,
    network_fd,
    random_network,
    rel_err,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bp_core import (
    Network,
    cross_entropy,
    softmax,
    softmax_cross_entropy_grad,
    softmax_jacobian,
)

SCALE = int(os.environ.get("CORE_PROPERTY_SCALE", "1"))


def examples(n: int):
    return settings(max_examples=n * SCALE, deadline=None)


shapes = st.tuples(st.integers(1, 4), st.integers(1, 6))


def logits(low: float, high: float):
    return shapes.flatmap(
        lambda shape: arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_infinity=False))
    )


# ---------------------------------------------------------------------------------------------------
# Network gradients
# ---------------------------------------------------------------------------------------------------
@examples(40)
@given(
    depth=st.integers(1, 3),
    widths=st.lists(st.integers(1, 4), min_size=4, max_size=4),
    hidden=st.sampled_from(HIDDEN),
    output=st.sampled_from(OUTPUTS),
    loss=st.sampled_from(LOSSES),
    biases=st.booleans(),
    batch=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_network_gradients_equal_fd(depth, widths, hidden, output, loss, biases, batch, seed):
    rng = np.random.default_rng(seed)
    net, x, y = random_network(rng, depth, widths[: depth + 1], hidden, output, loss, biases, batch=batch)
    trace = net.backprop(x, y)
    fd_W, fd_b = network_fd(net, x, y)
    got = list(trace.dW) + (list(trace.db) if biases else [])
    assert rel_err(got, fd_W + (fd_b or [])) < 1e-6


@examples(40)
@given(
    depth=st.integers(1, 3),
    widths=st.lists(st.integers(1, 3), min_size=4, max_size=4),
    hidden=st.sampled_from(HIDDEN),
    output=st.sampled_from(OUTPUTS),
    loss=st.sampled_from(LOSSES),
    biases=st.booleans(),
    batch=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_steps_write_true_arithmetic(depth, widths, hidden, output, loss, biases, batch, seed):
    rng = np.random.default_rng(seed)
    net, x, y = random_network(rng, depth, widths[: depth + 1], hidden, output, loss, biases, batch=batch)
    for step in net.backprop(x, y, lr=0.1).steps:
        check_step_arithmetic(step)


def _moderate_net(draw, allow_ce_identity: bool = False):
    depth = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    hidden = draw(st.sampled_from(HIDDEN))
    output = draw(st.sampled_from(OUTPUTS))
    losses = LOSSES if allow_ce_identity or output != "identity" else ("half_sse", "mse")
    loss = draw(st.sampled_from(losses))
    batch = draw(st.integers(1, 3))
    values = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    weights = [draw(arrays(np.float64, (widths[k], widths[k + 1]), elements=values)) for k in range(depth)]
    biases = (
        [draw(arrays(np.float64, (widths[k + 1],), elements=values)) for k in range(depth)]
        if draw(st.booleans())
        else None
    )
    x = draw(arrays(np.float64, (batch, widths[0]), elements=values))
    unit = st.floats(0, 1, allow_nan=False)
    y = draw(arrays(np.float64, (batch, widths[-1]), elements=unit if output != "identity" else values))
    if output == "softmax" or loss == "cross_entropy":
        # probability vectors (a row of zeros becomes one-hot on the first unit)
        y = np.where(y.sum(axis=1, keepdims=True) > 0, y / np.maximum(y.sum(axis=1, keepdims=True), 1e-300), 0.0)
        y[y.sum(axis=1) == 0, 0] = 1.0
    return Network(weights, biases, hidden=hidden, output=output, loss=loss), x, y


@st.composite
def moderate_nets(draw):
    return _moderate_net(draw)


@st.composite
def moderate_nets_any_combination(draw):
    return _moderate_net(draw, allow_ce_identity=True)


@examples(60)
@given(moderate_nets())
def test_gradients_finite_and_shaped(case):
    net, x, y = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = net.backprop(x, y)
    assert [g.shape for g in trace.dW] == [W.shape for W in net.weights]
    if net.biases is not None:
        assert [g.shape for g in trace.db] == [b.shape for b in net.biases]
    assert np.isfinite(trace.loss)
    for arr in (*trace.dW, *(trace.db or ()), *trace.dz, *trace.da, trace.dy, *trace.a, *trace.h):
        assert np.all(np.isfinite(arr))
    for step in trace.steps:
        assert np.all(np.isfinite(step.value))


@examples(30)
@given(moderate_nets_any_combination())
def test_no_nan_for_any_combination(case):
    """Even cross-entropy on an identity output (where log y may be undefined): a number or a ValueError."""
    net, x, y = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            trace = net.backprop(x, y)
        except ValueError:
            assert net.loss == "cross_entropy" and net.output == "identity"
            return
    for arr in (*trace.dW, *(trace.db or ())):
        assert not np.any(np.isnan(arr))


@examples(40)
@given(moderate_nets())
def test_a_small_step_descends_by_lr_times_squared_gradient(case):
    """L(w - lr g) = L(w) - lr |g|^2 + O(lr^2): the update is a descent step (first-order Taylor)."""
    net, x, y = case
    grads = net.backprop(x, y, steps=False)
    # a step must not cross a ReLU kink (the loss is only piecewise smooth there)
    assume(net.hidden != "relu" or all(np.min(np.abs(h)) > 1e-3 for h in grads.h[:-1]))
    g2 = sum(float((g**2).sum()) for g in (*grads.dW, *(grads.db or ())))
    assume(1e-4 < g2 < 1e4)
    lr = 1e-7 / max(1.0, g2)
    trace = net.backprop(x, y, lr=lr, steps=False)
    assert trace.loss_after < trace.loss
    assert (trace.loss - trace.loss_after) / (lr * g2) == pytest.approx(1.0, abs=0.05)


# ---------------------------------------------------------------------------------------------------
# Softmax family
# ---------------------------------------------------------------------------------------------------
@examples(100)
@given(logits(-1e4, 1e4))
def test_softmax_invariants(z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            s = softmax(z)
            J = softmax_jacobian(s)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert np.allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert J.shape == z.shape + (z.shape[-1],)
    assert np.allclose(J, np.swapaxes(J, -1, -2), rtol=0, atol=1e-15)
    assert np.allclose(J.sum(axis=-1), 0.0, rtol=0, atol=1e-14)
    # the largest logit gets the largest probability
    assert np.all(np.take_along_axis(s, z.argmax(axis=-1)[:, None], axis=-1)[:, 0] >= s.max(axis=-1) - 1e-15)


@examples(40)
@given(logits(-5, 5))
def test_softmax_jacobian_equals_fd(z):
    # an absolute tolerance: when one probability dominates every entry of J is tiny, and finite
    # differences of O(1) values carry ~1e-10 of rounding noise
    for row in z:
        assert np.allclose(softmax_jacobian(softmax(row)), central_diff(softmax, row), rtol=0, atol=1e-9)


@st.composite
def logits_and_labels(draw):
    z = draw(logits(-10, 10))
    raw = draw(arrays(np.float64, z.shape, elements=st.floats(0, 1, allow_nan=False)))
    assume(np.all(raw.sum(axis=1) > 1e-3))
    return z, raw / raw.sum(axis=1, keepdims=True)


@examples(80)
@given(logits_and_labels())
def test_cross_entropy_shortcut_equals_full_chain(case):
    z, y = case
    batch = z.shape[0]
    s = softmax(z)
    # dL/dy_hat_j = -y_j / y_hat_j / batch, then through each sample's Jacobian
    dL_dyhat = -y / s / batch
    chain = np.einsum("bj,bjk->bk", dL_dyhat, softmax_jacobian(s))
    assert np.allclose(softmax_cross_entropy_grad(z, y), chain, rtol=1e-9, atol=1e-12)


@examples(30)
@given(logits_and_labels())
def test_cross_entropy_shortcut_equals_fd(case):
    z, y = case
    fd = central_diff(lambda zz: cross_entropy(softmax(zz), y), z)
    assert np.allclose(softmax_cross_entropy_grad(z, y), fd, rtol=0, atol=1e-7)

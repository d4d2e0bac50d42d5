"""The core under fuzzing (issue 7): random shapes, widths, depths and values, including 0, -0.0, subnormals,
1e300, -1e300, the largest doubles and the largest values the pages' sliders allow.

For every public entry point the rule is the same: either it returns numbers that are all finite, or it raises
ValueError with a message that says what was wrong. NaN or inf in the input must raise ValueError. On top:
softmax sums to 1, the Jacobian invariants hold, and the cross-entropy shortcut equals the full chain.

The core bugs these tests found are regression tests at the end of the file, each with the input that found it.
"""
from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bp_core import (
    Network,
    cross_entropy,
    deep,
    gradcheck,
    graph_examples,
    softmax,
    softmax_cross_entropy_grad,
    softmax_jacobian,
)
from bp_core import softmax_lesson as sl
from bp_core.derivations import derive, derive_graph
from bp_core.graph import Value
from bp_core.step import Step

HIDDEN = ("relu", "sigmoid", "tanh", "identity")
OUTPUTS = ("identity", "sigmoid", "softmax")
LOSSES = ("half_sse", "mse", "cross_entropy")
BIG = np.finfo(np.float64).max
# zeros of both signs, subnormals, the extremes of a double, the edges of exp
SPECIAL = (0.0, -0.0, 5e-324, -5e-324, 2.2e-308, 1e-300, 1e300, -1e300, BIG, -BIG, 709.0, -745.0, 1e-8)
# the largest values the pages' sliders allow (weights +-2, inputs +-3, logits +-6, graph +-10, lr 2, lr 10 000)
SLIDER = (2.0, -2.0, 3.0, -3.0, 6.0, -6.0, 10.0, -10.0, 5.0, 0.1, 0.25, 10000.0)
NONFINITE = (math.nan, math.inf, -math.inf)
CLEAR = re.compile(r"must|overflow|cannot|needs|finite|use |written for|expected", re.IGNORECASE)
TEXT_NONFINITE = re.compile(r"\bnan\b|\binf\b|\\infty", re.IGNORECASE)


# ROBUST_SCALE=20 runs twenty times as many examples, ROBUST_RANDOM=1 new ones each run (to hunt for bugs);
# by default the examples are the same on every run, so CI is reproducible.
SCALE = int(os.environ.get("ROBUST_SCALE", "1"))
RANDOM = os.environ.get("ROBUST_RANDOM") == "1"


def examples(n: int):
    return settings(max_examples=n * SCALE, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=(HealthCheck.too_slow, HealthCheck.filter_too_much))


def reals(lo: float = -10.0, hi: float = 10.0):
    """Mostly ordinary numbers, often a special or a slider's extreme."""
    return st.one_of(
        st.sampled_from(SPECIAL + SLIDER),
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
        st.floats(lo, hi, allow_nan=False, allow_infinity=False),
    )


def moderate(lo: float = -3.0, hi: float = 3.0):
    return st.one_of(st.sampled_from((0.0, -0.0, 5e-324, -5e-324, lo, hi)),
                     st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def matrix(draw, shape, values):
    return np.array([[draw(values) for _ in range(shape[1])] for _ in range(shape[0])], dtype=float)


def clear_error(error: ValueError) -> None:
    """A ValueError the learner (or a notebook user) can act on."""
    message = str(error)
    assert len(message) >= 20 and CLEAR.search(message), f"unclear ValueError: {message!r}"


def finite(what: str, value) -> None:
    arr = np.asarray(value, dtype=float)
    assert np.all(np.isfinite(arr)), f"{what} is not finite: {arr!r}"


def check_steps(steps) -> None:
    """Every step's value finite, and no nan/inf written in its LaTeX."""
    for step in steps:
        if isinstance(step, Step):
            finite(f"step {step.name} value", step.value)
            for text in (step.formula, step.numbers):
                assert not TEXT_NONFINITE.search(text), f"step {step.name} writes a non-finite number: {text}"


def clean(call, *args, **kwargs):
    """Call; a ValueError must be clear (then None); any other exception fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return call(*args, **kwargs)
    except ValueError as error:
        clear_error(error)
        return None


# ---------------------------------------------------------------------------------------------------------
# Network.backprop
# ---------------------------------------------------------------------------------------------------------
@st.composite
def networks(draw, values=None, max_depth=4, max_width=5, max_batch=3):
    values = reals() if values is None else values
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    weights = [matrix(draw, (a, b), values) for a, b in zip(widths, widths[1:])]
    biases = [np.array([draw(values) for _ in range(b)]) for b in widths[1:]] if draw(st.booleans()) else None
    options = dict(hidden=draw(st.sampled_from(HIDDEN)), output=draw(st.sampled_from(OUTPUTS)),
                   loss=draw(st.sampled_from(LOSSES)), output_grad_as_one=draw(st.booleans()))
    batch = draw(st.integers(1, max_batch))
    x = matrix(draw, (batch, widths[0]), values)
    label = matrix(draw, (batch, widths[-1]), st.one_of(values, st.sampled_from((0.0, 1.0))))
    lr = draw(st.one_of(st.none(), st.sampled_from((0.0, -0.0, 5e-324, 0.01, 2.0, 10000.0, 1e300)), values))
    return weights, biases, options, x, label, lr


def check_trace(trace, lr) -> None:
    finite("loss", trace.loss)
    for name in ("h", "a", "dz", "da", "dW"):
        for k, arr in enumerate(getattr(trace, name)):
            finite(f"{name}[{k}]", arr)
    finite("dL/dy", trace.dy)
    if trace.db is not None:
        for k, arr in enumerate(trace.db):
            finite(f"db[{k}]", arr)
    if lr is not None:
        finite("loss after the update", trace.loss_after)
        for k, W in enumerate(trace.updated.weights):
            finite(f"W{k + 1}*", W)
    check_steps(trace.steps)


@examples(150)
@given(networks())
def test_backprop_is_finite_or_a_clear_value_error(case):
    weights, biases, options, x, label, lr = case
    net = clean(Network, weights, biases, **options)
    assert net is not None, "every finite network of matching shapes is accepted"
    trace = clean(net.backprop, x, label, lr=lr)
    if trace is not None:
        check_trace(trace, lr)


@examples(60)
@given(networks(values=moderate(-2.0, 2.0), max_depth=3, max_width=4))
def test_backprop_within_the_sliders_always_succeeds(case):
    """Inside the pages' ranges nothing overflows: the only refusal is cross-entropy on an identity output."""
    weights, biases, options, x, label, lr = case
    lr = None if lr is None else float(np.clip(lr, 0.0, 2.0))
    if options["loss"] == "cross_entropy":
        label = np.clip(label, 0.0, 1.0)  # the pages' labels for cross-entropy are in [0, 1] (others are refused)
    net = Network(weights, biases, **options)
    try:
        trace = net.backprop(x, label, lr=lr)
    except ValueError as error:
        assert options["loss"] == "cross_entropy" and options["output"] == "identity", str(error)
        clear_error(error)
        return
    check_trace(trace, lr)


@examples(60)
@given(networks(max_depth=2, max_width=3), st.sampled_from(NONFINITE), st.data())
def test_backprop_refuses_nan_and_inf_anywhere(case, bad, data):
    weights, biases, options, x, label, lr = case
    where = data.draw(st.sampled_from(("x", "label", "weight", "bias", "lr")))
    if where == "x":
        x[data.draw(st.integers(0, x.shape[0] - 1)), data.draw(st.integers(0, x.shape[1] - 1))] = bad
    elif where == "label":
        label[data.draw(st.integers(0, label.shape[0] - 1)), data.draw(st.integers(0, label.shape[1] - 1))] = bad
    elif where == "weight":
        W = weights[data.draw(st.integers(0, len(weights) - 1))]
        W[data.draw(st.integers(0, W.shape[0] - 1)), data.draw(st.integers(0, W.shape[1] - 1))] = bad
    elif where == "bias":
        biases = biases or [np.zeros(W.shape[1]) for W in weights]
        biases[data.draw(st.integers(0, len(biases) - 1))][0] = bad
    else:
        lr = bad
    with pytest.raises(ValueError) as error:
        Network(weights, biases, **options).backprop(x, label, lr=lr)
    clear_error(error.value)


JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12), st.just([]), st.just([[]]), st.just([[[]]]),
    st.just({"a": 1}), st.just(np.ones((1, 1, 1))), st.just([1j]), st.just([object()]),
    st.just([[1.0, 2.0], [3.0]]), st.just("<script>alert(1)</script>"), st.integers(-5, 5),
)


@examples(80)
@given(st.sampled_from(("weights", "biases", "hidden", "output", "loss", "x", "label", "lr")), JUNK)
def test_backprop_refuses_junk_with_a_value_error(where, junk):
    args = dict(weights=[np.ones((2, 2)), np.ones((2, 2))], biases=None, hidden="relu", output="softmax",
                loss="half_sse")
    x, label, lr = [1.0, 2.0], [1.0, 0.0], 0.1
    if where in args:
        args[where] = junk
    elif where == "x":
        x = junk
    elif where == "label":
        label = junk
    else:
        lr = junk
    try:
        trace = Network(**args).backprop(x, label, lr=lr)
    except ValueError as error:
        clear_error(error)
    else:  # junk that happens to be valid (an integer learning rate, a scalar broadcast is not)
        check_trace(trace, trace.lr)


# ---------------------------------------------------------------------------------------------------------
# softmax, its Jacobian, cross-entropy
# ---------------------------------------------------------------------------------------------------------
WIDE = st.one_of(st.sampled_from(SPECIAL + SLIDER),
                 st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
                 st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@st.composite
def logit_arrays(draw, values=WIDE, max_dims=3):
    dims = draw(st.integers(1, max_dims))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    return np.array([draw(values) for _ in range(int(np.prod(shape)))], dtype=float).reshape(shape)


@examples(150)
@given(logit_arrays())
def test_softmax_is_a_probability_vector_for_any_finite_logits(z):
    s = softmax(z)
    assert s.shape == z.shape
    finite("softmax", s)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-12 * z.shape[-1])
    # the largest logit gets the largest probability
    top = np.take_along_axis(s, z.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    np.testing.assert_array_equal(top, s.max(axis=-1))


@examples(60)
@given(logit_arrays(values=st.floats(-30, 30, allow_nan=False, allow_infinity=False), max_dims=2),
       st.floats(-100, 100, allow_nan=False, allow_infinity=False))
def test_softmax_ignores_a_shift_of_every_logit(z, c):
    np.testing.assert_allclose(softmax(z + c), softmax(z), rtol=1e-9, atol=1e-15)


@examples(40)
@given(st.sampled_from(NONFINITE), logit_arrays(max_dims=2), st.data())
def test_softmax_family_refuses_nan_and_inf(bad, z, data):
    z = z.copy()
    z.flat[data.draw(st.integers(0, z.size - 1))] = bad
    y = np.zeros_like(z)
    for call in (lambda: softmax(z), lambda: softmax_jacobian(z), lambda: cross_entropy(z, y),
                 lambda: cross_entropy(y, z), lambda: softmax_cross_entropy_grad(z, y)):
        with pytest.raises(ValueError) as error:
            call()
        clear_error(error.value)


@examples(120)
@given(logit_arrays(max_dims=2))
def test_jacobian_invariants_for_any_finite_logits(z):
    """J = diag(S) - S S^T: symmetric, rows sum to 0 (J 1 = 0, rank <= n-1), diagonal S(1-S) >= 0, off-diagonal
    -S_j S_k <= 0, positive semi-definite; batched as (batch, n, n)."""
    s = softmax(z)
    J = softmax_jacobian(s)
    n = z.shape[-1]
    assert J.shape == z.shape + (n,)
    finite("J", J)
    np.testing.assert_array_equal(J, np.swapaxes(J, -1, -2))
    np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=1e-15)
    diag = np.diagonal(J, axis1=-2, axis2=-1)
    assert np.all(diag >= 0)
    np.testing.assert_allclose(diag, s * (1 - s), rtol=1e-12, atol=1e-15)
    off = J[..., ~np.eye(n, dtype=bool)]
    assert np.all(off <= 0)
    assert np.all(np.linalg.eigvalsh(J) >= -1e-15)
    if n > 1:
        assert np.all(np.linalg.matrix_rank(np.atleast_3d(J) if J.ndim == 3 else J) <= n - 1)


@examples(40)
@given(st.lists(st.floats(-20, 20, allow_nan=False, allow_infinity=False), min_size=2, max_size=6))
def test_jacobian_equals_finite_differences_of_softmax(z):
    z = np.array(z)
    J = softmax_jacobian(softmax(z))
    eps = 1e-6
    numeric = np.stack([(softmax(z + eps * e) - softmax(z - eps * e)) / (2 * eps) for e in np.eye(z.size)], axis=1)
    np.testing.assert_allclose(J, numeric, atol=1e-8)


def _probability_labels(draw, shape):
    batch, n = shape
    if draw(st.booleans()):
        return np.eye(n)[[draw(st.integers(0, n - 1)) for _ in range(batch)]]
    raw = np.array([[draw(st.floats(0, 1)) for _ in range(n)] for _ in range(batch)]) + 1e-3
    return raw / raw.sum(axis=1, keepdims=True)


@examples(100)
@given(st.tuples(st.integers(1, 4), st.integers(1, 6)), st.data())
def test_cross_entropy_shortcut_equals_the_full_chain(shape, data):
    """(softmax(z) - y) / B == J^T dL/dS with dL/dS = -y / S / B, sample by sample; the collapse needs sum y = 1."""
    z = matrix(data.draw, shape, st.floats(-30, 30, allow_nan=False, allow_infinity=False))
    y = _probability_labels(data.draw, shape)
    s = softmax(z)
    dS = -y / s / shape[0]
    chain = np.einsum("bj,bjk->bk", dS, softmax_jacobian(s))
    shortcut = softmax_cross_entropy_grad(z, y)
    np.testing.assert_allclose(shortcut, chain, rtol=1e-7, atol=1e-12)
    loss = cross_entropy(s, y)
    finite("cross-entropy", loss)
    assert loss >= 0


@examples(100)
@given(st.tuples(st.integers(1, 4), st.integers(1, 6)), st.data())
def test_cross_entropy_shortcut_is_finite_for_any_finite_logits(shape, data):
    z = matrix(data.draw, shape, WIDE)
    y = _probability_labels(data.draw, shape)
    g = softmax_cross_entropy_grad(z, y)
    finite("shortcut", g)
    np.testing.assert_array_equal(g, (softmax(z) - y) / shape[0])
    np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-12)


@examples(60)
@given(st.integers(1, 3), st.data())
def test_network_cross_entropy_softmax_dz_is_the_full_chain(depth, data):
    """In Network.backprop the collapsed dz_N of softmax + cross-entropy equals dL/dy times the Jacobian."""
    widths = [data.draw(st.integers(1, 4)) for _ in range(depth + 1)]
    widths[-1] = max(widths[-1], 2)
    weights = [matrix(data.draw, (a, b), moderate(-2, 2)) for a, b in zip(widths, widths[1:])]
    batch = data.draw(st.integers(1, 3))
    x = matrix(data.draw, (batch, widths[0]), moderate())
    y = _probability_labels(data.draw, (batch, widths[-1]))
    net = Network(weights, hidden=data.draw(st.sampled_from(HIDDEN)), output="softmax", loss="cross_entropy")
    trace = net.backprop(x, y)
    chain = np.einsum("bj,bjk->bk", trace.dy, softmax_jacobian(trace.y))
    np.testing.assert_allclose(trace.dz[-1], chain, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(trace.dz[-1], softmax_cross_entropy_grad(trace.h[-1], y), rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------------------------------------------------
# the scalar graph
# ---------------------------------------------------------------------------------------------------------
UNARY = ("exp", "sigmoid", "relu", "tanh", "neg")
BINARY = ("+", "-", "*", "/", "r-", "r/")
EXPONENTS = (2, 3, -1, 0.5, -0.5, 0, 1, -0.0, 5e-324, 1e300, -2.5, 1 / 3)


@st.composite
def graph_programs(draw):
    leaves = [draw(reals()) for _ in range(draw(st.integers(1, 3)))]
    ops = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(("unary", "binary", "binary", "pow")))
        if kind == "unary":
            ops.append(("unary", draw(st.sampled_from(UNARY)), None))
        elif kind == "pow":
            ops.append(("pow", draw(st.sampled_from(EXPONENTS)), None))
        else:
            other = draw(st.one_of(st.integers(0, 9), reals()))  # another node (index) or a constant
            ops.append(("binary", draw(st.sampled_from(BINARY)), other))
    return leaves, ops


def run_program(leaves, ops) -> Value | None:
    nodes = [Value(v, f"x{i}") for i, v in enumerate(leaves)]
    for n, (kind, op, other) in enumerate(ops):
        a = nodes[-1]
        if kind == "unary":
            out = {"exp": Value.exp, "sigmoid": Value.sigmoid, "relu": Value.relu, "tanh": Value.tanh,
                   "neg": Value.__neg__}[op](a)
        elif kind == "pow":
            out = a ** op
        else:
            b = nodes[other % len(nodes)] if isinstance(other, int) else other
            out = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                   "r-": lambda: b - a, "r/": lambda: b / a}[op]()
        assert isinstance(out, Value)
        finite("node value", out.data)
        nodes.append(out.named(f"n{n}"))
    return nodes[-1]


@examples(200)
@given(graph_programs())
def test_value_ops_and_backward_are_finite_or_a_clear_value_error(program):
    leaves, ops = program
    f = clean(run_program, leaves, ops)
    if f is None:
        return
    steps = clean(f.backward)
    if steps is None:
        return
    for node in f.topological():
        finite(f"grad of {node.label}", node.grad)
    check_steps(f.forward_steps())
    check_steps([s.to_step() for s in steps])


@examples(40)
@given(graph_programs())
def test_derive_graph_agrees_with_backward(program):
    leaves, ops = program
    assume(len(ops) <= 5)
    f = clean(run_program, leaves, ops)
    if f is None or clean(f.backward) is None:
        return
    derivations = clean(derive_graph, f)
    if derivations is None:
        return
    steps = {s.to_step().name: s for s in f.backward()}
    for name, d in derivations.items():
        finite(f"derivation {name}", d.value)
        if name in steps:
            np.testing.assert_allclose(d.value, steps[name].product, rtol=1e-6, atol=1e-12)  # 1 - tanh^2 cancels


@examples(30)
@given(st.sampled_from(NONFINITE + (None, "nan", "x", "<script>")))
def test_value_refuses_nan_inf_and_text(bad):
    with pytest.raises(ValueError) as error:
        Value(bad, "x")
    clear_error(error.value)


# ---------------------------------------------------------------------------------------------------------
# the softmax lesson
# ---------------------------------------------------------------------------------------------------------
TEMPERATURES = st.one_of(st.sampled_from(SPECIAL + (0.1, 5.0, -1.0, 1.0)),
                         st.floats(0.05, 10, allow_nan=False, allow_infinity=False))


@st.composite
def softmax_lessons(draw, values=None):
    if values is None:
        values = st.one_of(reals(-6, 6), st.sampled_from((700.0, -700.0, 1e3, 1e300)))
    n = draw(st.integers(1, 9))
    z = [draw(values) for _ in range(n)]
    T = draw(TEMPERATURES)
    if draw(st.booleans()):
        label = draw(st.integers(-1, 9))
    else:
        raw = np.array([draw(st.floats(0, 1)) for _ in range(n)]) + 1e-3
        label = raw / raw.sum()
    cell = (draw(st.integers(-1, 9)), draw(st.integers(-1, 9)))
    return z, T, label, cell


def check_softmax_trace(t) -> None:
    for name in ("z", "e", "S", "J", "row_sums", "dS", "dz_chain", "dz", "SB", "dvalues", "dZ_loop", "dZ_vec",
                 "note_dS", "note_dz"):
        finite(name, getattr(t, name))
    for name in ("total", "loss", "asymmetry", "gap", "batch_gap"):
        finite(name, getattr(t, name))
    np.testing.assert_allclose(t.S.sum(), 1.0, atol=1e-12)
    scale = max(np.abs(t.J).max(), 1e-300)
    assert np.abs(t.row_sums).max() <= 1e-12 * scale + 1e-300
    assert t.asymmetry <= 1e-12 * scale
    assert t.rank <= t.n - 1
    # J^T g sums terms of size |J| |g| that cancel down to dz: its rounding is relative to them, not to dz
    terms = np.abs(t.J).max() * np.abs(t.dS).max() * t.n
    tol = max(1e-7 * np.abs(t.dz).max(), 1e-12 * max(terms, 1.0))
    assert t.gap <= tol, f"shortcut {t.dz} vs chain {t.dz_chain}"
    check_steps(t.steps)
    for j in range(t.n):
        for k in range(t.n):
            check_steps([t.entry(j, k)])


@examples(150)
@given(softmax_lessons())
def test_softmax_lesson_is_finite_or_a_clear_value_error(case):
    z, T, label, cell = case
    t = clean(sl.trace, z, T, label, cell)
    if t is not None:
        check_softmax_trace(t)
        check_steps(sl.note_slip(t))


@examples(40)
@given(st.sampled_from(NONFINITE), softmax_lessons(values=reals(-6, 6)), st.data())
def test_softmax_lesson_refuses_nan_and_inf(bad, case, data):
    z, T, label, cell = case
    assume(2 <= len(z) <= sl.MAX_CLASSES)
    where = data.draw(st.sampled_from(("z", "T")))
    if where == "z":
        z[data.draw(st.integers(0, len(z) - 1))] = bad
    else:
        T = bad
    with pytest.raises(ValueError) as error:
        sl.trace(z, T, label, cell)
    clear_error(error.value)


# ---------------------------------------------------------------------------------------------------------
# SymPy derivations (small networks only)
# ---------------------------------------------------------------------------------------------------------
# Within the sliders and a learning rate up to the pages' 2: where backprop succeeds, so does derive, with the same
# numbers (the values beyond, where a value SymPy derives exceeds the largest double, are in
# test_derive_is_finite_where_backprop_is). No subnormals: derive computes exactly what floats round, and where
# a product of subnormals rounds to 0 (x = -0.5, w = -5e-324), ReLU's slope there is 0 in floats and 1 exactly.
SMALL_VALUES = st.one_of(st.sampled_from((0.0, -0.0, 3.0, -3.0, 1e-8)),
                         st.floats(-3, 3, allow_nan=False, allow_subnormal=False))


@examples(40)
@given(networks(values=SMALL_VALUES, max_depth=3, max_width=2, max_batch=1))
def test_derive_agrees_with_backprop_on_small_networks(case):
    weights, biases, options, x, label, lr = case
    lr = None if lr is None else float(np.clip(lr, 0.0, 2.0))
    net = Network(weights, biases, **options)
    trace = clean(net.backprop, x, label, lr=lr)
    if trace is None:
        return
    derivations = clean(derive, net, x, label, lr)
    assert derivations is not None, "derive fails where backprop succeeds"
    for name, d in derivations.items():
        finite(f"derivation {name}", d.value)
    for step in trace.steps:
        if step.name in derivations:
            np.testing.assert_allclose(np.ravel(derivations[step.name].value), np.ravel(step.value), rtol=1e-7,
                                       atol=1e-12, err_msg=step.name)


# ---------------------------------------------------------------------------------------------------------
# the deep-networks lesson (column form)
# ---------------------------------------------------------------------------------------------------------
def check_column_trace(t) -> None:
    finite("loss", t.loss)
    finite("dL/dx(N)", t.dx)
    for name in ("p", "x", "delta", "dW"):
        for k, arr in enumerate(getattr(t, name)):
            finite(f"{name}[{k}]", arr)
    for k, arr in enumerate(t.db or ()):
        finite(f"db[{k}]", arr)
    check_steps(t.steps)


def check_deep_views(net, x, label, t) -> None:
    """What the page shows beside the trace: one weight's derivative both ways, the notes' slips, the norms."""
    for k, i, j in deep.weights_of(t)[:2] + deep.weights_of(t)[-1:]:
        g = clean(deep.weight_gradient, t, k, i, j)
        if g is None:
            continue
        finite("dL/dw", (g.delta, g.f_in, g.value))
        for _, numbers, value in g.chain:
            finite("dp/dw", value)
            assert not TEXT_NONFINITE.search(numbers), numbers
        for slip in clean(deep.note_slips, t, k, i, j) or ():
            for value in (slip.wrote_value, slip.right_value, slip.check):
                if value is not None:
                    finite(f"slip {slip.kind}", value)
    norms = clean(deep.gradient_norms, net, x, label)
    if norms is not None:
        finite("gradient norms", norms)
    clean(deep.dead_layers, net, x, label)


@examples(80)
@given(networks(max_batch=1))
def test_deep_column_form_is_finite_or_a_clear_value_error(case):
    weights, biases, options, x, label, _ = case
    net = Network(weights, biases, **options)
    t = clean(deep.column_backprop, net, x[0], label[0])
    if t is not None:
        check_column_trace(t)
        check_deep_views(net, x[0], label[0], t)


@examples(60)
@given(st.integers(1, deep.MAX_DEPTH), st.integers(1, deep.MAX_WIDTH), st.sampled_from(deep.HIDDEN),
       st.sampled_from(deep.OUTPUTS), st.sampled_from(LOSSES), st.booleans(), st.integers(0, deep.MAX_SEED),
       st.one_of(st.sampled_from((deep.MAX_SCALE, 5e-324, 1e-300, 1.0)), st.floats(0.01, deep.MAX_SCALE)))
def test_deep_examples_within_the_caps_are_finite_or_a_clear_value_error(depth, width, hidden, output, loss,
                                                                           biases, seed, scale):
    """Every example the deep page can ask for (its sliders are the caps), with each loss."""
    ex = clean(deep.random_example, depth, width, hidden=hidden, output=output, loss=loss, biases=biases, seed=seed,
               scale=scale)
    if ex is None:
        return
    t = clean(deep.column_backprop, ex.net, ex.x, ex.label)
    if t is not None:
        check_column_trace(t)
        check_deep_views(ex.net, ex.x, ex.label, t)
        checks = clean(deep.gradient_check, ex.net, ex.x, ex.label)
        if checks is not None:
            check_checks(checks)


# ---------------------------------------------------------------------------------------------------------
# gradient checks
# ---------------------------------------------------------------------------------------------------------
def check_checks(checks) -> None:
    assert checks
    for c in checks:
        finite(f"check {c.name}", (c.backprop, c.numeric, c.rel_error))
        assert c.verdict in ("agree", "close", "wrong")
    assert gradcheck.worst(checks) in ("agree", "close", "wrong")


@examples(60)
@given(networks(max_depth=3, max_width=3, max_batch=2))
def test_check_network_is_finite_or_a_clear_value_error(case):
    weights, biases, options, x, label, _ = case
    net = Network(weights, biases, **options)
    checks = clean(gradcheck.check_network, net, x, label)
    if checks is not None:
        check_checks(checks)


@examples(60)
@given(st.sampled_from(graph_examples.EXAMPLES), st.data())
def test_check_graph_is_finite_or_a_clear_value_error(example, data):
    from bp_core import presets

    values = {name: data.draw(reals()) for name in presets.GRAPHS[example]}
    checks = clean(gradcheck.check_graph, example, values)
    if checks is not None:
        check_checks(checks)


@examples(60)
@given(softmax_lessons())
def test_check_softmax_is_finite_or_a_clear_value_error(case):
    z, T, label, _ = case
    checks = clean(gradcheck.check_softmax, z, T, label)
    if checks is not None:
        check_checks(checks)


# ---------------------------------------------------------------------------------------------------------
# bugs the tests above found, each with its input: now regression tests
# ---------------------------------------------------------------------------------------------------------
def refused(call, *args, match: str, **kwargs) -> None:
    """The call raises a clear ValueError whose message names `match` (the input or the quantity)."""
    with pytest.raises(ValueError) as error:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # refused in words, not after a warning
            call(*args, **kwargs)
    clear_error(error.value)
    assert re.search(match, str(error.value)), f"the message does not name {match!r}: {error.value}"


def test_backprop_checks_dl_dx():
    """dL/dx = dz_1 W_1^T = (0 - 2) * 1.8e308 overflowed to -inf while dW_1 = 0 and the loss were finite, and
    the trace carried the -inf: no finite number is right here, so a ValueError naming dL/dx."""
    refused(Network([[[BIG]]], output="identity", loss="half_sse").backprop, [0.0], [2.0], match="dL/dx")


@pytest.mark.parametrize("weights, output, x, label", [
    ([[[-1.0]]], "sigmoid", [709.0], [709.0]),
    ([[[1.0, -1.0]]], "softmax", [800.0], [-3.0, 5.0]),
    ([[[1.0]]], "sigmoid", [0.0], [-3.0]),
], ids=["sigmoid", "softmax", "negative"])
def test_cross_entropy_network_refuses_labels_outside_0_1(weights, output, x, label):
    """-label log y with a label outside [0, 1] gave dL/dy = -inf (709 / sigmoid(-709)), a loss of 8000 for the
    softmax case and a negative loss for a negative label: a label for cross-entropy must be a probability."""
    net = Network(weights, output=output, loss="cross_entropy")
    refused(net.backprop, x, label, match="labels y for cross_entropy")
    refused(derive, net, x, label, match="labels y for cross_entropy")


def test_softmax_jacobian_refuses_what_is_not_a_probability():
    """softmax_jacobian([1e300, 1e300]) gave NaN (S_j S_k overflows); s must be softmax's output."""
    refused(softmax_jacobian, [1e300, 1e300], match="probabilities")
    refused(softmax_jacobian, [[0.5, -0.5]], match="probabilities")
    np.testing.assert_array_equal(softmax_jacobian([1.0, 0.0]), np.zeros((2, 2)))


def test_cross_entropy_refuses_labels_that_are_not_probabilities():
    """cross_entropy([1e-300], [1.7e308]) was inf and cross_entropy([0.5, 0.5], [-1e308, -1e308]) -1.4e308."""
    refused(cross_entropy, [1e-300], [1.7e308], match="labels y")
    refused(cross_entropy, [0.5, 0.5], [-1e308, -1e308], match="labels y")
    refused(cross_entropy, [2.0, -1.0], [0.0, 1.0], match="predictions y_hat")
    assert cross_entropy([0.0, 1.0], [1.0, 0.0]) == pytest.approx(-math.log(np.finfo(float).tiny))


def test_softmax_trace_subnormal_temperature():
    """T = 5e-324 passed the |z/T| check (z = 0) but J = J(S)/T was inf and the row sums NaN: no finite J
    exists, so a ValueError that names T. A tiny T whose J is finite still works, with its exact numbers."""
    refused(sl.trace, [0.0, 0.0], 5e-324, 0, match="T = 5e-324")
    t = sl.trace([0.0, 0.0], 1e-300, 0)
    check_softmax_trace(t)
    np.testing.assert_array_equal(t.J, np.array([[0.25, -0.25], [-0.25, 0.25]]) / 1e-300)
    np.testing.assert_array_equal(t.dz, np.array([-0.5, 0.5]) / 1e-300)


def test_softmax_trace_huge_temperature():
    """At T = 1.8e308 the entries of J are subnormal and matrix_rank(J) said 6 for six classes: the rank is that
    of T J = diag(S) - S S^T, which is n - 1."""
    t = sl.trace([0.0] * 6, BIG, [1 / 6] * 6)
    check_softmax_trace(t)
    assert t.rank == 5 and t.steps[t.step_index("J1")].kind == "softmax.props"


def test_softmax_trace_refuses_a_spread_whose_softmax_underflows():
    """z = (700, -700): S_2 = e^-1400 is 0 in floats, so -y/S and log S were refused by an unclear message or
    inf; every S_j must be a positive number, so the spread of z/T is at most 700."""
    refused(sl.trace, [700.0, -700.0], 1.0, 0, match="spread")
    check_softmax_trace(sl.trace([350.0, -350.0], 1.0, 1))


def _agree_with_the_trace(derivations, trace) -> None:
    for step in trace.steps:
        if step.name in derivations:
            np.testing.assert_allclose(np.ravel(derivations[step.name].value), np.ravel(step.value), rtol=1e-9,
                                       atol=1e-12, err_msg=step.name)  # atol: backprop's rounding near 0


def test_derive_is_finite_where_backprop_is():
    """SymPy's naive forms (e^h / sum e^h, 1 / (1 + e^-h), log y) evaluated in floats gave NaN where backprop's
    stable forms are finite: now they are evaluated in mpmath and give backprop's numbers, and where a derived
    value truly exceeds the largest double, a ValueError says so."""
    # a 1-2-2 identity/softmax/half_sse net at x = 800: h_2 = (800, -800)
    net = Network([[[1.0, -1.0]], [[1.0, 0.0], [0.0, 1.0]]], hidden="identity", output="softmax", loss="half_sse")
    _agree_with_the_trace(derive(net, [800.0], [1.0, 0.0], 0.1), net.backprop([800.0], [1.0, 0.0], lr=0.1))
    # from the 2x2x2 page's sliders: after the update (lr 2) |h| > 709
    W = [[[2.0, -2.0], [1.130607756061905, 1.130607756061905]], [[0.1782969708872022, -2.0], [2.0, 2.0]],
         [[2.0, -1.2343748510116073], [-1.2343748510116073, 2.0]]]
    net = Network(W, hidden="relu", output="softmax", loss="mse")
    trace = net.backprop([-3.0, 3.0], [1.0, 0.0], lr=2.0)
    check_trace(trace, 2.0)
    derivations = derive(net, [-3.0, 3.0], [1.0, 0.0], 2.0)
    _agree_with_the_trace(derivations, trace)
    assert derivations["L*"].value == trace.loss_after
    # sigmoid + cross-entropy at h = -800: the loss is 800, every gradient finite
    net = Network([[[1.0]]], hidden="identity", output="sigmoid", loss="cross_entropy")
    trace = net.backprop([-800.0], [0.0])
    assert trace.loss == pytest.approx(0.0, abs=1e-300)
    _agree_with_the_trace(derive(net, [-800.0], [0.0]), trace)
    # ... but with the label 1, dL/dy = -1 / e^-800 is beyond the largest double (backprop writes it clipped at
    # -1 / TINY), and so is -label / y for an identity output of 1.5e-323
    refused(derive, net, [-800.0], [1.0], match="dL/dy")
    net = Network([[[0.0, 0.0], [0.0, -3.0]], [[0.0, 0.0], [3.0, 1.0]]], hidden="relu", output="identity",
                  loss="cross_entropy")
    check_trace(net.backprop([0.0, -5e-324], [0.0, 1.0]), None)
    refused(derive, net, [0.0, -5e-324], [0.0, 1.0], match="dL/dy")


@pytest.mark.parametrize("x, label, lr, match", [([math.nan], [1.0], None, "x must be finite"),
                                                 ([1.0], [math.inf], None, "label y must be finite"),
                                                 ([1.0], [1.0], math.nan, "learning rate must be finite"),
                                                 ([1.0, 2.0], [1.0], None, "x must have 1 columns")],
                         ids=["nan-x", "inf-label", "nan-lr", "wrong-width"])
def test_derive_refuses_what_backprop_refuses(x, label, lr, match):
    """derive() took NaN and inf (and gave NaN values) and dropped a second input silently."""
    net = Network([[[1.0]], [[1.0]]], hidden="identity", output="identity", loss="half_sse")
    refused(net.backprop, x, label, lr=lr, match=match)
    refused(derive, net, x, label, lr, match=match)


def test_gradcheck_refuses_an_overflowing_difference():
    """check_graph('sum_times', x=0, y=1.8e308, z=0.75) gave numeric = inf, rel_error = NaN and 'wrong'."""
    refused(gradcheck.check_graph, "sum_times", {"x": 0.0, "y": BIG, "z": 0.75}, match="too large|overflowed")
    # g - numeric would overflow for opposite gradients near the largest double: the error is scaled first
    checks = gradcheck.check({"a": 0.0}, lambda p: 1e302 * p["a"], {"a": -1.7e308})
    assert checks[0].verdict == "wrong" and checks[0].rel_error == pytest.approx(1.0, rel=1e-5)


def test_value_pow_huge_exponent_of_a_negative_base():
    """n * data^(n-1) in floats: for |n| >= 2^53, n - 1 rounds to n and the sign of data^(n-1) was lost."""
    for n, expected in ((1e300, -1e300), (-1e300, 1e300), (2.0**53, -(2.0**53))):
        x = Value(-1.0, "x")
        f = (x ** n).named("f")
        f.backward()
        assert x.grad == expected
        assert derive_graph(f)["df/dx via f"].value == expected


@pytest.mark.parametrize("values", [{"x": 1.0}, {"x": 1.0, "y": 1.0, "z": 2.0, "q": 1.0}], ids=["missing", "inner"])
def test_check_graph_refuses_wrong_input_names(values):
    """check_graph('sum_times', {'x': 1}) raised KeyError('y'); an extra 'q' (an inner node) was checked as an
    input and reported wrong."""
    refused(gradcheck.check_graph, "sum_times", values, match="x, y, z")
    refused(graph_examples.build, "sum_times", values, match="x, y, z")

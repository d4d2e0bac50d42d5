"""The Softmax Jacobian lesson's trace (bp_core.softmax_lesson) against SymPy, central finite differences and
hand calculations; its invariants; its refusals of bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from core_helpers import central_diff, rel_err

from bp_core import cross_entropy
from bp_core.softmax import softmax, softmax_jacobian
from bp_core.softmax_derivations import derive
from bp_core.softmax_lesson import (
    BATCH,
    default_label,
    default_logits,
    note_slip,
    trace,
)
from bp_core.step import Step

CASES = [
    # z, T, label, cell
    ((2.0, 1.0, 0.1), 1.0, 0, (0, 1)),
    ((2.0, 1.0, 0.1), 0.5, 2, (2, 0)),
    ((0.3, -1.2), 2.5, 1, (1, 1)),
    ((2.0, 1.0, 0.1, -1.0, 0.5, -0.5), 1.7, 3, (4, 2)),
    ((1.5, -0.5, 0.0, 2.5, -2.0), 0.3, 4, (0, 0)),
    ((0.2, 0.1, -0.4, 0.9), 1.0, (0.1, 0.2, 0.3, 0.4), (3, 1)),  # a soft label
]


def _ids(case) -> str:
    z, T, label, cell = case
    return f"n{len(z)}-T{T}-label{label}-cell{cell[0]}{cell[1]}"


@pytest.fixture(params=CASES, ids=[_ids(c) for c in CASES])
def case(request):
    return request.param


def _one_hot(label, n):
    return np.eye(n)[label] if isinstance(label, int) else np.asarray(label, float)


def _loss(z, T, y):
    """L = -sum y log softmax(z / T), written out by hand."""
    u = np.asarray(z, float) / T
    return float(-(y * (u - np.log(np.exp(u).sum()))).sum())


# -- SymPy -----------------------------------------------------------------------------------------
def test_every_step_equals_its_sympy_derivation(case):
    t = trace(*case)
    derivations = derive(t)
    assert len(t.steps) == 14
    for step in t.steps:
        d = derivations[step.name]
        assert np.shape(d.value) == np.shape(step.value), step.name
        assert np.allclose(d.value, step.value, rtol=1e-10, atol=1e-12), step.name
        assert d.expression, step.name


def test_sympy_derives_the_textbook_forms():
    d = derive(trace((2.0, 1.0, 0.1), 1.0, 0, (0, 1)))
    # S_j (1 - S_j)/T and -S_j S_k / T come out of SymPy's own differentiation
    assert d["dS1/dz1"].expression == r"- \frac{S_{1} \left(S_{1} - 1\right)}{T}"
    assert d["dS1/dz2"].expression == r"- \frac{S_{1} S_{2}}{T}"
    assert r"\frac{S_{1} - y_{1}}{T}" in d["dL/dz"].expression
    assert d["dL/dS"].expression.count(r"- \frac{y_{1}}{S_{1}}") == 1
    # J - J^T is SymPy's exact zero; the row sums are exact zeros too
    assert dict(d["J1"].locals)["J - J^T"] == "0"
    assert d["J1"].expression == r"\left[\begin{matrix}0\\0\\0\end{matrix}\right]"


# -- finite differences -----------------------------------------------------------------------------
def test_jacobian_equals_central_differences(case):
    z, T, label, cell = case
    t = trace(*case)
    fd = central_diff(lambda v: softmax(v / T), z)          # fd[j, k] = d S_j / d z_k
    assert rel_err(t.J, fd) < 1e-7
    j, k = t.cell
    for step in t.steps[4:6]:
        a, b = (int(i) - 1 for i in step.name[2:].split("/dz"))
        assert (a, b) in {(j, j), (j, k)}
        assert step.value == pytest.approx(fd[a, b], rel=1e-6, abs=1e-10)


def test_dL_dz_equals_central_differences_both_ways(case):
    z, T, label, cell = case
    t = trace(*case)
    y = _one_hot(label, len(z))
    fd = central_diff(lambda v: _loss(v, T, y), z)
    assert rel_err(t.dz, fd) < 1e-7
    assert rel_err(t.dz_chain, fd) < 1e-7


def test_batch_gradient_equals_central_differences(case):
    z, T, label, cell = case
    t = trace(*case)

    def batch_loss(Z):
        return float(np.mean([_loss(zb, T, yb) for zb, yb in zip(Z, t.Y)]))

    fd = central_diff(batch_loss, t.Z)
    assert rel_err(t.dZ_vec, fd) < 1e-7
    assert rel_err(t.dZ_loop, fd) < 1e-7


# -- the collapse and the invariants --------------------------------------------------------------
def test_collapse_equals_the_full_chain(case):
    t = trace(*case)
    assert np.allclose(t.dz_chain, t.dz, rtol=1e-12, atol=1e-14)
    assert t.gap == pytest.approx(np.abs(t.J.T @ t.dS - (t.S - t.y) / t.T).max(), abs=1e-15)
    assert np.allclose(t.dZ_loop, t.dZ_vec, rtol=1e-12, atol=1e-14)
    assert t.batch_gap < 1e-13


def test_invariants(case):
    t = trace(*case)
    n = t.n
    assert np.allclose(t.J, t.J.T, rtol=0, atol=1e-16)
    assert t.asymmetry == np.abs(t.J - t.J.T).max()
    assert np.allclose(t.J.sum(axis=1), 0.0, atol=1e-15)
    assert np.array_equal(t.row_sums, t.J.sum(axis=1))
    assert t.rank == n - 1 == np.linalg.matrix_rank(t.J)
    assert t.S.sum() == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.diag(t.J) > 0) and np.all(t.J[~np.eye(n, dtype=bool)] < 0)


def test_jacobian_agrees_with_the_core_and_keeps_rank_when_saturated():
    # the core's softmax_jacobian, to rounding; and where S_1 is near 1 the rows still sum to zero exactly
    # enough that the rank test finds n - 1 (1 - S_1 is summed as the other probabilities, no cancellation)
    for z, T in [((2.0, 1.0, 0.1), 1.0), ((6.0, -6.0), 1.0), ((6.0, -6.0, -6.0), 0.1), ((6.0, -6.0, 0.0, 1.0), 0.5)]:
        t = trace(z, T)
        assert np.allclose(t.J, softmax_jacobian(softmax(np.asarray(z) / T)) / T, rtol=0, atol=1e-15 / T)
        assert t.rank == t.n - 1, (z, T)
        assert t.steps[7].kind == "softmax.props"
    # two classes far above the third: the third row of J is zero to machine precision, and the step says so
    t = trace((6.0, 6.0, -6.0), 0.1)
    assert t.rank == 1 and t.steps[7].kind == "softmax.props_low"


def test_default_example_by_hand():
    t = trace(default_logits(3), 1.0, default_label())
    e = [math.exp(2.0), math.exp(1.0), math.exp(0.1)]
    total = sum(e)
    S = [v / total for v in e]
    assert t.total == pytest.approx(total, rel=1e-15)
    assert np.allclose(t.S, S, rtol=1e-15)
    assert np.allclose(t.S, [0.6590, 0.2424, 0.0986], atol=5e-5)   # the classic worked example
    assert t.loss == pytest.approx(-math.log(S[0]), rel=1e-14)
    assert t.loss == pytest.approx(cross_entropy(t.S, t.y), rel=1e-14)
    assert t.J[0, 0] == pytest.approx(S[0] * (1 - S[0]), rel=1e-14)
    assert t.J[0, 1] == pytest.approx(-S[0] * S[1], rel=1e-14)
    assert np.allclose(t.dS, [-1 / S[0], 0.0, 0.0], rtol=1e-14)
    assert np.allclose(t.dz, [S[0] - 1, S[1], S[2]], rtol=1e-14)
    # the batch: sample b has the logits moved b places, the same label; the vectorised form divides by B
    assert np.array_equal(t.Z, [[2.0, 1.0, 0.1], [0.1, 2.0, 1.0], [1.0, 0.1, 2.0]])
    assert np.allclose(t.dZ_vec[0], t.dz / BATCH, rtol=1e-14)


def test_temperature_puts_one_over_T_in_every_derivative():
    z = np.array([2.0, 1.0, 0.1])
    cold, hot = trace(z, 1.0, 0), trace(z * 2.0, 2.0, 0)     # same z/T, so the same S
    assert np.allclose(cold.S, hot.S, rtol=1e-15)
    assert np.allclose(hot.J, cold.J / 2.0, rtol=1e-14)
    assert np.allclose(hot.dz, cold.dz / 2.0, rtol=1e-14)
    assert "1}{2}" in hot.steps[4].numbers      # the numbers show the 1/T factor


def test_note_slip_numbers():
    t = trace((2.0, 1.0, 0.1), 0.5, 1)
    wrote, gives = note_slip(t)
    assert isinstance(wrote, Step) and isinstance(gives, Step)
    # the note's -sum_j y_j / y_hat_j is -1/S_j for every j with a one-hot label ...
    assert np.allclose(wrote.value, -1.0 / t.S, rtol=1e-14)
    # ... and through J that is sum_j S_j (delta_jk - S_k)(-1/S_j)/T = (n S_k - 1)/T, not (S - y)/T
    assert np.allclose(gives.value, (t.n * t.S - 1.0) / t.T, rtol=1e-12)
    assert not np.allclose(gives.value, t.dz)


def test_cell_selection():
    t = trace((2.0, 1.0, 0.1), 1.0, 0, (2, 2))           # k = j: the off-diagonal step moves to k = j + 1
    assert t.cell == (2, 0)
    assert [s.name for s in t.steps[4:6]] == ["dS3/dz3", "dS3/dz1"]
    entry = t.entry(1, 2)
    assert entry.value == t.J[1, 2] and entry.touches[0] == "J23"


def test_result_is_immutable():
    t = trace((2.0, 1.0, 0.1))
    for arr in (t.z, t.S, t.J, t.dz, t.dZ_loop, t.steps[7].value):
        with pytest.raises(ValueError):
            arr[0] = 1.0
    with pytest.raises(AttributeError):
        t.T = 2.0


def test_steps_have_sentences_and_touch_picture_ids():
    from pages.ui.i18n import t as message

    tr = trace((2.0, 1.0, 0.1, -1.0), 0.7, 2, (1, 3))
    for step in tr.steps + note_slip(tr):
        assert message("step." + step.kind, **step.params)
        assert step.touches, step.name
        assert all(i.startswith(("S", "g", "dz", "J", "L", "SB", "dB")) for i in step.touches)


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(z=[1.0, float("nan"), 0.0]), "finite"),
    (dict(z=[1.0]), "between 2 and"),
    (dict(z=list(range(9))), "between 2 and"),
    (dict(z=[[1.0, 2.0]]), "dimensions"),
    (dict(z="abc"), "numbers"),
    (dict(z=[1.0, 2.0], temperature=0.0), "positive"),
    (dict(z=[1.0, 2.0], temperature=-1.0), "positive"),
    (dict(z=[1.0, 2.0], temperature=float("inf")), "finite"),
    (dict(z=[800.0, 0.0], temperature=1.0), "at most"),
    (dict(z=[8.0, 0.0], temperature=0.01), "at most"),
    (dict(z=[1.0, 2.0], label=2), "label class"),
    (dict(z=[1.0, 2.0], label=-1), "label class"),
    (dict(z=[1.0, 2.0], label=True), "label"),
    (dict(z=[1.0, 2.0], label=[1.0, 0.0, 0.0]), "one entry per logit"),
    (dict(z=[1.0, 2.0], label=[0.7, 0.7]), "probability vector"),
    (dict(z=[1.0, 2.0], label=[1.5, -0.5]), "probability vector"),
    (dict(z=[1.0, 2.0], cell=(0, 2)), "column k"),
    (dict(z=[1.0, 2.0], cell=(5, 0)), "row j"),
    (dict(z=[1.0, 2.0], cell=3), "pair"),
])
def test_bad_input_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        trace(**kwargs)


def test_bad_entry_and_defaults():
    t = trace((2.0, 1.0, 0.1))
    with pytest.raises(ValueError, match="row j"):
        t.entry(3, 0)
    with pytest.raises(ValueError, match="between 2 and"):
        default_logits(1)
    assert default_logits(3) == (2.0, 1.0, 0.1)
    assert default_label() == 0

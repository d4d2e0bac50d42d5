"""bp_core.deep: the note-004 column form against the row-form Network.backprop and central finite
differences, for depths 1 to 6; the random example's determinism and caps; one weight's unrolled derivative;
the gradient sizes per layer; the note's two slips with the numbers each gives."""
from __future__ import annotations

import itertools
import os
import time

import numpy as np
import pytest
from core_helpers import central_diff, network_fd, rel_err

from bp_core import Network, deep
from bp_core.activations import ACTIVATIONS
from bp_core.step import Step

HIDDEN = ("relu", "sigmoid", "tanh", "identity")
OUTPUTS = ("sigmoid", "identity", "softmax")


def example(depth=3, width=3, hidden="tanh", output="sigmoid", biases=True, seed=0, **kw):
    ex = deep.random_example(depth, width, hidden=hidden, output=output, biases=biases, seed=seed, **kw)
    return ex, deep.column_backprop(ex.net, ex.x, ex.label)


def away_from_kink(ex) -> bool:
    """No hidden ReLU pre-activation within 1e-4 of 0, where finite differences would straddle the kink."""
    h, _ = ex.net.forward(ex.x)
    return all(np.min(np.abs(hk)) > 1e-4 for hk in h[:-1])


# -- the column form against the row form and finite differences ------------------------------------
@pytest.mark.parametrize("depth", range(1, 7))
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("biases", [True, False])
def test_column_form_equals_row_form_transposed(depth, hidden, output, biases):
    rng = np.random.default_rng(depth * 100 + HIDDEN.index(hidden) * 10 + OUTPUTS.index(output))
    widths = tuple(int(w) for w in rng.integers(1, 9, size=depth))   # one width per hidden layer
    ex, ct = example(depth, widths, hidden, output, biases, seed=int(rng.integers(1000)))
    row = ex.net.backprop(ex.x, ex.label)
    assert ct.widths == ex.net.widths
    assert ct.loss == pytest.approx(row.loss, rel=1e-12)
    for k in range(ct.N):
        # the note's W_k is our W_{k+1} transposed; p(k+1) = h_{k+1}^T, delta(k+1) = dz_{k+1}^T
        np.testing.assert_array_equal(ct.W[k], ex.net.weights[k].T)
        np.testing.assert_allclose(ct.p[k + 1], row.h[k].T, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ct.x[k + 1], row.a[k + 1].T, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ct.delta[k + 1], row.dz[k].T, rtol=1e-10, atol=1e-16)
        np.testing.assert_allclose(ct.dW[k], row.dW[k].T, rtol=1e-10, atol=1e-16)
        if biases:
            np.testing.assert_allclose(ct.db[k][:, 0], row.db[k], rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(ct.delta[0], row.da[0].T, rtol=1e-10, atol=1e-16)
    assert (ct.db is None) == (not biases)


@pytest.mark.parametrize("depth", range(1, 7))
@pytest.mark.parametrize("hidden,output", [("sigmoid", "sigmoid"), ("tanh", "softmax"), ("relu", "identity"),
                                           ("identity", "sigmoid"), ("relu", "softmax")])
def test_column_form_against_finite_differences(depth, hidden, output):
    for seed in range(50):
        ex = deep.random_example(depth, 3, hidden=hidden, output=output, seed=seed)
        if hidden != "relu" or away_from_kink(ex):
            break
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    dW, db = network_fd(ex.net, ex.x, ex.label)
    assert rel_err([g.T for g in ct.dW], dW) < 1e-6
    assert rel_err([g[:, 0] for g in ct.db], db) < 1e-6


@pytest.mark.parametrize("loss,output", [("mse", "identity"), ("cross_entropy", "softmax"),
                                         ("cross_entropy", "sigmoid"), ("half_sse", "softmax")])
def test_other_losses(loss, output):
    ex = deep.random_example(4, 3, hidden="tanh", output=output, loss=loss, seed=3)
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    row = ex.net.backprop(ex.x, ex.label)
    dW, _ = network_fd(ex.net, ex.x, ex.label)
    assert rel_err([g.T for g in ct.dW], [np.asarray(g) for g in row.dW]) < 1e-10
    assert rel_err([g.T for g in ct.dW], dW) < 1e-6


def test_recursion_by_hand_on_a_two_layer_network():
    """delta(2) = sigma'(p(2)) o (x(2) - y); delta(1) = (W_1^T delta(2)) o tanh'(p(1)); dW_0 = delta(1) x^T."""
    W0 = np.array([[0.5, -0.3], [0.2, 0.4]])      # note's W_0: rows are units of layer 1
    W1 = np.array([[0.7, -0.6]])
    b0, b1 = np.array([0.1, -0.2]), np.array([0.05])
    x, y = np.array([1.0, 2.0]), np.array([1.0])
    net = Network([W0.T, W1.T], [b0, b1], hidden="tanh", output="sigmoid", loss="half_sse")
    ct = deep.column_backprop(net, x, y)
    p1 = W0 @ x + b0
    x1 = np.tanh(p1)
    p2 = W1 @ x1 + b1
    x2 = 1 / (1 + np.exp(-p2))
    d2 = x2 * (1 - x2) * (x2 - y)
    d1 = (W1.T @ d2) * (1 - np.tanh(p1) ** 2)
    np.testing.assert_allclose(ct.delta[2][:, 0], d2)
    np.testing.assert_allclose(ct.delta[1][:, 0], d1)
    np.testing.assert_allclose(ct.dW[1], np.outer(d2, x1))
    np.testing.assert_allclose(ct.dW[0], np.outer(d1, x))
    np.testing.assert_allclose(ct.db[0][:, 0], d1)


# -- the steps -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth,biases,output", [(1, True, "sigmoid"), (3, True, "softmax"), (6, False, "identity")])
def test_steps_in_order_and_equal_to_the_row_steps(depth, biases, output):
    ex, ct = example(depth, 3, "sigmoid", output, biases)
    N = depth + 1
    names = [s.name for s in ct.steps]
    forward = [n for k in range(1, N + 1) for n in (f"p({k})", f"x({k})")] + ["L"]
    backward = [f"dL/dx({N})", f"delta({N})"]
    for k in range(N - 1, -1, -1):
        backward += [f"dL/dW_{k}"] + ([f"dL/db({k})"] if biases else []) + ([f"delta({k})"] if k > 0 else [])
    assert names == forward + backward
    assert [s.phase for s in ct.steps] == ["forward"] * len(forward) + ["backward"] * len(backward)
    row = ex.net.backprop(ex.x, ex.label)
    row_steps = {s.name: s for s in row.steps}
    assert len(ct.row_names) == len(ct.steps)
    for step, row_name in zip(ct.steps, ct.row_names):
        expected = np.asarray(row_steps[row_name].value)
        got = np.asarray(step.value)
        np.testing.assert_allclose(np.reshape(got.T, expected.shape), expected, rtol=1e-10, atol=1e-16,
                                   err_msg=f"{step.name} vs {row_name}")
        assert isinstance(step, Step) and step.kind.startswith("deep.")
        if isinstance(step.value, np.ndarray):
            assert not step.value.flags.writeable


def test_every_step_kind_has_a_sentence():
    os.environ.setdefault("BACKPROP_LAB_STRICT_I18N", "1")
    from pages.ui.i18n import t
    for hidden, output, loss in itertools.product(HIDDEN, OUTPUTS, ("half_sse", "mse")):
        _, ct = example(2, 2, hidden, output, loss=loss)
        for step in ct.steps:
            text = t("step." + step.kind, **step.params)     # a missing key or placeholder raises
            assert not any(f"{{{name}}}" in text for name in ("k", "k1", "N", "loss", "shape")), step.kind


def test_step_ids_name_the_row_form_picture():
    """touches use the shared picture's ids: the note's W_k is drawn as our w_{k+1,j,i}."""
    _, ct = example(2, 3)
    step = next(s for s in ct.steps if s.name == "dL/dW_0")
    assert set(step.touches) == {f"w1{i}{j}" for i in (1, 2, 3) for j in (1, 2)}
    p1 = next(s for s in ct.steps if s.name == "p(1)")
    assert {"x1", "x2", "h11", "a13", "w112"} <= set(p1.touches)


# -- the random example ------------------------------------------------------------------------------
def test_random_example_is_deterministic_and_seeded():
    a, b = deep.random_example(3, 3, seed=7), deep.random_example(3, 3, seed=7)
    for Wa, Wb in zip(a.net.weights, b.net.weights):
        np.testing.assert_array_equal(Wa, Wb)
    np.testing.assert_array_equal(a.x, b.x)
    c = deep.random_example(3, 3, seed=8)
    assert not np.array_equal(a.net.weights[0], c.net.weights[0])
    # the same draws from numpy's default_rng(seed), in the documented order
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(a.x, np.round(rng.uniform(-1, 1, 2), 2))
    assert a.label[rng.integers(2)] == 1.0
    np.testing.assert_allclose(a.net.weights[0], rng.standard_normal((2, 3)) * np.sqrt(2 / 2))


def test_activation_and_biases_do_not_change_the_weights():
    base = deep.random_example(4, 5, hidden="sigmoid", seed=3)
    for other in (deep.random_example(4, 5, hidden="relu", seed=3),
                  deep.random_example(4, 5, hidden="sigmoid", biases=False, seed=3),
                  deep.random_example(4, 5, hidden="tanh", output="softmax", seed=3)):
        for Wa, Wb in zip(base.net.weights, other.net.weights):
            np.testing.assert_array_equal(Wa, Wb)
    # the input and label come first: the same for every depth
    deeper = deep.random_example(6, 2, seed=3)
    np.testing.assert_array_equal(base.x, deeper.x)
    np.testing.assert_array_equal(base.label, deeper.label)


def test_widths_per_layer_and_scale():
    ex = deep.random_example(3, (1, 8, 4), seed=1, scale=2.0)
    assert ex.net.widths == (2, 1, 8, 4, 2)
    plain = deep.random_example(3, (1, 8, 4), seed=1)
    for W2, W1 in zip(ex.net.weights, plain.net.weights):
        np.testing.assert_allclose(W2, 2.0 * W1)


@pytest.mark.parametrize("args", [
    dict(depth=0, width=3), dict(depth=7, width=3), dict(depth=3, width=0), dict(depth=3, width=9),
    dict(depth=3, width=(3, 3)), dict(depth=2.5, width=3), dict(depth=True, width=3), dict(depth=3, width=3, seed=-1),
    dict(depth=3, width=3, scale=0.0), dict(depth=3, width=3, scale=float("nan")), dict(depth=3, width=3, scale=11),
    dict(depth=3, width=3, hidden="softmax"), dict(depth=3, width=3, output="relu"),
])
def test_random_example_refuses_bad_input(args):
    with pytest.raises(ValueError):
        deep.random_example(**args)


def test_largest_example_is_fast():
    start = time.perf_counter()
    ex = deep.random_example(deep.MAX_DEPTH, deep.MAX_WIDTH, output="softmax", seed=1)
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    for k, i, j in deep.weights_of(ct)[:20]:
        deep.weight_gradient(ct, k, i, j)
        deep.note_slips(ct, k, i, j)
    deep.gradient_norms(ex.net, ex.x, ex.label)
    assert time.perf_counter() - start < 0.5
    assert len(ct.steps) == 2 * 7 + 1 + 2 + 7 * 2 + 6


# -- one weight ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("output", OUTPUTS)
def test_weight_gradient_forward_and_backward_agree(output):
    ex, ct = example(3, (2, 4, 3), "tanh", output, seed=5)
    row = ex.net.backprop(ex.x, ex.label)
    for k, i, j in deep.weights_of(ct):
        g = deep.weight_gradient(ct, k, i, j)
        assert g.value == pytest.approx(ct.dW[k][i - 1, 0 + j - 1], rel=1e-12, abs=1e-18)
        assert g.value == pytest.approx(row.dW[k][j - 1, i - 1], rel=1e-10, abs=1e-16)   # our w_{k+1,i,j}
        assert g.chain[-1][2] == pytest.approx(g.value, rel=1e-9, abs=1e-16)             # forward recursion
        assert g.bias == pytest.approx(row.db[k][i - 1], rel=1e-10, abs=1e-16)
        assert g.row_id == f"w{k + 1}{i}{j}" and g.row_id in g.touches


def test_forward_recursion_vectors_are_dp_dw_by_finite_differences():
    """Each dp(m)/dw of the note's forward unrolling (4.1)-(4.2), against central differences of p(m)."""
    ex, ct = example(3, 3, "sigmoid", "sigmoid", seed=2)
    k, i, j = 0, 2, 1
    g = deep.weight_gradient(ct, k, i, j)
    weights = [np.array(W) for W in ex.net.weights]

    def p_of(w: np.ndarray, m: int) -> np.ndarray:
        ws = [W.copy() for W in weights]
        ws[k][j - 1, i - 1] = w[0]                  # the note's w^(k)_ij sits at row j, column i of our W_{k+1}
        h, _ = ex.net.replace(weights=ws).forward(ex.x)
        return h[m - 1][0]

    w0 = np.array([weights[k][j - 1, i - 1]])
    for m, (_, _, value) in zip(range(k + 1, ct.N + 1), g.chain):
        fd = central_diff(lambda w: p_of(w, m), w0)[:, 0]
        np.testing.assert_allclose(np.ravel(value), fd, rtol=1e-6, atol=1e-10)


def test_weight_gradient_refuses_a_weight_not_in_the_network():
    _, ct = example(2, 3)
    with pytest.raises(ValueError):
        deep.weight_gradient(ct, 3, 1, 1)
    with pytest.raises(ValueError):
        deep.weight_gradient(ct, 0, 4, 1)


# -- gradient sizes per layer --------------------------------------------------------------------------
def test_gradient_norms_are_the_row_forms_norms():
    ex, _ = example(5, 4, "sigmoid")
    row = ex.net.backprop(ex.x, ex.label)
    assert deep.gradient_norms(ex.net, ex.x, ex.label) == pytest.approx([np.linalg.norm(g) for g in row.dW])


def test_sigmoid_gradients_vanish_faster_than_relu():
    """Over 20 seeds at depth 6, width 8: how much smaller W_0's gradient is than the last layer's."""
    def shrink(hidden):
        ratios = []
        for seed in range(20):
            ex = deep.random_example(6, 8, hidden=hidden, seed=seed)
            n = deep.gradient_norms(ex.net, ex.x, ex.label)
            if n[0] > 0:
                ratios.append(np.log10(n[0] / n[-1]))
        return np.median(ratios)
    assert shrink("sigmoid") < -2.5          # more than 300 times smaller
    assert shrink("relu") > -1.0             # within a factor of 10
    assert shrink("sigmoid") < shrink("relu") - 2


def test_dead_layers_stop_every_gradient_below_them():
    found = 0
    for seed in range(30):
        ex = deep.random_example(3, 3, hidden="relu", seed=seed)
        dead = deep.dead_layers(ex.net, ex.x, ex.label)
        norms = deep.gradient_norms(ex.net, ex.x, ex.label)
        ct = deep.column_backprop(ex.net, ex.x, ex.label, steps=False)
        for k in range(1, ct.N):
            assert (k in dead) == (not np.any(ct.p[k] > 0))
        hidden_dead = [k for k in dead if k < ct.N]
        if hidden_dead:
            found += 1
            assert all(norms[k] == 0 for k in range(max(hidden_dead) + 1))
    assert found > 0


# -- the note's slips ------------------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", ("sigmoid", "tanh", "identity"))
def test_inside_slip_right_by_finite_differences(hidden):
    _, ct = example(2, 3, hidden)
    inside, _ = deep.note_slips(ct, 0, 1, 1)
    act = ACTIVATIONS[hidden]
    W, b, x = ct.W[0], ct.b[0][:, 0], ct.x[0][:, 0]
    fd = central_diff(lambda v: act.f(W @ act.f(v) + b), x)[:, 0]
    np.testing.assert_allclose(np.ravel(inside.right_value), fd, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(np.ravel(inside.check), fd, rtol=1e-6, atol=1e-10)
    # the note's f'(W[:, i] g'(x_i)), computed here
    np.testing.assert_allclose(np.ravel(inside.wrote_value), act.df(W[:, 0] * act.df(x[0])))
    if hidden != "identity":   # the identity's slope is 1 everywhere: there the note's slip changes nothing
        assert not np.allclose(np.ravel(inside.wrote_value), fd)


def test_unrolled_slip_read_as_written_is_wrong_where_it_can_be_computed():
    ex, ct = example(3, 2, "sigmoid", "sigmoid", seed=4)   # every width 2: the note's reading has shapes
    dW, _ = network_fd(ex.net, ex.x, ex.label)
    for k, i, j in deep.weights_of(ct):
        _, slip = deep.note_slips(ct, k, i, j)
        fd = dW[k][j - 1, i - 1]
        assert slip.right_value == pytest.approx(fd, rel=1e-5, abs=1e-9)
        assert slip.wrote_value is not None
        if k >= ct.N - 2:     # the chain has no W_m f'(p(m)) factor yet: written either way it is right
            assert slip.wrote_value == pytest.approx(fd, rel=1e-5, abs=1e-9)
    # the note's reading for W_0, computed here:
    # (dL/dx)^T [f_out' o (W_3 f'(p3)) o (W_2 f'(p2)) o W_1[:, i] f'(p1_i) f(p0_j)]
    k, i, j = 0, 1, 2
    s = ACTIVATIONS["sigmoid"].df
    v = s(ct.p[4][:, 0]) * (ct.W[3] @ s(ct.p[3][:, 0])) * (ct.W[2] @ s(ct.p[2][:, 0]))
    v = v * ct.W[1][:, i - 1] * s(ct.p[1][i - 1, 0]) * ct.x[0][j - 1, 0]
    _, slip = deep.note_slips(ct, k, i, j)
    assert slip.wrote_value == pytest.approx(float(ct.dx[:, 0] @ v))
    assert slip.wrote_value != pytest.approx(slip.right_value, rel=1e-3)


def test_unrolled_slip_says_why_it_cannot_be_computed():
    _, ct = example(3, 3)      # 2 outputs, 3 units per hidden layer
    _, slip = deep.note_slips(ct, 0, 1, 1)
    assert slip.wrote_value is None
    assert slip.params["why"] == "shapes" and (slip.params["left"], slip.params["right"]) == ("2", "3")
    _, ct = example(3, 2, output="softmax")
    _, slip = deep.note_slips(ct, 0, 1, 1)
    assert slip.wrote_value is None and slip.params["why"] == "softmax"


def test_a_saturated_output_vanishes_without_reaching_zero():
    """Weights 2.5 times He's with ReLU: the output sigmoid's inputs are about 50, so its slope, and every
    gradient behind it, is some 1e-22 or less (sigma'(h) ~ e^-h by hand): tiny, but not rounded to 0."""
    ex = deep.random_example(6, 6, hidden="relu", scale=2.5, seed=0)
    ct = deep.column_backprop(ex.net, ex.x, ex.label, steps=False)
    slope = ACTIVATIONS["sigmoid"].df(ct.p[ct.N])
    np.testing.assert_allclose(slope, np.exp(-ct.p[ct.N]), rtol=1e-9)
    assert 0 < slope.max() < 1e-20
    assert ct.N not in deep.dead_layers(ex.net, ex.x, ex.label)
    assert 0 < max(deep.gradient_norms(ex.net, ex.x, ex.label)) < 1e-15


@pytest.mark.parametrize("hidden,output,biases", [("sigmoid", "sigmoid", True), ("tanh", "softmax", False),
                                                  ("identity", "identity", True)])
def test_gradient_check_agrees_and_names_as_the_note(hidden, output, biases):
    ex = deep.random_example(3, (2, 3, 2), hidden=hidden, output=output, biases=biases, seed=1)
    checks = deep.gradient_check(ex.net, ex.x, ex.label)
    row = ex.net.backprop(ex.x, ex.label)
    n_weights = sum(W.size for W in ex.net.weights)
    assert len(checks) == n_weights + (sum(b.size for b in ex.net.biases) if biases else 0)
    # a vanishing gradient (1e-6 and less) is as small as the finite difference's rounding: "close" at worst
    assert {c.verdict for c in checks if abs(c.backprop) > 1e-4} == {"agree"}
    assert "wrong" not in {c.verdict for c in checks}
    by_name = {c.name: c for c in checks}
    assert by_name["w(1)32"].backprop == pytest.approx(row.dW[1][1, 2])     # our w_232: row 2, column 3 of W_2
    if biases:
        assert by_name["b(2)2"].backprop == pytest.approx(row.db[2][1])

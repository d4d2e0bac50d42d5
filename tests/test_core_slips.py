"""bp_core.slips: the likely wrong answers of each backward step and the diagnosis of an answer; the notes' own
slips lesson by lesson. Expected values come from plain NumPy written out here, from other bp_core calls made
independently (output_grad_as_one, per-sample backprop, another loss) and from hand calculation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bp_core import Network, datasets, deep, graph_examples, slips, softmax_lesson, training
from bp_core import presets as P
from bp_core.slips import Candidate, close, diagnose

M = P.MATRIX_NET
W_NOTES = [np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)]


def matrix_net(W=None, hidden="relu", output="softmax", loss="half_sse") -> Network:
    return Network(W_NOTES if W is None else W, hidden=hidden, output=output, loss=loss)


def candidates_of(found, name: str) -> dict[str, list]:
    """A step's candidates grouped by kind."""
    out: dict[str, list] = {}
    for c in found[name]:
        out.setdefault(c.kind, []).append(c.value)
    return out


def numpy_relu_net(x, W, label):
    """The 2x2x2 ReLU-softmax-half_sse network by hand, row vectors: every quantity of the backward pass."""
    x = np.atleast_2d(x)
    h1 = x @ W[0]
    a1 = np.maximum(h1, 0)
    h2 = a1 @ W[1]
    a2 = np.maximum(h2, 0)
    h3 = a2 @ W[2]
    y = np.exp(h3) / np.exp(h3).sum()
    dy = y - np.atleast_2d(label)
    J = np.diag(y[0]) - np.outer(y[0], y[0])
    dz3 = dy @ J
    da2 = dz3 @ W[2].T
    dz2 = da2 * (h2 > 0)
    return dict(h2=h2, a2=a2, y=y, dy=dy, dz3=dz3, da2=da2, dz2=dz2, dW2=a1.T @ dz2, a1=a1)


# -- close and diagnose -----------------------------------------------------------------------------------
def test_close_is_relative_or_absolute_per_entry():
    assert close(1.009, 1.0) and not close(1.011, 1.0)
    assert close(0.0009, 0.0) and not close(0.0011, 0.0)
    assert close([[100.9, 0.0005]], [[100.0, 0.0]])
    assert not close([[100.9, 0.002]], [[100.0, 0.0]])      # one entry off is enough
    assert not close(float("nan"), 0.0)
    with pytest.raises(ValueError, match="shape"):
        close([1.0, 2.0], [[1.0, 2.0]])


def test_diagnose_right_slip_or_unknown():
    value = np.array([[0.5, -0.25]])
    cands = (Candidate("mask", np.array([[0.5, 0.7]])), Candidate("sign", -value))
    assert diagnose(value, value * 1.004, cands).right
    verdict = diagnose(value, [[0.5, 0.7]], cands)
    assert not verdict.right and verdict.kind == "mask"
    assert diagnose(value, [[-0.5, 0.25]], cands).kind == "sign"
    unknown = diagnose(value, [[3.0, 3.0]], cands)
    assert not unknown.right and unknown.slip is None


def test_a_candidate_equal_to_the_value_is_passed_over():
    """A mask of ones, or the sign of 0, cannot be told from the right answer: never named."""
    verdict = diagnose(0.0, 0.5, (Candidate("sign", 0.0), Candidate("local", 0.5)))
    assert verdict.kind == "local"
    assert diagnose(1.0, 1.0, (Candidate("mask", 1.0),)).right


# -- the network lessons --------------------------------------------------------------------------------
def test_relu_mask_slip_is_the_gradient_before_the_mask():
    net = matrix_net()
    trace = net.backprop(M["x"], M["label"])
    ref = numpy_relu_net(M["x"], W_NOTES, M["label"])
    np.testing.assert_allclose(trace.dz[1], ref["dz2"], atol=1e-15)       # the core agrees with the hand pass
    (mask,) = candidates_of(slips.network_candidates(net, trace), "dz2")["mask"]
    np.testing.assert_allclose(mask, ref["da2"], atol=1e-15)
    on = ref["h2"] > 0
    assert not on.all(), "the notes' example has a ReLU that is off at layer 2"
    # equal to the right answer exactly where the mask is 1, different where it is 0 (and da2 is not 0)
    np.testing.assert_array_equal(mask[on], trace.dz[1][on])
    assert np.all(mask[~on] != 0) and np.all(trace.dz[1][~on] == 0)
    (mask_dW,) = candidates_of(slips.network_candidates(net, trace), "dW2")["mask"]
    np.testing.assert_allclose(mask_dW, ref["a1"].T @ ref["da2"], atol=1e-15)


def test_sign_slip_is_minus_the_value_at_every_backward_step():
    for net, x, label in [(matrix_net(), M["x"], M["label"]),
                          (Network([[[0.8]], [[-0.5]], [[1.2]]], hidden="tanh", output="identity"), [1.5], [1.0]),
                          (matrix_net(hidden="sigmoid", loss="cross_entropy"), [[1.0, 2.0], [0.5, -1.0]],
                           [[1.0, 0.0], [0.0, 1.0]])]:
        trace = net.backprop(x, label)
        found = slips.network_candidates(net, trace)
        backward = [s for s in trace.steps if s.phase == "backward"]
        assert set(found) == {s.name for s in backward}
        for step in backward:
            (sign,) = candidates_of(found, step.name)["sign"]
            np.testing.assert_array_equal(np.asarray(sign), -np.asarray(step.value))
            assert type(sign) is type(step.value)


@pytest.mark.parametrize("output, loss", [("softmax", "half_sse"), ("softmax", "cross_entropy"), ("sigmoid", "mse")])
def test_softmax_as_one_slip_is_backprop_with_output_grad_as_one(output, loss):
    net = matrix_net(output=output, loss=loss)
    trace = net.backprop(M["x"], M["label"])
    as_one = matrix_net(output=output, loss=loss).replace(output_grad_as_one=True).backprop(M["x"], M["label"])
    found = slips.network_candidates(net, trace)
    for k in (1, 2, 3):
        (value,) = candidates_of(found, f"dW{k}")["as_one"]
        np.testing.assert_allclose(value, as_one.dW[k - 1], rtol=1e-14, atol=1e-16)
    (dz3,) = candidates_of(found, "dz3")["as_one"]
    np.testing.assert_allclose(dz3, as_one.dy, rtol=1e-14)           # dz_N = dL/dy, the derivative taken as 1
    assert "as_one" not in candidates_of(slips.network_candidates(*_identity()), "dW3")


def _identity():
    net = matrix_net(output="identity")
    return net, net.backprop(M["x"], M["label"])


def test_transpose_slips():
    net = matrix_net(hidden="tanh")          # every unit on: the transposes differ everywhere
    trace = net.backprop(M["x"], M["label"])
    found = slips.network_candidates(net, trace)
    (dW2_t,) = candidates_of(found, "dW2")["transpose"]
    np.testing.assert_array_equal(dW2_t, trace.dW[1].T)
    (da2_t,) = candidates_of(found, "dL/da2")["transpose"]
    np.testing.assert_allclose(da2_t, trace.dz[2] @ W_NOTES[2], atol=1e-15)    # W_3 where W_3^T belongs
    (dz2_t,) = candidates_of(found, "dz2")["transpose"]
    np.testing.assert_allclose(dz2_t, (trace.dz[2] @ W_NOTES[2]) * (1 - np.tanh(trace.h[1]) ** 2), atol=1e-15)
    # a weight's own entry read as (j, i): w_312 gets dW3[1, 0] = a_22 dz_31's partner dW3[0, 1]
    (w312_t,) = candidates_of(found, "dL/dw312")["transpose"]
    assert w312_t == trace.dW[2][0, 1]


def test_batch_slip_is_the_sum_of_per_sample_gradients():
    x = np.array([[1.0, 2.0], [0.5, -1.0], [-0.3, 0.8]])
    label = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    net = matrix_net(hidden="sigmoid", loss="cross_entropy")
    trace = net.backprop(x, label)
    found = slips.network_candidates(net, trace)
    summed = [sum(net.backprop(x[b], label[b]).dW[k] for b in range(3)) for k in range(3)]
    for k in (1, 2, 3):
        (batch,) = candidates_of(found, f"dW{k}")["batch"]
        np.testing.assert_allclose(batch, summed[k - 1], rtol=1e-12)
        np.testing.assert_allclose(trace.dW[k - 1], summed[k - 1] / 3, rtol=1e-12)


def test_loss_factor_slip_is_the_other_losss_derivative():
    """half_sse against the notes' MSE: the candidate for dL/dy is what the mse network computes."""
    net = Network([[[0.8]], [[-0.5]], [[1.2]]], hidden="identity", output="identity", loss="half_sse")
    trace = net.backprop([1.5], [1.0])
    found = slips.network_candidates(net, trace)
    (dy,) = candidates_of(found, "dL/dy")["loss_factor"]
    assert dy == pytest.approx(net.replace(loss="mse").backprop([1.5], [1.0]).dy.item(), rel=1e-14)
    (dw3,) = candidates_of(found, "dL/dw3")["loss_factor"]
    assert dw3 == pytest.approx(net.replace(loss="mse").backprop([1.5], [1.0]).dW[2].item(), rel=1e-14)


def test_chain_mask_slip_drops_every_activation_slope():
    net = Network([[[0.8]], [[-0.5]], [[1.2]]], hidden="relu", output="identity", loss="half_sse")
    x, label = 1.5, 1.0
    trace = net.backprop([x], [label])
    found = slips.network_candidates(net, trace)
    # by hand: h1 = 1.2, a1 = 1.2; h2 = -0.6, a2 = 0; y = 0, dL/dy = -1; without the slopes
    # dL/dw1 = x w2 w3 dL/dy = 1.5 * -0.5 * 1.2 * -1 = 0.9, dL/dw2 = a1 w3 dL/dy = 1.2 * 1.2 * -1 = -1.44
    (w1,) = candidates_of(found, "dL/dw1")["mask"]
    (w2,) = candidates_of(found, "dL/dw2")["mask"]
    assert w1 == pytest.approx(0.9) and w2 == pytest.approx(-1.44)
    assert trace.dW[0].item() == 0 and trace.dW[1].item() == 0     # the ReLU at h2 = -0.6 is off
    assert "mask" not in candidates_of(found, "dL/dw3")


def test_index_and_input_slips():
    net = matrix_net(hidden="tanh")
    trace = net.backprop(M["x"], M["label"])
    found = slips.network_candidates(net, trace)
    (w322,) = candidates_of(found, "dL/dw322")["index"]
    assert w322 == pytest.approx(trace.a[2][0, 1] * trace.dz[2][0, 0])    # a22 dz31: output 1's gradient
    (inp,) = candidates_of(found, "dW1")["input"]
    np.testing.assert_allclose(inp, trace.a[1].T @ trace.dz[0], rtol=1e-14)


def test_a_real_wrong_answer_is_diagnosed():
    net = matrix_net()
    trace = net.backprop(M["x"], M["label"])
    found = slips.network_candidates(net, trace)
    step = next(s for s in trace.steps if s.name == "dz2")
    ref = numpy_relu_net(M["x"], W_NOTES, M["label"])
    assert diagnose(step.value, ref["dz2"] * 1.003, found["dz2"]).right
    assert diagnose(step.value, np.round(ref["da2"], 4), found["dz2"]).kind == "mask"
    assert diagnose(step.value, -ref["dz2"], found["dz2"]).kind == "sign"


# -- the deep-networks lesson (column form) ------------------------------------------------------------------
def test_column_candidates_are_the_row_candidates_transposed():
    ex = deep.random_example(3, 2, hidden="relu", seed=3)
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    rt = ex.net.backprop(ex.x, ex.label)
    found = slips.column_candidates(ex.net, ct, rt)
    assert set(found) == {s.name for s in ct.steps if s.phase == "backward"}
    for k in (1, 2, 3):
        (mask,) = candidates_of(found, f"delta({k})")["mask"]
        np.testing.assert_allclose(mask, ct.W[k].T @ ct.delta[k + 1], atol=1e-15)   # W_k^T delta(k+1), no f'
    (dW_t,) = candidates_of(found, "dL/dW_1")["transpose"]
    np.testing.assert_allclose(dW_t, ct.dW[1].T, atol=1e-15)
    for step in ct.steps:
        if step.phase == "backward":
            for c in found[step.name]:
                assert np.shape(c.value) == np.shape(step.value), (step.name, c.kind)


# -- the softmax lesson ------------------------------------------------------------------------------------
def test_softmax_candidates():
    z, T = np.array([2.0, 1.0, 0.1]), 0.5
    t = softmax_lesson.trace(z, T, 0)
    S = np.exp(z / T) / np.exp(z / T).sum()
    y = np.array([1.0, 0.0, 0.0])
    found = slips.softmax_candidates(t)
    (as_one,) = candidates_of(found, "dL/dz")["as_one"]
    np.testing.assert_allclose(as_one[:, 0], -y / S, rtol=1e-13)           # dL/dz = dL/dS: softmax' taken as 1
    (temp,) = candidates_of(found, "dL/dz")["temperature"]
    np.testing.assert_allclose(temp[:, 0], S - y, rtol=1e-13)              # (S - y) without the 1/T
    (note,) = candidates_of(found, "dL/dS")["note_sum"]
    np.testing.assert_allclose(note[:, 0], -1.0 / S, rtol=1e-13)           # -sum_j y_j / S_j for every j
    (kron,) = candidates_of(found, "dS1/dz1")["kronecker"]
    assert kron == pytest.approx(S[0] * (0 - S[0]) / T, rel=1e-13)         # the j != k case on the diagonal
    (batch,) = candidates_of(found, "dZ vectorised")["batch"]
    np.testing.assert_allclose(batch, t.dZ_vec * 3, rtol=1e-14)
    (J_one,) = candidates_of(found, "J")["as_one"]
    np.testing.assert_array_equal(J_one, np.eye(3))


# -- the graph lesson ------------------------------------------------------------------------------------------
def test_edge_candidates_on_the_notes_example():
    """(x + y) z at x = -2, y = 5, z = -4: along q -> f the upstream is 1, the local z = -4."""
    f = graph_examples.build("sum_times", dict(P.GRAPHS["sum_times"]))
    steps = {(s.node.label, s.child.label): s for s in f.backward()}
    edge = steps[("f", "q")]
    assert (edge.upstream, edge.local, edge.product) == (1.0, -4.0, -4.0)
    found = {c.kind: c.value for c in slips.edge_candidates(edge.upstream, edge.local)}
    assert found == {"local": 1.0, "upstream": -4.0, "sign": 4.0}
    verdict = diagnose(edge.product, 1.0, slips.edge_candidates(edge.upstream, edge.local))
    assert verdict.kind == "local"
    # the upstream-only candidate is the value itself here (upstream 1): it is never named
    assert diagnose(edge.product, -4.0, slips.edge_candidates(edge.upstream, edge.local)).right


def test_every_candidate_kind_is_listed():
    ex = deep.random_example(2, 2, seed=1)
    kinds = set()
    nets = [(matrix_net(), M["x"], M["label"]), (matrix_net(hidden="tanh", loss="mse"), [[1, 2], [3, 1]],
                                                   [[1, 0], [0, 1]]),
            (Network([[[0.8]], [[-0.5]], [[1.2]]], hidden="relu", output="sigmoid"), [1.5], [1.0])]
    for net, x, label in nets:
        kinds |= {c.kind for cs in slips.network_candidates(net, net.backprop(x, label)).values() for c in cs}
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    kinds |= {c.kind for cs in slips.column_candidates(ex.net, ct, ex.net.backprop(ex.x, ex.label)).values()
              for c in cs}
    kinds |= {c.kind for cs in slips.softmax_candidates(softmax_lesson.trace([2.0, 1.0, 0.1], 2.0)).values()
              for c in cs}
    kinds |= {c.kind for c in slips.edge_candidates(2.0, 3.0)}
    kinds |= {c.kind for c in slips.update_candidates([[1.0]], [[2.0]], 0.1)}
    assert kinds == set(slips.KINDS)


def test_update_slips_by_hand():
    """W = (0.5, -1), dL/dW = (0.2, 0.4), eta = 0.5: W* = (0.4, -1.2); uphill (0.6, -0.8), without eta
    (0.3, -1.4), the change alone (-0.1, -0.2)."""
    W, dW = np.array([[0.5, -1.0]]), np.array([[0.2, 0.4]])
    found = {c.kind: c.value for c in slips.update_candidates(W, dW, 0.5)}
    np.testing.assert_allclose(found["ascent"], [[0.6, -0.8]])
    np.testing.assert_allclose(found["rate"], [[0.3, -1.4]])
    np.testing.assert_allclose(found["change"], [[-0.1, -0.2]])
    right = np.array([[0.4, -1.2]])
    candidates = slips.update_candidates(W, dW, 0.5)
    assert slips.diagnose(right, right, candidates).right
    for kind, value in found.items():
        assert slips.diagnose(right, value, candidates).kind == kind


def test_update_slips_of_a_training_step_match_the_update_itself():
    """The candidates are built from the same W and dL/dW as the network after gradient_step: the right
    answer is the trained network's weights, and at eta = 1 "the rate left out" is that same answer,
    which diagnose never names."""
    X, Y = datasets.make("xor", 20, 0, 0.1)
    net = training.initial_network(2, 2, "relu", False, "cross_entropy", 0)
    u = training.first_updates(net, X, Y, lr=1.0, batch=5, seed=0, count=1)[0]
    W, dW, W_star = u.before.weights[-1], u.dW[-1], u.after.weights[-1]
    candidates = slips.update_candidates(W, dW, 1.0)
    rate = next(c for c in candidates if c.kind == "rate")
    np.testing.assert_allclose(rate.value, W_star)
    assert slips.diagnose(W_star, rate.value, candidates) == slips.Verdict(True)


def test_update_slips_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="one shape"):
        slips.update_candidates([[1.0, 2.0]], [[1.0]], 0.1)


# -- the notes' own slips ---------------------------------------------------------------------------------------
def test_w322_with_delta_y1_instead_of_delta_y2_by_hand():
    """w221 = 0.6 switches a22 on. By hand: h1 = (0.9, 0.5), h2 = (0.67, 0.59), h3 = (0.52, 0.027), y = softmax."""
    W = [w.copy() for w in W_NOTES]
    W[1][0, 1] = 0.6
    net = matrix_net(W)
    trace = net.backprop(M["x"], M["label"])
    y1 = 1 / (1 + math.exp(-(0.52 - 0.027)))         # softmax of two logits: the sigmoid of their difference
    a22 = 0.59
    found = {s.kind: s for s in slips.matrix_network(net, trace)}
    dw322 = found["dw322"]
    assert dw322.notes == "000, 001"
    assert dw322.wrote_value == pytest.approx(a22 * (y1 - 1.0), rel=1e-12)        # a22 Delta y1
    assert dw322.right_value == pytest.approx(a22 * ((1 - y1) - 0.0), rel=1e-12)  # a22 Delta y2
    h12 = found["h12"]
    assert (h12.wrote_value, h12.right_value) == (pytest.approx(1 * -0.3 + 2 * 0.2), pytest.approx(1 * -0.3 + 2 * 0.4))
    assert found["dW1_input"].right_value == pytest.approx(trace.dW[0])
    assert found["as_one.softmax"].wrote_value == pytest.approx(trace.dy[0])
    assert found["da_dy_da"].wrote_value is None and found["da_dy_da"].right_value is None
    assert [s.kind.split(".")[0] for s in found.values()] == list(slips.LESSON_SLIPS["matrix_network"])


def test_chain_rule_slips_by_hand():
    (dy, weight, mul) = slips.chain_rule("sum_times", dict(P.GRAPHS["sum_times"]))
    np.testing.assert_array_equal(dy.right_value, [[-4.0, -4.0, 3.0]])     # df/dx = z, df/dy = z, df/dz = x + y
    assert weight.wrote_value is None and weight.params["where"] == "sigmoid_neuron"
    assert mul.wrote == r"\operatorname{mul}(x_3, y_3)"
    # the neuron: d = 2 * -1 + -3 * -2 - 3 = 1, sigma'(1) = sigma(1)(1 - sigma(1))
    s = 1 / (1 + math.exp(-1.0))
    _, weight, _ = slips.chain_rule("sigmoid_neuron", dict(P.GRAPHS["sigmoid_neuron"]))
    assert weight.wrote_value == pytest.approx(-1.0 * s * (1 - s))     # the note's product: x0 sigma', df/dw0
    assert weight.right_value == pytest.approx(2.0 * s * (1 - s))      # df/dx0 = w0 sigma'


def test_single_node_chain_slips():
    net = Network([[[0.8]], [[-0.5]], [[1.2]]], hidden="identity", output="identity", loss="mse")
    trace = net.backprop([1.5], [1.0])
    dy, first = slips.single_node_chain(net, trace)
    y = 1.5 * 0.8 * -0.5 * 1.2
    assert dy.kind == "dy.mse"
    assert dy.wrote_value == pytest.approx(y - 1.0) and dy.right_value == pytest.approx(2 * (y - 1))
    assert first.kind == "chain_first_factor" and first.wrote_value is None
    assert first.right_value == pytest.approx(trace.dW[2].item())


def test_softmax_lesson_slips():
    t = softmax_lesson.trace((2.0, 1.0, 0.1), 1.0, 1)
    S, y = t.S, np.array([0.0, 1.0, 0.0])
    as_one, note_sum, through, equals = slips.softmax_jacobian(t)
    np.testing.assert_allclose(as_one.wrote_value[:, 0], -y / S, rtol=1e-13)
    np.testing.assert_allclose(as_one.right_value[:, 0], S - y, rtol=1e-13)
    np.testing.assert_allclose(note_sum.wrote_value[:, 0], -1 / S, rtol=1e-13)
    np.testing.assert_allclose(through.wrote_value[:, 0], 3 * S - 1, rtol=1e-12)   # J^T(-1/S) = n S - 1 at T = 1
    term, rest = equals.wrote_value[0]
    assert term == pytest.approx(-(1 - S[1])) and rest == 0.0            # one-hot: the sum over j != k is empty
    assert equals.right_value == pytest.approx(S[1] - 1.0)


def test_deep_slips_pass_the_notes_readings_through():
    ex = deep.random_example(3, 2, seed=2)
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    inside, unrolled, index = slips.deep_networks(ct, 0, 1, 1)
    ref_inside, ref_unrolled = deep.note_slips(ct, 0, 1, 1)
    np.testing.assert_array_equal(inside.wrote_value, ref_inside.wrote_value)
    np.testing.assert_array_equal(inside.check, ref_inside.check)
    assert unrolled.right_value == ref_unrolled.right_value == pytest.approx(ct.dW[0][0, 0])
    assert index.wrote == "" and index.kind == "deep_index"


@pytest.mark.parametrize("width", [2, 4])
def test_training_slips_on_the_first_mini_batch(width):
    X, Y = datasets.make("xor", 60, 0, 0.1)
    net = training.initial_network(2, width, "tanh", True, "cross_entropy", 0)
    dW1, factor = slips.training(net, X, Y, 20, 0)
    idx = training.batches(60, 20, 0, 1)[0]
    per_sample = [net.backprop(X[b], Y[b]) for b in idx]
    np.testing.assert_allclose(factor.wrote_value, sum(t.dW[-1] for t in per_sample), rtol=1e-12)
    np.testing.assert_allclose(factor.right_value, sum(t.dW[-1] for t in per_sample) / 20, rtol=1e-12)
    assert factor.params["B"] == "20"
    whole = net.backprop(X[idx], Y[idx])
    if width == 2:
        np.testing.assert_allclose(dW1.wrote_value, whole.a[1].T @ whole.dz[0], rtol=1e-14)
    else:
        assert dW1.wrote_value is None and dW1.params["why"] == "dims"
    np.testing.assert_allclose(dW1.right_value, whole.x.T @ whole.dz[0], rtol=1e-14)

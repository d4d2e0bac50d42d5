"""The gradient check: agrees on correct gradients, and finds the ones the notes' simplification breaks."""
import numpy as np
import pytest

from bp_core import Network, presets
from bp_core.gradcheck import check, check_network, worst


def matrix_net(**options):
    p = presets.MATRIX_NET
    return Network([p["W1"], p["W2"], p["W3"]], hidden=p["hidden"], output=p["output"], loss=p["loss"], **options)


def test_exact_gradients_agree():
    p = presets.MATRIX_NET
    checks = check_network(matrix_net(), p["x"], p["label"])
    assert len(checks) == 12 and worst(checks) == "agree"
    assert [c.name for c in checks[:4]] == ["w111", "w121", "w112", "w122"]


def test_the_notes_simplification_is_caught():
    """Softmax's derivative taken as 1, with half_sse. For two outputs with a one-hot label (1, 0),
    by hand: dL/dy = (y1 - 1, y2) = y2 (-1, 1) and J = y1 y2 [[1, -1], [-1, 1]], so the exact
    dz3 = dL/dy J = 2 y1 y2 * y2 (-1, 1): every exact gradient is the simplified one times 2 y1 y2."""
    p = presets.MATRIX_NET
    net = matrix_net(output_grad_as_one=True)
    y1, y2 = net.backprop(p["x"], p["label"], steps=False).y[0]
    checks = check_network(net, p["x"], p["label"])
    assert worst(checks) == "wrong"
    for c in checks:
        if c.backprop == 0:  # behind the ReLU that is off in the preset (h22 < 0): 0 either way
            assert c.numeric == pytest.approx(0.0, abs=1e-9) and c.verdict == "agree"
        else:
            assert c.numeric == pytest.approx(2 * y1 * y2 * c.backprop, rel=1e-6) and c.verdict == "wrong"
    assert sum(c.verdict == "wrong" for c in checks) == 8


def test_simplification_is_exact_for_softmax_with_cross_entropy_and_not_flagged():
    p = presets.MATRIX_NET
    net = Network([p["W1"], p["W2"], p["W3"]], output="softmax", loss="cross_entropy")
    assert worst(check_network(net, p["x"], p["label"])) == "agree"


def test_a_wrong_gradient_is_flagged_by_the_generic_check():
    # L = a^2 b: dL/da = 2ab = -12, dL/db = a^2 = 9 at a = 3, b = -2 (by hand); give a wrong dL/db
    checks = check({"a": 3.0, "b": -2.0}, lambda p: p["a"] ** 2 * p["b"], {"a": -12.0, "b": 10.0})
    assert [c.verdict for c in checks] == ["agree", "wrong"]
    assert checks[1].numeric == pytest.approx(9.0, rel=1e-8)


def test_chain_names_and_biases():
    net = Network([[[0.5]], [[-1.2]], [[0.8]]], biases=[[0.1], [0.0], [-0.3]], hidden="tanh", output="identity")
    checks = check_network(net, [1.5], [0.3])
    assert [c.name for c in checks] == ["w1", "b1", "w2", "b2", "w3", "b3"]
    assert worst(checks) == "agree"
    assert np.isfinite([c.rel_error for c in checks]).all()


def test_graph_examples_agree():
    from bp_core.gradcheck import check_graph

    for example, values in presets.GRAPHS.items():
        checks = check_graph(example, values)
        assert [c.name for c in checks] == list(values) and worst(checks) == "agree", example
    # f = (x + y) z at the note's numbers: df/dz = x + y = 3 by hand
    assert {c.name: c.numeric for c in check_graph("sum_times", presets.GRAPHS["sum_times"])}["z"] == pytest.approx(3.0)


def test_softmax_logits_agree():
    from bp_core.gradcheck import check_softmax

    checks = check_softmax(presets.SOFTMAX["z"], 2.0, 0)
    assert [c.name for c in checks] == ["z1", "z2", "z3"] and worst(checks) == "agree"
    # with a one-hot label on class 1, dL/dz_1 = (S_1 - 1) / T < 0 and the others are S_j / T > 0 (by hand)
    assert checks[0].numeric < 0 < checks[1].numeric


def test_tiny_correct_gradients_are_not_flagged_by_rounding_noise():
    # L = 1 + 3e-5 a at a = 0: dL/da = 3e-5 exactly (by hand); the difference's rounding noise is about
    # 1e-10, a relative error of ~1e-6 against 3e-5 that must not count against the gradient
    checks = check({"a": 0.0}, lambda p: 1.0 + 3e-5 * p["a"], {"a": 3e-5})
    assert checks[0].verdict == "agree"
    # a wrong small gradient (0 instead of 3e-5) is still caught
    assert check({"a": 0.0}, lambda p: 1.0 + 3e-5 * p["a"], {"a": 0.0})[0].verdict == "wrong"

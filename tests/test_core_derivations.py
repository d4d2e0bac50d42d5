"""SymPy against NumPy: at every step of every preset and of random networks, the derivation SymPy
builds from the forward expressions gives the same number as the core."""
import itertools

import numpy as np
import pytest

from bp_core import Network, presets
from bp_core.derivations import _derivation_builder, derive, derive_graph
from bp_core.graph_examples import EXAMPLES, build


def assert_steps_match(trace, derivations):
    for step in trace.steps:
        assert step.name in derivations, f"no SymPy derivation for step {step.name}"
        np.testing.assert_allclose(
            np.asarray(derivations[step.name].value, dtype=float).reshape(np.shape(step.value)),
            np.asarray(step.value, dtype=float), rtol=1e-9, atol=1e-12, err_msg=step.name,
        )


def matrix_net(**options):
    p = presets.MATRIX_NET
    return Network([p["W1"], p["W2"], p["W3"]], hidden=p["hidden"], output=p["output"], loss=p["loss"], **options)


def chain_net(hidden, output, loss, biases=None):
    p = presets.CHAIN
    return Network([[[p["w1"]]], [[p["w2"]]], [[p["w3"]]]], biases=biases, hidden=hidden, output=output, loss=loss)


@pytest.mark.parametrize("as_one", [False, True])
def test_matrix_preset_every_step(as_one):
    p = presets.MATRIX_NET
    net = matrix_net(output_grad_as_one=as_one)
    trace = net.backprop(p["x"], p["label"], lr=p["lr"])
    assert_steps_match(trace, derive(net, p["x"], p["label"], lr=p["lr"]))


@pytest.mark.parametrize("hidden,output,loss", list(itertools.product(
    ["identity", "relu", "sigmoid", "tanh"], ["identity", "sigmoid"], ["half_sse", "mse"])))
def test_chain_preset_every_step(hidden, output, loss):
    p = presets.CHAIN
    for biases in (None, [[0.1], [-0.2], [0.3]]):
        net = chain_net(hidden, output, loss, biases)
        trace = net.backprop([p["x"]], [p["label"]], lr=p["lr"])
        assert_steps_match(trace, derive(net, [p["x"]], [p["label"]], lr=p["lr"]))


# cross_entropy with the identity output is refused (its log needs outputs in (0, 1]); the core tests cover that
VALID = [c for c in itertools.product(["identity", "relu", "sigmoid", "tanh"], ["identity", "sigmoid", "softmax"],
                                      ["half_sse", "mse", "cross_entropy"]) if c[1:] != ("identity", "cross_entropy")]


@pytest.mark.parametrize("hidden,output,loss", VALID)
def test_random_networks_every_step(hidden, output, loss):
    rng = np.random.default_rng(len(hidden) * 7 + len(output) * 3 + len(loss))
    widths = (2, 3, 2, 3)
    weights = [rng.normal(size=(a, b)) for a, b in zip(widths, widths[1:])]
    biases = [rng.normal(size=b) for b in widths[1:]]
    x = rng.normal(size=widths[0])
    label = np.eye(widths[-1])[1]
    net = Network(weights, biases, hidden=hidden, output=output, loss=loss)
    trace = net.backprop(x, label, lr=0.05)
    assert_steps_match(trace, derive(net, x, label, lr=0.05))


@pytest.mark.parametrize("example", EXAMPLES)
def test_graph_presets_every_step(example):
    f = build(example, presets.GRAPHS[example])
    steps = f.forward_steps() + tuple(s.to_step() for s in f.backward())
    derivations = derive_graph(f)
    for step in steps:
        assert derivations[step.name].value == pytest.approx(step.value, rel=1e-12, abs=1e-12), step.name


def test_derivations_use_the_notes_symbol_names():
    p = presets.MATRIX_NET
    d = derive(matrix_net(), p["x"], p["label"])
    assert d["dL/dw311"].locals == ((r"\frac{\partial h_{31}}{\partial w_{311}}", "a_{21}"),)
    assert "a_{21}" in d["dW3"].expression and "dz_{31}" in d["dW3"].expression
    # ReLU's derivative is SymPy's own derivative of the Piecewise: 1 for h > 0, else 0
    assert "h_{21} > 0" in dict(d["dz2"].locals)[r"\frac{\partial a_{21}}{\partial h_{21}}"]


def test_derivations_are_built_once_per_structure():
    p = presets.MATRIX_NET
    _derivation_builder.cache_clear()
    derive(matrix_net(), p["x"], p["label"])
    other = np.array(p["W1"]) + 0.5
    derive(matrix_net().replace(weights=[other, p["W2"], p["W3"]]), p["x"], p["label"])
    info = _derivation_builder.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_derivations_refuse_a_batch():
    with pytest.raises(ValueError, match="one sample"):
        derive(matrix_net(), [[1.0, 2.0], [0.5, 0.5]], [[1.0, 0.0], [0.0, 1.0]])

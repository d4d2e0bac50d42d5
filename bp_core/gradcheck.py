"""Gradient check: each parameter's backprop gradient beside its central finite difference.

    numeric = (L(p + eps) - L(p - eps)) / (2 eps)
    relative error = |backprop - numeric| / max(|backprop|, |numeric|, FLOOR)

A relative error below AGREE means the two agree to the precision a float64 difference allows; between
AGREE and CLOSE it is most likely a kink (ReLU at 0) or rounding; above CLOSE the gradient is wrong.

The difference itself carries rounding noise of about machine epsilon * |L| / eps. Gradients smaller than
that noise over AGREE cannot be told apart by it, so the denominator never goes below that size.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

EPS = 1e-6
FLOOR = 1e-8  # below this both numbers are zero for the check's purpose
NOISE = 10 * np.finfo(float).eps  # rounding of a loss evaluation, relative to |L|
AGREE = 1e-6
CLOSE = 1e-3


@dataclass(frozen=True)
class Check:
    name: str          # the parameter in the notes' notation: w311, b21, x, z2
    backprop: float
    numeric: float
    rel_error: float

    @property
    def verdict(self) -> str:
        """agree | close | wrong"""
        return "agree" if self.rel_error < AGREE else "close" if self.rel_error < CLOSE else "wrong"


def check(params: Mapping[str, float], loss: Callable[[dict[str, float]], float],
          grads: Mapping[str, float], eps: float = EPS) -> tuple[Check, ...]:
    """Compare grads[name] with the central difference of loss(params) in each parameter."""
    out = []
    floor = max(FLOOR, NOISE * abs(loss(dict(params))) / eps / AGREE)
    if not math.isfinite(floor):
        raise ValueError("the loss is too large for a finite-difference check (its rounding noise overflows); "
                         "use smaller inputs")
    for name, value in params.items():
        plus, minus = dict(params), dict(params)
        plus[name], minus[name] = value + eps, value - eps
        numeric = (loss(plus) - loss(minus)) / (2 * eps)
        g = float(grads[name])
        if not math.isfinite(numeric) or not math.isfinite(g):
            raise ValueError(f"the finite difference of {name} overflowed to a non-finite value; use smaller inputs")
        scale = max(abs(g), abs(numeric), floor)
        rel = abs(g / scale - numeric / scale)  # scaled first: g - numeric itself may overflow
        out.append(Check(name, g, float(numeric), float(rel)))
    return tuple(out)


def check_network(net, x, label, eps: float = EPS) -> tuple[Check, ...]:
    """Every weight and bias of a Network: w_kji at row i, column j of W_k, named as in the notes.

    The backprop side uses the network as given (with the notes' simplification, if switched on);
    the numeric side always differentiates the true loss, so the check shows what a simplification breaks.
    """
    from .step import sub

    trace = net.backprop(x, label, steps=False)
    names, grads = {}, {}
    for k, (W, dW) in enumerate(zip(net.weights, trace.dW), start=1):
        chain = net.is_chain
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                name = f"w{k}" if chain else f"w{sub(k, j + 1, i + 1)}"
                names[name], grads[name] = ("W", k - 1, i, j), dW[i, j]
        if net.biases is not None:
            for j in range(W.shape[1]):
                name = f"b{k}" if chain else f"b{sub(k, j + 1)}"
                names[name], grads[name] = ("b", k - 1, 0, j), trace.db[k - 1][j]

    def params_of(n) -> dict[str, float]:
        return {name: float(n.weights[k][i, j] if p == "W" else n.biases[k][j]) for name, (p, k, i, j) in names.items()}

    def loss(params: dict[str, float]) -> float:
        weights = [np.array(W) for W in net.weights]
        biases = None if net.biases is None else [np.array(b) for b in net.biases]
        for name, (p, k, i, j) in names.items():
            if p == "W":
                weights[k][i, j] = params[name]
            else:
                biases[k][j] = params[name]
        return net.replace(weights=weights, biases=biases).loss_value(x, label)

    return check(params_of(net), loss, grads, eps)


def check_graph(example: str, values: Mapping[str, float], eps: float = EPS) -> tuple[Check, ...]:
    """Every input of one of the chain-rule lesson's graphs: df/dinput by backward() and by differences."""
    from .graph_examples import build

    def inputs(f) -> dict:
        return {node.label: node for node in f.topological() if node.label in values}

    f = build(example, values)
    f.backward()
    grads = {name: node.grad for name, node in inputs(f).items()}
    return check(dict(values), lambda params: build(example, params).data, grads, eps)


def check_softmax(z, temperature: float, label, eps: float = EPS) -> tuple[Check, ...]:
    """Every logit of the softmax lesson: the full chain J^T dL/dS against differences of the loss."""
    from .softmax_lesson import trace

    t = trace(z, temperature, label)
    names = [f"z{j + 1}" for j in range(t.n)]

    def loss(params: dict[str, float]) -> float:
        return trace([params[name] for name in names], temperature, t.y).loss

    return check(dict(zip(names, map(float, t.z))), loss, dict(zip(names, np.ravel(t.dz_chain))), eps)


def worst(checks: tuple[Check, ...]) -> str:
    """The verdict of the whole check: the worst of its parameters."""
    verdicts = {c.verdict for c in checks}
    return "wrong" if "wrong" in verdicts else "close" if "close" in verdicts else "agree"

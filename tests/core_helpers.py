"""Shared helpers of the core tests: the independent references every expected value comes from.

- central_diff: central finite differences, the reference for every gradient;
- rel_err: one robust relative error between two arrays (or lists of arrays);
- random_network: a random small network with labels that suit its output and loss;
- network_fd: every dW and db of a network by finite differences of net.loss_value, one weight at a time;
- braces_balanced, NON_FINITE_TEXT, parse_latex_number, check_step_arithmetic: read a Step's LaTeX back
  and check that what it writes is well formed and true.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from bp_core import Network

HIDDEN = ("relu", "sigmoid", "tanh", "identity")
OUTPUTS = ("identity", "sigmoid", "softmax")
LOSSES = ("half_sse", "mse", "cross_entropy")


def central_diff(f: Callable[[np.ndarray], object], x, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, one entry of x at a time, in float64.

    f may return a scalar (result has x's shape) or an array (result has shape f(x).shape + x.shape,
    so a vector function gives its Jacobian J[j, k] = d f_j / d x_k).
    """
    x = np.array(x, dtype=np.float64)
    out_shape = np.shape(f(x.copy()))
    grad = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        diff = (np.asarray(f(plus), dtype=np.float64) - np.asarray(f(minus), dtype=np.float64)) / (2.0 * eps)
        grad[(Ellipsis,) + idx] = diff
    return grad


def _flat(a) -> np.ndarray:
    if isinstance(a, (list, tuple)):
        parts = [_flat(p) for p in a if p is not None]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(np.asarray(a, dtype=np.float64))


def rel_err(a, b, floor: float = 1e-8) -> float:
    """max |a - b| / max(floor, max |a|, max |b|): one scale for the whole array (or list of arrays).

    Scaling by the largest entry (not entry by entry) keeps tiny entries, where finite differences only
    have absolute accuracy, from dominating. The floor makes two all-but-zero gradients (a dead ReLU
    network, a one-unit softmax whose output is the constant 1) equal when they differ by rounding
    noise of 1e-17.
    """
    a, b = _flat(a), _flat(b)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    if a.size == 0:
        return 0.0
    scale = max(floor, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.max(np.abs(a - b))) / scale


def _labels(rng: np.random.Generator, output: str, loss: str, batch: int, n: int) -> np.ndarray:
    if output == "softmax" or loss == "cross_entropy" and output == "identity":
        # a probability vector per sample: one-hot half of the time, otherwise a random distribution
        if rng.random() < 0.5:
            return np.eye(n)[rng.integers(0, n, size=batch)]
        return rng.dirichlet(np.ones(n), size=batch)
    if output == "sigmoid":
        return rng.uniform(0.0, 1.0, size=(batch, n))
    return rng.normal(size=(batch, n))


def random_network(
    rng: np.random.Generator,
    depth: int,
    widths: int | Sequence[int],
    hidden: str,
    output: str,
    loss: str,
    biases: bool,
    batch: int = 1,
    margin: float = 1e-3,
    tries: int = 500,
) -> tuple[Network, np.ndarray, np.ndarray]:
    """A random network with `depth` layers and its (x, y) of `batch` samples.

    widths: one int (every layer) or depth + 1 ints (n_in, n_1, ..., n_N).
    Labels suit the output: probability vectors (one-hot or random) for softmax, values in [0, 1]
    for sigmoid, any real number for identity.
    With cross_entropy and an identity output, log(y) needs y > 0: x, weights and biases are drawn
    positive, so every layer stays positive (every hidden activation maps positive to positive).
    With ReLU hidden layers, networks with a hidden pre-activation within `margin` of the kink at 0
    are rejected, so finite differences never straddle it.
    """
    ws = [widths] * (depth + 1) if isinstance(widths, (int, np.integer)) else list(widths)
    assert len(ws) == depth + 1
    positive = loss == "cross_entropy" and output == "identity"
    for _ in range(tries):
        if positive:
            weights = [rng.uniform(0.2, 1.0, size=(ws[k], ws[k + 1])) for k in range(depth)]
            bs = [rng.uniform(0.1, 0.5, size=ws[k + 1]) for k in range(depth)] if biases else None
            x = rng.uniform(0.2, 1.0, size=(batch, ws[0]))
        else:
            weights = [rng.normal(size=(ws[k], ws[k + 1])) * 1.3 / np.sqrt(ws[k]) for k in range(depth)]
            bs = [rng.normal(scale=0.5, size=ws[k + 1]) for k in range(depth)] if biases else None
            x = rng.normal(size=(batch, ws[0]))
        net = Network(weights=weights, biases=bs, hidden=hidden, output=output, loss=loss)
        h, a = net.forward(x)
        if hidden == "relu" and any(np.min(np.abs(hk)) < margin for hk in h[:-1]):
            continue
        if positive and np.min(a[-1]) <= 0.05:
            continue
        y = _labels(rng, output, loss, batch, ws[-1])
        return net, x, y
    raise RuntimeError("no network away from the ReLU kink found; widen the search")


def network_fd(net: Network, x, y, eps: float = 1e-6) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """dL/dW_k and dL/db_k by central differences of net.loss_value, rebuilding the net with net.replace."""
    weights = [np.array(W) for W in net.weights]
    dW = []
    for k in range(len(weights)):
        def loss_of_W(Wk, k=k):
            ws = list(weights)
            ws[k] = Wk
            return net.replace(weights=ws).loss_value(x, y)

        dW.append(central_diff(loss_of_W, weights[k], eps))
    if net.biases is None:
        return dW, None
    biases = [np.array(b) for b in net.biases]
    db = []
    for k in range(len(biases)):
        def loss_of_b(bk, k=k):
            bs = list(biases)
            bs[k] = bk
            return net.replace(biases=bs).loss_value(x, y)

        db.append(central_diff(loss_of_b, biases[k], eps))
    return dW, db


def braces_balanced(text: str) -> bool:
    """Every { has its }, in order; escaped \\{ and \\} are literal braces and do not count."""
    depth = 0
    for ch in re.sub(r"\\[{}]", "", text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


NON_FINITE_TEXT = re.compile(r"(?<![a-z])(nan|inf)(?![a-z])", re.IGNORECASE)


_SCALAR = re.compile(r"^\(?\s*(-?\d+(?:\.\d+)?)(?:\s*\\times\s*10\^\{(-?\d+)\})?\s*\)?$")


def parse_latex_number(text: str) -> np.ndarray:
    """The value of a number or pmatrix as the core writes them (step.num / step.matrix), as an array.

    "0.1234", "(-2)", "1.2 \\times 10^{-5}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}".
    Written independently of the core's formatter: it only reads the LaTeX.
    """
    text = text.strip()
    m = re.fullmatch(r"\\begin\{pmatrix\}(.*)\\end\{pmatrix\}", text, re.DOTALL)
    if m:
        rows = [row.split("&") for row in m[1].split(r"\\")]
        return np.array([[float(parse_latex_number(v)) for v in row] for row in rows])
    s = _SCALAR.match(text)
    if not s:
        raise ValueError(f"not a number: {text!r}")
    return np.array(float(s[1]) * 10.0 ** int(s[2] or 0))


def displayed_product(numbers: str) -> tuple[float, float]:
    """For "f1 \\cdot f2 \\cdot ... = v": (the product of the shown factors, the shown v)."""
    lhs, rhs = numbers.rsplit(" = ", 1)
    factors = [float(parse_latex_number(f)) for f in lhs.split(r"\cdot")]
    return float(np.prod(factors)), float(parse_latex_number(rhs))


_NUM = r"-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?"
_FACT = rf"\(?{_NUM}\)?"
_OPERAND = re.compile(
    r"\\begin\{pmatrix\}.*?\\end\{pmatrix\}"
    r"|\(?-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?\)?"
)
# How much a value written with 4 significant digits may be off, relative to its size (with margin).
DISPLAY_RTOL = 2e-3


def _operands(text: str) -> list[np.ndarray]:
    return [np.atleast_2d(parse_latex_number(m[0])) for m in _OPERAND.finditer(text)]


def _matmul_chain(ops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The product of operands written side by side, and the same product of their absolute values."""
    value, scale = ops[0], np.abs(ops[0])
    for op in ops[1:]:
        if value.size == 1 or op.size == 1:
            value, scale = value * op, scale * np.abs(op)
        else:
            value, scale = value @ op, scale @ np.abs(op)
    return value, scale


_ACT = {
    r"\operatorname{ReLU}": lambda h: np.maximum(h, 0.0),
    r"\sigma": lambda h: 1.0 / (1.0 + np.exp(-h)),
    r"\tanh": np.tanh,
    r"\operatorname{id}": lambda h: h,
    r"\operatorname{softmax}": lambda h: np.exp(h - h.max(axis=-1, keepdims=True))
    / np.exp(h - h.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True),
}


def check_step_arithmetic(step) -> None:
    """Assert that what a step writes is true arithmetic, read back from its LaTeX alone.

    - the right-hand side "= v" shows step.value (to the 4 digits written);
    - the left-hand side, evaluated from the numbers written there, gives the right-hand side: products
      (a \\cdot b \\cdot c), matrix products written side by side (a W + b, a^T dz, dz W^T, dy J),
      Hadamard products (\\odot), differences (y - label), activations (\\sigma(h)) and updates (W - lr g).
    Tolerances allow for each number being rounded to 4 significant digits.
    """
    numbers, kind = step.numbers, step.kind
    if " = " not in numbers:
        return
    lhs, rhs_text = numbers.rsplit(" = ", 1)
    rhs = np.atleast_2d(parse_latex_number(rhs_text))
    value = np.atleast_2d(np.asarray(step.value, dtype=float))
    assert rhs.size == value.size, (step.name, numbers)
    assert np.allclose(rhs.reshape(value.shape), value, rtol=DISPLAY_RTOL, atol=1e-300), (step.name, numbers, value)

    if kind in ("forward.h", "backward.dW", "backward.da") or kind == "backward.dz_out.softmax":
        parts = lhs.split(" + ")
        got, scale = _matmul_chain(_operands(parts[0]))
        for part in parts[1:]:
            (b,) = _operands(part)
            got, scale = got + b, scale + np.abs(b)
    elif kind in ("backward.dw_entry", "backward.dw_chain", "backward.db_chain", "graph.backward"):
        ops = [float(parse_latex_number(f)) for f in lhs.split(r"\cdot")]
        got, scale = np.prod(ops), np.abs(np.prod(ops)) * len(ops)
    elif kind.startswith("backward.dz.") or kind in ("backward.dz_out.identity", "backward.dz_out.sigmoid"):
        a, b = (np.atleast_2d(parse_latex_number(p)) for p in lhs.split(r"\odot"))
        got, scale = a * b, np.abs(a * b)
    elif kind == "backward.dz_out.softmax_ce":
        a, b = (np.atleast_2d(parse_latex_number(p)) for p in lhs.split(" - "))
        got, scale = a - b, np.abs(a) + np.abs(b)
    elif kind in ("update.W", "update.b"):
        w_text, step_text = lhs.split(" - ", 1)
        w = np.atleast_2d(parse_latex_number(w_text))
        lr, g = _operands(step_text)
        got, scale = w - lr * g, np.abs(w) + np.abs(lr * g)
    elif kind.startswith("backward.dy."):
        scale_factor = 1.0
        rest = lhs.strip()
        sign = -1.0 if rest.startswith("-") else 1.0
        rest = rest.lstrip("-")
        while (m := re.match(r"\\tfrac\{(\d+)\}\{(\d+)\}", rest)):
            scale_factor *= int(m[1]) / int(m[2])
            rest = rest[m.end():]
        if kind == "backward.dy.cross_entropy":
            a, b = (np.atleast_2d(parse_latex_number(p)) for p in rest.split(r"\oslash"))
            with np.errstate(divide="ignore", invalid="ignore"):
                got = sign * scale_factor * a / b
            scale = np.abs(got)
        else:
            inner = re.fullmatch(r"\\left\((.*)\\right\)", rest, re.DOTALL)[1]
            a, b = (np.atleast_2d(parse_latex_number(p)) for p in inner.split(" - "))
            got = sign * scale_factor * (a - b)
            scale = scale_factor * (np.abs(a) + np.abs(b))
    elif kind.startswith("forward.loss.") and r"\sum_b" not in lhs:
        if kind == "forward.loss.cross_entropy":
            terms = re.findall(rf"({_FACT}) \\log ({_FACT})", lhs)
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = [float(parse_latex_number(t)) * np.log(float(parse_latex_number(y))) for t, y in terms]
            got = -sum(logs)
            # y written to 4 digits moves log y by up to ~5e-4: allow that per unit of label
            scale = sum(abs(v) for v in logs) + sum(abs(float(parse_latex_number(t))) for t, _ in terms)
        else:
            m = re.match(r"\\tfrac\{(\d+)\}\{(\d+)\}", lhs)
            pairs = re.findall(rf"\(({_NUM}) - ({_FACT})\)\^2", lhs)
            diffs = [float(parse_latex_number(y)) - float(parse_latex_number(t)) for y, t in pairs]
            got = int(m[1]) / int(m[2]) * sum(d * d for d in diffs)
            scale = int(m[1]) / int(m[2]) * sum(
                (abs(float(parse_latex_number(y))) + abs(float(parse_latex_number(t)))) ** 2 for y, t in pairs
            )
    elif kind in ("forward.a", "forward.y"):
        m = re.fullmatch(r"(.*?)\\left\((.*)\\right\)", lhs.strip(), re.DOTALL)
        h = np.atleast_2d(parse_latex_number(m[2]))
        got = _ACT[m[1]](h)
        scale = np.abs(h) + np.abs(got)
    else:
        return
    got = np.atleast_2d(got)
    assert got.size == rhs.size, (step.name, numbers)
    scale = np.atleast_2d(scale).reshape(rhs.shape)
    ok = np.abs(got.reshape(rhs.shape) - rhs) <= DISPLAY_RTOL * (scale + np.abs(rhs)) + 1e-12
    assert np.all(ok), f"{step.name}: the numbers written do not give the result written: {numbers}"

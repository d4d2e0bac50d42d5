"""Deep networks in note 004's column-vector form: p(k+1) = W_k f(p(k)) + b(k).

The other lessons write a layer as a row, h_k = a_{k-1} W_k + b_k, with W_k of shape (n_{k-1}, n_k) and
matrices counted from 1 by the layer they feed. Note 004 writes columns and counts matrices from 0 by the
layer they leave: its W_k, of shape (n_{k+1}, n_k), takes layer k to layer k+1. So the note's W_k is our
W_{k+1} transposed, its w^{(k)}_{ij} is our w_{k+1,i,j} (unit i of layer k+1, fed by unit j of layer k),
its p(k) is our h_k and its x(k) = f(p(k)) our a_k. The input layer has no activation: f(p(0)) is x(0).

delta(k) = dL/dp(k). The backward pass is one recursion and its base case:
    delta(N) = f_out'(p(N)) o dL/dx(N)        (for softmax: J^T dL/dx(N), J = diag(x(N)) - x(N) x(N)^T)
    delta(k) = (W_k^T delta(k+1)) o f'(p(k))
    dL/dW_k = delta(k+1) f(p(k))^T,   dL/db(k) = delta(k+1)

- random_example: a network, an input and a label drawn from numpy's default_rng(seed), sizes capped.
- column_backprop: the forward and backward passes written with column vectors and transposed weights,
  independently of Network.backprop (the tests hold each against the other and finite differences).
- weight_gradient: one weight's derivative unrolled as the note does, with numbers.
- gradient_norms, dead_layers: |dL/dW_k| per layer, to see gradients vanish or explode with depth, and the
  hidden layers where no gradient passes at all.
- note_slips: note 004's two slips, with the number each reading gives.
- gradient_check: every column-form gradient beside its central finite difference.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from . import gradcheck, validation
from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import HIDDEN, OUTPUTS, Network
from .softmax import softmax, softmax_jacobian
from .step import Step, factor, matrix, num, readonly, sub

# Caps that keep every example small: at most 7 matrices of at most 8 x 8, a few milliseconds of work.
MAX_DEPTH = 6       # hidden layers
MAX_WIDTH = 8       # units per layer (hidden, input and output)
MAX_SEED = 2**32 - 1
MAX_SCALE = 10.0
BIAS_STD = 0.1      # the initial biases' spread
DEFAULT_SCALE = 1.0  # weight scale 1: He initialisation
DEFAULT_OUTPUT = "sigmoid"
DEFAULT_LOSS = "half_sse"   # note 004's E = 1/2 |f_out(...) - y|^2

from .network_steps import OUTPUT_LATEX  # noqa: E402  (one table of the output functions)

LOSS_LATEX = MappingProxyType({
    "half_sse": r"L = \tfrac{1}{2} \lVert x^{(N)} - y \rVert^2",
    "mse": r"L = \tfrac{1}{n} \lVert x^{(N)} - y \rVert^2",
    "cross_entropy": r"L = -\textstyle\sum_j y_j \log x^{(N)}_j",
})
DX_LATEX = MappingProxyType({
    "half_sse": r"\frac{\partial L}{\partial x^{(N)}} = x^{(N)} - y",
    "mse": r"\frac{\partial L}{\partial x^{(N)}} = \tfrac{2}{n}\left(x^{(N)} - y\right)",
    "cross_entropy": r"\frac{\partial L}{\partial x^{(N)}} = -y \oslash x^{(N)}",
})


# -- the example ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """A random network with one input and its label."""

    net: Network
    x: np.ndarray        # (n_in,)
    label: np.ndarray    # (n_out,)
    seed: int
    scale: float


def hidden_widths(depth: int, width: int | Sequence[int]) -> tuple[int, ...]:
    """The widths of the hidden layers: one width for all, or one per layer; checked against the caps."""
    depth = _whole("depth (hidden layers)", depth, 1, MAX_DEPTH)
    widths = (width,) * depth if isinstance(width, (int, np.integer)) else tuple(width)
    if len(widths) != depth:
        raise ValueError(f"widths must be one number or one per hidden layer ({depth}); got {len(widths)}")
    return tuple(_whole(f"width of hidden layer {k}", w, 1, MAX_WIDTH) for k, w in enumerate(widths, 1))


def random_example(
    depth: int,
    width: int | Sequence[int],
    n_in: int = 2,
    n_out: int = 2,
    hidden: str = "sigmoid",
    biases: bool = True,
    seed: int = 0,
    output: str = DEFAULT_OUTPUT,
    loss: str = DEFAULT_LOSS,
    scale: float = DEFAULT_SCALE,
) -> Example:
    """A network of `depth` hidden layers, an input x and a one-hot label, all from default_rng(seed).

    Draw order, so that one choice does not reshuffle the others: x (uniform in [-1, 1], two decimals),
    the label's class, then every weight (normal, standard deviation scale * sqrt(2 / n_in of the layer):
    scale 1 is He initialisation), then the biases (normal, BIAS_STD). The weights do not depend on the
    activation, so sigmoid and ReLU with the same seed start from the same weights.
    """
    widths = ((_whole("n_in", n_in, 1, MAX_WIDTH),) + hidden_widths(depth, width)
              + (_whole("n_out", n_out, 1, MAX_WIDTH),))
    seed = _whole("seed", seed, 0, MAX_SEED)
    scale = float(validation.finite_array("weight scale", scale, ndim=(0,)))
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"weight scale must be in (0, {MAX_SCALE:g}]; got {scale:g}")
    validation.choice("hidden activation", hidden, HIDDEN)
    validation.choice("output activation", output, OUTPUTS)
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(-1.0, 1.0, widths[0]), 2)
    label = np.zeros(widths[-1])
    label[rng.integers(widths[-1])] = 1.0
    weights = [rng.standard_normal((a, b)) * scale * np.sqrt(2.0 / a) for a, b in zip(widths, widths[1:])]
    bias = [rng.standard_normal(b) * BIAS_STD for b in widths[1:]] if biases else None
    net = Network(weights, bias, hidden=hidden, output=output, loss=loss)
    return Example(net, readonly(x), readonly(label), seed, scale)


def random_network(depth, width, n_in=2, n_out=2, hidden="sigmoid", biases=True, seed=0, **options) -> Network:
    """The network of random_example with the same arguments (output=, loss=, scale= as options)."""
    return random_example(depth, width, n_in, n_out, hidden, biases, seed, **options).net


def _whole(what: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{what} must be a whole number from {lo} to {hi}; got {value!r}")
    return int(value)


# -- the column-form passes -------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnTrace:
    """Both passes in the note's column form. Every vector is a read-only column (n, 1).

    W[k], b[k]: the note's W_k (n_{k+1} x n_k) and b(k), k = 0 .. N-1 (b is None without biases)
    p[k], x[k]: p(k) and x(k) = f(p(k)), k = 0 .. N; p[0] = x[0] is the input
    dx:         dL/dx(N)
    delta[k]:   dL/dp(k), k = 0 .. N; delta[0] = W_0^T delta(1) is the gradient with respect to the input
    dW[k], db[k]: dL/dW_k and dL/db(k)
    steps:      the worked example, forward then backward
    row_names:  for each step, the name of the same quantity's step in Network.backprop (row form)
    """

    W: tuple[np.ndarray, ...]
    b: tuple[np.ndarray, ...] | None
    p: tuple[np.ndarray, ...]
    x: tuple[np.ndarray, ...]
    label: np.ndarray
    loss: float
    dx: np.ndarray
    delta: tuple[np.ndarray, ...]
    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray, ...] | None
    hidden: str
    output: str
    loss_name: str
    steps: tuple[Step, ...] = ()
    row_names: tuple[str, ...] = ()

    @property
    def N(self) -> int:
        return len(self.W)

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(p.shape[0] for p in self.p)


def column_backprop(net: Network, x, label, steps: bool = True) -> ColumnTrace:
    """Forward and backward for one sample with column vectors: the note's W_k is net.weights[k].T."""
    x = validation.finite_array("x", x, ndim=(1, 2)).reshape(-1)
    label = validation.finite_array("label y", label, ndim=(1, 2)).reshape(-1)
    if x.size != net.widths[0] or label.size != net.widths[-1]:
        raise ValueError(f"x must have {net.widths[0]} entries and the label {net.widths[-1]}; "
                         f"got {x.size} and {label.size}")
    if net.loss == "cross_entropy":
        validation.probabilities("labels y for cross_entropy", label)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused in words, where it happens
        return _column_backprop(net, x, label, steps)


def _column_backprop(net: Network, x: np.ndarray, label: np.ndarray, steps: bool) -> ColumnTrace:
    finite = validation.finite_result
    N = net.depth
    f = ACTIVATIONS[net.hidden]
    W = [readonly(Wr.T) for Wr in net.weights]
    b = None if net.biases is None else [readonly(br[:, None]) for br in net.biases]

    # forward: p(k+1) = W_k f(p(k)) + b(k), where f(p(0)) is the input itself
    p, xs = [x[:, None]], [x[:, None]]
    for k in range(N):
        p_next = finite(f"p({k + 1})", W[k] @ xs[k] + (0.0 if b is None else b[k]))
        p.append(p_next)
        if k < N - 1:
            xs.append(f.f(p_next))
        elif net.output == "softmax":
            xs.append(softmax(p_next[:, 0])[:, None])
        else:
            xs.append(ACTIVATIONS[net.output].f(p_next))
    loss_fn = LOSSES[net.loss]
    y, t = xs[N].T, label[None, :]
    if net.loss == "cross_entropy" and net.output == "identity" and np.any(y <= 0):
        raise ValueError("cross_entropy needs outputs in (0, 1]: use a softmax or sigmoid output")
    loss = finite("the loss", loss_fn.value(y, t))
    dx = finite(f"dL/dx({N})", loss_fn.grad(y, t).T)

    # backward: the base case, then delta(k) = (W_k^T delta(k+1)) o f'(p(k)) down to the input
    delta = [None] * (N + 1)
    if net.output_grad_as_one:
        delta[N] = dx
    elif net.output == "softmax":
        s = xs[N]
        J = softmax_jacobian(s[:, 0])          # J_jm = dx_j / dp_m, symmetric
        delta[N] = J.T @ dx
    else:
        delta[N] = ACTIVATIONS[net.output].df(p[N]) * dx
    finite(f"delta({N})", delta[N])
    for k in range(N - 1, 0, -1):
        delta[k] = finite(f"delta({k})", (W[k].T @ delta[k + 1]) * f.df(p[k]))
    delta[0] = finite("delta(0) = dL/dx(0)", W[0].T @ delta[1])
    dW = [finite(f"dL/dW_{k}", delta[k + 1] @ xs[k].T) for k in range(N)]
    db = None if b is None else [delta[k + 1] for k in range(N)]

    trace = ColumnTrace(
        W=tuple(W), b=None if b is None else tuple(b), p=tuple(map(readonly, p)), x=tuple(map(readonly, xs)),
        label=readonly(label[:, None]), loss=float(loss), dx=readonly(dx), delta=tuple(map(readonly, delta)),
        dW=tuple(map(readonly, dW)), db=None if db is None else tuple(map(readonly, db)),
        hidden=net.hidden, output=net.output, loss_name=net.loss,
    )
    if not steps:
        return trace
    built = _Steps(trace, net.output_grad_as_one)
    return ColumnTrace(**{**trace.__dict__, "steps": tuple(built.steps), "row_names": tuple(built.row_names)})


# -- the worked example's steps ---------------------------------------------------------------------
def col(arr: np.ndarray) -> str:
    """A column vector or a matrix as LaTeX: fewer digits once it is more than four numbers wide."""
    arr = np.atleast_2d(arr)
    return matrix(arr, 3 if arr.shape[1] > 4 else 4)


def show(arr: np.ndarray) -> str:
    arr = np.asarray(arr)
    return num(arr.item()) if arr.size == 1 else col(arr)


def _flat(v: np.ndarray) -> str:
    """A column vector written on one line as a transposed row, while it is short enough."""
    return rf"{col(v.T)}^T" if v.shape[0] <= 4 else col(v)


def _value(arr: np.ndarray) -> float | np.ndarray:
    return float(arr.item()) if arr.size == 1 else readonly(arr)


def P(k) -> str:
    return rf"p^{{({k})}}"


def X(k) -> str:
    return rf"x^{{({k})}}"


def D(k) -> str:
    return rf"\delta^{{({k})}}"


def B(k) -> str:
    return rf"b^{{({k})}}"


def f_of(k: int) -> str:
    """f(p(k)) as the note writes it; for the input, which has no activation, x(0)."""
    return X(0) if k == 0 else rf"f\big({P(k)}\big)"


# picture ids, in the row form's names: our layer k is the note's layer k, our W_{k+1} the note's W_k
def unit_ids(widths: tuple[int, ...], k: int) -> tuple[str, ...]:
    """Layer k's units: x1 ..; a_k and h_k ids (a21, h21); y and h_N ids for the output layer."""
    n, N = widths[k], len(widths) - 1
    if k == 0:
        return tuple(f"x{sub(i)}" for i in range(1, n + 1))
    act = tuple(f"y{sub(j)}" if k == N else f"a{sub(k, j)}" for j in range(1, n + 1))
    return act + tuple(f"h{sub(k, j)}" for j in range(1, n + 1))


def weight_ids(widths: tuple[int, ...], k: int) -> tuple[str, ...]:
    """The note's W_k, whose w^{(k)}_{ij} is our w_{k+1,i,j}."""
    return tuple(f"w{sub(k + 1, i, j)}" for i in range(1, widths[k + 1] + 1) for j in range(1, widths[k] + 1))


def f_at(k: int, j: int) -> str:
    """f(p_j(k)); for the input, x_j(0)."""
    return rf"x^{{(0)}}_{{{j}}}" if k == 0 else rf"f\big({P(k)}_{{{j}}}\big)"


class _Steps:
    """The Step records of a ColumnTrace; `touches` use the row form's picture ids (h21, a21, w211)."""

    def __init__(self, t: ColumnTrace, as_one: bool):
        self.t, self.N, self.as_one = t, t.N, as_one
        self.f = ACTIVATIONS[t.hidden]
        self.steps: list[Step] = []
        self.row_names: list[str] = []
        self.forward()
        self.backward()

    def add(self, row_name: str, *args, **kwargs) -> None:
        self.steps.append(Step(*args, **kwargs))
        self.row_names.append(row_name)

    def eq(self, numbers: str, result: np.ndarray) -> str:
        """numbers = result; on two lines once a matrix is more than four numbers wide."""
        if max(self.t.widths) > 4:
            return rf"\begin{{aligned}} &{numbers} \\ &= {show(result)} \end{{aligned}}"
        return rf"{numbers} = {show(result)}"

    def units(self, k: int) -> tuple[str, ...]:
        return unit_ids(self.t.widths, k)

    def weights(self, k: int) -> tuple[str, ...]:
        return weight_ids(self.t.widths, k)

    def act(self, k: int) -> str:
        return OUTPUT_LATEX[self.t.output] if k == self.N else self.f.latex

    def forward(self) -> None:
        t, N = self.t, self.N
        for k in range(N):
            K = k + 1
            bias = t.b is not None
            formula = rf"{P(K)} = W_{{{k}}}\, {f_of(k)}" + (rf" + {B(k)}" if bias else "")
            numbers = rf"{col(t.W[k])} {col(t.x[k])}" + (rf" + {col(t.b[k])}" if bias else "")
            self.add(f"h{K}", "forward", f"p({K})", formula, self.eq(numbers, t.p[K]), _value(t.p[K]),
                     self.units(k) + self.weights(k) + self.units(K), "deep.p_input" if k == 0 else "deep.p",
                     (("k", str(k)), ("k1", str(K))))
            out = K == N
            f_name = r"f_{out}" if out else "f"
            self.add("y" if out else f"a{K}", "forward", f"x({K})",
                     rf"{X(K)} = {f_name}\big({P(K)}\big) = {self.act(K)}\big({P(K)}\big)",
                     rf"{self.act(K)}\left({show(t.p[K])}\right) = {show(t.x[K])}", _value(t.x[K]),
                     self.units(K), "deep.x_out" if out else "deep.x", (("k", str(K)),))
        self.add("L", "forward", "L", LOSS_LATEX[t.loss_name], self._loss_numbers(), t.loss,
                 ("L",) + self.units(N), f"deep.loss.{t.loss_name}", (("loss", num(t.loss)),))

    def _loss_numbers(self) -> str:
        t = self.t
        y, lab = t.x[-1][:, 0], t.label[:, 0]
        if t.loss_name == "cross_entropy":
            terms = " + ".join(rf"{factor(target)} \log {factor(v)}" for v, target in zip(y, lab))
            return rf"-\left({terms}\right) = {num(t.loss)}"
        squares = " + ".join(rf"({num(v)} - {factor(target)})^2" for v, target in zip(y, lab))
        scale = r"\tfrac{1}{2}" if t.loss_name == "half_sse" else rf"\tfrac{{1}}{{{y.size}}}"
        return rf"{scale}\left[{squares}\right] = {num(t.loss)}"

    def backward(self) -> None:
        t, N = self.t, self.N
        y, lab = t.x[N], t.label
        if t.loss_name == "cross_entropy":
            dx_numbers = rf"-{col(lab)} \oslash {col(y)}"
        else:
            scale = rf"\tfrac{{2}}{{{y.shape[0]}}}" if t.loss_name == "mse" else ""
            dx_numbers = rf"{scale}\left({col(y)} - {col(lab)}\right)"
        self.add("dL/dy", "backward", f"dL/dx({N})", DX_LATEX[t.loss_name], rf"{dx_numbers} = {show(t.dx)}",
                 _value(t.dx), ("L",) + self.units(N), f"deep.dx.{t.loss_name}", (("N", str(N)),))
        self.base_case()
        for k in range(N - 1, -1, -1):
            self.gradients(k)
            if k > 0:
                self.recursion(k)

    def base_case(self) -> None:
        t, N = self.t, self.N
        dx = rf"\frac{{\partial L}}{{\partial {X(N)}}}"
        if self.as_one:
            formula, numbers, kind = rf"{D(N)} = {dx}", show(t.dx), "deep.base.as_one"
        elif t.output == "softmax":
            s = t.x[N]
            J = softmax_jacobian(s[:, 0])
            formula = rf"{D(N)} = J^T {dx}, \quad J = \operatorname{{diag}}\big({X(N)}\big) - {X(N)} {{{X(N)}}}^T"
            numbers = self.eq(rf"{col(J.T)} {col(t.dx)}", t.delta[N])
            kind = "deep.base.softmax"
        else:
            slope = ACTIVATIONS[t.output].df(t.p[N])
            formula = rf"{D(N)} = f_{{out}}'\big({P(N)}\big) \circ {dx}"
            numbers = rf"{col(slope)} \circ {col(t.dx)} = {show(t.delta[N])}"
            kind = f"deep.base.{t.output}"
        self.add(f"dz{N}", "backward", f"delta({N})", formula, numbers, _value(t.delta[N]), self.units(N), kind,
                 (("N", str(N)),))

    def gradients(self, k: int) -> None:
        t, K = self.t, k + 1
        inp = X(0) if k == 0 else rf"f\big({P(k)}\big)"
        self.add(f"dW{K}", "backward", f"dL/dW_{k}",
                 rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = {D(K)}\, {{{inp}}}^T",
                 self.eq(rf"{col(t.delta[K])} {col(t.x[k].T)}", t.dW[k]), _value(t.dW[k]), self.weights(k),
                 "deep.dW", (("k", str(k)), ("k1", str(K)), ("shape", f"{t.widths[K]} \u00d7 {t.widths[k]}")))
        if t.db is not None:
            self.add(f"db{K}", "backward", f"dL/db({k})", rf"\frac{{\partial L}}{{\partial {B(k)}}} = {D(K)}",
                     rf"{show(t.db[k])}", _value(t.db[k]), self.units(K), "deep.db", (("k", str(k)), ("k1", str(K))))

    def recursion(self, k: int) -> None:
        t, f = self.t, self.f
        self.add(f"dz{k}", "backward", f"delta({k})",
                 rf"{D(k)} = \left(W_{{{k}}}^T {D(k + 1)}\right) \circ f'\big({P(k)}\big)",
                 self.eq(rf"\left({col(t.W[k].T)} {col(t.delta[k + 1])}\right) \circ {col(f.df(t.p[k]))}", t.delta[k]),
                 _value(t.delta[k]), self.units(k) + self.weights(k), f"deep.delta.{t.hidden}",
                 (("k", str(k)), ("k1", str(k + 1))))


# -- one weight ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightGradient:
    """dL/dw^{(k)}_{ij} = delta_i(k+1) f(p_j(k)) and dL/db^{(k)}_i = delta_i(k+1), with the note's forward
    recursion (4.1)-(4.2) beside them: dp(m)/dw for m = k+1 .. N, then dL/dw = dL/dx(N)^T (f_out' o dp(N)/dw).

    k, i, j:  the note's indices (k from 0, i and j from 1); our name is w_{k+1,i,j}
    chain:    ((lhs LaTeX, numbers LaTeX, value), ...): each dp(m)/dw of the forward recursion, then dL/dw
    """

    k: int
    i: int
    j: int
    delta: float          # delta_i(k+1)
    f_in: float           # f(p_j(k)), x_j(0) for k = 0
    value: float          # dL/dw
    bias: float | None    # dL/db_i(k), None without biases
    unrolled: str         # the whole derivative unrolled, brackets where they belong, LaTeX
    numbers: str          # delta_i(k+1) f(p_j(k)) with the numbers
    chain: tuple[tuple[str, str, float | np.ndarray], ...]
    touches: tuple[str, ...]

    @property
    def name(self) -> str:
        return rf"w^{{({self.k})}}_{{{sub(self.i, self.j)}}}"

    @property
    def lhs(self) -> str:
        return rf"\frac{{\partial L}}{{\partial {self.name}}}"

    @property
    def bias_lhs(self) -> str:
        return rf"\frac{{\partial L}}{{\partial b^{{({self.k})}}_{{{self.i}}}}}"

    @property
    def backward(self) -> str:
        """delta_i(k+1) f(p_j(k)), LaTeX."""
        return rf"{D(self.k + 1)}_{{{self.i}}}\, {f_at(self.k, self.j)}"

    @property
    def row_id(self) -> str:
        """The same weight in the row form's picture: w_{k+1,i,j}."""
        return f"w{sub(self.k + 1, self.i, self.j)}"


def weights_of(t: ColumnTrace) -> tuple[tuple[int, int, int], ...]:
    """Every (k, i, j) of the network, W_0 first, row by row."""
    return tuple((k, i, j) for k in range(t.N)
                 for i in range(1, t.W[k].shape[0] + 1) for j in range(1, t.W[k].shape[1] + 1))


def unrolled_latex(t: ColumnTrace, k: int, i: int, j: int) -> str:
    """dL/dw^{(k)}_{ij} unrolled: nested brackets, each W_m applied to all that follows it."""
    N = t.N
    dx = rf"\Big(\frac{{\partial L}}{{\partial {X(N)}}}\Big)^T"
    out = r"J" if t.output == "softmax" else rf"\Big[f_{{out}}'\big({P(N)}\big) \circ"
    close = "" if t.output == "softmax" else r"\Big]"
    if k == N - 1:
        return rf"{dx} {out} e_{{{i}}} {close}\, {f_at(k, j)}"
    inner = rf"\left(W_{{{k + 1}}}\right)_{{[:, {i}]}}\, f'\big({P(k + 1)}_{{{i}}}\big)"
    layers = list(range(N - 1, k + 1, -1))          # W_{N-1} .. W_{k+2}
    if len(layers) > 3:                              # keep the formula on one line: first, dots, last
        first, last = layers[0], layers[-1]
        shown = (rf"W_{{{first}}}\big[f'\big({P(first)}\big) \circ \cdots "
                 rf"W_{{{last}}}\big[f'\big({P(last)}\big) \circ ")
        closing = r"\big]\big]"
    else:
        shown = "".join(rf"W_{{{m}}}\big[f'\big({P(m)}\big) \circ " for m in layers)
        closing = r"\big]" * len(layers)
    return rf"{dx} {out} {shown}{inner}{closing} {close}\, {f_at(k, j)}"


def weight_gradient(t: ColumnTrace, k: int, i: int, j: int) -> WeightGradient:
    """One weight's derivative, both ways: backward delta_i(k+1) f(p_j(k)), forward through (4.1)-(4.2).
    The forward recursion's dp(m)/dw can overflow where the backward product does not: refused in words."""
    N = t.N
    if not (0 <= k < N and 1 <= i <= t.W[k].shape[0] and 1 <= j <= t.W[k].shape[1]):
        raise ValueError(f"no weight w^({k})_{i}{j} in a network of widths {t.widths}")
    with np.errstate(over="ignore", invalid="ignore"):
        return _weight_gradient(t, k, i, j)


def _weight_gradient(t: ColumnTrace, k: int, i: int, j: int) -> WeightGradient:
    N, finite = t.N, validation.finite_result
    f = ACTIVATIONS[t.hidden]
    f_in = float(t.x[k][j - 1, 0])
    delta = float(t.delta[k + 1][i - 1, 0])
    value = delta * f_in
    # forward recursion: dp(k+1)/dw = e_i f(p_j(k)); dp(m+1)/dw = W_m (f'(p(m)) o dp(m)/dw)
    s = np.zeros((t.widths[k + 1], 1))
    s[i - 1, 0] = f_in
    w = rf"\partial w^{{({k})}}_{{{sub(i, j)}}}"
    chain = [(rf"\frac{{\partial {P(k + 1)}}}{{{w}}} = e_{{{i}}}\, {f_at(k, j)}",
              _flat(s), _value(readonly(s)))]
    for m in range(k + 1, N):
        s = finite(f"dp({m + 1})/dw", t.W[m] @ (f.df(t.p[m]) * s))
        chain.append((rf"\frac{{\partial {P(m + 1)}}}{{{w}}} = "
                      rf"W_{{{m}}}\Big(f'\big({P(m)}\big) \circ \frac{{\partial {P(m)}}}{{{w}}}\Big)",
                      _flat(s), _value(readonly(s))))
    dx_T = rf"\Big(\frac{{\partial L}}{{\partial {X(N)}}}\Big)^T"
    if t.output == "softmax":
        J = softmax_jacobian(t.x[N][:, 0])
        end = float((t.dx.T @ J @ s).item())
        lhs = rf"\frac{{\partial L}}{{{w}}} = {dx_T} J \frac{{\partial {P(N)}}}{{{w}}}"
    else:
        end = float((t.dx.T @ (ACTIVATIONS[t.output].df(t.p[N]) * s)).item())
        lhs = (rf"\frac{{\partial L}}{{{w}}} = "
               rf"{dx_T} \Big(f_{{out}}'\big({P(N)}\big) \circ \frac{{\partial {P(N)}}}{{{w}}}\Big)")
    chain.append((lhs, num(end), finite("dL/dw by the forward recursion", end)))
    touches = (f"w{sub(k + 1, i, j)}", unit_ids(t.widths, k)[j - 1], f"h{sub(k + 1, i)}") + tuple(
        u for m in range(k + 1, N + 1) for u in unit_ids(t.widths, m)) + ("L",)
    return WeightGradient(
        k=k, i=i, j=j, delta=delta, f_in=f_in, value=value,
        bias=None if t.db is None else float(t.db[k][i - 1, 0]),
        unrolled=unrolled_latex(t, k, i, j),
        numbers=rf"{factor(delta)} \cdot {factor(f_in)}",
        chain=tuple(chain), touches=tuple(dict.fromkeys(touches)),
    )


# -- gradients per layer ------------------------------------------------------------------------------
def gradient_norms(net: Network, x, label) -> tuple[float, ...]:
    """|dL/dW_k| (Frobenius) for k = 0 .. N-1, the note's order: W_0 is next to the input."""
    t = column_backprop(net, x, label, steps=False)
    return tuple(_norm(f"|dL/dW_{k}|", g) for k, g in enumerate(t.dW))


def _norm(what: str, g: np.ndarray) -> float:
    """The Frobenius norm, scaled by the largest entry first: the sum of squares overflows from 1.3e154 on."""
    top = float(np.abs(g).max())
    if top == 0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(validation.finite_result(what, top * np.linalg.norm(g / top)))


def dead_layers(net: Network, x, label) -> tuple[int, ...]:
    """Layers k (1 .. N) whose activation passes no gradient at all: every slope f'(p(k)) is 0 (ReLUs all
    off), or, for the output layer N, f_out is saturated so that its slope (its Jacobian) is 0 in float64."""
    t = column_backprop(net, x, label, steps=False)
    df = ACTIVATIONS[t.hidden].df
    dead = [k for k in range(1, t.N) if not np.any(df(t.p[k]))]
    s = t.x[t.N]
    out_slope = softmax_jacobian(s[:, 0]) if t.output == "softmax" else ACTIVATIONS[t.output].df(t.p[t.N])
    if not net.output_grad_as_one and not np.any(out_slope):
        dead.append(t.N)
    return tuple(dead)


def gradient_check(net: Network, x, label) -> tuple[gradcheck.Check, ...]:
    """Each entry of every dL/dW_k and dL/db(k), as the column form computes it, beside the central finite
    difference of the loss; named as the note does: w(k)ij for w^{(k)}_{ij}, b(k)i for b^{(k)}_i."""
    t = column_backprop(net, x, label, steps=False)
    params, grads, where = {}, {}, {}
    for k in range(t.N):
        for i in range(1, t.W[k].shape[0] + 1):
            for j in range(1, t.W[k].shape[1] + 1):
                name = f"w({k}){sub(i, j)}"
                params[name], grads[name], where[name] = t.W[k][i - 1, j - 1], t.dW[k][i - 1, j - 1], (k, i, j)
        for i in range(1, t.W[k].shape[0] + 1) if t.b is not None else ():
            name = f"b({k}){i}"
            params[name], grads[name], where[name] = t.b[k][i - 1, 0], t.db[k][i - 1, 0], (k, i, None)

    def loss(values: dict[str, float]) -> float:
        weights = [np.array(W) for W in net.weights]          # ours: the note's w^(k)_ij at row j, column i
        biases = None if net.biases is None else [np.array(b) for b in net.biases]
        for name, (k, i, j) in where.items():
            if j is None:
                biases[k][i - 1] = values[name]
            else:
                weights[k][j - 1, i - 1] = values[name]
        return net.replace(weights=weights, biases=biases).loss_value(x, label)

    return gradcheck.check(params, loss, grads)


# -- the note's slips ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slip:
    """What note 004 wrote beside what is right, with the number each gives on the current example.

    kind:   catalogue key suffix of the explanation
    wrote_value: None where the note's reading cannot be evaluated (`info` then says why)
    check:  the right value again, by central finite differences (None where not computed)
    """

    kind: str
    wrote: str
    right: str
    wrote_value: float | np.ndarray | None
    right_value: float | np.ndarray
    check: float | np.ndarray | None = None
    info: tuple[tuple[str, str], ...] = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.info)


def note_slips(t: ColumnTrace, k: int, i: int, j: int) -> tuple[Slip, Slip]:
    """The note's two slips on this example; the second for the weight w^{(k)}_{ij}. A number either reading
    gives that overflows is refused in words."""
    with np.errstate(over="ignore", invalid="ignore"):
        slips = _inside_slip(t), _unrolled_slip(t, k, i, j)
    for slip in slips:
        for name, value in (("wrote", slip.wrote_value), ("right", slip.right_value), ("check", slip.check)):
            if value is not None:
                validation.finite_result(f"the note's slip ({slip.kind}, {name})", np.asarray(value))
    return slips


def _inside_slip(t: ColumnTrace, i: int = 1) -> Slip:
    """Section 2: d/dx_i f(W g(x) + b) written as f'(W d/dx_i g(x)); it is f'(W g(x) + b) o W[:, i] g'(x_i).

    Evaluated with the example's W_0, b(0) and input x, and f = g = the hidden activation.
    """
    act = ACTIVATIONS[t.hidden]
    W, x = t.W[0], t.x[0]
    b = 0.0 if t.b is None else t.b[0]
    column = W[:, [i - 1]] * act.df(x[i - 1, 0])

    def F(v: np.ndarray) -> np.ndarray:
        return act.f(W @ act.f(v) + b)

    eps = 1e-6
    e = np.zeros_like(x)
    e[i - 1, 0] = eps
    check = (F(x + e) - F(x - e)) / (2 * eps)
    bias = " + b" if t.b is not None else ""
    return Slip(
        kind="inside",
        wrote=rf"\partial_{{x_{{{i}}}}} f\big(W g(x){bias}\big) = f'\big(W_{{[:, {i}]}}\, g'(x_{{{i}}})\big)",
        right=(rf"\partial_{{x_{{{i}}}}} f\big(W g(x){bias}\big) = "
               rf"f'\big(W g(x){bias}\big) \circ W_{{[:, {i}]}}\, g'(x_{{{i}}})"),
        wrote_value=_value(readonly(act.df(column))),
        right_value=_value(readonly(act.df(W @ act.f(x) + b) * column)),
        check=_value(readonly(check)),
        info=(("i", str(i)),),
    )


def _unrolled_slip(t: ColumnTrace, k: int, i: int, j: int) -> Slip:
    """Section 5's unrolled product read as written: each W_m f'(p(m)) a matrix times a vector, the
    vectors joined by the Hadamard product left to right, then the dot product with dL/dx(N)."""
    N, f = t.N, ACTIVATIONS[t.hidden]
    g = weight_gradient(t, k, i, j)
    f_in = g.f_in
    # as the note writes it: dL/dx(N)^T f_out'(p(N)) o W_{N-1} f'(p(N-1)) o ... o (W_{k+1})[:, i] f'(p_i(k+1)) f(p_j(k))
    terms = [rf"W_{{{m}}} f'\big({P(m)}\big)" for m in range(N - 1, k + 1, -1)]
    if len(terms) > 3:
        terms = [terms[0], r"\cdots", terms[-1]]
    last = (rf"e_{{{i}}}" if k == N - 1 else
            rf"\left(W_{{{k + 1}}}\right)_{{[:, {i}]}} f'\big({P(k + 1)}_{{{i}}}\big)") + rf" f\big({P(k)}_{{{j}}}\big)"
    wrote = rf"\Big(\frac{{\partial L}}{{\partial {X(N)}}}\Big)^T " + r" \circ ".join(
        [rf"f_{{out}}'\big({P(N)}\big)"] + terms + [last])
    if k + 1 < N:
        how = rf"{D(k + 1)} = \left(W_{{{k + 1}}}^T {D(k + 2)}\right) \circ f'\big({P(k + 1)}\big)"
    elif t.output == "softmax":
        how = rf"{D(N)} = J^T \frac{{\partial L}}{{\partial {X(N)}}}"
    else:
        how = rf"{D(N)} = f_{{out}}'\big({P(N)}\big) \circ \frac{{\partial L}}{{\partial {X(N)}}}"
    right = rf"{how} \quad\Rightarrow\quad {D(k + 1)}_{{{i}}}\, {f_at(k, j)}"
    info = [("k", str(k)), ("i", str(i)), ("j", str(j))]
    value = None
    if t.output == "softmax":   # the note takes f_out element-wise; softmax has no f_out' to multiply by
        info.append(("why", "softmax"))
    else:
        v = ACTIVATIONS[t.output].df(t.p[N])[:, 0]
        for m in range(N - 1, k + 1, -1):
            u = (t.W[m] @ f.df(t.p[m]))[:, 0]
            if u.size != v.size:
                info += [("why", "shapes"), ("left", str(v.size)), ("right", str(u.size)), ("m", str(m))]
                break
            v = v * u
        else:
            if k == N - 1:
                last = np.zeros(t.widths[N])
                last[i - 1] = f_in
                m = N
            else:
                last = t.W[k + 1][:, i - 1] * f.df(t.p[k + 1][i - 1, 0]) * f_in
                m = k + 1
            if last.size != v.size:
                info += [("why", "shapes"), ("left", str(v.size)), ("right", str(last.size)), ("m", str(m))]
            else:
                value = float(t.dx[:, 0] @ (v * last))
    return Slip(kind="unrolled", wrote=wrote, right=right, wrote_value=value, right_value=g.value,
                check=None, info=tuple(info))

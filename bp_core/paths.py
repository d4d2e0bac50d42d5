"""One weight's chain rule written out, the notes' slips with their numbers, and the notes' shortcut.

- weight_path: dL/dw_kji as the notes write it, a_{k-1,i} f'(h_kj) (sum over every path to the output),
  symbolic and with numbers; its value is computed along the paths, independently of the matrix
  products of Network.backprop, so the two check each other.
- notes_slips: for the steps where notes 000/001 slip, what the note wrote and what is right, with the
  numbers each gives on the current example.
- shortcut_gap: every dW with the exact output Jacobian beside dW with the notes' "derivative taken as 1".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .step import factor, readonly, sub


@dataclass(frozen=True)
class WeightPath:
    """dL/dw_kji along every chain-rule path from the weight to the loss.

    weight:   LaTeX name, w_{211}
    symbolic: the product in symbols: a_{11} \\cdot ReLU'(h_{21}) \\cdot (w_{311} dz_{31} + w_{321} dz_{32})
    numbers:  the same product with the example's numbers
    symbolic_lines, numbers_lines: the same, broken before each path of the first split ("+ ..."), for a
              display that would be too wide on one line
    value:    its value, computed along the paths
    touches:  picture ids of every edge and node on those paths, the weight first
    stopped:  ids of the units on the paths whose activation slope is 0 (a ReLU that is off): every path
              through them contributes 0
    """

    k: int
    j: int
    i: int
    weight: str
    symbolic: str
    numbers: str
    value: float
    touches: tuple[str, ...]
    stopped: tuple[str, ...] = ()
    symbolic_lines: tuple[str, ...] = ()
    numbers_lines: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.touches[0]

    @property
    def lhs(self) -> str:
        return rf"\frac{{\partial L}}{{\partial {self.weight}}}"


@dataclass(frozen=True)
class _Term:
    symbolic: str
    numbers: str
    value: float
    ids: tuple[str, ...]
    stopped: tuple[str, ...] = ()
    # the first split, kept apart for line breaks: head * (terms[0] + terms[1] + ...)
    head: tuple[str, str] = ("", "")
    terms: tuple[tuple[str, str], ...] = ()


class _Names:
    """The notes' names of a network's quantities, LaTeX and picture ids (as network_steps writes them)."""

    def __init__(self, net):
        self.net, self.N, self.chain = net, net.depth, net.is_chain

    def idx(self, *i: int) -> str:
        return "" if self.chain else sub(*i)

    def node(self, k: int, i: int) -> str:
        """LaTeX of unit i of layer k's activation: x_i, a_{ki}, y_i."""
        if k == 0:
            return "x" if self.chain else f"x_{{{i}}}"
        if k == self.N:
            return "y" if self.chain else f"y_{{{i}}}"
        return f"a_{{{k}{self.idx(i)}}}"

    def h(self, k: int, j: int) -> str:
        return f"h_{{{k}{self.idx(j)}}}"

    def w(self, k: int, j: int, i: int) -> str:
        return f"w_{{{k}{self.idx(j, i)}}}"

    def dz(self, k: int, j: int) -> str:
        return f"dz_{{{k}{self.idx(j)}}}"

    def node_ids(self, k: int, i: int) -> tuple[str, ...]:
        s = self.idx(i)
        if k == 0:
            return (f"x{s}",)
        if k == self.N:
            return (f"y{s}", f"h{k}{s}")
        return (f"a{k}{s}", f"h{k}{s}")

    def w_id(self, k: int, j: int, i: int) -> str:
        return f"w{k}{self.idx(j, i)}"


def _product(*parts: str) -> str:
    return r" \cdot ".join(parts)


def _single(trace) -> None:
    if trace.x.shape[0] != 1:
        raise ValueError(f"paths are written for one sample; got a batch of {trace.x.shape[0]}")


def _delta(net, trace, names: _Names, k: int, j: int) -> _Term:
    """dL/dh_kj: dz_Nj at the output; below it f'(h_kj) times the sum over the units m it feeds of
    w_{k+1,m,j} dL/dh_{k+1,m}."""
    N = net.depth
    if k == N:
        value = float(trace.dz[-1][0, j - 1])
        ids = names.node_ids(N, j)
        if net.output == "softmax" and not net.output_grad_as_one:
            # every y_m depends on h_Nj through the softmax
            ids = ids + tuple(i for m in range(1, net.widths[N] + 1) for i in names.node_ids(N, m))
        return _Term(names.dz(N, j), factor(value), value, ids + ("L",))
    f = ACTIVATIONS[net.hidden]
    slope = float(f.df(trace.h[k - 1][0, j - 1]))
    W = net.weights[k]  # W_{k+1}: w_{k+1,m,j} at row j, column m
    sym, nums, total, ids = [], [], 0.0, list(names.node_ids(k, j))
    stopped = [f"h{k}{names.idx(j)}"] if slope == 0 else []
    for m in range(1, W.shape[1] + 1):
        w = float(W[j - 1, m - 1])
        below = _delta(net, trace, names, k + 1, m)
        sym.append(_product(names.w(k + 1, m, j), below.symbolic))
        nums.append(_product(factor(w), below.numbers))
        total += w * below.value
        ids += [names.w_id(k + 1, m, j), *below.ids]
        stopped += below.stopped
    many = len(sym) > 1
    inner_sym, inner_num = " + ".join(sym), " + ".join(nums)
    if many:
        inner_sym, inner_num = rf"\left({inner_sym}\right)", rf"\left({inner_num}\right)"
    head = (rf"{f.latex}'({names.h(k, j)})", factor(slope))
    return _Term(
        _product(head[0], inner_sym),
        _product(head[1], inner_num),
        slope * total,
        tuple(dict.fromkeys(ids)),
        tuple(dict.fromkeys(stopped)),
        head,
        tuple(zip(sym, nums)) if many else (),
    )


def _lines(first: str, head: str, terms: list[str], whole: str) -> tuple[str, ...]:
    """first * head * (t1 + t2 + ...) with a line break before each "+"; one line when nothing splits."""
    if not terms:
        return (_product(first, whole),)
    lines = [_product(first, head, rf"\big({terms[0]}")] + [f"+ {term}" for term in terms[1:]]
    lines[-1] += r"\big)"
    return tuple(lines)


def weight_path(net, trace, k: int, j: int, i: int) -> WeightPath:
    """dL/dw_kji = a_{k-1,i} * dL/dh_kj, with dL/dh_kj written out over every path to the output."""
    _single(trace)
    if not (1 <= k <= net.depth and 1 <= i <= net.widths[k - 1] and 1 <= j <= net.widths[k]):
        raise ValueError(f"no weight w_{k}{j}{i} in a network of widths {net.widths}")
    names = _Names(net)
    a = float(trace.a[k - 1][0, i - 1])
    delta = _delta(net, trace, names, k, j)
    ids = (names.w_id(k, j, i),) + names.node_ids(k - 1, i) + delta.ids
    a_sym, a_num = names.node(k - 1, i), factor(a)
    return WeightPath(
        k=k, j=j, i=i, weight=names.w(k, j, i),
        symbolic=_product(a_sym, delta.symbolic),
        numbers=_product(a_num, delta.numbers),
        value=a * delta.value,
        touches=tuple(dict.fromkeys(ids)),
        stopped=delta.stopped,
        symbolic_lines=_lines(a_sym, delta.head[0], [t for t, _ in delta.terms], delta.symbolic),
        numbers_lines=_lines(a_num, delta.head[1], [n for _, n in delta.terms], delta.numbers),
    )


def all_paths(net, trace) -> dict[str, WeightPath]:
    """Every weight's path, keyed by its picture id ("w211"), W_1 first, j outer and i inner."""
    out = {}
    for k, W in enumerate(net.weights, start=1):
        for j in range(1, W.shape[1] + 1):
            for i in range(1, W.shape[0] + 1):
                path = weight_path(net, trace, k, j, i)
                out[path.id] = path
    return out


# -- the notes' slips --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slip:
    """Where a note slips: what it wrote, what is right, and the numbers each gives (None: symbols only).

    kind names the catalogue sentence that explains it.
    """

    step: str
    kind: str
    wrote: str
    right: str
    wrote_value: float | np.ndarray | None = None
    right_value: float | np.ndarray | None = None


def _v(arr) -> float | np.ndarray:
    arr = np.asarray(arr, dtype=float)
    return float(arr.item()) if arr.size == 1 else readonly(arr)


def _d(top: str, var: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {var}}}"


def notes_slips(net, trace) -> dict[str, Slip]:
    """The slips of notes 000/001 that apply to this network, keyed by the name of the step they belong to."""
    _single(trace)
    out: dict[str, Slip] = {}
    N, widths = net.depth, net.widths
    y, lab = trace.y[0], trace.label[0]
    n, dy = y.size, _d("L", "y")
    two = "2" if n == 1 else rf"\tfrac{{2}}{{{n}}}"
    mse, delta = rf"{dy} = {two}(y - y^{{label}})", rf"{dy} = y - y^{{label}}"
    # the notes differentiate the mean squared error, then continue with y - label
    if net.loss == "mse":
        out["dL/dy"] = Slip("dL/dy", "dy_mse", delta, mse, _v(y - lab), _v(trace.dy[0]))
    elif net.loss == "half_sse":
        out["dL/dy"] = Slip("dL/dy", "dy_half_sse", mse, delta, _v(2.0 * (y - lab) / n), _v(trace.dy[0]))
    if net.is_chain:
        # note 001 writes dL/dw3 = dL/dw3 * dy/dh3 * dL/dy
        rest = f"{_d('y', f'h_{{{N}}}')} {_d('L', 'y')}"
        out[f"dL/dw{N}"] = Slip(f"dL/dw{N}", "chain_first_factor", f"{_d('L', f'w_{{{N}}}')} {rest}",
                                f"{_d(f'h_{{{N}}}', f'w_{{{N}}}')} {rest}")
        return out
    if widths[0] >= 2 and widths[1] >= 2:
        # h12 = x1 w21 + x2 w12 in the notes' two-index names: the second weight should be w22
        W1, x = net.weights[0], trace.x[0]
        out["h1"] = Slip("h1", "h12", r"h_{12} = x_1 w_{121} + x_2 w_{112}", r"h_{12} = x_1 w_{121} + x_2 w_{122}",
                         _v(x[0] * W1[0, 1] + x[1] * W1[1, 0]), _v(trace.h[0][0, 1]))
    if net.output != "identity" or net.output_grad_as_one:
        # "assume the derivative of softmax is a constant 1": dz_N = dL/dy
        out[f"dz{N}"] = Slip(f"dz{N}", "softmax_as_one", rf"dz_{{{N}}} = {dy}",
                             rf"dz_{{{N}}} = {dy} {_d('y', f'h_{{{N}}}')}", _v(trace.dy[0]), _v(trace.dz[-1][0]))
    if widths[N - 1] >= 2 and widths[N] >= 2:
        # dw322 = a22 dy1 (in the list and in the matrix): w322 feeds y2
        a, dw, a22 = trace.a[N - 1][0], sub(N, 2, 2), f"a_{{{sub(N - 1, 2)}}}"
        out[f"dL/dw{dw}"] = Slip(f"dL/dw{dw}", "dw322", rf"dw_{{{dw}}} = {a22} \Delta y_1",
                                 rf"dw_{{{dw}}} = {a22} \Delta y_2",
                                 _v(a[1] * (y[0] - lab[0])), _v(a[1] * (y[1] - lab[1])))
        if N >= 2:
            # note 000 writes dy2/da32 inside dL/da22
            out[f"dL/da{N - 1}"] = Slip(f"dL/da{N - 1}", "da_dy_da", _d("y_2", f"a_{{{sub(N, 2)}}}"),
                                        _d("y_2", f"h_{{{sub(N, 2)}}}"))
    if N >= 2:
        # note 001 ends with dW1 = A1^T dz1; layer 1's input is x
        a1, x, dz1 = trace.a[1], trace.x, trace.dz[0]
        wrote = _v(a1.T @ dz1) if a1.shape[1] == x.shape[1] else None
        out["dW1"] = Slip("dW1", "dW1_input", r"dW_1 = A_1^T dz_1", r"dW_1 = X^T dz_1", wrote, _v(x.T @ dz1))
    return out


# -- the notes' shortcut: the output activation's derivative taken as 1 ---------------------------------
@dataclass(frozen=True)
class ShortcutGap:
    """dW with the exact output Jacobian, with the notes' "derivative taken as 1", and their difference."""

    dz_exact: np.ndarray
    dz_as_one: np.ndarray
    exact: tuple[np.ndarray, ...]
    as_one: tuple[np.ndarray, ...]
    difference: tuple[np.ndarray, ...]   # as_one - exact

    @property
    def largest(self) -> float:
        """The largest change of any one gradient entry."""
        return max(float(np.abs(d).max()) for d in self.difference)


def shortcut_gap(net, x, label) -> ShortcutGap:
    exact = net.replace(output_grad_as_one=False).backprop(x, label, steps=False)
    as_one = net.replace(output_grad_as_one=True).backprop(x, label, steps=False)
    return ShortcutGap(
        dz_exact=exact.dz[-1], dz_as_one=as_one.dz[-1], exact=exact.dW, as_one=as_one.dW,
        difference=tuple(readonly(s - e) for s, e in zip(as_one.dW, exact.dW)),
    )

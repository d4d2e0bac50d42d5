"""The Step records of a network's worked example, in the notes' notation.

Two views of one trace:
- a single-node chain (every width 1) is written as the notes write it: scalars h_k, a_k, w_k, and each
  dL/dw_k as its whole chain-rule product a_{k-1} A'(h_k) w_{k+1} ... [dy/dh_N] dL/dy;
- any other network goes layer by layer in matrix form (dW_k = a_{k-1}^T dz_k,
  dz_k = dz_{k+1} W_{k+1}^T diag(f'(h_k))), preceded, for one sample, by each output weight's own product.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from .activations import ACTIVATIONS
from .softmax import softmax_jacobian
from .step import Step, factor, matrix, num, readonly, sub

if TYPE_CHECKING:
    from .network import Network, Trace

OUTPUT_LATEX = MappingProxyType({
    "identity": r"\operatorname{id}", "sigmoid": r"\sigma", "softmax": r"\operatorname{softmax}",
})
LOSS_LATEX = MappingProxyType({
    "half_sse": r"L = \tfrac{1}{2} \sum_j (y_j - y_j^{label})^2",
    "mse": r"L = \tfrac{1}{n} \sum_j (y_j - y_j^{label})^2",
    "cross_entropy": r"L = -\sum_j y_j^{label} \log y_j",
})
DY_LATEX = MappingProxyType({
    "half_sse": r"\frac{\partial L}{\partial y} = y - y^{label}",
    "mse": r"\frac{\partial L}{\partial y} = \tfrac{2}{n} (y - y^{label})",
    "cross_entropy": r"\frac{\partial L}{\partial y_j} = -\frac{y_j^{label}}{y_j}",
})


def build_steps(net: Network, trace: Trace) -> tuple[Step, ...]:
    view = _Chain(net, trace) if net.is_chain and trace.x.shape[0] == 1 else _Matrix(net, trace)
    return tuple(view.forward() + view.backward() + view.update())


def term(arr: np.ndarray) -> str:
    """A quantity inside a formula: a scalar as a factor, anything larger as a pmatrix."""
    arr = np.asarray(arr)
    return factor(arr.item()) if arr.size == 1 else matrix(arr)


def times(*arrs: np.ndarray) -> str:
    """A product of quantities: scalars joined by a dot, matrices side by side."""
    scalar = all(np.asarray(x).size == 1 for x in arrs)
    return (r" \cdot " if scalar else " ").join(term(x) for x in arrs)


def show(arr: np.ndarray) -> str:
    arr = np.asarray(arr)
    return num(arr.item()) if arr.size == 1 else matrix(arr)


class _View:
    """What both views share: the forward pass, the loss, dL/dy and the update."""

    h_kind = "forward.h"  # the sentence that explains h_k

    def __init__(self, net: Network, trace: Trace):
        self.net, self.t = net, trace
        self.N = net.depth
        self.batch = trace.x.shape[0]
        self.f = ACTIVATIONS[net.hidden]

    # names of layer quantities, overridden by the chain view
    def W(self, k: int) -> str:
        return f"W_{{{k}}}"

    def a(self, k: int) -> str:
        """LaTeX of layer k's activation: a_0 is x and a_N is y."""
        return "x" if k == 0 else "y" if k == self.N else f"a_{{{k}}}"

    def node_ids(self, k: int) -> tuple[str, ...]:
        n = self.net.widths[k]
        if k == 0:
            return tuple(f"x{sub(i)}" for i in range(1, n + 1))
        if k == self.N:
            return tuple(f"y{sub(j)}" for j in range(1, n + 1)) + tuple(f"h{sub(k, j)}" for j in range(1, n + 1))
        return tuple(f"a{sub(k, j)}" for j in range(1, n + 1)) + tuple(f"h{sub(k, j)}" for j in range(1, n + 1))

    def weight_ids(self, k: int) -> tuple[str, ...]:
        n_in, n_out = self.net.weights[k - 1].shape
        return tuple(f"w{sub(k, j, i)}" for j in range(1, n_out + 1) for i in range(1, n_in + 1))

    def act_latex(self, k: int) -> str:
        return OUTPUT_LATEX[self.net.output] if k == self.N else self.f.latex

    def forward(self) -> list[Step]:
        net, t, steps = self.net, self.t, []
        for k in range(1, self.N + 1):
            bias = net.biases is not None
            formula = rf"h_{{{k}}} = {self.a(k - 1)} {self.W(k)}" + (rf" + b_{{{k}}}" if bias else "")
            numbers = times(t.a[k - 1], net.weights[k - 1])
            if bias:
                numbers += " + " + term(net.biases[k - 1])
            steps.append(Step(
                "forward", f"h{k}", formula, f"{numbers} = {show(t.h[k - 1])}", self._v(t.h[k - 1]),
                self.node_ids(k - 1) + self.weight_ids(k) + self.node_ids(k), self.h_kind, (("k", str(k)),),
            ))
            name = "y" if k == self.N else f"a{k}"
            steps.append(Step(
                "forward", name, rf"{self.a(k)} = {self.act_latex(k)}(h_{{{k}}})",
                rf"{self.act_latex(k)}\left({show(t.h[k - 1])}\right) = {show(t.a[k])}", self._v(t.a[k]),
                self.node_ids(k), "forward.y" if k == self.N else "forward.a", (("k", str(k)),),
            ))
        steps.append(Step(
            "forward", "L", LOSS_LATEX[net.loss], self._loss_numbers(), float(t.loss), ("L",) + self.node_ids(self.N),
            f"forward.loss.{net.loss}", (("loss", num(t.loss)),),
        ))
        return steps

    def _loss_numbers(self) -> str:
        t, y, lab = self.t, self.t.y, self.t.label
        if self.batch > 1:
            return rf"\tfrac{{1}}{{{self.batch}}} \sum_b L_b = {num(t.loss)}"
        y, lab = y[0], lab[0]
        if self.net.loss == "cross_entropy":
            terms = " + ".join(rf"{factor(target)} \log {factor(v)}" for v, target in zip(y, lab))
            return rf"-\left({terms}\right) = {num(t.loss)}"
        squares = " + ".join(rf"({num(v)} - {factor(target)})^2" for v, target in zip(y, lab))
        scale = r"\tfrac{1}{2}" if self.net.loss == "half_sse" else rf"\tfrac{{1}}{{{y.size}}}"
        return rf"{scale}\left[{squares}\right] = {num(t.loss)}"

    def dy_step(self) -> Step:
        t, loss = self.t, self.net.loss
        per_batch = rf"\tfrac{{1}}{{{self.batch}}}" if self.batch > 1 else ""
        if loss == "cross_entropy":
            numbers = rf"-{per_batch}{term(t.label)} \oslash {term(t.y)}"
        else:
            scale = rf"\tfrac{{2}}{{{t.y.shape[1]}}}" if loss == "mse" else ""
            numbers = rf"{per_batch}{scale}\left({term(t.y)} - {term(t.label)}\right)"
        formula = DY_LATEX[loss] + (r"\quad \text{(averaged over the batch)}" if self.batch > 1 else "")
        return Step("backward", "dL/dy", formula, f"{numbers} = {show(t.dy)}", self._v(t.dy),
                    ("L",) + self.node_ids(self.N), f"backward.dy.{loss}")

    def update(self) -> list[Step]:
        net, t, steps = self.net, self.t, []
        if t.updated is None:
            return steps
        eta = num(t.lr)
        for k in range(1, self.N + 1):
            W, g, new = net.weights[k - 1], t.dW[k - 1], t.updated.weights[k - 1]
            grad = self.grad_name(k)
            steps.append(Step(
                "update", f"{self.param_name(k)}*", rf"{self.W(k)}^* = {self.W(k)} - \eta\, {grad}",
                rf"{show(W)} - {eta} \cdot {term(g)} = {show(new)}", self._v(new), self.weight_ids(k),
                "update.W", (("k", str(k)), ("lr", eta)),
            ))
            if net.biases is not None:
                b, gb, newb = net.biases[k - 1], t.db[k - 1], t.updated.biases[k - 1]
                steps.append(Step(
                    "update", f"b{k}*", rf"b_{{{k}}}^* = b_{{{k}}} - \eta\, {self.bias_grad_name(k)}",
                    rf"{show(b)} - {eta} \cdot {term(gb)} = {show(newb)}", self._v(newb), self.node_ids(k),
                    "update.b", (("k", str(k)), ("lr", eta)),
                ))
        steps.append(Step(
            "update", "L*", r"L^* = L(W^*)", rf"{num(t.loss)} \to {num(t.loss_after)}", float(t.loss_after),
            ("L",), "update.loss", (("before", num(t.loss)), ("after", num(t.loss_after))),
        ))
        return steps

    def param_name(self, k: int) -> str:
        return f"W{k}"

    def grad_name(self, k: int) -> str:
        return rf"dW_{{{k}}}"

    def bias_grad_name(self, k: int) -> str:
        return rf"db_{{{k}}}"

    @staticmethod
    def _v(arr: np.ndarray) -> float | np.ndarray:
        return float(arr.item()) if arr.size == 1 else readonly(arr)


class _Matrix(_View):
    def backward(self) -> list[Step]:
        net, t, N = self.net, self.t, self.N
        steps = [self.dy_step(), self._dz_out()]
        if self.batch == 1:
            steps += self._output_weights()
        for k in range(N, 0, -1):
            if k < N:
                steps += self._hidden_dz(k)
            a_prev = self.a(k - 1)
            steps.append(Step(
                "backward", f"dW{k}", rf"dW_{{{k}}} = {a_prev}^T dz_{{{k}}}",
                rf"{times(t.a[k - 1].T, t.dz[k - 1])} = {show(t.dW[k - 1])}", self._v(t.dW[k - 1]),
                self.weight_ids(k), "backward.dW",
                (("k", str(k)), ("shape", f"{net.widths[k - 1]} \u00d7 {net.widths[k]}")),
            ))
            if net.biases is not None:
                formula = rf"db_{{{k}}} = " + (rf"\sum_b dz_{{{k}}}" if self.batch > 1 else rf"dz_{{{k}}}")
                steps.append(Step(
                    "backward", f"db{k}", formula, show(t.db[k - 1]), self._v(t.db[k - 1]),
                    self.node_ids(k), "backward.db", (("k", str(k)),),
                ))
        return steps

    def _dz_out(self) -> Step:
        net, t, N = self.net, self.t, self.N
        dz = t.dz[-1]
        dy, h, y = t.dy, t.h[-1], t.y
        if net.output_grad_as_one:
            formula = (rf"dz_{{{N}}} = \frac{{\partial L}}{{\partial y}} "
                       rf"\quad (\tfrac{{\partial y}}{{\partial h_{{{N}}}}} \text{{ taken as }} 1)")
            numbers = show(dz)
            kind = "backward.dz_out.as_one"
        elif net.output == "softmax" and net.loss == "cross_entropy":
            per_batch = rf"\tfrac{{1}}{{{self.batch}}}" if self.batch > 1 else ""
            if np.allclose(t.label.sum(axis=1), 1.0):
                formula = rf"dz_{{{N}}} = {per_batch}(y - y^{{label}})"
                numbers = rf"{term(y)} - {term(t.label)} = {show(dz)}" if self.batch == 1 else show(dz)
            else:  # labels that are not a distribution: the general collapse
                formula = rf"dz_{{{N}}} = {per_batch}\left(y \textstyle\sum_j y_j^{{label}} - y^{{label}}\right)"
                numbers = show(dz)
            kind = "backward.dz_out.softmax_ce"
        elif net.output == "softmax":
            formula = (rf"dz_{{{N}}} = \frac{{\partial L}}{{\partial y}} J, "
                       rf"\quad J_{{jk}} = \frac{{\partial y_j}}{{\partial h_{{{N}k}}}} = y_j(\delta_{{jk}} - y_k)")
            numbers = (rf"{term(dy)} {matrix(softmax_jacobian(y[0]))} = {show(dz)}" if self.batch == 1 else show(dz))
            kind = "backward.dz_out.softmax"
        else:
            dact = ACTIVATIONS[net.output].df(h)
            formula = rf"dz_{{{N}}} = \frac{{\partial L}}{{\partial y}} \odot {OUTPUT_LATEX[net.output]}'(h_{{{N}}})"
            numbers = rf"{term(dy)} \odot {term(dact)} = {show(dz)}"
            kind = f"backward.dz_out.{net.output}"
        return Step("backward", f"dz{N}", formula, numbers, self._v(dz), self.node_ids(N), kind, (("k", str(N)),))

    def _output_weights(self) -> list[Step]:
        """dL/dw_Nji for each output weight, as the notes write them: j outer, i inner."""
        net, t, N = self.net, self.t, self.N
        steps = []
        n_in, n_out = net.weights[-1].shape
        for j in range(1, n_out + 1):
            for i in range(1, n_in + 1):
                w, hj, a_i = f"w_{{{sub(N, j, i)}}}", f"h_{{{sub(N, j)}}}", self._node(N - 1, i)
                head = rf"\frac{{\partial L}}{{\partial {w}}} = \frac{{\partial {hj}}}{{\partial {w}}}"
                a_val, dz_val = t.a[N - 1][0, i - 1], t.dz[-1][0, j - 1]
                if net.output_grad_as_one or net.output == "identity":
                    formula = (rf"{head} \frac{{\partial L}}{{\partial y_{{{j}}}}}"
                               rf" = {a_i} \cdot \frac{{\partial L}}{{\partial y_{{{j}}}}}")
                    numbers = rf"{factor(a_val)} \cdot {factor(t.dy[0, j - 1])}"
                elif net.output == "sigmoid":
                    dact = ACTIVATIONS["sigmoid"].df(t.h[-1][0, j - 1])
                    formula = (rf"{head} \frac{{\partial y_{{{j}}}}}{{\partial {hj}}}"
                               rf" \frac{{\partial L}}{{\partial y_{{{j}}}}}"
                               rf" = {a_i} \cdot \sigma'({hj}) \cdot \frac{{\partial L}}{{\partial y_{{{j}}}}}")
                    numbers = rf"{factor(a_val)} \cdot {factor(dact)} \cdot {factor(t.dy[0, j - 1])}"
                else:
                    formula = (rf"{head} \sum_m \frac{{\partial y_m}}{{\partial {hj}}}"
                               rf" \frac{{\partial L}}{{\partial y_m}} = {a_i} \cdot dz_{{{sub(N, j)}}}")
                    numbers = rf"{factor(a_val)} \cdot {factor(dz_val)}"
                value = float(t.dW[-1][i - 1, j - 1])
                steps.append(Step(
                    "backward", f"dL/dw{sub(N, j, i)}", formula, f"{numbers} = {num(value)}", value,
                    (f"w{sub(N, j, i)}", self._node_id(N - 1, i), f"h{sub(N, j)}", f"y{sub(j)}"),
                    "backward.dw_entry", (("w", sub(N, j, i)), ("j", str(j)), ("i", str(i))),
                ))
        return steps

    def _hidden_dz(self, k: int) -> list[Step]:
        t, f = self.t, self.f
        da, dz = t.da[k], t.dz[k - 1]
        da_step = Step(
            "backward", f"dL/da{k}", rf"\frac{{\partial L}}{{\partial a_{{{k}}}}} = dz_{{{k + 1}}} W_{{{k + 1}}}^T",
            rf"{times(t.dz[k], self.net.weights[k].T)} = {show(da)}", self._v(da),
            self.node_ids(k) + self.weight_ids(k + 1), "backward.da", (("k", str(k)), ("k1", str(k + 1))),
        )
        dz_step = Step(
            "backward", f"dz{k}",
            rf"dz_{{{k}}} = \frac{{\partial L}}{{\partial a_{{{k}}}}} \odot {f.latex}'(h_{{{k}}})"
            rf" = dz_{{{k + 1}}} W_{{{k + 1}}}^T \operatorname{{diag}}({f.latex}'(h_{{{k}}}))",
            rf"{term(da)} \odot {term(f.df(t.h[k - 1]))} = {show(dz)}", self._v(dz),
            self.node_ids(k), f"backward.dz.{self.net.hidden}", (("k", str(k)),),
        )
        return [da_step, dz_step]

    def _node(self, k: int, i: int) -> str:
        return f"x_{{{i}}}" if k == 0 else f"a_{{{sub(k, i)}}}"

    def _node_id(self, k: int, i: int) -> str:
        return f"x{sub(i)}" if k == 0 else f"a{sub(k, i)}"


class _Chain(_View):
    """One node per layer: the notes' x -> w1 -> A -> w2 -> A -> w3 -> y."""

    h_kind = "forward.h_chain"

    def W(self, k: int) -> str:
        return f"w_{{{k}}}"

    def node_ids(self, k: int) -> tuple[str, ...]:
        return ("x",) if k == 0 else ("y", f"h{k}") if k == self.N else (f"a{k}", f"h{k}")

    def weight_ids(self, k: int) -> tuple[str, ...]:
        return (f"w{k}",)

    def param_name(self, k: int) -> str:
        return f"w{k}"

    def grad_name(self, k: int) -> str:
        return rf"\frac{{\partial L}}{{\partial w_{{{k}}}}}"

    def bias_grad_name(self, k: int) -> str:
        return rf"\frac{{\partial L}}{{\partial b_{{{k}}}}}"

    def factors(self, k: int, bias: bool = False) -> list[tuple[str, str, float]]:
        """The chain-rule factors of dL/dw_k (or dL/db_k): (partial, its name, its value)."""
        net, t, N = self.net, self.t, self.N
        p = "b" if bias else "w"
        out = [(rf"\frac{{\partial h_{{{k}}}}}{{\partial {p}_{{{k}}}}}", "1" if bias else self.a(k - 1),
                1.0 if bias else float(t.a[k - 1].item()))]
        for m in range(k, N):
            out.append((rf"\frac{{\partial a_{{{m}}}}}{{\partial h_{{{m}}}}}", rf"{self.f.latex}'(h_{{{m}}})",
                        float(self.f.df(t.h[m - 1]).item())))
            out.append((rf"\frac{{\partial h_{{{m + 1}}}}}{{\partial a_{{{m}}}}}", f"w_{{{m + 1}}}",
                        float(net.weights[m].item())))
        if not net.output_grad_as_one:
            out.append((rf"\frac{{\partial y}}{{\partial h_{{{N}}}}}",
                        rf"\left[{OUTPUT_LATEX[net.output]}'(h_{{{N}}})\right]", self._output_slope()))
        out.append((r"\frac{\partial L}{\partial y}", r"\frac{\partial L}{\partial y}", float(t.dy.item())))
        return out

    def _output_slope(self) -> float:
        """dy/dh_N of a single output: softmax over one value is the constant 1, so its slope is 0."""
        net, h = self.net, self.t.h[-1]
        return 0.0 if net.output == "softmax" else float(ACTIVATIONS[net.output].df(h).item())

    def backward(self) -> list[Step]:
        net, t = self.net, self.t
        steps = [self.dy_step()]
        for k in range(self.N, 0, -1):
            for bias in (False, True) if net.biases is not None else (False,):
                p = "b" if bias else "w"
                fs = self.factors(k, bias)
                value = float((t.db if bias else t.dW)[k - 1].item())
                partials = " ".join(f for f, _, _ in fs)
                named = r" \cdot ".join(n for _, n, _ in fs)
                touched = tuple(dict.fromkeys(
                    [f"{p}{k}"] + [i for m in range(k - (p == "w"), self.N + 1) for i in self.node_ids(m)]
                    + [f"w{m}" for m in range(k + 1, self.N + 1)] + ["L"]))
                steps.append(Step(
                    "backward", f"dL/d{p}{k}",
                    rf"\frac{{\partial L}}{{\partial {p}_{{{k}}}}} = {partials} = {named}",
                    r" \cdot ".join(factor(v) for _, _, v in fs) + f" = {num(value)}", value,
                    touched, f"backward.d{p}_chain", (("k", str(k)),),
                ))
        return steps

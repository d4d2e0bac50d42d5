"""SymPy derivations of a network's steps, independent of the NumPy code that computes them.

For one structure (widths, activations, loss, biases) the forward expressions are written in SymPy with the
notes' symbol names (x_1, w_{311}, h_{31}, a_{21}, y_1) and every local derivative is obtained by
differentiating them: dh_{31}/dw_{311} = a_{21}, dy_j/dh_{3k} from the softmax expression, and so on. The
expressions are built and compiled once per structure (cached); the numbers are substituted per example.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import mpmath
import numpy as np
import sympy as sp

from . import validation
from .step import readonly, sub

D = r"\frac{{\partial {}}}{{\partial {}}}"
# The values are computed in mpmath numbers of 113 bits (quadruple precision), whose exponents do not overflow:
# SymPy's forms are the naive ones (e^h / sum e^h, 1 / (1 + e^-h), S - S^2), which in float64 would overflow to
# NaN or cancel away digits where the core's stable NumPy forms keep them. A context of its own, never changed:
# mpmath's global one is shared with SymPy, which changes its precision while it works.
_MP = mpmath.MPContext()
_MP.prec = 113
_MP_NAMES = MappingProxyType({"mpf": _MP.mpf, "exp": _MP.exp, "log": _MP.log, "tanh": _MP.tanh})


@dataclass(frozen=True)
class Derivation:
    """One step as SymPy derives it.

    expression: the step's quantity as SymPy writes it, in the notes' symbols (LaTeX)
    locals:     the local derivatives it is made of: (d something / d something, SymPy's result), LaTeX
    value:      the expression evaluated on the example's numbers (float or read-only array)
    """

    name: str
    expression: str
    locals: tuple[tuple[str, str], ...]
    value: float | np.ndarray


@dataclass(frozen=True)
class Structure:
    widths: tuple[int, ...]
    hidden: str
    output: str
    loss: str
    biases: bool
    output_grad_as_one: bool

    @property
    def is_chain(self) -> bool:
        return all(n == 1 for n in self.widths)


def derive(net, x, label, lr: float | None = None) -> dict[str, Derivation]:
    """Every step of net.backprop(x, label, lr) derived by SymPy, keyed by the step's name.

    The inputs are checked as net.backprop checks them. The expressions are evaluated in mpmath numbers (see
    _MP); a value beyond the largest double even so is refused with a ValueError.
    """
    structure = Structure(net.widths, net.hidden, net.output, net.loss, net.biases is not None, net.output_grad_as_one)
    x = validation.batch("x", x, net.widths[0])
    if x.shape[0] != 1:
        raise ValueError(f"derivations are written for one sample; got a batch of {x.shape[0]}")
    label = net.label_batch(label, 1)
    if lr is not None:
        lr = float(validation.finite_array("learning rate", lr, ndim=(0,)))
    return _derivation_builder(structure).evaluate(net, x[0], label[0], lr)


@lru_cache(maxsize=64)
def _derivation_builder(structure: Structure) -> _Builder:
    return _Builder(structure)


def _relu(h):
    return sp.Piecewise((h, h > 0), (0, True))


def _sigmoid(h):
    return 1 / (1 + sp.exp(-h))


HIDDEN = MappingProxyType({"identity": lambda h: h, "relu": _relu, "sigmoid": _sigmoid, "tanh": sp.tanh})


class _Builder:
    """The symbolic forward pass and the chain rule over it, compiled to NumPy functions."""

    def __init__(self, s: Structure):
        self.s = s
        N, n = len(s.widths) - 1, s.widths
        chain = s.is_chain
        sym = sp.Symbol

        def idx(*i):
            return "" if chain else sub(*i)

        self.x = [sym("x" if chain else f"x_{{{i}}}") for i in range(1, n[0] + 1)]
        self.w = [[[sym(f"w_{{{k}{idx(j, i)}}}" if chain else f"w_{{{sub(k, j, i)}}}")
                    for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)] for k in range(1, N + 1)]
        self.b = ([[sym(f"b_{{{k}{idx(j)}}}") for j in range(1, n[k] + 1)] for k in range(1, N + 1)]
                  if s.biases else None)
        self.h = [[sym(f"h_{{{k}{idx(j)}}}") for j in range(1, n[k] + 1)] for k in range(1, N + 1)]
        self.a = [self.x] + [[sym(f"a_{{{k}{idx(j)}}}") for j in range(1, n[k] + 1)] for k in range(1, N)]
        self.a.append([sym("y" if chain else f"y_{{{j}}}") for j in range(1, n[N] + 1)])
        self.t = [sym("y^{label}" if chain else f"y^{{label}}_{{{j}}}") for j in range(1, n[N] + 1)]
        self.N = N

        # forward expressions: h_kj = sum_i a_{k-1,i} w_kji + b_kj ; a_kj = f(h_kj) ; y = f_out(h_N)
        self.H = [[sum(self.a[k][i] * self.w[k][i][j] for i in range(n[k])) + (self.b[k][j] if s.biases else 0)
                   for j in range(n[k + 1])] for k in range(N)]
        f = HIDDEN[s.hidden]
        self.A = [[f(h) for h in self.h[k]] for k in range(N - 1)]
        hN = self.h[-1]
        if s.output == "softmax":
            total = sum(sp.exp(h) for h in hN)
            self.A.append([sp.exp(h) / total for h in hN])
        else:
            self.A.append([HIDDEN[s.output](h) for h in hN])
        y, t = self.a[N], self.t
        self.L = {
            "half_sse": sp.Rational(1, 2) * sum((yj - tj) ** 2 for yj, tj in zip(y, t)),
            "mse": sum((yj - tj) ** 2 for yj, tj in zip(y, t)) / len(y),
            "cross_entropy": -sum(tj * sp.log(yj) for yj, tj in zip(y, t)),
        }[s.loss]
        self._backward_expressions()
        self._compile()

    # -- the chain rule, written with SymPy's derivatives of the forward expressions --------------
    def _backward_expressions(self) -> None:
        s, N = self.s, self.N
        y = self.a[N]
        self.dy = [sp.Symbol(D.format("L", sp.latex(yj))) for yj in y]
        self.dy_expr = [sp.diff(self.L, yj) for yj in y]
        self.dz = [[sp.Symbol(f"dz_{sp.latex(h)[2:]}") for h in layer] for layer in self.h]
        self.da = [[sp.Symbol(D.format("L", sp.latex(a))) for a in layer] for layer in self.a[:N]]
        self.dz_expr: list[list] = [None] * N
        self.da_expr: list[list] = [None] * N
        hN = self.h[-1]
        if s.output_grad_as_one:
            self.dz_expr[-1] = list(self.dy)
        else:
            # dz_Nk = sum_j dL/dy_j * dy_j/dh_Nk
            self.dz_expr[-1] = [sum(self.dy[j] * sp.diff(self.A[-1][j], hk) for j in range(len(y))) for hk in hN]
        for k in range(N - 1, -1, -1):
            # dL/da_{k,i} = sum_j dh_{k+1,j}/da_{k,i} dz_{k+1,j}
            self.da_expr[k] = [sum(sp.diff(self.H[k][j], ai) * self.dz[k][j] for j in range(len(self.h[k])))
                               for ai in self.a[k]]
            if k > 0:
                # dz_{k,i} = da_{k,i}/dh_{k,i} * dL/da_{k,i}
                self.dz_expr[k - 1] = [sp.diff(self.A[k - 1][i], hi) * self.da[k][i]
                                       for i, hi in enumerate(self.h[k - 1])]
        # dL/dw_kji = dh_kj/dw_kji * dz_kj ; dL/db_kj = dh_kj/db_kj * dz_kj
        self.dW_expr = [sp.Matrix([[sp.diff(self.H[k][j], self.w[k][i][j]) * self.dz[k][j]
                                    for j in range(len(self.h[k]))]
                                   for i in range(len(self.a[k]))]) for k in range(N)]
        self.db_expr = ([sp.Matrix([[sp.diff(self.H[k][j], self.b[k][j]) * self.dz[k][j]
                                     for j in range(len(self.h[k]))]])
                         for k in range(N)] if s.biases else None)

    def _compile(self) -> None:
        """lambdify each expression once, with the symbols it reads as arguments."""
        def fn(exprs):
            exprs = list(exprs)
            # strict: these are SymPy expressions built here; a string would be parsed (eval), so none is taken
            args = sorted(set().union(*(sp.sympify(e, strict=True).free_symbols for e in exprs)), key=str)
            return args, sp.lambdify(args, exprs, modules=[dict(_MP_NAMES), "mpmath"])

        self.f_H = [fn(layer) for layer in self.H]
        self.f_A = [fn(layer) for layer in self.A]
        self.f_L = fn([self.L])
        self.f_dy = fn(self.dy_expr)
        self.f_dz = [fn(layer) for layer in self.dz_expr]
        self.f_da = [fn(layer) for layer in self.da_expr]
        self.f_dW = [fn(list(m)) for m in self.dW_expr]
        self.f_db = [fn(list(m)) for m in self.db_expr] if self.db_expr else None
        self.latex = self._latex()

    def _latex(self) -> dict[str, tuple[str, tuple]]:
        """Each step's expression and local derivatives, as LaTeX: printed once per structure."""
        s, N, out = self.s, self.N, {}
        L = sp.latex
        for k in range(N):
            out[f"h{k + 1}"] = (L(sp.Matrix([self.H[k]])), ())
            name = "y" if k == N - 1 else f"a{k + 1}"
            out[name] = (L(sp.Matrix([self.A[k]])), tuple(
                (D.format(L(self.a[k + 1][j]), L(h)), L(sp.diff(self.A[k][j], h)))
                for j, h in enumerate(self.h[k])))
        out["L"] = (L(self.L), ())
        out["dL/dy"] = (L(sp.Matrix([self.dy_expr])), tuple(
            (D.format("L", L(yj)), L(e)) for yj, e in zip(self.a[N], self.dy_expr)))
        for k in range(N):
            K = k + 1
            if k == N - 1 and not s.output_grad_as_one:
                local = tuple((D.format(L(yj), L(hk)), L(sp.diff(self.A[-1][j], hk)))
                              for hk in self.h[-1] for j, yj in enumerate(self.a[N]))
            elif k < N - 1:
                local = tuple((D.format(L(self.a[K][i]), L(h)), L(sp.diff(self.A[k][i], h)))
                              for i, h in enumerate(self.h[k]))
            else:
                local = ()
            out[f"dz{K}"] = (L(sp.Matrix([self.dz_expr[k]])), local)
            out[f"dL/da{k}"] = (L(sp.Matrix([self.da_expr[k]])), tuple(
                (D.format(L(self.h[k][j]), L(ai)), L(sp.diff(self.H[k][j], ai)))
                for ai in self.a[k] for j in range(len(self.h[k]))))
            out[f"dW{K}"] = (L(self.dW_expr[k]), ())
            if self.db_expr:
                out[f"db{K}"] = (L(self.db_expr[k]), ())
            for i, row in enumerate(self.w[k]):
                for j, w in enumerate(row):
                    name = f"dL/dw{K}" if s.is_chain else f"dL/dw{sub(K, j + 1, i + 1)}"
                    local = (D.format(L(self.h[k][j]), L(w)), L(sp.diff(self.H[k][j], w)))
                    out[name] = (L(self.dW_expr[k][i, j]), (local,))
        if s.is_chain:
            out.update(self._chain_latex())
        return out

    def _chain_latex(self) -> dict[str, tuple[str, tuple]]:
        """dL/dw_k of a single-node chain as one product of SymPy's local derivatives."""
        L, N, out = sp.latex, self.N, {}
        for k in range(N):
            for p, params in (("w", self.w[k][0]), ("b", self.b[k] if self.b else None)):
                if params is None:
                    continue
                factors = [(self.h[k][0], params[0])]
                for m in range(k, N - 1):
                    factors += [(self.a[m + 1][0], self.h[m][0]), (self.h[m + 1][0], self.a[m + 1][0])]
                exprs = {self.h[m][0]: self.H[m][0] for m in range(N)}
                exprs.update({self.a[m + 1][0]: self.A[m][0] for m in range(N)})
                if not self.s.output_grad_as_one:
                    factors.append((self.a[N][0], self.h[-1][0]))
                derivatives = [sp.diff(exprs[top], var) for top, var in factors] + [self.dy_expr[0]]
                local = tuple((D.format(L(top), L(var)), L(d)) for (top, var), d in zip(factors, derivatives))
                local += ((D.format("L", "y"), L(self.dy_expr[0])),)
                # written in the chain's order (SymPy would sort the factors of a product)
                product = r" \cdot ".join(_factor_latex(d) for d in derivatives)
                out[f"dL/d{p}{k + 1}"] = (product, local)
        return out

    # -- numbers --------------------------------------------------------------------------------
    def evaluate(self, net, x: np.ndarray, label: np.ndarray, lr: float | None) -> dict[str, Derivation]:
        env = self._params(net)
        env.update(zip(self.x, map(_MP.mpf, x)))
        env.update(zip(self.t, map(_MP.mpf, label)))
        values = self._forward(env)
        values.update(self._backward(env))
        if lr is not None:
            values.update(self._update(net, x, label, env, float(lr)))
        return {name: Derivation(name, *self.latex.get(name, (self._update_latex(name), ())), value)
                for name, value in values.items()}

    def _params(self, net) -> dict:
        env = {}
        for k, W in enumerate(net.weights):
            env.update((self.w[k][i][j], _MP.mpf(W[i, j])) for i in range(W.shape[0]) for j in range(W.shape[1]))
        if self.b:
            for k, b in enumerate(net.biases):
                env.update(zip(self.b[k], map(_MP.mpf, b)))
        return env

    @staticmethod
    def _call(compiled, env) -> list:
        """The compiled expressions on the symbols' values in env: mpmath numbers, which the next expressions
        read as they are (rounded to floats, e^-800 would be 0 and its log -inf)."""
        args, f = compiled
        try:
            return f(*(env[a] for a in args))
        except ZeroDivisionError:
            raise ValueError("a derivation divides by zero on these numbers (an output of 0 under a log or a "
                             "quotient); use other inputs") from None

    def _forward(self, env) -> dict:
        out = {}
        for k in range(self.N):
            h = self._call(self.f_H[k], env)
            env.update(zip(self.h[k], h))
            a = self._call(self.f_A[k], env)
            env.update(zip(self.a[k + 1], a))
            out[f"h{k + 1}"] = h
            out["y" if k == self.N - 1 else f"a{k + 1}"] = a
        out["L"] = self._call(self.f_L, env)
        return {name: _shape(name, v) for name, v in out.items()}

    def _backward(self, env) -> dict:
        out = {}
        dy = self._call(self.f_dy, env)
        env.update(zip(self.dy, dy))
        out["dL/dy"] = dy
        for k in range(self.N - 1, -1, -1):
            dz = self._call(self.f_dz[k], env)
            env.update(zip(self.dz[k], dz))
            out[f"dz{k + 1}"] = dz
            da = self._call(self.f_da[k], env)
            if k > 0:
                env.update(zip(self.da[k], da))
            out[f"dL/da{k}"] = da
            dW = self._dW(k, env)
            out[f"dW{k + 1}"] = dW
            for i in range(len(dW)):
                for j in range(len(dW[i])):
                    name = f"dL/dw{k + 1}" if self.s.is_chain else f"dL/dw{sub(k + 1, j + 1, i + 1)}"
                    out[name] = [dW[i][j]]
            if self.f_db:
                db = self._call(self.f_db[k], env)
                out[f"db{k + 1}"] = db
                if self.s.is_chain:
                    out[f"dL/db{k + 1}"] = db
        return {name: _shape(name, v) for name, v in out.items()}

    def _dW(self, k: int, env) -> list[list]:
        """dW_{k+1} as rows (one per input of the layer), in mpmath numbers."""
        flat, cols = self._call(self.f_dW[k], env), len(self.h[k])
        return [flat[r * cols:(r + 1) * cols] for r in range(len(self.a[k]))]

    def _update(self, net, x, label, env, lr: float) -> dict:
        out, new = {}, dict(env)
        chain, eta = self.s.is_chain, _MP.mpf(lr)
        for k in range(self.N):
            W = [[env[w] - eta * g for w, g in zip(row, grads)] for row, grads in zip(self.w[k], self._dW(k, env))]
            new.update((w, v) for row, values in zip(self.w[k], W) for w, v in zip(row, values))
            out[f"w{k + 1}*" if chain else f"W{k + 1}*"] = W
            if self.b:
                b = [env[v] - eta * g for v, g in zip(self.b[k], self._call(self.f_db[k], env))]
                new.update(zip(self.b[k], b))
                out[f"b{k + 1}*"] = b
        out = {name: _shape(name, v) for name, v in out.items()}
        out["L*"] = self._forward(new)["L"]
        return out

    @staticmethod
    def _update_latex(name: str) -> str:
        """W3* -> W_{3} - eta dW_{3}; w3* -> w_{3} - eta dL/dw_{3}; L* -> the loss after the update."""
        if name == "L*":
            return r"L(W - \eta\, dW)"
        p, k = name[0], name[1:-1]
        grad = rf"\frac{{\partial L}}{{\partial w_{{{k}}}}}" if p == "w" else rf"d{p}_{{{k}}}"
        return rf"{p}_{{{k}}} - \eta\, {grad}"


def _factor_latex(expr) -> str:
    """A factor of a written-out product: sums in parentheses."""
    text = sp.latex(expr)
    return rf"\left({text}\right)" if isinstance(expr, sp.Add) else text


def _shape(name: str, v) -> float | np.ndarray:
    """mpmath numbers (a list, or a list of rows) as a float or a read-only row or matrix; refused if a value
    is beyond the largest double."""
    v = validation.finite_result(f"the derivation's {name}", np.array(v, dtype=float))
    if v.size == 1:
        return float(v.item())
    return readonly(v if v.ndim == 2 else v[None, :])


# -- the computational graph ------------------------------------------------------------------------
def _graph_op(op: str, exponent: float | None):
    """A graph operation as a SymPy function of its input symbols."""
    return {
        "+": lambda u, v: u + v,
        "*": lambda u, v: u * v,
        # an integer exponent exactly (nsimplify keeps 15 digits: 2^53 would become 9007199254740990)
        "**": lambda u: u ** (sp.Integer(int(exponent)) if float(exponent).is_integer() else sp.nsimplify(exponent)),
        "exp": sp.exp,
        "sigmoid": _sigmoid,
        "relu": _relu,
        "tanh": sp.tanh,
    }[op]


@lru_cache(maxsize=256)
def _graph_local(op: str, exponent: float | None, arity: int) -> tuple:
    """d op / d (input k) for each input position, differentiated by SymPy: built once per operation."""
    u = sp.symbols(f"u0:{arity}")
    expr = _graph_op(op, exponent)(*u)
    return u, expr, tuple(sp.diff(expr, uk) for uk in u)


def derive_graph(output) -> dict[str, Derivation]:
    """SymPy's version of every step of a Value graph, keyed by step name: each forward node from its
    operation, each backward edge as upstream times d node / d child."""
    from .graph import latex_name

    out = {}
    for node in output.topological():
        if node.edges:
            u, expr, _ = _graph_local(node.op, node.exponent, len(node.edges))
            names = {uk: sp.Symbol(latex_name(c.label)) for uk, (c, _) in zip(u, node.edges)}
            value = float(expr.subs({uk: c.data for uk, (c, _) in zip(u, node.edges)}))
            out[node.label] = Derivation(node.label, sp.latex(expr.xreplace(names)), (), value)
    for step in output.backward():
        node = step.node
        u, expr, locals_ = _graph_local(node.op, node.exponent, len(node.edges))
        names = {uk: sp.Symbol(latex_name(c.label)) for uk, (c, _) in zip(u, node.edges)}
        local = locals_[step.position]
        local_value = float(local.subs({uk: c.data for uk, (c, _) in zip(u, node.edges)}))
        name = step.to_step().name
        out[name] = Derivation(
            name,
            sp.latex(local.xreplace(names)),
            ((D.format(latex_name(node.label), latex_name(step.child.label)), sp.latex(local.xreplace(names))),),
            step.upstream * local_value,
        )
    return out

"""SymPy's derivation of every step of the Softmax Jacobian lesson, independent of the NumPy trace.

Everything starts from the forward expression S_j = e^{z_j/T} / sum_l e^{z_l/T}: SymPy differentiates it
(dS_j/dz_k), differentiates L = -sum_l y_l log S_l through it (dL/dz), and rewrites each result in terms of
S_j (e^{z_j/T} = S_j Sigma) so that S_j (delta_jk - S_k) / T and (S - y) / T appear as SymPy's own results.
The expressions are built and compiled once per number of classes (lru_cache); the numbers are substituted
per example, from the trace's inputs only (z, T, y and the batch), never from its computed values.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import sympy as sp

from .derivations import D, Derivation
from .softmax_lesson import SoftmaxTrace
from .step import readonly

SIGMA = sp.Symbol(r"\Sigma", positive=True)
# e^{\frac{z_{1}}{T}} -> e^{z_{1}/T}: the exponent on one line, as on the page, so that matrices stay legible
_EXP_FRACTION = re.compile(r"e\^\{\\frac\{((?:[^{}]|\{[^{}]*\})*)\}\{T\}\}")


def _latex(expr) -> str:
    """SymPy's LaTeX of expr, with each exponent z/T written inline."""
    return _EXP_FRACTION.sub(lambda m: f"e^{{{m[1]}/T}}", sp.latex(expr))


def derive(t: SoftmaxTrace) -> dict[str, Derivation]:
    """Every step of `t` derived by SymPy, keyed by the step's name."""
    return _builder(t.n).evaluate(t)


@lru_cache(maxsize=16)
def _builder(n: int) -> _Builder:
    return _Builder(n)


class _Builder:
    """The symbolic forward pass of softmax with temperature, its derivatives, compiled to NumPy functions."""

    def __init__(self, n: int):
        self.n = n
        self.T = sp.Symbol("T", positive=True)
        self.B = sp.Symbol("B", positive=True)
        self.z = [sp.Symbol(f"z_{{{l}}}", real=True) for l in range(1, n + 1)]
        self.y = [sp.Symbol(f"y_{{{l}}}", nonnegative=True) for l in range(1, n + 1)]
        self.S = [sp.Symbol(f"S_{{{l}}}", positive=True) for l in range(1, n + 1)]
        z, y, S, T = self.z, self.y, self.S, self.T

        # forward: e^{z_l/T}, their sum, S_j = e^{z_j/T} / sum
        self.e = [sp.exp(zl / T) for zl in z]
        self.total = sp.Add(*self.e)
        self.S_expr = [el / self.total for el in self.e]
        # L = -sum y_l log S_l, in S (as written) and through S(z) (log of the quotient expanded by SymPy)
        self.L_S = -sp.Add(*(yl * sp.log(Sl) for yl, Sl in zip(y, S)))
        self.L_z = -sp.Add(*(yl * sp.expand_log(sp.log(Se), force=True) for yl, Se in zip(y, self.S_expr)))

        # the Jacobian: SymPy's derivative of the forward expression, then the same in terms of S
        self.raw = [[sp.diff(self.S_expr[j], z[k]) for k in range(n)] for j in range(n)]
        self.J_S = sp.Matrix(n, n, lambda j, k: self._in_S(self.raw[j][k]))
        self.asym = self.J_S - self.J_S.T
        # row sums: sum_k dS_j/dz_k, simplified where the exponentials are plain symbols (exact zero)
        self.row_raw = [sp.Add(*row) for row in self.raw]
        self.row_zero = [sp.cancel(self._in_E(r)) for r in self.row_raw]
        self.row_S = [sp.factor(sp.Add(*(self.J_S[j, k] for k in range(n)))) for j in range(n)]

        # backward from the loss: dL/dS, the chain J^T g, and SymPy's direct dL/dz
        self.g = [sp.diff(self.L_S, Sl) for Sl in S]
        self.chain_terms = [sp.Add(*(self.g[j] * self.J_S[j, k] for j in range(n))) for k in range(n)]
        self.chain_S = [sp.factor(c) for c in self.chain_terms]
        self.chain_raw = [sp.Add(*(-y[j] / self.S_expr[j] * self.raw[j][k] for j in range(n))) for k in range(n)]
        self.dz_raw = [sp.diff(self.L_z, zk) for zk in z]
        self.dz_S = [self._in_S(d) for d in self.dz_raw]
        # with sum_l y_l = 1: replace one label entry (not y_k itself) by 1 minus the others
        self.dz_collapsed = [sp.factor(d.subs(y[m], 1 - sp.Add(*(y[l] for l in range(n) if l != m))))
                             for k, d in enumerate(self.dz_S) for m in [(k + 1) % n]]

        args_z = [*z, T]
        args_zy = [*z, T, *y]
        lam = sp.lambdify
        self.f_e = lam(args_z, self.e, modules="numpy")
        self.f_total = lam(args_z, self.total, modules="numpy")
        self.f_S = lam(args_z, self.S_expr, modules="numpy")
        self.f_L = lam(args_zy, self.L_z, modules="numpy")
        self.f_raw = lam(args_z, self.raw, modules="numpy")
        self.f_rows = lam(args_z, self.row_raw, modules="numpy")
        self.f_g = lam([*S, *y], self.g, modules="numpy")
        self.f_chain = lam(args_zy, self.chain_raw, modules="numpy")
        self.f_dz = lam(args_zy, self.dz_raw, modules="numpy")
        self.latex = self._latex()

    def _in_E(self, expr):
        """Each e^{(a z_1 + b z_2 + ...)/T} as E_1^a E_2^b ...: a rational function SymPy simplifies exactly."""
        E = [sp.Symbol(f"E_{{{l}}}", positive=True) for l in range(1, self.n + 1)]
        return self._replace_exp(expr, E)

    def _in_S(self, expr):
        """The sum of exponentials as Sigma and each e^{z_l/T} as S_l Sigma: the result in terms of S."""
        expr = expr.xreplace({self.total: SIGMA})
        return sp.factor(sp.expand(self._replace_exp(expr, [Sl * SIGMA for Sl in self.S])))

    def _replace_exp(self, expr, bases):
        def power(e):
            exponent = sp.expand(e.args[0] * self.T)
            return sp.Mul(*(b ** exponent.coeff(zl) for b, zl in zip(bases, self.z)))
        return expr.replace(lambda e: isinstance(e, sp.exp), power)

    def _latex(self) -> dict[str, object]:
        """Each expression printed once per number of classes."""
        L, n = _latex, self.n
        short = {self.total: SIGMA}
        out = {
            "e": L(sp.Matrix(self.e)),
            "sum": L(self.total),
            "S": L(sp.Matrix([el / SIGMA for el in self.e])),
            "S_row": L(sp.Matrix([[el / SIGMA for el in self.e]])),
            "L": L(self.L_S),
            "J": L(self.J_S),
            "asym": "0" if self.asym.is_zero_matrix else L(self.asym),
            "rows": L(sp.Matrix(self.row_zero)),
            "g": L(sp.Matrix(self.g)),
            "chain": L(sp.Matrix(self.chain_S)),
            "chain_first": L(self.chain_terms[0]),
            "dz": L(sp.Matrix(self.dz_collapsed)),
            "dz_first": L(self.dz_raw[0].xreplace(short)),
            "dz_S_first": L(self.dz_S[0]),
            "batch_loop": L(sp.Matrix([self.chain_S]) / self.B),
            "batch_vec": L(sp.Matrix([self.dz_collapsed]) / self.B),
            "sum_y": L(sp.Add(*self.y)),
            "sum_S": L(sp.Add(*self.S)),
        }
        out["S_j"] = [L(el / SIGMA) for el in self.e]
        out["raw"] = [[L(self.raw[j][k].xreplace(short)) for k in range(n)] for j in range(n)]
        out["J_S"] = [[L(self.J_S[j, k]) for k in range(n)] for j in range(n)]
        out["row_S"] = [L(r) for r in self.row_S]
        return out

    # -- numbers ------------------------------------------------------------------------------------
    def evaluate(self, t: SoftmaxTrace) -> dict[str, Derivation]:
        X = self.latex
        z, T, y = tuple(t.z), t.T, tuple(t.y)
        S = np.array(self.f_S(*z, T), dtype=float)
        d: dict[str, Derivation] = {}

        def add(name, expression, locals_, value, column=False):
            value = np.asarray(value, dtype=float)
            if column:
                value = value.reshape(-1, 1)
            d[name] = Derivation(name, expression, tuple(locals_), float(value) if value.ndim == 0 else readonly(value))

        add("e", X["e"], (), self.f_e(*z, T), column=True)
        add("sum", X["sum"], (), self.f_total(*z, T))
        add("S", X["S"], ((r"\Sigma", X["sum"]),), S, column=True)
        add("L", X["L"], ((r"\hat y_j", "S_j"),), self.f_L(*z, T, *y))

        raw = np.array(self.f_raw(*z, T), dtype=float)
        j, k = t.cell
        for a, b in ((j, j), (j, k)):
            A, Bk = a + 1, b + 1
            add(f"dS{A}/dz{Bk}", X["J_S"][a][b], (
                (f"S_{{{A}}}", X["S_j"][a]),
                (D.format(f"S_{{{A}}}", f"z_{{{Bk}}}"), X["raw"][a][b]),
            ), raw[a, b])
        add("J", X["J"], (), raw)
        add("J1", X["rows"], (
            (rf"\sum_k {D.format(f'S_{{{j + 1}}}', 'z_k')}", X["row_S"][j]),
            (X["sum_S"], "1"),
            ("J - J^T", X["asym"]),
        ), self.f_rows(*z, T), column=True)

        add("dL/dS", X["g"], (("L", X["L"]),), self.f_g(*S, *y), column=True)
        add("J^T g", X["chain"], (
            (D.format("L", "z_1"), X["chain_first"]),
        ), self.f_chain(*z, T, *y), column=True)
        add("dL/dz", X["dz"], (
            (D.format("L", "z_1"), X["dz_first"]),
            (D.format("L", "z_1"), X["dz_S_first"]),
            (X["sum_y"], "1"),
        ), self.f_dz(*z, T, *y), column=True)

        B = t.batch
        rows = list(zip(t.Z, t.Y))
        add("S batch", X["S_row"], ((r"\Sigma", X["sum"]),), [self.f_S(*zb, T) for zb, _ in rows])
        add("dZ loop", X["batch_loop"], ((r"B", str(B)),),
            [np.array(self.f_chain(*zb, T, *yb), dtype=float) / B for zb, yb in rows])
        add("dZ vectorised", X["batch_vec"], ((r"B", str(B)),),
            [np.array(self.f_dz(*zb, T, *yb), dtype=float) / B for zb, yb in rows])
        return d

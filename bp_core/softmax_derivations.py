"""SymPy's derivation of every step of the Softmax Jacobian lesson, independent of the NumPy trace.

Everything starts from the forward expression S_j = e^{z_j/T} / sum_l e^{z_l/T}: SymPy differentiates it
(dS_j/dz_k), differentiates L = -sum_l y_l log S_l through it (dL/dz), and rewrites each result in terms of
S_j (e^{z_j/T} = S_j Sigma) so that S_j (delta_jk - S_k) / T and (S - y) / T appear as SymPy's own results.
The expressions are built and compiled once per number of classes (lru_cache); the numbers are substituted
per example, from the trace's inputs only (z, T, y and the batch), never from its computed values.

Softmax treats its classes alike: relabelling them (z_1 <-> z_j, ...) maps its expressions onto each other.
So SymPy works out one diagonal entry dS_1/dz_1, one off-diagonal entry dS_1/dz_2 and one dL/dz_1, and every
other entry is one of these with its classes relabelled: the same expression SymPy's own differentiation
gives, at a fraction of the cost (n^2 derivatives simplified and compiled grew to seconds for six classes).
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
        self.z = [sp.Symbol(f"z_{{{c}}}", real=True) for c in range(1, n + 1)]
        self.y = [sp.Symbol(f"y_{{{c}}}", nonnegative=True) for c in range(1, n + 1)]
        self.S = [sp.Symbol(f"S_{{{c}}}", positive=True) for c in range(1, n + 1)]
        z, y, S, T = self.z, self.y, self.S, self.T

        # forward: e^{z_l/T}, their sum, S_j = e^{z_j/T} / sum
        self.e = [sp.exp(zl / T) for zl in z]
        self.total = sp.Add(*self.e)
        self.S_expr = [el / self.total for el in self.e]
        # L = -sum y_l log S_l, in S (as written) and through S(z) (log of the quotient expanded by SymPy)
        self.L_S = -sp.Add(*(yl * sp.log(Sl) for yl, Sl in zip(y, S)))
        self.L_z = -sp.Add(*(yl * sp.expand_log(sp.log(Se), force=True) for yl, Se in zip(y, self.S_expr)))

        # the Jacobian: SymPy's derivative of the forward expression, then the same in terms of S; the diagonal
        # entry (1, 1) and the off-diagonal entry (1, 2), every other one relabelled from them
        raw = (sp.diff(self.S_expr[0], z[0]), sp.diff(self.S_expr[0], z[1]))
        in_S = tuple(self._in_S(r) for r in raw)
        self.raw = [[self._relabel(raw[j != k], _entry(n, j, k)) for k in range(n)] for j in range(n)]
        self.J_S = sp.Matrix(n, n, lambda j, k: self._relabel(in_S[j != k], _entry(n, j, k)))
        self.asym = self.J_S - self.J_S.T
        # row sums: sum_k dS_j/dz_k, simplified where the exponentials are plain symbols (exact zero)
        self.row_zero = self._rows(sp.cancel(self._in_E(sp.Add(*self.raw[0]))))
        self.row_S = self._rows(sp.factor(sp.Add(*self.J_S.row(0))))

        # backward from the loss: dL/dS, the chain J^T g, and SymPy's direct dL/dz
        self.g = [sp.diff(self.L_S, Sl) for Sl in S]
        self.chain_terms = self._rows(sp.Add(*(self.g[j] * self.J_S[j, 0] for j in range(n))))
        self.chain_S = self._rows(sp.factor(self.chain_terms[0]))
        dz_raw = sp.diff(self.L_z, z[0])
        dz_S = self._in_S(dz_raw)
        self.dz_raw, self.dz_S = self._rows(dz_raw), self._rows(dz_S)
        # with sum_l y_l = 1: replace one label entry (not y_k itself) by 1 minus the others: y_{k+1}
        others = sp.Add(*(y[m] for m in range(n) if m != 1))
        self.dz_collapsed = self._rows(sp.factor(dz_S.subs(y[1], 1 - others)))

        args_z = [*z, T]
        args_zy = [*z, T, *y]
        self.f_e = _compile(args_z, self.e)
        self.f_total = _compile(args_z, self.total)
        self.f_S = _compile(args_z, self.S_expr)
        self.f_L = _compile(args_zy, self.L_z)
        self.f_raw = tuple(_compile(args_z, r) for r in raw)   # dS_1/dz_1, dS_1/dz_2
        self.f_g = _compile([*S, *y], self.g)
        self.f_dz = _compile(args_zy, dz_raw)                  # dL/dz_1
        self.latex = self._latex()

    def _relabel(self, expr, order: tuple[int, ...]):
        """expr with class i renamed to class order[i] (0-based), in z, y and S at once."""
        names = (self.z, self.y, self.S)
        return expr.xreplace({v[i]: v[new] for v in names for i, new in enumerate(order) if i != new})

    def _rows(self, first) -> list:
        """The expression for class 1 relabelled for each class k: 1 -> k, 2 -> k + 1, ... (cyclically)."""
        return [first] + [self._relabel(first, _cycle(self.n, k)) for k in range(1, self.n)]

    def _in_E(self, expr):
        """Each e^{(a z_1 + b z_2 + ...)/T} as E_1^a E_2^b ...: a rational function SymPy simplifies exactly."""
        E = [sp.Symbol(f"E_{{{c}}}", positive=True) for c in range(1, self.n + 1)]
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

        raw = self._jacobian(z, T)
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
        ), raw.sum(axis=1), column=True)

        add("dL/dS", X["g"], (("L", X["L"]),), self.f_g(*S, *y), column=True)
        add("J^T g", X["chain"], (
            (D.format("L", "z_1"), X["chain_first"]),
        ), self._chain(z, T, y), column=True)
        add("dL/dz", X["dz"], (
            (D.format("L", "z_1"), X["dz_first"]),
            (D.format("L", "z_1"), X["dz_S_first"]),
            (X["sum_y"], "1"),
        ), self._dz(z, T, y), column=True)

        B = t.batch
        rows = list(zip(t.Z, t.Y))
        add("S batch", X["S_row"], ((r"\Sigma", X["sum"]),), [self.f_S(*zb, T) for zb, _ in rows])
        add("dZ loop", X["batch_loop"], ((r"B", str(B)),), [self._chain(zb, T, yb) / B for zb, yb in rows])
        add("dZ vectorised", X["batch_vec"], ((r"B", str(B)),), [self._dz(zb, T, yb) / B for zb, yb in rows])
        return d

    def _jacobian(self, z, T: float) -> np.ndarray:
        """SymPy's dS_j/dz_k, each entry the compiled (1, 1) or (1, 2) entry on relabelled logits. The logits are
        shifted by their largest first (softmax and its derivatives depend on their differences only), so that
        e^{z_j/T} e^{z_k/T} / Sigma^2 does not overflow to inf / inf."""
        z = np.asarray(z, dtype=float)
        z = z - z.max()
        n = self.n
        return np.array([[self.f_raw[j != k](*z[list(_entry(n, j, k))], T) for k in range(n)] for j in range(n)],
                        dtype=float)

    def _chain(self, z, T: float, y) -> np.ndarray:
        """J^T g with g_j = -y_j / S_j: the full chain rule on SymPy's entries."""
        S = np.array(self.f_S(*z, T), dtype=float)
        return self._jacobian(z, T).T @ (-np.asarray(y, dtype=float) / S)

    def _dz(self, z, T: float, y) -> np.ndarray:
        """SymPy's dL/dz_k: its dL/dz_1 on the classes relabelled 1 -> k, 2 -> k + 1, ..."""
        z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
        order = [list(_cycle(self.n, k)) for k in range(self.n)]
        return np.array([self.f_dz(*z[o], T, *y[o]) for o in order], dtype=float)


def _compile(args: list, expr):
    """sp.lambdify(args, expr) to NumPy. The symbols are renamed to Python names first, all in one pass:
    lambdify would otherwise replace each name that is not one (z_{1}, y_{1}) in a pass of its own."""
    plain = [sp.Symbol(f"arg{i}", **a.assumptions0) for i, a in enumerate(args)]
    names = dict(zip(args, plain))
    expr = [e.xreplace(names) for e in expr] if isinstance(expr, list) else expr.xreplace(names)
    return sp.lambdify(plain, expr, modules="numpy")


def _entry(n: int, j: int, k: int) -> tuple[int, ...]:
    """A relabelling of the n classes that takes 1 to j and, for j != k, 2 to k (0-based)."""
    first = (j,) if j == k else (j, k)
    return first + tuple(i for i in range(n) if i not in first)


def _cycle(n: int, k: int) -> tuple[int, ...]:
    """The relabelling 1 -> k, 2 -> k + 1, ... (0-based, cyclically)."""
    return tuple((i + k) % n for i in range(n))

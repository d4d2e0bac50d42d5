"""The Softmax Jacobian lesson (note 003) as one immutable trace.

S = softmax(z / T) with temperature T. Its Jacobian J_jk = dS_j/dz_k = (1/T) S_j (delta_jk - S_k) carries the
1/T of the chain rule through z / T. An upstream gradient g = dL/dS goes back as dL/dz = J^T g; with
cross-entropy, g = -y/S and the whole chain collapses to (S - y) / T, and to (S - Y) / (B T) for a batch of B.

    from bp_core.softmax_lesson import trace
    t = trace([2.0, 1.0, 0.1], temperature=1.0, label=0)
    t.J, t.dz, t.steps

Indices are 0-based in the API (label=0 is class 1) and 1-based on screen, as in the note's S_1, z_1.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import validation
from .softmax import log_softmax, softmax, softmax_jacobian
from .step import Step, factor, matrix, num, readonly, sub

MAX_CLASSES = 8
# e^{z/T} is written out on screen; beyond this it would overflow (e^709.8 is the largest double).
MAX_SCALED_LOGIT = 700.0
BATCH = 3
# Defaults for the classes beyond the note's three logits (presets.SOFTMAX has z_1..z_3).
EXTRA_LOGITS = (-1.0, 0.5, -0.5, 1.5, -2.0)


@dataclass(frozen=True)
class SoftmaxTrace:
    """Every number of the lesson; arrays are read-only.

    z, T, y:      logits, temperature, label (a probability vector, one-hot by default)
    cell:         the (j, k) Jacobian cell whose diagonal (j, j) and off-diagonal (j, k) entries get a step
    e, total, S:  e^{z/T}, their sum, S = e / total (= y_hat)
    J:            dS/dz, shape (n, n); row_sums = J 1, asymmetry = max |J - J^T|, rank = numerical rank of J
    dS:           dL/dS = -y/S for L = -sum y log S
    dz_chain:     J^T dS, the full chain rule;  dz: (S - y)/T, the collapsed form; gap = max |dz_chain - dz|
    Z, Y, SB:     a batch of B samples made from z (sample b: z moved b places), same label, SB = softmax(Z/T)
    dvalues:      -Y/SB / B, the note's LossCrossEntropy.backward
    dZ_loop:      the note's loop, J_i @ dvalues_i per sample;  dZ_vec: (SB - Y)/(B T);  batch_gap: max diff
    note_dS:      what the note's formula -sum_j y_j / y_hat_j gives for every j; note_dz = J^T note_dS
    """

    z: np.ndarray
    T: float
    y: np.ndarray
    cell: tuple[int, int]
    e: np.ndarray
    total: float
    S: np.ndarray
    loss: float
    J: np.ndarray
    row_sums: np.ndarray
    asymmetry: float
    rank: int
    dS: np.ndarray
    dz_chain: np.ndarray
    dz: np.ndarray
    gap: float
    Z: np.ndarray
    Y: np.ndarray
    SB: np.ndarray
    dvalues: np.ndarray
    dZ_loop: np.ndarray
    dZ_vec: np.ndarray
    batch_gap: float
    note_dS: np.ndarray
    note_dz: np.ndarray
    steps: tuple[Step, ...]

    @property
    def n(self) -> int:
        return self.z.size

    @property
    def batch(self) -> int:
        return self.Z.shape[0]

    def entry(self, j: int, k: int) -> Step:
        """Jacobian cell (j, k), 0-based, as a step: dS_j/dz_k = (1/T) S_j (delta_jk - S_k) with its numbers."""
        _index("Jacobian row j", j, self.n)
        _index("Jacobian column k", k, self.n)
        return _entry_step(self, j, k)

    def step_index(self, name: str) -> int:
        """0-based position of the step called `name`."""
        for i, step in enumerate(self.steps):
            if step.name == name:
                return i
        raise KeyError(f"no step named {name!r}")


def trace(z, temperature: float = 1.0, label=0, cell: tuple[int, int] = (0, 1)) -> SoftmaxTrace:
    """The whole lesson for logits z (2 to MAX_CLASSES of them), temperature T > 0, a label, a Jacobian cell.

    label: a class index (0-based) for a one-hot label, or a probability vector (non-negative, sums to 1).
    cell:  (j, k), 0-based; the diagonal step shows (j, j), the off-diagonal step (j, k), or (j, j + 1) if k = j.
    """
    z, T, y, (j, k) = _inputs(z, temperature, label, cell)
    # _inputs keeps every S_j >= e^-700 / n > 0, so -y/S is finite; what is left to overflow is the 1/T of
    # every derivative, for a tiny T: refused in words by `finite`
    with np.errstate(over="ignore", invalid="ignore"):
        u = z / T
        e = np.exp(u)
        total = float(e.sum())
        S = softmax(u)
        loss = float(-(y * log_softmax(u)).sum())
        J_unscaled = softmax_jacobian(S)                       # d S / d(z/T)
        J = _finite("J = (1/T)(diag(S) - S S^T)", J_unscaled / T, T)  # d S / d z = (1/T) d S / d(z/T)
        row_sums = J.sum(axis=1)
        asymmetry = float(np.abs(J - J.T).max())
        # the rank of J is that of T J: taken before the 1/T, which can leave J subnormal (T huge) and the
        # rank test's tolerance blind
        rank = int(np.linalg.matrix_rank(J_unscaled))
        dS = -y / S
        dz_chain = _finite("J^T dL/dS", J.T @ dS, T)
        dz = _finite("dL/dz = (S - y)/T", (S - y) / T, T)
        gap = float(np.abs(dz_chain - dz).max())

        Z = np.stack([np.roll(z, b) for b in range(BATCH)])
        Y = np.tile(y, (BATCH, 1))
        SB = softmax(Z / T)
        dvalues = -Y / SB / BATCH
        dZ_loop = np.empty_like(dvalues)
        for i, (s_i, dvalue_i) in enumerate(zip(SB, dvalues)):
            # the note's loop: J_i = diagflat(s_i) - s_i s_i^T (here with the 1/T of z/T), dinputs_i = J_i @ dvalues_i
            s_col = s_i.reshape(-1, 1)
            J_i = (np.diagflat(s_col) - s_col @ s_col.T) / T
            dZ_loop[i] = J_i @ dvalue_i
        dZ_loop = _finite("the batch's J_i dvalues_i", dZ_loop, T)
        dZ_vec = _finite("dinputs = (S - Y)/(B T)", (SB - Y) / (BATCH * T), T)
        batch_gap = float(np.abs(dZ_loop - dZ_vec).max())

        # the note writes dL/dy_hat_j = -sum_j y_j / y_hat_j: the whole sum over every y, divided by y_hat_j
        note_dS = -y.sum() / S
        note_dz = _finite("the note's J^T dL/dS", J.T @ note_dS, T)

    r = readonly
    partial = SoftmaxTrace(
        r(z), T, r(y), (j, k), r(e), total, r(S), loss, r(J), r(row_sums), asymmetry, rank, r(dS), r(dz_chain),
        r(dz), gap, r(Z), r(Y), r(SB), r(dvalues), r(dZ_loop), r(dZ_vec), batch_gap, r(note_dS), r(note_dz), (),
    )
    return _with_steps(partial)


def note_slip(t: SoftmaxTrace) -> tuple[Step, Step]:
    """What the note wrote for dL/dy_hat_j (a sum over every j) and the gradient it would give, as steps whose
    numbers sit beside the right ones, in brackets: dL/dS_j = -y_j / S_j, one term, and dL/dz = (S - y)/T. No
    words in the LaTeX: the lesson shows these numbers through bp_core.slips, with words from its catalogues."""
    c_ids = _ids("g", t.n)
    wrote = Step(
        "backward", "note dL/dS", r"\frac{\partial L}{\partial \hat y_j} = -\sum_j \frac{y_j}{\hat y_j}",
        r"-\left(" + ", ".join(rf"\frac{{{num(t.y.sum())}}}{{{num(sj)}}}" for sj in t.S) + r"\right)"
        rf" = {matrix(t.note_dS)} \qquad \Big(-\frac{{y_j}}{{\hat y_j}} = {matrix(t.dS)}\Big)",
        t.note_dS, c_ids, "softmax.note_dS")
    gives = Step(
        "backward", "note dL/dz", r"J^T \left(-\sum_j \frac{y_j}{\hat y_j}\right)",
        rf"{matrix(t.note_dz)} \qquad \Big(\frac{{1}}{{T}}(\hat y - y) = {matrix(t.dz)}\Big)",
        t.note_dz, _ids("dz", t.n), "softmax.note_dz")
    return wrote, gives


def default_label() -> int:
    """The class of presets.SOFTMAX's one-hot label, 0-based."""
    from .presets import SOFTMAX

    return int(np.argmax(SOFTMAX["label"]))


def default_logits(n: int) -> tuple[float, ...]:
    """The note's three logits (presets.SOFTMAX), extended with EXTRA_LOGITS up to n classes."""
    from .presets import SOFTMAX

    base = tuple(SOFTMAX["z"]) + EXTRA_LOGITS
    if not 2 <= n <= len(base):
        raise ValueError(f"number of classes must be between 2 and {len(base)}; got {n!r}")
    return base[:n]


# -- inputs -----------------------------------------------------------------------------------------
def _inputs(z, temperature, label, cell):
    z = validation.finite_array("logits z", z, ndim=(1,))
    n = z.size
    if not 2 <= n <= MAX_CLASSES:
        raise ValueError(f"logits z must have between 2 and {MAX_CLASSES} entries; got {n}")
    T = validation.finite_array("temperature T", temperature, ndim=(0,)).item()
    if T <= 0:
        raise ValueError(f"temperature T must be positive; got {T!r}")
    with np.errstate(over="ignore"):
        u = z / T
    if not np.abs(u).max() <= MAX_SCALED_LOGIT:
        raise ValueError(f"|z / T| must stay at most {MAX_SCALED_LOGIT:g} so that e^(z/T) is a finite number; "
                         f"got z = {z.tolist()}, T = {T!r}")
    if u.max() - u.min() > MAX_SCALED_LOGIT:
        raise ValueError(f"the spread max(z/T) - min(z/T) must stay at most {MAX_SCALED_LOGIT:g} so that every "
                         f"S_j is a non-zero number (its log and -y_j/S_j are shown); got z = {z.tolist()}, T = {T!r}")
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        _index("label class", label, n)
        y = np.eye(n)[label]
    else:
        y = validation.finite_array("label y", label, ndim=(1,))
        if y.size != n:
            raise ValueError(f"label y must have one entry per logit ({n}); got {y.size}")
        if np.any(y < 0) or abs(y.sum() - 1.0) > 1e-9:
            raise ValueError(f"label y must be a probability vector (non-negative, summing to 1); got {y.tolist()}")
    try:
        j, k = cell
    except (TypeError, ValueError):
        raise ValueError(f"cell must be a pair (j, k) of 0-based class indices; got {cell!r}") from None
    _index("Jacobian row j", j, n)
    _index("Jacobian column k", k, n)
    if k == j:
        k = (j + 1) % n   # the off-diagonal step needs k != j
    return z, float(T), y, (int(j), int(k))


def _finite(what: str, arr: np.ndarray, T: float) -> np.ndarray:
    """Refuse a derivative that the 1/T of z/T has pushed past the largest double."""
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} overflowed: every derivative carries a factor 1/T, and the temperature "
                         f"T = {T!r} is too small for it; use a larger T")
    return arr


def _index(what: str, i, n: int) -> None:
    if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or not 0 <= i < n:
        raise ValueError(f"{what} must be a 0-based class index from 0 to {n - 1}; got {i!r}")


# -- steps ------------------------------------------------------------------------------------------
def _col(v: np.ndarray) -> str:
    return matrix(np.asarray(v).reshape(-1, 1))


def _column(v: np.ndarray) -> np.ndarray:
    """A step's vector value as a column, as the note writes dvalue and J @ dvalue (and narrow on screen)."""
    return readonly(np.asarray(v).reshape(-1, 1))


def _stack(entries) -> str:
    return r"\begin{pmatrix} " + r" \\ ".join(entries) + r" \end{pmatrix}"


def _ids(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{j}" for j in range(1, n + 1))


def _cells(n: int) -> tuple[str, ...]:
    return tuple(f"J{sub(j, k)}" for j in range(1, n + 1) for k in range(1, n + 1))


def _batch_ids(prefix: str, batch: int, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{sub(b, j)}" for b in range(1, batch + 1) for j in range(1, n + 1))


def _entry_step(t: SoftmaxTrace, j: int, k: int) -> Step:
    """dS_j/dz_k with the numbers: the j = k case (1 - S_k) or the j != k case (0 - S_k)."""
    J, K, T = j + 1, k + 1, num(t.T)
    delta = 1 if j == k else 0
    head = rf"\frac{{\partial S_{{{J}}}}}{{\partial z_{{{K}}}}}"
    if j == k:
        formula = rf"{head} = \frac{{1}}{{T}}\, S_{{{J}}} \left(1 - S_{{{J}}}\right)"
        kind = "softmax.diag"
    else:
        formula = (rf"{head} = \frac{{1}}{{T}}\, S_{{{J}}} \left(0 - S_{{{K}}}\right)"
                   rf" = -\frac{{1}}{{T}}\, S_{{{J}}} S_{{{K}}}")
        kind = "softmax.off"
    value = float(t.J[j, k])
    numbers = rf"\frac{{1}}{{{T}}} \cdot {num(t.S[j])} \cdot \left({delta} - {num(t.S[k])}\right) = {num(value)}"
    ids = (f"J{sub(J, K)}", f"S{J}") + ((f"S{K}",) if j != k else ())
    return Step("backward", f"dS{J}/dz{K}", formula, numbers, value, ids, kind,
                (("j", str(J)), ("k", str(K)), ("T", T)))


def _with_steps(t: SoftmaxTrace) -> SoftmaxTrace:
    n, T, B = t.n, num(t.T), t.batch
    S_ids, g_ids, dz_ids, cells = _ids("S", n), _ids("g", n), _ids("dz", n), _cells(n)
    labelled = tuple(f"S{j + 1}" for j in np.flatnonzero(t.y))
    one_hot = labelled and len(labelled) == 1 and t.y.max() == 1.0
    c = int(np.argmax(t.y)) + 1
    steps: list[Step] = []
    info = (("T", T), ("n", str(n)))

    # forward: e^{z/T}, their sum, S
    exps = _stack(rf"e^{{{num(zj)}/{T}}}" for zj in t.z)
    steps.append(Step("forward", "e", r"e_j = e^{z_j / T}", rf"{exps} = {_col(t.e)}", _column(t.e),
                      S_ids, "softmax.exp", info))
    steps.append(Step("forward", "sum", r"\Sigma = \sum_{l=1}^{n} e^{z_l / T}",
                      " + ".join(num(v) for v in t.e) + f" = {num(t.total)}", t.total, S_ids, "softmax.sum", info))
    steps.append(Step("forward", "S", r"\hat y_j = S_j = \frac{e^{z_j / T}}{\Sigma}",
                      rf"\frac{{1}}{{{num(t.total)}}} {_col(t.e)} = {_col(t.S)}", _column(t.S), S_ids, "softmax.S",
                      info + (("max", str(int(np.argmax(t.S)) + 1)),)))
    if one_hot:
        loss_numbers = rf"-\log S_{{{c}}} = -\log {num(t.S[c - 1])} = {num(t.loss)}"
        loss_formula = rf"L = -\sum_j y_j \log S_j = -\log S_{{{c}}}"
    else:
        terms = " + ".join(rf"{factor(yj)} \log {num(sj)}" for yj, sj in zip(t.y, t.S))
        loss_numbers = rf"-\left({terms}\right) = {num(t.loss)}"
        loss_formula = r"L = -\sum_j y_j \log S_j"
    steps.append(Step("forward", "L", loss_formula, loss_numbers, t.loss, ("L",) + labelled,
                      "softmax.loss" if one_hot else "softmax.loss_soft", (("c", str(c)), ("loss", num(t.loss)))))

    # the Jacobian: one diagonal entry, one off-diagonal entry, the whole matrix, its properties
    j, k = t.cell
    steps.append(_entry_step(t, j, j))
    steps.append(_entry_step(t, j, k))
    numbers = rf"S = {_col(t.S)}:\quad \frac{{1}}{{{T}}}\left(\operatorname{{diag}}(S) - S S^T\right) = J"
    steps.append(Step(
        "backward", "J",
        r"J = \frac{\partial S}{\partial z} = \frac{1}{T}\left(\operatorname{diag}(S) - S S^T\right),"
        r"\quad J_{jk} = \frac{1}{T}\, S_j (\delta_{jk} - S_k)",
        numbers, t.J, cells, "softmax.J", info))
    steps.append(Step(
        "backward", "J1", r"J \mathbf{1} = 0, \quad J = J^T, \quad \operatorname{rank} J = n - 1",
        rf"J \mathbf{{1}} = {_col(t.row_sums)},\quad \max_{{j,k}} |J - J^T| = {num(t.asymmetry)},"
        rf"\quad \operatorname{{rank}} J = {t.rank}",
        _column(t.row_sums), cells, "softmax.props" if t.rank == n - 1 else "softmax.props_low",
        (("n", str(n)), ("rank", str(t.rank)), ("n1", str(n - 1)))))

    # backward from cross-entropy: dL/dS, the full chain J^T dL/dS, the collapse (S - y)/T
    ratios = _stack(rf"\frac{{{num(yj)}}}{{{num(sj)}}}" for yj, sj in zip(t.y, t.S))
    steps.append(Step(
        "backward", "dL/dS", r"g_j = \frac{\partial L}{\partial S_j} = -\frac{y_j}{S_j}",
        rf"-{ratios} = {_col(t.dS)}", _column(t.dS), g_ids + labelled, "softmax.dS", (("c", str(c)),)))
    steps.append(Step(
        "backward", "J^T g",
        r"\frac{\partial L}{\partial z_k} = \sum_j \frac{\partial L}{\partial S_j} \frac{\partial S_j}{\partial z_k}"
        r" = \left(J^T g\right)_k",
        rf"{matrix(t.J.T)} {_col(t.dS)} = {_col(t.dz_chain)}", _column(t.dz_chain), dz_ids + cells + g_ids,
        "softmax.chain", info))
    steps.append(Step(
        "backward", "dL/dz", r"\frac{\partial L}{\partial z} = \frac{1}{T}\left(\hat y - y\right) = \frac{1}{T}(S - y)",
        rf"\frac{{1}}{{{T}}}\left({_col(t.S)} - {_col(t.y)}\right) = {_col(t.dz)}",
        _column(t.dz), dz_ids + S_ids, "softmax.collapse", info + (("gap", num(t.gap)),)))

    # a batch: the note's loop over samples beside the vectorised form
    steps.append(Step(
        "forward", "S batch",
        r"S_b = \operatorname{softmax}(z_b / T), \quad z_b = z \text{ moved } b - 1 \text{ places}",
        rf"Z = {matrix(t.Z)} \;\Rightarrow\; S = {matrix(t.SB)}", t.SB, _batch_ids("SB", B, n),
        "softmax.batch_S", (("B", str(B)), ("T", T))))
    steps.append(Step(
        "backward", "dZ loop",
        r"\text{for each } i:\; J_i = \tfrac{1}{T}\left(\operatorname{diagflat}(s_i) - s_i s_i^T\right),"
        r"\; d\text{inputs}_i = J_i \, d\text{values}_i, \; d\text{values}_i = -\tfrac{1}{B}\, \frac{y_i}{s_i}",
        rf"d\text{{values}} = {matrix(t.dvalues)} \;\Rightarrow\; d\text{{inputs}} = {matrix(t.dZ_loop)}",
        t.dZ_loop, _batch_ids("dB", B, n), "softmax.batch_loop", (("B", str(B)), ("T", T))))
    steps.append(Step(
        "backward", "dZ vectorised", r"d\text{inputs} = \frac{1}{B\,T}\left(S - Y\right)",
        rf"\frac{{1}}{{{B} \cdot {T}}} {matrix(t.SB - t.Y)} = {matrix(t.dZ_vec)}",
        t.dZ_vec, _batch_ids("dB", B, n), "softmax.batch_vec", (("B", str(B)), ("gap", num(t.batch_gap)))))

    return replace(t, steps=tuple(steps))

"""Slips: the wrong answers a learner (or a note) is likely to give for a step, computed, and told apart.

Two uses, one idea: a slip is a formula that is nearly right, and its number shows how far off it is.

- Predict, then reveal: for each backward step, the candidate wrong answers built from the quantities the
  trace already holds (`network_candidates`, `column_candidates`, `softmax_candidates`, `edge_candidates`),
  and `diagnose(value, answer, candidates)`, which says whether an answer is right and, if not, which slip
  it matches. The kinds:
      mask            the activation's slope f'(h) left out (for ReLU: the mask of units that are off)
      transpose       W where W^T belongs, or a^T dz read the other way round
      batch           the 1/batch of the averaged loss forgotten
      as_one          the output activation's derivative taken as 1 (the notes' softmax shortcut)
      loss_factor     the other loss's factor: 2/n of the mean squared error against 1/2 sum of squares
      index           the output weight w_Nji multiplied by the wrong output's dz (the notes' dw322)
      input           dW_1 from the layer's own output A_1 instead of its input X (note 001)
      note_sum        -sum_j y_j / y_hat_j for every j (note 003)
      temperature     the 1/T of softmax(z / T) forgotten
      kronecker       the other case of delta_jk in S_j (delta_jk - S_k)
      local, upstream one factor of upstream x local left out (the graph lesson)
      sign            the value with its sign flipped
  and for an update W* = W - eta dL/dW (the training lesson, `update_candidates`):
      ascent          the step taken up the gradient, W + eta dL/dW
      rate            the learning rate left out, W - dL/dW
      change          the change alone, -eta dL/dW, not the new weights
- The notes' own slips (DESIGN.md section 5), lesson by lesson (`chain_rule`, `single_node_chain`,
  `matrix_network`, `softmax_jacobian`, `deep_networks`, `training`): what the note wrote, what is right,
  and the number each gives on the current example. They reuse the slips paths.py, softmax_lesson.py and
  deep.py already compute for their lessons.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from . import deep, graph_examples, paths
from .activations import ACTIVATIONS
from .step import readonly

RTOL = 1e-2   # an answer is right when every entry is within 1% of the value ...
ATOL = 1e-3   # ... or within 0.001 of it (for entries near 0)
# Every kind of candidate the functions below produce (each has a sentence in the message catalogues).
KINDS = ("mask", "transpose", "batch", "as_one", "loss_factor", "index", "input", "note_sum", "temperature",
         "kronecker", "local", "upstream", "sign", "ascent", "rate", "change")


# -- candidates and the diagnosis -----------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One likely wrong answer to a step: the slip's kind and the value it gives (the step's shape)."""

    kind: str
    value: float | np.ndarray
    info: tuple[tuple[str, str], ...] = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.info)


@dataclass(frozen=True)
class Verdict:
    """An answer checked: right, or the slip it matches (None: no slip recognised)."""

    right: bool
    slip: Candidate | None = None

    @property
    def kind(self) -> str | None:
        return None if self.slip is None else self.slip.kind


def close(answer, value, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Every entry of answer within max(atol, rtol |value|) of value's entry."""
    a, v = np.asarray(answer, dtype=float), np.asarray(value, dtype=float)
    if a.shape != v.shape:
        raise ValueError(f"an answer must have the value's shape {v.shape}; got {a.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(v))):
        return False
    return bool(np.all(np.abs(a - v) <= np.maximum(atol, rtol * np.abs(v))))


def diagnose(value, answer, candidates: Iterable[Candidate] = (), rtol: float = RTOL, atol: float = ATOL) -> Verdict:
    """Right, or the first candidate the answer matches. A candidate that is itself close to the right value
    (a ReLU mask of ones, the sign of 0) is passed over: it cannot be told apart from the right answer."""
    if close(answer, value, rtol, atol):
        return Verdict(True)
    for candidate in candidates:
        if not close(candidate.value, value, rtol, atol) and close(answer, candidate.value, rtol, atol):
            return Verdict(False, candidate)
    return Verdict(False)


def _like(arr, value) -> float | np.ndarray:
    """A candidate in the step's own form: a float for a scalar step, a read-only array of its shape else."""
    arr = np.asarray(arr, dtype=float)
    if not isinstance(value, np.ndarray):
        return float(arr.item())
    return readonly(arr.reshape(value.shape))


def _sign(value) -> Candidate:
    return Candidate("sign", _like(-np.asarray(value, dtype=float), value))


def _per_backward_step(steps, propose) -> dict[str, tuple[Candidate, ...]]:
    """For each backward step, by name: the candidates `propose(step, add)` gives through
    add(kind, value, **info), then the value with its sign flipped. On an extreme example a candidate may
    overflow to inf: it then never matches an answer, silently."""
    out: dict[str, tuple[Candidate, ...]] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for step in steps:
            if step.phase != "backward":
                continue
            found: list[Candidate] = []

            def add(kind: str, arr, **info: str) -> None:
                found.append(Candidate(kind, _like(arr, step.value), tuple(info.items())))

            propose(step, add)
            found.append(_sign(step.value))
            out[step.name] = tuple(found)
    return out


def _square(W: np.ndarray) -> bool:
    return W.ndim == 2 and W.shape[0] == W.shape[1]


# -- the network lessons (row form): single-node chain, matrix network --------------------------------------
def _loss_ratio(net) -> float | None:
    """The notes' dL/dy over the right one: 2/n for half_sse (the notes' MSE), n/2 for mse (their y - label)."""
    n = net.widths[-1]
    return {"half_sse": 2.0 / n, "mse": n / 2.0}.get(net.loss)


def network_candidates(net, trace) -> dict[str, tuple[Candidate, ...]]:
    """For each backward step of net.backprop's trace, by step name: the likely wrong answers."""
    N, B = net.depth, trace.x.shape[0]
    df = ACTIVATIONS[net.hidden].df
    as_one: dict[str, object] = {}
    if not net.output_grad_as_one and net.output != "identity":
        try:
            other = net.replace(output_grad_as_one=True).backprop(trace.x, trace.label)
            as_one = {s.name: s.value for s in other.steps if s.phase == "backward"}
        except ValueError:   # the shortcut's gradients overflow where the exact ones do not: no such candidate
            pass
    chain = net.is_chain and B == 1
    ratio = _loss_ratio(net)

    def propose(step, add) -> None:
        name, value = step.name, step.value
        if name == "dL/dy":
            if ratio is not None and ratio != 1.0:
                add("loss_factor", np.asarray(value) * ratio)
        elif chain and name.startswith(("dL/dw", "dL/db")):
            k = int(step.params["k"])
            first = 1.0 if name.startswith("dL/db") else float(trace.a[k - 1].item())
            if k < N:   # every slope f'(h_m) left out: the product of the weights alone
                weights = np.prod([float(W.item()) for W in net.weights[k:]])
                add("mask", first * weights * float(trace.dz[-1].item()))
            if ratio is not None and ratio != 1.0:
                add("loss_factor", value * ratio)
        elif name.startswith("dL/dw"):       # one output weight w_Nji of the matrix view
            j, i = int(step.params["j"]), int(step.params["i"])
            a_i, dz = trace.a[N - 1][0, i - 1], trace.dz[-1][0]
            for other in range(1, dz.size + 1):
                if other != j:
                    add("index", a_i * dz[other - 1], j=str(j), other=str(other))
            if _square(net.weights[-1]):
                add("transpose", trace.dW[-1][j - 1, i - 1])
        elif name.startswith("dL/da"):
            k = int(step.params["k"])
            if _square(net.weights[k]):
                add("transpose", trace.dz[k] @ net.weights[k])
        elif name.startswith("dz") and int(name[2:]) < N:
            k = int(name[2:])
            add("mask", trace.da[k])
            if _square(net.weights[k]):
                add("transpose", (trace.dz[k] @ net.weights[k]) * df(trace.h[k - 1]))
        elif name.startswith("dW"):
            k = int(name[2:])
            if k < N:
                add("mask", trace.a[k - 1].T @ trace.da[k])
            if k == 1 and N >= 2 and trace.a[1].shape[1] == trace.x.shape[1]:
                add("input", trace.a[1].T @ trace.dz[0])
            if _square(trace.dW[k - 1]):
                add("transpose", trace.dW[k - 1].T)
        elif name.startswith("db"):
            k = int(name[2:])
            if k < N:
                add("mask", trace.da[k].sum(axis=0))
        if B > 1:
            add("batch", np.asarray(value) * B, batch=str(B))
        if name in as_one and name != "dL/dy":
            add("as_one", as_one[name])

    return _per_backward_step(trace.steps, propose)


# -- the deep-networks lesson (column form) ----------------------------------------------------------------
def column_candidates(net, ct, rt) -> dict[str, tuple[Candidate, ...]]:
    """The column form's steps (deep.column_backprop) get the row form's candidates, transposed: the note's
    delta(k) is our dz_k as a column and its W_k our W_{k+1}^T. `rt` is net.backprop on the same sample."""
    row = network_candidates(net, rt)
    out = {}
    for step, row_name in zip(ct.steps, ct.row_names):
        if step.phase != "backward":
            continue
        found = [Candidate(c.kind, _like(np.transpose(np.atleast_2d(c.value)), step.value), c.info)
                 for c in row.get(row_name, ()) if c.kind != "sign"]
        out[step.name] = tuple(found) + (_sign(step.value),)
    return out


# -- the softmax lesson ------------------------------------------------------------------------------------
def softmax_candidates(t) -> dict[str, tuple[Candidate, ...]]:
    """For each backward step of softmax_lesson.trace(...), by step name."""
    T, B, n = t.T, t.batch, t.n
    dS = t.dS.reshape(-1, 1)

    def propose(step, add) -> None:
        name, value = step.name, step.value
        if name.startswith("dS"):
            j, k = int(step.params["j"]) - 1, int(step.params["k"]) - 1
            other = 0.0 if j == k else 1.0          # the other case of delta_jk
            add("kronecker", t.S[j] * (other - t.S[k]) / T)
        elif name == "J":
            add("as_one", np.eye(n))
        elif name == "dL/dS":
            add("note_sum", t.note_dS)
        elif name == "J^T g":
            add("note_sum", t.note_dz)
            add("as_one", dS)
        elif name == "dL/dz":
            add("as_one", dS)
        elif name in ("dZ loop", "dZ vectorised"):
            add("as_one", t.dvalues)
            add("batch", np.asarray(value) * B, batch=str(B))
        if name != "dL/dS" and T != 1.0:
            add("temperature", np.asarray(value) * T, T=f"{T:g}")

    return _per_backward_step(t.steps, propose)


# -- the graph lesson --------------------------------------------------------------------------------------
def edge_candidates(upstream: float, local: float) -> tuple[Candidate, ...]:
    """Backward along one edge, upstream x local: one factor left out, or the sign flipped."""
    product = upstream * local
    return (Candidate("local", float(upstream)), Candidate("upstream", float(local)), _sign(product))


# -- the training lesson -----------------------------------------------------------------------------------
def update_candidates(W, dW, lr: float) -> tuple[Candidate, ...]:
    """W* = W - lr dL/dW: uphill instead of downhill, the learning rate left out, or the change alone."""
    W, dW = np.asarray(W, dtype=float), np.asarray(dW, dtype=float)
    if W.shape != dW.shape:
        raise ValueError(f"W and dL/dW must have one shape; got {W.shape} and {dW.shape}")
    with np.errstate(over="ignore", invalid="ignore"):   # an overflowing candidate never matches an answer
        return (Candidate("ascent", readonly(W + lr * dW)), Candidate("rate", readonly(W - dW)),
                Candidate("change", readonly(-lr * dW)))


# -- the notes' own slips, lesson by lesson ------------------------------------------------------------------
@dataclass(frozen=True)
class NoteSlip:
    """What a note wrote beside what is right, with the number each gives on the current example.

    notes:  which notes ("000, 001")
    kind:   the catalogue key of the sentence that explains it (slips.kind.<kind>), with `info` its fields
    wrote, right: LaTeX ("" where the slip is in words only)
    wrote_value, right_value: the numbers (None where a side gives none: symbols only, or shapes that do
            not fit, which `info`'s "why" then names)
    check:  the right value once more, by an independent computation (finite differences), or None
    """

    notes: str
    kind: str
    wrote: str = ""
    right: str = ""
    wrote_value: float | np.ndarray | None = None
    right_value: float | np.ndarray | None = None
    check: float | np.ndarray | None = None
    info: tuple[tuple[str, str], ...] = ()

    @property
    def params(self) -> dict[str, str]:
        return dict(self.info)


# Which slips of DESIGN.md section 5 each lesson shows, in order (kinds; variants add a suffix).
LESSON_SLIPS = MappingProxyType({
    "chain_rule": ("graph_dy", "graph_weight", "graph_mul"),
    "single_node_chain": ("dy", "chain_first_factor"),
    "matrix_network": ("h12", "dy", "as_one", "dw322", "da_dy_da", "dW1_input"),
    "softmax_jacobian": ("as_one", "note_sum", "note_sum_dz", "equals"),
    "deep_networks": ("deep_inside", "deep_unrolled", "deep_index"),
    "training": ("dW1_input", "batch_factor"),
})
_NOTES = MappingProxyType({"dy": "000, 001", "chain_first_factor": "001", "h12": "000, 001", "as_one": "000",
                           "dw322": "000, 001", "da_dy_da": "000", "dW1_input": "001"})


def _from_paths(slip: paths.Slip, variant: str = "") -> NoteSlip:
    """paths.notes_slips' record as a NoteSlip; its kinds dy_mse, softmax_as_one become dy.mse, as_one.<variant>."""
    kind = {"dy_mse": "dy.mse", "dy_half_sse": "dy.half_sse", "softmax_as_one": f"as_one.{variant}"}.get(
        slip.kind, slip.kind)
    return NoteSlip(_NOTES[kind.split(".")[0]], kind, slip.wrote, slip.right, slip.wrote_value, slip.right_value)


def _d(top: str, var: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {var}}}"


def chain_rule(example: str, values: Mapping[str, float]) -> tuple[NoteSlip, ...]:
    """Notes 002 and 003 on a computational graph, with this example's gradients where it has the quantities."""
    f = graph_examples.build(example, values)
    f.backward()
    grad = {node.label: node.grad for node in f.topological()}
    fx, fy, fz = (_d("f", v) for v in "xyz")
    blank = _d("f", r"\ ")   # the note's df/d? : nothing under the bar
    if {"x", "y", "z"} <= grad.keys():
        row = readonly(np.array([[grad["x"], grad["y"], grad["z"]]]))
        dy = NoteSlip("002", "graph_dy", rf"\left({fx},\ {blank},\ {fz}\right)",
                      rf"\left({fx},\ {fy},\ {fz}\right)", None, row)
    else:
        dy = NoteSlip("002", "graph_dy", rf"{fx},\ {blank},\ {fz}", rf"{fx},\ {fy},\ {fz}",
                      info=(("where", "sum_times"),))
    # note 003 titles the weight's impact d output / d x1 but multiplies by x1: on the neuron, p0 = w0 x0
    lhs = rf"{_d('f', 'x_{0}')} = {_d('f', 'p_{0}')}"
    wrote, right = rf"{lhs} \cdot x_{{0}}", rf"{lhs} \cdot w_{{0}}"
    if example == "sigmoid_neuron":
        weight = NoteSlip("003", "graph_weight", wrote, right, grad["p0"] * values["x0"], grad["x0"])
    else:
        weight = NoteSlip("003", "graph_weight", wrote, right, info=(("where", "sigmoid_neuron"),))
    mul = NoteSlip("003", "graph_mul", r"\operatorname{mul}(x_3, y_3)", r"\operatorname{mul}(x_3, w_3)")
    return dy, weight, mul


def single_node_chain(net, trace) -> tuple[NoteSlip, ...]:
    """Notes 000/001 on the chain: the 1/n of dL/dy, and note 001's first factor of dL/dw3."""
    found = paths.notes_slips(net, trace)
    out = [_from_paths(found["dL/dy"])] if "dL/dy" in found else []
    first = found[f"dL/dw{net.depth}"]
    # the note's own product names dL/dw3 inside itself: there is no number to give; the right one is dL/dw3
    out.append(NoteSlip("001", first.kind, first.wrote, first.right, None, float(trace.dW[-1].item())))
    return tuple(out)


def matrix_network(net, trace) -> tuple[NoteSlip, ...]:
    """Notes 000/001 on the 2x2x2 network, in the order of the steps they belong to."""
    found = paths.notes_slips(net, trace)
    order = ["h1", "dL/dy", f"dz{net.depth}", *[n for n in found if n.startswith("dL/dw")],
             *[n for n in found if n.startswith("dL/da")], "dW1"]
    out = []
    for name in order:
        if name not in found:
            continue
        ce = net.output == "softmax" and net.loss == "cross_entropy"
        out.append(_from_paths(found[name], "softmax_ce" if ce else net.output))
    return tuple(out)


def softmax_jacobian(t) -> tuple[NoteSlip, ...]:
    """Note 000's "softmax' = 1" and note 003's sum over j, on the softmax lesson's example."""
    S, y, T = t.S.reshape(-1, 1), t.y.reshape(-1, 1), t.T
    dz, dS = t.dz.reshape(-1, 1), t.dS.reshape(-1, 1)
    as_one = NoteSlip(
        "000", "as_one.lesson",
        rf"{_d('S', 'z')} = 1 \;\Rightarrow\; {_d('L', 'z')} = {_d('L', 'S')} = -\frac{{y}}{{S}}",
        rf"{_d('L', 'z')} = J^T {_d('L', 'S')} = \frac{{1}}{{T}}(S - y)", readonly(dS), readonly(dz))
    note_sum = NoteSlip("003", "note_sum", r"\frac{\partial L}{\partial \hat y_j} = -\sum_j \frac{y_j}{\hat y_j}",
                        r"\frac{\partial L}{\partial \hat y_j} = -\frac{y_j}{\hat y_j}",
                        readonly(t.note_dS.reshape(-1, 1)), readonly(dS))
    through = NoteSlip("003", "note_sum_dz", r"J^T \left(-\sum_j \frac{y_j}{\hat y_j}\right)",
                       r"J^T \left(-\frac{y_j}{\hat y_j}\right) = \frac{1}{T}(\hat y - y)",
                       readonly(t.note_dz.reshape(-1, 1)), readonly(dz))
    # the last derivation joins the j = k term and the sum over j != k with "=": they are added (k: the label)
    k = int(np.argmax(t.y))
    term = -y[k, 0] * (1.0 - S[k, 0])
    rest = float(sum(y[j, 0] * S[k, 0] for j in range(t.n) if j != k))
    K = k + 1
    equals = NoteSlip(
        "003", "equals",
        rf"-y_{{{K}}}(1 - \hat y_{{{K}}}) = \sum_{{j \neq {K}}} y_j \hat y_{{{K}}}",
        rf"-y_{{{K}}}(1 - \hat y_{{{K}}}) + \sum_{{j \neq {K}}} y_j \hat y_{{{K}}} = \hat y_{{{K}}} - y_{{{K}}}",
        readonly(np.array([[term, rest]])), term + rest, info=(("k", str(K)), ("T", f"{T:g}")))
    return as_one, note_sum, through, equals


def deep_networks(ct, k: int, i: int, j: int) -> tuple[NoteSlip, ...]:
    """Note 004's two slips (deep.note_slips, the second for the weight w^{(k)}_{ij}) and its two countings."""
    inside, unrolled = deep.note_slips(ct, k, i, j)
    return (
        NoteSlip("004", "deep_inside", inside.wrote, inside.right, inside.wrote_value, inside.right_value,
                 inside.check, inside.info),
        NoteSlip("004", "deep_unrolled", unrolled.wrote, unrolled.right, unrolled.wrote_value, unrolled.right_value,
                 None, unrolled.info),
        NoteSlip("004", "deep_index"),
    )


def training(net, X, Y, batch: int, seed: int) -> tuple[NoteSlip, ...]:
    """Notes 000/001 on the first mini-batch of a run (training.batches(..., epoch 1)[0]): dW1 from A1 rather
    than X, and the 1/batch that averaging the loss over a mini-batch puts into every gradient."""
    from .training import batches

    idx = batches(len(X), batch, seed, 1)[0]
    trace = net.backprop(np.asarray(X)[idx], np.asarray(Y)[idx], steps=False)
    B, N = len(idx), net.depth
    x, a1, dz1 = trace.x, trace.a[1], trace.dz[0]
    if N >= 2 and a1.shape[1] == x.shape[1]:
        dW1 = NoteSlip("001", "dW1_input", r"dW_1 = A_1^T dz_1", r"dW_1 = X^T dz_1", readonly(a1.T @ dz1),
                       trace.dW[0])
    else:
        dW1 = NoteSlip("001", "dW1_input", r"dW_1 = A_1^T dz_1", r"dW_1 = X^T dz_1", None, trace.dW[0],
                       info=(("why", "dims"), ("left", f"{a1.shape[1]} \u00d7 {dz1.shape[1]}"),
                             ("right", f"{x.shape[1]} \u00d7 {dz1.shape[1]}")))
    batch_factor = NoteSlip(
        "000, 001", "batch_factor",
        rf"dW_{{{N}}} = \textstyle\sum_b a_{{{N - 1},b}}^T dz_{{{N},b}}",
        rf"dW_{{{N}}} = \tfrac{{1}}{{{B}}} \textstyle\sum_b a_{{{N - 1},b}}^T dz_{{{N},b}}",
        readonly(B * trace.dW[-1]), trace.dW[-1], info=(("B", str(B)),))
    return dW1, batch_factor

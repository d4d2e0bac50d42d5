"""Handouts: a lesson's worked example as a Markdown file with LaTeX and as a runnable Jupyter notebook.

    from bp_core import handout
    h = handout.Handout(title, settings, steps, sentences, handout.network_code(net, trace), words)
    handout.markdown(h)        # str: the inputs, then every step's formula, numbers and value
    handout.notebook_json(h)   # str: an .ipynb (nbformat v4)

The notebook is the honest check of the numbers it prints: its code recomputes every step with plain NumPy,
written out for the lesson's own maths (the network's forward and backward pass, the graph's nodes and edges,
the softmax and its Jacobian), and again with bp_core when bp_core is importable; then it asserts that both
agree with the step values printed in its Markdown cells, which it holds as data, to full precision.

The caller supplies every word (the step sentences and the headings, from its message catalogue); the
recompute builders here (network_code, deep_code, softmax_code, graph_code) supply the maths.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import nbformat
import numpy as np

from . import graph_examples
from .graph import Value, latex_name
from .step import Step, sub, value_latex

# A step whose numbers or value take more LaTeX than this is not typeset in the Markdown (a 200-point
# mini-batch): the handout says so, and the notebook still checks its value.
LONG_LATEX = 6000
# How closely the notebook's recomputed values must match the printed ones: relative, and absolute
# relative to the largest entry of the step (a sum that cancels to about 0 keeps its rounding).
RTOL = 1e-9
ATOL = 1e-12

# The words a handout needs from the caller's message catalogue; step, long and the phases take fields.
WORDS = (
    "intro", "how", "settings", "setting", "value_col", "given", "steps", "step", "formula", "numbers", "value",
    "long", "results", "numpy", "core", "core_missing", "check", "json", "checked", "sources_numpy", "sources_both",
    "phase.forward", "phase.backward", "phase.update",
)


@dataclass(frozen=True)
class Recompute:
    """A lesson's maths as notebook code.

    given:  the example's numbers as (LaTeX name, number or array) pairs, for the Markdown
    setup:  code that sets the inputs as literals (and imports NumPy)
    numpy:  plain NumPy that fills the dict `numpy_values`: step name -> value, as the steps hold it
    core:   code that fills `core_values` the same way from bp_core, or sets it to None without bp_core
    results: (key, LaTeX name, value) of further numbers the lesson concludes with (a graph's gradients),
            printed after the steps and checked like them (the numpy and core code fill them too)
    """

    given: tuple[tuple[str, float | np.ndarray], ...]
    setup: str
    numpy: str
    core: str
    results: tuple[tuple[str, str, float | np.ndarray], ...] = ()


@dataclass(frozen=True)
class Handout:
    """One worked example, ready to write: every text comes from the caller.

    settings:  (label, shown value) of the page's inputs, Markdown
    sentences: one per step, what it means in words (Markdown, may hold $LaTeX$)
    words:     the catalogue texts named in WORDS
    """

    title: str
    settings: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]
    sentences: tuple[str, ...]
    recompute: Recompute
    words: Mapping[str, str]

    def __post_init__(self):
        if len(self.sentences) != len(self.steps):
            raise ValueError(f"one sentence per step: {len(self.steps)} steps, {len(self.sentences)} sentences")
        names = [s.name for s in self.steps] + [key for key, _, _ in self.recompute.results]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"step names must be unique to be checked by name; repeated: {twice}")
        missing = [w for w in WORDS if w not in self.words]
        if missing:
            raise ValueError(f"handout words missing: {missing}")


# -- Markdown -------------------------------------------------------------------------------------------
def _display(latex: str) -> str:
    return f"$$\n{latex}\n$$"


def _shape_text(value) -> tuple[int, int]:
    arr = np.atleast_2d(np.asarray(value))
    return arr.shape[0], arr.shape[1]


def _header(h: Handout) -> str:
    return f"# {h.title}\n\n{h.words['intro']}"


def _inputs(h: Handout) -> str:
    w = h.words
    parts = [f"## {w['settings']}"]
    if h.settings:
        rows = [f"| {w['setting']} | {w['value_col']} |", "|---|---|"]
        rows += [f"| {label} | {shown} |" for label, shown in h.settings]
        parts.append("\n".join(rows))
    parts.append(f"**{w['given']}**")
    for name, value in h.recompute.given:
        latex = value_latex(value)
        if len(latex) > LONG_LATEX:
            rows, cols = _shape_text(value)
            parts.append(f"${name}$: " + w["long"].format(rows=rows, cols=cols))
        else:
            parts.append(_display(rf"{name} = {latex}"))
    return "\n\n".join(parts)


def _step(h: Handout, k: int) -> str:
    w, step = h.words, h.steps[k]
    head = w["step"].format(k=k + 1, n=len(h.steps))
    parts = [f"### {head} · {w['phase.' + step.phase]} · `{step.name}`", h.sentences[k],
             f"**{w['formula']}**", _display(step.formula)]
    value = value_latex(step.value)
    for label, latex in ((w["numbers"], step.numbers), (w["value"], value)):
        parts.append(f"**{label}**")
        if len(latex) > LONG_LATEX:
            rows, cols = _shape_text(step.value)
            parts.append(w["long"].format(rows=rows, cols=cols))
        else:
            parts.append(_display(latex))
    return "\n\n".join(parts)


def _results(h: Handout) -> str:
    if not h.recompute.results:
        return ""
    lines = "\n\n".join(_display(rf"{name} = {value_latex(value)}") for _, name, value in h.recompute.results)
    return f"## {h.words['results']}\n\n{lines}"


def markdown(h: Handout) -> str:
    """The handout as Markdown with $$ LaTeX $$: title, the example's inputs, then every step."""
    parts = [_header(h), _inputs(h), f"## {h.words['steps']}"]
    parts += [_step(h, k) for k in range(len(h.steps))]
    parts.append(_results(h))
    return "\n\n".join(p for p in parts if p) + "\n"


# -- the notebook ---------------------------------------------------------------------------------------
def literal(value) -> str:
    """A number or an array as Python source that gives back exactly the same floats (repr keeps every digit)."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"a handout holds finite numbers only; got {arr!r}")
    if arr.ndim == 0:
        return repr(float(arr))
    if arr.ndim == 2 and arr.shape[0] > 1:
        rows = ",\n".join(f"    {row!r}" for row in arr.tolist())
        return f"np.array([\n{rows},\n])"
    return f"np.array({arr.tolist()!r})"


def _check_code(h: Handout) -> str:
    """The printed numbers as data, and the assertions that both recomputations give them."""
    printed = [(s.name, s.value) for s in h.steps] + [(key, v) for key, _, v in h.recompute.results]
    entries = "\n".join(f"    {name!r}: {literal(value)}," for name, value in printed)
    return f'''# Every number printed above, to full precision (the Markdown shows 4 significant digits).
printed = {{
{entries}
}}


def agree(got, want, name, source):
    """got (recomputed) equals want (printed): same shape, equal up to rounding."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{{source}}, {{name}}: shape {{got.shape}}, printed {{want.shape}}"
    np.testing.assert_allclose(got, want, rtol={RTOL!r}, atol={ATOL!r} * max(1.0, float(np.abs(want).max())),
                               err_msg=f"{{source}}, {{name}}")


for name, want in printed.items():
    agree(numpy_values[name], want, name, "plain NumPy")
    if core_values is not None:
        agree(core_values[name], want, name, "bp_core")
sources = {h.words["sources_both"]!r} if core_values is not None else {h.words["sources_numpy"]!r}
print({h.words["checked"]!r}.format(n=len(printed), sources=sources))'''


_JSON_CODE = '''# The recomputed values as JSON (the tests read this cell's output).
def plain(values):
    return None if values is None else {name: np.asarray(v, dtype=float).tolist() for name, v in values.items()}


print(json.dumps({"numpy": plain(numpy_values), "core": plain(core_values)}))'''


def notebook(h: Handout) -> nbformat.NotebookNode:
    """The handout as a runnable notebook: the inputs as code, the recomputation (plain NumPy, then bp_core),
    every step as a Markdown cell, then the check that the recomputed values equal the printed ones."""
    v4 = nbformat.v4
    w = h.words
    cells = [
        v4.new_markdown_cell(f"{_header(h)}\n\n{w['how']}"),
        v4.new_markdown_cell(_inputs(h)),
        v4.new_code_cell(h.recompute.setup),
        v4.new_markdown_cell(w["numpy"]),
        v4.new_code_cell(h.recompute.numpy),
        v4.new_markdown_cell(w["core"]),
        v4.new_code_cell(h.recompute.core.replace("__CORE_MISSING__", repr(w["core_missing"]))),
        v4.new_markdown_cell(f"## {w['steps']}"),
        *(v4.new_markdown_cell(_step(h, k)) for k in range(len(h.steps))),
    ]
    if h.recompute.results:
        cells.append(v4.new_markdown_cell(_results(h)))
    cells += [v4.new_markdown_cell(w["check"]), v4.new_code_cell(_check_code(h)),
              v4.new_markdown_cell(w["json"]), v4.new_code_cell(_JSON_CODE)]
    for n, cell in enumerate(cells):
        cell["id"] = f"cell-{n}"   # stable ids: the same example gives the same file
    return v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })


def notebook_json(h: Handout) -> str:
    nb = notebook(h)
    nbformat.validate(nb)
    return nbformat.writes(nb)


# -- the lessons' maths as notebook code ----------------------------------------------------------------
_IMPORTS = "import json\n\nimport numpy as np\n"

_VALUE = '''def value(arr):
    """A step's value as the worked example holds it: a number, or an array."""
    arr = np.asarray(arr, dtype=float)
    return arr.item() if arr.size == 1 else arr


'''

_HIDDEN = MappingProxyType({
    "relu": ('np.maximum(h, 0.0)', '(h > 0).astype(float)', "ReLU; its slope is 1 where h > 0, else 0 (ReLU'(0) = 0)"),
    "sigmoid": ('1.0 / (1.0 + np.exp(-h))', 'f(h) * (1.0 - f(h))', "the sigmoid; its slope is f(h) (1 - f(h))"),
    "tanh": ('np.tanh(h)', '1.0 - np.tanh(h) ** 2', "tanh; its slope is 1 - tanh(h)^2"),
    "identity": ('h * 1.0', 'np.ones_like(h)', "the identity; its slope is 1"),
})

# __CORE_MISSING__ becomes the caller's words for a notebook run where bp_core cannot be imported
_CORE_HEAD = ("try:\n    import bp_core  # noqa: F401\nexcept ImportError:\n    core_values = None\n"
              "    print(__CORE_MISSING__)\nelse:\n")


def _indent(code: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in code.splitlines())


def _activations(hidden: str) -> str:
    f, df, what = _HIDDEN[hidden]
    return (f'def f(h):\n    """Hidden activation: {what}."""\n    return {f}\n\n\n'
            f'def df(h):\n    return {df}\n\n\n')


def _list(arrays: Sequence[np.ndarray], names: Sequence[str]) -> str:
    return "[\n" + "".join(f"    {_indent(literal(a)).strip()},  # {n}\n" for a, n in zip(arrays, names)) + "]"


def network_code(net, trace) -> Recompute:
    """A Network's worked example (bp_core.network: the chain, the 2x2x2 network, one training update) as
    row-vector NumPy: h_k = a_{k-1} W_k + b_k, a_k = f(h_k), the loss, dz_N, then dz_k = (dz_{k+1} W_{k+1}^T)
    * f'(h_k), dW_k = a_{k-1}^T dz_k, and with a learning rate the update and the loss after it."""
    N, batch = net.depth, trace.x.shape[0]
    chain = net.is_chain and batch == 1
    W, b = net.weights, net.biases
    Wn = [f"w_{k}" if chain else f"W_{k}" for k in range(1, N + 1)]
    given = [("x", trace.x), (r"y^{label}", trace.label)]
    given += [((f"w_{{{k}}}" if chain else f"W_{{{k}}}"), Wk) for k, Wk in enumerate(W, 1)]
    if b is not None:
        given += [(f"b_{{{k}}}", bk) for k, bk in enumerate(b, 1)]
    if trace.lr is not None:
        given.append((r"\eta", float(trace.lr)))
    setup = (
        f"{_IMPORTS}\n"
        "# The example, in the notes' row form: h_k = a_(k-1) W_k + b_k; W_k[i-1, j-1] = w_kji joins input i to\n"
        f"# unit j. One row per sample (a batch of {batch}).\n"
        f"x = {literal(trace.x)}\n"
        f"label = {literal(trace.label)}\n"
        f"W = dict(enumerate({_list(W, Wn)}, start=1))\n"
        + (f"b = dict(enumerate({_list(b, [f'b_{k}' for k in range(1, N + 1)])}, start=1))\n" if b is not None
           else "b = None  # no biases\n")
        + f"lr = {'None' if trace.lr is None else repr(float(trace.lr))}  # the learning rate\n"
        f'hidden, output, loss_name = {net.hidden!r}, {net.output!r}, {net.loss!r}\n'
    )
    numpy = (_VALUE + _activations(net.hidden) + _output_code(net.output) + _loss_code(net)
             + _network_body(net, trace, chain))
    core = _CORE_HEAD + _indent(
        "from bp_core import Network\n\n"
        "net = Network([W[k] for k in sorted(W)], None if b is None else [b[k] for k in sorted(b)],\n"
        f"              hidden=hidden, output=output, loss=loss_name, output_grad_as_one={net.output_grad_as_one!r})\n"
        "trace = net.backprop(x, label, lr=lr)\n"
        "core_values = {step.name: step.value for step in trace.steps}\n"
        'print(f"bp_core: {len(core_values)} steps")')
    return Recompute(tuple(given), setup, numpy, core)


def _output_code(output: str) -> str:
    if output == "softmax":
        return ('def out(h):\n    """Output activation: softmax along each row (shifted by the row\'s max: the same '
                'values, no overflow)."""\n    e = np.exp(h - h.max(axis=1, keepdims=True))\n'
                '    return e / e.sum(axis=1, keepdims=True)\n\n\n')
    if output == "sigmoid":
        return ('def out(h):\n    """Output activation: the sigmoid."""\n    return 1.0 / (1.0 + np.exp(-h))\n\n\n'
                'def dout(h):\n    return out(h) * (1.0 - out(h))\n\n\n')
    return ('def out(h):\n    """Output activation: the identity."""\n    return h * 1.0\n\n\n'
            'def dout(h):\n    return np.ones_like(h)\n\n\n')


def _loss_code(net) -> str:
    """loss(h_N, y, label) and dL/dy, averaged over the batch."""
    if net.loss == "half_sse":
        value, grad = "0.5 * np.sum((y - label) ** 2, axis=1).mean()", "(y - label) / len(y)"
        what = "half the sum of squared errors, averaged over the batch"
    elif net.loss == "mse":
        value, grad = "np.mean((y - label) ** 2)", "2.0 * (y - label) / y.size"
        what = "the mean of the squared errors"
    else:
        log_y = {
            "softmax": "shifted = h - h.max(axis=1, keepdims=True)\n"
                       "    log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log softmax(h)",
            "sigmoid": "log_y = -np.logaddexp(0.0, -h)  # log sigmoid(h)",
            "identity": "log_y = np.log(y)",
        }[net.output]
        value = "-np.sum(np.where(label != 0, label * log_y, 0.0), axis=1).mean()"
        grad = "-label / np.maximum(y, TINY) / len(y)"
        what = "cross-entropy, -sum label log y, averaged over the batch (log y from h: exact where y is tiny)"
        return ("TINY = np.finfo(float).tiny  # y is kept above 0 where it is divided by\n\n\n"
                f'def loss(h, y, label):\n    """The loss: {what}."""\n    {log_y}\n    return float({value})\n\n\n'
                f'def loss_grad(y, label):\n    """dL/dy."""\n    return {grad}\n\n\n')
    return (f'def loss(h, y, label):\n    """The loss: {what}."""\n    return float({value})\n\n\n'
            f'def loss_grad(y, label):\n    """dL/dy."""\n    return {grad}\n\n\n')


def _network_body(net, trace, chain: bool) -> str:
    N, batch = net.depth, trace.x.shape[0]
    if net.output_grad_as_one:
        dz_out = "dz[N] = dy  # the notes' simplification: dy/dh_N taken as 1"
    elif net.output == "softmax" and net.loss == "cross_entropy":
        if np.allclose(trace.label.sum(axis=1), 1.0):
            dz_out = "dz[N] = (y - label) / len(y)  # softmax and cross-entropy: the Jacobian and -label/y cancel"
        else:
            dz_out = ("dz[N] = (y * label.sum(axis=1, keepdims=True) - label) / len(y)"
                      "  # the collapse, for labels that do not sum to 1")
    elif net.output == "softmax":
        dz_out = ("# through the softmax: J[b, j, k] = dy_j/dh_k = y_j (delta_jk - y_k), one Jacobian per sample\n"
                  "J = np.stack([np.diag(y_b) - np.outer(y_b, y_b) for y_b in y])\n"
                  'dz[N] = np.einsum("bj,bjk->bk", dy, J)  # dz_N = dL/dy J, row by row')
    else:
        dz_out = "dz[N] = dy * dout(h[N])  # dL/dy times the output activation's slope"
    lines = [
        "def forward(W, b):",
        '    """h_k = a_(k-1) W_k + b_k and a_k = f(h_k); the last layer\'s activation is the output y."""',
        "    h, a = {}, {0: x}",
        f"    for k in range(1, {N} + 1):",
        "        h[k] = a[k - 1] @ W[k] + (0.0 if b is None else b[k])",
        f"        a[k] = out(h[k]) if k == {N} else f(h[k])",
        f"    return h, a, loss(h[{N}], a[{N}], label)",
        "",
        "",
        f"N = {N}",
        "h, a, L = forward(W, b)",
        "y = a[N]",
        "",
        "# backward: dL/dy, through the output, then layer by layer",
        "dy = loss_grad(y, label)",
        "dz, da = {}, {}",
        dz_out,
        "for k in range(N - 1, 0, -1):",
        "    da[k] = dz[k + 1] @ W[k + 1].T  # dL/da_k = dz_(k+1) W_(k+1)^T",
        "    dz[k] = da[k] * df(h[k])  # dz_k = dL/da_k * f'(h_k)",
        "dW = {k: a[k - 1].T @ dz[k] for k in range(1, N + 1)}  # dW_k = a_(k-1)^T dz_k",
        "# db_k = dz_k, summed over the batch",
        "db = None if b is None else {k: dz[k].sum(axis=0) for k in range(1, N + 1)}",
    ]
    if trace.lr is not None:
        lines += [
            "",
            "# one step of gradient descent, and the loss after it",
            "W_new = {k: W[k] - lr * dW[k] for k in W}",
            "b_new = None if b is None else {k: b[k] - lr * db[k] for k in b}",
            "L_new = forward(W_new, b_new)[2]",
        ]
    lines += ["", "# each step's value, by the step's name", "numpy_values = {}"]
    put = lines.append
    for k in range(1, N + 1):
        put(f'numpy_values["h{k}"] = value(h[{k}])')
        put(f'numpy_values["{"y" if k == N else f"a{k}"}"] = value(a[{k}])')
    put('numpy_values["L"] = L')
    put('numpy_values["dL/dy"] = value(dy)')
    biases = net.biases is not None
    if chain:
        for k in range(N, 0, -1):
            put(f'numpy_values["dL/dw{k}"] = value(dW[{k}])')
            if biases:
                put(f'numpy_values["dL/db{k}"] = value(db[{k}])')
    else:
        put(f'numpy_values["dz{N}"] = value(dz[{N}])')
        if batch == 1:
            n_in, n_out = net.weights[-1].shape
            for j in range(1, n_out + 1):
                for i in range(1, n_in + 1):
                    w = sub(N, j, i)
                    put(f'numpy_values["dL/dw{w}"] = dW[{N}][{i - 1}, {j - 1}]  # w_{w}: row {i}, column {j}')
        for k in range(N, 0, -1):
            if k < N:
                put(f'numpy_values["dL/da{k}"] = value(da[{k}])')
                put(f'numpy_values["dz{k}"] = value(dz[{k}])')
            put(f'numpy_values["dW{k}"] = value(dW[{k}])')
            if biases:
                put(f'numpy_values["db{k}"] = value(db[{k}])')
    if trace.lr is not None:
        for k in range(1, N + 1):
            put(f'numpy_values["{"w" if chain else "W"}{k}*"] = value(W_new[{k}])')
            if biases:
                put(f'numpy_values["b{k}*"] = value(b_new[{k}])')
        put('numpy_values["L*"] = L_new')
    put('print(f"plain NumPy: {len(numpy_values)} steps, L = {L:.6g}")')
    return "\n".join(lines)


def deep_code(net, ct) -> Recompute:
    """Note 004's column form (bp_core.deep.column_backprop): p(k+1) = W_k f(p(k)) + b(k), x(k) = f(p(k)),
    delta(N) from the loss, delta(k) = (W_k^T delta(k+1)) * f'(p(k)), dL/dW_k = delta(k+1) f(p(k))^T."""
    N = ct.N
    x0, label = ct.x[0], ct.label
    given = [("x^{(0)}", x0), ("y", label)]
    given += [(f"W_{{{k}}}", Wk) for k, Wk in enumerate(ct.W)]
    if ct.b is not None:
        given += [(f"b^{{({k})}}", bk) for k, bk in enumerate(ct.b)]
    setup = (
        f"{_IMPORTS}\n"
        "# The example in note 004's column form: W_k (n_(k+1) x n_k) takes layer k to layer k + 1;\n"
        "# every vector is a column.\n"
        f"x0 = {literal(x0)}\n"
        f"label = {literal(label)}\n"
        f"W = {_list(ct.W, [f'W_{k}' for k in range(N)])}\n"
        + (f"b = {_list(ct.b, [f'b({k})' for k in range(N)])}\n" if ct.b is not None else "b = None  # no biases\n")
        + f'hidden, output, loss_name = {ct.hidden!r}, {ct.output!r}, {ct.loss_name!r}\n'
    )
    if ct.output == "softmax":
        out = ('def out(p):\n    """Output activation: softmax of the column."""\n'
               '    e = np.exp(p - p.max())\n    return e / e.sum()\n\n\n')
    elif ct.output == "sigmoid":
        out = ('def out(p):\n    """Output activation: the sigmoid."""\n    return 1.0 / (1.0 + np.exp(-p))\n\n\n'
               'def dout(p):\n    return out(p) * (1.0 - out(p))\n\n\n')
    else:
        out = ('def out(p):\n    """Output activation: the identity."""\n    return p * 1.0\n\n\n'
               'def dout(p):\n    return np.ones_like(p)\n\n\n')
    if ct.loss_name == "half_sse":
        loss = "L = 0.5 * float(np.sum((y - label) ** 2))\ndx = y - label  # dL/dx(N)"
    elif ct.loss_name == "mse":
        loss = "L = float(np.mean((y - label) ** 2))\ndx = 2.0 * (y - label) / y.size"
    else:
        loss = ("L = -float(np.sum(np.where(label != 0, label * np.log(y), 0.0)))\n"
                "dx = -label / np.maximum(y, np.finfo(float).tiny)")
    if ct.output == "softmax":
        base = ("J = np.diag(y[:, 0]) - y @ y.T  # J_jm = dx_j/dp_m = x_j (delta_jm - x_m)\n"
                "delta[N] = J.T @ dx")
    else:
        base = "delta[N] = dout(p[N]) * dx  # f_out'(p(N)) o dL/dx(N)"
    body = [
        f"N = {N}",
        "p, xs = [x0], [x0]  # p(0) = x(0): the input has no activation",
        "for k in range(N):",
        "    p.append(W[k] @ xs[k] + (0.0 if b is None else b[k]))  # p(k+1) = W_k f(p(k)) + b(k)",
        "    xs.append(out(p[-1]) if k == N - 1 else f(p[-1]))",
        "y = xs[N]",
        loss,
        "",
        "# backward: the base case, then delta(k) = (W_k^T delta(k+1)) o f'(p(k))",
        "delta = [None] * (N + 1)",
        base,
        "for k in range(N - 1, 0, -1):",
        "    delta[k] = (W[k].T @ delta[k + 1]) * df(p[k])",
        "dW = [delta[k + 1] @ xs[k].T for k in range(N)]  # dL/dW_k = delta(k+1) f(p(k))^T",
        "db = None if b is None else [delta[k + 1] for k in range(N)]  # dL/db(k) = delta(k+1)",
        "",
        "numpy_values = {}",
    ]
    for k in range(1, N + 1):
        body += [f'numpy_values["p({k})"] = value(p[{k}])', f'numpy_values["x({k})"] = value(xs[{k}])']
    body += ['numpy_values["L"] = L', f'numpy_values["dL/dx({N})"] = value(dx)',
             f'numpy_values["delta({N})"] = value(delta[{N}])']
    for k in range(N - 1, -1, -1):
        body.append(f'numpy_values["dL/dW_{k}"] = value(dW[{k}])')
        if ct.b is not None:
            body.append(f'numpy_values["dL/db({k})"] = value(db[{k}])')
        if k > 0:
            body.append(f'numpy_values["delta({k})"] = value(delta[{k}])')
    body.append('print(f"plain NumPy: {len(numpy_values)} steps, L = {L:.6g}")')
    numpy = _VALUE + _activations(ct.hidden) + out + "\n".join(body)
    core = _CORE_HEAD + _indent(
        "from bp_core import Network\nfrom bp_core.deep import column_backprop\n\n"
        "# bp_core's Network is in the row form: its W_(k+1) is the note's W_k transposed\n"
        "net = Network([Wk.T for Wk in W], None if b is None else [bk[:, 0] for bk in b],\n"
        f"              hidden=hidden, output=output, loss=loss_name, output_grad_as_one={net.output_grad_as_one!r})\n"
        "ct = column_backprop(net, x0[:, 0], label[:, 0])\n"
        "core_values = {step.name: step.value for step in ct.steps}\n"
        'print(f"bp_core: {len(core_values)} steps")')
    return Recompute(tuple(given), setup, numpy, core)


def softmax_code(t) -> Recompute:
    """The softmax lesson (bp_core.softmax_lesson): S = softmax(z / T), L = -sum y log S, the Jacobian
    J = (diag(S) - S S^T) / T, J^T g with g = -y / S, the collapse (S - y) / T, and the note's batch loop."""
    j, k = t.cell
    B = t.batch
    given = (("z", t.z), ("T", float(t.T)), ("y", t.y))
    setup = (f"{_IMPORTS}\n# The example: logits, temperature, label, and the Jacobian cell (j, k) the steps show "
             "(0-based).\n"
             f"z = {literal(t.z)}\nT = {float(t.T)!r}\ny = {literal(t.y)}\nj, k = {j}, {k}\n"
             f"B = {B}  # samples in the batch\n")
    numpy = _VALUE + "\n".join([
        "u = z / T",
        "e = np.exp(u)  # e_j = e^(z_j / T)",
        "total = e.sum()  # Sigma",
        "S = e / total  # S_j = e_j / Sigma",
        "L = -float(np.sum(y * np.log(S)))  # cross-entropy",
        "J = (np.diag(S) - np.outer(S, S)) / T  # J_jk = dS_j/dz_k = (1/T) S_j (delta_jk - S_k)",
        "g = -y / S  # dL/dS_j = -y_j / S_j",
        "dz_chain = J.T @ g  # the chain rule in full: dL/dz = J^T g",
        "dz = (S - y) / T  # the collapse",
        "",
        "# a batch: sample b is z moved b places; the note's loop, then the vectorised form",
        "Z = np.stack([np.roll(z, s) for s in range(B)])",
        "Y = np.tile(y, (B, 1))",
        "SB = np.exp(Z / T) / np.exp(Z / T).sum(axis=1, keepdims=True)",
        "dvalues = -Y / SB / B",
        "dZ_loop = np.array([((np.diagflat(s) - np.outer(s, s)) / T) @ dv for s, dv in zip(SB, dvalues)])",
        "dZ_vec = (SB - Y) / (B * T)",
        "",
        "column = lambda v: v.reshape(-1, 1)  # the steps show vectors as columns",
        "numpy_values = {",
        '    "e": column(e), "sum": float(total), "S": column(S), "L": L,',
        '    f"dS{j + 1}/dz{j + 1}": J[j, j], f"dS{j + 1}/dz{k + 1}": J[j, k],',
        '    "J": J, "J1": column(J.sum(axis=1)), "dL/dS": column(g), "J^T g": column(dz_chain),',
        '    "dL/dz": column(dz), "S batch": SB, "dZ loop": dZ_loop, "dZ vectorised": dZ_vec,',
        "}",
        'print(f"plain NumPy: {len(numpy_values)} steps, L = {L:.6g}")',
    ])
    core = _CORE_HEAD + _indent(
        "from bp_core.softmax_lesson import trace\n\n"
        "core_values = {step.name: step.value for step in trace(z, T, y, (j, k)).steps}\n"
        'print(f"bp_core: {len(core_values)} steps")')
    return Recompute(given, setup, numpy, core)


# the graph lesson: each operation's forward rule and its local derivative per input, as Python source
def _graph_forward(node: Value, v) -> str:
    c = [v(child) for child in node.children]
    return {
        "+": lambda: " + ".join(c),
        "*": lambda: " * ".join(c),
        "**": lambda: f"{c[0]} ** {node.exponent!r}",
        "exp": lambda: f"np.exp({c[0]})",
        "sigmoid": lambda: f"1.0 / (1.0 + np.exp(-{c[0]}))",
        "relu": lambda: f"max({c[0]}, 0.0)",
        "tanh": lambda: f"np.tanh({c[0]})",
    }[node.op]()


def _graph_local(node: Value, position: int, v) -> str:
    c = [v(child) for child in node.children]
    me = v(node)
    return {
        "+": lambda: "1.0",
        "*": lambda: c[1 - position],
        "**": lambda: f"{node.exponent!r} * {c[0]} ** {node.exponent - 1.0!r}",
        "exp": lambda: me,
        "sigmoid": lambda: f"{me} * (1.0 - {me})",
        "relu": lambda: f"float({c[0]} > 0)",
        "tanh": lambda: f"1.0 - {me} ** 2",
    }[node.op]()


def graph_code(example: str, values: Mapping[str, float]) -> Recompute:
    """A graph of the chain-rule lesson (bp_core.graph_examples): every node's value, one line per node in
    topological order, then every edge backward, upstream gradient times local gradient, added (+=) to the
    child's gradient. The lesson ends with every node's gradient: those are the handout's results."""
    output = graph_examples.build(example, values)
    output.backward()
    order = output.topological()
    inputs = list(values)
    names = {id(n): n.label for n in order}
    v = lambda node: f"v[{names[id(node)]!r}]"  # noqa: E731
    given = tuple((latex_name(name), float(values[name])) for name in inputs)
    setup = (f"{_IMPORTS}\n# The example's inputs: v holds every node's value, by its name on screen.\n"
             f"v = {{{', '.join(f'{name!r}: {float(values[name])!r}' for name in inputs)}}}\n")
    lines = ["# forward: one line per node, inputs first"]
    for node in order:
        if not node.edges and node.label not in values:
            lines.append(f"{v(node)} = {node.data!r}  # a constant of the graph")
        elif node.edges:
            lines.append(f"{v(node)} = {_graph_forward(node, v)}  # {node.op}")
    out = names[id(output)]
    lines += [
        "",
        "# backward: from the output back, each edge sends upstream x local to its child; gradients add (+=)",
        "g = {name: 0.0 for name in v}  # d" + out + "/d(node)",
        f"g[{out!r}] = 1.0",
        "numpy_values = {}",
    ]
    for node in reversed(order):
        for position, (child, _) in enumerate(node.edges):
            name = f"d{out}/d{child.label} via {node.label}"
            lines.append(f"numpy_values[{name!r}] = g[{node.label!r}] * {_graph_local(node, position, v)}")
            lines.append(f"g[{child.label!r}] += numpy_values[{name!r}]")
    lines.append("")
    lines.append("# the node values (forward steps) and every node's gradient")
    for node in order:
        if node.edges:
            lines.append(f"numpy_values[{node.label!r}] = float({v(node)})")
    kept = [n for n in order if n.edges or n.label in values]
    for node in kept:
        lines.append(f"numpy_values[{f'd{out}/d{node.label}'!r}] = g[{node.label!r}]")
    lines.append(f'print(f"plain NumPy: {{len(numpy_values)}} values, {out} = {{v[{out!r}]:.6g}}")')
    results = tuple((f"d{out}/d{n.label}", rf"\frac{{\partial {out}}}{{\partial {latex_name(n.label)}}}",
                     float(n.grad)) for n in kept)
    core = _CORE_HEAD + _indent(
        "from bp_core import graph_examples\n\n"
        f"f_node = graph_examples.build({example!r}, {{name: v[name] for name in {inputs!r}}})\n"
        "steps = f_node.forward_steps() + tuple(s.to_step(" + repr(out) + ") for s in f_node.backward())\n"
        "core_values = {step.name: step.value for step in steps}\n"
        "core_values.update({f\"d" + out + "/d{n.label}\": n.grad for n in f_node.topological()})\n"
        'print(f"bp_core: {len(steps)} steps")')
    return Recompute(given, setup, "\n".join(lines), core, results)

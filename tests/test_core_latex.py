"""The LaTeX the core writes is LaTeX KaTeX accepts: no double superscript (or subscript).

`x^{(0)}^T` is such a double superscript: KaTeX refuses the whole formula ("Double superscript") and the page
shows the red source instead of the maths. The transpose of something that already has a superscript needs
braces around it, `{x^{(0)}}^T`. Every Step of every lesson's trace is checked (formula and numbers), and the
other LaTeX the lessons show beside the steps: the deep lesson's unrolled derivative and the notes' slips,
the softmax lesson's Jacobian entries, and SymPy's derivations.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from bp_core import Network, deep, graph_examples
from bp_core import presets as P
from bp_core import softmax_lesson as sl
from bp_core.derivations import derive, derive_graph
from bp_core.paths import notes_slips


def _argument_end(text: str, i: int) -> int:
    """The index just after the argument of a ^ or _ at text[i - 1]: a {group}, a \\command or one character."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return i
    if text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            if text[j] == "{" and text[j - 1] != "\\":
                depth += 1
            elif text[j] == "}" and text[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(text)
    if text[i] == "\\":
        j = i + 1
        while j < len(text) and text[j].isalpha():
            j += 1
        return max(j, i + 2)
    return i + 1


def double_scripts(text: str) -> list[str]:
    """Each place where one base gets two superscripts (x^{a}^{b}, x^{a}_{b}^{c}, x^{a}') or two subscripts."""
    found = []
    for i, c in enumerate(text):
        if c not in "^_" or (i > 0 and text[i - 1] == "\\"):
            continue
        seen = {c}
        end = _argument_end(text, i + 1)
        while True:
            while end < len(text) and text[end] == " ":
                end += 1
            nxt = text[end] if end < len(text) else ""
            if nxt in seen or (nxt == "'" and "^" in seen):
                found.append(text[max(0, i - 20):end + 10])
                break
            if nxt in "^_" and nxt:
                seen.add(nxt)
                end = _argument_end(text, end + 1)
                continue
            break
    return found


@pytest.mark.parametrize("text, bad", [
    (r"x^{(0)}^T", True), (r"{x^{(0)}}^T", False), (r"x^{a}_{b}^{c}", True), (r"x_{1}^{2}", False),
    (r"W_{k}^* = W_{k}", False), (r"f^{(k)}'", True), (r"a_{1}_{2}", True), (r"\left(x^{2}\right)^{3}", False),
    (r"\begin{pmatrix} 1 \end{pmatrix}^T", False), (r"\Big(\frac{a}{b}\Big)^T", False), (r"e^{z_{1}/T}", False),
    (r"y^{label}_{1}", False), (r"10^{-5} \cdot x^T", False), (r"\^{}", False),
])
def test_the_checker_itself(text, bad):
    assert bool(double_scripts(text)) == bad


def _check(where: str, *texts: str) -> None:
    for text in texts:
        bad = double_scripts(text)
        assert not bad, f"{where}: double superscript or subscript in {text!r} near {bad}"


def _check_steps(where: str, steps) -> None:
    for step in steps:
        _check(f"{where} step {step.name}", step.formula, step.numbers)


def _check_derivations(where: str, derivations) -> None:
    for name, d in derivations.items():
        _check(f"{where} derivation {name}", d.expression, *(text for pair in d.locals for text in pair))


# cross-entropy on an identity output is refused before any step is written
NETWORK_OPTIONS = [options for options in itertools.product(
    ("relu", "sigmoid"), ("identity", "sigmoid", "softmax"), ("half_sse", "mse", "cross_entropy"), (False, True),
    (False, True)) if options[1:3] != ("identity", "cross_entropy")]


@pytest.mark.parametrize("hidden, output, loss, biases, as_one", NETWORK_OPTIONS)
def test_network_steps_of_the_chain_and_the_matrix_network(hidden, output, loss, biases, as_one):
    m = P.MATRIX_NET
    matrix = Network([m["W1"], m["W2"], m["W3"]], [[0.1, -0.2]] * 3 if biases else None, hidden=hidden,
                     output=output, loss=loss, output_grad_as_one=as_one)
    chain = Network([[[0.8]], [[-0.5]], [[1.2]]], [[0.1]] * 3 if biases else None, hidden=hidden, output=output,
                    loss=loss, output_grad_as_one=as_one)
    label_m, label_c = (1.0, 0.0), (1.0,)
    for net, x, label in ((matrix, m["x"], label_m), (chain, (1.5,), label_c)):
        trace = net.backprop(x, label, lr=0.1)
        _check_steps(f"{net!r}", trace.steps)
        if hidden == "sigmoid" and biases and not as_one:  # SymPy's LaTeX depends on the structure, not the numbers
            _check_derivations(f"{net!r}", derive(net, x, label, 0.1))
        for slip in notes_slips(net, trace).values():
            _check(f"{net!r} slip {slip.kind}", slip.wrote, slip.right)
    batch = matrix.backprop([m["x"], (-1.0, 0.5)], [label_m, (0.0, 1.0)], lr=0.1)
    _check_steps(f"{matrix!r}, a batch of 2", batch.steps)


@pytest.mark.parametrize("example", graph_examples.EXAMPLES)
def test_graph_steps(example):
    output = graph_examples.build(example, P.GRAPHS[example])
    _check_steps(example, output.forward_steps())
    _check_steps(example, [s.to_step() for s in output.backward()])
    _check_derivations(example, derive_graph(output))


@pytest.mark.parametrize("n", range(2, sl.MAX_CLASSES + 1))
def test_softmax_lesson_steps(n):
    from bp_core.softmax_derivations import derive as derive_softmax

    for label in (0, np.full(n, 1 / n)):
        t = sl.trace(np.linspace(-2.0, 2.0, n), 0.5, label, (0, n - 1))
        _check_steps(f"softmax n={n}", t.steps)
        _check_steps(f"softmax n={n} note", sl.note_slip(t))
        _check_steps(f"softmax n={n} entries", [t.entry(j, k) for j in range(n) for k in range(n)])
        if n <= 3:  # SymPy's build grows with n; the LaTeX it writes has the same shape for every n
            _check_derivations(f"softmax n={n}", derive_softmax(t))


@pytest.mark.parametrize("hidden, output, biases, as_one",
                         list(itertools.product(("sigmoid", "relu"), deep.OUTPUTS, (False, True), (False, True))))
def test_deep_network_steps(hidden, output, biases, as_one):
    for depth, width in ((1, 2), (3, 3), (deep.MAX_DEPTH, 5)):
        ex = deep.random_example(depth, width, hidden=hidden, output=output, biases=biases, seed=1)
        net = ex.net.replace(output_grad_as_one=as_one)
        t = deep.column_backprop(net, ex.x, ex.label)
        where = f"deep {hidden}/{output} depth {depth} width {width}"
        _check_steps(where, t.steps)
        for k, i, j in deep.weights_of(t)[::7] + deep.weights_of(t)[-1:]:
            g = deep.weight_gradient(t, k, i, j)
            _check(f"{where} w({k}){i}{j}", g.unrolled, g.numbers, g.name, g.lhs, g.bias_lhs, g.backward,
                   *(text for lhs, numbers, _ in g.chain for text in (lhs, numbers)))
            for slip in deep.note_slips(t, k, i, j):
                _check(f"{where} slip {slip.kind}", slip.wrote, slip.right)

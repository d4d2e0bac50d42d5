"""bp_core.handout: the Markdown holds every step; the notebook is valid nbformat v4, runs in a real Jupyter
kernel (nbclient, ipykernel's python3), and the numbers it recomputes, with plain NumPy and with bp_core, are
bp_core's own for every lesson; without bp_core it still checks plain NumPy; a wrong printed number fails
its check. The expected values come from bp_core called here, never from the handout's text."""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import itertools
import json
import os
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from core_helpers import random_network
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbclient import NotebookClient

from bp_core import Network, deep, graph_examples, softmax_lesson, training
from bp_core import handout as H
from bp_core import presets as P
from bp_core.step import value_latex

REPO = Path(__file__).resolve().parents[1]
KERNEL_TIMEOUT = 120   # seconds per cell, and to start a kernel
# Every word a handout needs, with the fields some of them take; real catalogues are tested with the pages.
WORDS = {w: f"<{w}>" for w in H.WORDS} | {"step": "<step {k}/{n}>", "long": "<long {rows}x{cols}>",
                                          "checked": "<checked {n} {sources}>", "sources_numpy": "plain NumPy",
                                          "sources_both": "plain NumPy and bp_core"}


def make(steps, recompute, title="Handout") -> H.Handout:
    steps = tuple(steps)
    return H.Handout(title, (("$x$", "1"),), steps, tuple(f"<sentence {s.name}>" for s in steps), recompute, WORDS)


# -- each lesson's default example, and the values bp_core gives for it -------------------------------------
def chain():
    C = P.CHAIN
    net = Network([[[C["w1"]]], [[C["w2"]]], [[C["w3"]]]], hidden=C["hidden"], output=C["output"], loss=C["loss"])
    trace = net.backprop([C["x"]], [C["label"]], lr=C["lr"])
    return make(trace.steps, H.network_code(net, trace)), trace.steps


def matrix_net():
    M = P.MATRIX_NET
    net = Network([M[f"W{k}"] for k in (1, 2, 3)], hidden=M["hidden"], output=M["output"], loss=M["loss"])
    trace = net.backprop(M["x"], M["label"], lr=M["lr"])
    return make(trace.steps, H.network_code(net, trace)), trace.steps


def softmax():
    S = P.SOFTMAX
    t = softmax_lesson.trace(S["z"], S["temperature"], int(np.argmax(S["label"])), (0, 1))
    return make(t.steps, H.softmax_code(t)), t.steps


def deep_net():
    D = P.DEEP
    ex = deep.random_example(D["depth"], D["width"], hidden=D["hidden"], biases=D["biases"], seed=D["seed"])
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    return make(ct.steps, H.deep_code(ex.net, ct)), ct.steps


def graph(example):
    values = dict(P.GRAPHS[example])
    out = graph_examples.build(example, values)
    steps = out.forward_steps() + tuple(s.to_step("f") for s in out.backward())
    return make(steps, H.graph_code(example, values)), steps


def training_update():
    T = P.TRAINING
    from bp_core import datasets

    X, Y = datasets.make(T["dataset"], T["points"], T["seed"], T["noise"])
    net = training.initial_network(T["depth"], T["width"], T["hidden"], T["biases"], T["loss"], T["init_seed"])
    u = training.first_updates(net, X, Y, lr=T["lr"], batch=T["batch"], seed=T["init_seed"], count=2)[-1]
    trace = u.before.backprop(X[u.indices], Y[u.indices], lr=T["lr"])
    assert np.allclose(trace.updated.weights[0], u.after.weights[0])   # the handout's update is step mode's
    return make(trace.steps, H.network_code(u.before, trace)), trace.steps


LESSONS = {"chain": chain, "matrix": matrix_net, "softmax": softmax, "deep": deep_net, "training": training_update,
           **{f"graph-{e}": (lambda e=e: graph(e)) for e in graph_examples.EXAMPLES}}


def graph_gradients(example) -> dict[str, float]:
    out = graph_examples.build(example, dict(P.GRAPHS[example]))
    out.backward()
    return {f"df/d{n.label}": n.grad for n in out.topological() if n.edges or n.label in P.GRAPHS[example]}


# -- running notebooks ---------------------------------------------------------------------------------------
def execute(notebooks: list[nbformat.NotebookNode], cwd: Path, env: dict | None = None) -> list[nbformat.NotebookNode]:
    """Run notebooks in python3 kernels (ipykernel), all at once; raise CellExecutionError if a cell fails."""
    async def run_all():
        clients = [NotebookClient(nb, timeout=KERNEL_TIMEOUT, startup_timeout=KERNEL_TIMEOUT, kernel_name="python3",
                                  resources={"metadata": {"path": str(cwd)}}) for nb in notebooks]
        kwargs = {} if env is None else {"env": env}
        return await asyncio.gather(*(c.async_execute(**kwargs) for c in clients))

    # In a thread of its own: a test that ran before (Playwright's sync API) may have left an event loop
    # running in this one, where asyncio.run() is refused.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return list(pool.submit(asyncio.run, run_all()).result())


def recomputed(nb: nbformat.NotebookNode) -> dict:
    """The JSON the notebook's last cell prints: {"numpy": {...}, "core": {...} or None}."""
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def assert_values(got: dict, expected: dict, where: str) -> None:
    assert set(expected) <= set(got), f"{where}: missing {sorted(set(expected) - set(got))}"
    for name, want in expected.items():
        want = np.asarray(want, dtype=float)
        value = np.asarray(got[name], dtype=float)
        assert value.shape == want.shape, (where, name)
        np.testing.assert_allclose(value, want, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(want).max()),
                                   err_msg=f"{where}: {name}")


def exec_cells(nb: nbformat.NotebookNode) -> dict:
    """Run the notebook's code in this process (fast; the same code the kernel runs)."""
    namespace: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<handout>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


# -- the Markdown ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", LESSONS)
def test_markdown_holds_every_step_and_the_inputs(lesson):
    h, steps = LESSONS[lesson]()
    md = H.markdown(h)
    assert md.startswith("# Handout\n")
    assert "| $x$ | 1 |" in md
    for name, value in h.recompute.given:
        latex = value_latex(value)
        assert latex in md or len(latex) > H.LONG_LATEX, name
    for k, step in enumerate(steps):
        assert f"<step {k + 1}/{len(steps)}> · <phase.{step.phase}> · `{step.name}`" in md
        assert f"<sentence {step.name}>" in md
        assert f"$$\n{step.formula}\n$$" in md, step.name
        for latex in (step.numbers, value_latex(step.value)):
            assert f"$$\n{latex}\n$$" in md or len(latex) > H.LONG_LATEX, step.name
    # steps in order
    positions = [md.index(f"`{s.name}`") for s in steps]
    assert positions == sorted(positions)


def test_markdown_says_where_a_matrix_is_too_long_to_print():
    """A 400-point batch is not typeset; the Markdown names its size instead."""
    from bp_core import datasets

    X, Y = datasets.make("xor", 400, 0, 0.1)
    net = training.initial_network(2, 8, "tanh", True, "cross_entropy", 0)
    trace = net.backprop(X, Y, lr=0.5)
    md = H.markdown(make(trace.steps, H.network_code(net, trace)))
    assert "<long 400x8>" in md and "<long 400x2>" in md
    assert len(md) < 200_000


def test_graph_handout_ends_with_every_gradient():
    h, _ = graph("sum_times")
    md = H.markdown(h)
    assert r"\frac{\partial f}{\partial x} = -4" in md and r"\frac{\partial f}{\partial z} = 3" in md


# -- the notebook ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", LESSONS)
def test_notebook_is_valid_nbformat_v4_and_its_steps_are_markdown(lesson):
    h, steps = LESSONS[lesson]()
    nb = nbformat.reads(H.notebook_json(h), as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for step in steps:
        assert step.formula in markdown
    assert H.notebook_json(h) == H.notebook_json(h)   # the same example, the same file


def test_every_lesson_notebook_runs_in_a_kernel_and_recomputes_bp_cores_numbers():
    """The notebooks run in python3 kernels from the repository (bp_core importable): both recomputations
    pass the notebook's own check and give bp_core's step values (and the graph's gradients)."""
    built = {name: build() for name, build in LESSONS.items()}
    notebooks = execute([H.notebook(h) for h, _ in built.values()], REPO)
    for (name, (h, steps)), nb in zip(built.items(), notebooks):
        expected = {s.name: s.value for s in steps}
        if name.startswith("graph-"):
            expected |= graph_gradients(name.removeprefix("graph-"))
        values = recomputed(nb)
        assert values["core"] is not None, name
        assert_values(values["numpy"], expected, f"{name} (plain NumPy)")
        assert_values(values["core"], expected, f"{name} (bp_core)")
        check = "".join(o.get("text", "") for o in nb.cells[-3].outputs)
        assert f"<checked {len(expected)} plain NumPy and bp_core>" in check, name


def test_without_bp_core_the_notebook_still_checks_plain_numpy(tmp_path):
    """Run from elsewhere, with bp_core not on the path: the bp_core cell says so, plain NumPy is checked."""
    h, steps = matrix_net()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    [nb] = execute([H.notebook(h)], tmp_path, env=env)
    values = recomputed(nb)
    assert values["core"] is None
    assert_values(values["numpy"], {s.name: s.value for s in steps}, "plain NumPy")
    core_cell = next(c for c in nb.cells if c.cell_type == "code" and "import bp_core" in c.source)
    assert "<core_missing>" in "".join(o.get("text", "") for o in core_cell.outputs)


@pytest.mark.parametrize("lesson", ["chain", "matrix", "softmax", "deep", "graph-sigmoid_neuron"])
def test_a_wrong_printed_number_fails_the_check(lesson):
    """The check is real: nudge one step's printed value and the notebook's assertion names that step."""
    h, steps = LESSONS[lesson]()
    k = len(steps) // 2
    wrong = dataclasses.replace(steps[k], value=np.asarray(steps[k].value) * (1 + 1e-6) + 1e-6)
    bad = dataclasses.replace(h, steps=steps[:k] + (wrong,) + steps[k + 1:])
    with pytest.raises(AssertionError, match=f"plain NumPy, {steps[k].name}"):
        exec_cells(H.notebook(bad))


def test_handout_refuses_what_it_cannot_check():
    h, steps = chain()
    with pytest.raises(ValueError, match="one sentence per step"):
        dataclasses.replace(h, sentences=h.sentences[1:])
    with pytest.raises(ValueError, match="unique"):
        dataclasses.replace(h, steps=steps + steps[:1], sentences=h.sentences + h.sentences[:1])
    with pytest.raises(ValueError, match="words missing"):
        dataclasses.replace(h, words={})
    with pytest.raises(ValueError, match="finite"):
        H.literal([1.0, float("nan")])


def test_literals_give_back_every_digit():
    for value in (0.1 + 0.2, -1e-300, 1e300, np.pi * np.arange(6).reshape(2, 3), np.array([[1 / 3]])):
        assert np.array_equal(eval(H.literal(value), {"np": np}), np.asarray(value))  # noqa: S307


# -- any example the pages can make: the notebook's code checks itself (run in this process) ----------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), depth=st.integers(1, 3), width=st.integers(1, 3),
       hidden=st.sampled_from(("relu", "sigmoid", "tanh", "identity")),
       output=st.sampled_from(("identity", "sigmoid", "softmax")),
       loss=st.sampled_from(("half_sse", "mse", "cross_entropy")),
       biases=st.booleans(), batch=st.sampled_from((1, 1, 3)), as_one=st.booleans(),
       lr=st.sampled_from((None, 0.1, 2.0)))
def test_network_notebooks_check_themselves(seed, depth, width, hidden, output, loss, biases, batch, as_one, lr):
    rng = np.random.default_rng(seed)
    net, x, y = random_network(rng, depth, width, hidden, output, loss, biases, batch=batch)
    net = net.replace(output_grad_as_one=as_one)
    trace = net.backprop(x, y, lr=lr)
    ns = exec_cells(H.notebook(make(trace.steps, H.network_code(net, trace))))
    assert set(ns["numpy_values"]) == {s.name for s in trace.steps}
    assert ns["core_values"] is not None


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 9999), depth=st.integers(1, 4), width=st.integers(1, 5),
       hidden=st.sampled_from(("sigmoid", "relu", "tanh", "identity")),
       output=st.sampled_from(("sigmoid", "identity", "softmax")), biases=st.booleans(),
       scale=st.sampled_from((0.25, 1.0, 3.0)))
def test_deep_notebooks_check_themselves(seed, depth, width, hidden, output, biases, scale):
    ex = deep.random_example(depth, width, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    ns = exec_cells(H.notebook(make(ct.steps, H.deep_code(ex.net, ct))))
    assert set(ns["numpy_values"]) == {s.name for s in ct.steps}


@settings(max_examples=30, deadline=None)
@given(z=st.lists(st.floats(-6, 6), min_size=2, max_size=6), T=st.floats(0.1, 5.0), data=st.data())
def test_softmax_notebooks_check_themselves(z, T, data):
    n = len(z)
    label, j, k = (data.draw(st.integers(0, n - 1)) for _ in range(3))
    t = softmax_lesson.trace(z, T, label, (j, k))
    exec_cells(H.notebook(make(t.steps, H.softmax_code(t))))


@pytest.mark.parametrize("example,seed", list(itertools.product(graph_examples.EXAMPLES, range(5))))
def test_graph_notebooks_check_themselves(example, seed):
    rng = np.random.default_rng(seed)
    values = {name: float(np.round(rng.uniform(-5, 5), 2)) for name in P.GRAPHS[example]}
    out = graph_examples.build(example, values)
    steps = out.forward_steps() + tuple(s.to_step("f") for s in out.backward())
    ns = exec_cells(H.notebook(make(steps, H.graph_code(example, values))))
    assert ns["numpy_values"]["f"] == pytest.approx(out.data)


def test_the_python_running_the_tests_has_the_kernel():
    """nbclient starts ipykernel's python3 kernel: the test requirements install ipykernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    assert "python3" in KernelSpecManager().find_kernel_specs(), sys.executable

"""Bounded work (issue 7): no input a page allows makes it compute for more than a second or allocate more than
a few megabytes.

For each lesson page, the largest inputs it allows are read from the page itself (its widgets' bounds and
options on a first run, found as test_robust_links finds the URL parameters, and its literal module constants
such as MAX_UPDATES), and the bp_core calls the page makes for one run are timed directly with them: the best of
a few runs (the machine may be busy), and the first call of a SymPy structure cold (its derivation is built then).
tracemalloc gives each call's peak allocation. Every measurement is printed (pytest -rP shows them).

The calls below mirror the pages' cached functions; when a page changes what it computes, change them with it.
"""
from __future__ import annotations

import ast
import itertools
import time
import tracemalloc
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import sympy
from streamlit.testing.v1.element_tree import NumberInput, SelectSlider, Slider
from test_robust_links import discover
from test_robust_pages import bound, open_page

from bp_core import Network, deep, graph_examples, softmax_lesson, training
from bp_core import datasets as datasets_
from bp_core import derivations as derivations_
from bp_core import presets as P
from bp_core import softmax_derivations as softmax_derivations_
from bp_core.gradcheck import check_graph, check_network, check_softmax
from bp_core.paths import all_paths, notes_slips, shortcut_gap
from bp_core.sweep import loss_curve
from pages.ui import i18n

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 1.0          # a page run, warm
COLD_SECONDS = 1.5     # once per process and structure: the first run that builds a SymPy derivation
MEGABYTES = 5.0
REPEAT = 3


def page_constants(file: str) -> dict[str, object]:
    """The page's module-level constants that are literals (MAX_UPDATES = 20_000)."""
    out = {}
    for node in ast.parse((ROOT / file).read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return out


@lru_cache(maxsize=None)
def bounds(file: str) -> dict[str, tuple]:
    """URL parameter -> (min, max) of a slider or number box, or the option labels of a select box, radio or
    select slider, as the page's first run draws them."""
    out = {}
    for key, w in bound(open_page(file)).items():
        if isinstance(w, (Slider, NumberInput)) and not isinstance(w, SelectSlider):
            out[key] = (w.proto.min, w.proto.max)
        elif hasattr(w, "options"):
            out[key] = tuple(w.options)
    return out


def high(file: str, key: str) -> float:
    return float(bounds(file)[key][1])


def measure(what: str, call: Callable[[], object], cold: Callable[[], None] | None = None) -> tuple[float, float]:
    """(seconds, peak MB): the best of REPEAT timed calls, and the peak allocation of one more call under
    tracemalloc. Warm (a first call, untimed, builds the SymPy structure), or with `cold()` before each call."""
    if cold is None:
        call()
    times = []
    for _ in range(REPEAT):
        if cold:
            cold()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    if cold:
        cold()
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    best = min(times)
    print(f"{what}: {best * 1000:.0f} ms (best of {REPEAT}), peak {peak:.2f} MB")
    return best, peak


def worst(results: list[tuple[str, float, float]]) -> tuple[str, float, float]:
    name, seconds, mb = max(results, key=lambda r: r[1])
    print(f"WORST: {name}: {seconds * 1000:.0f} ms; largest peak {max(r[2] for r in results):.2f} MB")
    return name, seconds, mb


def check(results: list[tuple[str, float, float]]) -> None:
    worst(results)
    slow = [(n, round(s, 3)) for n, s, _ in results if s >= SECONDS]
    big = [(n, round(m, 2)) for n, _, m in results if m >= MEGABYTES]
    assert not slow, f"over {SECONDS} s: {slow}"
    assert not big, f"over {MEGABYTES} MB: {big}"


def _clear_sympy() -> None:
    """As a fresh server process: no derivation built, nothing in SymPy's own cache."""
    sympy.core.cache.clear_cache()
    derivations_._derivation_builder.cache_clear()
    derivations_._graph_local.cache_clear()
    softmax_derivations_._builder.cache_clear()


# ---------------------------------------------------------------------------------------------------------
def test_chain_rule_graph_worst_case():
    file = "pages/chain_rule_graph.py"
    results = []
    for example in graph_examples.EXAMPLES:
        names = list(P.GRAPHS[example])
        # each example's sliders appear once it is chosen: discover() finds them all
        span = max(abs(float(v)) for p in discover(file) if p.kind == "Slider" and p.key.split("-")[-1] in names
                   for v in p.pair)
        for signs in itertools.islice(itertools.product((-1.0, 1.0), repeat=len(names)), 8):
            values = {n: s * span for n, s in zip(names, signs)}

            def page_run(values=values, example=example):
                output = graph_examples.build(example, values)
                output.forward_steps()
                for step in output.backward():
                    step.to_step("f")
                derivations_.derive_graph(output)
                check_graph(example, values)

            try:
                page_run()
            except ValueError:
                continue  # refused with a message: no work to bound
            results.append((f"{example} {values}", *measure(f"chain rule {example} {values}", page_run)))
    check(results)


def core(label: str, table: str) -> str:
    """An option as the page shows it (the English catalogue's label) -> the core's name: "ReLU" -> "relu"."""
    names = {text: key.split(".", 1)[1] for key, text in i18n.catalogue("en").items() if key.startswith(table + ".")}
    return names[label]


def test_single_node_chain_worst_case():
    file = "pages/single_node_chain.py"
    hi = max(high(file, k) for k in ("sn-x", "sn-w1", "sn-w2", "sn-w3", "sn-label"))
    lr = high(file, "sn-lr")
    results = []
    combos = itertools.product(_options(file, "sn-hidden"), _options(file, "sn-output"), _options(file, "sn-loss"))
    for hidden, output, loss in combos:
        hidden, output, loss = core(hidden, "activation"), core(output, "activation"), core(loss, "loss")
        net = Network([[[hi]], [[-hi]], [[hi]]], hidden=hidden, output=output, loss=loss)

        def page_run(net=net):
            trace = net.backprop([hi], [-hi], lr=lr)
            for k in (1, 2, 3):
                loss_curve(net, [hi], [-hi], k, lr=lr)
            derivations_.derive(net, [hi], [-hi], lr)
            notes_slips(net, trace)
            check_network(net, trace.x, trace.label)

        results.append((f"{hidden}/{output}/{loss}", *measure(f"single chain {hidden}/{output}/{loss}", page_run)))
    check(results)


def test_matrix_network_worst_case():
    file = "pages/matrix_network.py"
    b = bounds(file)
    w = high(file, "mn-w111")
    x = high(file, "mn-x1")
    lr = high(file, "mn-lr")
    weights = [np.array([[w, -w], [w, w]]), np.array([[w, w], [-w, w]]), np.array([[w, -w], [-w, w]])]
    results = []
    hidden_all = [core(h, "activation") for h in _options(file, "mn-hidden")]
    output_all = [core(o, "activation") for o in _options(file, "mn-output")]
    loss_all = [core(lo, "loss") for lo in _options(file, "mn-loss")]
    assert b and hidden_all and output_all and loss_all
    for hidden, output, loss in itertools.product(hidden_all, output_all, loss_all):
        if loss == "cross_entropy" and output == "identity":
            continue  # the page stops with a sentence before computing
        net = Network(weights, hidden=hidden, output=output, loss=loss)

        def page_run(net=net):
            trace = net.backprop([x, x], [1.0, 0.0], lr=lr)
            derivations_.derive(net, [x, x], [1.0, 0.0], lr)
            all_paths(net, trace)
            notes_slips(net, trace)
            shortcut_gap(net, [x, x], [1.0, 0.0])
            check_network(net, trace.x, trace.label)
            check_network(net.replace(output_grad_as_one=True), trace.x, trace.label)

        results.append((f"{hidden}/{output}/{loss}", *measure(f"2x2x2 {hidden}/{output}/{loss}", page_run)))
    check(results)


def _options(file: str, key: str) -> tuple[str, ...]:
    return bounds(file)[key]


def test_softmax_jacobian_worst_case():
    file = "pages/softmax_jacobian.py"
    n = int(max(int(o) for o in _options(file, "sj-n")))
    z_hi = high(file, "sj-z1")
    t_lo, t_hi = (float(v) for v in bounds(file)["sj-temp"])
    results = []
    z = tuple(z_hi if j % 2 == 0 else -z_hi for j in range(n))
    for T, c in itertools.product((t_lo, t_hi), (0, n - 1)):
        def page_run(T=T, c=c):
            trace = softmax_lesson.trace(z, T, c, (0, n - 1))
            softmax_derivations_.derive(trace)
            softmax_lesson.note_slip(trace)
            check_softmax(z, T, c)

        results.append((f"n={n} T={T} c={c}", *measure(f"softmax n={n} z=+-{z_hi} T={T} label {c + 1}", page_run)))
    check(results)


def test_deep_networks_worst_case():
    file = "pages/deep_networks.py"
    depth = int(high(file, "dn-depth"))
    width = int(high(file, "dn-width"))
    scale = high(file, "dn-scale")
    seed = int(high(file, "dn-seed"))
    results = []
    for hidden, output in itertools.product(deep.HIDDEN, deep.OUTPUTS):
        def page_run(hidden=hidden, output=output):
            ex = deep.random_example(depth, width, hidden=hidden, output=output, biases=True, seed=seed, scale=scale)
            ct = deep.column_backprop(ex.net, ex.x, ex.label)
            ex.net.backprop(ex.x, ex.label)
            deep.gradient_check(ex.net, ex.x, ex.label)
            for act in {hidden, "sigmoid", "relu"}:  # the norms plot compares activations
                other = deep.random_example(depth, width, hidden=act, output=output, biases=True, seed=seed,
                                            scale=scale)
                deep.gradient_norms(other.net, other.x, other.label)
                deep.dead_layers(other.net, other.x, other.label)
            k, i, j = deep.weights_of(ct)[0]
            deep.weight_gradient(ct, k, i, j)
            deep.note_slips(ct, k, i, j)

        try:
            page_run()
        except ValueError:
            continue
        results.append((f"depth {depth} width {width} scale {scale} {hidden}/{output}",
                        *measure(f"deep depth={depth} width={width} scale={scale} {hidden}/{output}", page_run)))
    assert results
    check(results)


def _training_settings(file: str):
    b = bounds(file)
    constants = page_constants(file)
    points = int(high(file, "tr-points"))
    depth, width = int(high(file, "tr-depth")), int(high(file, "tr-width"))
    batches = sorted(float(v) for v in _options(file, "tr-batch"))
    epochs = sorted(float(v) for v in _options(file, "tr-epochs"))
    assert b
    return points, depth, width, [int(v) for v in batches], [int(v) for v in epochs], constants


def test_training_step_mode_worst_case():
    """Step mode: the first STEP_LIMIT updates replayed, the loss on all points after each, and a boundary."""
    file = "pages/training.py"
    points, depth, width, batches, _, constants = _training_settings(file)
    X, Y = datasets_.make("moons", points, 0, 0.5)
    results = []
    for hidden, batch in itertools.product(("tanh", "relu"), (max(batches), min(batches))):
        net = training.initial_network(depth, width, hidden, True, "cross_entropy", 0)

        def page_run(net=net, batch=batch):
            datasets_.make("moons", points, 0, 0.5)
            updates = training.first_updates(net, X, Y, lr=0.5, batch=batch, seed=0,
                                             count=int(constants["STEP_LIMIT"]))
            training.grid(updates[-1].after or updates[-1].before, X, int(constants["GRID"]))

        results.append((f"step mode {hidden} batch {batch}",
                        *measure(f"training step mode {hidden} points={points} {depth}x{width} batch={batch}",
                                 page_run)))
    check(results)


def _longest_run(points: int, batches: list[int], epochs: list[int], cap: int) -> tuple[int, int, int]:
    """The (batch, epochs, updates) of the run mode's largest allowed run (updates <= cap)."""
    allowed = [(b, e, -(-points // b) * e) for b in batches for e in epochs if -(-points // b) * e <= cap]
    return max(allowed, key=lambda r: (r[2], r[0]))


def _run_chunk_and_whole(file: str):
    points, depth, width, batches, epochs, constants = _training_settings(file)
    batch, n_epochs, updates = _longest_run(points, batches, epochs, int(constants["MAX_UPDATES"]))
    X, Y = datasets_.make("xor", points, 0, 0.1)
    net = training.initial_network(depth, width, "tanh", True, "cross_entropy", 0)
    chunk = max(1, n_epochs // int(constants["PROGRESS_STEPS"]))
    return X, Y, net, batch, n_epochs, updates, chunk


def test_training_run_mode_chunk_is_bounded():
    """Run mode trains in PROGRESS_STEPS cached chunks, moving a progress bar between them: each chunk of the
    largest run the page allows is bounded."""
    X, Y, net, batch, n_epochs, updates, chunk = _run_chunk_and_whole("pages/training.py")
    seconds, mb = measure(f"training run mode, one chunk: {chunk} of {n_epochs} epochs, batch {batch} "
                          f"({updates} updates in all)",
                          lambda: training.train(net, X, Y, lr=0.5, batch=batch, epochs=chunk, seed=0))
    check([("run mode chunk", seconds, mb)])


@pytest.mark.xfail(strict=True, reason=(
    "pages/training.py run mode: MAX_UPDATES = 20_000 lets one page run train 20,000 updates (400 points, "
    "batch 20, 1000 epochs, a 2-8-8-8-2 tanh net): measured 0.2-0.75 ms per update here, so 4-15 s for the run "
    "depending on the machine's load, far over the issue's 1 s. The progress bar moves between the 20 cached "
    "chunks (each bounded, see test_training_run_mode_chunk_is_bounded), but the page computes them all in one "
    "run. Expected: a run's work capped near 1 s, e.g. MAX_UPDATES about 1,500-2,000 (or the epochs and batch "
    "options limited so that points/batch * epochs stays under it), or one chunk per run with a fragment that "
    "reruns until the run is done"))
def test_training_run_mode_whole_run_is_bounded():
    """The whole largest run, estimated from its first tenth (its epochs all cost the same): a page run in run
    mode computes every chunk."""
    X, Y, net, batch, n_epochs, updates, _ = _run_chunk_and_whole("pages/training.py")
    tenth = max(1, n_epochs // 10)
    start = time.perf_counter()
    run = training.train(net, X, Y, lr=0.5, batch=batch, epochs=tenth, seed=0)
    seconds = (time.perf_counter() - start) * n_epochs / tenth
    assert not run.diverged
    print(f"training run mode, whole run: {n_epochs} epochs, batch {batch}, {updates} updates: about "
          f"{seconds:.2f} s ({seconds / updates * 1e6:.0f} us per update, from the first {tenth} epochs)")
    assert seconds < SECONDS


@pytest.mark.xfail(strict=False, reason=(
    "known, open (issue 7, bounded work): the softmax lesson's SymPy derivations for 6 classes take 1-2.5 s to "
    "build cold on a loaded 2-core machine, over COLD_SECONDS; the build should be made cheaper or moved off the "
    "first page run"))
def test_sympy_structures_build_in_bounded_time():
    """The SymPy derivations are built once per structure and process (lru_cache), on the first page run that
    needs one: the largest structures the pages allow (the 2x2x2 net with sigmoid, softmax and cross-entropy;
    the chain; six softmax classes) build, cold, within COLD_SECONDS, and their expressions stay small."""
    net = Network([np.ones((2, 2))] * 3, hidden="sigmoid", output="softmax", loss="cross_entropy")
    chain = Network([[[1.0]]] * 3, hidden="sigmoid", output="sigmoid", loss="mse")
    n = max(int(o) for o in _options("pages/softmax_jacobian.py", "sj-n"))
    trace = softmax_lesson.trace(tuple(range(n)), 1.0, 0)
    results = [
        ("sympy 2x2x2", *measure("SymPy 2x2x2 sigmoid/softmax/cross-entropy, built cold",
                                 lambda: derivations_.derive(net, [1.0, 2.0], [1.0, 0.0], 0.1), cold=_clear_sympy)),
        ("sympy chain", *measure("SymPy chain sigmoid/sigmoid/mse, built cold",
                                 lambda: derivations_.derive(chain, [1.0], [1.0], 0.1), cold=_clear_sympy)),
        (f"sympy softmax {n}", *measure(f"SymPy softmax with {n} classes, built cold",
                                        lambda: softmax_derivations_.derive(trace), cold=_clear_sympy)),
    ]
    worst(results)
    slow = [(name, round(sec, 3)) for name, sec, _ in results if sec >= COLD_SECONDS]
    assert not slow, f"a SymPy structure takes over {COLD_SECONDS} s to build: {slow}"
    assert all(mb < MEGABYTES for _, _, mb in results)
    longest = max(len(d.expression) for d in derivations_.derive(net, [1.0, 2.0], [1.0, 0.0], 0.1).values())
    print(f"longest SymPy expression on the 2x2x2 page: {longest} characters of LaTeX")
    assert longest < 20_000

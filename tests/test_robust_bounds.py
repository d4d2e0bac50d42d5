"""Bounded work (issue 7): no input a page allows makes it compute for more than a second or allocate more than
a few megabytes.

For each lesson page, the largest inputs it allows are read from the page itself (its widgets' bounds and
options on a first run, found as test_robust_links finds the URL parameters, and its literal module constants
such as MAX_UPDATES), and the bp_core calls the page makes for one run are timed directly with them: the best of
a few runs, and the first call of a SymPy structure cold (its derivation is built then). The time is the CPU time
of this process (time.process_time), the compute the page itself does: on a shared machine the wall-clock time of
the same call varies several-fold with what else runs, and both are printed. tracemalloc gives each call's peak
allocation. Every measurement is printed (pytest -s or -rP shows them).

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
import sympy
from lesson_app import diagrams_html
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
SECONDS = 1.0          # a page run's CPU time, warm
COLD_SECONDS = 1.0     # once per process and structure: the first run that builds a SymPy derivation (about 0.3 s
                       # of CPU for six softmax classes, the largest)
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
    times, walls = [], []
    for _ in range(REPEAT):
        if cold:
            cold()
        cpu, wall = _timed(call)
        times.append(cpu)
        walls.append(wall)
    if cold:
        cold()
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    best = min(times)
    print(f"{what}: {best * 1000:.0f} ms CPU (best of {REPEAT}; wall {min(walls) * 1000:.0f} ms), peak {peak:.2f} MB")
    return best, peak


def _timed(call) -> tuple[float, float]:
    """(CPU seconds of this process, wall-clock seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return time.process_time() - cpu, time.perf_counter() - wall


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
            u = updates[-1]
            training.grid(u.after or u.before, X, int(constants["GRID"]))
            check_network(u.before, X[u.indices], Y[u.indices])  # the step's gradient check (cached per step)

        results.append((f"step mode {hidden} batch {batch}",
                        *measure(f"training step mode {hidden} points={points} {depth}x{width} batch={batch}",
                                 page_run)))
    check(results)


def _run_mode_candidates(file: str):
    """The run mode's largest allowed runs: for each number of points (the least, the default, the most) and each
    mini-batch size, the most epochs both caps allow (MAX_UPDATES updates, MAX_PASSES epochs x points)."""
    points_lo, points_hi = (int(v) for v in bounds(file)["tr-points"])
    _, depth, width, batches, epochs, constants = _training_settings(file)
    max_updates, max_passes = int(constants["MAX_UPDATES"]), int(constants["MAX_PASSES"])
    for points in sorted({points_lo, 200, points_hi}):
        for batch in batches:
            per_epoch = -(-points // batch)
            allowed = [e for e in epochs if e * per_epoch <= max_updates and e * points <= max_passes]
            if allowed:
                yield points, batch, max(allowed), max(allowed) * per_epoch


def _estimate_run(points: int, batch: int, n_epochs: int) -> float:
    """CPU seconds for the whole run, from its first epochs (every epoch costs the same): at least a tenth of
    the epochs and 0.05 s of training, the best of REPEAT."""
    _, depth, width, _, _, _ = _training_settings("pages/training.py")
    X, Y = datasets_.make("xor", points, 0, 0.1)
    net = training.initial_network(depth, width, "tanh", True, "cross_entropy", 0)
    part = max(1, n_epochs // 10)
    while True:
        best = min(_timed(lambda: training.train(net, X, Y, lr=0.5, batch=batch, epochs=part, seed=0))[0]
                   for _ in range(REPEAT))
        if best >= 0.05 or part >= n_epochs:
            return best * n_epochs / part
        part = min(n_epochs, part * 4)


def test_training_run_mode_chunk_is_bounded():
    """Run mode trains in PROGRESS_STEPS cached chunks, moving a progress bar between them: each chunk of the
    largest runs the page allows is bounded (in time, and in memory: a chunk's run holds every loss so far)."""
    file = "pages/training.py"
    _, depth, width, _, _, constants = _training_settings(file)
    results = []
    for points, batch, n_epochs, updates in _run_mode_candidates(file):
        if points != int(high(file, "tr-points")):
            continue
        X, Y = datasets_.make("xor", points, 0, 0.1)
        net = training.initial_network(depth, width, "tanh", True, "cross_entropy", 0)
        chunk = max(1, n_epochs // int(constants["PROGRESS_STEPS"]))
        results.append((f"chunk batch {batch}", *measure(
            f"training run mode, one chunk: {chunk} of {n_epochs} epochs, {points} points, batch {batch} "
            f"({updates} updates in all)",
            lambda: training.train(net, X, Y, lr=0.5, batch=batch, epochs=chunk, seed=0))))
    check(results)


def test_training_run_mode_whole_run_is_bounded():
    """A page run in run mode computes every chunk: the whole of each of the largest runs the two caps allow,
    estimated from its first epochs, stays under SECONDS."""
    results = []
    for points, batch, n_epochs, updates in _run_mode_candidates("pages/training.py"):
        seconds = _estimate_run(points, batch, n_epochs)
        print(f"training run mode, whole run: {points} points, batch {batch}, {n_epochs} epochs, {updates} updates: "
              f"about {seconds:.2f} s ({seconds / updates * 1e6:.0f} us per update)")
        results.append((f"run {points} points batch {batch} x {n_epochs} epochs", seconds, 0.0))
    name, seconds, _ = worst(results)
    assert seconds < SECONDS, f"the longest run the page allows takes about {seconds:.2f} s: {name}"


def test_training_run_mode_says_in_words_what_it_caps():
    """Past either cap the page trains nothing and says why, with the numbers (not a silent slow page)."""
    from pages.ui.i18n import t

    constants = page_constants("pages/training.py")

    def run_mode(**query):
        at = open_page("pages/training.py", query)
        at.radio(key="tr-mode").set_value("run").run()
        assert not at.exception
        return at

    at = run_mode(**{"tr-points": "400", "tr-batch": "400", "tr-epochs": "1000"})
    assert 1000 <= int(constants["MAX_UPDATES"]) and 400 * 1000 > int(constants["MAX_PASSES"])
    assert [w.value for w in at.warning] == [t("training.run.too_long", epochs=1000, points=400, passes="400,000",
                                               limit=f"{int(constants['MAX_PASSES']):,}")]
    assert not at.get("plotly_chart") and not diagrams_html(at)
    at = run_mode(**{"tr-points": "400", "tr-batch": "20", "tr-epochs": "200"})
    assert [w.value for w in at.warning] == [t("training.run.too_many", updates="4,000",
                                               limit=f"{int(constants['MAX_UPDATES']):,}")]
    assert not at.get("plotly_chart") and not diagrams_html(at)


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

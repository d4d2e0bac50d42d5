"""The handout buttons on every lesson page, under AppTest: both buttons are there with the lesson's file names;
the notebook a page hands out runs in a python3 kernel (nbclient) and recomputes the numbers bp_core gives for
the page's example, including the value the page shows; the Markdown holds every step's formula and sentence;
the files follow the page's inputs, the training page's current update and the softmax page's Jacobian cell.

Streamlit calls a download's data function only when a browser clicks it (AppTest has no browser), so the test
records what the page passes to st.download_button and calls it, as a click would.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import streamlit
from streamlit.testing.v1 import AppTest
from test_core_handout import assert_values, exec_cells, execute, recomputed

from bp_core import Network, datasets, deep, graph_examples, softmax_lesson, training
from bp_core import presets as P
from bp_core.step import matrix, value_latex
from pages.ui.i18n import t
from pages.ui.lessons import lesson

APP = Path(__file__).resolve().parents[1] / "app.py"
REPO = APP.parent
TIMEOUT = 60


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> (label, data function) of every st.download_button the last page run drew."""
    files: dict = {}
    draw = streamlit.download_button

    def record(label, data, file_name=None, *args, **kwargs):
        files[file_name] = (label, data)
        return draw(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", record)
    return files


def open_page(file: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(file).run()
    assert not at.exception, at.exception
    return at


def notebook(downloads: dict, name: str) -> nbformat.NotebookNode:
    text = downloads[f"{name}.ipynb"][1]()
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    return nb


# -- each page's default example, computed here with bp_core ---------------------------------------------------
def chain_steps():
    C = P.CHAIN
    net = Network([[[C["w1"]]], [[C["w2"]]], [[C["w3"]]]], hidden=C["hidden"], output=C["output"], loss=C["loss"])
    return net.backprop([C["x"]], [C["label"]], lr=C["lr"]).steps


def matrix_steps(x=None):
    M = P.MATRIX_NET
    net = Network([M[f"W{k}"] for k in (1, 2, 3)], hidden=M["hidden"], output=M["output"], loss=M["loss"])
    return net.backprop(M["x"] if x is None else x, M["label"], lr=M["lr"]).steps


def graph_steps():
    out = graph_examples.build("sum_times", dict(P.GRAPHS["sum_times"]))
    return out.forward_steps() + tuple(s.to_step("f") for s in out.backward())


def softmax_steps(cell=(0, 1)):
    S = P.SOFTMAX
    return softmax_lesson.trace(S["z"], S["temperature"], softmax_lesson.default_label(), cell).steps


def deep_steps():
    D = P.DEEP
    ex = deep.random_example(D["depth"], D["width"], hidden=D["hidden"], output=deep.DEFAULT_OUTPUT,
                             biases=D["biases"], seed=D["seed"], scale=deep.DEFAULT_SCALE)
    return deep.column_backprop(ex.net, ex.x, ex.label).steps


def training_steps(number=1):
    D = P.TRAINING
    X, Y = datasets.make(D["dataset"], D["points"], D["seed"], D["noise"])
    net = training.initial_network(D["depth"], D["width"], D["hidden"], D["biases"], D["loss"], D["init_seed"])
    u = training.first_updates(net, X, Y, lr=D["lr"], batch=D["batch"], seed=D["init_seed"], count=number)[-1]
    return u.before.backprop(X[u.indices], Y[u.indices], lr=D["lr"]).steps


PAGES = {   # lesson key -> (file name without extension, the steps bp_core gives for the default example)
    "chain_rule": ("chain_rule_graph_sum_times", graph_steps),
    "single_node_chain": ("single_node_chain", chain_steps),
    "matrix_network": ("matrix_network", matrix_steps),
    "softmax_jacobian": ("softmax_jacobian", softmax_steps),
    "deep_networks": ("deep_networks", deep_steps),
    "training": ("training_update_1", training_steps),
}


@pytest.mark.parametrize("key", PAGES)
def test_every_lesson_offers_the_notebook_and_the_markdown(key, downloads):
    at = open_page(lesson(key).file)
    name, steps = PAGES[key]
    assert [b.label for b in at.download_button] == [t("handout.notebook"), t("handout.markdown")]
    assert downloads.keys() == {f"{name}.ipynb", f"{name}.md"}
    assert downloads[f"{name}.ipynb"][0] == t("handout.notebook")
    md = downloads[f"{name}.md"][1]()
    assert md.startswith(f"# {t(lesson(key).title_key)}")
    for step in steps():
        assert step.formula in md, step.name
        assert t(f"step.{step.kind}", **step.params) in md, step.name
    assert t("handout.doc.steps") in md


def test_each_pages_notebook_runs_and_gives_the_pages_numbers(downloads):
    """Every page's notebook, run in a python3 kernel from the repository: plain NumPy and bp_core give the
    step values bp_core gives here for the page's example, and the value the page shows at its first step."""
    notebooks, expected, shown = [], [], []
    for key, (name, steps) in PAGES.items():
        downloads.clear()
        at = open_page(lesson(key).file)
        notebooks.append(notebook(downloads, name))
        expected.append({s.name: s.value for s in steps()})
        shown.append(" ".join(element.value for element in at.latex))
    for key, nb, values, page_latex in zip(PAGES, execute(notebooks, REPO), expected, shown):
        got = recomputed(nb)
        assert_values(got["numpy"], values, f"{key}: plain NumPy")
        assert_values(got["core"], values, f"{key}: bp_core")
        # what the page shows at its first step: the step's value; on the training page, the update of W_1
        name, write = ("W1*", lambda v: matrix(v, 3)) if key == "training" else (next(iter(values)), value_latex)
        value = np.asarray(got["numpy"][name])
        assert write(value if value.size > 1 else float(value)) in page_latex, key


def test_the_handout_follows_the_inputs(downloads):
    at = open_page(lesson("matrix_network").file)
    at.slider(key="mn-x1").set_value(2.5).run()
    assert not at.exception
    ns = exec_cells(notebook(downloads, "matrix_network"))
    assert_values(ns["numpy_values"], {s.name: s.value for s in matrix_steps(x=(2.5, P.MATRIX_NET["x"][1]))},
                  "matrix network, x1 = 2.5")


def test_training_hands_out_the_current_update(downloads):
    at = open_page(lesson("training").file)
    for _ in range(2):
        at.button(key="tr-next").click().run()
    assert not at.exception
    assert {"training_update_3.ipynb", "training_update_3.md"} <= downloads.keys()
    nb = notebook(downloads, "training_update_3")
    assert t("handout.update", n=3) in nb.cells[0].source
    ns = exec_cells(nb)
    assert_values(ns["numpy_values"], {s.name: s.value for s in training_steps(3)}, "training, update 3")


def test_softmax_hands_out_the_chosen_jacobian_cell(downloads):
    at = open_page(lesson("softmax_jacobian").file)
    at.selectbox(key="sj-j").set_value("2").run()
    at.selectbox(key="sj-k").set_value("3").run()
    assert not at.exception
    ns = exec_cells(notebook(downloads, "softmax_jacobian"))
    assert {"dS2/dz2", "dS2/dz3"} <= ns["numpy_values"].keys()
    assert_values(ns["numpy_values"], {s.name: s.value for s in softmax_steps((1, 2))}, "softmax, cell (2, 3)")


def test_the_files_speak_the_pages_language(downloads):
    """The files are built on a click, outside the page's run, yet in the language the page was shown in."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh-Hans"
    at.run()
    at.switch_page(lesson("single_node_chain").file).run()
    assert not at.exception, at.exception
    assert [b.label for b in at.download_button] == [t("handout.notebook", lang="zh-Hans"),
                                                     t("handout.markdown", lang="zh-Hans")]
    md = downloads["single_node_chain.md"][1]()
    assert md.startswith(f"# {t('lessons.single_node_chain.title', lang='zh-Hans')}\n")
    assert t("handout.doc.steps", lang="zh-Hans") in md

"""The Softmax Jacobian page under AppTest: it opens, Next and Previous walk every step, each step's shown
value equals the value worked out here with NumPy, inputs and the number of classes change the numbers at
every step, and a bad value in the link falls back to the default with a warning that names it."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from lesson_app import data_array, diagrams_html, drawn_charts
from streamlit.testing.v1 import AppTest

from bp_core import softmax_lesson
from bp_core.step import value_latex
from pages.ui.i18n import t

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/softmax_jacobian.py"
CODE = "sj"
TIMEOUT = 30


def open_page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(PAGE)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def counter(at: AppTest) -> tuple[int, int]:
    for md in at.markdown:
        found = re.fullmatch(r"\*\*Step (\d+) of (\d+)\*\*", md.value)
        if found:
            return int(found[1]), int(found[2])
    raise AssertionError("no step counter on the page")


def panel_latex(at: AppTest) -> tuple[str, str, str, str]:
    """The panel's formula, SymPy, numbers and value, in that order (the panel comes first in the step)."""
    formula, sympy_, numbers, value = (_unwrap(el.value) for el in at.latex[:4])
    return formula, sympy_, numbers, value


def _unwrap(latex: str) -> str:
    """st.latex stores its body between $$ lines."""
    return latex.removeprefix("$$\n").removesuffix("\n$$")


def shown(latex: str) -> np.ndarray:
    """The numbers of a value as the panel writes it: 0.1234, -2, 1.2 \\times 10^{-5}, or a pmatrix of them."""
    body = latex.replace(r"\begin{pmatrix}", "").replace(r"\end{pmatrix}", "")
    rows = [row.split("&") for row in body.split(r"\\")]
    out = []
    for row in rows:
        entries = []
        for cell in row:
            cell = cell.strip()
            power = re.fullmatch(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", cell)
            entries.append(float(power[1]) * 10.0 ** int(power[2]) if power else float(cell))
        out.append(entries)
    return np.array(out).squeeze()


def expected_values(z, T, c, cell=(0, 1)) -> dict[str, np.ndarray]:
    """Every step's value by hand with NumPy, independently of the lesson's code."""
    z = np.asarray(z, float)
    n = z.size
    y = np.eye(n)[c]
    e = np.exp(z / T)
    S = e / e.sum()
    J = (np.diag(S) - np.outer(S, S)) / T
    j, k = cell
    k = k if k != j else (j + 1) % n
    Z = np.stack([np.roll(z, b) for b in range(3)])
    E = np.exp(Z / T)
    SB = E / E.sum(axis=1, keepdims=True)
    dB = (SB - y) / (3 * T)
    return {
        "e": e, "sum": e.sum(), "S": S, "L": -np.log(S[c]),
        f"dS{j + 1}/dz{j + 1}": S[j] * (1 - S[j]) / T, f"dS{j + 1}/dz{k + 1}": -S[j] * S[k] / T,
        "J": J, "J1": np.zeros(n), "dL/dS": -y / S, "J^T g": (S - y) / T, "dL/dz": (S - y) / T,
        "S batch": SB, "dZ loop": dB, "dZ vectorised": dB,
    }


def check_step(at: AppTest, z, T, c, cell=(0, 1)) -> None:
    """The panel shows the lesson's step at the cursor, and its value is the one computed by hand."""
    k, n_steps = counter(at)
    trace = softmax_lesson.trace(z, T, c, cell)
    assert n_steps == len(trace.steps)
    step = trace.steps[k - 1]
    formula, _, numbers, value = panel_latex(at)
    assert formula == step.formula
    assert numbers == step.numbers
    assert value == value_latex(step.value)
    expected = expected_values(z, T, c, cell)[step.name]
    assert np.allclose(shown(value), expected, rtol=1e-3, atol=1e-12), (step.name, value, expected)


DEFAULT_Z = softmax_lesson.default_logits(3)


def test_page_opens_at_the_first_step():
    at = open_page()
    assert not at.exception
    assert [title.value for title in at.title] == [t("lessons.softmax_jacobian.title")]
    assert counter(at) == (1, 14)
    assert not at.warning
    check_step(at, DEFAULT_Z, 1.0, 0)


def test_next_walks_forward_and_previous_walks_back():
    at = open_page()
    seen = []
    for k in range(1, 15):
        assert counter(at) == (k, 14)
        check_step(at, DEFAULT_Z, 1.0, 0)
        seen.append(panel_latex(at)[0])
        if k < 14:
            at.button(key=f"{CODE}-next").click().run()
            assert not at.exception
    assert at.button(key=f"{CODE}-next").disabled
    for k in range(14, 0, -1):
        assert counter(at) == (k, 14)
        assert panel_latex(at)[0] == seen[k - 1]
        check_step(at, DEFAULT_Z, 1.0, 0)
        if k > 1:
            at.button(key=f"{CODE}-previous").click().run()
    assert at.button(key=f"{CODE}-previous").disabled


def test_changing_inputs_changes_the_numbers():
    at = open_page()
    for _ in range(6):                      # to the whole Jacobian
        at.button(key=f"{CODE}-next").click().run()
    before = panel_latex(at)[3]
    at.slider(key=f"{CODE}-z1").set_value(-1.5).run()
    at.slider(key=f"{CODE}-temp").set_value(2.0).run()
    at.selectbox(key=f"{CODE}-label").set_value("3").run()
    assert not at.exception
    assert counter(at) == (7, 14)
    z = (-1.5,) + DEFAULT_Z[1:]
    check_step(at, z, 2.0, 2)
    assert panel_latex(at)[3] != before


def test_cell_selectors_choose_the_jacobian_entries():
    at = open_page()
    at.selectbox(key=f"{CODE}-j").set_value("2").run()
    at.selectbox(key=f"{CODE}-k").set_value("2").run()
    for _ in range(4):
        at.button(key=f"{CODE}-next").click().run()
    check_step(at, DEFAULT_Z, 1.0, 0, (1, 1))         # diagonal (2, 2)
    assert "S_{2}" in panel_latex(at)[0]
    at.button(key=f"{CODE}-next").click().run()
    check_step(at, DEFAULT_Z, 1.0, 0, (1, 1))         # off-diagonal (2, 3): k = j moves on to the next class
    assert r"\partial z_{3}" in panel_latex(at)[0]


def test_changing_the_number_of_classes_works_at_every_step():
    at = open_page()
    counts = [5, 2, 6, 4, 3]
    for k in range(1, 15):
        n = counts[k % len(counts)]
        at.selectbox(key=f"{CODE}-n").set_value(str(n)).run()
        assert not at.exception, (k, n)
        assert counter(at) == (k, 14)
        z = softmax_lesson.default_logits(n)
        assert len([s for s in at.slider if s.key.startswith(f"{CODE}-z")]) == n
        check_step(at, z, 1.0, 0)
        if k < 14:
            at.button(key=f"{CODE}-next").click().run()


def test_fewer_classes_bring_a_label_and_cell_beyond_n_back_to_their_defaults():
    at = open_page(**{f"{CODE}-n": "6"})
    at.selectbox(key=f"{CODE}-label").set_value("6").run()
    at.selectbox(key=f"{CODE}-j").set_value("5").run()
    at.selectbox(key=f"{CODE}-n").set_value("3").run()
    assert not at.exception
    assert at.selectbox(key=f"{CODE}-label").value == "1"
    assert at.selectbox(key=f"{CODE}-j").value == "1"
    check_step(at, DEFAULT_Z, 1.0, 0)


@pytest.mark.parametrize("key, bad", [(f"{CODE}-z1", "nan"), (f"{CODE}-temp", "0"), (f"{CODE}-n", "9"),
                                      (f"{CODE}-label", "7")])
def test_bad_link_value_falls_back_with_a_warning(key, bad):
    at = open_page(**{key: bad})
    assert not at.exception
    assert [w.value for w in at.warning] == [t("inputs.ignored", names=key)]
    assert counter(at) == (1, 14)
    check_step(at, DEFAULT_Z, 1.0, 0)


def test_a_good_link_reproduces_the_example():
    at = open_page(**{f"{CODE}-n": "4", f"{CODE}-z2": "-0.5", f"{CODE}-temp": "0.5", f"{CODE}-label": "2"})
    assert not at.exception and not at.warning
    z = list(softmax_lesson.default_logits(4))
    z[1] = -0.5
    check_step(at, z, 0.5, 1)


def test_the_charts_are_drawn_as_svg_with_the_numbers_worked_out_by_hand():
    """At the last step the four charts (pages/ui/svg_figure.py; no plotly.js) draw the values by hand: the bars of S
    and of the label, the upstream gradient, J^T g and the collapse (S - y)/T on it, every entry of J, and the batch's
    S and dL/dZ, each cell's number its value to its significant digits."""
    at = open_page(**{f"{CODE}-step": "99"})   # a step past the last is the last
    assert counter(at)[0] == counter(at)[1]
    assert not at.get("plotly_chart")
    c = softmax_lesson.default_label()
    hand = expected_values(DEFAULT_Z, 1.0, c)
    probability, gradient, jacobian, batch = drawn_charts(at)

    def traces(fig, kind):
        return [trace for trace in fig["data"] if trace["type"] == kind]

    label, S = traces(probability, "bar")
    assert np.allclose(data_array(label["y"]), np.eye(3)[c]) and np.allclose(data_array(S["y"]), hand["S"])
    assert S["text"] == [f"{v:.3g}" for v in hand["S"]]
    upstream, chain = traces(gradient, "bar")
    (collapse,) = traces(gradient, "scatter")
    assert np.allclose(data_array(upstream["y"]), hand["dL/dS"]) and np.allclose(data_array(chain["y"]), hand["J^T g"])
    assert np.allclose(data_array(collapse["y"]), hand["dL/dz"])
    (J,) = traces(jacobian, "heatmap")
    assert np.allclose(data_array(J["z"]), hand["J"]) and J["text"] == [[f"{v:.3g}" for v in row] for row in hand["J"]]
    SB, dZ = traces(batch, "heatmap")
    assert np.allclose(data_array(SB["z"]), hand["S batch"]) and np.allclose(data_array(dZ["z"]), hand["dZ vectorised"])
    # and the numbers reach the page: each of J's entries is a label in the drawn Jacobian
    drawn = next(html for html in diagrams_html(at) if "Jacobian" in html)
    assert all(f">{v:.3g}<" in drawn for v in hand["J"].ravel())


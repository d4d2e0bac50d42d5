"""The deep-networks page under AppTest: it opens, Next and Previous walk every step, the value shown at
each step is the row-form Network.backprop's value for the same quantity, transposed into the note's
column form (computed here, independently of the page's column-form core), inputs change the numbers, one
weight's derivative and the gradient-size plot show the core's numbers, and a bad link value falls back to
the default with a warning that names it."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from lesson_app import (
    counter,
    data_array,
    drawn_charts,
    drawn_diagrams,
    gradient_table,
    open_lesson,
    open_notes,
    shown_latex,
)
from streamlit.testing.v1 import AppTest

from bp_core import deep
from bp_core import presets as P
from bp_core.step import num, value_latex
from pages.ui.i18n import t
from pages.ui.notation import plain_number

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/deep_networks.py"
TIMEOUT = 60
D = P.DEEP
PANEL_VALUE = 5   # the two forms, then the step's column formula, row formula, numbers, value


def open_page(**query: str) -> AppTest:
    return open_lesson(PAGE, **query)


def example(depth=D["depth"], width=D["width"], hidden=D["hidden"], biases=D["biases"], seed=D["seed"],
            output="sigmoid", scale=1.0):
    return deep.random_example(depth, width, hidden=hidden, output=output, biases=biases, seed=seed, scale=scale)


def column(v) -> np.ndarray | float:
    """A row-form vector as the note's column (a 1 x 1 as its number)."""
    v = np.asarray(v, dtype=float)
    return float(v.item()) if v.size == 1 else v.reshape(-1, 1)


def expected_values(ex) -> list:
    """Every step's value in the page's order, from the row-form trace: p(k) = h_k^T, x(k) = a_k^T, L,
    dL/dx(N) = (dL/dy)^T, delta(N) = dz_N^T, then per layer dL/dW_{k-1} = dW_k^T, dL/db(k-1) = db_k,
    delta(k-1) = dz_{k-1}^T."""
    row = ex.net.backprop(ex.x, ex.label)
    N = ex.net.depth
    values = []
    for k in range(1, N + 1):
        values += [column(row.h[k - 1]), column(row.a[k])]
    values += [row.loss, column(row.dy), column(row.dz[N - 1])]
    for k in range(N, 0, -1):
        dW = np.asarray(row.dW[k - 1]).T
        values.append(float(dW.item()) if dW.size == 1 else dW)
        if row.db is not None:
            values.append(column(row.db[k - 1]))
        if k > 1:
            values.append(column(row.dz[k - 2]))
    return values


def shown_value(at) -> str:
    """The panel's value (wide examples are typeset smaller)."""
    return shown_latex(at)[PANEL_VALUE].removeprefix(r"\footnotesize ")


def test_page_opens_with_the_default_example():
    at = open_page()
    assert [title.value for title in at.title] == [t("lessons.deep_networks.title")]
    values = expected_values(example())
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(values))}**"
    assert shown_value(at) == value_latex(values[0])
    # the note's column form beside the row form
    forms = shown_latex(at)[:2]
    assert r"p^{(k+1)} &= W_k\, f\big(p^{(k)}\big) + b^{(k)}" in forms[0]
    assert r"\delta^{(k)} &= \big(W_k^T \delta^{(k+1)}\big) \circ f'\big(p^{(k)}\big)" in forms[0]
    assert r"h_k &= a_{k-1} W_k + b_k" in forms[1]
    assert not at.warning


def test_next_walks_every_step_and_previous_walks_back():
    at = open_page()
    ex = example()
    values = expected_values(ex)
    n = len(values)
    for k, value in enumerate(values, start=1):
        assert counter(at) == f"**{t('steps.counter', k=k, n=n)}**"
        assert shown_value(at) == value_latex(value), k
        if k < n:
            at.button(key="dn-next").click().run()
    assert at.button(key="dn-next").disabled
    for k in range(n, 0, -1):
        assert counter(at) == f"**{t('steps.counter', k=k, n=n)}**"
        assert shown_value(at) == value_latex(values[k - 1])
        if k > 1:
            at.button(key="dn-previous").click().run()
    assert at.button(key="dn-previous").disabled


def test_each_step_shows_its_column_formula_beside_the_row_formula():
    at = open_page(**{"dn-step": "14"})        # delta(3) of the default: the recursion
    latex = shown_latex(at)
    assert latex[2] == r"\delta^{(3)} = \left(W_{3}^T \delta^{(4)}\right) \circ f'\big(p^{(3)}\big)"
    assert latex[3].startswith(r"dz_{3} = ")    # the row form's step for the same quantity
    ex = example()
    row = ex.net.backprop(ex.x, ex.label)
    assert shown_value(at) == value_latex(column(row.dz[2]))


def test_changing_inputs_changes_the_numbers():
    at = open_page(**{"dn-step": "3"})
    old = expected_values(example())
    assert shown_value(at) == value_latex(old[2])
    at.slider(key="dn-depth").set_value(4).run()
    at.selectbox(key="dn-hidden").set_value("tanh").run()
    at.number_input(key="dn-seed").set_value(5).run()
    at.slider(key="dn-scale").set_value(2.0).run()
    new = expected_values(example(depth=4, hidden="tanh", seed=5, scale=2.0))
    assert len(new) != len(old)
    assert counter(at) == f"**{t('steps.counter', k=3, n=len(new))}**"
    assert shown_value(at) == value_latex(new[2]) != value_latex(old[2])
    at.toggle(key="dn-biases").set_value(False).run()
    at.selectbox(key="dn-output").set_value("softmax").run()
    newer = expected_values(example(depth=4, hidden="tanh", seed=5, scale=2.0, biases=False, output="softmax"))
    assert counter(at) == f"**{t('steps.counter', k=3, n=len(newer))}**"
    at.number_input(key="dn-step").set_value(len(newer)).run()
    assert shown_value(at) == value_latex(newer[-1])


def test_widths_per_layer():
    at = open_page(**{"dn-same": "false", "dn-width1": "2", "dn-width2": "5", "dn-width3": "1", "dn-step": "5"})
    assert not at.warning
    values = expected_values(example(width=(2, 5, 1)))
    assert shown_value(at) == value_latex(values[4])     # p(3): one unit
    assert counter(at) == f"**{t('steps.counter', k=5, n=len(values))}**"


def test_link_at_a_widgets_minimum_is_kept():
    """A bound widget drops a link value equal to its own default; the page's fields default to the
    example's values, so the slider's minimum (depth 1) still comes through."""
    at = open_page(**{"dn-depth": "1", "dn-biases": "false"})
    assert not at.warning
    values = expected_values(example(depth=1, biases=False))
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(values))}**"


def test_bad_link_values_fall_back_with_a_warning():
    at = open_page(**{"dn-depth": "nan", "dn-hidden": "softmax", "dn-biases": "maybe", "dn-width": "2.5"})
    warnings = " ".join(w.value for w in at.warning)
    for key in ("dn-depth", "dn-hidden", "dn-biases", "dn-width"):
        assert key in warnings
    assert at.slider(key="dn-depth").value == D["depth"]
    assert at.slider(key="dn-width").value == D["width"]
    assert at.selectbox(key="dn-hidden").value == D["hidden"]
    assert at.toggle(key="dn-biases").value == D["biases"]
    assert shown_value(at) == value_latex(expected_values(example())[0])


def test_link_opens_at_its_step():
    values = expected_values(example())
    at = open_page(**{"dn-step": "17"})
    assert counter(at) == f"**{t('steps.counter', k=17, n=len(values))}**"
    assert shown_value(at) == value_latex(values[16])


def test_one_weight_shows_the_row_forms_gradient_and_bias():
    at = open_page()
    ex = example()
    row = ex.net.backprop(ex.x, ex.label)
    for k, i, j in [(0, 1, 1), (1, 3, 2), (3, 2, 3)]:
        at.selectbox(key="dn-weight").set_value((k, i, j)).run()
        latex = " ".join(shown_latex(at))
        grad = row.dW[k][j - 1, i - 1]             # the note's w^(k)_ij is our w_{k+1,i,j}: row j, column i of W_{k+1}
        assert rf"&= {num(grad)} \end{{aligned}}" in latex
        assert rf"= {num(row.db[k][i - 1])}" in latex
        captions = " ".join(c.value for c in at.caption)
        assert f"${num(grad)}$" in captions


def test_slips_show_the_notes_reading_and_the_right_one():
    at = open_notes(open_page(**{"dn-width": "2"}))   # every layer as wide as the output: the note's reading computes
    ex = example(width=2)
    row = ex.net.backprop(ex.x, ex.label)
    latex = shown_latex(at)
    right = [s for s in latex if s.startswith(r"\delta^{(1)} = ") and r"\Rightarrow" in s]
    assert right and right[0].endswith(f"= {num(row.dW[0][0, 0])}")   # w^(0)_11 = our w_111
    wrote = [s for s in latex if s.startswith(r"\Big(\frac{\partial L}{\partial x^{(4)}}\Big)^T f_{out}'")]
    assert wrote and not wrote[0].endswith(f"= {num(row.dW[0][0, 0])}")


def sizes_chart(at) -> dict:
    (spec,) = [c for c in drawn_charts(at) if c["layout"].get("yaxis", {}).get("type") == "log"]
    return spec


def test_gradient_sizes_and_the_sigmoid_relu_comparison():
    at = open_page(**{"dn-depth": "6", "dn-width": "8"})
    spec = sizes_chart(at)
    assert [d.get("meta") for d in spec["data"]] == ["sigmoid"]
    at.toggle(key="dn-compare").set_value(True).run()
    spec = sizes_chart(at)
    curves = {d["meta"]: data_array(d["y"]) for d in spec["data"] if d.get("meta") in ("sigmoid", "relu")}
    assert set(curves) == {"sigmoid", "relu"}
    for hidden, shown in curves.items():
        ex = example(depth=6, width=8, hidden=hidden)
        row = ex.net.backprop(ex.x, ex.label)
        norms = np.array([np.linalg.norm(g) for g in row.dW])
        np.testing.assert_allclose(shown, np.where(norms > 0, norms, np.nan), rtol=1e-12)
    assert spec["layout"]["title"]["text"] and spec["layout"]["xaxis"]["title"]["text"]
    # seen, not told: the sigmoid's first layer gets far less than ReLU's, relative to the last
    assert curves["sigmoid"][0] / curves["sigmoid"][-1] < 0.01 * curves["relu"][0] / curves["relu"][-1]


def test_largest_network_stays_quick():
    at = open_page(**{"dn-depth": str(deep.MAX_DEPTH), "dn-width": str(deep.MAX_WIDTH)})
    start = time.perf_counter()
    at.button(key="dn-next").click().run()
    assert not at.exception
    assert time.perf_counter() - start < 2.0
    assert counter(at).startswith("**Step 2 ")


def test_the_compact_picture_writes_its_numbers_as_text_not_latex():
    """A network too large to label is drawn as dots with its values on hover: the tiny gradients of a deep sigmoid
    network (1e-8 and less) read as "2.538e−8", never as the formulas' LaTeX "2.538 \\times 10^{-8}"."""
    with drawn_diagrams() as drawn:
        at = open_page(**{"dn-depth": "4", "dn-width": "6", "dn-step": "40"})
    assert drawn and not any(d.get("meta") == "unit labels" for fig in drawn for d in fig["data"])   # compact ones
    texts = [s for fig in drawn for d in fig["data"] for key in ("hovertext", "text") for s in (d.get(key) or [])]
    assert any("e−" in s for s in texts), "no value small enough to need a power of ten"
    assert not [s for s in texts if "\\" in s or "{" in s], texts
    assert not at.exception


def test_plain_numbers_match_the_formulas_numbers():
    # num writes 2.538 \times 10^{-8} in the formulas; a picture and a tooltip say the same in plain text
    assert (num(2.538e-8), plain_number(2.538e-8)) == (r"2.538 \times 10^{-8}", "2.538e−8")
    assert plain_number(-0.5) == "−0.5" and plain_number(3.0) == num(3.0)


def test_gradient_check_agrees_at_the_default_example():
    at = open_page()
    assert any(t("gradcheck.title") in e.label for e in at.expander)
    table = gradient_table(at)
    assert len(table) == sum(W.size + b.size for W, b in zip(example().net.weights, example().net.biases))
    assert {row[-1] for row in table} == {t("gradcheck.verdicts.agree")}

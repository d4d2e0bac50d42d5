"""The single-node chain page under AppTest: it opens, Next and Previous walk every step, the value shown
at each step is the one bp_core computes for that step (and, for the default example, the one worked out
by hand from the notes' formulas), inputs change the numbers, the loss curve's tangent has the gradient
as its slope, and a bad link value falls back to the default with a warning that names it."""
import itertools
from pathlib import Path

import numpy as np
import pytest
from lesson_app import (
    bare,
    chart_specs,
    counter,
    data_array,
    diagrams_html,
    drawn_charts,
    open_lesson,
    shown_latex,
    walk_both_ways,
)
from streamlit.testing.v1 import AppTest

from bp_core import Network
from bp_core import presets as P
from bp_core.step import value_latex
from pages.ui.i18n import t

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/single_node_chain.py"
TIMEOUT = 60
C = P.CHAIN


def open_page(**query: str) -> AppTest:
    return open_lesson(PAGE, **query)


def chain(x=C["x"], w1=C["w1"], w2=C["w2"], w3=C["w3"], label=C["label"], hidden=C["hidden"],
          output=C["output"], loss=C["loss"], lr=C["lr"]):
    """The expected trace, from bp_core called here with the same inputs as the page."""
    net = Network([[[w1]], [[w2]], [[w3]]], hidden=hidden, output=output, loss=loss)
    return net, net.backprop([x], [label], lr=lr)


def shown_value(at) -> str:
    """The panel's value column: the last st.latex before the pictures (the slip box comes after it)."""
    return bare(at.latex[PANEL_VALUE].value)


PANEL_VALUE = 3  # the panel (after the diagram): formula, SymPy, numbers, value


def test_page_opens_with_the_notes_chain():
    at = open_page()
    assert [title.value for title in at.title] == [t("lessons.single_node_chain.title")]
    _, trace = chain()
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(trace.steps))}**"
    assert len(diagrams_html(at)) == 2 and not chart_specs(at)   # the diagram and the loss curve, both as SVG
    assert len(drawn_charts(at)) == 1


def test_every_choice_of_activation_output_and_loss():
    """Each combination the selectors offer opens, and its last step shows bp_core's L*."""
    at = open_page(**{"sn-step": "15"})
    for hidden, output, loss in itertools.product(("identity", "relu", "sigmoid", "tanh"), ("identity", "sigmoid"),
                                                  ("half_sse", "mse")):
        at.selectbox(key="sn-hidden").set_value(hidden)
        at.selectbox(key="sn-output").set_value(output)
        at.selectbox(key="sn-loss").set_value(loss).run()
        assert not at.exception, (hidden, output, loss)
        _, trace = chain(hidden=hidden, output=output, loss=loss)
        assert shown_value(at) == value_latex(trace.loss_after), (hidden, output, loss)


def test_next_walks_every_step_and_previous_walks_back():
    _, trace = chain()
    walk_both_ways(open_page(), "sn", trace.steps, shown_value)


def test_default_example_by_hand():
    """The notes' formulas worked by hand for the identity chain: h1 = x w1, ..., dL/dw3 = a2 (y - label),
    dL/dw2 = a1 w3 (y - label), dL/dw1 = x w2 w3 (y - label), w* = w - lr g."""
    x, w1, w2, w3, lab, lr = (C[k] for k in ("x", "w1", "w2", "w3", "label", "lr"))
    a1 = x * w1
    a2 = a1 * w2
    y = a2 * w3
    dy = y - lab
    expected = {
        "h1": a1, "a2": a2, "y": y, "L": 0.5 * dy**2, "dL/dy": dy,
        "dL/dw3": a2 * dy, "dL/dw2": a1 * w3 * dy, "dL/dw1": x * w2 * w3 * dy,
        "w1*": w1 - lr * x * w2 * w3 * dy,
    }
    new = (w1 - lr * x * w2 * w3 * dy, w2 - lr * a1 * w3 * dy, w3 - lr * a2 * dy)
    expected["L*"] = 0.5 * (x * new[0] * new[1] * new[2] - lab) ** 2
    _, trace = chain()
    names = [s.name for s in trace.steps]
    at = open_page()
    for name, value in expected.items():
        at.number_input(key="sn-step").set_value(names.index(name) + 1).run()
        assert shown_value(at) == value_latex(float(value)), name


def test_changing_an_input_changes_the_numbers():
    at = open_page(**{"sn-step": "9"})
    _, old = chain()
    assert shown_value(at) == value_latex(old.steps[8].value)
    at.slider(key="sn-w2").set_value(0.3).run()
    at.selectbox(key="sn-hidden").set_value("tanh").run()
    at.selectbox(key="sn-output").set_value("sigmoid").run()
    at.selectbox(key="sn-loss").set_value("mse").run()
    _, new = chain(w2=0.3, hidden="tanh", output="sigmoid", loss="mse")
    assert counter(at).startswith("**Step 9 ")
    assert new.steps[8].name == "dL/dw3"
    assert shown_value(at) == value_latex(new.steps[8].value) != value_latex(old.steps[8].value)
    assert new.steps[8].numbers in shown_latex(at)


def tangent_of(at) -> tuple[str, float]:
    """The curve chart's tangent: its trace name and its slope from two of its points."""
    spec = drawn_charts(at)[0]
    (tangent,) = [d for d in spec["data"] if d.get("meta") == "tangent"]
    xs, ys = data_array(tangent["x"]), data_array(tangent["y"])
    return tangent["name"], (ys[-1] - ys[0]) / (xs[-1] - xs[0])


@pytest.mark.parametrize("weight", [1, 2, 3])
def test_curve_tangent_slope_is_the_gradient(weight):
    at = open_page(**{"sn-step": "12", "sn-hidden": "tanh"})   # past every dL/dw_k
    at.radio(key="sn-curve").set_value(f"w{weight}").run()
    net, _ = chain(hidden="tanh")
    # the slope of L along the weight by central differences, computed here
    eps = 1e-6
    ws = [np.array(W) for W in net.weights]

    def loss(v):
        moved = [W.copy() for W in ws]
        moved[weight - 1][0, 0] = v
        return net.replace(weights=moved).loss_value([C["x"]], [C["label"]])

    w = ws[weight - 1][0, 0]
    fd = (loss(w + eps) - loss(w - eps)) / (2 * eps)
    _, slope = tangent_of(at)
    assert slope == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_tangent_waits_for_its_gradient():
    at = open_page(**{"sn-step": "8"})   # dL/dy: no weight gradient yet
    spec = drawn_charts(at)[0]
    assert not [d for d in spec["data"] if d.get("meta") == "tangent"]


def test_bad_link_value_falls_back_with_a_warning():
    at = open_page(**{"sn-w1": "nan", "sn-hidden": "softmax"})
    warnings = " ".join(w.value for w in at.warning)
    assert "sn-w1" in warnings and "sn-hidden" in warnings
    assert at.slider(key="sn-w1").value == C["w1"]
    assert at.selectbox(key="sn-hidden").value == C["hidden"]
    _, trace = chain()
    assert shown_value(at) == value_latex(trace.steps[0].value)


def test_link_opens_at_its_step():
    _, trace = chain()
    at = open_page(**{"sn-step": "10"})
    assert counter(at) == f"**{t('steps.counter', k=10, n=len(trace.steps))}**"
    assert shown_value(at) == value_latex(trace.steps[9].value)

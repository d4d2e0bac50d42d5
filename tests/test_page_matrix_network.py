"""The 2x2x2 matrix network page under AppTest: it opens, Next and Previous walk every step, the value shown
at each step is bp_core's value for that step, the gradients shown agree with central finite differences,
each weight's written-out path gives its gradient, the notes' shortcut is shown beside the exact gradients,
inputs change the numbers, and a bad link value falls back to the default with a warning naming it."""
import itertools
from pathlib import Path

import numpy as np
import pytest
from core_helpers import network_fd, parse_latex_number
from lesson_app import (
    bare,
    chart_specs,
    counter,
    data_array,
    diagrams_html,
    drawn_charts,
    drawn_diagrams,
    open_lesson,
    open_notes,
    shown_latex,
    walk_both_ways,
)
from streamlit.testing.v1 import AppTest

from bp_core import Network
from bp_core import presets as P
from bp_core.step import matrix, num, value_latex
from pages.ui import colors
from pages.ui.i18n import t
from pages.ui.network_figure import HIGHLIGHT_FILL

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/matrix_network.py"
TIMEOUT = 60
M = P.MATRIX_NET
PANEL_VALUE = 3  # the panel: formula, SymPy, numbers, value (the notation above is made only when opened)


def open_page(**query: str) -> AppTest:
    return open_lesson(PAGE, **query)


def example(W=None, x=M["x"], label=M["label"], hidden=M["hidden"], output=M["output"], loss=M["loss"],
            lr=M["lr"], as_one=False):
    """The expected network and trace, from bp_core called here with the page's inputs."""
    weights = [np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)] if W is None else W
    net = Network(weights, hidden=hidden, output=output, loss=loss, output_grad_as_one=as_one)
    return net, net.backprop(x, label, lr=lr)






def shown_value(at) -> str:
    return bare(at.latex[PANEL_VALUE].value)




def go_to(at, trace, name: str) -> None:
    at.number_input(key="mn-step").set_value([s.name for s in trace.steps].index(name) + 1).run()


def test_page_opens_with_the_notes_network():
    at = open_page()
    assert [title.value for title in at.title] == [t("lessons.matrix_network.title")]
    _, trace = example()
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(trace.steps))}**"
    # twelve weight sliders, labelled as the notes name them, in Unicode (a screen reader reads a label's source)
    labels = {s.label for s in at.slider}
    below = str.maketrans("123", "₁₂₃")
    assert {f"w{k}{j}{i}".translate(below) for k, j, i in itertools.product((1, 2, 3), (1, 2), (1, 2))} <= labels


def test_every_choice_of_activation_output_and_loss():
    """Each combination the selectors offer opens (cross-entropy with the identity output says why it cannot),
    and its last step shows bp_core's L*."""
    at = open_page(**{"mn-step": "24"})
    for hidden, output, loss in itertools.product(("relu", "sigmoid", "tanh", "identity"),
                                                  ("softmax", "identity", "sigmoid"),
                                                  ("half_sse", "mse", "cross_entropy")):
        at.selectbox(key="mn-hidden").set_value(hidden)
        at.selectbox(key="mn-output").set_value(output)
        at.selectbox(key="mn-loss").set_value(loss).run()
        assert not at.exception, (hidden, output, loss)
        if output == "identity" and loss == "cross_entropy":
            assert t("matrix_network.ce_identity") in [w.value for w in at.warning]
            continue
        _, trace = example(hidden=hidden, output=output, loss=loss)
        assert shown_value(at) == value_latex(trace.loss_after), (hidden, output, loss)


def test_next_walks_every_step_and_previous_walks_back():
    _, trace = example()
    walk_both_ways(open_page(), "mn", trace.steps, shown_value)


def test_backward_steps_in_the_notes_order():
    _, trace = example()
    names = [s.name for s in trace.steps if s.phase == "backward"]
    assert names == ["dL/dy", "dz3", "dL/dw311", "dL/dw312", "dL/dw321", "dL/dw322", "dW3", "dL/da2", "dz2",
                     "dW2", "dL/da1", "dz1", "dW1"]


def test_shown_gradients_agree_with_finite_differences():
    net, trace = example()
    fd, _ = network_fd(net, np.array([M["x"]]), np.array([M["label"]]))
    at = open_page()
    # the forward pass by hand: h1 = x W1
    go_to(at, trace, "h1")
    assert np.allclose(parse_latex_number(shown_value(at)), np.array(M["x"]) @ np.array(M["W1"]), atol=1e-4)
    for k in (3, 2, 1):
        go_to(at, trace, f"dW{k}")
        shown = parse_latex_number(shown_value(at))
        assert np.allclose(shown, fd[k - 1], rtol=1e-3, atol=1e-4), k
    for j, i in itertools.product((1, 2), (1, 2)):
        go_to(at, trace, f"dL/dw3{j}{i}")
        assert float(parse_latex_number(shown_value(at))) == pytest.approx(fd[2][i - 1, j - 1], rel=1e-3, abs=1e-4)


def test_every_weight_path_gives_its_gradient():
    net, trace = example()
    fd, _ = network_fd(net, np.array([M["x"]]), np.array([M["label"]]))
    at = open_page()
    for k, j, i in itertools.product((1, 2, 3), (1, 2), (1, 2)):
        at.selectbox(key="mn-path").set_value(f"w{k}{j}{i}").run()
        (block,) = [s for s in shown_latex(at)
                    if rf"\partial w_{{{k}{j}{i}}}" in s and s.startswith(r"\begin{aligned}")]
        value = block.removesuffix(r"\end{aligned}").rsplit("&= ", 1)[1].strip()
        assert float(parse_latex_number(value)) == pytest.approx(fd[k - 1][i - 1, j - 1], rel=1e-3, abs=1e-4)
        assert value == num(trace.dW[k - 1][i - 1, j - 1])
    # the notes' example: dL/dw_211 = a_11 relu'(h_21) (w_311 dz_31 + w_321 dz_32)
    at.selectbox(key="mn-path").set_value("w211").run()
    notes = (r"a_{11} \cdot \operatorname{ReLU}'(h_{21}) \cdot "
             r"\left(w_{311} \cdot dz_{31} + w_{321} \cdot dz_{32}\right)")
    assert any(notes in s for s in shown_latex(at))


def test_shortcut_beside_the_exact_gradients():
    _, exact = example()
    _, as_one = example(as_one=True)
    at = open_page()
    assert not any(matrix(as_one.dW[0]) in s for s in shown_latex(at))   # hidden until switched on
    at.toggle(key="mn-as-one").set_value(True).run()
    assert not at.exception
    shown = shown_latex(at)
    for k in range(3):
        assert matrix(exact.dW[k]) in shown
        assert matrix(as_one.dW[k]) in shown
        assert matrix(as_one.dW[k] - exact.dW[k]) in shown
    # the shortcut puts dL/dy where the Jacobian product belongs
    y, label = exact.y[0], np.array(M["label"])
    assert matrix(y - label) in shown
    # the step's and the path's diagrams, and the heatmap of the differences, all three drawn as SVG
    assert len(diagrams_html(at)) == 3 and not chart_specs(at)
    (figure,) = [f for f in drawn_charts(at) if any(trace["type"] == "heatmap" for trace in f["data"])]
    for k, trace in enumerate(figure["data"]):
        np.testing.assert_allclose(data_array(trace["z"]), as_one.dW[k] - exact.dW[k])
        assert trace["colorscale"] == [list(stop) for stop in colors.PIYG]


def test_the_difference_scale_is_plotly_s_piyg():
    """The shortcut heatmap's colour stops, as hex, are Plotly's named scale "PiYG"."""
    from plotly.colors import get_colorscale, unlabel_rgb

    plotly_stops = [(round(p, 6), "#{:02X}{:02X}{:02X}".format(*map(int, unlabel_rgb(c))))
                    for p, c in get_colorscale("PiYG")]
    assert [(round(p, 6), c) for p, c in colors.PIYG] == plotly_stops


def test_changing_inputs_changes_the_numbers():
    _, old = example()
    at = open_page(**{"mn-step": "14"})   # dW3
    assert old.steps[13].name == "dW3"
    assert shown_value(at) == value_latex(old.steps[13].value)
    at.slider(key="mn-w311").set_value(1.0).run()
    at.slider(key="mn-x2").set_value(-1.0).run()
    at.selectbox(key="mn-output").set_value("sigmoid").run()
    W = [np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)]
    W[2][0, 0] = 1.0
    _, new = example(W=W, x=(M["x"][0], -1.0), output="sigmoid")
    assert new.steps[13].name == "dW3"
    assert shown_value(at) == value_latex(new.steps[13].value) != value_latex(old.steps[13].value)


def test_slip_dw322_with_its_numbers():
    """The notes' dw322 = a22 dy1 beside a22 dy2, worked out here, once a22 is switched on."""
    at = open_notes(open_page())
    at.slider(key="mn-w221").set_value(0.6).run()   # h22 = 0.9 * 0.6 + 0.5 * 0.1 > 0
    W = [np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)]
    W[1][0, 1] = 0.6
    _, trace = example(W=W)
    go_to(at, trace, "dL/dw322")
    a22, y, label = trace.a[2][0, 1], trace.y[0], np.array(M["label"])
    assert a22 > 0
    shown = shown_latex(at)
    assert rf"dw_{{322}} = a_{{22}} \Delta y_1 = {num(a22 * (y[0] - label[0]))}" in shown
    assert rf"dw_{{322}} = a_{{22}} \Delta y_2 = {num(a22 * (y[1] - label[1]))}" in shown


def test_cross_entropy_needs_probabilities():
    # a bound select box takes its link value as the shown label of the option
    at = open_page(**{"mn-output": t("activation.identity"), "mn-loss": t("loss.cross_entropy")})
    assert not at.exception
    assert at.selectbox(key="mn-loss").value == "cross_entropy"
    assert [w.value for w in at.warning] == [t("matrix_network.ce_identity")]   # and no "ignored" notice


def test_bad_link_value_falls_back_with_a_warning():
    at = open_page(**{"mn-w211": "nan", "mn-output": "tanh", "mn-t1": "7"})
    warnings = " ".join(w.value for w in at.warning)
    assert "mn-w211" in warnings and "mn-output" in warnings and "mn-t1" in warnings
    assert at.slider(key="mn-w211").value == M["W2"][0][0]
    assert at.selectbox(key="mn-output").value == M["output"]
    _, trace = example()
    assert shown_value(at) == value_latex(trace.steps[0].value)


def test_link_opens_at_its_step():
    _, trace = example()
    at = open_page(**{"mn-step": "20"})
    assert counter(at) == f"**{t('steps.counter', k=20, n=len(trace.steps))}**"
    assert shown_value(at) == value_latex(trace.steps[19].value)


def test_diagram_highlights_the_step_and_greys_what_is_to_come():
    _, trace = example()
    at = open_page()
    with drawn_diagrams() as drawn:
        go_to(at, trace, "dL/dw312")
    spec = drawn[0]   # the step's diagram
    # every label of the diagram, with the fill of the box behind it (pages/ui/network_figure._labels)
    notes = {text: {"text": text, "bgcolor": fill} for d in spec["data"]
             if d.get("meta") in ("unit labels", "weight labels") for text, fill in zip(d["text"], d["customdata"])}

    def note(fragment: str) -> dict:
        (found,) = [a for text, a in notes.items() if fragment in text]
        return found

    # the step's weight and the units it joins are marked; another weight is not
    assert note("w<sub>312</sub> =")["bgcolor"] == HIGHLIGHT_FILL
    assert note("w<sub>311</sub> =")["bgcolor"] != HIGHLIGHT_FILL
    assert note("h<sub>22</sub> =")["bgcolor"] == HIGHLIGHT_FILL       # a22, the input of w312
    # gradients worked out so far carry their value, in the gradient colour; later ones are "?" in grey
    dw311 = num(trace.dW[2][0, 0]).replace("-", "−")
    assert f'<span style="color:{colors.GRADIENT}">∂ = {dw311}</span>' in note("w<sub>311</sub> =")["text"]
    assert f'<span style="color:{colors.PENDING}">∂L/∂a<sub>21</sub> = ?</span>' in note("h<sub>21</sub> =")["text"]
    assert f'<span style="color:{colors.PENDING}">∂ = ?</span>' in note("w<sub>211</sub> =")["text"]


def test_the_notes_notation_is_made_only_when_opened():
    """The notation's expander (pages/ui/lazy.py) holds nothing while closed; opened, the two formulas and the names."""
    at = open_page()
    (box,) = [e for e in at.expander if e.key == "mn-notation"]
    assert not box.latex and not box.caption
    at.session_state["mn-notation"] = True
    at.run()
    (box,) = [e for e in at.expander if e.key == "mn-notation"]
    first, second = (bare(latex.value) for latex in box.latex)
    assert first.startswith(r"h_1 = x W_1,\ a_1 = ") and second.startswith(r"\begin{pmatrix} h_{k1} & h_{k2}")
    assert [c.value for c in box.caption] == [t("matrix_network.naming")]

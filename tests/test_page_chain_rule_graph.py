"""The chain-rule page (note 002) under AppTest: it opens, Next and Previous walk every step, the value shown
at each step is the one bp_core computes (and the one worked out by hand or by finite differences here),
the inputs and the example selector change the trace, and a bad link value falls back with a warning."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from lesson_app import counter, open_lesson
from streamlit.testing.v1 import AppTest

from bp_core import graph_examples
from bp_core import presets as P
from bp_core.step import value_latex
from pages.ui.i18n import t

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGE = "pages/chain_rule_graph.py"
TIMEOUT = 30


def open_page(**query: str) -> AppTest:
    return open_lesson(PAGE, **query)


def shown_value(at: AppTest) -> str:
    """The panel's value column: the last st.latex on the page."""
    return at.latex[-1].value.strip("$\n ")




def core_values(example: str, **changes: float) -> list[float]:
    """Every step's value from bp_core, called here: forward nodes, then one product per edge."""
    values = dict(P.GRAPHS[example], **changes)
    output = graph_examples.build(example, values)
    return [s.value for s in output.forward_steps()] + [s.product for s in output.backward()]


def core_names(example: str) -> list[str]:
    output = graph_examples.build(example, P.GRAPHS[example])
    return [s.name for s in output.forward_steps()] + [s.to_step().name for s in output.backward()]


def step(at: AppTest, button: str) -> None:
    at.button(key=f"cg-{button}").click().run()
    assert not at.exception


def choose(at: AppTest, example: str) -> None:
    at.selectbox(key="cg-example").select(example).run()
    assert not at.exception


def walk_all(at: AppTest, n: int) -> list[str]:
    """The shown value at steps 1..n, clicking Next."""
    shown = [shown_value(at)]
    for _ in range(n - 1):
        step(at, "next")
        shown.append(shown_value(at))
    return shown


def test_opens_on_the_notes_first_example():
    at = open_page()
    assert [title.value for title in at.title] == [t("lessons.chain_rule.title")]
    assert at.selectbox(key="cg-example").value == "sum_times"
    assert [at.slider(key=k).value for k in ("cg-x", "cg-y", "cg-z")] == [-2.0, 5.0, -4.0]
    assert counter(at) == f"**{t('steps.counter', k=1, n=6)}**"


def test_next_and_previous_walk_every_step_of_the_first_example():
    # by hand: q = x + y = 3, f = q z = -12; back: df/dq = z = -4, df/dz = q = 3, df/dx = df/dy = -4 * 1
    by_hand = [3, -12, -4, 3, -4, -4]
    assert core_values("sum_times") == by_hand
    at = open_page()
    forward = walk_all(at, 6)
    assert forward == [value_latex(v) for v in by_hand]
    assert counter(at) == f"**{t('steps.counter', k=6, n=6)}**"
    assert at.button(key="cg-next").disabled
    back = [shown_value(at)]
    for _ in range(5):
        step(at, "previous")
        back.append(shown_value(at))
    assert back == forward[::-1]
    assert at.button(key="cg-previous").disabled


def sigmoid_neuron(w0, x0, w1, x1, w2):
    return 1.0 / (1.0 + math.exp(-(w0 * x0 + w1 * x1 + w2)))


def test_sigmoid_neuron_agrees_with_the_note_and_finite_differences():
    at = open_page()
    choose(at, "sigmoid_neuron")
    values = core_values("sigmoid_neuron")
    names = core_names("sigmoid_neuron")
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(values))}**"
    shown = walk_all(at, len(values))
    assert shown == [value_latex(v) for v in values]
    # the note's numbers: f = sigma(1) = 0.7311; each input's gradient by central differences
    point = dict(P.GRAPHS["sigmoid_neuron"])
    assert shown[names.index("f")] == "0.7311"
    h = 1e-6
    for name in ("w0", "x0", "w1", "x1", "w2"):
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        slope = (sigmoid_neuron(**up) - sigmoid_neuron(**down)) / (2 * h)
        index = next(i for i, n in enumerate(names) if n.startswith(f"df/d{name} via"))
        assert float(shown[index]) == pytest.approx(slope, rel=1e-3), name


def merge_text(at) -> str:
    """The sentence that adds up the contributions of x's two paths."""
    prefix = t("chain_rule.merge.done", node="x", paths="$r$ and $p$")[:30]
    return next(m.value for m in at.markdown if m.value.startswith(prefix))


def test_shared_input_gradients_add():
    at = open_page()
    choose(at, "shared_input")
    values = core_values("shared_input")
    assert counter(at) == f"**{t('steps.counter', k=1, n=len(values))}**"
    shown = walk_all(at, len(values))
    assert shown == [value_latex(v) for v in values]
    # f = x y + x z at x = 2, y = -3, z = 5: df/dx = z + y = 5 + (-3) = 2, one contribution per path
    merged = merge_text(at)
    assert merged.startswith(t("chain_rule.merge.done", node="x", paths="$r$ and $p$"))
    assert r"1 \cdot 5 + 1 \cdot (-3) = 5 + (-3) = 2" in merged
    # before the second contribution arrives, the page says it is coming instead
    step(at, "previous")
    step(at, "previous")
    assert any(t("chain_rule.merge.pending", node="x", paths="$r$ and $p$") == i.value for i in at.info)


def test_changing_an_input_changes_the_numbers():
    at = open_page()
    at.slider(key="cg-x").set_value(3.0).run()
    assert not at.exception
    # q = 3 + 5 = 8, f = 8 * (-4) = -32
    assert core_values("sum_times", x=3.0)[:2] == [8, -32]
    assert shown_value(at) == "8"
    step(at, "next")
    assert shown_value(at) == "-32"


def test_changing_an_input_of_the_shared_example_changes_the_sum():
    at = open_page()
    choose(at, "shared_input")
    at.slider(key="cg-shared-y").set_value(1.0).run()
    step(at, "last")
    # df/dx = z + y = 5 + 1 = 6
    assert r"1 \cdot 5 + 1 \cdot 1 = 5 + 1 = 6" in merge_text(at)


def test_a_bad_link_value_falls_back_to_the_default_and_says_so():
    at = open_page(**{"cg-x": "nan"})
    assert at.slider(key="cg-x").value == -2.0
    assert any("cg-x" in w.value for w in at.warning)
    assert shown_value(at) == "3"  # q = -2 + 5


def test_a_link_opens_its_example_at_its_step():
    label = t("chain_rule.examples.sigmoid_neuron")  # Streamlit writes the option's label into the URL
    at = open_page(**{"cg-example": label, "cg-step": "4"})
    assert not at.warning
    assert at.selectbox(key="cg-example").value == "sigmoid_neuron"
    assert counter(at) == f"**{t('steps.counter', k=4, n=22)}**"
    assert shown_value(at) == value_latex(core_values("sigmoid_neuron")[3])


def test_the_cursor_restarts_when_the_example_changes():
    at = open_page()
    step(at, "next")
    step(at, "next")
    choose(at, "sigmoid_neuron")
    assert counter(at) == f"**{t('steps.counter', k=1, n=22)}**"
    assert shown_value(at) == value_latex(core_values("sigmoid_neuron")[0])


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_the_neuron_stays_finite_at_the_ends_of_its_sliders(sign):
    at = open_page()
    choose(at, "sigmoid_neuron")
    for name in ("w0", "x0", "w1", "x1", "w2"):
        at.slider(key=f"cg-{name}").set_value(sign * 5.0).run()
        assert not at.exception
    step(at, "last")
    ends = {name: sign * 5.0 for name in ("w0", "x0", "w1", "x1", "w2")}
    assert shown_value(at) == value_latex(core_values("sigmoid_neuron", **ends)[-1])
    assert not any(bad in element.value for element in at.latex for bad in ("nan", "inf"))


def test_a_link_may_name_the_example_by_its_option():
    """?cg-example=sigmoid_neuron (the option, not the text the select box shows) opens that example at the
    link's step, with no notice, and the address is rewritten to what the select box writes, so that a copied
    link holds the example."""
    at = open_page(**{"cg-example": "sigmoid_neuron", "cg-step": "5"})
    assert at.selectbox(key="cg-example").value == "sigmoid_neuron"
    assert not at.warning
    assert counter(at).startswith("**Step 5 of ") and not counter(at).endswith(" of 6**")  # (x + y) z has 6
    assert at.query_params["cg-example"] == t("chain_rule.examples.sigmoid_neuron")

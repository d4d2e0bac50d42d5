"""The gradient-check expander on every stepped lesson: at the notes' examples every gradient agrees with
its finite difference; on the 2x2x2 lesson, the notes' shortcut switched on shows which gradients it breaks."""

import pytest
from lesson_app import gradient_table, open_lesson
from streamlit.testing.v1 import AppTest

from bp_core.gradcheck import Check
from pages.ui.gradcheck import table
from pages.ui.i18n import t

PAGES = ["chain_rule_graph", "single_node_chain", "matrix_network", "softmax_jacobian", "deep_networks", "training"]


def open_page(name: str) -> AppTest:
    return open_lesson(f"pages/{name}.py")


def verdicts(at) -> list[str]:
    return [row[-1] for row in gradient_table(at)]


@pytest.mark.parametrize("name", PAGES)
def test_every_gradient_agrees_at_the_notes_example(name):
    at = open_page(name)
    assert any(t("gradcheck.title") in e.label for e in at.expander)
    assert verdicts(at) and set(verdicts(at)) == {t("gradcheck.verdicts.agree")}
    assert any(m.value == f"**{t('gradcheck.overall.agree')}**" for m in at.markdown)


def test_the_shortcut_shows_which_gradients_it_breaks():
    at = open_page("matrix_network")
    at.toggle(key="mn-gradcheck-shortcut").set_value(True).run()
    shown = verdicts(at)
    # in the notes' example the second unit of layer 2 is off (h22 < 0): its 4 weights get 0 either way;
    # every other weight's gradient is scaled by 2 y1 y2 (see tests/test_core_gradcheck.py), so it is wrong
    assert shown.count(t("gradcheck.verdicts.wrong")) == 8
    assert shown.count(t("gradcheck.verdicts.agree")) == 4
    assert any(m.value == f"**{t('gradcheck.overall.wrong')}**" for m in at.markdown)


def test_the_table_gives_each_gradient_to_six_digits_and_escapes_names():
    checks = (Check("w311", 0.1234567, 0.12345671, 1.23e-9), Check("<b>", -2.5, -2.0, 0.2))
    rows = [row.split("</td><td>") for row in table(checks).split("<tr><td>")[1:]]
    assert rows[0][:4] == ["w311", "0.123457", "0.123457", "1.2e-09"]
    assert rows[0][4].startswith(t("gradcheck.verdicts.agree"))
    assert rows[1][0] == "&lt;b&gt;" and rows[1][4].startswith(t("gradcheck.verdicts.wrong"))   # 0.2: wrong

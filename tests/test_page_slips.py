"""The expander "What the notes wrote" on every lesson: one per lesson, listing that lesson's slips with what the
note wrote and what is right, each with the number it gives; the numbers are bp_core.slips' (called here) and,
for dw322, a hand calculation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from lesson_app import open_lesson, open_notes, shown_latex

from bp_core import Network, datasets, deep, slips, softmax_lesson, training
from bp_core import presets as P
from bp_core.step import num, value_latex
from pages.ui.i18n import t
from pages.ui.lessons import LESSONS

M = P.MATRIX_NET


def expanders(at) -> list:
    return [e for e in at.expander if e.label == t("slips.title")]


def shown_with_numbers(at, found) -> None:
    """Every slip's formulas with the numbers bp_core gives, as the expander typesets them."""
    latex = shown_latex(at)
    for slip in found:
        for formula, value in ((slip.wrote, slip.wrote_value), (slip.right, slip.right_value)):
            if formula:
                expected = formula if value is None else f"{formula} = {value_latex(value)}"
                assert expected in latex, (slip.kind, expected)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_every_lesson_has_one_expander_of_the_notes_slips(lesson):
    at = open_lesson(lesson.file)
    (box,) = expanders(at)
    # closed, it holds nothing: its slips are made when it is opened
    assert not box.latex and not box.markdown and not box.caption
    (box,) = expanders(open_notes(at))
    notes = [m.value for m in box.markdown if m.value.startswith("**")]
    assert len(notes) == len(slips.LESSON_SLIPS[lesson.key])


def test_matrix_network_w322_by_hand():
    """w221 = 0.6 switches a22 on: h2 = (0.67, 0.59), h3 = (0.52, 0.027), y1 = sigma(0.52 - 0.027)."""
    at = open_notes(open_lesson("pages/matrix_network.py"))
    at.slider(key="mn-w221").set_value(0.6).run()
    y1 = 1 / (1 + math.exp(-(0.52 - 0.027)))
    latex = shown_latex(at)
    assert rf"dw_{{322}} = a_{{22}} \Delta y_1 = {num(0.59 * (y1 - 1.0))}" in latex
    assert rf"dw_{{322}} = a_{{22}} \Delta y_2 = {num(0.59 * (1.0 - y1))}" in latex
    W = [np.array(M[f"W{k}"], dtype=float) for k in (1, 2, 3)]
    W[1][0, 1] = 0.6
    net = Network(W, hidden=M["hidden"], output=M["output"], loss=M["loss"])
    shown_with_numbers(at, slips.matrix_network(net, net.backprop(M["x"], M["label"])))


def test_single_node_chain_numbers():
    C = P.CHAIN
    at = open_notes(open_lesson("pages/single_node_chain.py", **{"sn-loss": t("loss.mse")}))
    net = Network([[[C["w1"]]], [[C["w2"]]], [[C["w3"]]]], hidden=C["hidden"], output=C["output"], loss="mse")
    found = slips.single_node_chain(net, net.backprop([C["x"]], [C["label"]]))
    assert [s.kind for s in found] == ["dy.mse", "chain_first_factor"]
    shown_with_numbers(at, found)


def test_chain_rule_numbers_follow_the_example():
    at = open_notes(open_lesson("pages/chain_rule_graph.py"))
    shown_with_numbers(at, slips.chain_rule("sum_times", dict(P.GRAPHS["sum_times"])))
    assert r"\left(\frac{\partial f}{\partial x},\ \frac{\partial f}{\partial y},\ \frac{\partial f}{\partial z}" \
           r"\right) = \begin{pmatrix} -4 & -4 & 3 \end{pmatrix}" in shown_latex(at)     # by hand: z, z, x + y
    captions = [c.value for c in expanders(at)[0].caption]
    assert t("slips.where.sigmoid_neuron") in captions
    at.selectbox(key="cg-example").set_value("sigmoid_neuron").run()
    shown_with_numbers(at, slips.chain_rule("sigmoid_neuron", dict(P.GRAPHS["sigmoid_neuron"])))


def test_softmax_numbers():
    at = open_notes(open_lesson("pages/softmax_jacobian.py"))
    trace = softmax_lesson.trace(P.SOFTMAX["z"], P.SOFTMAX["temperature"], softmax_lesson.default_label())
    found = slips.softmax_jacobian(trace)
    shown_with_numbers(at, found)
    # softmax' taken as 1 gives -y/S, the right chain (S - y)/T: worked out here
    S = np.exp(np.array(P.SOFTMAX["z"])) / np.exp(np.array(P.SOFTMAX["z"])).sum()
    y = np.array(P.SOFTMAX["label"], dtype=float)
    np.testing.assert_allclose(found[0].wrote_value[:, 0], -y / S, rtol=1e-12)
    np.testing.assert_allclose(found[0].right_value[:, 0], S - y, rtol=1e-12)


def test_deep_numbers_for_the_picked_weight():
    at = open_notes(open_lesson("pages/deep_networks.py", **{"dn-width": "2"}))
    D = P.DEEP
    ex = deep.random_example(D["depth"], 2, hidden=D["hidden"], biases=D["biases"], seed=D["seed"])
    ct = deep.column_backprop(ex.net, ex.x, ex.label)
    shown_with_numbers(at, slips.deep_networks(ct, *deep.weights_of(ct)[0]))


def test_training_numbers_and_why_dW1_cannot_be_computed():
    D = P.TRAINING
    at = open_notes(open_lesson("pages/training.py"))
    X, Y = datasets.make(D["dataset"], D["points"], D["seed"], D["noise"])
    net = training.initial_network(D["depth"], D["width"], D["hidden"], D["biases"], D["loss"], D["init_seed"])
    dW1, factor = slips.training(net, X, Y, D["batch"], D["init_seed"])
    shown_with_numbers(at, (factor,))
    assert dW1.wrote_value is None
    captions = [c.value for c in expanders(at)[0].caption]
    assert t("slips.why.dims", **dW1.params) in captions


def test_in_chinese_the_expander_speaks_chinese():
    at = open_notes(open_lesson("pages/softmax_jacobian.py", lang="简体中文"))
    (box,) = [e for e in at.expander if e.label == t("slips.title", lang="zh-Hans")]
    trace = softmax_lesson.trace(P.SOFTMAX["z"], P.SOFTMAX["temperature"], softmax_lesson.default_label())
    slip = slips.softmax_jacobian(trace)[0]
    sentence = t(f"slips.kind.{slip.kind}", lang="zh-Hans", notes=slip.notes, **slip.params)
    assert any(sentence[:10] in m.value for m in box.markdown)

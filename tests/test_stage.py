"""A step's layout (pages/ui/stage.py). Projected, the step is two columns, its pictures on the left and its
derivation on the right, with a section that has a heading of its own under both, and no handouts. At a desk every
part is drawn where the lesson draws it, the handouts included. Projection mode laid the step out with CSS :has()
rules until change 20 (docs/performance.md); the stylesheet test checks that none is left on the step."""
from __future__ import annotations

import pytest
from lesson_app import diagrams_html, open_lesson

from pages.ui.lessons import LESSONS
from pages.ui.stepper import STAGE

# the lessons whose step has a section with a heading of its own, and that heading's first words
SECTIONS = {"single_node_chain": "The gradient is a slope", "softmax_jacobian": "A batch"}


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_a_projected_step_shows_its_pictures_left_of_its_derivation(lesson):
    at = open_lesson(lesson.file, present="true")
    stage = at.get_by_key(STAGE)
    columns, below = stage.children.values()
    pictures, derivation = columns.children.values()
    assert diagrams_html(pictures), "no picture in the left column"
    assert not diagrams_html(derivation), "a picture in the derivation's column"
    assert derivation.latex or derivation.markdown, "the derivation's column is empty"
    headings = [h.value for h in stage.subheader]
    if lesson.key in SECTIONS:
        assert [h.value for h in below.subheader] == headings and len(headings) == 1
        assert headings[0].startswith(SECTIONS[lesson.key])
        assert diagrams_html(below), "the section's chart is not under the step"
    else:
        assert not headings and not below.children
    assert not at.get("download_button"), "a handout is offered to the class"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_at_a_desk_the_step_is_drawn_in_the_lessons_order(lesson):
    at = open_lesson(lesson.file)
    stage = at.get_by_key(STAGE)
    assert len(stage.children) > 2, "the step was laid out in columns at a desk"
    assert diagrams_html(stage)
    assert len(at.get("download_button")) >= 2, "the handouts are missing"


def test_a_picture_after_the_step_is_drawn_where_the_lesson_draws_it():
    """The deep lesson's "one weight, unrolled" draws a diagram after the stepper: stage.pictures() there is the
    page itself, not the step's left column, even in projection mode."""
    at = open_lesson("pages/deep_networks.py", present="true")
    stage = at.get_by_key(STAGE)
    assert len(diagrams_html(at)) > len(diagrams_html(stage)) >= 1

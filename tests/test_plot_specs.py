"""Every chart a lesson sends and every diagram it draws is a valid Plotly figure.

The diagrams (drawn as SVG from the same figure format, pages/ui/svg_figure.py) are built from plain dicts without
Plotly's validation, which is slow (pages/ui/plot_text.py unchecked_figure), and drawn without annotations: here each
chart a page sends and each diagram it draws, at the first step, at a step in the middle and at the last, in normal
mode and in projection mode (where the pictures are laid out for the projector), is validated by
plotly.graph_objects.Figure, which raises on any property Plotly does not know or any value it refuses; and its
margins are fixed (pages/ui/plot_text.py margins), so that the browser does not measure a chart's text against the
page and draw it again until automatic margins settle."""
from __future__ import annotations

import plotly.graph_objects as go
import pytest
from lesson_app import chart_specs, drawn_diagrams, open_lesson

from pages.ui.lessons import LESSONS


@pytest.mark.parametrize("present", [False, True], ids=["normal", "projection"])
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.url_path)
def test_every_chart_of_a_lesson_is_a_valid_plotly_figure(lesson, present):
    at = open_lesson(lesson.file, **({"present": "true"} if present else {}))
    box = next(n for n in at.number_input if str(n.key).endswith("-step"))   # the stepper's step box
    last = int(box.max)
    seen = 0
    for k in sorted({1, (last + 1) // 2, last}):
        with drawn_diagrams() as diagrams:
            at.number_input(key=box.key).set_value(k).run()
        assert not at.exception, at.exception
        for spec in chart_specs(at) + diagrams:
            go.Figure(spec)   # raises ValueError on anything Plotly would not accept
            assert spec["layout"]["margin"].get("autoexpand") is False, (k, spec["layout"].get("title"))
            seen += 1
    assert seen, f"no chart on {lesson.url_path}"

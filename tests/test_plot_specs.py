"""Every chart a lesson sends is a valid Plotly figure.

The diagrams are built from plain dicts without Plotly's validation, which is slow (pages/ui/plot_text.py
unchecked_figure), and drawn without annotations: here each chart a page sends, at the first step, at a
step in the middle and at the last, in normal mode and in projection mode (where the charts are laid out for the
projector), is read back and validated by plotly.graph_objects.Figure, which raises on any property Plotly does not
know or any value it refuses; and its margins are fixed (pages/ui/plot_text.py margins), so that the browser does not
measure the chart's text against the page and draw it again until automatic margins settle."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from lesson_app import open_lesson

from pages.ui.lessons import LESSONS


def charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("present", [False, True], ids=["normal", "projection"])
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.url_path)
def test_every_chart_of_a_lesson_is_a_valid_plotly_figure(lesson, present):
    at = open_lesson(lesson.file, **({"present": "true"} if present else {}))
    box = next(n for n in at.number_input if str(n.key).endswith("-step"))   # the stepper's step box
    last = int(box.max)
    seen = 0
    for k in sorted({1, (last + 1) // 2, last}):
        at.number_input(key=box.key).set_value(k).run()
        assert not at.exception, at.exception
        for spec in charts(at):
            go.Figure(spec)   # raises ValueError on anything Plotly would not accept
            assert spec["layout"]["margin"].get("autoexpand") is False, (k, spec["layout"].get("title"))
            seen += 1
    assert seen, f"no chart on {lesson.url_path}"

"""What the AppTest tests of the lesson pages share: opening a page (with a link's parameters), and reading
the step counter, the typeset maths and the pictures back."""
import base64
import contextlib
import json
import re
from pathlib import Path

import numpy as np
import plotly.io
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 60


def open_lesson(page: str, **query: str) -> AppTest:
    """app.py run once, then the lesson `page` ("pages/<file>.py"), with `query` as the link's parameters."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def open_notes(at: AppTest) -> AppTest:
    """The expander "What the notes wrote" opened (pages/ui/slips.py makes its content only while it is open)."""
    (box,) = [e for e in at.expander if str(e.key).endswith("-notes")]
    at.session_state[box.key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def counter(at: AppTest) -> str:
    """The "Step k of n" line as shown (bold markdown)."""
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


@contextlib.contextmanager
def drawn_diagrams():
    """The figure of every diagram the page draws while this is open (pages/ui/svg_figure.py), as plain JSON like
    a Plotly chart's spec: AppTest runs the page in this process, so the drawing function can be watched."""
    from pages.ui import svg_figure

    drawn, draw = [], svg_figure.to_html

    def record(fig):
        drawn.append(json.loads(plotly.io.to_json(fig)))
        return draw(fig)

    svg_figure.to_html = record
    try:
        yield drawn
    finally:
        svg_figure.to_html = draw


def drawn_charts(at: AppTest) -> list[dict]:
    """The charts with axes the page draws as SVG (pages/ui/svg_figure.py: a visible y axis), as plain JSON like a
    Plotly chart's spec, in page order: the page is run once more as it stands, with the drawing watched."""
    with drawn_diagrams() as drawn:
        at.run()
    assert not at.exception, at.exception
    return [fig for fig in drawn if fig["layout"].get("yaxis", {}).get("visible", True) is not False]


def chart_specs(at: AppTest) -> list[dict]:
    """The Plotly charts' specs, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def data_array(data) -> np.ndarray:
    """A data array of a figure dict as floats: a list (nested for a heatmap's z; None as NaN), or Plotly's encoding of
    a NumPy array ({"dtype", "bdata"} in base64, and a "shape" for more than one dimension)."""
    if isinstance(data, dict):
        shape = tuple(int(v) for v in str(data.get("shape", "")).split(",") if v.strip())
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).reshape(shape or -1).astype(float)
    return np.array(data, dtype=float)


def diagrams_html(at) -> list[str]:
    """The diagrams the page (an AppTest) or one of its blocks shows (pages/ui/svg_figure.py), as the HTML sent to
    the browser, in page order."""
    return [m.value for m in at.markdown if m.value.startswith('<div class="bp-diagram"')]


def gradient_table(at: AppTest) -> list[list[str]]:
    """The rows of the gradient check's table (pages/ui/gradcheck.py), each its cells' text; the last, the verdict."""
    from pages.ui.i18n import t

    (body,) = [h.proto.body for h in at.get("html") if 'class="bp-gradcheck"' in h.proto.body]
    head, rows = body.split("</thead>")
    assert re.findall(r"<th>(.*?)</th>", head)[-1] == t("gradcheck.verdict")
    return [re.findall(r"<td>(.*?)</td>", row) for row in rows.split("</tr>") if "<td>" in row]


def bare(latex: str) -> str:
    """st.latex's body without the $$ ... $$ that AppTest reports around it."""
    return latex.strip().removeprefix("$$").removesuffix("$$").strip()


def shown_latex(at: AppTest) -> list[str]:
    return [bare(element.value) for element in at.latex]


def walk_both_ways(at: AppTest, code: str, steps, shown_value) -> None:
    """Next from step 1 to the last, then Previous back: at each step the counter, the value shown (read by
    `shown_value(at)`) and the step's formula are those of `steps`, computed by the test from bp_core."""
    from bp_core.step import value_latex
    from pages.ui.i18n import t

    n = len(steps)
    for k, step in enumerate(steps, start=1):
        assert counter(at) == f"**{t('steps.counter', k=k, n=n)}**"
        assert shown_value(at) == value_latex(step.value), step.name
        assert step.formula in shown_latex(at), step.name
        if k < n:
            at.button(key=f"{code}-next").click().run()
    assert at.button(key=f"{code}-next").disabled
    for k in range(n, 0, -1):
        assert counter(at) == f"**{t('steps.counter', k=k, n=n)}**"
        assert shown_value(at) == value_latex(steps[k - 1].value)
        if k > 1:
            at.button(key=f"{code}-previous").click().run()
    assert at.button(key=f"{code}-previous").disabled

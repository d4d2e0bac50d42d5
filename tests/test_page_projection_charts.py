"""Projection mode's charts: Plotly sizes text in pixels, which the stylesheet cannot enlarge, so the pages
build their charts for the projector (pages/ui/classroom.py chart_scale, pages/ui/plot_text.py enlarge, and the
diagrams' projected layouts).

Under AppTest, each lesson's charts at its first, a middle and its last step, as Streamlit sends them (and the
diagrams' figures, as pages/ui/svg_figure.py draws them): with
?present=true every chart's text is larger than in normal mode; and in the diagrams, laid out for the picture's
column on a 1280-pixel projector (classroom.PICTURE_WIDTH), every label's box holds its text at the size it is drawn,
and no two boxes, nor a box and a node's circle, overlap or leave the picture: worked out in pixels from the figure's
axes, margins and shapes. tests/test_browser_classroom.py measures the same in a real browser."""
from __future__ import annotations

import statistics

import plotly.graph_objects as go
import pytest
from lesson_app import chart_specs, drawn_diagrams, open_lesson

from pages.ui.classroom import CHART_SCALE, PICTURE_WIDTH
from pages.ui.plot_text import THEME, enlarge, text_size

# (page, the link's parameters): every lesson, the graph lesson's second example, and a deep network small enough to
# be labelled in projection mode
PAGES = [
    ("pages/chain_rule_graph.py", {}),
    ("pages/chain_rule_graph.py", {"cg-example": "shared_input"}),
    ("pages/single_node_chain.py", {}),
    ("pages/matrix_network.py", {}),
    ("pages/softmax_jacobian.py", {}),
    ("pages/deep_networks.py", {}),
    ("pages/deep_networks.py", {"dn-depth": "1", "dn-width": "1"}),
    ("pages/training.py", {}),
]
# the least a chart's text grows in projection mode (its median size; the chain's labels, 15 px in normal mode,
# grow least: to 17 px, as much as the picture's width allows)
GROWN = 1.1
IDS = [page.split("/")[-1][:-3] + "".join(f"-{v}" for v in query.values()) for page, query in PAGES]


def charts_by_step(page: str, query: dict, projected: bool) -> dict[int, list[dict]]:
    """The figure of every diagram the page draws (pages/ui/svg_figure.py), then every chart spec it sends, at its
    first, a middle and its last step."""
    at = open_lesson(page, **query, **({"present": "true"} if projected else {}))
    box = next(n for n in at.number_input if str(n.key).endswith("-step"))
    last = int(box.max)
    specs = {}
    for k in sorted({1, (last + 1) // 2, last}):
        with drawn_diagrams() as diagrams:
            at.number_input(key=box.key).set_value(k).run()
        assert not at.exception, at.exception
        specs[k] = diagrams + chart_specs(at)
    return specs


def text_sizes(spec: dict) -> list[float]:
    """The size of every text a chart draws, in pixels; the theme's where the chart leaves it unset."""
    layout = spec["layout"]
    sizes = []

    def add(font: dict | None, default: float | None = THEME["text"]) -> None:
        size = (font or {}).get("size", default)
        if size is not None:
            sizes.extend(size if isinstance(size, list) else [size])

    add(layout.get("title", {}).get("font"), THEME["title"] if layout.get("title", {}).get("text") else None)
    if layout.get("showlegend", True) and any(trace.get("name") for trace in spec["data"]):
        add(layout.get("legend", {}).get("font"))
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and axis.get("visible", True):
            add(axis.get("tickfont"))
            if axis.get("title", {}).get("text"):
                add(axis["title"].get("font"), THEME["axis_title"])
    for note in layout.get("annotations", []):
        add(note.get("font"))
    for trace in spec["data"]:
        if trace.get("text") is not None or trace.get("texttemplate"):
            add(trace.get("textfont"))
    return sizes


@pytest.mark.parametrize("page, query", PAGES, ids=IDS)
def test_projection_mode_draws_every_chart_s_text_larger(page, query, through_app):
    normal = charts_by_step(page, query, False)
    projected = charts_by_step(page, query, True)
    for k in normal:
        assert len(projected[k]) == len(normal[k]), k
        for before, after in zip(normal[k], projected[k]):
            small, large = text_sizes(before), text_sizes(after)
            title = after["layout"].get("title", {}).get("text")
            assert min(large) >= min(small), (k, title)
            assert statistics.median(large) >= GROWN * statistics.median(small), (k, title, small, large)


# -- the diagrams' geometry, in pixels -----------------------------------------------------------------------------
def pixels(spec: dict):
    """A function from data coordinates to pixels in the plot area, and the plot area's width and height, for the
    figure drawn PICTURE_WIDTH pixels wide (the picture's column in projection mode)."""
    layout = spec["layout"]
    margin = layout["margin"]
    width = PICTURE_WIDTH - margin["l"] - margin["r"]
    height = layout["height"] - margin["t"] - margin["b"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
    return (lambda x, y: ((x - x0) / (x1 - x0) * width, (y - y0) / (y1 - y0) * height)), width, height


def boxes_of(spec: dict) -> list[tuple[float, float, float, float]]:
    """The boxes behind the labels (shapes sized in pixels about a data point) as (left, bottom, right, top)."""
    to_px, _, _ = pixels(spec)
    boxes = []
    for shape in spec["layout"].get("shapes", []):
        if shape.get("xsizemode") == "pixel":
            x, y = to_px(shape["xanchor"], shape["yanchor"])
            boxes.append((x + shape["x0"], y + shape["y0"], x + shape["x1"], y + shape["y1"]))
    return boxes


def circles_of(spec: dict) -> list[tuple[float, float, float]]:
    """The nodes' circles (a trace of markers with their names in them) as (x, y, radius) in pixels."""
    to_px, _, _ = pixels(spec)
    return [(*to_px(x, y), size / 2) for trace in spec["data"] if trace.get("mode") == "markers+text"
            for x, y, size in zip(trace["x"], trace["y"], trace["marker"]["size"])]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def touches(circle, box) -> bool:
    x, y, r = circle
    dx = max(box[0] - x, 0, x - box[2])
    dy = max(box[1] - y, 0, y - box[3])
    return dx * dx + dy * dy < r * r


def check_layout(spec: dict) -> None:
    """Each text of a text trace has a box at its point that holds it at its size; no two boxes overlap, nor a box
    and a circle; every box and circle lies in the picture."""
    to_px, width, height = pixels(spec)
    boxes, circles = boxes_of(spec), circles_of(spec)
    for trace in spec["data"]:
        if trace.get("mode") != "text":
            continue
        sizes = trace["textfont"]["size"]
        for n, (x, y, text) in enumerate(zip(trace["x"], trace["y"], trace["text"])):
            size = sizes[n] if isinstance(sizes, list) else sizes
            w, h = text_size(text, size)
            px, py = to_px(x, y)
            assert any(b[0] <= px - w / 2 + 0.01 and px + w / 2 <= b[2] + 0.01 and b[1] <= py - h / 2 + 0.01
                       and py + h / 2 <= b[3] + 0.01 for b in boxes), f"no box holds {text!r} at {size} px"
    for i, a in enumerate(boxes):
        assert a[0] >= -0.01 and a[1] >= -0.01 and a[2] <= width + 0.01 and a[3] <= height + 0.01, a
        for b in boxes[i + 1:]:
            assert not overlap(a, b), (a, b)
        for c in circles:
            assert not touches(c, a), (c, a)
    for i, (x, y, r) in enumerate(circles):
        assert r <= x <= width - r and r <= y <= height - r
        for x2, y2, r2 in circles[i + 1:]:
            assert (x - x2) ** 2 + (y - y2) ** 2 >= (r + r2) ** 2


DIAGRAMS = [(page, query) for page, query in PAGES if page not in ("pages/softmax_jacobian.py", "pages/training.py")
            and (page, query) != ("pages/deep_networks.py", {})]   # (charts with axes only, and the compact picture)


@pytest.mark.parametrize("page, query", DIAGRAMS, ids=[IDS[PAGES.index(p)] for p in DIAGRAMS])
def test_projected_diagrams_fit_their_labels_without_overlaps(page, query, through_app):
    """The diagrams (the ones drawn from shapes: no axes) at the projector's picture width, with text larger than in
    normal mode."""
    for k, specs in charts_by_step(page, query, True).items():
        diagrams = [spec for spec in specs if not spec["layout"]["xaxis"].get("visible", True)]
        assert diagrams, k
        for spec in diagrams:
            check_layout(spec)


def test_a_graph_too_wide_for_the_picture_column_keeps_its_normal_layout(through_app):
    """The sigmoid neuron's eight columns leave no room for larger labels in half a 1280-pixel screen: it is drawn
    as in normal mode."""
    query = {"cg-example": "sigmoid_neuron"}
    normal = charts_by_step("pages/chain_rule_graph.py", query, False)
    assert charts_by_step("pages/chain_rule_graph.py", query, True) == normal


def test_a_deep_network_too_large_to_label_on_the_projector_gets_the_compact_picture(through_app):
    """The default deep network (2-3-3-3-2) is labelled in normal mode, its labels too many for the picture column
    of projection mode: there it is the compact picture, units as dots, with larger text."""
    normal = charts_by_step("pages/deep_networks.py", {}, False)[1][0]
    projected = charts_by_step("pages/deep_networks.py", {}, True)[1][0]
    assert any(d.get("meta") == "unit labels" for d in normal["data"])
    assert not any(d.get("meta") == "unit labels" for d in projected["data"])
    assert projected["layout"]["xaxis"]["tickfont"]["size"] == THEME["text"] * CHART_SCALE


# -- enlarge, on a figure of its own -------------------------------------------------------------------------------
def test_enlarge_scales_every_text_from_the_figure_s_size_or_the_theme_s():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4], text=["a", "b"], textfont=dict(size=16), name="bars"))
    fig.update_layout(title=dict(text="A title", font=dict(size=15)), height=300, margin=dict(t=40),
                      xaxis=dict(title=dict(text="x")), legend=dict(orientation="h", y=-0.2))
    fig.add_annotation(text="note", x=1, y=1)
    enlarge(fig, 1.5)
    layout = fig.layout
    assert layout.title.font.size == 22.5 and fig.data[0].textfont.size == 24
    assert layout.xaxis.tickfont.size == 18 and layout.xaxis.title.font.size == 21 and layout.yaxis.tickfont.size == 18
    assert layout.legend.font.size == 18 and layout.annotations[0].font.size == 18
    assert layout.margin.t == 60 and layout.height == 320       # the title's margin grows with it, the plot keeps its
    assert (layout.legend.yref, layout.legend.y, layout.legend.yanchor) == ("container", 0, "bottom")
    go.Figure(fig.to_dict())                                     # still a valid figure


def test_enlarge_by_one_changes_nothing():
    fig = go.Figure(go.Scatter(x=[1], y=[2]), layout=dict(title=dict(text="t"), height=200))
    before = fig.to_dict()
    assert enlarge(fig, 1.0).to_dict() == before

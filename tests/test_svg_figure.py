"""pages/ui/svg_figure.py draws the diagrams' figure dicts as inline SVG, with Plotly's meaning: positions worked out
here by hand from a figure's margins and axis ranges, text and shapes checked element by element."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from pages.ui import colors
from pages.ui.plot_text import path, text_box, text_size
from pages.ui.svg_figure import to_html

SVG = "{http://www.w3.org/2000/svg}"
# 300 px high with margins t 40 and b 60: a plot area 200 px high; x from 0 to 4, y from -1 to 1
LAYOUT = dict(height=300, margin=dict(l=10, r=30, t=40, b=60, autoexpand=False),
              xaxis=dict(visible=False, range=[0, 4]), yaxis=dict(visible=False, range=[-1, 1]), showlegend=False)


def drawn(data=(), **layout) -> ET.Element:
    """The diagram's element tree (the HTML is well-formed XML)."""
    return ET.fromstring(to_html({"data": list(data), "layout": {**LAYOUT, **layout}}))


def svg(root: ET.Element) -> ET.Element:
    return root.find(f"{SVG}svg")


def test_the_block_has_the_figure_s_height_and_the_plot_area_sits_between_the_margins():
    root = drawn()
    assert "height:300px" in root.get("style")
    style = svg(root).get("style")
    assert "left:10px" in style and "top:40px" in style
    assert "width:calc(100% - 40px)" in style and "height:200px" in style


def test_a_rect_sized_in_pixels_is_centred_on_its_data_point():
    # text_box: "ab" at 10 px is 2 * 0.55 em = 11 px wide and 13 px high; with 2 px padding 15 x 17
    box = text_box(2, 0.5, "ab", 10, 2, "white", "#123456", 1.5)
    rect = svg(drawn(shapes=[box])).find(f"{SVG}rect")
    # x = 2 of 0..4 is half the width; y = 0.5 of -1..1 is a quarter of 200 px from the top, then half the box up
    assert rect.get("x") == "50%"
    assert float(rect.get("width")) == pytest.approx(box["x1"] - box["x0"])
    assert float(rect.get("height")) == pytest.approx(box["y1"] - box["y0"])
    assert float(rect.get("y")) == pytest.approx(50 - box["y1"], abs=0.01)
    assert float(rect.get("transform").removeprefix("translate(").split()[0]) == pytest.approx(box["x0"], abs=0.01)
    assert (rect.get("fill"), rect.get("stroke"), rect.get("stroke-width")) == ("white", "#123456", "1.5")


def test_a_path_of_segments_becomes_lines_from_percentages_and_pixels():
    shape = dict(type="path", path=path([0, 4, None, 1, 3, None], [1, -1, None, 0, 0, None]), layer="below",
                 line=dict(color="#F0E442", width=12))
    group = svg(drawn(shapes=[shape])).find(f"{SVG}g")
    lines = [(e.get("x1"), e.get("y1"), e.get("x2"), e.get("y2")) for e in group.findall(f"{SVG}line")]
    assert lines == [("0%", "0", "100%", "200"), ("25%", "100", "75%", "100")]
    assert (group.get("stroke"), group.get("stroke-width")) == ("#F0E442", "12")


def test_shapes_below_come_before_the_traces_and_the_rest_after():
    below = dict(type="path", path="M0,0 L1,0", layer="below", line=dict(color="#111111"))
    above = dict(type="path", path="M0,0 L1,0", line=dict(color="#222222"))
    trace = dict(type="scatter", x=[1], y=[0], mode="markers", marker=dict(size=10, color="#333333"))
    order = [e.get("stroke") or e.get("fill") for e in svg(drawn([trace], shapes=[above, below]))]
    assert order == ["#111111", "#333333", "#222222"]


def test_labels_keep_their_lines_bold_subscripts_and_coloured_spans_centred_on_their_point():
    label = "<b>w<sub>2</sub></b><br><span style='color:#D55E00;font-size:13px'>∂ &lt; 1</span>"
    trace = dict(type="scatter", x=[3], y=[-1], mode="text", text=[label], textfont=dict(size=[10], color="#222222"))
    text = svg(drawn([trace])).find(f"{SVG}text")
    assert (text.get("font-size"), text.get("fill"), text.get("text-anchor")) == ("10", "#222222", "middle")
    first, second = text.findall(f"{SVG}tspan")
    # two lines 1.3 em apart, centred on y = 200 (the bottom of the range): their middles at 193.5 and 206.5, their
    # baselines 0.35 em lower, as Plotly draws them
    assert (first.get("x"), first.get("y"), second.get("y")) == ("75%", "197", "210")
    bold = first.find(f"{SVG}tspan")
    assert bold.get("font-weight") == "bold" and bold.text == "w"
    # the subscript as Plotly shifts it: 0.3 em of its smaller text down, then 0.21 em of the line's back up
    sub, back = bold.findall(f"{SVG}tspan")
    assert (sub.get("dy"), sub.get("font-size"), sub.text) == ("0.3em", "70%", "2")
    assert (back.get("dy"), back.text) == ("-0.21em", "\u200b")
    span = second.find(f"{SVG}tspan")
    assert (span.get("fill"), span.get("font-size"), span.text) == ("#D55E00", "13", "∂ &lt; 1")


def test_markers_circles_squares_open_symbols_and_tooltips():
    trace = dict(type="scatter", x=[0, 4, None], y=[0, 1, None], mode="markers", hoverinfo="text",
                 hovertext=["a<br>b", "c", "d"],
                 marker=dict(size=[10, 20, 5], color=["white", "#E3EFF8", "red"], symbol="circle",
                             line=dict(color=["#0072B2", "#D55E00", "red"], width=2.5)))
    circles = svg(drawn([trace])).findall(f"{SVG}circle")
    assert [(c.get("cx"), c.get("cy"), c.get("r"), c.get("fill"), c.get("stroke")) for c in circles] == [
        ("0%", "100", "5", "white", "#0072B2"), ("100%", "0", "10", "#E3EFF8", "#D55E00")]   # the None point: none
    assert circles[0].find(f"{SVG}title").text == "a\nb"
    square = dict(type="scatter", x=[2], y=[0], mode="markers",
                  marker=dict(size=18, symbol="square-open", color="#C8C8C8", line=dict(width=2)))
    rect = svg(drawn([square])).find(f"{SVG}rect")
    assert (rect.get("x"), rect.get("y"), rect.get("width"), rect.get("fill"), rect.get("stroke")) == (
        "50%", "91", "18", "none", "#C8C8C8")


def test_arrowheads_point_along_their_segment_and_stand_off_from_the_point():
    trace = dict(type="scatter", x=[0, 4, None], y=[0, 0, None], mode="markers",
                 marker=dict(symbol="arrow", angleref="previous", size=[0, 13, 0], standoff=[0, 21, 0],
                             color=colors.INK))
    root = svg(drawn([trace]))
    marker = root.find(f"{SVG}defs/{SVG}marker")
    assert marker.get("orient") == "auto" and marker.get("markerUnits") == "userSpaceOnUse"
    # the tip 21 px before the line's end, 13 px long
    assert marker.find(f"{SVG}path").get("d").startswith("M-21,0 L-34,")
    line = root.find(f"{SVG}g/{SVG}line")
    assert (line.get("x1"), line.get("x2"), line.get("marker-end")) == ("0%", "100%", f"url(#{marker.get('id')})")
    assert line.get("stroke") is None      # only the head is drawn; the edge itself is a shape


def test_title_and_legend_are_html_with_their_sizes():
    legend_trace = dict(type="scatter", x=[None], y=[None], mode="markers", name="gradient (∂)",
                        marker=dict(color=colors.GRADIENT, symbol="square", size=12))
    root = drawn([legend_trace], showlegend=True, title=dict(text="The <b>net</b><br>work", font=dict(size=15)),
                 legend=dict(font=dict(size=12)))
    title, legend = root.findall("div")
    assert "font-size:15px" in title.get("style") and title.find("b").text == "net" and title.find("br") is not None
    assert (root.get("role"), root.get("aria-label")) == ("img", "The net work")   # its name for a screen reader
    assert "font-size:12px" in legend.get("style") and "".join(legend.itertext()) == "gradient (∂)"
    assert "background:#D55E00" in legend.find("span/span").get("style")


def test_text_that_sets_no_size_takes_the_figure_s_font_size():
    trace = dict(type="scatter", x=[1], y=[0], mode="markers+text", text=["L = 0.2"], textposition="bottom center",
                 marker=dict(size=18, symbol="square"))
    text = svg(drawn([trace], font=dict(size=18))).find(f"{SVG}text")
    # under the 18 px marker: its first line's middle half a line below the marker's edge and a 2 px gap, its
    # baseline 0.35 em under the middle
    assert text.get("font-size") == "18" and float(text.find(f"{SVG}tspan").get("y")) == pytest.approx(
        100 + 9 + 2 + 1.3 * 18 / 2 + 0.35 * 18, abs=0.01)


def test_an_x_axis_with_tick_labels_draws_them_under_the_plot_area():
    root = drawn(xaxis=dict(range=[0, 4], tickvals=[0, 2], ticktext=["layer 0", "L"], tickfont=dict(size=18)))
    texts = svg(root).findall(f"{SVG}text")
    assert [(t.find(f"{SVG}tspan").get("x"), t.find(f"{SVG}tspan").text, t.get("font-size")) for t in texts] == [
        ("0%", "layer 0", "18"), ("50%", "L", "18")]
    assert all(float(t.find(f"{SVG}tspan").get("y")) > 200 for t in texts)


HEAT = dict(type="heatmap", x=[0, 1], y=[0, 1], z=[[0, 1], [1, 0]], zmin=0, zmax=1,
            colorscale=[[0, "#000000"], [1, "#FFFFFF"]], showscale=False)


@pytest.mark.parametrize("part", [
    dict(data=[dict(HEAT, colorscale="PiYG")]),                                    # a named scale
    dict(data=[dict(HEAT, x=[0, 1, 3], z=[[0, 1, 0], [1, 0, 1]])]),               # uneven cells
    dict(data=[dict(HEAT, zmin=None)]),
    dict(data=[dict(type="scatter", x=[1], y=[1], mode="lines+none")]),
    dict(data=[dict(type="scatter", x=[1], y=[1], mode="markers", marker=dict(symbol="star"))]),
    dict(data=[dict(type="scatter", x=[1], y=[1], mode="text", text=["<i>x</i>"])]),
    dict(data=[dict(type="scatter", x=[1], y=[1], mode="text", text=["x"], textposition="top left")]),
    dict(layout=dict(annotations=[dict(text="a note", x=1, y=1)])),
    dict(layout=dict(shapes=[dict(type="circle", x0=0, x1=1, y0=0, y1=1)])),
    dict(layout=dict(shapes=[dict(type="path", path="M0,0 L1,0 L2,1")])),          # a polyline
    dict(layout=dict(shapes=[dict(type="path", path="M0,0 Q1,1 2,2")])),           # a curve
    dict(layout=dict(shapes=[dict(type="path", path="M0,0 L1,0", xref="paper")])),
    dict(layout=dict(shapes=[dict(type="path", path="M0,0 L1,0", layer="between")])),
    dict(layout=dict(shapes=[dict(type="path", path="M0,0 L1,0", line=dict(dash="longdash"))])),
    dict(layout=dict(xaxis=dict(type="log", range=[0, 1]))),                       # only y may be log
    dict(layout=dict(yaxis=dict(type="date", range=[0, 1]))),
    dict(layout=dict(xaxis=dict(visible=False, range=[1, 1]))),                    # an empty range
    dict(layout=dict(xaxis=dict(visible=False))),                                  # no range
    dict(data=[dict(type="scatter", x=[1], y=[1])]),                               # no mode: Plotly's depends
    dict(data=[dict(type="scatter", x=[1], y=[1], mode="markers", visible=False)]),
    dict(data=[dict(type="scatter", x=[0, 1], y=[0, 1], mode="markers", marker=dict(symbol="arrow"))]),
])
def test_what_a_diagram_cannot_draw_is_an_error_not_a_missing_part(part):
    with pytest.raises(ValueError, match="unsupported"):
        to_html({"data": part.get("data", []), "layout": {**LAYOUT, **part.get("layout", {})}})


@pytest.mark.parametrize("label", [
    '<img src=x onerror="alert(1)">', "<script>alert(1)</script>", "<span style='color:red' onclick='x'>a</span>",
    # every end tag must close the tag last opened
    "<b>x</sub>", "a</b>", "<sub>1", "<span style='color:red'>x",
])
def test_a_label_with_any_other_or_unbalanced_markup_is_refused(label):
    trace = dict(type="scatter", x=[1], y=[0], mode="text", text=[label])
    with pytest.raises(ValueError, match="unsupported"):
        to_html({"data": [trace], "layout": LAYOUT})
    with pytest.raises(ValueError, match="unsupported"):
        to_html({"data": [], "layout": {**LAYOUT, "title": dict(text=label)}})


def test_text_is_escaped_and_a_colour_must_be_a_colour():
    trace = dict(type="scatter", x=[1], y=[0], mode="text", text=['a & b "c"\nd'])
    out = to_html({"data": [trace], "layout": {**LAYOUT, "title": dict(text="x & y")}})
    assert "a &amp; b \"c\" d" in out and "x &amp; y" in out     # a newline is a space, as in Plotly
    ET.fromstring(out)   # still one well-formed element
    for where in ("textfont", "marker"):
        bad = dict(trace, mode="markers+text", **{where: dict(color='red" onmouseover="x')})
        with pytest.raises(ValueError, match="colour"):
            to_html({"data": [bad], "layout": LAYOUT})
    legend = dict(type="scatter", x=[None], y=[None], mode="markers", name="n",
                  marker=dict(color='red;"><img src=x onerror=alert(1)>'))
    with pytest.raises(ValueError, match="colour"):
        to_html({"data": [legend], "layout": {**LAYOUT, "showlegend": True}})


def test_dashes_and_open_markers_as_plotly_draws_them():
    # drawing.dashStyle: "dot" is max(width, 3) on and off, "dash" three times that
    dotted = dict(type="path", path="M0,0 L1,0", line=dict(color="#C8C8C8", width=2, dash="dot"))
    dashed = dict(type="path", path="M0,0 L1,0", line=dict(color="#C8C8C8", width=4, dash="dash"))
    groups = svg(drawn(shapes=[dotted, dashed])).findall(f"{SVG}g")
    assert [g.get("stroke-dasharray") for g in groups] == ["3 3", "12 12"]
    # an open marker keeps a 1 px outline in its colour when its line sets no width
    ring = dict(type="scatter", x=[1], y=[0], mode="markers", marker=dict(size=10, symbol="circle-open", color="red"))
    circle = svg(drawn([ring])).find(f"{SVG}circle")
    assert (circle.get("fill"), circle.get("stroke"), circle.get("stroke-width")) == ("none", "red", "1")


def test_tooltips_keep_lines_and_write_indices_as_unicode():
    dot = dict(type="scatter", x=[1], y=[0], mode="markers", hoverinfo="text", marker=dict(size=6, opacity=0),
               hovertext=["w<sup>(0)</sup><sub>12</sub> = 0.5<br>∂L/∂w = 2.5e−8"])
    circle = svg(drawn([dot])).find(f"{SVG}circle")
    assert circle.find(f"{SVG}title").text == "w⁽⁰⁾₁₂ = 0.5\n∂L/∂w = 2.5e−8"
    assert float(circle.get("r")) == 10      # an invisible dot that only carries a tooltip is easier to point at


# -- charts with axes ----------------------------------------------------------------------------------------------
# the same 200 px plot area, its y axis shown: a chart
CHART = dict({k: v for k, v in LAYOUT.items() if k != "showlegend"}, yaxis=dict(range=[-1, 1]),
             xaxis=dict(range=[0, 4]))


def chart(data=(), **layout) -> ET.Element:
    return ET.fromstring(to_html({"data": list(data), "layout": {**CHART, **layout}}))


def test_automatic_ticks_are_plotly_s_steps_of_one_two_or_five():
    # y: 200 px / 40 px = 5, so 6 intervals over a range of 2: a rough step of 0.333, its power of ten 0.1, rounded up
    # past 3.33 to 5: 0.5, from -1 to 1. x: the nominal 640 px / 80 px = 8, so 9 intervals over 4: rough 0.444, base
    # 0.1, up past 4.44 to 5: 0.5 as well, from 0 to 4
    root = chart()
    labels = [t for t in svg(root).iter(f"{SVG}text") if t.get("class") == "bp-tick"]
    left = ["".join(t.itertext()) for t in labels if t.get("text-anchor") == "end"]
    assert left == ["\u22121", "\u22120.5", "0", "0.5", "1"]   # Plotly's minus sign, no "-0", no "1.0"
    bottom = [(t.find(f"{SVG}tspan").get("x"), "".join(t.itertext())) for t in labels
              if t.get("text-anchor") == "middle"]
    assert bottom == [(f"{12.5 * i:g}%", f"{0.5 * i:g}") for i in range(9)]


def test_tick_labels_grid_and_zero_line_sit_where_their_values_are():
    root = chart(yaxis=dict(range=[-1, 1], tickvals=[-1, 0, 0.5], ticktext=["a", "b", "c"], gridcolor="#ABCDEF"),
                 xaxis=dict(range=[0, 4], tickvals=[1, 3], showgrid=False, zeroline=False))
    plot = svg(root)
    grid = next(g for g in plot.findall(f"{SVG}g") if g.get("stroke") == "#ABCDEF")
    # y = -1 at the bottom (200 px), 0 in the middle, 0.5 a quarter of the way down
    assert [(line.get("y1"), line.get("x1"), line.get("x2")) for line in grid] == [
        ("200", "0%", "100%"), ("100", "0%", "100%"), ("50", "0%", "100%")]
    # the zero line: y's range holds 0; it takes the grid's colour unless given its own
    zero = [e for e in plot.findall(f"{SVG}line") if e.get("y1") == e.get("y2") == "100"]
    assert zero and zero[0].get("stroke") == "#ABCDEF"
    labels = [t for t in plot.iter(f"{SVG}text") if t.get("class") == "bp-tick"]
    left = [t for t in labels if t.get("text-anchor") == "end"]
    assert ["".join(t.itertext()) for t in left] == ["a", "b", "c"]
    assert all(t.get("transform") == "translate(-6 0)" for t in left)   # 6 px left of the plot area
    bottom = [t.find(f"{SVG}tspan").get("x") for t in labels if t.get("text-anchor") == "middle"]
    assert bottom == ["25%", "75%"]
    # no vertical grid lines (showgrid off) and no x zero line (turned off)
    assert not [e for e in plot.iter(f"{SVG}line") if e.get("x1") == e.get("x2") and e.get("y1") == "0"]


def test_axis_titles_below_the_ticks_and_turned_up_the_left_side():
    root = chart(xaxis=dict(range=[0, 4], tickvals=[], title=dict(text="weight w<sub>3</sub>", font=dict(size=14))),
                 yaxis=dict(range=[-1, 1], tickvals=[0], ticktext=["0"], title=dict(text="loss L")))
    x_title, y_title = [t for t in svg(root).iter(f"{SVG}text") if t.get("class") == "bp-axis-title"]
    # x: centred under the plot area, below the tick labels' line (6 px gap, 1.3 x 12 px) and a 6 px gap, its
    # middle half a 14 px line further down; its baseline 0.35 em below that
    tspan = x_title.find(f"{SVG}tspan")
    assert tspan.get("x") == "50%"
    assert float(tspan.get("y")) == pytest.approx(200 + 6 + 1.3 * 12 + 6 + 1.3 * 14 / 2 + 0.35 * 14, abs=0.01)
    # y: turned a quarter left about a point half way down, left of the widest tick label (plot_text's estimate)
    reach = 6 + text_size("0", 12)[0] + 6 + 1.3 * 14 / 2
    assert y_title.get("transform") == f"translate(-{reach:.2f}".rstrip("0").rstrip(".") + " 100) rotate(-90)"
    assert "".join(y_title.itertext()) == "loss L" and y_title.get("font-size") == "14"


def test_a_log_axis_places_powers_of_ten_and_labels_them_as_powers():
    # range 10^-3 .. 10^1 over 200 px: 10^-2 a quarter of the way up from the bottom... each decade 50 px
    root = chart(yaxis=dict(type="log", range=[-3, 1]),
                 data=[dict(type="scatter", mode="markers", x=[1, 2, 3], y=[0.01, 0, None], marker=dict(size=4))])
    (circle,) = svg(root).iter(f"{SVG}circle")   # a zero and a None cannot be shown on a log axis: left out
    assert circle.get("cy") == "150"
    ticks = {"".join(t.itertext()).replace("\u200b", ""): t.find(f"{SVG}tspan").get("y")
             for t in svg(root).iter(f"{SVG}text")
             if t.get("class") == "bp-tick" and t.get("text-anchor") == "end"}
    assert list(ticks) == ["10\u22123", "10\u22122", "10\u22121", "1", "101"]   # 10<sup>k</sup>, as Plotly's "power"
    assert float(ticks["1"]) == pytest.approx(50 + 0.35 * 12, abs=0.01)   # 10^0: 50 px from the top


def test_a_line_of_many_points_is_one_path_so_its_dashes_run_on():
    trace = dict(type="scatter", mode="lines", x=[0, 2, 4, None, 1, 3], y=[-1, 1, -1, None, 0, 0],
                 line=dict(color="#0072B2", width=2, dash="dash"))
    group = svg(chart([trace])).find(f"{SVG}svg/{SVG}g")
    assert (group.get("stroke"), group.get("stroke-dasharray")) == ("#0072B2", "9 9")
    # three points: a path in units of percent across and pixels down, stretched to the plot area, its stroke in
    # screen pixels; two points: a line
    box = group.find(f"{SVG}svg")
    assert (box.get("viewBox"), box.get("preserveAspectRatio")) == ("0 0 100 200", "none")
    path = box.find(f"{SVG}path")
    assert path.get("d") == "M0,200L50,0L100,200" and path.get("vector-effect") == "non-scaling-stroke"
    line = group.find(f"{SVG}line")
    assert (line.get("x1"), line.get("y1"), line.get("x2"), line.get("y2")) == ("25%", "100", "75%", "100")


def test_a_chart_cuts_off_what_lies_beyond_its_ranges():
    trace = dict(type="scatter", mode="lines", x=[0, 4], y=[-5, 5])
    data_layer = svg(chart([trace])).find(f"{SVG}svg")
    assert (data_layer.get("width"), data_layer.get("height"), data_layer.get("overflow")) == ("100%", "200", "hidden")
    assert data_layer.find(f"{SVG}g/{SVG}line") is not None


def test_non_finite_points_are_left_out_as_plotly_leaves_them():
    trace = dict(type="scatter", mode="lines+markers", x=[0, 1, 2, 3], y=[0, float("inf"), 0.5, float("nan")])
    plot = svg(chart([trace]))
    assert len(list(plot.iter(f"{SVG}circle"))) == 2
    assert "nan" not in to_html({"data": [trace], "layout": CHART}) and "inf" not in to_html(
        {"data": [trace], "layout": CHART})


def test_marker_symbols_are_plotly_s_outlines():
    trace = dict(type="scatter", mode="markers", x=[1, 2, 3], y=[0, 0, 0], marker=dict(
        size=10, symbol="diamond", color="#009E73"))
    (place,) = [e for e in svg(chart([trace])).iter(f"{SVG}svg") if e.get("x") == "25%"]
    # diamond: 1.3 x the radius (5) to each corner
    assert place.get("y") == "100" and place.find(f"{SVG}path").get("d") == "M6.5,0L0,6.5L-6.5,0L0,-6.5Z"
    triangle = dict(trace, marker=dict(size=10, symbol="triangle-up"))
    d = next(e for e in svg(chart([triangle])).iter(f"{SVG}path")).get("d")
    assert d == "M-5.77,2.5H5.77L0,-5Z"   # 2r/sqrt(3), r/2 and r, as Plotly's
    cross = dict(trace, marker=dict(size=10, symbol="x"))
    d = next(e for e in svg(chart([cross])).iter(f"{SVG}path")).get("d")
    assert d.startswith("M0,2.83L2.83,5.66L5.66,2.83L2.83,0")   # steps of 0.8 r / sqrt(2) = 2.83 along diagonals


def test_numpy_arrays_as_plotly_writes_them_are_read():
    import plotly.graph_objects as go
    fig = go.Figure(go.Scatter(x=np.array([0.0, 4.0]), y=np.array([-1.0, 1.0]), mode="markers"),
                    layout=CHART)
    cxs = [(c.get("cx"), c.get("cy")) for c in svg(ET.fromstring(to_html(fig))).iter(f"{SVG}circle")]
    assert cxs == [("0%", "200"), ("100%", "0")]


def test_legend_shown_as_plotly_shows_it_with_lines_and_markers_as_drawn():
    line = dict(type="scatter", mode="lines+markers", x=[0], y=[0], name="loss", line=dict(color="#0072B2", dash="dot"))
    point = dict(type="scatter", mode="markers", x=[1], y=[0], name="step", marker=dict(symbol="diamond", size=8))
    # one trace: no legend unless asked for
    assert len(chart([line]).findall("div")) == 0
    (legend,) = chart([line, point]).findall("div")
    first, second = legend.findall("span")
    swatch = first.find("svg")
    assert swatch.find("line").get("stroke-dasharray") == "3 3" and swatch.find("line").get("stroke") == "#0072B2"
    assert swatch.find("circle").get("fill") == "#0072B2"   # a marker on a line takes the line's colour
    assert second.find("svg/svg/path").get("d").startswith("M5.2,0")   # the diamond, 1.3 x 4 px


def test_a_heatmap_is_one_image_over_its_cells_extent():
    # cells centred on x = 1, 2, 3 and y = -0.5, 0.5: the image spans x 0.5..3.5 and y -1..1
    heat = dict(type="heatmap", x=[1, 2, 3], y=[-0.5, 0.5], z=[[0, 0.5, 1], [1, None, 0]], zmin=0, zmax=1,
                colorscale=[[0, "#000000"], [1, "#FFFFFF"]], showscale=False)
    (image,) = svg(chart([heat])).iter(f"{SVG}image")
    assert (image.get("x"), image.get("y"), image.get("width"), image.get("height")) == ("12.5%", "0", "75%", "200")
    assert image.get("preserveAspectRatio") == "none" and "pixelated" in image.get("style")
    import base64
    import io

    from PIL import Image
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(image.get("href").split(",", 1)[1]))))
    # the top row of the picture is the top row of cells, y = 0.5; the empty cell is transparent
    assert pixels[0, :, 0].tolist() == [255, 0, 0] and pixels[0, 1, 3] == 0
    assert pixels[1, :, 0].tolist() == [0, 128, 255]
    assert not chart([heat]).findall("div")   # a heatmap is not in the legend


def test_a_colour_bar_sits_right_of_the_plot_with_its_scale_ticks_and_title():
    heat = dict(type="heatmap", x=[0, 4], y=[-1, 1], z=[[0, 1], [1, 0]], zmin=0, zmax=1,
                colorscale=[[0, "#F0D7E5"], [0.5, "#FFFFFF"], [1, "#B3E2D5"]],
                colorbar=dict(thickness=12, len=0.8, title=dict(text="y₁", side="right")))
    plot = svg(chart([heat], xaxis=dict(range=[-1, 5]), yaxis=dict(range=[-2, 2])))
    gradient = plot.find(f"{SVG}defs/{SVG}linearGradient")
    assert [(stop.get("offset"), stop.get("stop-color")) for stop in gradient] == [
        ("0%", "#F0D7E5"), ("50%", "#FFFFFF"), ("100%", "#B3E2D5")]
    assert (gradient.get("y1"), gradient.get("y2")) == ("1", "0")   # from zmin at the bottom to zmax at the top
    place = next(e for e in plot.findall(f"{SVG}svg") if e.get("x") == "100%")
    group = place.find(f"{SVG}g")
    assert group.get("transform") == "translate(10 0)"
    bar = group.find(f"{SVG}rect")
    # 0.8 of the 200 px plot area, centred: 160 px from 20 px down; 12 px wide
    assert (bar.get("y"), bar.get("width"), bar.get("height")) == ("20", "12", "160")
    assert bar.get("fill") == f"url(#{gradient.get('id')})"
    ticks = [(float(t.find(f"{SVG}tspan").get("y")), "".join(t.itertext())) for t in group.findall(f"{SVG}text")
             if t.get("class") == "bp-tick"]
    # 160 px / 40 px = 4, so 5 intervals over 1: rough 0.2, rounded up past 2 to 5: 0.5 (Plotly's rule)
    assert [label for _, label in ticks] == ["0", "0.5", "1"]
    assert ticks[0][0] == pytest.approx(180 + 0.35 * 12) and ticks[2][0] == pytest.approx(20 + 0.35 * 12)
    (title,) = [t for t in group.findall(f"{SVG}text") if t.get("class") == "bp-axis-title"]
    assert "".join(title.itertext()) == "y₁" and title.get("transform").endswith(" 100) rotate(-90)")


def test_y_tied_to_x_s_scale_makes_the_plot_area_as_wide_as_that_and_centres_it():
    # x spans 3, y spans 2 over 200 px: 100 px a unit, so 300 px wide; 40 px of margins
    root = chart(xaxis=dict(range=[0, 3], constrain="domain"), yaxis=dict(range=[-1, 1], scaleanchor="x"))
    style = svg(root).get("style")
    # centred in the column; in a column narrower than that, as wide as the column (x squeezed, nothing cut off)
    assert "width:min(300px, calc(100% - 40px))" in style and "left:calc(10px + max(0px, (100% - 340px) / 2))" in style
    # its x ticks counted on those 300 px: 300 / 80 = 3.75, so 4 intervals over 3: rough 0.75, up to 1
    xs = ["".join(t.itertext()) for t in svg(root).iter(f"{SVG}text")
          if t.get("class") == "bp-tick" and t.get("text-anchor") == "middle"]
    assert xs == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="unsupported"):   # Plotly would widen y's range instead: not drawn here
        chart(xaxis=dict(range=[0, 3]), yaxis=dict(range=[-1, 1], scaleanchor="x"))


def test_a_chart_s_background_is_under_its_grid_and_data():
    plot = svg(chart(plot_bgcolor="#EDEDED"))
    first = list(plot)[0]
    assert (first.tag, first.get("fill"), first.get("width"), first.get("height")) == (
        f"{SVG}rect", "#EDEDED", "100%", "200")
    assert not [e for e in svg(chart(plot_bgcolor="white")) if e.tag == f"{SVG}rect"]


def test_ticks_beyond_an_axis_s_range_are_not_drawn():
    root = chart(xaxis=dict(range=[0, 4], tickvals=[-1, 2, 5], ticktext=["out", "in", "out too"]),
                 yaxis=dict(type="log", range=[-1, 1], tickvals=[0.01, 1, 1000], ticktext=["a", "b", "c"]))
    labels = ["".join(t.itertext()) for t in svg(root).iter(f"{SVG}text") if t.get("class") == "bp-tick"]
    assert labels == ["in", "b"]


def test_a_log_axis_within_a_decade_is_ticked_at_1_2_and_5_times_its_powers_of_ten():
    # 10^-1.9 (0.0126) .. 10^-0.6 (0.251): only 0.1 is a power of ten; Plotly then ticks 0.02, 0.05, 0.1, 0.2
    root = chart(yaxis=dict(type="log", range=[-1.9, -0.6]))
    labels = ["".join(t.itertext()) for t in svg(root).iter(f"{SVG}text") if t.get("class") == "bp-tick"
              and t.get("text-anchor") == "end"]
    assert labels == ["0.02", "0.05", "0.1", "0.2"]


def test_a_legend_box_has_the_marker_s_outline_where_it_draws_one():
    pending = dict(type="scatter", mode="markers", x=[1], y=[0], name="not yet",
                   marker=dict(size=13, color="white", line=dict(color="#C8C8C8", width=2)))
    other = dict(type="scatter", mode="markers", x=[2], y=[0], name="done", marker=dict(color="#0072B2"))
    first, second = chart([pending, other]).find("div").findall("span")
    assert "border:2px solid #C8C8C8;background:white" in first.find("span").get("style")
    assert "border:2px solid #0072B2;background:#0072B2" in second.find("span").get("style")


@pytest.mark.parametrize("top, expected", [
    (2000, ["0", "0.5k", "1k", "1.5k", "2k"]),       # 200 px / 40 = 5, 6 intervals: rough 333, up to 500
    (5e16, ["0", "10P", "20P", "30P", "40P", "50P"]),   # a loss that blew up: rough 8.3e15, up to 1e16
])
def test_large_tick_values_take_plotly_s_si_prefix(top, expected):
    root = chart(yaxis=dict(range=[0, top]))
    labels = ["".join(t.itertext()) for t in svg(root).iter(f"{SVG}text") if t.get("class") == "bp-tick"
              and t.get("text-anchor") == "end"]
    assert labels == expected


def test_per_point_properties_may_be_numpy_arrays():
    trace = dict(type="scatter", mode="markers", x=[0, 4], y=[0, 0], hoverinfo="text",
                 hovertext=np.array(["first", "second"], dtype=object),
                 marker=dict(size=np.array([4, 8]), color=np.array(["#111111", "#222222"], dtype=object)))
    circles = list(svg(chart([trace])).iter(f"{SVG}circle"))
    assert [(c.get("r"), c.get("fill"), c.find(f"{SVG}title").text) for c in circles] == [
        ("2", "#111111", "first"), ("4", "#222222", "second")]

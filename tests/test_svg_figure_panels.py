"""pages/ui/svg_figure.py and svg_bars.py: bars, panels side by side, notes, rectangles in data coordinates, a
reversed y axis, an x axis on top and heatmap cells with gaps and numbers, drawn with Plotly's meaning. Positions are
worked out here by hand from the figure's margins and ranges."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from pages.ui import colors
from pages.ui.plot_text import text_size
from pages.ui.svg_figure import to_html
from pages.ui.svg_traces import hover_text

SVG = "{http://www.w3.org/2000/svg}"
# 300 px high with margins t 40 and b 60: a plot area 200 px high, 40 px of side margins; x 0..4, y -1..1
CHART = dict(height=300, margin=dict(l=10, r=30, t=40, b=60), xaxis=dict(range=[0, 4]), yaxis=dict(range=[-1, 1]),
             showlegend=False)
BARS = dict(type="bar", x=[1, 2], y=[0.5, -1], marker=dict(color="#0072B2"))


def html_of(data=(), **layout) -> str:
    return to_html({"data": list(data), "layout": {**CHART, **layout}})


def chart(data=(), **layout) -> ET.Element:
    return ET.fromstring(html_of(data, **layout))


def plot(root: ET.Element) -> ET.Element:
    return root.find(f"{SVG}svg")


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if cls in (t.get("class") or "").split()]


def test_bars_stand_on_zero_as_wide_as_plotly_makes_them():
    (group,) = [g for g in plot(chart([BARS])).iter(f"{SVG}g") if g.find(f"{SVG}rect") is not None]
    first, second = group.findall(f"{SVG}rect")
    # x values 1 apart, Plotly's gap 0.2: 0.8 wide, 20% of the 4-unit range; y 0.5 is 50 px from the top, 0 is 100
    assert (first.get("x"), first.get("width"), first.get("y"), first.get("height")) == ("15%", "20%", "50", "50")
    # a negative bar hangs from zero down to -1, the bottom of the plot area
    assert (second.get("x"), second.get("y"), second.get("height")) == ("40%", "100", "100")
    assert first.get("fill") == "#0072B2" and first.get("stroke") is None
    # the trace's width and the layout's gap are Plotly's too
    (rect, _) = [g for g in plot(chart([dict(BARS, width=0.5)])).iter(f"{SVG}rect")]
    assert (rect.get("x"), rect.get("width")) == ("18.75%", "12.5%")
    (rect, _) = [g for g in plot(chart([BARS], bargap=0.5)).iter(f"{SVG}rect")]
    assert rect.get("width") == "12.5%"


def test_a_bar_s_outline_hatching_and_tooltip():
    bars = dict(BARS, marker=dict(color="#D55E00", line=dict(color="#222222", width=2),
                                  pattern=dict(shape="/", fgcolor="white", fillmode="overlay")),
                hovertemplate="∂L/∂S_%{x} = %{y:.3f}<extra></extra>")
    svg = plot(chart([bars]))
    pattern = svg.find(f"{SVG}defs/{SVG}pattern")
    first = next(rect for rect in svg.iter(f"{SVG}rect") if rect.get("x") == "15%")
    assert first.get("fill") == f"url(#{pattern.get('id')})"
    assert (first.get("stroke"), first.get("stroke-width")) == ("#222222", "2")
    # the pattern: the bar's colour under white stripes rising to the right; as Plotly's "/" of size 8 and solidity
    # 0.3, a tile of 8 root 2 = 11.31 px and lines 0.3 x 8 = 2.4 px wide
    assert pattern.find(f"{SVG}rect").get("fill") == "#D55E00" and pattern.find(f"{SVG}path").get("stroke") == "white"
    assert pattern.get("width") == "11.31" and pattern.find(f"{SVG}path").get("stroke-width") == "2.4"
    assert pattern.find(f"{SVG}path").get("d").startswith("M0,11.31 L11.31,0")
    assert first.find(f"{SVG}title").text == "∂L/∂S_1 = 0.500"


def test_a_bar_s_number_sits_past_its_end_and_shrinks_to_its_width():
    bars = dict(BARS, text=["0.5", "-1"], textposition="outside")
    above, below = texts(chart([bars]), "bp-bar-text")
    assert (above.get("x"), above.get("y"), above.get("dominant-baseline")) == ("25%", "47", "text-after-edge")
    assert (below.get("x"), below.get("y"), below.get("dominant-baseline")) == ("50%", "203", "text-before-edge")
    # at most its own size (the figure's 12 px); less where the bar's width (20% of the plot area, the figure's width
    # less its 40 px of margins) cannot hold the widest number at that size (Plotly scales a text outside a bar by the
    # bar's width over the text's)
    factor = 0.2 / text_size("0.5", 1)[0]
    assert above.get("style") == f"font-size:min(12px, calc((100cqw - 40px) * {factor:.5g}))"
    # the figure is the size container those cqw are of
    assert "container-type:inline-size" in chart([bars]).get("style")
    # as Plotly's, cut off at the plot area's edges, unless cliponaxis is off
    clipped = plot(chart([bars])).find(f"{SVG}svg[@overflow='hidden']")
    assert len(texts(clipped, "bp-bar-text")) == 2
    free = plot(chart([dict(bars, cliponaxis=False)]))
    assert not texts(free.find(f"{SVG}svg[@overflow='hidden']"), "bp-bar-text") and len(texts(free, "bp-bar-text")) == 2
    inside = dict(BARS, text=["?", "?"], textposition="inside", insidetextanchor="middle",
                  textfont=dict(color="#888888", size=16))
    mid, _ = texts(chart([inside]), "bp-bar-text")
    # in the middle of the bar: 0 .. 0.5 is 100 .. 50 px
    assert (mid.get("y"), mid.get("dominant-baseline"), mid.get("fill")) == ("75", "central", "#888888")
    assert mid.get("style").startswith("font-size:min(16px,")


def test_uniform_text_is_one_size_and_hides_a_number_that_would_need_less_than_its_least():
    narrow = dict(BARS, text=["0.5", "-1.25"], textposition="outside")
    root = chart([narrow], uniformtext=dict(minsize=9, mode="hide"))
    # one size for every number, the widest's fit, but no less than 9 px nor more than 12
    wide = 0.2 / text_size("-1.25", 1)[0]
    numbers = texts(root, "bp-bar-text")
    assert {t.get("style") for t in numbers} == {f"font-size:clamp(9px, calc((100cqw - 40px) * {wide:.5g}), 12px)"}
    # each hidden in a figure narrower than where it fits at 9 px: 9 px over its factor, plus the 40 px of margins
    widths = [math.ceil(40 + 9 / (0.2 / text_size(text, 1)[0])) for text in ("0.5", "-1.25")]
    assert [t.get("class") for t in numbers] == [f"bp-bar-text bp-hide-under-{w}" for w in widths]
    assert root.find("style").text == " ".join(
        f"@container (max-width: {w - 0.01}px) {{ .bp-hide-under-{w} {{ display: none }} }}" for w in sorted(widths))


def test_panels_side_by_side_each_in_its_share_of_the_plot_area():
    layout = dict(xaxis=dict(range=[0, 4], domain=[0, 0.4]), xaxis2=dict(range=[0, 2], domain=[0.6, 1]),
                  yaxis2=dict(range=[0, 1], showticklabels=False))
    right = dict(type="scatter", mode="markers", x=[1], y=[0.5], xaxis="x2", yaxis="y2")
    svg = plot(chart([BARS, right], **layout))
    first, second = [p for p in svg.findall(f"{SVG}svg")]
    assert (first.get("x"), first.get("width")) == ("0%", "40%")
    assert (second.get("x"), second.get("width")) == ("60%", "40%")
    # the marker is in the second panel, half way across its range and half way up its 0..1
    (circle,) = second.iter(f"{SVG}circle")
    assert (circle.get("cx"), circle.get("cy")) == ("50%", "100")
    assert not list(first.iter(f"{SVG}circle")) and len(list(first.iter(f"{SVG}rect"))) == 2
    # the second y axis draws no tick labels; the first does
    assert not [t for t in texts(second, "bp-tick") if t.get("text-anchor") == "end"]
    assert [t for t in texts(first, "bp-tick") if t.get("text-anchor") == "end"]
    with pytest.raises(ValueError, match="unsupported"):   # a trace whose axes the layout does not have
        chart([dict(right, xaxis="x3", yaxis="y3")], **layout)
    with pytest.raises(ValueError, match="unsupported"):   # x of one panel, y of another
        chart([dict(right, yaxis="y")], **layout)


def test_rectangles_in_data_coordinates_over_the_panel_s_height_dashed_and_see_through():
    halo = dict(type="rect", x0=0.5, x1=1.5, y0=0, y1=1, xref="x", yref="y domain", fillcolor="#F0E442",
                opacity=0.55, line=dict(width=0), layer="below")
    cell = dict(type="rect", x0=2.5, x1=3.5, y0=-0.5, y1=0.5, xref="x", yref="y", fillcolor="rgba(0,0,0,0)",
                line=dict(color="#222222", width=2, dash="dot"))
    rects = list(plot(chart(shapes=[halo, cell])).iter(f"{SVG}rect"))
    band, outline = rects
    assert (band.get("x"), band.get("width"), band.get("y"), band.get("height")) == ("12.5%", "25%", "0", "200")
    assert (band.get("opacity"), band.get("stroke")) == ("0.55", None)
    assert (outline.get("x"), outline.get("y"), outline.get("height")) == ("62.5%", "50", "100")
    # dotted as Plotly dots a 2 px line: 3 px on, 3 off
    assert (outline.get("stroke"), outline.get("stroke-dasharray")) == ("#222222", "3 3")


def test_notes_sit_on_the_plot_area_by_their_anchors():
    loss = dict(xref="paper", yref="paper", x=1, y=0.97, xanchor="right", showarrow=False, text="L = 0.417",
                font=dict(size=15, color="#0072B2"), bgcolor="white", bordercolor="#0072B2", borderwidth=1.5,
                borderpad=4)
    heading = dict(xref="paper", yref="paper", x=0.2, y=1, xanchor="center", yanchor="bottom", showarrow=False,
                   text="∂L/∂S<sub>j</sub>", font=dict(size=16))
    first, second = chart(annotations=[loss, heading]).findall("div[@class='bp-note']")
    style = first.get("style")
    # x 1: the plot area's right end; y 0.97: 3% of its 200 px below its top (40 px down); "auto" above 2/3: "top"
    assert "left:calc(10px + 1 * calc(100% - 40px))" in style and "top:46px" in style
    assert "transform:translate(-100%, 0)" in style
    assert "font-size:15px" in style and "color:#0072B2" in style
    assert "padding:4px" in style and "border:1.5px solid #0072B2" in style and "background:white" in style
    assert first.text == "L = 0.417"
    assert "left:calc(10px + 0.2 * calc(100% - 40px))" in second.get("style")
    assert "top:40px" in second.get("style") and "translate(-50%, -100%)" in second.get("style")
    assert second.find("sub").text == "j"
    with pytest.raises(ValueError, match="unsupported"):   # an arrow, or a note placed in data coordinates
        chart(annotations=[dict(heading, showarrow=True)])
    with pytest.raises(ValueError, match="unsupported"):
        chart(annotations=[dict(heading, xref="x")])


def test_a_legend_at_the_plot_s_top_sits_just_above_it_on_the_right():
    traces = [dict(BARS, name="S"), dict(BARS, name="y", marker=dict(color="rgba(0,0,0,0)",
                                                                     line=dict(color="#222222", width=2)))]
    root = chart(traces, showlegend=True, barmode="overlay",
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    legend = root.findall("div")[-1]
    assert "right:30px;justify-content:flex-end;bottom:calc(100% - 40px)" in legend.get("style")
    filled, outlined = (span.find("span").get("style") for span in legend.findall("span"))
    # a bar's box is square, of its colour; an unfilled bar's is its outline
    assert "border-radius:1px" in filled and "background:#0072B2" in filled
    assert "border:2px solid #222222" in outlined and "background:rgba(0,0,0,0)" in outlined


def test_two_bar_traces_on_one_panel_only_overlaid():
    with pytest.raises(ValueError, match="unsupported"):   # Plotly's default "group" would put them side by side
        chart([BARS, BARS])
    assert len(list(plot(chart([BARS, BARS], barmode="overlay")).iter(f"{SVG}rect"))) == 4


# a 2 x 3 matrix, rows down the page as a matrix is written: y reversed (its range from 2.5 at the bottom to 0.5)
MATRIX = dict(xaxis=dict(range=[0.5, 3.5], side="top", tickvals=[1, 2, 3], title=dict(text="k")),
              yaxis=dict(range=[2.5, 0.5], tickvals=[1, 2]))
CELLS = dict(type="heatmap", x=[1, 2, 3], y=[1, 2], z=[[0.0, 0.5, 1.0], [1.0, None, 0.0]], zmin=0, zmax=1,
             colorscale=[[0, "#FFFFFF"], [1, "#5E3C99"]], showscale=False, xgap=2, ygap=2,
             text=[["0", "0.5", "1"], ["1", "x", "0"]], texttemplate="%{text}", textfont=dict(size=14))


def test_a_reversed_y_axis_puts_the_first_row_at_the_top():
    svg = plot(chart([CELLS], **MATRIX))
    image = svg.find(f"{SVG}svg/{SVG}image")
    assert (image.get("x"), image.get("y"), image.get("width"), image.get("height")) == ("0%", "0", "100%", "200")
    import base64
    import io

    import numpy as np
    from PIL import Image
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(image.get("href").split(",", 1)[1]))))
    # not flipped: the picture's top row is row 1 (white, mid purple, purple)
    assert pixels[0, :, 0].tolist() == [255, round((255 + 0x5E) / 2), 0x5E]
    ticks = {"".join(t.itertext()): float(t.find(f"{SVG}tspan").get("y")) for t in texts(svg, "bp-tick")
             if t.get("text-anchor") == "end"}
    # row 1 half a row (50 px) from the top, row 2 half a row from the bottom
    assert ticks == {"1": pytest.approx(50 + 0.35 * 12), "2": pytest.approx(150 + 0.35 * 12)}


def test_cells_have_gaps_and_their_numbers_in_a_colour_that_stands_out():
    svg = plot(chart([CELLS], **MATRIX))
    columns, rows = [g for g in svg.iter(f"{SVG}g") if g.get("stroke") == "white"]
    # the background's lines over the cells' edges, as wide as the gaps
    assert columns.get("stroke-width") == rows.get("stroke-width") == "2"
    assert [line.get("x1") for line in columns] == ["0%", "33.33%", "66.67%", "100%"]
    assert [line.get("y1") for line in rows] == ["0", "100", "200"]
    numbers = [("".join(t.itertext()), t.find(f"{SVG}tspan").get("x"), t.get("fill"), t.get("font-size"))
               for t in svg.iter(f"{SVG}text") if t.get("class") is None]
    # ink on white and on the mid purple, white on the dark purple (Plotly's rule: brightness under 128); the empty
    # cell (None) keeps its text, as Plotly's, in ink on the white background
    ink = colors.INK
    assert numbers == [("0", "16.67%", ink, "14"), ("0.5", "50%", ink, "14"), ("1", "83.33%", "white", "14"),
                       ("1", "16.67%", "white", "14"), ("x", "50%", ink, "14"), ("0", "83.33%", ink, "14")]
    first_row = [t for t in svg.iter(f"{SVG}text") if "".join(t.itertext()) == "0.5"][0]
    assert float(first_row.find(f"{SVG}tspan").get("y")) == pytest.approx(50 + 0.35 * 14)


def test_an_x_axis_on_top_has_its_labels_and_title_above_the_plot():
    svg = plot(chart([CELLS], **MATRIX))
    label = next(t for t in texts(svg, "bp-tick") if t.get("text-anchor") == "middle")
    # its middle 6 px and half a 12 px line above the plot area, its baseline 0.35 em below that
    assert float(label.find(f"{SVG}tspan").get("y")) == pytest.approx(-(6 + 1.3 * 12 / 2) + 0.35 * 12)
    (title,) = texts(svg, "bp-axis-title")
    assert float(title.find(f"{SVG}tspan").get("y")) == pytest.approx(-(6 + 1.3 * 12 + 6 + 1.3 * 14 / 2) + 0.35 * 14)


def test_hover_templates_fill_their_fields():
    assert hover_text("S_%{x} = %{y:.4g}<extra></extra>", x=2, y=0.24243297) == "S_2 = 0.2424"
    assert hover_text("y_%{x} = %{y}", x=1, y=1.0) == "y_1 = 1"
    with pytest.raises(ValueError, match="unsupported"):
        hover_text("%{z}", x=1, y=2)


@pytest.mark.parametrize("part", [
    dict(data=[dict(BARS, base=0.5)]),
    dict(data=[dict(BARS, orientation="h")]),
    dict(data=[dict(BARS, width=[0.5, 0.5])]),
    dict(data=[dict(BARS, marker=dict(color="#123456", pattern=dict(shape="x", fillmode="overlay")))]),
    dict(data=[dict(BARS, text=["a", "b"], textposition="inside")]),                  # inside at its end
    dict(data=[dict(BARS, text=["<i>a</i>", "b"], textposition="outside")]),
    dict(data=[dict(BARS, visible="legendonly")]),
    dict(data=[dict(CELLS, texttemplate="%{z:.2f}")]),
    dict(data=[dict(CELLS, zsmooth="best")]),
    dict(data=[BARS], layout=dict(uniformtext=dict(minsize=9, mode="show"))),
    dict(layout=dict(xaxis=dict(range=[0, 4], side="left"))),
    dict(layout=dict(xaxis=dict(range=[0, 4], domain=[0.5, 0.2]))),
    dict(layout=dict(yaxis=dict(range=[0, 1], domain=[0, 0.5]))),                    # panels one above another
    dict(layout=dict(shapes=[dict(type="rect", x0=0, x1=1, y0=0, y1=1, xref="x2", yref="y")])),
])
def test_what_cannot_be_drawn_is_refused(part):
    with pytest.raises(ValueError, match="unsupported"):
        html_of(part.get("data", ()), **part.get("layout", {}))


def test_bar_edge_cases_as_plotly_draws_them():
    # a 0 is a text; a bar without a place or a value is left out, with its text
    bars = dict(BARS, x=[1, 2, None, 3], y=[0.5, -1, 0.2, float("nan")], text=[0, "", "a", "b"],
                textposition="outside")
    root = chart([bars])
    assert ["".join(t.itertext()) for t in texts(root, "bp-bar-text")] == ["0"]
    assert len([r for r in plot(root).iter(f"{SVG}rect")]) == 2
    # on a reversed y axis the end of a positive bar is down the page: its text goes under it
    (below,) = texts(chart([dict(BARS, y=[0.5], x=[1], text=["t"])], yaxis=dict(range=[1, -1])), "bp-bar-text")
    assert (below.get("y"), below.get("dominant-baseline")) == ("153", "text-before-edge")   # 150 px + 3
    # text inside a bar of 0 has no room: not drawn
    inside = dict(BARS, y=[0, 0.5], text=["?", "?"], textposition="inside", insidetextanchor="middle")
    assert len(texts(chart([inside]), "bp-bar-text")) == 1
    # a newline in a text is a space (in st.markdown a blank line would end the HTML)
    (text,) = texts(chart([dict(BARS, x=[1], y=[0.5], text=["a\n\nb"])]), "bp-bar-text")
    assert text.text == "a  b"


def test_a_note_s_automatic_anchor_goes_by_the_third_of_the_plot_and_paper_is_the_whole_plot_area():
    def anchors(x: float, y: float) -> str:
        note = dict(xref="paper", yref="paper", x=x, y=y, showarrow=False, text="n")
        return chart(annotations=[note]).find("div[@class='bp-note']").get("style")
    assert "translate(0, -100%)" in anchors(0.2, 0.2)            # left third, bottom third
    assert "translate(-50%, -50%)" in anchors(1 / 3, 0.5)        # a third exactly is the middle
    assert "translate(-100%, 0)" in anchors(0.9, 0.9)
    # y tied to x's scale narrows the drawn plot, not the notes' paper: still the width between the margins
    square = chart(annotations=[dict(xref="paper", yref="paper", x=1, y=1, showarrow=False, text="n")],
                   xaxis=dict(range=[0, 1], constrain="domain"), yaxis=dict(range=[0, 1], scaleanchor="x"))
    assert "left:calc(10px + 1 * calc(100% - 40px))" in square.find("div[@class='bp-note']").get("style")


def test_a_shape_on_the_second_panel_and_a_contrast_at_the_edge_of_dark():
    layout = dict(xaxis=dict(range=[0, 4], domain=[0, 0.4]), xaxis2=dict(range=[0, 2], domain=[0.6, 1]),
                  yaxis2=dict(range=[0, 1]))
    rect = dict(type="rect", x0=0, x1=1, y0=0, y1=1, xref="x2", yref="y2", fillcolor="#123456", line=dict(width=0))
    first, second = plot(chart(shapes=[rect], **layout)).findall(f"{SVG}svg")
    assert [r.get("width") for r in second.iter(f"{SVG}rect")] == ["50%"] and not list(first.iter(f"{SVG}rect"))
    from pages.ui.svg_traces import contrast
    # tinycolor's brightness (299 r + 587 g + 114 b) / 1000: 128 is light, 127 dark
    assert contrast((128, 128, 128)) == colors.INK and contrast((127, 127, 127)) == "white"


@pytest.mark.parametrize("part", [
    dict(layout=dict(xaxis=dict(range=[4, 0]))),                                      # a reversed x axis
    dict(data=[BARS], layout=dict(yaxis=dict(type="log", range=[-1, 1]))),             # bars on a log axis
    dict(data=[dict(BARS, width=0)]),
    dict(data=[dict(BARS, x=["a", "b"])]),                                             # categories
    dict(data=[dict(BARS, texttemplate="%{y}")]),                                      # another bar property
    dict(data=[dict(BARS, marker=dict(color="#123456", opacity=0.5))]),
    dict(layout=dict(annotations=[dict(xref="paper", yref="paper", x=1, y=1, showarrow=False, text="n",
                                       xshift=10)])),
    dict(layout=dict(shapes=[dict(type="rect", x0=0, x1=1, y0=0, y1=1, xref="x domain", yref="y")])),
    dict(data=[dict(CELLS, xaxis="x", yaxis="y", showscale=True)],                      # a colour bar between panels
         layout=dict(xaxis=dict(range=[0.5, 3.5], domain=[0, 0.4]), xaxis2=dict(range=[0, 1], domain=[0.6, 1]),
                     yaxis=dict(range=[2.5, 0.5]), yaxis2=dict(range=[0, 1]))),
])
def test_more_that_cannot_be_drawn_is_refused(part):
    with pytest.raises(ValueError, match="unsupported"):
        html_of(part.get("data", ()), **part.get("layout", {}))

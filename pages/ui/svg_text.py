"""SVG and HTML text for the figures drawn as SVG (svg_figure.py, svg_axes.py): attributes written escaped, numbers
written short, colours checked, and labels in Plotly's pseudo-HTML (<b>, <br>, <sub>, <sup>, <span style>) as SVG
tspans or as HTML. Any other markup, and a colour that is not one, is refused (ValueError), never passed on."""
from __future__ import annotations

import html
import re
from collections.abc import Iterable
from types import MappingProxyType

from .plot_text import LINE

TAG = re.compile(r"(<[^>]*>)")
BASELINE = 0.35   # em from the middle of a line of text down to its baseline: the ink then fills the box plot_text
                  # sizes for the line (tests/test_browser_classroom.py measures labels inside their boxes)
# Plotly's own shifts of a subscript and a superscript (svg_text_utils.js), in em of the smaller text, then back in
# em of the line's: a tspan's dy, which every browser honours (Firefox ignores baseline-shift)
SHIFT = MappingProxyType({"sub": ("0.3em", "-0.21em"), "sup": ("-0.6em", "0.42em")})
_STYLE = re.compile(r"<span style=['\"]([^'\"]*)['\"]>")
_COLOR = re.compile(r"#[0-9A-Fa-f]{3,8}|rgba?\([0-9., ]+\)|[a-z]+")
# a tspan's paint, in CSS
_CSS = MappingProxyType({"fill": "color:", "font_size": "font-size:", "font_weight": "font-weight:"})


def attrs(**values) -> str:
    """SVG/HTML attributes, names with "_" written with "-", values escaped; None leaves an attribute out."""
    return "".join(f' {name.replace("_", "-")}="{html.escape(str(v), quote=True)}"'
                   for name, v in values.items() if v is not None)


def short(v: float, decimals: int = 2) -> str:
    """A number for an attribute or a tick label: at most `decimals` decimals, no trailing zeros ("50", "12.5"), and
    no "-0"."""
    text = f"{v:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{v:.0f}"
    return "0" if text == "-0" else text


def element_id(kind: str, parts: Iterable[str]) -> str:
    """The id of a definition (an arrowhead, a colour scale), named by what it draws: two figures on a page that both
    define it define it alike."""
    return f"bp-{kind}-" + "-".join(re.sub(r"\W", "_", part) for part in parts)


def checked_color(value: str) -> str:
    """A colour as the builders write it (#hex, rgb(a)(...), a name); anything else is refused, not passed on."""
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ValueError(f"unsupported colour: {value!r}")
    return value


# -- text ------------------------------------------------------------------------------------------------------
def _span_style(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        key, _, value = part.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "color":
            out["fill"] = checked_color(value)
        elif key == "font-size" and re.fullmatch(r"[0-9.]+(px)?", value):
            out["font_size"] = value.removesuffix("px")
        elif key == "font-weight" and value in ("bold", "normal"):
            out["font_weight"] = value
        elif key:
            raise ValueError(f"unsupported style in a label: {part!r}")
    return out


def _lines(text: str) -> list[str]:
    return str(text).split("<br>")


def _tokens(text: str, where: str):
    """Plotly pseudo-HTML as (kind, name, style): ("text", the text escaped, None), ("open", "b" | "sub" | "sup" |
    "span", a span's style), ("close", the tag's name, None), ("br", None, None). Any other tag is refused, and an end
    tag must close the tag last opened: `where` names the text in the error."""
    open_tags = []
    for part in TAG.split(str(text)):
        tag = part.lower()
        if not part.startswith("<"):
            if part:
                yield "text", html.escape(part.replace("\n", " "), quote=False), None
        elif tag == "<br>":
            yield "br", None, None
        elif tag in ("<b>", "<sub>", "<sup>"):
            open_tags.append(tag[1:-1])
            yield "open", tag[1:-1], None
        elif match := _STYLE.fullmatch(part):
            open_tags.append("span")
            yield "open", "span", _span_style(match.group(1))
        elif tag.startswith("</") and open_tags and open_tags[-1] == tag[2:-1]:
            yield "close", open_tags.pop(), None
        else:
            raise ValueError(f"unsupported markup in {where}: {part!r} in {text!r}")
    if open_tags:
        raise ValueError(f"unsupported markup in {where}: <{open_tags[-1]}> left open in {text!r}")


def _tspans(line: str) -> str:
    """One line of a label as SVG tspans."""
    out = []
    for kind, name, style in _tokens(line, "a label"):
        if kind == "text":
            out.append(name)
        elif kind == "open" and name in SHIFT:
            out.append(f'<tspan dy="{SHIFT[name][0]}" font-size="70%">')
        elif kind == "open":
            out.append(f"<tspan{attrs(**style)}>" if name == "span" else '<tspan font-weight="bold">')
        elif kind == "close":
            # after a shifted tspan, one back to the line's baseline (an empty tspan's dy moves nothing: it holds a
            # zero-width space)
            out.append("</tspan>" + (f'<tspan dy="{SHIFT[name][1]}">\u200b</tspan>' if name in SHIFT else ""))
        else:
            raise ValueError(f"unsupported markup in a label: a line break inside a line {line!r}")
    return "".join(out)


def inline_html(text: str) -> str:
    """A title or a legend's name as HTML: its tags are HTML's own; the text escaped."""
    out = []
    for kind, name, style in _tokens(text, "a title or legend"):
        if kind == "text":
            out.append(name)
        elif kind == "br":
            out.append("<br/>")
        elif kind == "open" and style is not None:
            css = ";".join(_CSS[k] + v + ("px" if k == "font_size" else "") for k, v in style.items())
            out.append(f'<span style="{html.escape(css)}">')
        else:
            out.append(f"<{'/' if kind == 'close' else ''}{name}>")
    return "".join(out)


def text_label(x: str, y: float, text: str, size: float, color: str, *, below: float | None = None,
               cls: str | None = None, anchor: str = "middle", transform: str | None = None) -> str:
    """A label centred on (x, y) (x a percentage); with `below`, its first line starts that far under y. `cls`: its
    class (an axis's tick labels are "bp-tick"); `anchor`: where x is on its lines ("end": their right end);
    `transform`: an SVG transform of the whole label."""
    lines = _lines(text)
    step = LINE * size
    middle = y + below + step / 2 if below is not None else y - step * (len(lines) - 1) / 2   # of the first line
    baseline = middle + BASELINE * size
    spans = "".join(f'<tspan{attrs(x=x, y=short(baseline + i * step))}>{_tspans(line)}</tspan>'
                    for i, line in enumerate(lines))
    place = attrs(font_size=short(size), fill=checked_color(color), text_anchor=anchor, transform=transform)
    return f"<text{attrs(**{'class': cls})}{place}>{spans}</text>"


# -- the picture -----------------------------------------------------------------------------------------------

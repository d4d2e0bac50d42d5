"""The stylesheets: assets/style.css on every page, assets/projection.css only while the page is projected
(pages/ui/classroom.py).

A selector that puts :has() on an element holding the whole app (html, :root, body, .stApp) makes Chromium
restyle every element of the page whenever an element that could change its answer is added or removed, which
a rerun does many times. On the deep networks lesson such rules (projection mode's, asking whether the toolbar
keyed "bp-projection" was on the page) cost a slider move 250-330 ms of restyling its 7,500 elements, in normal
mode, where none of them applied (docs/performance.md, change 18). So neither sheet may have one, and projection
mode's rules come in a sheet of their own, sent only while projecting. Inside projection mode's own :has() rules,
looking for part of a class name ([class*=...]) cost the same kind of restyling (change 19), and so did any :has()
looking at all of an element's descendants, or put on the page's main block (change 20): what is left are :has()
rules that look at an element's direct children, by class. In projection mode, finding the stepper's parts by part
of a class name or by position (:first-child), even outside :has(), cost a projected Next click on training about
30 ms of restyling (change 21): its sheets find them by the classes of their keys."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from lesson_app import open_lesson

from pages.ui.classroom import PROJECTION_STYLE, STEPPED_STYLE, STYLE, TITLE
from pages.ui.stepper import STEPPED

SHEETS = (STYLE, PROJECTION_STYLE, STEPPED_STYLE)
# An element that holds the whole app, in a compound selector with :has() (the part after it may be anything).
WHOLE_APP_HAS = re.compile(r'(?:^|[\s>~+,])(?:html|body|:root|\.stApp|\[data-testid="stApp[A-Za-z]*"\])'
                           r'(?:[.#\[:][^\s>~+,{]*?)?:has\(')


def selectors(sheet: Path) -> list[str]:
    """Every selector of the sheet (comments removed), one per list item."""
    text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
    found = []
    for prelude in re.findall(r"([^{}]+)\{", text):
        found.extend(" ".join(part.split()) for part in top_level_parts(prelude) if part.strip())
    return found


def top_level_parts(prelude: str) -> list[str]:
    """A rule's selector list split at its commas, but not at those inside parentheses (a :has() or :not() list)."""
    parts, depth, start = [], 0, 0
    for at, char in enumerate(prelude):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(prelude[start:at])
            start = at + 1
    return parts + [prelude[start:]]


def test_the_pattern_finds_a_whole_app_has():
    """The check below would catch the rules this project had, and passes the ones it keeps."""
    assert WHOLE_APP_HAS.search('.stApp:has(.st-key-bp-projection) [data-testid="stHeader"]')
    assert WHOLE_APP_HAS.search("html:has(.st-key-bp-projection)")
    assert WHOLE_APP_HAS.search(':root .stApp:has(h1) [data-testid="stMain"]')
    assert not WHOLE_APP_HAS.search('[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] .bp-script)')
    assert not WHOLE_APP_HAS.search(':root .stApp [class*="st-key-bp-stage-"] > :has(h2, h3)')


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda sheet: sheet.name)
def test_no_rule_puts_has_on_the_whole_app(sheet):
    assert selectors(sheet), f"no rules read from {sheet}"
    found = [selector for selector in selectors(sheet) if WHOLE_APP_HAS.search(selector)]
    assert not found, f"{sheet.name}: :has() on the whole app restyles every element at each change: {found}"


def has_arguments(sheet: Path) -> list[str]:
    """What every :has() of the sheet looks for (its argument, up to a nested parenthesis)."""
    return [argument for selector in selectors(sheet) for argument in re.findall(r":has\(([^()]*)", selector)]


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda sheet: sheet.name)
def test_no_has_looks_for_part_of_a_class_name(sheet):
    """A [class*=...] inside :has() is asked again at each change of any element's classes: in projection mode
    the lesson's stepper is found by the class of the key every stepper shares (pages/ui/stepper.py STEPPED)."""
    found = [argument for argument in has_arguments(sheet) if "[class" in argument]
    assert not found, f"{sheet.name}: :has() looking for part of a class name: {found}"


@pytest.mark.parametrize("sheet", (PROJECTION_STYLE, STEPPED_STYLE), ids=lambda sheet: sheet.name)
def test_projection_mode_looks_only_at_direct_children_by_class(sheet):
    """A :has() in projection mode's sheets asks only for a direct child with a class ("> .name")."""
    parts = [part.strip() for argument in has_arguments(sheet) for part in argument.split(",")]
    found = [part for part in parts if not re.fullmatch(r">\s*\.[\w-]+", part)]
    assert not found, f"{sheet.name}: :has() looking further than a direct child's class: {found}"


@pytest.mark.parametrize("sheet", (PROJECTION_STYLE, STEPPED_STYLE), ids=lambda sheet: sheet.name)
def test_projection_mode_finds_the_stepper_by_class_not_by_position(sheet):
    found = [selector for selector in selectors(sheet) if re.search(r"\[class[*^$|~]?=|:(first|last|nth)-", selector)]
    assert not found, f"{sheet.name}: part of a class name or a position: {found}"


def test_a_projected_lesson_keeps_its_title_notices_toolbar_and_stepper():
    """The rule that hides what is for a learner at a desk keeps the boxes holding these, by the keys the code
    gives them."""
    (kept,) = has_arguments(STEPPED_STYLE)
    assert {part.strip() for part in kept.split(",")} == {
        f"> .st-key-{TITLE}", "> .stAlert", "> .st-key-bp-projection", f"> .st-key-{STEPPED}"}


def test_the_every_mode_sheet_does_not_ask_for_projection_mode():
    assert "bp-projection" not in STYLE.read_text()


def sent_sheets(run, monkeypatch) -> set[str]:
    """The names of the stylesheets a run sends through st.html (AppTest keeps no style-only element: Streamlit
    sends those to its event container, which AppTest does not hold), run() being called with st.html watched."""
    sent, html = [], st.html

    def record(body, *args, **kwargs):
        sent.append(body)
        return html(body, *args, **kwargs)

    monkeypatch.setattr(st, "html", record)
    at = run()
    monkeypatch.setattr(st, "html", html)
    assert not at.exception, at.exception
    return {sheet.name for sheet in SHEETS if sheet in sent}


def test_projection_sheet_is_sent_only_while_projecting(monkeypatch):
    """Opened without and with ?present=true. (Leaving projection mode, by its button, P or Escape, is tested in
    a browser: tests/test_browser_lessons.py and test_browser_classroom.py find the normal type size and the
    sidebar back, which the projection sheet would hide.)"""
    lesson = "pages/chain_rule_graph.py"
    assert sent_sheets(lambda: open_lesson(lesson), monkeypatch) == {"style.css"}
    assert sent_sheets(lambda: open_lesson(lesson, present="true"), monkeypatch) == {
        "style.css", "projection.css", "projection_stepped.css"}


def test_a_projected_page_without_a_stepper_keeps_its_content(monkeypatch):
    """The home page has no stepper: projected, it is not sent the sheet that hides all but the stepper."""
    home = "pages/home.py"
    assert sent_sheets(lambda: open_lesson(home, present="true"), monkeypatch) == {"style.css", "projection.css"}

"""Every lesson (pages.ui.lessons.LESSONS) in a real headless Chromium, one server and one reused page for all.

For each lesson: no exception; maths typeset by KaTeX with no raw LaTeX left; every chart drawn; the Next button,
the Right arrow and Page Down (what a clicker sends) each advance "Step k of n"; a link with changed inputs and
step, opened in a fresh browser, shows the same numbers at the same step; hostile link values give the notice
and the defaults and never run a script; projection mode hides the chrome, enlarges the maths and puts the
picture beside the derivation, and Escape restores the normal layout. Every control has a name a screen
reader can read; charts with axes have a title and axis labels.

Screenshots go to tests/screenshots/: <page>-1400-normal(-step4).png, <page>-1280-projection(-step3).png and
<page>-1280-normal.png (step 3, after leaving projection mode).
"""
from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass

import pytest
from conftest import DESKTOP, PROJECTOR, counter, open_url, screenshot, settle, wait_for_counter

from pages.ui.i18n import t
from pages.ui.lessons import LESSONS, Lesson

pytestmark = pytest.mark.browser

RAW_LATEX = re.compile(r"\\(frac|begin|end|partial|operatorname|left|right|cdot|mathrm|sum|sigma|delta)\b|\$")
HOSTILE = ["nan", "inf", "1e309", "", "text", '<script>alert("bp-injected")</script>', "9" * 400]
MAIN = '[data-testid="stMain"]'
SIDEBAR_SLIDERS = '[data-testid="stSidebar"] [data-testid="stSlider"] input[type="range"]'


@dataclass
class Visit:
    """A lesson opened at its defaults in the shared page, and what it showed."""

    lesson: Lesson
    url: str
    sliders: dict[str, str]   # URL key -> default value, of every enabled slider in the sidebar
    ranges: dict[str, list[float]]  # URL key -> [min, max, step] of those sliders
    step_key: str | None      # the stepper's URL key, "<code>-step", or None on a page without a stepper
    shown: dict               # what shown() read at the defaults
    maths: float              # the font size of the step's formula, in pixels


# -- reading the page ----------------------------------------------------------------------------------------
_SLIDERS_JS = """(selector) => Object.fromEntries([...document.querySelectorAll(selector)]
    .filter((input) => !input.disabled)
    .map((input) => {
        const box = input.closest('[class*="st-key-"]');
        const key = [...box.classList].find((name) => name.startsWith("st-key-")).slice("st-key-".length);
        return [key, input.value];
    }))"""

_RANGES_JS = """(selector) => Object.fromEntries([...document.querySelectorAll(selector)]
    .filter((input) => !input.disabled)
    .map((input) => {
        const box = input.closest('[class*="st-key-"]');
        const key = [...box.classList].find((name) => name.startsWith("st-key-")).slice("st-key-".length);
        return [key, [input.min, input.max, input.step].map(Number)];
    }))"""

_STEP_KEY_JS = """() => {
    const box = document.querySelector('[class*="st-key-bp-stepper-"]');
    if (!box) return null;
    const name = [...box.classList].find((c) => c.startsWith("st-key-bp-stepper-"));
    return name.slice("st-key-bp-stepper-".length) + "-step";
}"""

# The numbers on show: the TeX of every formula, every chart's text, the step counter's line.
_SHOWN_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const tex = [...main.querySelectorAll('annotation[encoding="application/x-tex"]')].map((a) => a.textContent);
    const charts = [...main.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg text, .bp-diagram text')]
        .map((e) => e.textContent);
    return {tex, charts};
}"""


def sliders(page) -> dict[str, str]:
    return page.evaluate(_SLIDERS_JS, SIDEBAR_SLIDERS)


def shown(page) -> dict:
    return {**page.evaluate(_SHOWN_JS), "sliders": sliders(page), "counter": counter(page)}


def check_rendered(page) -> None:
    """No exception; maths typeset by KaTeX, none failed, no raw LaTeX in the text; every chart drawn."""
    main = page.locator(MAIN)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    assert main.locator(".katex").count() > 0, "no KaTeX maths on the page"
    assert main.locator(".katex-error").count() == 0, "KaTeX could not typeset a formula"
    visible = page.evaluate("""(selector) => {
        const main = document.querySelector(selector).cloneNode(true);
        main.querySelectorAll('.katex, script, style, [data-testid="stPlotlyChart"], .bp-diagram, details:not([open])')
            .forEach((el) => el.remove());
        return main.innerText;
    }""", MAIN)
    raw = RAW_LATEX.search(visible)
    assert not raw, f"raw LaTeX visible: {visible[max(raw.start() - 60, 0):raw.end() + 60]!r}"
    for chart in main.locator('[data-testid="stPlotlyChart"]').all():
        assert chart.locator(".main-svg").count() > 0, "a Plotly chart was not drawn"


def at_defaults(page, visit: Visit) -> None:
    """Put the shared page back on the lesson's defaults, at 1400x900, if an earlier test moved it."""
    if page.url != visit.url or page.viewport_size != DESKTOP:
        page.set_viewport_size(DESKTOP)
        open_url(page, visit.url)


def blur(page) -> None:
    """Keys go to the page, not to the last control clicked."""
    page.evaluate("document.activeElement && document.activeElement.blur()")


def press(page, key: str) -> None:
    """Press a key on the page once the keys' scripts (stepper.py's, classroom.py's) are listening."""
    blur(page)
    page.wait_for_function("() => window.__bpClassroom && (window.__bpClickerKeys "
                           "|| !document.querySelector('[class*=\"st-key-bp-stepper-\"]'))")
    page.keyboard.press(key)


# -- one visit per lesson, shared by the tests below (pytest runs a lesson's tests together) -----------------
@pytest.fixture(scope="module", params=LESSONS, ids=[lesson.url_path for lesson in LESSONS])
def visit(request, shared_page, app_server) -> Visit:
    lesson = request.param
    url = f"{app_server}/{lesson.url_path}"
    shared_page.set_viewport_size(DESKTOP)
    open_url(shared_page, url)
    return Visit(lesson, url, sliders(shared_page), shared_page.evaluate(_RANGES_JS, SIDEBAR_SLIDERS),
                 shared_page.evaluate(_STEP_KEY_JS), shown(shared_page), _maths_size(shared_page))


def test_the_page_renders(visit, shared_page):
    page = shared_page
    at_defaults(page, visit)
    check_rendered(page)
    assert page.locator("h1").first.inner_text() == t(visit.lesson.title_key)
    assert visit.sliders, "no slider in the sidebar"
    screenshot(page, f"{visit.lesson.url_path}-1400-normal")


def test_controls_have_names_a_screen_reader_reads(visit, shared_page):
    page = shared_page
    at_defaults(page, visit)
    unnamed = page.evaluate(_UNNAMED_JS)
    assert not unnamed, f"controls without an accessible name: {unnamed}"
    latex = page.evaluate(_LATEX_NAMES_JS)  # Streamlit gives a control its label's source as its name
    assert not latex, f"a screen reader reads these controls' names as raw LaTeX: {sorted(set(latex))}"


def test_charts_have_titles_and_axis_labels(visit, shared_page):
    page = shared_page
    at_defaults(page, visit)
    assert page.evaluate(_CHARTS_JS), "no chart"
    assert_charts_labelled(page)


def assert_charts_labelled(page) -> None:
    """Every chart on show has a title, and axis titles where it shows axes (ticks)."""
    charts = page.evaluate(_CHARTS_JS)
    lacking = [c for c in charts if not c["title"] or (c["x"] and not c["xtitle"]) or (c["y"] and not c["ytitle"])]
    assert not lacking, f"charts without a title or an axis label (title, x ticks/title, y ticks/title): {lacking}"


def test_next_right_arrow_and_page_down_advance_the_step(visit, shared_page):
    page = shared_page
    at_defaults(page, visit)
    if visit.step_key is None:
        pytest.skip("no stepper on this page: nothing to advance")
    k, n = counter(page)
    assert k == 1 and n >= 4, (k, n)

    page.locator(f'.st-key-{visit.step_key.removesuffix("-step")}-next button').click()
    wait_for_counter(page, 2)
    press(page, "ArrowRight")
    wait_for_counter(page, 3)
    press(page, "PageDown")
    wait_for_counter(page, 4)
    assert counter(page) == (4, n)
    check_rendered(page)
    screenshot(page, f"{visit.lesson.url_path}-1400-normal-step4")
    press(page, "PageUp")
    wait_for_counter(page, 3)


def test_gradients_are_never_told_by_colour_alone(visit, shared_page):
    """At the last step (End), where every gradient is worked out: text drawn in the gradient colour (vermillion)
    carries its own sign, a "∂" (or the word "grad"), or sits in a formula that has one; and the charts of the
    last step, too, have their titles and axis labels."""
    page = shared_page
    if visit.step_key:
        press(page, "End")
        wait_for_counter(page, visit.shown["counter"][1])
    bare = page.evaluate(_GRADIENT_TEXT_JS)
    assert not bare, f"text in the gradient colour without a ∂ or a name: {bare[:10]}"
    assert_charts_labelled(page)


def moved(value: str, lo: float, hi: float, step: float) -> str:
    """A slider's value two steps from ``value`` (up, or down at the top), written as a link writes it."""
    x = float(value) + 2 * step if float(value) + 2 * step <= hi else float(value) - 2 * step
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".") if decimals else str(int(round(x)))


def test_a_link_reproduces_the_example_in_a_fresh_browser(visit, shared_page, browser):
    """A link with two inputs and the step changed shows them; the same link in a fresh browser shows the same
    numbers (every formula, every chart's text, the sliders, the counter)."""
    page = shared_page
    changed = {key: moved(visit.sliders[key], *visit.ranges[key]) for key in list(visit.sliders)[:2]}
    if visit.step_key:
        changed[visit.step_key] = "3"
    link = f"{visit.url}?{urllib.parse.urlencode(changed)}"
    page.set_viewport_size(DESKTOP)
    open_url(page, link)
    here = shown(page)
    for key, value in changed.items():
        if key != visit.step_key:
            assert float(here["sliders"][key]) == pytest.approx(float(value)), f"the link's {key}={value} is not shown"
    if visit.step_key:
        assert here["counter"][0] == 3, here["counter"]
    assert not page.locator('[data-testid="stAlert"]').count(), "a notice for a valid link"
    assert here["tex"] != visit.shown["tex"] or here["charts"] != visit.shown["charts"], "the link changed nothing"

    context = browser.new_context(viewport=DESKTOP)
    try:
        fresh = context.new_page()
        open_url(fresh, link)
        there = shown(fresh)
    finally:
        context.close()
    for part in ("counter", "sliders", "tex", "charts"):
        assert there[part] == here[part], f"the link shows other {part} in a fresh browser: {link}"


def test_hostile_link_values_give_the_notice_and_the_defaults(visit, shared_page):
    """Two links per lesson; each puts a hostile value in every slider, the step, projection mode and the
    language. Across the loads every slider type sees every value; across the lessons so does the step."""
    page = shared_page
    index = LESSONS.index(visit.lesson)
    keys = list(visit.sliders)
    for load in range(2):
        query = {key: HOSTILE[(2 * load + j) % len(HOSTILE)] for j, key in enumerate(keys)}
        if visit.step_key:
            query[visit.step_key] = HOSTILE[(2 * index + load) % len(HOSTILE)]
        query["present"] = HOSTILE[(2 * index + load + 2) % len(HOSTILE)]
        query["lang"] = HOSTILE[(2 * index + load + 4) % len(HOSTILE)]
        page.dialogs.clear()
        page.set_viewport_size(DESKTOP)
        open_url(page, f"{visit.url}?{urllib.parse.urlencode(query)}")

        assert page.locator('[data-testid="stException"]').count() == 0, (query, page.locator(
            '[data-testid="stException"]').first.inner_text())
        assert not page.dialogs, f"a script from the link ran: {page.dialogs}"
        assert page.evaluate(_INJECTED_JS) == 0, "the link's <script> is in the page"
        notices = " ".join(alert.inner_text() for alert in page.locator('[data-testid="stAlert"]').all())
        step_fell_back = visit.step_key is None or (
            visit.step_key in notices and counter(page) == (1, visit.shown["counter"][1]))
        assert step_fell_back, f"the step did not fall back with a notice: {query.get(visit.step_key)!r}"
        unnamed = [key for key in query if key != visit.step_key and key not in notices]
        assert not unnamed, f"no notice names {unnamed} (link {query}); notices: {notices!r}"
        assert sliders(page) == visit.sliders, "a slider did not fall back to its default"
        assert page.locator(".st-key-bp-projection").count() == 0
        assert page.locator("h1").first.inner_text() == t(visit.lesson.title_key)
        check_rendered(page)


def test_projection_mode_and_back(visit, shared_page):
    """A bookmarked ?present=true opens the lesson projected: no sidebar or Streamlit chrome, larger type and
    maths, the picture beside the derivation, the counter and the derivation on the 1280x720 screen; the clicker
    still steps; Escape restores the normal layout at the same step. (The P key is tested once, in
    test_browser_classroom.py.)"""
    page = shared_page
    page.set_viewport_size(PROJECTOR)
    open_url(page, f"{visit.url}?present=true")
    page.locator(".st-key-bp-projection").wait_for()
    check_rendered(page)
    for chrome in ("stSidebar", "stHeader", "stToolbar", "stDecoration"):
        assert not page.locator(f'[data-testid="{chrome}"]').is_visible(), f"{chrome} is shown in projection mode"
    leave = page.locator(".st-key-bp-leave-projection button")
    assert leave.is_visible() and t("classroom.leave") in leave.inner_text()
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20
    if visit.step_key:
        assert _maths_size(page) >= 1.5 * visit.maths, "the step's maths is not larger in projection mode"
        layout = page.evaluate(_LAYOUT_JS)
        assert layout["picture"] and layout["maths"], layout
        beside = layout["picture"]["right"] <= layout["maths"]["left"] + 2
        assert beside, f"the picture is not beside the maths: {layout}"
        assert layout["counter"]["bottom"] <= PROJECTOR["height"], "the step counter is below the screen"
        assert layout["maths"]["top"] < PROJECTOR["height"], "the derivation starts below the screen"
    screenshot(page, f"{visit.lesson.url_path}-1280-projection")

    if visit.step_key:  # the clicker still works
        press(page, "ArrowRight")
        wait_for_counter(page, 2)
        press(page, "PageDown")
        wait_for_counter(page, 3)
        check_rendered(page)
        screenshot(page, f"{visit.lesson.url_path}-1280-projection-step3")

    press(page, "Escape")
    page.locator(".st-key-bp-toolbar").wait_for()
    settle(page)
    assert page.locator(".st-key-bp-projection").count() == 0
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert "present" not in page.url
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 16
    if visit.step_key:
        assert counter(page)[0] == 3, "leaving projection mode lost the step"
        assert _maths_size(page) == pytest.approx(visit.maths), "the maths kept its projection size"
    check_rendered(page)
    screenshot(page, f"{visit.lesson.url_path}-1280-normal")


def _maths_size(page) -> float:
    """The font size of the step's formula (the first display maths of the step), in pixels."""
    return page.evaluate("""() => {
        const el = document.querySelector('.st-key-bp-stage .katex-display .katex')
            || document.querySelector('[data-testid="stMain"] .katex');
        return el ? parseFloat(getComputedStyle(el).fontSize) : 0;
    }""")


_LAYOUT_JS = """() => {
    const box = (el) => el && el.getBoundingClientRect().toJSON();
    const stage = document.querySelector('.st-key-bp-stage');
    const counter = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] strong')]
        .find((el) => /\\d/.test(el.textContent) && el.closest('[class*="st-key-bp-stepper-"]'));
    return {
        picture: box(stage.querySelector('[data-testid="stPlotlyChart"], .bp-diagram')),
        maths: box(stage.querySelector('.katex-display')),
        counter: box(counter),
    };
}"""

_UNNAMED_JS = """() => {
    const name = (el) => {
        const aria = el.getAttribute("aria-label");
        if (aria && aria.trim()) return aria.trim();
        const by = el.getAttribute("aria-labelledby");
        if (by) {
            const text = by.split(/\\s+/).map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
            if (text.trim()) return text.trim();
        }
        if (el.labels && el.labels.length) {
            const text = [...el.labels].map((label) => label.textContent).join(" ");
            if (text.trim()) return text.trim();
        }
        if (["BUTTON", "A"].includes(el.tagName) && (el.innerText || el.textContent).trim()) return el.innerText.trim();
        return (el.getAttribute("title") || "").trim();
    };
    const controls = 'button, input, select, textarea, a[href], [role="slider"], [role="combobox"], [role="switch"], '
        + '[role="checkbox"], [role="radio"], [role="button"]';
    return [...document.querySelectorAll(controls)]
        .filter((el) => el.type !== "hidden" && el.getClientRects().length > 0)
        .filter((el) => !name(el))
        .map((el) => el.outerHTML.slice(0, 160));
}"""

# Names that are a LaTeX source, which a screen reader spells out ("dollar w underscore 1 dollar").
_LATEX_NAMES_JS = """() => [...document.querySelectorAll('[aria-label]')]
    .map((el) => el.getAttribute("aria-label"))
    .filter((name) => /\\$[^$]+\\$/.test(name))"""

_CHARTS_JS = """() => [
  ...[...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]')].map((c) => ({
    title: ((c.querySelector(".gtitle") || {}).textContent || "").trim(),
    x: c.querySelectorAll(".xtick").length > 0,
    y: c.querySelectorAll(".ytick").length > 0,
    xtitle: [...c.querySelectorAll('[class^="g-x"][class$="title"]')].some((e) => e.textContent.trim()),
    ytitle: [...c.querySelectorAll('[class^="g-y"][class$="title"]')].some((e) => e.textContent.trim()),
  })),
  // a diagram (pages/ui/svg_figure.py): no axes to label (a compact network's layer names are not a scale)
  ...[...document.querySelectorAll('[data-testid="stMain"] .bp-diagram')].map((d) => ({
    title: ((d.querySelector(".bp-diagram-title") || {}).textContent || "").trim(),
    x: false, y: false, xtitle: false, ytitle: false,
  })),
]"""

# SVG text and KaTeX drawn in colors.GRADIENT (#D55E00, rgb(213, 94, 0)) whose text carries no sign of its own.
_GRADIENT_TEXT_JS = """() => {
    const vermillion = "rgb(213, 94, 0)";
    const main = document.querySelector('[data-testid="stMain"]');
    const svg = [...main.querySelectorAll('[data-testid="stPlotlyChart"] text, [data-testid="stPlotlyChart"] tspan, '
                                          + '.bp-diagram text, .bp-diagram tspan')]
        .filter((el) => getComputedStyle(el).fill === vermillion
                && !(el.parentElement && getComputedStyle(el.parentElement).fill === vermillion));
    const tex = [...main.querySelectorAll(".katex-html [style*='color']")]
        .filter((el) => getComputedStyle(el).color === vermillion && !el.parentElement.closest("[style*='color']"));
    const annotations = (el) => {
        const math = el.closest(".katex");
        return math ? (math.querySelector('annotation') || {}).textContent || "" : "";
    };
    return [
        ...svg.filter((el) => !/∂|grad/i.test(el.textContent)).map((el) => "chart: " + el.textContent),
        ...tex.filter((el) => !/∂|\\\\partial|grad/i.test(el.textContent + annotations(el)))
            .map((el) => "maths: " + el.textContent),
    ];
}"""

_INJECTED_JS = """() => [...document.querySelectorAll("script")]
    .filter((el) => el.textContent.includes("bp-injected")).length"""

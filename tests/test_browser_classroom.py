"""The classroom controls (pages/ui/classroom.py, pages/ui/stepper.py) in a real headless Chromium, on the
chain-rule lesson (the quickest to run): the keys a clicker and a keyboard send, autoplay (A), projection mode
on and off (P), the help popover, the copied link, projection mode from a bookmark and across pages, and the
language from the link; then every lesson's pictures in projection mode at its last step, their text measured as
drawn. At the end, the link rules of projection mode and the language once more under AppTest, without a browser."""
from __future__ import annotations

import urllib.parse

import pytest
from conftest import DESKTOP, PROJECTOR, REPO_ROOT, counter, open_url, screenshot, settle, wait_for_counter
from streamlit.testing.v1 import AppTest

from pages.ui.classroom import CHART_SCALE, KEYS, PICTURE_WIDTH
from pages.ui.i18n import catalogue, languages, t
from pages.ui.lessons import LESSONS

LESSON = LESSONS[0]
CODE = "cg"  # the chain-rule page's key prefix


def press(page, key: str) -> None:
    """Press a key on the page (not in a control) once the keys' scripts are listening."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_function("() => window.__bpClassroom && window.__bpClickerKeys")
    page.keyboard.press(key)


@pytest.fixture
def lesson_page(shared_page, app_server):
    shared_page.set_viewport_size(DESKTOP)
    open_url(shared_page, f"{app_server}/{LESSON.url_path}")
    return shared_page


@pytest.mark.browser
def test_the_keys_a_clicker_and_a_keyboard_send(lesson_page):
    page = lesson_page
    k, n = counter(page)
    assert k == 1
    for key, expected in (("End", n), ("Home", 1), ("PageDown", 2), ("PageDown", 3), ("PageUp", 2),
                          ("ArrowRight", 3), ("ArrowLeft", 2)):
        press(page, key)
        wait_for_counter(page, expected)
        assert counter(page) == (expected, n), key
    assert f"{CODE}-step=2" in page.url


@pytest.mark.browser
def test_a_starts_and_stops_autoplay(lesson_page):
    page = lesson_page
    toggle = page.locator(f".st-key-{CODE}-autoplay input")
    assert not toggle.is_checked()
    press(page, "a")
    page.wait_for_function(f"() => document.querySelector('.st-key-{CODE}-autoplay input').checked")
    wait_for_counter(page, 2)  # one step per 1.5 s by default, with no key pressed
    press(page, "a")
    page.wait_for_function(f"() => !document.querySelector('.st-key-{CODE}-autoplay input').checked")
    settle(page)
    stopped = counter(page)
    page.wait_for_timeout(2500)
    assert counter(page) == stopped, "autoplay went on after A stopped it"


@pytest.mark.browser
def test_p_turns_projection_mode_on_and_off(lesson_page):
    page = lesson_page
    press(page, "ArrowRight")
    wait_for_counter(page, 2)
    press(page, "p")
    page.locator(".st-key-bp-projection").wait_for()
    settle(page)
    assert "present=true" in page.url
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    press(page, "p")
    page.locator(".st-key-bp-toolbar").wait_for()
    settle(page)
    assert "present" not in page.url
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert counter(page)[0] == 2, "projection mode on and off lost the step"


@pytest.mark.browser
def test_the_keys_popover_lists_every_key(lesson_page):
    page = lesson_page
    page.locator(".st-key-bp-keys button:visible").click()
    body = page.locator('[data-testid="stPopoverBody"]')
    body.wait_for()
    text = body.inner_text()
    for name in KEYS:
        assert t(f"classroom.keys.{name}") in text and t(f"classroom.keys.{name}_keys") in text, name
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_copy_link_gives_the_address_of_this_example_at_this_step(lesson_page):
    page = lesson_page
    press(page, "ArrowRight")
    wait_for_counter(page, 2)
    press(page, "ArrowRight")
    wait_for_counter(page, 3)
    page.locator(".st-key-bp-copy-link button:visible").click()
    page.locator(".bp-link-text").wait_for()
    page.wait_for_function("() => document.querySelector('.bp-link-text').textContent.length > 0")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.url
    assert f"{CODE}-step=3" in copied
    assert page.locator(".bp-link-text").inner_text() == copied
    assert page.locator(".bp-link-status").inner_text() == t("classroom.copied")
    assert page.locator(".bp-toast").first.inner_text() == t("classroom.copied")
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_projection_mode_from_a_bookmark_and_across_pages(shared_page, app_server):
    page = shared_page
    page.set_viewport_size(PROJECTOR)
    open_url(page, f"{app_server}/?present=1")  # a hand-typed bookmark
    page.locator(".st-key-bp-projection").wait_for()
    settle(page)
    assert "present=true" in page.url, "the link was not rewritten to the form a copied link keeps"
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    screenshot(page, "home-1280-projection")

    page.locator(f'[data-testid="stMain"] a[href$="{LESSON.url_path}"]').first.click()
    page.wait_for_url(f"**/{LESSON.url_path}*")
    page.locator('[data-testid="stMain"] h1').wait_for()
    settle(page)
    assert page.locator(".st-key-bp-projection").count() == 1, "projection mode was lost on the next page"
    assert "present=true" in page.url

    page.locator(".st-key-bp-leave-projection button").click()
    page.locator(".st-key-bp-toolbar").wait_for()
    settle(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert "present" not in page.url


@pytest.mark.browser
def test_the_language_comes_from_the_link_and_the_selector_lists_every_language(shared_page, app_server):
    page = shared_page
    page.set_viewport_size(DESKTOP)
    other = next(code for code in languages() if code != "en")
    open_url(page, f"{app_server}/{LESSON.url_path}?lang={other}")  # a code: rewritten to the language's name
    page.wait_for_function("(title) => document.querySelector('h1').innerText === title",
                           arg=catalogue(other)[LESSON.title_key])
    settle(page)
    name = catalogue(other)["classroom.language_name"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["lang"] == [name]
    assert page.locator('[data-testid="stAlert"]').count() == 0

    page.locator('[data-testid="stSidebar"] .st-key-lang [data-testid="stSelectbox"]').click()
    options = page.locator('[role="listbox"] [role="option"]')
    options.first.wait_for()
    assert sorted(options.all_inner_texts()) == sorted(catalogue(code)["classroom.language_name"]
                                                       for code in languages())
    page.keyboard.press("Escape")

    open_url(page, f"{app_server}/{LESSON.url_path}")
    assert page.locator("h1").first.inner_text() == t(LESSON.title_key)


# -- the pictures in projection mode, as drawn ---------------------------------------------------------------------
# Each picture of the step (a Plotly chart, or a diagram drawn as SVG by pages/ui/svg_figure.py): its width, its
# labels (the diagrams' labels, the bars' numbers) with their boxes and font sizes, its axes' tick labels, and the
# rectangles the diagrams draw behind labels.
_CHARTS_JS = """() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const stage = '.st-key-bp-stage ';
    const charts = document.querySelectorAll(stage + '[data-testid="stPlotlyChart"], ' + stage + '.bp-diagram');
    return [...charts].filter((chart) => chart.checkVisibility()).map((chart) => ({
        width: chart.getBoundingClientRect().width,
        labels: [...chart.querySelectorAll(".textpoint text, text.bartext, .bp-diagram svg > text:not(.bp-tick)")]
            .filter((t) => t.textContent.trim())
            .map((t) => ({text: t.textContent, box: box(t), size: parseFloat(getComputedStyle(t).fontSize)})),
        ticks: [...chart.querySelectorAll('g[class$="tick"] > text, text.bp-tick')]
            .map((t) => parseFloat(getComputedStyle(t).fontSize)),
        rects: [...chart.querySelectorAll(".shapelayer path")]
            .filter((p) => /^M[^L]*H[^L]*V[^L]*Z$/.test(p.getAttribute("d"))).map(box)
            .concat([...chart.querySelectorAll(".bp-diagram svg > rect")].map(box)),
    }));
}"""
LABEL_MIN = 13   # px: the smallest label text on the projector (the matrix network's weights)


def _inside(inner, outer, slack: float = 2.0) -> bool:
    """Whether box `inner` lies in `outer`, give or take `slack` pixels (a line of text is drawn about a pixel off
    the centre Plotly gives it, and a little taller than the 1.3 em its box is sized for)."""
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and inner[2] <= outer[2] + slack
            and inner[3] <= outer[3] + slack)


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


# every lesson, and a deep network small enough to label
PROJECTED = [(lesson, {}) for lesson in LESSONS] + [
    (next(lesson for lesson in LESSONS if lesson.url_path == "deep_networks"), {"dn-depth": 1, "dn-width": 1})]


@pytest.mark.browser
@pytest.mark.parametrize("lesson, query", PROJECTED,
                         ids=[lesson.url_path + ("-small" if query else "") for lesson, query in PROJECTED])
def test_projection_mode_draws_the_pictures_text_large_and_apart(shared_page, app_server, lesson, query):
    """At the last step (every label there) on the 1280x720 screen: the diagrams have the width they were laid out
    for; every label is at least LABEL_MIN pixels, and the axes' tick labels CHART_SCALE times the theme's 12 px; no
    two labels overlap; and in a diagram, each label lies inside the box drawn behind it."""
    page = shared_page
    page.set_viewport_size(PROJECTOR)
    open_url(page, f"{app_server}/{lesson.url_path}?{urllib.parse.urlencode({'present': 'true', **query})}")
    press(page, "End")
    k, n = counter(page)
    wait_for_counter(page, n)
    settle(page)
    charts = page.evaluate(_CHARTS_JS)
    assert charts, "no picture beside the step"
    for chart in charts:
        diagram = not chart["ticks"]
        if diagram:
            assert chart["width"] >= PICTURE_WIDTH, "the diagram is narrower than the width it was laid out for"
        assert all(size >= 12 * CHART_SCALE for size in chart["ticks"]), chart["ticks"]
        labels = chart["labels"]
        for i, label in enumerate(labels):
            assert label["size"] >= LABEL_MIN, label
            for other in labels[i + 1:]:
                assert _apart(label["box"], other["box"]), (label["text"], other["text"])
            if diagram:
                x, y = (label["box"][0] + label["box"][2]) / 2, (label["box"][1] + label["box"][3]) / 2
                behind = [r for r in chart["rects"] if r[0] <= x <= r[2] and r[1] <= y <= r[3]]
                if behind:
                    smallest = min(behind, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
                    assert _inside(label["box"], smallest), (label["text"], label["box"], smallest)
    screenshot(page, f"{lesson.url_path}{'-small' if query else ''}-1280-projection-charts")


_FORMULAS_JS = """() => [...document.querySelectorAll('.st-key-bp-stage .katex-display')].map((box) => {
    const math = box.querySelector('.katex');
    return {fits: box.scrollWidth <= box.closest('[data-testid="stMarkdown"]').clientWidth + 1,
            fitted: 'bpFitted' in math.dataset,
            inline: math.style.fontSize, size: parseFloat(getComputedStyle(math).fontSize)};
})"""


@pytest.mark.browser
def test_a_formula_wider_than_its_column_is_set_smaller_in_projection_mode_only(shared_page, app_server):
    """The matrix lesson's dW3 = a2^T dz3 with its numbers (step 14) is wider than the step's half of a 1280x720
    screen at the projected size: it is set smaller until it fits, the other formulas keep their size; back in
    normal mode no formula keeps a fitted size."""
    page = shared_page
    page.set_viewport_size(PROJECTOR)
    open_url(page, f"{app_server}/matrix_network?present=true&mn-step=14")
    settle(page)
    formulas = page.evaluate(_FORMULAS_JS)
    assert formulas and all(f["fits"] for f in formulas), formulas
    fitted = [f for f in formulas if f["fitted"]]
    assert fitted, "no formula needed fitting: the test's example no longer tries it"
    projected = max(f["size"] for f in formulas)
    assert all(f["size"] < projected for f in fitted) and len(fitted) < len(formulas), formulas
    screenshot(page, "matrix_network-1280-projection-fitted")
    press(page, "Escape")
    page.locator(".st-key-bp-toolbar").wait_for()
    settle(page)
    assert page.evaluate("document.querySelectorAll('.katex[data-bp-fitted]').length") == 0
    assert page.evaluate("[...document.querySelectorAll('.katex')].every((m) => !m.style.fontSize)")


# -- the same rules without a browser, under AppTest (fast; they run with the core tests too) -----------------
def _app(lesson: bool = False, **query: str) -> AppTest:
    """app.py opened with a link's ``query`` (on the home page; on the lesson if ``lesson``)."""
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if lesson:  # (AppTest keeps app.py's sidebar widgets only on the run that opened the app)
        at.switch_page(LESSON.file).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("value", ["maybe", "", "<script>alert(1)</script>", "9" * 400])
def test_a_bad_projection_or_language_value_is_named_and_ignored(value):
    at = _app(present=value, lang=value)
    assert [w.value for w in at.warning] == [t("inputs.ignored", names="present, lang")]
    assert at.toggle(key="present").value is False
    assert at.selectbox(key="lang").value == "en"
    assert not at.button(key="bp-enter-projection").disabled


def test_a_hand_typed_link_turns_projection_mode_on():
    at = _app(present="1", lang="en")
    assert at.toggle(key="present").value is True
    assert at.selectbox(key="lang").value == "en"
    assert not at.warning
    assert at.button(key="bp-leave-projection").label == t("classroom.leave")


def test_projection_mode_stacks_the_step_panel():
    """Beside the picture the step has half the screen: SymPy, the numbers and the value go one under another."""
    normal, projected = _app(lesson=True), _app(lesson=True, present="true")
    assert len(normal.columns) > len(projected.columns)


def test_a_repeated_projection_or_language_value_is_named_and_dropped():
    at = _app(present=["true", "false"], lang=["English", catalogue("zh-Hant")["classroom.language_name"]])
    assert [w.value for w in at.warning] == [t("inputs.ignored", names="present, lang")]
    assert at.toggle(key="present").value is False
    assert at.selectbox(key="lang").value == "en"

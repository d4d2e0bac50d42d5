"""The classroom controls (pages/ui/classroom.py, pages/ui/stepper.py) in a real headless Chromium, on the
chain-rule lesson (the quickest to run): the keys a clicker and a keyboard send, autoplay (A), projection mode
on and off (P), the help popover, the copied link, projection mode from a bookmark and across pages, and the
language from the link. At the end, the link rules of projection mode and the language once more under AppTest,
without a browser."""
from __future__ import annotations

import urllib.parse

import pytest
from conftest import DESKTOP, PROJECTOR, REPO_ROOT, counter, open_url, screenshot, settle, wait_for_counter
from streamlit.testing.v1 import AppTest

from pages.ui.classroom import KEYS
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

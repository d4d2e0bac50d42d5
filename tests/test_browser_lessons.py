"""Every stepped lesson in a real headless Chromium: no exception, maths typeset by KaTeX with no raw
LaTeX left, every chart drawn, and both the Next button and the Right arrow advance "Step k of n".
Screenshots of the first and second step at a desktop and a projector size go to tests/screenshots/."""
import re

import pytest
from conftest import SCREENSHOTS, wait_for_idle

from pages.ui.i18n import t
from pages.ui.lessons import LESSONS

pytestmark = pytest.mark.browser

STEPPED = [lesson for lesson in LESSONS if lesson.key in {"chain_rule", "single_node_chain", "matrix_network", "softmax_jacobian"}]
RAW_LATEX = re.compile(r"\\(frac|begin|partial|operatorname|left|right|cdot)\b")
COUNTER = re.compile(t("steps.counter", k=r"(\d+)", n=r"(\d+)").replace("(\\d+)", r"(\d+)"))


def counter(page) -> tuple[int, int]:
    text = page.locator('[data-testid="stMain"]').inner_text()
    match = COUNTER.search(text)
    assert match, "no 'Step k of n' counter on the page"
    return int(match[1]), int(match[2])


def settle(page) -> None:
    """Wait for the run to finish and its maths to be typeset: Streamlit shows its running indicator only
    after a delay, so idleness alone can be seen before the first formula arrives."""
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stMain\"] .katex').length > 0")
    wait_for_idle(page)
    page.wait_for_timeout(300)
    wait_for_idle(page)


def check_rendered(page) -> None:
    main = page.locator('[data-testid="stMain"]')
    assert page.locator('[data-testid="stException"]').count() == 0
    assert main.locator(".katex").count() > 0, "no KaTeX maths on the page"
    assert main.locator(".katex-error").count() == 0, "KaTeX could not typeset a formula"
    visible_text = main.inner_text()
    assert not RAW_LATEX.search(visible_text), f"raw LaTeX visible: {RAW_LATEX.search(visible_text)[0]}"
    for chart in main.locator('[data-testid="stPlotlyChart"]').all():
        assert chart.locator(".main-svg").count() > 0, "a Plotly chart was not drawn"


@pytest.mark.parametrize("lesson", STEPPED, ids=[lesson.url_path for lesson in STEPPED])
@pytest.mark.parametrize("size", [(1400, 900), (1280, 720)], ids=["desktop", "projector"])
def test_lesson_steps_in_the_browser(page, app_server, lesson, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{app_server}/{lesson.url_path}")
    page.wait_for_function("(s) => document.body.innerText.includes(s)", arg=t("steps.counter", k=1, n="").rstrip())
    settle(page)
    check_rendered(page)
    k, n = counter(page)
    assert (k, n) == (1, n) and n > 1
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{lesson.url_path}-{size[0]}-step1.png")

    page.locator('[class*="st-key-"][class*="-next"] button').click()
    page.wait_for_function("(n) => document.body.innerText.includes(n)", arg=t("steps.counter", k=2, n=n))
    wait_for_idle(page)
    assert counter(page) == (2, n)

    page.evaluate("document.activeElement && document.activeElement.blur()")  # the key goes to the page
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(n) => document.body.innerText.includes(n)", arg=t("steps.counter", k=3, n=n))
    settle(page)
    check_rendered(page)
    page.screenshot(path=SCREENSHOTS / f"{lesson.url_path}-{size[0]}-step3.png")

"""The home page in a real headless Chromium: it renders, has no exception, links every lesson."""
import pytest
from conftest import SCREENSHOTS, open_url

from pages.ui.i18n import t
from pages.ui.lessons import LESSONS

pytestmark = pytest.mark.browser


def test_home_page_renders(page, app_server):  # browser first: skip before starting a server
    open_url(page, app_server)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(t("app.tagline")).wait_for()

    assert page.locator('[data-testid="stException"]').count() == 0
    links = main.locator('[data-testid="stPageLink-NavLink"]').all()
    by_path = {link.get_attribute("href").rsplit("/", 1)[-1]: link for link in links}
    for lesson in LESSONS:
        link = by_path.get(lesson.url_path)
        assert link is not None, f"no link to {lesson.url_path}; found {sorted(by_path)}"
        assert link.is_visible(), lesson.url_path
        assert t(lesson.title_key) in link.inner_text()

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "home.png", full_page=True)

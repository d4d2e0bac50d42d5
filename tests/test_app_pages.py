"""The pages run under Streamlit's AppTest: the app loads, the home page lists every lesson,
and every lesson page opens without an exception."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui.i18n import t
from pages.ui.lessons import LESSONS

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 30  # seconds per script run; the first run imports numpy, sympy and plotly


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def test_app_loads_without_exception():
    at = app().run()
    assert not at.exception


def test_home_lists_every_lesson():
    at = app().run()
    page = "\n".join(
        [element.value for element in at.markdown]
        + [str(link.proto.label) for link in at.get("page_link")]
    )
    for lesson in LESSONS:
        assert t(lesson.title_key) in page, lesson.key
        assert t(lesson.summary_key) in page, lesson.key


def test_home_links_to_every_lesson_page():
    at = app().run()
    targets = {link.proto.page for link in at.get("page_link")}
    for lesson in LESSONS:
        assert any(target.endswith(lesson.url_path) for target in targets), lesson.url_path


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_lesson_page_opens(lesson):
    at = app().run()
    at.switch_page(lesson.file).run()
    assert not at.exception
    assert [title.value for title in at.title] == [t(lesson.title_key)]

"""Every language's catalogue matches the English one, and t() speaks the session's language.

Matching means: the same keys (none missing, none extra), the same {placeholders} in each message, the same
mathematics (each LaTeX span between $...$, Plotly's <sub>/<sup>/<br> tags and `code` spans are the English
ones, untouched), and Markdown bold that still renders next to Chinese punctuation. Then every page runs in
every language under AppTest with strict catalogues, so a missing or misspelt key fails here.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from lesson_app import diagrams_html
from streamlit.testing.v1 import AppTest

from pages.ui import i18n
from pages.ui.i18n import DEFAULT_LANGUAGE, catalogue, languages, t
from pages.ui.lessons import HOME_FILE, LESSONS

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 30  # seconds per script run
OTHERS = [language for language in languages() if language != DEFAULT_LANGUAGE]
NAME = "classroom.language_name"

MATH = re.compile(r"\$([^$]*)\$")
TAG = re.compile(r"</?(?:sub|sup|br|b|i)\s*/?>")
CODE = re.compile(r"`[^`]*`")
BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def fields(text: str) -> Counter | str:
    """The {placeholders} str.format would fill, with their format specs; or why the text is no format string."""
    try:
        return Counter((name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                       if name is not None)
    except ValueError as error:  # a text never formatted may hold single braces (its LaTeX): compare the error
        return f"not a format string: {error}"


def pairs(language: str):
    """(key, English text, translated text) for every key both catalogues have."""
    english, other = catalogue(DEFAULT_LANGUAGE), catalogue(language)
    return [(key, english[key], other[key]) for key in sorted(english.keys() & other.keys())]


def test_the_three_languages_are_there():
    assert {"en", "zh-Hans", "zh-Hant"} <= set(languages())


@pytest.mark.parametrize("language", languages())
def test_every_catalogue_loads_and_names_its_language(language):
    messages = catalogue(language)
    assert all(isinstance(text, str) and text.strip() for text in messages.values())
    assert messages[NAME].strip()


def test_language_names_are_distinct():
    names = [catalogue(language)[NAME] for language in languages()]
    assert len(set(names)) == len(names), names
    assert catalogue("zh-Hans")[NAME] == "简体中文"
    assert catalogue("zh-Hant")[NAME] == "繁體中文"


@pytest.mark.parametrize("language", OTHERS)
def test_no_key_missing_or_extra(language):
    english, other = set(catalogue(DEFAULT_LANGUAGE)), set(catalogue(language))
    assert not sorted(english - other), f"the {language} catalogue lacks {sorted(english - other)}"
    assert not sorted(other - english), f"the {language} catalogue has keys English lacks: {sorted(other - english)}"


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_match_english(language):
    wrong = {key: (fields(en), fields(text)) for key, en, text in pairs(language) if fields(en) != fields(text)}
    assert not wrong, f"{language}: placeholders differ from English's: {wrong}"


@pytest.mark.parametrize("language", OTHERS)
def test_formats_wherever_english_does(language):
    """A message t() fills in English must fill in this language with the same values."""
    failures = {}
    for key, en, text in pairs(language):
        names = fields(en)
        if not isinstance(names, Counter) or not names:
            continue
        values = {name: "1" for name, _, _ in names}
        try:
            en.format(**values)
        except (ValueError, KeyError, IndexError):
            continue  # a spec such as {s:g} wants a number: covered by the placeholder comparison
        try:
            text.format(**values)
        except (ValueError, KeyError, IndexError) as error:
            failures[key] = repr(error)
    assert not failures, f"{language}: these messages no longer format: {failures}"


@pytest.mark.parametrize("language", OTHERS)
def test_mathematics_unchanged(language):
    """Each $...$ span, Plotly tag and `code` span of the English message, and no other, in any order."""
    wrong = {}
    for key, en, text in pairs(language):
        if en.count("$") != text.count("$"):
            wrong[key] = f"{en.count('$')} dollar signs in English, {text.count('$')} here"
            continue
        for pattern in (MATH, TAG, CODE):
            expected, found = Counter(pattern.findall(en)), Counter(pattern.findall(text))
            if expected != found:
                wrong[key] = {"missing": sorted((expected - found).elements()),
                              "extra": sorted((found - expected).elements())}
    assert not wrong, f"{language}: mathematics differs from English's: {wrong}"


def _punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


@pytest.mark.parametrize("language", OTHERS)
def test_bold_renders_beside_chinese_punctuation(language):
    """CommonMark: "**" closes only if the text it ends is not punctuation or the next character is a space or
    punctuation. Chinese has no spaces, so "**路径相加。**下一句" shows its asterisks: keep punctuation outside."""
    wrong = {}
    for key, _, text in pairs(language):
        if text.count("**") % 2:
            wrong[key] = "an odd number of **"
        for match in BOLD.finditer(text):
            inner, after = match[1], text[match.end():match.end() + 1]
            before = text[match.start() - 1:match.start()]
            if (_punctuation(inner[-1]) and after and not (after.isspace() or _punctuation(after))) or (
                    _punctuation(inner[0]) and before and not (before.isspace() or _punctuation(before))):
                wrong[key] = match[0]
    assert not wrong, f"{language}: bold that would not render: {wrong}"


def test_t_takes_an_explicit_language():
    assert t("nav.home", lang="zh-Hans") == "首页"
    assert t("nav.home", lang="zh-Hant") == "首頁"
    assert t("steps.counter", lang="zh-Hans", k=2, n=9) == "第 2 步，共 9 步"
    assert t("nav.home", lang="en") == "Home"


def test_t_outside_a_streamlit_script_is_english():
    assert i18n.current_language() == DEFAULT_LANGUAGE
    assert t("nav.home") == catalogue(DEFAULT_LANGUAGE)["nav.home"]


def test_language_code_reads_a_code_or_a_name():
    assert i18n.language_code("zh-Hant") == "zh-Hant"
    assert i18n.language_code("简体中文") == "zh-Hans"
    assert i18n.language_code("Klingon") is None
    assert i18n.language_code(None) is None


# -- t() in a running app: the session's language -----------------------------------------------------

def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def texts(at: AppTest) -> list[str]:
    """What the page shows in words: titles, headers, markdown, captions, notices, widget labels."""
    shown = [element.value for kind in ("title", "header", "subheader", "markdown", "caption")
             for element in getattr(at, kind)]
    shown += [element.value for kind in ("info", "warning", "error", "success") for element in getattr(at, kind)]
    shown += [widget.label for kind in ("button", "selectbox", "slider", "toggle", "radio", "number_input")
              for widget in getattr(at, kind)]
    return [text for text in shown if isinstance(text, str)]


@pytest.mark.parametrize("language", OTHERS)
def test_the_selector_switches_the_page_language(language):
    """The selector (pages/ui/classroom.py) sets the session's language: this page and the next speak it.

    (AppTest keeps app.py's sidebar only on the run that opens the app, so the language is chosen there.)
    """
    lesson = LESSONS[0]
    at = app().run()
    assert [header.value for header in at.header] == [catalogue(DEFAULT_LANGUAGE)["home.lessons_heading"]]
    at.selectbox(key=i18n.LANG_KEY).set_value(language).run()
    assert [header.value for header in at.header] == [catalogue(language)["home.lessons_heading"]]
    at.switch_page(lesson.file).run()
    assert not at.exception
    assert [title.value for title in at.title] == [catalogue(language)[lesson.title_key]]


def test_one_sessions_language_is_not_anothers():
    chinese, english = app(), app()
    chinese.run()
    chinese.selectbox(key=i18n.LANG_KEY).set_value("zh-Hans").run()
    english.run()
    assert [header.value for header in chinese.header] == [catalogue("zh-Hans")["home.lessons_heading"]]
    assert [header.value for header in english.header] == [catalogue("en")["home.lessons_heading"]]


@pytest.mark.parametrize("language", OTHERS)
def test_a_link_opens_in_its_language(language):
    """On a first run app.py names its pages before the selector is drawn: the link's ?lang= counts then."""
    at = app()
    at.query_params[i18n.LANG_KEY] = catalogue(language)[NAME]
    at.run()
    assert not at.exception
    assert at.session_state[i18n.LANG_KEY] == language
    assert [header.value for header in at.header] == [catalogue(language)["home.lessons_heading"]]


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("file", [HOME_FILE] + [lesson.file for lesson in LESSONS],
                         ids=["home"] + [lesson.key for lesson in LESSONS])
def test_every_page_runs_in_every_language(file, language):
    """Strict catalogues (tests/conftest.py): a key this language lacks raises; no raw key is shown."""
    at = app().run()
    at.selectbox(key=i18n.LANG_KEY).set_value(language).run()
    if file != HOME_FILE:
        at.switch_page(file).run()
    assert not at.exception, [exception.message for exception in at.exception]
    keys = set(catalogue(language))
    shown = texts(at)
    assert shown
    assert not [text for text in shown if text in keys], "a raw catalogue key is shown"
    assert any(re.search(r"[\u4e00-\u9fff]", text) for text in shown), "no Chinese on the page"


# -- caches: one session's language never reaches another's ---------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def charts(at: AppTest) -> list[str]:
    """The charts' specs and the diagrams' HTML."""
    return [chart.proto.spec for chart in at.get("plotly_chart")] + diagrams_html(at)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_cached_figures_follow_each_sessions_language(lesson):
    """A Chinese session and then an English one on the same example: each sees its own chart titles."""
    chinese = app().run()
    chinese.selectbox(key=i18n.LANG_KEY).set_value("zh-Hans").run()
    chinese.switch_page(lesson.file).run()
    english = app().run()
    english.switch_page(lesson.file).run()
    assert not chinese.exception and not english.exception
    assert charts(english) and charts(chinese)
    assert not [spec for spec in charts(english) if CJK.search(spec)], "Chinese in an English session's chart"
    assert any(CJK.search(spec) for spec in charts(chinese)), "no Chinese in a Chinese session's charts"

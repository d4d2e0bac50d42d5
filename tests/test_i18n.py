"""The message catalogue: it loads, every key the code uses exists, and t() fills fields."""
import re
import shutil
from pathlib import Path

import pytest

from pages.ui import i18n
from pages.ui.i18n import DEFAULT_LANGUAGE, catalogue, languages, t
from pages.ui.lessons import LESSONS

REPO_ROOT = Path(__file__).resolve().parents[1]
# t("some.key"...) or t('some.key'...) with a literal first argument.
T_CALL = re.compile(r"""\bt\(\s*(["'])([\w.]+)\1""")


def sources() -> list[Path]:
    return [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "pages").rglob("*.py"))]


def used_keys() -> set[str]:
    keys = {match[2] for path in sources() for match in T_CALL.finditer(path.read_text("utf-8"))}
    # Keys built from the lesson records rather than written as literals.
    keys |= {lesson.title_key for lesson in LESSONS} | {lesson.summary_key for lesson in LESSONS}
    return keys


def test_catalogue_loads():
    assert DEFAULT_LANGUAGE in languages()
    messages = catalogue(DEFAULT_LANGUAGE)
    assert messages["app.name"] == "Backprop Lab"
    assert all(isinstance(text, str) and text.strip() for text in messages.values())


def test_the_scan_finds_keys():
    assert {"app.name", "home.intro"} <= used_keys()


@pytest.mark.parametrize("language", languages())
def test_every_used_key_exists(language):
    keys = set(catalogue(language))
    # A literal ending in "." is the fixed part of a key built at run time, t("phase." + name):
    # at least one message must sit under it.
    missing = sorted(
        key
        for key in used_keys()
        if (not any(k.startswith(key) for k in keys) if key.endswith(".") else key not in keys)
    )
    assert not missing, f"the {language} catalogue lacks {missing}"


def test_t_formats_kwargs():
    assert t("home.lesson_number", number=3) == "Lesson 3"
    assert t("home.notes_many", notes="000, 001").endswith("000, 001")


def test_missing_key_raises_when_strict(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with pytest.raises(KeyError):
        t("no.such.key")
    with pytest.raises(KeyError):
        t("app.name", lang="xx")


def test_missing_key_falls_back_in_the_app(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "0")
    assert t("no.such.key") == "no.such.key"
    assert t("app.name", lang="xx") == catalogue(DEFAULT_LANGUAGE)["app.name"]


@pytest.fixture
def messages_dir(tmp_path, monkeypatch):
    """A scratch catalogue folder holding a copy of the English catalogue; caches cleared before and after."""
    shutil.copytree(i18n.MESSAGES_DIR / "en", tmp_path / "en")
    monkeypatch.setattr(i18n, "MESSAGES_DIR", tmp_path)
    i18n.languages.cache_clear()
    i18n.catalogue.cache_clear()
    yield tmp_path
    i18n.languages.cache_clear()
    i18n.catalogue.cache_clear()


def test_a_new_language_is_data_only(messages_dir, monkeypatch):
    (messages_dir / "xx").mkdir()
    (messages_dir / "xx" / "home.toml").write_text('[home]\nlesson_number = "Leçon {number}"\n', "utf-8")
    monkeypatch.setenv(i18n.STRICT_ENV, "0")
    assert languages() == ("en", "xx")
    assert t("home.lesson_number", lang="xx", number=2) == "Leçon 2"
    assert t("app.name", lang="xx") == "Backprop Lab"  # not translated yet: English


def test_a_key_defined_in_two_files_is_an_error(messages_dir):
    (messages_dir / "en" / "zz_twice.toml").write_text('[app]\nname = "Twice"\n', "utf-8")
    with pytest.raises(ValueError, match="app.name"):
        catalogue("en")

"""Message catalogues: every user-facing string comes from assets/messages/<language>/*.toml.

A language is a folder of TOML files whose nested tables become dotted keys: ``[home] intro = "..."`` is
``t("home.intro")``; the files of a folder are merged, and a key defined twice is an error. Adding a
language is data only: a folder ``fr/`` beside ``en/`` with the same keys.

The language: ``t(key)`` speaks the language of the session whose script is running, the one the
classroom's selector keeps in ``st.session_state["lang"]`` (pages/ui/classroom.py); outside a Streamlit
script, English. ``t(key, lang="zh-Hans")`` asks for one language explicitly. Nothing here is cached
per session: the catalogues are cached per language, and the session's language is looked up at each
call, so one session's choice never leaks into another's. (The same holds for callers: a message built
once at import time, or inside an ``st.cache_data`` function whose arguments do not include the
language, would freeze one session's language for every session.)

Missing keys: in the app, ``t`` falls back to English, then to the key itself, so a gap in a
translation never breaks a page. With the environment variable ``BACKPROP_LAB_STRICT_I18N=1``
(the test suite sets it, and the app processes the tests start inherit it) a missing key or
language raises KeyError instead, so a gap fails a test rather than showing a raw key.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

MESSAGES_DIR = Path(__file__).resolve().parents[2] / "assets" / "messages"
DEFAULT_LANGUAGE = "en"
STRICT_ENV = "BACKPROP_LAB_STRICT_I18N"
LANG_KEY = "lang"  # the session key and URL parameter of the classroom's language selector
NAME_KEY = "classroom.language_name"  # each catalogue's name for its own language


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Codes of the available catalogues ("en", "zh-Hans", ...), sorted; read once per process."""
    return tuple(sorted(path.name for path in MESSAGES_DIR.iterdir() if path.is_dir() and any(path.glob("*.toml"))))


@lru_cache(maxsize=None)
def catalogue(language: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """One language's messages as a read-only mapping of dotted key -> text, read once per process.

    Raises KeyError for a language with no catalogue folder.
    """
    if language not in languages():
        raise KeyError(f"no message catalogue for language {language!r} (looked for {MESSAGES_DIR.name}/{language}/)")
    merged: dict[str, str] = {}
    for path in sorted((MESSAGES_DIR / language).glob("*.toml")):
        with path.open("rb") as file:
            flat = _flatten(tomllib.load(file), prefix="")
        twice = merged.keys() & flat.keys()
        if twice:
            raise ValueError(f"{language}/{path.name} defines keys already defined elsewhere: {sorted(twice)}")
        merged.update(flat)
    return MappingProxyType(merged)


def _flatten(table: Mapping[str, object], prefix: str) -> dict[str, str]:
    """Nested tables -> dotted keys; every leaf must be a string."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, prefix=f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"message {key!r} must be a string, not {type(value).__name__}")
    return flat


def strict() -> bool:
    """True when a missing message must raise (tests) rather than fall back (the app)."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def language_code(raw: str | None) -> str | None:
    """The code of the language ``raw`` names, by its code ("zh-Hant") or by its own name ("繁體中文"); else None."""
    if not raw:
        return None
    for code in languages():
        if raw == code or raw == catalogue(code).get(NAME_KEY):
            return code
    return None


def current_language() -> str:
    """The running session's language, or DEFAULT_LANGUAGE outside a Streamlit script.

    The session's choice is the selector's value in session state. On a session's first run, app.py names
    its pages before the selector is drawn, so until then a language in the link (``?lang=``) counts.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # the core and its notebooks run without streamlit
        return DEFAULT_LANGUAGE
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT_LANGUAGE
    import streamlit as st

    chosen = st.session_state.get(LANG_KEY)
    if chosen is not None:
        return chosen if chosen in languages() else DEFAULT_LANGUAGE
    return language_code(st.query_params.get(LANG_KEY)) or DEFAULT_LANGUAGE


def t(key: str, /, lang: str | None = None, **kwargs: object) -> str:
    """The message ``key`` in language ``lang`` (None: the session's), with ``{name}`` fields filled from kwargs.

    Lookup order: ``lang``, then English, then the key itself; in strict mode only ``lang``,
    and a miss raises KeyError.
    """
    language = current_language() if lang is None else lang
    if strict():
        text = catalogue(language)[key]
        return text.format(**kwargs) if kwargs else text
    text = _lenient(key, language)
    if not kwargs:
        return text
    try:
        return text.format(**kwargs)
    except (KeyError, IndexError, ValueError):  # a translation's broken {field}: English rather than a crash
        return _lenient(key, DEFAULT_LANGUAGE).format(**kwargs)


def _lenient(key: str, lang: str) -> str:
    for language in (lang, DEFAULT_LANGUAGE):
        if language in languages() and key in catalogue(language):
            return catalogue(language)[key]
    return key

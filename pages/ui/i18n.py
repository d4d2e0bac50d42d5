"""Message catalogues: every user-facing string comes from assets/messages/<language>.toml.

A catalogue is a TOML file whose nested tables become dotted keys: ``[home] intro = "..."`` is
``t("home.intro")``. Adding a language is data only: drop ``fr.toml`` beside ``en.toml``.

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


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Codes of the available catalogues ("en", ...), sorted; read once per process."""
    return tuple(sorted(path.name for path in MESSAGES_DIR.iterdir() if path.is_dir() and any(path.glob("*.toml"))))


@lru_cache(maxsize=None)
def catalogue(language: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """One language's messages as a read-only mapping of dotted key -> text.

    Raises KeyError for a language with no catalogue file.
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


def t(key: str, /, lang: str = DEFAULT_LANGUAGE, **kwargs: object) -> str:
    """The message ``key`` in language ``lang``, with ``{name}`` fields filled from kwargs.

    Lookup order: ``lang``, then English, then the key itself; in strict mode only ``lang``,
    and a miss raises KeyError.
    """
    if strict():
        text = catalogue(lang)[key]
    else:
        text = _lenient(key, lang)
    return text.format(**kwargs) if kwargs else text


def _lenient(key: str, lang: str) -> str:
    for language in (lang, DEFAULT_LANGUAGE):
        if language in languages() and key in catalogue(language):
            return catalogue(language)[key]
    return key

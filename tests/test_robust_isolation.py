"""Isolation (issue 7): one student's session never sees another's values.

- Two AppTest sessions of every lesson page, interleaved, with different inputs: each shows what a session
  with its inputs alone shows (the same texts, maths and widget values), whatever the other did in between.
- Two sessions in two languages, and projection mode in one of them, never cross.
- Two real browser sessions against one server (the browser fixtures of tests/conftest.py; skipped without
  a Chromium unless BROWSER_TESTS=required).
- Static: no module-level mutable state in bp_core and pages/ (the modules every session shares); the cached
  functions take only their inputs: they read no session state, no URL, no widget, no global that changes,
  and a cached function that writes a message takes the language as an argument. While the pages run, every
  argument a cached function receives is hashable.
"""
from __future__ import annotations

import ast
import contextlib
import pickle
import random
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button, Slider
from test_robust_pages import apply, choices, nodes, numeric, open_page, stepper_code, widgets

from pages.ui import i18n
from pages.ui.lessons import LESSONS

ROOT = Path(__file__).resolve().parents[1]
SHOWN = ("Markdown", "Latex", "Caption", "Warning", "Error", "Info", "Metric", "Title", "Subheader", "Header")


def fingerprint(at: AppTest) -> tuple:
    """What the learner sees: the texts and maths, and every widget's value, in page order."""
    out = []
    for node in nodes(at):
        kind = type(node).__name__
        if kind in SHOWN:
            out.append((kind, str(getattr(node, "value", ""))))
        elif hasattr(node, "_widget_state") and not isinstance(node, Button) and getattr(node, "key", None):
            try:
                out.append((kind, node.key, repr(node.value)))
            except Exception:  # noqa: BLE001 - a widget AppTest cannot read has no value to compare
                continue
    return tuple(out)


def set_numbers(at: AppTest, seed: int) -> None:
    """Every slider of the example (not the step box) to a value drawn from `seed`, at its bounds or inside."""
    rng = random.Random(seed)
    for w in widgets(at):
        if numeric(w) and isinstance(w, Slider):
            lo, hi = choices(w)
            value = rng.choice((lo, hi, lo + (hi - lo) * rng.random()))
            apply(w, type(lo)(round(value)) if isinstance(lo, int) else float(value))


def click_next(at: AppTest) -> None:
    code = stepper_code(at)
    nxt = next((w for w in widgets(at) if w.key == f"{code}-next"), None)
    if nxt is not None:
        nxt.click()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_two_interleaved_sessions_keep_their_own_values(lesson):
    a, b = open_page(lesson.file), open_page(lesson.file)
    set_numbers(a, seed=1)
    a.run()
    set_numbers(b, seed=2)
    b.run()
    click_next(a)
    a.run()
    click_next(b)
    b.run()
    click_next(b)
    b.run()
    seen_a, seen_b = fingerprint(a), fingerprint(b)
    assert seen_a != seen_b, "the two sessions were meant to differ"
    a.run()  # a rerun of A after B's runs: nothing of B's may show
    assert fingerprint(a) == seen_a
    # the same actions in a session alone
    alone_a, alone_b = open_page(lesson.file), open_page(lesson.file)
    set_numbers(alone_a, seed=1)
    alone_a.run()
    click_next(alone_a)
    alone_a.run()
    set_numbers(alone_b, seed=2)
    alone_b.run()
    for _ in range(2):
        click_next(alone_b)
        alone_b.run()
    assert fingerprint(alone_a) == seen_a, "session A shows something it would not show alone"
    assert fingerprint(alone_b) == fingerprint(b), "session B shows something it would not show alone"
    assert not a.exception and not b.exception


def _open_in(file: str, language: str | None) -> AppTest:
    return open_page(file, {i18n.LANG_KEY: i18n.catalogue(language)[i18n.NAME_KEY]} if language else None)


@contextlib.contextmanager
def serialized_in(language: str):
    """AppTest turns a select box's value back into its label outside the script, where i18n speaks English;
    for a session in another language, let it speak that language there (inside the script nothing changes)."""
    real = i18n.current_language

    def current() -> str:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return real() if get_script_run_ctx(suppress_warning=True) is not None else language

    i18n.current_language = current
    try:
        yield
    finally:
        i18n.current_language = real


@pytest.mark.skipif(len(i18n.languages()) < 2, reason="one language only")
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_language_of_one_session_never_shows_in_another(lesson):
    """Same inputs (so the same cache keys) in two languages, interleaved: each session's texts, maths and
    charts are in its own language, in particular the charts the pages cache."""
    other = next(code for code in i18n.languages() if code != i18n.DEFAULT_LANGUAGE)
    en, xx = _open_in(lesson.file, None), _open_in(lesson.file, other)
    click_next(en)
    en.run()
    click_next(xx)
    with serialized_in(other):
        xx.run()
    en.run()
    assert not en.exception and not xx.exception
    title = i18n.t(lesson.title_key, lang=i18n.DEFAULT_LANGUAGE)
    title_other = i18n.t(lesson.title_key, lang=other)
    assert [t.value for t in en.title] == [title]
    assert [t.value for t in xx.title] == [title_other]
    # every message of this page's own catalogue table, long enough to be telling, in the wrong session
    table = lesson.key + "."
    english = {v for k, v in i18n.catalogue(i18n.DEFAULT_LANGUAGE).items()
               if k.startswith(table) and len(v) > 12 and "{" not in v
               and v != i18n.catalogue(other).get(k)}
    charts = [s for n in nodes(xx) if getattr(n, "type", "") == "plotly_chart" for s in [n.proto.spec]]
    leaked = sorted(v for v in english for spec in charts if v in spec)
    assert not leaked, f"{other} session's charts hold English text: {leaked[:5]}"
    shown = [str(getattr(n, "value", "")) for n in nodes(xx) if type(n).__name__ in SHOWN]
    leaked = sorted(v for v in english for s in shown if v in s)
    assert not leaked, f"{other} session shows English text: {leaked[:5]}"


def test_projection_mode_of_one_session_stays_there(through_app):
    lesson = LESSONS[0]
    a, b = open_page(lesson.file), open_page(lesson.file)
    toggle = next((w for w in widgets(a) if getattr(w.proto, "query_param_key", "") == "present"), None)
    assert toggle is not None, "no projection mode toggle on the lesson"
    toggle.set_value(True).run()
    b.run()
    assert a.session_state["present"] is True
    assert b.session_state["present"] is False
    assert fingerprint(b) == fingerprint(open_page(lesson.file))


# ---------------------------------------------------------------------------------------------------------
# two real sessions against one server
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_two_browser_sessions_against_one_server(browser, app_server):
    from conftest import DESKTOP, counter, open_url, wait_for_counter

    lesson = next(lesson for lesson in LESSONS if lesson.key == "matrix_network")
    base = f"{app_server}/{lesson.url_path}"
    contexts = [browser.new_context(viewport=DESKTOP) for _ in range(3)]
    try:
        a, b, c = (context.new_page() for context in contexts)
        open_url(a, f"{base}?mn-x1=-3&mn-w111=2&mn-step=3")
        open_url(b, f"{base}?mn-x1=3&mn-w111=-2&mn-step=5")
        assert counter(a)[0] == 3 and counter(b)[0] == 5
        a.get_by_role("button", name=i18n.t("steps.next")).first.click()
        wait_for_counter(a, 4)
        b.get_by_role("button", name=i18n.t("steps.next")).first.click()
        wait_for_counter(b, 6)
        assert counter(a)[0] == 4, "A's step moved with B's"
        assert "mn-x1=-3" in a.url and "mn-x1=3" in b.url and "mn-x1=-3" not in b.url
        # A's page is exactly what a third, fresh session shows for A's link at A's step
        open_url(c, f"{base}?mn-x1=-3&mn-w111=2&mn-step=4")
        main = '[data-testid="stMain"] .katex'
        assert a.locator(main).all_inner_texts() == c.locator(main).all_inner_texts()
        assert a.locator(main).all_inner_texts() != b.locator(main).all_inner_texts()
    finally:
        for context in contexts:
            context.close()


# ---------------------------------------------------------------------------------------------------------
# static: module-level state and caches
# ---------------------------------------------------------------------------------------------------------
MUTABLE_CALLS = {"list", "dict", "set", "defaultdict", "OrderedDict", "deque", "Counter", "bytearray", "array",
                 "zeros", "ones", "empty", "full"}
IMMUTABLE_CALLS = {"tuple", "frozenset", "MappingProxyType"}


def _shared_modules() -> list[Path]:
    """Modules imported once per process, so shared by every session: bp_core and pages/ui."""
    return sorted((ROOT / "bp_core").glob("*.py")) + sorted((ROOT / "pages" / "ui").glob("*.py")) + \
        [ROOT / "pages" / "__init__.py"]


def _lesson_scripts() -> list[Path]:
    """The page scripts: Streamlit executes each in a new module namespace on every run (navigation/page.py:
    types.ModuleType("__main__") then exec), so their script variables are per run; their constants count."""
    return sorted(p for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")


def _top_level_assignments(tree: ast.Module):
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        yield name.id, node.value, node.lineno
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For)):
            todo += [n for field in ("body", "orelse", "finalbody") for n in getattr(node, field, [])]
            todo += [n for handler in getattr(node, "handlers", []) for n in handler.body]


def _mutable(value: ast.AST) -> str | None:
    """What mutable container a value builds, if it does."""
    if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return type(value).__name__.lower()
    if isinstance(value, ast.Call):
        f = value.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in MUTABLE_CALLS:
            return f"{name}()"
    return None


def _violations(path: Path, constants_only: bool) -> set[str]:
    rel = path.relative_to(ROOT).as_posix()
    found = set()
    for name, value, _ in _top_level_assignments(ast.parse(path.read_text())):
        if name.startswith("__") and name.endswith("__"):
            continue  # __all__ and friends: read by the import system, not by the app
        if constants_only and not name.isupper():
            continue
        kind = _mutable(value)
        if kind:
            found.add(f"{rel}: {name} = {kind}")
    return found


def _all_violations() -> set[str]:
    found = set()
    for path in _shared_modules():
        found |= _violations(path, constants_only=False)
    for path in _lesson_scripts():
        found |= _violations(path, constants_only=True)
    return found


def test_no_module_level_mutable_state_at_all():
    """bp_core and pages/ui: no module-level list, dict or set (nor a call that builds one); lesson scripts: no
    such CONSTANT. Each would be one `.append` or `[k] = v` away from leaking between students: tuples,
    frozensets and MappingProxyType are the rule (as bp_core/presets.py does)."""
    found = _all_violations()
    assert not found, "module-level mutable containers (use a tuple, frozenset or MappingProxyType):\n" + \
        "\n".join(sorted(found))


def _decorator_name(node: ast.AST) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


CACHES = ("st.cache_data", "st.cache_resource", "lru_cache", "functools.lru_cache", "cache", "functools.cache")
MESSAGE_FUNCTIONS = {"t", "_c"}
# underscore arguments that Streamlit leaves out of the key, reviewed: (file, function, argument) -> why pure
REVIEWED_UNHASHED = {
    ("pages/training.py", "trained", "_before"): "the run up to the previous chunk, determined by (s, upto)",
}


# st.cache_resource gives every session the same object: allowed only for results that are only ever read, reviewed
# here, (file, function) -> why; test_shared_cached_objects_stay_unchanged checks it while the pages run
REVIEWED_SHARED = {
    ("pages/softmax_jacobian.py", name): "a go.Figure keyed by its inputs and the language, only passed to "
                                         "svg_figure.show, which reads a copy of it as dicts (unpickling a figure "
                                         "from st.cache_data would validate it again)"
    for name in ("probability_figure", "gradient_figure", "jacobian_figure", "batch_figure")
}


# cached functions whose helpers call t() only on a path they do not take: (file, function) -> why
REVIEWED_MESSAGES = {
    ("pages/training.py", "boundary"): "calls run_to_end(s, progress=False): the progress bar, and its t(), is "
                                       "only drawn with progress=True",
}


def _cached_functions():
    for path in _shared_modules() + _lesson_scripts():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text())
        functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for fn in functions.values():
            names = [_decorator_name(d) for d in fn.decorator_list]
            cache = next((n for n in names if n in CACHES), None)
            if cache:
                yield rel, fn, cache, functions


def _calls_in(fn: ast.FunctionDef) -> set[str]:
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            out.add(f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else "")
    return out


def _writes_messages(fn: ast.FunctionDef, functions: dict, seen=None) -> bool:
    """Calls t() (or a helper of the same module that does)."""
    seen = seen or set()
    calls = _calls_in(fn)
    if calls & MESSAGE_FUNCTIONS:
        return True
    for name in calls & set(functions) - seen:
        seen.add(name)
        if _writes_messages(functions[name], functions, seen):
            return True
    return False


def test_cached_functions_take_only_their_inputs():
    """A cached function (st.cache_data, lru_cache) reads no session state, URL or widget and declares no global;
    one that writes a message (t) has the language among its arguments; no st.cache_resource (one object for
    every session) but where reviewed; an argument left out of the key (a leading underscore) is reviewed."""
    problems = []
    for rel, fn, cache, functions in _cached_functions():
        where = f"{rel}: {fn.name}"
        if cache == "st.cache_resource" and (rel, fn.name) not in REVIEWED_SHARED:
            problems.append(f"{where}: st.cache_resource shares one object between every session")
        for node in (n for statement in fn.body for n in ast.walk(statement)):  # the body: not the decorators
            if isinstance(node, ast.Attribute) and node.attr in ("session_state", "query_params", "context"):
                problems.append(f"{where}: reads st.{node.attr}")
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                problems.append(f"{where}: declares {type(node).__name__.lower()} {node.names}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("st", "streamlit")
                    and node.func.attr not in ("cache_data",)):
                problems.append(f"{where}: calls st.{node.func.attr} (a cached function draws nothing)")
        args = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
        if (_writes_messages(fn, functions) and not any(a in ("lang", "language") for a in args)
                and (rel, fn.name) not in REVIEWED_MESSAGES):
            problems.append(f"{where}: writes messages (t) but the language is not an argument, so one session's "
                            "language would be cached for every session")
        for a in args:
            if a.startswith("_") and cache.startswith("st.") and (rel, fn.name, a) not in REVIEWED_UNHASHED:
                problems.append(f"{where}: argument {a} is left out of the cache key")
        if fn.args.vararg or fn.args.kwarg:
            problems.append(f"{where}: *args/**kwargs")
    assert not problems, "\n".join(problems)


def _watch_cache(monkeypatch, decorator: str, on_args=None, on_result=None) -> None:
    """Replace streamlit.<decorator> (cache_data or cache_resource) by one that caches as before and, on every
    call of a cached function, calls on_args(func, args, kwargs) before it and on_result(func, result) after."""
    real = getattr(streamlit, decorator)

    class Watch:
        def __call__(self, func=None, **kwargs):
            if func is None:
                return lambda f: self(f, **kwargs)
            cached = real(func, **kwargs)

            def wrapper(*args, **kw):
                if on_args:
                    on_args(func, args, kw)
                out = cached(*args, **kw)
                if on_result:
                    on_result(func, out)
                return out

            wrapper.clear = getattr(cached, "clear", None)
            return wrapper

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(streamlit, decorator, Watch())


def _run_every_lesson(again: bool = False) -> None:
    """Each lesson page opened, a step taken; with `again`, opened once more in a new session."""
    for lesson in LESSONS:
        at = open_page(lesson.file)
        assert not at.exception, (lesson.file, [e.value for e in at.exception])
        click_next(at)
        at.run()
        if again:
            open_page(lesson.file).run()


def test_cached_functions_get_hashable_arguments_while_the_pages_run(monkeypatch):
    """Wrap st.cache_data: every argument a page passes to a cached function (but the reviewed underscore ones)
    must be hashable, i.e. a plain value (tuples, not lists or arrays), so the key is the input itself."""
    unhashable = []

    def check_arguments(func, args, kw) -> None:
        for i, value in enumerate(list(args) + list(kw.values())):
            name = (list(func.__code__.co_varnames[:func.__code__.co_argcount]) + list(kw))[i] \
                if i < func.__code__.co_argcount + len(kw) else "?"
            if name.startswith("_"):
                continue
            try:
                hash(value)
            except TypeError:
                unhashable.append(f"{func.__qualname__}({name}={type(value).__name__})")

    _watch_cache(monkeypatch, "cache_data", on_args=check_arguments)
    _run_every_lesson()
    assert not unhashable, sorted(set(unhashable))


def _snapshot(obj) -> bytes:
    """What an object holds, to tell whether anything changed it: a figure's JSON, or the object pickled."""
    to_json = getattr(obj, "to_json", None)
    return to_json().encode() if callable(to_json) else pickle.dumps(obj)


def test_shared_cached_objects_stay_unchanged(monkeypatch):
    """Wrap st.cache_resource: every object it hands out is recorded as it was made, and after every lesson page
    has run (twice, a step apart) each is still exactly that: nothing a session did changed what the next
    session gets."""
    first_seen = {}  # id -> (function, object, snapshot when first handed out)

    def record(func, out) -> None:
        first_seen.setdefault(id(out), (func.__qualname__, out, _snapshot(out)))

    _watch_cache(monkeypatch, "cache_resource", on_result=record)
    _run_every_lesson(again=True)
    assert first_seen or not REVIEWED_SHARED, "no shared object was handed out: is the watch still in place?"
    changed = sorted({name for name, obj, before in first_seen.values() if _snapshot(obj) != before})
    assert not changed, f"objects shared by every session were changed after they were cached: {changed}"

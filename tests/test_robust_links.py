"""Hostile links (issue 7): every page opened with every parameter bound to its widgets set to hostile values
(nan, inf, -inf, 1e309, empty, a string, a script tag, SQL, 10,000 characters, control characters, a repeated
parameter) shows the default and a notice naming the parameter, and raises nothing. No text from a URL is ever
rendered as HTML or handed to eval, sympify or parse_expr (a static scan of the code, and a watch on those
functions while the hostile links run).

The parameters are discovered, not listed: the widgets of a page's first run that are bound to the URL, and those
that appear when a bound select box, radio or toggle takes another value or a bound slider its maximum.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import sympy
from conftest import counter_pattern, open_url, settle
from streamlit.testing.v1.element_tree import Radio, Selectbox, SelectSlider, Slider, Toggle, Widget
from sympy.parsing import sympy_parser
from test_robust_pages import apply, bound, choices, current, nodes, open_page, texts

from pages.ui.classroom import LANG, PRESENT
from pages.ui.i18n import t
from pages.ui.lessons import HOME_FILE, LESSONS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [HOME_FILE] + [lesson.file for lesson in LESSONS]
HOSTILE = {
    "nan": "nan",
    "inf": "inf",
    "-inf": "-inf",
    "1e309": "1e309",
    "empty": "",
    "string": "abc",
    "script": "<script>alert(1)</script>",
    "sql": "'; DROP TABLE x; --",
    "10k": "1" * 10_000,
    "control": "\u0000\u202e",
    "repeated": None,  # two valid, different values of the parameter: see repeated()
}
APP_WIDE = {LANG, PRESENT}  # app.py's own parameters: the language and projection mode
# values that must never come back on the page, as text or markup
ECHO = ("<script>alert(1)</script>", "'; DROP TABLE x; --", "1" * 10_000, "\u0000\u202e")


@dataclass(frozen=True)
class Param:
    key: str
    kind: str              # the widget's type
    default: object        # the widget's value on a link-less first run
    pair: tuple[str, str]  # two different valid values as a link writes them


def _link_value(widget: Widget, value) -> str:
    """A value as the URL writes it: the option's label, true/false, the number."""
    if isinstance(value, tuple) and value and value[0] == "label":
        return value[1]
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _param(widget: Widget) -> Param:
    ends = [c for c in choices(widget) if c != "click"]
    pair = (_link_value(widget, ends[0]), _link_value(widget, ends[-1])) if len(ends) >= 2 else ("", "")
    return Param(widget.proto.query_param_key, type(widget).__name__.removeprefix("ByLabel"), widget.value, pair)


@lru_cache(maxsize=None)
def discover(file: str) -> tuple[Param, ...]:
    """The page's URL parameters with their defaults, found by running it: first as it opens, then with each
    bound select box, radio or toggle at each of its values and each bound slider at its maximum, one at a
    time and put back, to reveal the widgets that only appear then (the deep page's per-layer widths, the
    softmax page's fourth logit). The language and projection mode (on every page) are attacked but not varied:
    they change how the page reads, not which widgets it has."""
    at = open_page(file)
    found = {key: _param(w) for key, w in bound(at).items()}
    for key, w in list(bound(at).items()):
        if not isinstance(w, (Selectbox, Radio, Toggle, Slider, SelectSlider)) or key in APP_WIDE:
            continue
        before = current(w)
        tries = choices(w)[-1:] if isinstance(w, (Slider, SelectSlider)) else choices(w)
        for value in tries + [before]:
            widget = bound(at).get(key)
            if widget is None or getattr(widget.proto, "disabled", False):
                break
            apply(widget, value)
            at.run()
            for new_key, new in bound(at).items():
                found.setdefault(new_key, _param(new))
    return tuple(found.values())


def shown_value(at, key: str):
    w = bound(at).get(key)
    return None if w is None else w.value


def notices(at) -> str:
    """The warnings of the page, and of the session's first run (where app-wide parameters are named)."""
    return "\n".join([w.value for w in at.warning] + getattr(at, "first_warnings", []))


def link_for(params: tuple[Param, ...], name: str) -> dict:
    value = HOSTILE[name]
    return {p.key: (list(p.pair) if value is None else value) for p in params}


@contextlib.contextmanager
def watch_parsers():
    """Record every call of eval, sympify or parse_expr whose text argument holds a link's value."""
    calls = []
    originals = {"eval": builtins.eval, "sympify": sympy.sympify, "parse_expr": sympy_parser.parse_expr}

    def recorder(name):
        def wrapped(*args, **kwargs):
            for arg in list(args) + list(kwargs.values()):
                if isinstance(arg, str) and any(marker in arg for marker in ("alert(1)", "DROP TABLE", "1" * 50)):
                    calls.append((name, arg[:80]))
            return originals[name](*args, **kwargs)
        return wrapped

    builtins.eval = recorder("eval")
    sympy.sympify = recorder("sympify")
    sympy_parser.parse_expr = recorder("parse_expr")
    try:
        yield calls
    finally:
        builtins.eval = originals["eval"]
        sympy.sympify = originals["sympify"]
        sympy_parser.parse_expr = originals["parse_expr"]


def check_link(at, params: tuple[Param, ...], name: str, what: str) -> None:
    errors = [e.value[:300] for e in at.exception] + [e[:300] for e in getattr(at, "first_exceptions", [])]
    assert not errors, f"{what}: {errors}"
    said = notices(at)
    unnamed = [p.key for p in params if p.key not in said]
    assert not unnamed, f"{what}: no notice names {unnamed}; notices: {said!r}"
    wrong = {p.key: (shown_value(at, p.key), p.default) for p in params
             if p.key in bound(at) and shown_value(at, p.key) != p.default}
    assert not wrong, f"{what}: not the default (shown, default): {wrong}"
    if HOSTILE[name] in ECHO:
        echoed = [kind for kind, text in texts(at) if HOSTILE[name] in text]
        assert not echoed, f"{what}: the link's value is shown back in {echoed}"
    kept = sorted(set(at.query_params) & {p.key for p in params})
    assert not kept, f"{what}: the address still holds {kept}, so a reload or a copied link would bring them back"


# -- known bugs: (page, hostile value) -> reason (the input, what was expected, a suggested fix); each is a strict
# xfail of test_hostile_link, so a fix shows up as an unexpected pass. None known.
KNOWN: dict[tuple[str, str], str] = {}


def _cases():
    for file in PAGES:
        for name in HOSTILE:
            reason = KNOWN.get((file, name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(file, name, marks=marks, id=f"{Path(file).stem}-{name}")


@pytest.mark.parametrize("file, name", list(_cases()))
def test_hostile_link(file, name):
    """Every parameter of the page at once set to the hostile value: the defaults, a notice naming each, no
    exception, the value never shown back, and never parsed as code."""
    params = discover(file)
    with watch_parsers() as parsed:
        at = open_page(file, link_for(params, name))
    check_link(at, params, name, f"{file}?{name}")
    assert not parsed, f"{file}?{name}: a link's text reached {parsed}"


@pytest.mark.parametrize("file", PAGES, ids=[Path(f).stem for f in PAGES])
def test_each_parameter_alone(file):
    """Each parameter alone with one hostile value (taking turns through the list), so that no field's check
    relies on another's: the default, a notice naming it, no exception. Known bugs excepted (see KNOWN)."""
    params = discover(file)
    names = [n for n in HOSTILE if (file, n) not in KNOWN]
    failures = []
    for i, p in enumerate(params):
        name = names[i % len(names)]
        at = open_page(file, link_for((p,), name))
        try:
            check_link(at, (p,), name, f"{file}?{p.key}={name}")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def test_every_page_has_parameters_to_attack():
    """The discovery works: every lesson page binds its example to the URL (and the step to ?<code>-step)."""
    for lesson in LESSONS:
        keys = {p.key for p in discover(lesson.file)}
        assert any(k.endswith("-step") for k in keys), (lesson.file, keys)
        assert len(keys) >= 3, (lesson.file, keys)


# ---------------------------------------------------------------------------------------------------------
# after a bad link: the step, good values beside bad ones, and how long the notice names a value
# ---------------------------------------------------------------------------------------------------------
DEEP = "pages/deep_networks.py"
IGNORED = t("inputs.ignored", names="\0").split("\0")  # the notice's words before and after the names


def named(at) -> list[str]:
    """The parameters the link notice of this run names (none: no notice)."""
    before, after = IGNORED
    for w in at.warning:
        if w.value.startswith(before) and w.value.endswith(after):
            return w.value[len(before):len(w.value) - len(after)].split(", ")
    return []


def counter(at) -> tuple[int, int]:
    """(k, n) of the page's "Step k of n"."""
    found = [counter_pattern().search(m.value) for m in at.markdown]
    k, n = next(m.groups() for m in found if m)
    return int(k), int(n)


def step_key(file: str) -> str:
    return next(p.key for p in discover(file) if p.key.endswith("-step"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.url_path for lesson in LESSONS])
def test_a_links_step_outside_the_example(lesson):
    """?<code>-step=0, -1, 1.5 or a repeated step: step 1, the notice naming the step, and the step out of the
    address; ?<code>-step=n+1 (beyond the last step): the last step, no notice; ?<code>-step=n: the same."""
    key = step_key(lesson.file)
    _, n = counter(open_page(lesson.file))
    for value in ("0", "-1", "1.5", ["2", "3"]):
        at = open_page(lesson.file, {key: value})
        assert not at.exception, (value, [e.value[:300] for e in at.exception])
        assert (counter(at), named(at)) == ((1, n), [key]), value
        assert key not in at.query_params, value
    for value in (n + 1, n):
        at = open_page(lesson.file, {key: str(value)})
        assert not at.exception, (value, [e.value[:300] for e in at.exception])
        assert (counter(at), named(at)) == ((n, n), []), value
        assert at.number_input(key=key).value == n, value
        at.button(key=key.replace("-step", "-previous")).click().run()
        assert counter(at) == (n - 1, n), value


def test_good_values_beside_bad_ones_are_kept():
    """Only the bad values are dropped: the link's good values, and its step, are still used (and the softmax
    page, which reads its number of classes from the link before its widgets exist, shows that many logits)."""
    defaults = {p.key: p.default for p in discover(DEEP)}
    at = open_page(DEEP, {"dn-depth": "2", "dn-seed": "inf", "dn-hidden": "nan", "dn-step": "3"})
    assert named(at) == ["dn-hidden", "dn-seed"]
    assert at.slider(key="dn-depth").value == 2
    assert at.number_input(key="dn-seed").value == defaults["dn-seed"]
    assert at.selectbox(key="dn-hidden").value == defaults["dn-hidden"]
    assert counter(at)[0] == 3
    at = open_page("pages/softmax_jacobian.py", {"sj-n": "4", "sj-z1": "nan"})
    assert named(at) == ["sj-z1"]
    assert at.selectbox(key="sj-n").value == "4"
    assert sorted(s.key for s in at.slider if s.key.startswith("sj-z")) == ["sj-z1", "sj-z2", "sj-z3", "sj-z4"]


def test_the_notice_names_a_value_until_the_learner_sets_it():
    """Each name leaves the notice when the learner sets that input or moves the step, and does not come back."""
    default_scale = next(p.default for p in discover(DEEP) if p.key == "dn-scale")
    at = open_page(DEEP, {"dn-seed": "inf", "dn-scale": "nan", "dn-step": "0"})
    assert named(at) == ["dn-seed", "dn-scale", "dn-step"]
    at.number_input(key="dn-seed").set_value(5).run()
    assert named(at) == ["dn-scale", "dn-step"]
    at.button(key="dn-next").click().run()
    assert named(at) == ["dn-scale"]
    at.slider(key="dn-scale").set_value(2.0).run()
    assert named(at) == []
    at.slider(key="dn-scale").set_value(default_scale).run()
    assert named(at) == []
    assert not at.exception


def test_the_notice_stays_on_the_page_the_link_opened():
    """Another page shows no notice for this page's link; the example's reset button ends the notice."""
    at = open_page(DEEP, {"dn-seed": "inf"})
    assert named(at) == ["dn-seed"]
    at.switch_page("pages/matrix_network.py").run()
    assert named(at) == [] and not at.exception
    at.switch_page(DEEP).run()
    at.button(key="dn-reset-example").click().run()
    assert named(at) == [] and not at.exception


@pytest.mark.browser
def test_back_to_a_hostile_link_keeps_the_defaults(app_server, page):
    """The link's first run takes its bad values out of the address, but the browser keeps the link in its
    history: Back returns to it while the widgets are bound to the URL, and Streamlit lets a URL reached so win.
    Still the default, the notice, and no exception (the seed box's OverflowError on "inf")."""
    seed = next(p.default for p in discover(DEEP) if p.key == "dn-seed")

    def check(what: str) -> None:
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, f"{what}: {errors.first.inner_text()[:300]}"
        notices = " ".join(alert.inner_text() for alert in page.locator('[data-testid="stAlert"]').all())
        assert "dn-seed" in notices, f"{what}: {notices!r}"
        assert page.locator(".st-key-dn-seed input").input_value() == str(seed), what

    open_url(page, f"{app_server}/deep_networks?dn-seed=inf")
    check("the link")
    assert "dn-seed" not in page.url
    page.locator(".st-key-dn-biases label").click()
    settle(page)
    assert "dn-biases" in page.url
    for _ in range(3):  # the first run's correction of the address is an entry of the history too
        page.go_back()
        if "dn-seed=inf" in page.url:
            break
    assert "dn-seed=inf" in page.url, page.url
    settle(page)
    check("Back to the link")


# ---------------------------------------------------------------------------------------------------------
# static: no URL text is rendered as HTML or parsed as code
# ---------------------------------------------------------------------------------------------------------
def _python_files(*folders: str) -> list[Path]:
    out = []
    for folder in folders:
        path = ROOT / folder
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


def _calls(path: Path):
    """(enclosing function, call node) for every call in a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            scope, up = "<module>", parents.get(node)
            while up is not None:
                if isinstance(up, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    scope = up.name
                    break
                up = parents.get(up)
            yield scope, node


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _literal(node: ast.AST) -> bool:
    """A constant string, or an f-string/concatenation of constants and names (module constants) only."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper() or node.id.startswith("_") and node.id[1:].isupper()
    if isinstance(node, ast.BinOp):
        return _literal(node.left) and _literal(node.right)
    return False


# Reviewed calls with a computed argument: (file, function, what it renders) -> why no URL text is in it.
REVIEWED_HTML = {
    ("pages/ui/classroom.py", "setup"): "catalogue messages, html.escape(quote=True)'d, and a constant script",
    ("pages/ui/gradcheck.py", "gradient_check"): "numbers formatted from floats; parameter names and catalogue "
                                                 "messages html.escape'd (tests/test_page_gradcheck.py)",
    ("pages/ui/svg_figure.py", "show"): "the diagrams' SVG (st.html's sanitiser drops SVG): numbers and catalogue "
                                        "messages from the figure builders, every text and attribute html.escape'd, "
                                        "any tag but <b>, <br>, <sub>, <sup>, <span style> refused "
                                        "(tests/test_svg_figure.py)",
}
REVIEWED_PARSE = {
    ("bp_core/derivations.py", "fn"): "sp.sympify on SymPy expressions the builder made, never on text",
}
HTML_CALLS = {"html"}
PARSE_CALLS = {"sympify", "parse_expr", "parse_latex", "S", "lambdastr"}       # as a name or an attribute
BUILTIN_PARSE_CALLS = {"eval", "exec", "compile", "__import__"}                  # as a bare name
PARSING_MODULES = ("sympy.parsing", "pickle", "marshal", "dill", "shelve")


def test_no_url_text_is_rendered_as_html():
    """st.html, components.html and unsafe_allow_html only ever get constant text (or a reviewed exception, whose
    HTML is escaped where it is built and tested there)."""
    found = []
    for path in _python_files("pages", "app.py"):
        rel = path.relative_to(ROOT).as_posix()
        for scope, call in _calls(path):
            unsafe = any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and not k.value.value)
                         for k in call.keywords)
            if _name(call) in HTML_CALLS or unsafe:
                argument = call.args[0] if call.args else None
                if argument is not None and not _literal(argument) and (rel, scope) not in REVIEWED_HTML:
                    found.append(f"{rel}:{call.lineno} in {scope}: {ast.unparse(call)[:120]}")
                if unsafe and (rel, scope) not in REVIEWED_HTML:
                    found.append(f"{rel}:{call.lineno} in {scope}: unsafe_allow_html: {ast.unparse(call)[:120]}")
    assert not found, "HTML built from non-constant text:\n" + "\n".join(found)


def test_nothing_parses_user_text_as_code():
    """No eval, exec, compile, sympify, parse_expr, parse_latex, nor an import of sympy.parsing or pickle, in
    bp_core, pages or app.py, but the reviewed sympify of SymPy objects."""
    found = []
    for path in _python_files("bp_core", "pages", "app.py"):
        rel = path.relative_to(ROOT).as_posix()
        for scope, call in _calls(path):
            name = _name(call)
            bare = isinstance(call.func, ast.Name)
            if (name in PARSE_CALLS or (bare and name in BUILTIN_PARSE_CALLS)) and (rel, scope) not in REVIEWED_PARSE:
                if name == "S" and not (call.args and isinstance(call.args[0], ast.Constant)
                                        and isinstance(call.args[0].value, str)):
                    continue  # sp.S(number) builds a SymPy number; sp.S("text") would parse
                found.append(f"{rel}:{call.lineno} in {scope}: {ast.unparse(call)[:120]}")
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            modules += [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            for module in modules:
                if module.startswith(PARSING_MODULES) or module.endswith(".parse_expr"):
                    found.append(f"{rel}:{node.lineno}: imports {module}")
    assert not found, "code that parses text:\n" + "\n".join(found)


def test_reviewed_exceptions_still_exist():
    """The reviewed calls are still where they were (so a stale exception does not hide a new call)."""
    for (rel, scope) in list(REVIEWED_HTML) + list(REVIEWED_PARSE):
        scopes = {s for s, call in _calls(ROOT / rel)}
        assert scope in scopes, f"{rel} has no function {scope} any more: review and update the list"


def test_url_values_are_only_compared_or_parsed_as_numbers():
    """In pages/, every read of st.query_params is compared, tested or converted to a number: never put into
    markdown, HTML, a message or a format string."""
    found = []
    for path in _python_files("pages", "app.py"):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for part in ast.walk(node):
                    if isinstance(part, ast.Attribute) and part.attr == "query_params":
                        found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
            if isinstance(node, ast.Call) and _name(node) in {"markdown", "html", "write", "caption", "text",
                                                              "warning", "error", "info", "latex", "t"}:
                for arg in list(node.args) + [k.value for k in node.keywords]:
                    for part in ast.walk(arg):
                        if isinstance(part, ast.Attribute) and part.attr == "query_params":
                            found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not found, "URL text flows into shown text:\n" + "\n".join(found)


def test_harness_finds_every_kind_of_bound_widget():
    """The discovery and the comparison of defaults see each kind of bound widget the pages use."""
    kinds = {p.kind for lesson in LESSONS for p in discover(lesson.file)}
    assert {"Slider", "Selectbox", "NumberInput"} <= kinds, kinds
    assert any(isinstance(n, Widget) for n in nodes(open_page(LESSONS[0].file)))


# ---------------------------------------------------------------------------------------------------------
# server settings: .streamlit/config.toml, and the same in docs/deployment.md
# ---------------------------------------------------------------------------------------------------------
REQUIRED_SETTINGS = {
    ("browser", "gatherUsageStats"): False,
    ("server", "headless"): True,
    ("server", "enableXsrfProtection"): True,
    ("server", "enableCORS"): True,
    ("server", "maxUploadSize"): 1,
    ("server", "maxMessageSize"): 10,
    ("server", "enableStaticServing"): False,
    ("server", "enableWebsocketCompression"): False,
    ("server", "enableAgentApi"): False,
    ("server", "maxCacheDataSize"): "256mb",
}


def test_server_settings_in_config_toml():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    wrong = {f"{s}.{o}": (config.get(s, {}).get(o), v) for (s, o), v in REQUIRED_SETTINGS.items()
             if config.get(s, {}).get(o) != v}
    assert not wrong, f"(found, wanted): {wrong}"
    for secret in ("cookieSecret", "sslKeyFile"):
        assert secret not in config.get("server", {}), f"server.{secret} must not be committed"


def test_server_settings_are_what_streamlit_reads():
    """Streamlit itself, started in the repository, reads the same values (a misspelt option is ignored)."""
    import subprocess
    import sys

    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120).stdout
    for (_, option), value in REQUIRED_SETTINGS.items():
        text = (str(value).lower() if isinstance(value, bool) else f'"{value}"' if isinstance(value, str)
                else str(value))
        assert f"\n{option} = {text}\n" in shown, f"streamlit does not read {option} = {text}"


def test_hidden_speed_setting_is_what_streamlit_reads():
    """runner.postScriptGC is a hidden option (`streamlit config show` does not list it): Streamlit, started in
    the repository, reads it off (a full collection after every run costs 50-200 ms a click, docs/performance.md),
    and the deployment notes give it."""
    import subprocess
    import sys

    read = subprocess.run([sys.executable, "-c", "from streamlit import config; config.get_config_options(); "
                           "print(config.get_option('runner.postScriptGC'))"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120).stdout.strip()
    assert read == "False"
    assert "`runner.postScriptGC`" in (ROOT / "docs" / "deployment.md").read_text()


def test_server_settings_documented_for_a_proxy():
    doc = (ROOT / "docs" / "deployment.md").read_text()
    for (section, option), value in REQUIRED_SETTINGS.items():
        assert f"`{section}.{option}`" in doc, f"docs/deployment.md does not document {section}.{option}"
    for option in ("server.cookieSecret", "server.allowedHosts", "server.address", "client.showErrorDetails",
                   "server.baseUrlPath", "server.fileWatcherType"):
        assert f"`{option}`" in doc, f"docs/deployment.md says nothing about {option} behind a proxy"

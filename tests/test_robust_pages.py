"""The pages under fuzzing (issue 7): every widget of every lesson page is driven, under AppTest, through its
bounds and through random values (sliders at min, max and at random; every option of a select box, radio or
select slider; toggles both ways; number inputs at their bounds; buttons clicked), and the steps are walked to
the end. After every run: no exception, and no NaN or inf shown anywhere (markdown, LaTeX, captions, metrics,
tables, charts) unless a sentence says why (an st.error or st.warning on the page).

Seeded (ROBUST_PAGE_SEED), bounded (ROBUST_PAGE_ROUNDS random rounds per page after the systematic pass).
The harness (opening a page, listing its widgets, setting them, reading every text) is shared with
test_robust_links.py and test_robust_isolation.py.
"""
from __future__ import annotations

import json
import math
import os
import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from lesson_app import open_notes
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import (
    Button,
    Checkbox,
    DownloadButton,
    NumberInput,
    Radio,
    Selectbox,
    SelectSlider,
    Slider,
    Toggle,
    Widget,
)

from pages.ui.classroom import LANG
from pages.ui.lessons import HOME_FILE, LESSONS

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 60
SEED = int(os.environ.get("ROBUST_PAGE_SEED", "7"))
ROUNDS = int(os.environ.get("ROBUST_PAGE_ROUNDS", "8"))
NONFINITE = re.compile(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])|\\infty", re.IGNORECASE)
# a picture's bytes in a data: URL (a heatmap drawn as SVG): base64, not words, though "+nan/" may turn up in it
DATA_URL = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]*")


# ---------------------------------------------------------------------------------------------------------
# the harness
# ---------------------------------------------------------------------------------------------------------
def open_page(file: str, query: dict | None = None, timeout: float = TIMEOUT) -> AppTest:
    """A new session opened with `query` as its link: app.py runs (on the home page), then the page `file`
    ("pages/<file>.py") through app.py's navigation, as tests/lesson_app.py does. (Switching pages before the
    first run would run the page file alone, without app.py: Streamlit's pages-folder mode.) The warnings of
    the first run are kept in at.first_warnings: a notice about the link's app-wide parameters (language,
    projection mode) is shown on the page the session opened on."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.first_warnings = [w.value for w in at.warning]
    at.first_exceptions = [e.value for e in at.exception]
    if file != HOME_FILE:
        at.switch_page(file).run()
    return at


def nodes(at: AppTest) -> list:
    return list(at._tree)


def widgets(at: AppTest) -> list[Widget]:
    """Every widget a learner can use (download buttons excepted: they change nothing)."""
    return [w for w in nodes(at) if isinstance(w, Widget) and not isinstance(w, DownloadButton)
            and not getattr(w.proto, "disabled", False)]


def bound(at: AppTest) -> dict[str, Widget]:
    """The widgets bound to the URL, by their URL parameter."""
    return {w.proto.query_param_key: w for w in nodes(at)
            if isinstance(w, Widget) and getattr(w.proto, "query_param_key", "")}


def _strings(message, out: list[str]) -> None:
    """Every string field of a protobuf message, recursively."""
    for field, value in message.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [value]
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif hasattr(v, "ListFields"):
                _strings(v, out)


def texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) for every text on the page: bodies, labels, options, values, chart specs, tables."""
    out = []
    for node in nodes(at):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = type(node).__name__
        if kind == "UnknownElement":
            kind = getattr(node, "type", kind)
        found: list[str] = []
        _strings(proto, found)
        out += [(kind, s) for s in found]
        if kind == "Dataframe":
            try:
                frame = node.value
            except Exception:  # noqa: BLE001 - a table AppTest cannot read is scanned as strings only
                continue
            out += [(kind, repr(v)) for v in frame.to_numpy().ravel().tolist()]
    return out


def _json_values(value) -> Iterator:
    """Every string and number in a chart's JSON."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in ("template", "uid", "bdata"):  # Plotly's theme; ids; numbers packed as base64
                yield from _json_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_values(v)
    else:
        yield value


def explained(at: AppTest) -> bool:
    """A sentence on the page says something went wrong (a diverging learning rate, an overflow)."""
    return len(at.error) > 0 or len(at.warning) > 0


def nonfinite_shown(at: AppTest) -> list[str]:
    """Texts that show NaN or inf. Plotly specs are JSON: NaN/Infinity there, not the words in titles."""
    bad = []
    for kind, text in texts(at):
        if kind == "plotly_chart" and text.lstrip().startswith("{"):
            # titles, labels, annotations, hover and bar texts; and a NaN or Infinity number (Plotly writes a
            # NaN in its data as null, a gap, but a NaN axis range or size would come through)
            for value in _json_values(json.loads(text)):
                if isinstance(value, float) and not math.isfinite(value):
                    bad.append(f"{kind}: {value} in the chart's JSON")
                elif isinstance(value, str) and NONFINITE.search(value):
                    bad.append(f"{kind}: {value[:120]}")
        elif NONFINITE.search(text := DATA_URL.sub("data:", text)):
            m = NONFINITE.search(text)
            bad.append(f"{kind}: ...{text[max(0, m.start() - 60):m.end() + 60]}...")
    return bad


# KNOWN BUG (test_fewer_steps_after_the_last_step): the step box's URL binding fails when an input change leaves
# fewer steps than the link's step. Tolerated here so that the fuzzing goes on; remove with the fix.
KNOWN_BUG_STEP_UNBIND = "Cannot directly delete query parameter"


def check_page(at: AppTest, what: str) -> None:
    errors = [e.value for e in at.exception if not (KNOWN_BUG_STEP_UNBIND and KNOWN_BUG_STEP_UNBIND in e.value)]
    assert not errors, f"{what}: {errors}"
    if not explained(at):
        bad = nonfinite_shown(at)
        assert not bad, f"{what}: NaN/inf shown without a sentence saying why: {bad[:3]}"


# -- setting a widget -------------------------------------------------------------------------------------
def _by_label(widget: Widget, label: str) -> None:
    """Choose an option of a select box, radio or select slider by the label shown: AppTest's own set_value
    wants the option object, which a page's format_func may not accept back."""
    array = isinstance(widget, SelectSlider)

    def state(self) -> WidgetState:
        ws = WidgetState()
        ws.id = self.id
        if array:
            ws.string_array_value.data[:] = [label]
        else:
            ws.string_value = label
        return ws

    widget.__class__ = type(f"ByLabel{type(widget).__name__}", (type(widget),), {"_widget_state": property(state)})
    widget._value = label


def _snap(value: float, lo: float, step: float) -> float:
    return lo + round((value - lo) / step) * step if step else value


def _number(widget, value: float):
    integer = widget.proto.data_type == 0  # INT in both SliderProto and NumberInputProto
    return int(round(value)) if integer else float(value)


def choices(widget: Widget) -> list:
    """The values the systematic pass gives a widget: bounds, every option, both states, a click."""
    if isinstance(widget, Slider):
        lo, hi = widget.proto.min, widget.proto.max
        return [_number(widget, lo), _number(widget, hi)]
    if isinstance(widget, NumberInput):
        lo = widget.min if widget.min is not None else widget.value
        hi = widget.max if widget.max is not None else widget.value
        return [_number(widget, lo), _number(widget, hi)]
    if isinstance(widget, SelectSlider):  # a slider: its two ends (random_choice picks the rest)
        return [("label", widget.options[0]), ("label", widget.options[-1])]
    if isinstance(widget, (Selectbox, Radio)):
        return [("label", option) for option in widget.options]
    if isinstance(widget, (Toggle, Checkbox)):
        return [not widget.value, widget.value]
    if isinstance(widget, Button):
        return ["click"]
    return []


def random_choice(widget: Widget, rng: random.Random):
    """A random value within the widget's bounds (a slider's value on its step grid), or a random option."""
    if isinstance(widget, Slider):
        lo, hi, step = widget.proto.min, widget.proto.max, widget.proto.step
        return _number(widget, min(max(_snap(rng.uniform(lo, hi), lo, step), lo), hi))
    if isinstance(widget, NumberInput):
        options = choices(widget)
        return _number(widget, rng.uniform(min(options), max(options)))
    if isinstance(widget, SelectSlider):
        return ("label", rng.choice(widget.options))
    options = choices(widget)
    return rng.choice(options) if options else None


def current(widget: Widget):
    """The widget's value as apply() takes it back."""
    if isinstance(widget, (Selectbox, Radio, SelectSlider)):
        try:
            return ("label", widget.options[widget.index] if not isinstance(widget, SelectSlider)
                    else _format(widget))
        except (ValueError, KeyError, TypeError):
            return None
    if isinstance(widget, Button):
        return None
    return widget.value


def _format(widget: SelectSlider) -> str:
    return str(widget.format_func(widget.value))


def apply(widget: Widget, value) -> str:
    """Set (or click) and describe what was done."""
    if value == "click":
        widget.click()
    elif isinstance(value, tuple) and value[0] == "label":
        _by_label(widget, value[1])
    else:
        widget.set_value(value)
    return f"{type(widget).__name__} {widget.key or widget.label!r} = {value!r}"


def find(at: AppTest, key: str | None, label: str | None = None) -> Widget | None:
    for w in widgets(at):
        if (key is not None and w.key == key) or (key is None and label is not None and w.label == label):
            return w
    return None


def stepper_code(at: AppTest) -> str | None:
    for w in widgets(at):
        if isinstance(w, Button) and w.key and w.key.endswith("-next"):
            return w.key[: -len("-next")]
    return None


def walk_to_end(at: AppTest, what: str, limit: int = 400) -> int:
    """Click Next until it is disabled (or gone); check the page after every click. Returns the clicks."""
    code = stepper_code(at)
    clicks = 0
    while code and clicks < limit:
        nxt = next((w for w in widgets(at) if w.key == f"{code}-next"), None)
        if nxt is None:
            break
        nxt.click().run()
        clicks += 1
        check_page(at, f"{what}, Next x{clicks}")
    assert clicks < limit, f"{what}: Next never reached the last step"
    return clicks


def jump(at: AppTest, rng: random.Random, what: str) -> None:
    """Through the step box: the last step, and one step at random."""
    code = stepper_code(at)
    if not code:
        return
    box = find(at, f"{code}-step")
    if not isinstance(box, NumberInput) or box.max is None:
        return
    for k in (int(box.max), rng.randint(int(box.min or 1), int(box.max))):
        box = find(at, f"{code}-step")
        if box is None:
            return
        box.set_value(k).run()
        check_page(at, f"{what}, step {k}")


def skip(widget: Widget) -> bool:
    """Widgets left alone: autoplay (a timer AppTest does not run) and its speed; and the language, as AppTest
    reads a select box back through its labels in English, so not on a page in another language (the languages
    have tests of their own, test_i18n_languages.py)."""
    key = widget.key or ""
    return key.endswith("-autoplay") or key.endswith("-speed") or key == LANG


def identify(widget: Widget) -> tuple[str | None, str]:
    return widget.key, widget.label


def numeric(widget: Widget) -> bool:
    return isinstance(widget, (Slider, NumberInput)) and not (widget.key or "").endswith("-step")


def set_all_numbers(at: AppTest, pick) -> list[str]:
    """Every slider and number input (but the step box) at once, to pick(widget)."""
    return [apply(w, pick(w)) for w in widgets(at) if numeric(w) and not skip(w)]


def fuzz_page(file: str, seed: int, rounds: int) -> Iterator[str]:
    """Yields what it did, for the failure message:

    1. the page as it opens, walked with Next to the last step;
    2. every number at its minimum at once, then at its maximum, then each at one of its bounds at random (x2),
       each time jumping to the last step and to a random one;
    3. one widget at a time, from the page as step 2 left it: every option of every select box and radio, both
       ends of every select slider, every toggle both ways, every button clicked; then the widget back as it
       was (so that a choice that makes every run slow, such as the training page's run mode, stays local);
    4. `rounds` random rounds: one to four widgets at random values, then a jump;
    5. a walk with Next to the last step."""
    rng = random.Random(seed)
    at = open_notes(open_page(file))   # the notes' slips checked too: their expander makes them only while open
    check_page(at, f"{file} opened")
    yield f"{file}: opened"
    walk_to_end(at, f"{file} default")
    patterns = (("min", lambda w: choices(w)[0]), ("max", lambda w: choices(w)[1]),
                ("bounds", lambda w: rng.choice(choices(w))), ("bounds", lambda w: rng.choice(choices(w))))
    for name, pick in patterns:
        done = set_all_numbers(at, pick)
        at.run()
        check_page(at, f"{file}: every number at {name}: {done}")
        jump(at, rng, f"{file}: every number at {name}")
        yield f"every number at {name}"
    targets = [identify(w) for w in widgets(at) if not skip(w) and not numeric(w)
               and not (w.key or "").endswith("-step")]
    for key, label in targets:
        w = find(at, key, label)
        if w is None:
            continue
        before = current(w)
        for value in choices(w) + ([before] if before is not None else []):
            w = find(at, key, label)
            if w is None or getattr(w.proto, "disabled", False):
                break
            done = apply(w, value)
            at.run()
            check_page(at, f"{file}: {done}")
            yield done
    for r in range(rounds):
        present = [w for w in widgets(at) if not skip(w) and not isinstance(w, Button)]
        done = []
        for w in rng.sample(present, min(len(present), rng.randint(1, 4))):
            done.append(apply(w, random_choice(w, rng)))
        at.run()
        check_page(at, f"{file} round {r}: {done}")
        jump(at, rng, f"{file} round {r}: {done}")
        yield f"round {r}: {done}"
    walk_to_end(at, f"{file} last state")


# ---------------------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_every_widget_at_its_bounds_and_at_random(lesson):
    log = []
    try:
        for done in fuzz_page(lesson.file, SEED + LESSONS.index(lesson), ROUNDS):
            log.append(done)
    except AssertionError as error:
        raise AssertionError(f"{error}\n\nafter: {log[-6:]}") from None


def test_home_page_has_no_exception_and_no_nan():
    at = open_page(HOME_FILE)
    check_page(at, "home")
    for w in widgets(at):
        for value in choices(w):
            w2 = find(at, w.key, w.label)
            if w2 is None:
                break
            apply(w2, value)
            at.run()
            check_page(at, f"home: {w.key} = {value!r}")


def test_harness_sees_nan_and_inf_texts():
    """The scan itself: it must catch the ways a number can be written non-finite."""
    for text in ("nan", "-inf", "NaN", r"= \infty", "value inf.", "Infinity"):
        assert NONFINITE.search(text), text
    for text in ("information", "infer", "finance", "nano", "Nanjing", "infinite", "Info"):
        assert not NONFINITE.search(text), text
    assert [v for v in _json_values(json.loads('{"a": [1, NaN], "b": {"c": Infinity, "bdata": "NaN"}}'))
            if isinstance(v, float) and not math.isfinite(v)] != []


def test_fewer_steps_after_the_last_step():
    """Last, then an input that gives fewer steps: the cursor bound to the URL is clamped, not an exception."""
    at = open_page("pages/deep_networks.py")
    at.button(key="dn-last").click().run()
    assert not at.exception
    at.slider(key="dn-depth").set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]


def test_harness_catches_nan_on_a_page():
    """texts() reaches markdown, LaTeX, captions, metrics, tables and charts: a page that shows NaN in each is
    caught, and the same page with a warning sentence is let through."""
    script = """
import math
import streamlit as st
import plotly.graph_objects as go
st.latex(r"x = {}".format(float("nan")))
st.caption("loss inf")
st.metric("loss", float("nan"))
st.dataframe({"g": [1.0, float("nan")]})
st.plotly_chart(go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), layout=dict(title="loss = nan")))
if st.session_state.get("explain"):
    st.warning("The learning rate is so large that the loss overflowed.")
"""
    at = AppTest.from_string(script, default_timeout=TIMEOUT).run()
    kinds = {shown.split(":")[0] for shown in nonfinite_shown(at)}
    assert {"Latex", "Caption", "Metric", "Dataframe", "plotly_chart"} <= kinds, kinds
    with pytest.raises(AssertionError):
        check_page(at, "synthetic")
    at.session_state["explain"] = True
    check_page(at.run(), "synthetic, explained")

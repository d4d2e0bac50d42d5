"""Step controls shared by every lesson: Previous / Next / First / Last / Reset, autoplay, "Step k of n",
and the keys a keyboard or a presentation clicker sends (Right/Left, PageDown/PageUp, Home/End).

Only the cursor (1-based, bound to the URL) and the autoplay settings live in session state.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from . import inputs, stage
from .classroom import hide_desk, projecting
from .i18n import t

# PageDown/PageUp (what clickers send) press the Next/Previous buttons, and A flips autoplay: a button takes
# only one shortcut of its own (Right/Left), and a toggle none. The keys act on the page's stepper, found by its
# container's key. The script is static text: nothing from a user or a URL goes into it.
_KEYS_SCRIPT = """
<span class="bp-script" hidden></span>
<script>
if (!window.__bpClickerKeys) {
  window.__bpClickerKeys = true;
  const doc = window.parent ? window.parent.document : document;
  const PREFIX = "st-key-bp-stepper-";
  doc.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    const which = {PageDown: "next", PageUp: "previous", a: "autoplay", A: "autoplay"}[event.key];
    if (!which) return;
    const stepper = doc.querySelector(`[class*="${PREFIX}"]`);
    if (!stepper) return;
    const page = [...stepper.classList].find((name) => name.startsWith(PREFIX)).slice(PREFIX.length);
    const part = which === "autoplay" ? "input" : "button";
    const control = stepper.querySelector(`.st-key-${CSS.escape(page)}-${which} ${part}`);
    if (control && !control.disabled) { event.preventDefault(); control.click(); }
  });
}
</script>
"""


# The keys of the stepper's parts, the same on every lesson (a page has one stepper), by which the projection sheets
# find them as classes: a [class*=...] or :first-child there made a projected Next click restyle for longer
# (docs/performance.md, change 21).
STEPPED = "bp-stepped"      # the whole stepper (assets/projection_stepped.css)
AUTOPLAY = "bp-autoplay"    # the autoplay switch and its speed
SPEED = "bp-speed"          # the speed alone, not shown in projection mode
CONTROLS = "bp-controls"    # the row of buttons, the counter and the step box
STAGE = "bp-stage"          # the step itself


def cursor_key(page: str) -> str:
    return inputs.step_key(page)


def _move(page: str, delta: int, n: int) -> None:
    key = cursor_key(page)
    st.session_state[key] = min(max(int(st.session_state.get(key, 1)) + delta, 1), n)
    st.session_state[f"{page}-tick"] = time.monotonic()


def _reset(page: str) -> None:
    st.session_state[cursor_key(page)] = 1
    st.session_state[f"{page}-autoplay"] = False


def walk(page: str, n: int, render: Callable[[int], None]) -> None:
    """Step controls over n steps, then render(k) for the current 0-based step k.

    The controls and the step reruns alone (a fragment): a click repaints the step, not the page. With
    autoplay on, the fragment reruns on a timer and moves one step each time until the last.
    """
    key = cursor_key(page)
    if key not in st.session_state:
        _seed_from_url(page, n)
    # Clamp before the widget exists: a changed example with fewer steps keeps a valid cursor, and one
    # with the same number of steps keeps the cursor where it was.
    st.session_state[key] = min(max(int(st.session_state.get(key, 1)), 1), n)

    # Keyed twice: by a key every lesson's stepper shares, which projection mode keeps on screen
    # (assets/projection_stepped.css), and by the lesson's own, from which the keys' script reads the lesson.
    hide_desk()
    with st.container(key=STEPPED), st.container(key=f"bp-stepper-{page}"):
        with st.container(key=AUTOPLAY):
            play, speed = st.columns([1, 2], vertical_alignment="center")
        autoplay = play.toggle(t("steps.autoplay"), key=f"{page}-autoplay")
        seconds = speed.container(key=SPEED).select_slider(
            t("steps.speed"), options=[0.5, 1.0, 1.5, 2.0, 3.0, 5.0], value=1.5, key=f"{page}-speed",
            format_func=lambda s: t("steps.seconds", s=s), disabled=not autoplay,
        )
        st.html(_KEYS_SCRIPT, unsafe_allow_javascript=True)

        @st.fragment(run_every=seconds if autoplay else None)
        def panel() -> None:
            if autoplay:
                _autoplay_tick(page, n, seconds)
            controls(page, n)
            # The step itself, its pictures beside its derivation in projection mode (pages/ui/stage.py).
            with st.container(key=STAGE), stage.laid_out(projecting()):
                render(st.session_state[key] - 1)

        panel()


def _seed_from_url(page: str, n: int) -> None:
    """On first load, take the step from the link so the counter and buttons agree with it (url_notice has
    refused a value that is not a step number). A step beyond this example's last is clamped to it, and kept
    from the step box, which would read the link and fall back to step 1."""
    key = cursor_key(page)
    raw = st.query_params.get(key)
    if raw is None or not inputs.usable(inputs.step(page)):
        return
    st.session_state[key] = int(raw)
    if int(raw) > n:
        inputs.drop_link_value(key)


def _autoplay_tick(page: str, n: int, seconds: float) -> None:
    key, tick = cursor_key(page), f"{page}-tick"
    now = time.monotonic()
    if now - st.session_state.get(tick, 0.0) < 0.8 * seconds:
        return
    if st.session_state[key] >= n:
        st.session_state[f"{page}-autoplay"] = False
        st.rerun()
    st.session_state[key] += 1
    st.session_state[tick] = now


def controls(page: str, n: int) -> None:
    """One row of buttons sized to their labels (each shows its key), the counter and a step box."""
    k = st.session_state[cursor_key(page)]
    buttons = (
        ("first", -n, "home", ":material/first_page:", k == 1),
        ("previous", -1, "left", ":material/chevron_left:", k == 1),
        ("next", 1, "right", ":material/chevron_right:", k == n),
        ("last", n, "end", ":material/last_page:", k == n),
    )
    # keyed so that projection mode (assets/projection.css) keeps the row clear of the autoplay switch
    with st.container(key=CONTROLS, horizontal=True, vertical_alignment="center", gap="small"):
        for name, delta, key, icon, disabled in buttons:
            st.button(t(f"steps.{name}"), key=f"{page}-{name}", on_click=_move, args=(page, delta, n), shortcut=key,
                      disabled=disabled, icon=icon, type="primary" if name == "next" else "secondary", width="content")
        st.button(t("steps.reset"), key=f"{page}-reset", on_click=_reset, args=(page,), icon=":material/restart_alt:",
                  width="content")
        st.markdown(f"**{t('steps.counter', k=k, n=n)}**", width="content")
        st.number_input(t("steps.goto"), min_value=1, max_value=n, step=1, key=cursor_key(page),
                        bind=inputs.binding(cursor_key(page)), label_visibility="collapsed", width=110)

"""The classroom: projection mode, the language, a link to the example, and the list of keys.

app.py calls `setup()` and `toolbar()` on every page before the page runs. Projection mode and the language
are widgets bound to the URL (``?present=true``, ``?lang=English``; a hand-typed ``?present=1`` or ``?lang=en``
is rewritten to those, a repeated one dropped), so a bookmark or a shared link keeps them.
In projection mode the toolbar is keyed ``bp-projection`` and the page is sent a second static stylesheet,
assets/projection.css, that hides the sidebar and Streamlit's chrome and enlarges type and maths; a lesson with a
stepper adds assets/projection_stepped.css (hide_desk), which shows only its title, the notices, the toolbar and the
stepper, and pages/ui/stage.py lays the step out as its picture beside its derivation. The toolbar keeps the way out:
a button (key P) and the Escape key.

Nothing from a user or a URL goes into the HTML, CSS or JavaScript sent from here: the script is static, the
messages it shows are the catalogue's, escaped, and it reads the link from the browser's own address bar.
"""
from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from . import inputs
from .i18n import DEFAULT_LANGUAGE, LANG_KEY, NAME_KEY, catalogue, languages, t

PRESENT = "present"              # session key and URL parameter of projection mode
LANG = LANG_KEY                  # session key and URL parameter of the language (i18n.t reads it)
MARKER = "bp-projection"         # the toolbar's key in projection mode (the classroom script's switch)
NOTICE = "bp-notice"             # session key: (page, names) of the link's values a notice names
ASSETS = Path(__file__).resolve().parents[2] / "assets"
STYLE = ASSETS / "style.css"                  # every page, every mode
PROJECTION_STYLE = ASSETS / "projection.css"  # only while the page is projected
STEPPED_STYLE = ASSETS / "projection_stepped.css"  # only while a lesson with a stepper is projected
TITLE = "bp-title"  # the key a lesson's title sits under, which assets/projection_stepped.css keeps on screen
# Besides Streamlit's "true"/"false", a hand-typed link may say ?present=1.
ON_WORDS = ("true", "1", "yes", "on")
OFF_WORDS = ("false", "0", "no", "off")

# Plotly sizes a chart's text in pixels, which the stylesheet cannot enlarge: in projection mode the charts draw it
# up to CHART_SCALE times its normal size (18 px for 12 px, beside maths at about 30 px), and the diagrams lay
# themselves out for the picture's column on a 1280x720 projector: PICTURE_WIDTH pixels wide (pages/ui/stage.py: half
# of the page less its margins and the small gap between the columns), and at most PICTURE_HEIGHT high, what the
# screen shows under the title and the step buttons.
CHART_SCALE = 1.5
PICTURE_WIDTH = 589
PICTURE_HEIGHT = 560

# (keys, action) message pairs of the help popover, in the order a teacher needs them.
KEYS = ("next", "previous", "first", "last", "autoplay", "projection", "leave")

# Escape leaves projection mode (unless it is closing a popover); in projection mode a formula wider than its
# column is made smaller to fit, and given its size back outside projection mode; a click on "Copy link" copies
# the address the browser shows, which holds every bound input and the step as they are now. Static text.
_SCRIPT = """
<script>
(() => {
  if (window.__bpClassroom) return;
  window.__bpClassroom = true;
  const doc = document;
  const said = () => (doc.querySelector(".bp-classroom") || {dataset: {}}).dataset;

  function legacyCopy(text) {
    const area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    doc.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = doc.execCommand("copy"); } catch (error) { ok = false; }
    area.remove();
    return ok;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(() => true, () => legacyCopy(text));
    }
    return Promise.resolve(legacyCopy(text));
  }

  function toast(text) {
    const note = doc.createElement("div");
    note.className = "bp-toast";
    note.setAttribute("role", "status");
    note.textContent = text;
    doc.body.appendChild(note);
    setTimeout(() => note.remove(), 2500);
  }

  function show(href, ok, tries) {
    const box = doc.querySelector(".bp-link-text");
    if (!box) {
      if (tries > 0) setTimeout(() => show(href, ok, tries - 1), 50);
      return;
    }
    box.textContent = href;
    const status = doc.querySelector(".bp-link-status");
    if (status) status.textContent = ok ? said().copied : said().prompt;
  }

  doc.addEventListener("click", (event) => {
    if (!event.target.closest || !event.target.closest(".st-key-bp-copy-link button")) return;
    const href = window.location.href;
    copy(href).then((ok) => {
      if (ok) toast(said().copied);
      show(href, ok, 40);
    });
  }, true);

  // Projection mode: a formula of the step wider than its column is typeset smaller until it fits (a room
  // cannot scroll it), but not below 0.6 em. Each repaint is measured once, in the next frame: every size set
  // before is taken back, then all formulas are read, then the too wide ones are written (one layout).
  function fitFormulas() {
    doc.querySelectorAll(".katex[data-bp-fitted]").forEach((math) => {
      math.style.fontSize = "";
      delete math.dataset.bpFitted;
    });
    if (!doc.querySelector(".st-key-bp-projection")) return;
    const wide = [];
    doc.querySelectorAll('.st-key-bp-stage .katex-display').forEach((box) => {
      // the formula's box is as wide as the formula (centred): the width there is is its element's
      const math = box.querySelector(".katex");
      const room = (box.closest('[data-testid="stMarkdown"]') || box).clientWidth;
      if (!math || box.scrollWidth <= room + 1) return;
      const ratio = parseFloat(getComputedStyle(math).fontSize) / parseFloat(getComputedStyle(box).fontSize);
      wide.push([math, Math.max(0.6, ratio * (room / box.scrollWidth) * 0.97)]);
    });
    wide.forEach(([math, size]) => {
      math.style.fontSize = size.toFixed(3) + "em";
      math.dataset.bpFitted = "";
    });
  }
  let fitting = false;
  new MutationObserver(() => {
    if (fitting) return;
    fitting = true;
    requestAnimationFrame(() => { fitting = false; fitFormulas(); });
  }).observe(doc.body, {childList: true, subtree: true});
  window.addEventListener("resize", fitFormulas);

  doc.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (doc.querySelector('[data-testid="stPopoverBody"], [role="dialog"]')) return;
    const leave = doc.querySelector(".st-key-bp-leave-projection button");
    if (leave) { event.preventDefault(); leave.click(); }
  });
})();
</script>
"""


def projecting() -> bool:
    """True while projection mode is on (pages/ui/panel.py and stepper.py lay the step out for it)."""
    return bool(st.session_state.get(PRESENT, False))


def title(text: str) -> None:
    """A lesson's title, under a key of its own (TITLE), so that projection mode can keep it on screen."""
    with st.container(key=TITLE):
        st.title(text)


def hide_desk() -> None:
    """A stepped lesson in projection mode shows only its title, the notices, the toolbar and the stepper: the rest
    is for a learner at a desk (assets/projection_stepped.css; stepper.walk calls this)."""
    if projecting():
        st.html(STEPPED_STYLE)  # style only, like STYLE


def chart_scale() -> float:
    """How much larger than normal a chart draws its text: CHART_SCALE in projection mode, else 1."""
    return CHART_SCALE if projecting() else 1.0


def language_name(code: str) -> str:
    """A language as its own catalogue names it ("English"); the selector shows it and writes it into the URL."""
    return catalogue(code).get(NAME_KEY, code)


def _forget_notice() -> None:
    """Once the learner sets projection mode or the language, the notice about the link's values has done its job."""
    st.session_state.pop(NOTICE, None)


def _set_projection(on: bool) -> None:
    st.session_state[PRESENT] = on
    _forget_notice()


def _ignored_link_values() -> list[str]:
    """The URL parameters of this module whose value is ignored: the language and projection mode."""
    bad = []
    present = st.query_params.get_all(PRESENT)
    if present and (len(present) > 1 or present[-1].strip().lower() not in ON_WORDS + OFF_WORDS):
        bad.append(PRESENT)
    lang = st.query_params.get_all(LANG)
    if lang and (len(lang) > 1 or lang[-1] not in languages() + tuple(map(language_name, languages()))):
        bad.append(LANG)
    return bad


def setup(page: str) -> None:
    """The stylesheet, the keys' script, the projection toggle and the language selector, on every page.

    page: the current page's URL path, so a notice about the link stays on the page the link opened.
    """
    st.html(STYLE)  # style only: Streamlit sends it where it takes no room
    messages = {"copied": t("classroom.copied"), "prompt": t("classroom.copy_prompt")}
    data = " ".join(f'data-{name}="{html.escape(text, quote=True)}"' for name, text in messages.items())
    st.html(f'<div class="bp-classroom bp-script" hidden {data}></div>{_SCRIPT}', unsafe_allow_javascript=True)

    bad = _ignored_link_values()
    if bad:
        st.session_state[NOTICE] = (page, bad)
    # First run of a link (neither parameter is bound to its widget before the widget first exists): a parameter
    # given twice is dropped (pages/ui/inputs.py; Streamlit would take the last, the notice says the default), and
    # Streamlit reads only ?present=true and a language by the name the selector shows, so ?present=1 and
    # ?lang=<code> are rewritten to those; then the app runs again from the mended link (app.py has named its pages
    # in the link's language before this).
    drop = [key for key in (PRESENT, LANG) if key not in st.session_state and inputs.repeated(key)]
    for key in drop:
        inputs.drop_link_value(key)
    rewrite = {}
    if PRESENT not in st.session_state and st.query_params.get(PRESENT, "").strip().lower() in ON_WORDS[1:]:
        rewrite[PRESENT] = "true"
    if LANG not in st.session_state and st.query_params.get(LANG) in languages():
        rewrite[LANG] = language_name(st.query_params[LANG])
    if drop or rewrite:
        st.query_params.update(rewrite)
        st.rerun()

    with st.sidebar:
        st.toggle(t("classroom.projection"), key=PRESENT, bind=inputs.binding(PRESENT),
                  help=t("classroom.projection_help"), on_change=_forget_notice)
        st.selectbox(t("classroom.language"), languages(), index=languages().index(DEFAULT_LANGUAGE), key=LANG,
                     format_func=language_name, bind=inputs.binding(LANG), on_change=_forget_notice)


def toolbar(page: str, lesson: bool) -> None:
    """Top right of the page: the keys and the link to this example (on a lesson), and projection mode on or off.

    Then, on the page a link opened, a notice naming the link's values for the language or projection mode that
    were ignored.
    """
    on = projecting()
    if on:
        st.html(PROJECTION_STYLE)  # style only, like STYLE; no longer sent, it leaves the page with the mode
    with st.container(key=MARKER if on else "bp-toolbar", horizontal=True, horizontal_alignment="right",
                      vertical_alignment="center", gap="small"):
        if lesson:
            with st.popover(t("classroom.keys.button"), icon=":material/keyboard:", key="bp-keys"):
                keys_help()
            with st.popover(t("classroom.copy_link"), icon=":material/link:", key="bp-copy-link",
                            help=t("classroom.copy_link_help")):
                st.html('<p class="bp-link-status" role="status" aria-live="polite"></p><p class="bp-link-text"></p>')
        if on:
            st.button(t("classroom.leave"), key="bp-leave-projection", shortcut="P", on_click=_set_projection,
                      args=(False,), icon=":material/close_fullscreen:")
        else:
            st.button(t("classroom.enter"), key="bp-enter-projection", shortcut="P", on_click=_set_projection,
                      args=(True,), icon=":material/slideshow:", help=t("classroom.enter_help"))
    notice = st.session_state.get(NOTICE)
    if notice and notice[0] == page:
        st.warning(t("inputs.ignored", names=", ".join(notice[1])), icon=":material/link_off:")


def keys_help() -> None:
    """The keys that move a lesson, as a two-column table."""
    rows = "\n".join(f"| {t(f'classroom.keys.{name}_keys')} | {t(f'classroom.keys.{name}')} |" for name in KEYS)
    st.markdown(f"**{t('classroom.keys.heading')}**\n\n"
                f"| {t('classroom.keys.key')} | {t('classroom.keys.action')} |\n|---|---|\n{rows}")
    st.caption(t("classroom.keys.clicker"))

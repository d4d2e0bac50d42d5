"""How fast every lesson repaints in a real browser, against the floor: an empty Streamlit page.

    python benchmarks/bench_browser.py                 # every lesson, 4-8 minutes on 2 cores
    python benchmarks/bench_browser.py --pages chain_rule_graph --clicks 30 --inputs 10 --loads 4

Starts the app and benchmarks/floor_app.py on free loopback ports, drives headless Chromium (Debian's, at
/usr/bin/chromium) through Playwright and, for every lesson of pages/ui/lessons.LESSONS, times three
things, interleaving the lesson and the floor one action at a time so that machine drift hits both alike:

- Next click: ``performance.now()`` in the page just before the button's ``click()``, then a
  MutationObserver. Two figures: *counter*, the frame where the new "Step k of n" is shown (the
  issue's definition), and *done*, the frame where the rerun has finished (Streamlit's
  ``data-test-script-state`` back to ``notRunning``), no element is stale and every chart is drawn,
  i.e. the whole new step is on screen. When the lesson reaches its last step, First is clicked
  (not timed) and the walk goes on.
- Input change: a slider thumb ([role=slider]) in the sidebar is focused and ArrowRight pressed (timed
  from the keydown); *numbers* is the frame where the main area's text first changes, *done* as above.
- First load: a fresh browser context (empty cache) opens the page; timed from navigation start to the
  first frame of the final stable state: counter shown, run finished, maths typeset (KaTeX), charts
  drawn, nothing stale. The first load of each page (cold server caches) is reported apart.
- With ``--present``, the lessons are opened in projection mode (``?present=true``), as a teacher in front of
  a class has them: Next clicks and first loads, no slider (the sidebar is hidden). The floor is the same.

Prints medians and ratios to the floor; writes benchmarks/results/browser.json. A page without a Next
button (a placeholder) is skipped with a note. Every wait is bounded; ``--budget`` bounds the run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.servers import CHROMIUM, CHROMIUM_ARGS, RESULTS, machine, streamlit  # noqa: E402

QUIET_MS = 200        # a measurement is final once the DOM has been still this long
WAIT_MS = 20_000      # longest wait for one click or slider move
LOAD_WAIT_MS = 120_000  # longest wait for a first load (cold caches on a busy 2-core machine)
VIEWPORT = {"width": 1400, "height": 900}

# Installed in every page before Streamlit's own scripts. window.__bp.watch holds the current measurement;
# every DOM mutation re-checks its condition, and the frame after the condition first holds is stamped
# (requestAnimationFrame). If the condition stops holding (a later rerun), the stamp is cleared.
INIT_SCRIPT = r"""
(() => {
  const bp = window.__bp = {lastMut: 0, stateChanges: 0, keyT: null, watch: null, requireMath: %REQUIRE_MATH%,
                            lastMsg: 0, bytes: 0};
  // Main-thread tasks over 50 ms (script, style, layout, paint): the browser's own work during a repaint.
  bp.long = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) bp.long.push([e.startTime, e.duration]); })
      .observe({type: 'longtask', buffered: true});
  } catch (e) { /* no Long Tasks API: the figure stays 0 */ }
  // When the last websocket message arrived: splits a repaint into server + network, then the browser's part.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        bp.lastMsg = performance.now(); bp.bytes += e.data.byteLength || e.data.size || e.data.length || 0;
      });
    }
  };
  const main = () => document.querySelector('[data-testid="stMain"]');
  bp.counter = () => {
    const m = main(); if (!m) return null;
    const found = /Step (\d+) of (\d+)/.exec(m.textContent);
    return found ? [Number(found[1]), Number(found[2])] : null;
  };
  bp.finished = (w) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const m = main();
    if (!app || !m || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (m.querySelector('[data-stale="true"]')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    for (const chart of m.querySelectorAll('[data-testid="stPlotlyChart"]'))
      if (!chart.querySelector('.main-svg')) return false;
    if (w.kind === 'load' && bp.requireMath && !m.querySelector('.katex')) return false;
    return true;
  };
  bp.diag = () => {
    const app = document.querySelector('[data-testid="stApp"]'), m = main(), w = bp.watch;
    return {counter: bp.counter(), state: app && app.getAttribute('data-test-script-state'), changes: bp.stateChanges,
      watch: w && {kind: w.kind, k: w.k, t0: w.t0, first: w.first, done: w.done, changes0: w.changes0},
      stale: m ? m.querySelectorAll('[data-stale="true"]').length : null,
      skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
      charts: m ? [...m.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .map(c => c.querySelectorAll('.main-svg').length) : null,
      katex: m ? m.querySelectorAll('.katex').length : null,
      katex_errors: m ? m.querySelectorAll('.katex-error').length : null,
      quiet_ms: performance.now() - bp.lastMut};
  };
  bp.conditions = (w) => {
    const counter = bp.counter();
    let first;
    if (w.kind === 'input') first = main() !== null && main().textContent !== w.baseline;
    else first = counter !== null && (w.k === null || counter[0] === w.k);
    return {first, done: first && bp.finished(w)};
  };
  bp.stamp = (w, field) => {
    w[field] = -1;
    requestAnimationFrame(() => {
      if (w[field] !== -1) return;
      w[field] = performance.now();
      if (field === 'done') {
        w.lastMsg = bp.lastMsg; w.bytes = bp.bytes - w.bytes0;
      }
    });
  };
  bp.check = () => {
    const w = bp.watch; if (!w) return;
    const c = bp.conditions(w);
    if (c.first && w.first === null) bp.stamp(w, 'first');
    if (c.done && w.done === null) bp.stamp(w, 'done');
    if (!c.done && w.done !== null) w.done = null;
  };
  bp.arm = (kind, k) => {
    const m = main();
    bp.watch = {kind, k, t0: null, first: null, done: null, changes0: bp.stateChanges, lastMsg: 0, bytes0: bp.bytes,
                baseline: m ? m.textContent : null};
    return bp.watch;
  };
  new MutationObserver((records) => {
    bp.lastMut = performance.now();
    for (const r of records) if (r.attributeName === 'data-test-script-state') bp.stateChanges++;
    bp.check();
  }).observe(document, {subtree: true, childList: true, characterData: true,
                        // only the attributes the conditions read: observing every attribute costs the page
                        attributeFilter: ['data-test-script-state', 'data-stale', 'class']});
  document.addEventListener('keydown', () => { bp.keyT = performance.now(); }, true);
  bp.arm('load', 1); bp.watch.t0 = 0; bp.watch.changes0 = -1;        // a page load is timed from navigation
})();
"""

SETTLED = f"""() => {{
  const w = window.__bp && window.__bp.watch;
  return w && w.done > 0 && performance.now() - window.__bp.lastMut > {QUIET_MS};
}}"""


KATEX_ERRORS: dict[str, set[str]] = {}   # page -> formulas KaTeX could not typeset (reported as notes)


class Skip(Exception):
    """This page cannot be measured this way; the message says why."""


EXTRA_CSS: list[str] = []   # --css: added to app pages only


def new_page(browser, *, require_math: bool):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INIT_SCRIPT.replace("%REQUIRE_MATH%", "true" if require_math else "false"))
    if require_math and EXTRA_CSS:
        context.add_init_script("document.addEventListener('DOMContentLoaded', () => {"
                                "const s = document.createElement('style'); s.textContent = %s;"
                                "document.head.appendChild(s); });" % json.dumps(EXTRA_CSS[0]))
    return context, context.new_page()


def settled(page, what: str, timeout: int | None = None) -> dict:
    """Wait until the armed measurement is done and the DOM is still; return its times (ms from t0)."""
    timeout = timeout or WAIT_MS
    try:
        page.wait_for_function(SETTLED, polling=50, timeout=timeout)
    except Exception as error:  # playwright TimeoutError, or a crashed page
        state = page.evaluate("() => __bp.diag()") if not page.is_closed() else {}
        raise TimeoutError(f"{what}: not settled within {timeout} ms ({state})") from error
    w = page.evaluate("""() => {
      const w = __bp.watch;   // long tasks are reported after they end: read them once the page is still
      w.longMs = __bp.long.filter(([start]) => start >= w.t0 && start < w.done).reduce((sum, [, d]) => sum + d, 0);
      return w;
    }""")
    errors = page.evaluate("() => [...document.querySelectorAll('.katex-error')].map(e => e.getAttribute('title'))")
    if errors:
        step = page.evaluate("() => __bp.counter()")
        KATEX_ERRORS.setdefault(page.url.split("?")[0], set()).update(f"step {step}: {e}" for e in errors)
    return {"first": w["first"] - w["t0"] if w["first"] and w["first"] > 0 else None, "done": w["done"] - w["t0"],
            # from the action to the last websocket message before the repaint was done: server + network
            "last_message": w["lastMsg"] - w["t0"] if w["lastMsg"] > w["t0"] else None, "bytes": w["bytes"],
            "long_tasks": w.get("longMs")}


def open_page(page, url: str) -> dict:
    page.goto(url, wait_until="commit", timeout=LOAD_WAIT_MS)
    return settled(page, f"load {url}", LOAD_WAIT_MS)


def stepper_code(page) -> str:
    """The page's stepper prefix, read from its container's key (st-key-bp-stepper-<code>)."""
    code = page.evaluate("""() => {
      const el = document.querySelector('[class*="st-key-bp-stepper-"]');
      if (!el) return null;
      return [...el.classList].find(c => c.startsWith('st-key-bp-stepper-')).slice('st-key-bp-stepper-'.length);
    }""")
    if not code:
        raise Skip("no stepper on the page (placeholder?)")
    return code


def click(page, code: str) -> dict:
    """Click Next (timed); at the last step click First first (not timed)."""
    k, n = page.evaluate("() => __bp.counter()")
    if k >= n:
        page.evaluate("(sel) => { __bp.arm('click', 1); __bp.watch.t0 = performance.now(); "
                      "document.querySelector(sel).click(); }", f".st-key-{code}-first button")
        settled(page, "First")
        k = 1
    selector = f".st-key-{code}-next button"
    ok = page.evaluate("""([sel, k]) => {
      const button = document.querySelector(sel);
      if (!button || button.disabled) return false;
      const w = __bp.arm('click', k); w.t0 = performance.now(); button.click(); return true;
    }""", [selector, k + 1])
    if not ok:
        raise Skip(f"no enabled Next button ({selector})")
    return settled(page, f"Next to step {k + 1}")


SLIDERS = ('[data-testid="stSidebar"] input[type="range"]:not([disabled]), '
           '[data-testid="stSidebar"] [role="slider"]:not([aria-disabled="true"])')


def slider_key(page) -> dict:
    """Press ArrowRight on the sidebar's first slider (ArrowLeft once it is at its maximum), timed from keydown.

    A Streamlit 1.67 slider thumb is a react-aria ``<input type="range">`` (an implicit role=slider); older
    releases drew a div with role="slider": both are looked for."""
    thumbs = page.locator(SLIDERS)
    if thumbs.count() == 0:
        raise Skip("no slider in the sidebar")
    thumb = thumbs.first
    at_max = thumb.evaluate("(e) => Number(e.value ?? e.getAttribute('aria-valuenow')) >= "
                            "Number(e.max || e.getAttribute('aria-valuemax'))")
    thumb.focus()
    page.evaluate("() => { __bp.arm('input', null); }")
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
    page.evaluate("() => { __bp.watch.t0 = __bp.keyT; __bp.check(); }")
    result = settled(page, "slider")
    result["counter"] = page.evaluate("() => __bp.counter()")  # the key must not step the lesson
    return result


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def summary(app: list[dict], floor: list[dict], field: str) -> dict:
    a, f = median([r[field] for r in app]), median([r[field] for r in floor])
    out = {"app_ms": a, "floor_ms": f, "ratio": round(a / f, 2) if a and f else None, "n": len(app)}
    if field == "done":  # where the time went: until the last message (server + network), then the browser
        for name, runs in (("app", app), ("floor", floor)):
            out[f"{name}_last_message_ms"] = median([r.get("last_message") for r in runs])
            out[f"{name}_browser_ms"] = median([r["done"] - r["last_message"] for r in runs if r.get("last_message")])
            out[f"{name}_kb"] = median([r["bytes"] / 1024 for r in runs if r.get("bytes") is not None])
            out[f"{name}_long_tasks_ms"] = median([r.get("long_tasks") for r in runs])
    return out


def measure_lesson(browser, app_url: str, floor_url: str, lesson, args, notes: list[str]) -> dict:
    """Clicks, slider moves and first loads of one lesson, each interleaved with the same on the floor."""
    url = f"{app_url}/{lesson.url_path}" + ("?present=true" if args.present else "")
    out: dict = {"url_path": lesson.url_path}
    # First loads first: the first one meets cold server caches (reported apart), the next ones warm.
    loads_app, loads_floor = [], []
    for i in range(args.loads + 1):
        for target, store, math in ((url, loads_app, True), (floor_url, loads_floor, False)):
            context, page = new_page(browser, require_math=math)
            try:
                store.append(open_page(page, target))
            finally:
                context.close()
    out["load_cold_ms"] = round(loads_app[0]["done"], 1)
    out["load"] = summary(loads_app[1:], loads_floor[1:], "done")

    app_ctx, app_page = new_page(browser, require_math=True)
    floor_ctx, floor_page = new_page(browser, require_math=False)
    try:
        open_page(app_page, url)
        open_page(floor_page, floor_url)
        code = stepper_code(app_page)
        out["steps"] = app_page.evaluate("() => __bp.counter()")[1]
        out["elements"] = page_census(app_page)
        try:
            clicks_app, clicks_floor = [], []
            for _ in range(args.clicks):
                clicks_app.append(click(app_page, code))
                clicks_floor.append(click(floor_page, "floor"))
            out["next_counter"] = summary(clicks_app, clicks_floor, "first")
            out["next_done"] = summary(clicks_app, clicks_floor, "done")
            out["next_done_p90_ms"] = round(sorted(r["done"] for r in clicks_app)[int(0.9 * len(clicks_app))], 1)
        except Skip as why:
            notes.append(f"{lesson.url_path}: Next click not measured: {why}")
        try:
            if args.present:
                raise Skip("projection mode hides the sidebar's sliders")
            inputs_app, inputs_floor = [], []
            for _ in range(args.inputs):
                inputs_app.append(slider_key(app_page))
                inputs_floor.append(slider_key(floor_page))
            moved = {(r["counter"] or (None,))[0] for r in inputs_app}   # the step k; n may follow the input
            if len(moved) > 1:
                notes.append(f"{lesson.url_path}: ArrowRight on a slider also moved the step: {sorted(moved)}")
            out["input_numbers"] = summary(inputs_app, inputs_floor, "first")
            out["input_done"] = summary(inputs_app, inputs_floor, "done")
        except Skip as why:
            notes.append(f"{lesson.url_path}: input change not measured: {why}")
    except Skip as why:
        notes.append(f"{lesson.url_path}: skipped: {why}")
    finally:
        app_ctx.close()
        floor_ctx.close()
    return out


def page_census(page) -> dict:
    """What the browser has to draw at the current step: a hint for profiling."""
    return page.evaluate("""() => {
      const m = document.querySelector('[data-testid="stMain"]');
      const charts = [...m.querySelectorAll('[data-testid="stPlotlyChart"]')];
      return {
        dom_nodes: m.querySelectorAll('*').length,
        elements: m.querySelectorAll('[data-testid="stElementContainer"]').length,
        katex: m.querySelectorAll('.katex').length,
        charts: charts.length,
        chart_svg_nodes: charts.reduce((s, c) => s + c.querySelectorAll('*').length, 0),
      };
    }""")


MEASURES = ("next_counter", "next_done", "input_done", "load")


def floor_medians(results: dict) -> dict[str, float]:
    """Per measure, the median over the pages of the floor measured alongside each (none: not measured)."""
    floors: dict[str, list[float]] = {}
    for r in results["pages"].values():
        for key in MEASURES:
            if r.get(key) and r[key]["floor_ms"] is not None:
                floors.setdefault(key, []).append(r[key]["floor_ms"])
    return {key: statistics.median(values) for key, values in floors.items()}


def print_table(results: dict) -> None:
    def fmt(entry: dict | None) -> str:
        if not entry or entry.get("app_ms") is None:
            return "      -      "
        return f"{entry['app_ms']:6.0f} {entry['ratio']:4.2f}x"
    print()
    print(f"{'page':22} {'next: counter':>14} {'next: done':>14} {'input: done':>14} {'first load':>14}")
    for name, r in results["pages"].items():
        print(f"{name:22} {fmt(r.get('next_counter')):>14} {fmt(r.get('next_done')):>14} "
              f"{fmt(r.get('input_done')):>14} {fmt(r.get('load')):>14}")
    floor = floor_medians(results)
    print(f"{'floor (median)':22} " + " ".join(f"{floor.get(k, float('nan')):6.0f} ms    " for k in MEASURES))
    print("(app median in ms, then ratio to the floor measured alongside it)")
    for note in results["notes"]:
        print("note:", note)


def markdown(results: dict) -> str:
    """The results as the table docs/performance.md keeps: app ms (ratio to the floor) per measure."""
    def cell(entry: dict | None) -> str:
        return f"{entry['app_ms']:.0f} ({entry['ratio']:.1f}x)" if entry and entry.get("app_ms") else "-"
    lines = ["| page | steps | Next: counter | Next: done | browser part of done | slider: done | first load | "
             "first load, cold |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results["pages"].items():
        done = r.get("next_done") or {}
        browser = f"{done['app_browser_ms']:.0f}" if done.get("app_browser_ms") else "-"
        lines.append(f"| {name} | {r.get('steps', '-')} | {cell(r.get('next_counter'))} | {cell(done)} | {browser} | "
                     f"{cell(r.get('input_done'))} | {cell(r.get('load'))} | {r.get('load_cold_ms', 0):.0f} |")
    f = {k: f"{v:.0f}" for k, v in floor_medians(results).items()}
    lines.append(f"| *floor* | | {f.get('next_counter', '-')} | {f.get('next_done', '-')} | | "
                 f"{f.get('input_done', '-')} | {f.get('load', '-')} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    global WAIT_MS
    from playwright.sync_api import sync_playwright

    from pages.ui.lessons import LESSONS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="*", help="url paths of the lessons to measure (default: all)")
    parser.add_argument("--clicks", type=int, default=30, help="timed Next clicks per page (default 30)")
    parser.add_argument("--inputs", type=int, default=8, help="timed slider moves per page (default 8)")
    parser.add_argument("--loads", type=int, default=3, help="timed warm first loads per page (default 3)")
    parser.add_argument("--budget", type=float, default=1800, help="stop starting new pages after this many seconds")
    parser.add_argument("--wait", type=float, default=WAIT_MS / 1000,
                        help=f"longest wait in seconds for one click or slider move (default {WAIT_MS / 1000:.0f})")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit option for both servers, e.g. runner.postScriptGC=false (to try a setting)")
    parser.add_argument("--present", action="store_true",
                        help="open the lessons in projection mode (?present=true), as a teacher in front of a class "
                             "does: Next clicks and first loads (projection mode hides the sidebar's sliders)")
    parser.add_argument("--css", help="extra CSS added to every app page (to try a style before changing assets/)")
    parser.add_argument("--out", type=Path, default=RESULTS / "browser.json")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON",
                        help="only print the table of an earlier run's results file, for docs/performance.md")
    args = parser.parse_args(argv)

    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return {}
    lessons = [lesson for lesson in LESSONS if not args.pages or lesson.url_path in args.pages]
    if args.css:
        EXTRA_CSS.append(args.css)
    WAIT_MS = int(1000 * args.wait)
    notes: list[str] = []
    results = {"machine": machine(), "settings": vars(args) | {"out": str(args.out)}, "pages": {}, "notes": notes}
    start = time.monotonic()
    options = [f"--{o}" for o in args.option]
    with streamlit("app.py", *options) as app, streamlit("benchmarks/floor_app.py", *options) as floor, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for lesson in lessons:
                if time.monotonic() - start > args.budget:
                    notes.append(f"{lesson.url_path}: not measured: --budget of {args.budget:.0f} s spent")
                    continue
                t = time.monotonic()
                before = os.getloadavg()[0]
                try:
                    results["pages"][lesson.url_path] = measure_lesson(browser, app.url, floor.url, lesson, args, notes)
                except TimeoutError as error:
                    notes.append(f"{lesson.url_path}: stopped: {error}")
                if lesson.url_path in results["pages"]:
                    after = os.getloadavg()[0]
                    results["pages"][lesson.url_path]["load_average_1min"] = [round(before, 2), round(after, 2)]
                print(f"{lesson.url_path}: {time.monotonic() - t:.0f} s", file=sys.stderr)
        finally:
            browser.close()
    for url, errors in KATEX_ERRORS.items():
        notes.append(f"{url.rsplit('/', 1)[-1]}: KaTeX could not typeset: " + "; ".join(sorted(errors))[:600])
    results["seconds"] = round(time.monotonic() - start)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print("\n" + markdown(results))
    print(f"\nwrote {args.out} in {results['seconds']} s")
    return results


if __name__ == "__main__":
    main()

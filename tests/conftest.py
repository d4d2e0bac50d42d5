"""Fixtures and helpers for the browser tests: one running app per test session, one headless Chromium and one
reused page per test module, and the waits and reads every browser test needs.

The core tests need none of these. Without a Chromium binary (or the playwright package) the browser tests
skip, unless BROWSER_TESTS=required (as in CI), where they fail instead. One fixture is for AppTest:
`through_app` runs every AppTest run through app.py, as a server does.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "tests" / "screenshots"  # gitignored; also holds the server's log
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 60.0
IDLE_TIMEOUT_MS = 45_000
DESKTOP = {"width": 1400, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}

# A message missing from the catalogue raises in tests instead of falling back (pages/ui/i18n.py).
# Set before any app runs, so AppTest runs and the streamlit server below both inherit it.
os.environ["BACKPROP_LAB_STRICT_I18N"] = "1"


def _no_browser(reason: str) -> None:
    """Skip, or fail when the run says browser tests are required."""
    if os.environ.get("BROWSER_TESTS") == "required":
        pytest.fail(f"BROWSER_TESTS=required but {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


def _require_browser() -> str:
    """The Chromium to drive; skip the test (or fail, when browser tests are required) without one."""
    executable = _chromium()
    if executable is None:
        _no_browser("no Chromium found: install Debian's chromium to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _no_browser("the playwright package is not installed: pip install -r requirements-test.txt")
    return executable


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port of 127.0.0.1, once per session; yield its base URL.

    Without a Chromium the tests skip before a server starts."""
    _require_browser()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    SCREENSHOTS.mkdir(exist_ok=True)
    with open(SCREENSHOTS / "streamlit.log", "wb") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, process, SERVER_START_TIMEOUT)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright, shared by a test module.

    Per module, not per session: Playwright's sync API keeps an asyncio loop running in this thread while it
    is started, and tests that run asyncio themselves (the notebook handouts' kernels) must not see it."""
    executable = _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page, 1400x900, in its own browser context (nothing shared with another test)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def through_app(monkeypatch) -> None:
    """AppTest runs go through app.py's st.navigation every time, as a server's runs do.

    A folder named pages/ beside app.py puts Streamlit in its older pages-folder mode, which runs a page file on
    its own, without app.py (so without the projection toggle, the language and the toolbar). A server decides
    that mode once per process, and pages/__init__.py switches it off on the first run; AppTest decides it
    afresh before every run, so its runs after ``switch_page`` run the page alone. With this fixture the
    server's decision holds. (AppTest turns a select box's value back into its label in English, outside the
    script: a test that sets the language with this fixture sees that.)"""
    from streamlit.runtime.pages_manager import PagesManager

    decide = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        decide(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


class Dialogs(list):
    """The messages of every alert/confirm/prompt a page opened (each is dismissed)."""


@pytest.fixture(scope="module")
def shared_page(browser) -> Iterator[object]:
    """One page for a whole test module, reused by the tests that only need to open a URL and look.

    Each ``goto`` opens a new Streamlit session, so tests do not see each other's state. ``page.dialogs``
    lists every dialog the page opened (a test clears it), so a test can assert that no script ran."""
    context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.dialogs = Dialogs()
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page
    finally:
        context.close()


# -- waiting -------------------------------------------------------------------------------------------------
def wait_for_idle(page, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    """Wait until Streamlit has run the script to the end and drawn it (and KaTeX, if any).

    Idle means: the app root is there, its script state (a test hook Streamlit sets on the
    root; ignored if a release drops it) is "notRunning", the status widget (the "Running..."
    indicator) and every loading skeleton (a chart whose code is still loading) are gone; and
    every ``.katex`` element, but those inside a closed expander or hidden (projection mode hides
    the sidebar and the introduction), is laid out.
    """
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)


_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return false;
    const state = app.getAttribute("data-test-script-state");
    if (state !== null && state !== "notRunning") return false;
    return [...document.querySelectorAll(".katex")].every(
        (el) => el.closest("details:not([open])") || !el.checkVisibility() || el.getBoundingClientRect().height > 0
    );
}"""

# Every Plotly chart on the page has drawn its SVG, with its text.
_CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every((chart) => chart.querySelector(".main-svg text"))"""

# What changes while a page is still being drawn: how many elements, formulas, charts' texts.
_SIGNATURE_JS = """() => [
    document.querySelectorAll('[data-testid="stElementContainer"]').length,
    document.querySelectorAll(".katex").length,
    document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg text').length,
].join(",")"""


def settle(page, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    """Wait for the run to finish and its charts and maths to be drawn: Streamlit shows its running indicator
    only after a delay, and a link's first run may be followed by a second, so the page must also look the
    same twice in a row, a quarter of a second apart."""
    wait_for_idle(page, timeout_ms)
    previous = None
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        wait_for_idle(page, timeout_ms)
        signature = page.evaluate(_SIGNATURE_JS)
        if signature == previous:
            break
        previous = signature
    page.wait_for_function(_CHARTS_DRAWN_JS, timeout=timeout_ms)


def open_url(page, url: str) -> None:
    """Open ``url`` and wait until the page has its title and has settled."""
    page.goto(url)
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=IDLE_TIMEOUT_MS)
    settle(page)


# -- reading the page ----------------------------------------------------------------------------------------
def counter_pattern() -> re.Pattern:
    from pages.ui.i18n import t

    return re.compile(re.escape(t("steps.counter", k="\0", n="\0")).replace("\0", r"(\d+)"))


def counter(page) -> tuple[int, int] | None:
    """The "Step k of n" counter as (k, n), or None on a page without one."""
    match = counter_pattern().search(page.locator('[data-testid="stMain"]').inner_text())
    return (int(match[1]), int(match[2])) if match else None


def wait_for_counter(page, k: int) -> None:
    """Wait until the counter shows step k (the step repaints in a fragment, without a full run)."""
    from pages.ui.i18n import t

    text = t("steps.counter", k=k, n="")
    page.wait_for_function(
        "(text) => document.querySelector('[data-testid=\"stMain\"]').innerText.includes(text)",
        arg=text.rstrip(), timeout=IDLE_TIMEOUT_MS,
    )
    wait_for_idle(page)
    page.wait_for_function(_CHARTS_DRAWN_JS, timeout=IDLE_TIMEOUT_MS)


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the viewport to tests/screenshots/<name>.png, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path

"""Fixtures for the browser tests: a running app, a headless Chromium, a fresh page.

The core tests need none of these. Without a Chromium binary (or the playwright package) the
browser tests skip, unless BROWSER_TESTS=required (as in CI), where they fail instead.
"""
from __future__ import annotations

import os
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
IDLE_TIMEOUT_MS = 30_000

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


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port; yield its base URL."""
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


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright, shared by the session."""
    executable = _chromium()
    if executable is None:
        _no_browser("no Chromium found: install Debian's chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed: pip install -r requirements-test.txt")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page, 1400x900, in its own browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def wait_for_idle(page, timeout_ms: int = IDLE_TIMEOUT_MS) -> None:
    """Wait until Streamlit has run the script to the end and drawn it (and KaTeX, if any).

    Idle means: the app root is there, its script state (a test hook Streamlit sets on the
    root; ignored if a release drops it) is "notRunning", and the status widget (the
    "Running..." indicator) is gone; and every ``.katex`` element, but those inside a closed
    expander, is laid out.
    """
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)


_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || document.querySelector('[data-testid="stStatusWidget"]')) return false;
    const state = app.getAttribute("data-test-script-state");
    if (state !== null && state !== "notRunning") return false;
    return [...document.querySelectorAll(".katex")].every(
        (el) => el.closest("details:not([open])") || el.getBoundingClientRect().height > 0
    );
}"""

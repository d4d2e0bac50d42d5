"""Start and stop Streamlit servers (and read their memory) for the browser benchmark and the load mode."""
from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url}/_stcore/health did not answer within {timeout:.0f} s")


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


def streamlit_command(script: str, port: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra,
    ]


@contextmanager
def streamlit(script: str, *extra: str, log: Path | None = None, port: int | None = None):
    """``streamlit run script`` on a free loopback port; yields a Server, stops it on exit."""
    port = port or free_port()
    env = dict(os.environ)
    env.pop("BACKPROP_LAB_STRICT_I18N", None)  # the app as students get it
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = log or RESULTS / f"{Path(script).stem}-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(streamlit_command(script, port, *extra), cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, env=env)
        server = Server(f"http://127.0.0.1:{port}", port, process)
        try:
            wait_healthy(server.url, process)
            yield server
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc (Linux), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
        with open("/proc/meminfo") as info:
            mem_gb = int(next(line for line in info if line.startswith("MemTotal")).split()[1]) / 1024 ** 2
    except (OSError, StopIteration):
        mem_gb = float("nan")
    import streamlit
    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "not found"
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        commit, dirty = git("rev-parse", "--short", "HEAD"), bool(git("status", "--porcelain"))
    except OSError:
        commit, dirty = "", False
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "streamlit": streamlit.__version__, "chromium": chromium,
        "commit": commit + ("+uncommitted" if dirty else ""),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],  # other work on the machine: noise
    }

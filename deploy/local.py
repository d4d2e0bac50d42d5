"""Two (or more) app replicas behind nginx on loopback, as in production but on one machine.

    python deploy/local.py                      # 2 replicas + nginx on http://127.0.0.1:8080, Ctrl-C stops all
    python deploy/local.py --replicas 3 --port 9000

Needs nginx (Debian: ``apt-get install nginx-light``; found on PATH or at /usr/sbin/nginx). Each replica is
``streamlit run app.py`` on its own loopback port with the same ``server.cookieSecret``: taken from the
environment variable BACKPROP_LAB_COOKIE_SECRET, else from deploy/.cookie_secret (created on first use,
mode 600, not committed). nginx's config is deploy/nginx.conf.template with the ports filled in; it and
nginx's pid and logs go to deploy/run/ (not committed). benchmarks/load.py --deploy uses ``cluster()``.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
RUN = DEPLOY / "run"
sys.path.insert(0, str(ROOT))

from benchmarks.servers import Server, free_port, stop, streamlit_command, wait_healthy  # noqa: E402


def cookie_secret() -> str:
    """The secret every replica shares (signing Streamlit's cookies)."""
    if os.environ.get("BACKPROP_LAB_COOKIE_SECRET"):
        return os.environ["BACKPROP_LAB_COOKIE_SECRET"]
    path = DEPLOY / ".cookie_secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx not found: apt-get install nginx-light (Debian) or your system's nginx")
    return found


def nginx_config(listen: str, upstreams: list[str]) -> Path:
    RUN.mkdir(exist_ok=True)
    servers = "\n".join(f"        server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
    text = (DEPLOY / "nginx.conf.template").read_text()
    text = text.replace("@RUN@", str(RUN)).replace("@LISTEN@", listen).replace("@SERVERS@", servers)
    path = RUN / "nginx.conf"
    path.write_text(text)
    return path


@dataclass
class Cluster:
    url: str                 # nginx's address: what students open
    replicas: list[Server]

    @property
    def pids(self) -> list[int]:
        return [r.pid for r in self.replicas]


@contextmanager
def cluster(replicas: int = 2, port: int = 8080, replica_ports: list[int] | None = None, extra: tuple[str, ...] = ()):
    """Start the replicas and nginx; yield a Cluster; stop everything on exit."""
    ports = replica_ports or [free_port() for _ in range(replicas)]
    env = dict(os.environ, STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret())
    env.pop("BACKPROP_LAB_STRICT_I18N", None)
    RUN.mkdir(exist_ok=True)
    with ExitStack() as stack:
        servers = []
        for p in ports:
            log = open(RUN / f"replica-{p}.log", "wb")
            stack.callback(log.close)
            process = subprocess.Popen(streamlit_command("app.py", p, *extra), cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
            stack.callback(stop, process)
            servers.append(Server(f"http://127.0.0.1:{p}", p, process))
        for s in servers:
            wait_healthy(s.url, s.process)
        config = nginx_config(f"127.0.0.1:{port}", [f"127.0.0.1:{s.port}" for s in servers])
        nginx = subprocess.Popen([nginx_binary(), "-e", str(RUN / "error.log"), "-p", str(RUN), "-c", str(config),
                                  "-g", "daemon off;"], cwd=RUN)
        stack.callback(stop, nginx)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, nginx, timeout=15)
        yield Cluster(url, servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="nginx listens on 127.0.0.1:PORT")
    parser.add_argument("--replica-ports", type=int, nargs="*", help="default: free ports")
    args = parser.parse_args()
    with cluster(args.replicas, args.port, args.replica_ports) as c:
        print(f"Backprop Lab on {c.url} ({len(c.replicas)} replicas: "
              + ", ".join(f"{s.url} pid {s.pid}" for s in c.replicas) + "). Ctrl-C stops all.", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopping", flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()

"""Two settings of the server process that Streamlit leaves at costly defaults, made once from the app.

**No Nagle delay on the WebSocket.** Streamlit 1.67 binds its listening socket itself, without naming the TCP
protocol (`socket.socket(family, SOCK_STREAM)`, proto 0), and asyncio sets TCP_NODELAY only on sockets whose proto is
IPPROTO_TCP: so every student's WebSocket runs Nagle's algorithm. A rerun sends dozens of small messages; with
Nagle, one written while an earlier one is still unacknowledged waits for that acknowledgement, which the browser's
TCP delays by up to 40 ms. A click right after the previous step had arrived took 48 ms instead of 14
(benchmarks/load.py; docs/performance.md, change 10). `no_delay` sets TCP_NODELAY on the listening socket, which
connections accepted afterwards inherit (Linux, BSD), and on the connections already open.

**Modules out of the full garbage collections.** A full collection walks every tracked object of the process;
once a lesson is open most of them are the modules' own (NumPy, SymPy, Plotly, Streamlit): about 120,000 objects,
30-50 ms with the GIL held. After a run that imported new modules, `freeze_new_imports` collects once and moves
every object into the collector's permanent generation (gc.freeze), which later collections skip. Objects are
still freed by reference counting; what is given up is collecting cycles among the frozen objects, which at that
moment are the modules and what the run left: a bounded amount, once per new set of imports. For 30 students
(benchmarks/load.py, change 11) the p95 click went from 24-25 to 19-20 ms, the slowest from 74-91 to 38-40 ms.
"""
from __future__ import annotations

import gc
import os
import socket
import sys
from collections.abc import Iterator

_FD_DIRS = ("/proc/self/fd", "/dev/fd")   # the process's open files, Linux then BSD and macOS
_modules_at_last_freeze = 0
_no_delay_done = False


def _tcp_sockets() -> Iterator[socket.socket]:
    """Each TCP socket the process has open, as a duplicate (closed after use; options set on it are the socket's)."""
    fd_dir = next((d for d in _FD_DIRS if os.path.isdir(d)), None)
    for name in os.listdir(fd_dir) if fd_dir else ():
        try:
            copy = os.dup(int(name))
        except (OSError, ValueError):
            continue
        blocking = os.get_blocking(copy)   # the file's own mode: a socket object may change it (default timeout)
        try:
            sock = socket.socket(fileno=copy)
        except OSError:   # not a socket
            os.close(copy)
            continue
        with sock:
            os.set_blocking(copy, blocking)
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                yield sock


def no_delay() -> int:
    """TCP_NODELAY on every TCP socket of the server (once per process); the number of sockets set."""
    global _no_delay_done
    if _no_delay_done:
        return 0
    _no_delay_done = True
    count = 0
    for sock in _tcp_sockets():
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:   # a connection already shut down (macOS refuses the option on it): the others still get it
            continue
        count += 1
    return count


def freeze_new_imports() -> bool:
    """Freeze the heap if modules were imported since the last freeze; True if it froze."""
    global _modules_at_last_freeze
    if len(sys.modules) <= _modules_at_last_freeze:
        return False
    gc.collect()   # what is garbage now is freed, not frozen
    gc.freeze()
    _modules_at_last_freeze = len(sys.modules)
    return True

"""pages/ui/server.py: the server's TCP sockets get TCP_NODELAY (the listening one, so that later connections
inherit it, and the connections already open), and the heap is frozen once per new set of imports."""
import os
import socket

import pytest

from pages.ui import server


def _no_delay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(server, "_no_delay_done", False)


def test_listening_and_open_connections_get_no_delay(fresh):
    # bound as Streamlit binds it: no protocol named, so asyncio would leave Nagle on
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        early = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        early.connect(listener.getsockname())
        early_server_side, _ = listener.accept()
        assert not _no_delay(listener) and not _no_delay(early_server_side)

        assert server.no_delay() >= 3   # the listener, and both ends of the early connection

        later = socket.create_connection(listener.getsockname())
        later_server_side, _ = listener.accept()
        try:
            assert _no_delay(listener)
            assert _no_delay(early_server_side)
            assert _no_delay(later_server_side)   # inherited from the listener
        finally:
            for sock in (early, early_server_side, later, later_server_side):
                sock.close()


def test_once_per_process(fresh):
    server.no_delay()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert server.no_delay() == 0
        assert not _no_delay(listener)


def test_files_that_are_not_tcp_sockets_are_left_alone(fresh, tmp_path):
    a, b = socket.socketpair()
    with open(tmp_path / "f", "w") as f, a, b:
        server.no_delay()   # a regular file and a Unix socket pair: neither raises nor is closed
        f.write("still open")
        a.sendall(b"x")
        assert b.recv(1) == b"x"


def test_the_heap_is_frozen_once_per_new_set_of_imports(monkeypatch):
    import gc
    import sys

    monkeypatch.setattr(server, "_modules_at_last_freeze", 0)
    try:
        assert server.freeze_new_imports()
        assert gc.get_freeze_count() > 1000   # the modules' objects, now skipped by every collection
        assert not server.freeze_new_imports()   # nothing imported since
        monkeypatch.setitem(sys.modules, "a_module_imported_since", type(sys)("a_module_imported_since"))
        assert server.freeze_new_imports()
    finally:
        gc.unfreeze()


def test_a_blocking_socket_stays_blocking_whatever_the_default_timeout(fresh):
    # a socket object made on a duplicate applies the default timeout (non-blocking mode) to the shared file
    socket.setdefaulttimeout(5)
    try:
        a, b = socket.socketpair()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener, a, b:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            listener.setblocking(True)
            server.no_delay()
            assert os.get_blocking(listener.fileno())
    finally:
        socket.setdefaulttimeout(None)

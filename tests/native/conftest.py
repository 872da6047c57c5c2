from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.native.doctor import available


class Events:
    """A stand-in for SessionEvents: records ``emit(type, **fields)``."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def emit(self, type: str, **fields) -> None:
        with self.lock:
            self.items.append((type, fields))

    def actions(self, kind: str, types: tuple[str, ...] = ("action.requested", "action.denied")):
        return [
            (t, f)
            for t, f in list(self.items)
            if t in types and f.get("action") is not None and f["action"].kind == kind
        ]


_AVAILABLE: dict[str, tuple[bool, str]] = {}


def _probe(backend: str) -> tuple[bool, str]:
    """Whether ``backend`` works here; only a success is remembered (a failure may be
    passing: load, or a test that changed PATH), so the next test asks again."""
    hit = _AVAILABLE.get(backend)
    if hit is not None:
        return hit
    ok, why = available(backend)
    if ok:
        _AVAILABLE[backend] = (ok, why)
    return ok, why


def _bwrap() -> tuple[bool, str]:
    return _probe("bwrap")


def _gvisor() -> tuple[bool, str]:
    return _probe("gvisor")


def need(backend: str) -> None:
    ok, why = _probe(backend)
    if not ok:
        pytest.skip(f"{backend} unavailable here: {why}")


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def bwrap_box(workspace, events):
    need("bwrap")
    from corral.native.bwrap import BwrapBackend

    box = BwrapBackend(workspace, Budget(wall_s=20, memory_mb=256), events=events)
    box.start()
    yield box
    box.close()


class Server:
    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "hello.txt").write_text("hello from the host\n")
    srv = Server(root)
    srv.root = root  # type: ignore[attr-defined]
    yield srv
    srv.close()


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def wait_pool_ready(n: int = 1, timeout: float = 60.0) -> None:
    """Until some pool (``corral.native.pool``) holds ``n`` ready sandboxes."""
    from corral.native import pool

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(p["ready"] >= n for p in pool.stats()):
            return
        time.sleep(0.02)
    raise AssertionError(f"the pool did not fill: {pool.stats()}")

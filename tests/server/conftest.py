"""A real ``corral serve`` (uvicorn on a loopback port, in a thread) for the tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="the server tests need httpx (pip install httpx)")
pytest.importorskip("fastapi", reason="corral serve needs fastapi")
uvicorn = pytest.importorskip("uvicorn", reason="corral serve needs uvicorn")

from corral.server import Limits, ServerConfig, create_app  # noqa: E402

TOKENS = {
    "alice-token-0123456789abcdef": "alice",
    "bob-token-0123456789abcdef00": "bob",
}
ALICE = {"Authorization": "Bearer alice-token-0123456789abcdef"}
BOB = {"Authorization": "Bearer bob-token-0123456789abcdef00"}

#: a policy that asks before `touch` and allows everything else
ASKING = """\
version: 1
commands:
  default: allow
  ask: ["touch *"]
network: {default: deny}
approvals: {timeout_s: 60}
"""


@dataclass
class Server:
    url: str
    app: Any
    config: ServerConfig

    def client(self, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers or {}, timeout=60, **kw)


@contextlib.contextmanager
def running(config: ServerConfig, **app_kw: Any) -> Iterator[Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config.port = port
    app = create_app(config, **app_kw)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", app, config)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def make_config(tmp_path: Path, **kw: Any) -> ServerConfig:
    policy = tmp_path / "asking.yaml"
    policy.write_text(ASKING)
    base: dict[str, Any] = {
        "tokens": dict(TOKENS),
        "policies": {"asking": str(policy)},
        "default_policy": "permissive",
        "audit": tmp_path / "audit.db",
    }
    base.update(kw)
    return ServerConfig(**base)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(make_config(tmp_path)) as s:
        yield s


@pytest.fixture
def alice(server: Server) -> Iterator[httpx.Client]:
    with server.client(ALICE) as c:
        yield c


@pytest.fixture
def bob(server: Server) -> Iterator[httpx.Client]:
    with server.client(BOB) as c:
        yield c


def small_limits(**kw: Any) -> Limits:
    return Limits(**kw)

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Recorder:
    """A loopback HTTP server that counts what reached it."""

    host: str
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)


def _serve(host: str, port: int = 0) -> tuple[Recorder, http.server.ThreadingHTTPServer]:
    rec = Recorder(host)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            rec.requests.append((self.path, self.headers.get("Host", "")))
            if self.path.startswith("/redirect"):
                target = self.path.split("to=", 1)[1]
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = f"reached {host}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    rec.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return rec, server


@pytest.fixture
def loopback_pair() -> Iterator[tuple[Recorder, Recorder]]:
    """Two servers on the same port: 127.0.0.1 (forbidden) and 127.0.0.2 (allowed)."""
    forbidden, s1 = _serve("127.0.0.1")
    try:
        allowed, s2 = _serve("127.0.0.2", forbidden.port)
    except OSError:
        s1.shutdown()
        pytest.skip("cannot bind 127.0.0.2 on this machine")
    try:
        yield forbidden, allowed
    finally:
        s1.shutdown()
        s2.shutdown()

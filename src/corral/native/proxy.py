"""The egress proxy: the only way out of a native sandbox.

:class:`EgressProxy` speaks HTTP (``CONNECT`` tunnels and plain-HTTP forwarding with an
absolute URI) and SOCKS5 (``CONNECT``, names resolved here: ``socks5h``) on the same
ports: a loopback TCP port of the host, listening sockets handed to it inside a
sandbox's network namespace (:meth:`serve`), and Unix sockets for in-sandbox relays
(:meth:`unix_listen`).

Every connection is decided before anything is resolved or sent: first
``decide(host, port, None)`` on the name (so a denied name is never even looked up: no
DNS exfiltration), then the proxy resolves the name itself and calls
``decide(host, port, ip)`` for the address it will connect to, and connects to exactly
that address (so a name cannot rebind to a forbidden address between check and use).
``decide`` may return ``(allowed, reason)``, a :class:`~corral.events.Decision` (the lead
passes ``Policy.decide_net``) or a bool.

Each connection is reported through ``events.emit``: ``action.requested`` /
``action.denied`` with a :class:`~corral.events.NetAction` and the decision when it is
decided, ``action.completed`` with bytes in/out, duration, the address and the protocol
guessed from the first bytes (``tls``, ``http``, ``ssh``, ``stratum``, ``jsonrpc``,
``unknown``) when it ends. Bytes are metered against ``max_bytes_in``/``max_bytes_out``
and ``max_connections``; :meth:`cut` and :meth:`cut_session` stop connections now.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..events import Decision, NetAction
from ..net.address import resolve
from ..net.connect import Refused, connect_checked

log = logging.getLogger("corral.native.proxy")

__all__ = ["ConnectionInfo", "EgressProxy", "classify"]

_HTTP_METHODS = re.compile(rb"^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|TRACE|CONNECT) ")
MAX_HEAD = 64 * 1024
#: connections handled at once (one thread each); past it a new one is closed at once.
#: A sandbox of 256 processes with 1,024 descriptors each could hold 256k connections:
#: as many host threads.
MAX_LIVE = 512
#: connections :attr:`EgressProxy.connections` remembers (the live ones always): every
#: refused connection stayed recorded for the proxy's life (2.4 KB each, a count over all
#: of them at every new one)
MAX_RECORDED = 4096


def classify(first: bytes) -> str:
    """Guess the protocol from the first bytes a client sent."""
    if not first:
        return "none"
    if len(first) >= 3 and first[0] == 0x16 and first[1] == 0x03:
        return "tls"
    if first.startswith(b"SSH-"):
        return "ssh"
    if _HTTP_METHODS.match(first):
        return "http"
    head = first.lstrip()[:4096]
    if head.startswith(b"{") or head.startswith(b"["):
        low = head.lower()
        if b"mining." in low or (b'"login"' in low and b'"agent"' in low) or b"stratum" in low:
            return "stratum"
        if b'"jsonrpc"' in low or b'"method"' in low:
            return "jsonrpc"
    return "unknown"


@dataclass
class ConnectionInfo:
    """One proxied connection (live or finished)."""

    id: str
    host: str
    port: int
    via: str  # "http", "connect", "socks5"
    url: str | None = None
    ip: str | None = None
    allowed: bool = False
    reason: str = ""
    protocol: str = "none"
    bytes_in: int = 0  # from the remote to the sandbox
    bytes_out: int = 0  # from the sandbox to the remote
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    cut: bool = False
    error: str | None = None
    refusal: str | None = None  # why not connected: "policy", "dns", "connect", ...

    @property
    def duration(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class _Cut(Exception):
    pass


class EgressProxy:
    """HTTP + SOCKS5 egress proxy with a per-connection policy check (see module doc)."""

    def __init__(
        self,
        decide: Callable[..., Any] | None = None,
        *,
        events: Any = None,
        host: str = "127.0.0.1",
        port: int = 0,
        max_bytes_in: int | None = None,
        max_bytes_out: int | None = None,
        max_connections: int | None = None,
        connect_timeout: float = 10.0,
        idle_timeout: float = 300.0,
        resolver: Callable[[str, int], list[str]] | None = None,
    ) -> None:
        self.decide = decide
        self.events = events
        self.host = host
        self.port = port
        self.max_bytes_in = max_bytes_in
        self.max_bytes_out = max_bytes_out
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.resolver = resolver or resolve
        #: the live connections and the most recent finished ones (:data:`MAX_RECORDED`)
        self.connections: dict[str, ConnectionInfo] = {}
        self.allowed_count = 0  # connections allowed so far (the connection budget's count)
        self.refused_busy = 0  # connections closed at once: MAX_LIVE were being handled
        self._handling = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.budget_exceeded: str | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._socks: dict[str, tuple[socket.socket, socket.socket]] = {}
        self._listeners: list[socket.socket] = []
        self._main: socket.socket | None = None
        self._cut_all = False
        self._closed = False
        self._started = False

    # ------------------------------------------------------------------ listening

    def __enter__(self) -> EgressProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> EgressProxy:
        if self._started or self._closed:
            return self
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        self._main = s
        self.port = s.getsockname()[1]
        self._started = True
        self.serve(s, label="host")
        return self

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve(self, listener: socket.socket, label: str = "") -> None:
        """Accept connections on another listening socket (e.g. one in a sandbox's netns)."""
        with self._lock:
            self._listeners.append(listener)
        t = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"corral-proxy-{label}", daemon=True
        )
        t.start()

    def unserve(self, listener: socket.socket) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            listener.close()

    def unix_listen(self, path: Path | str, *, world: bool = False) -> socket.socket:
        """Listen on a Unix socket too (for relays inside sandboxes). Only this user may
        connect (the sandbox's processes run as this user when corral is not root; as
        root, ``world=True`` lets a runtime that drops privileges in)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(p.parent, 0o755 if world else 0o700)
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(p))
        os.chmod(p, 0o666 if world else 0o600)
        s.listen(128)
        self.serve(s, label="unix")
        return s

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._closed:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                busy = self._handling >= MAX_LIVE
                if not busy:
                    self._handling += 1
            if busy:
                self.refused_busy += 1
                with contextlib.suppress(OSError):
                    conn.close()
                continue
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            t.start()

    def close(self) -> None:
        self._closed = True
        self.cut_session()
        with self._lock:
            listeners = list(self._listeners)
            self._listeners.clear()
        for s in listeners:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    # ------------------------------------------------------------------ control

    def cut(self, conn_id: str) -> bool:
        """Stop one connection now; ``False`` when it is not live (or already cut)."""
        with self._lock:
            pair = self._socks.get(conn_id)
            info = self.connections.get(conn_id)
        if pair is None or (info is not None and info.cut):
            return False
        if info is not None:
            info.cut = True
        for s in pair:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        return True

    def cut_session(self, *, refuse_new: bool = True) -> int:
        """Stop every live connection (and, by default, refuse new ones); returns how many."""
        if refuse_new:
            self._cut_all = True
        with self._lock:
            ids = list(self._socks)
        return sum(self.cut(i) for i in ids)

    def resume(self) -> None:
        """Accept new connections again after :meth:`cut_session`."""
        self._cut_all = False

    def live(self) -> list[ConnectionInfo]:
        with self._lock:
            return [self.connections[i] for i in self._socks if i in self.connections]

    # ------------------------------------------------------------------ events

    def _emit(self, type: str, **fields: Any) -> None:
        if self.events is None:
            return
        try:
            self.events.emit(type, **fields)
        except Exception:
            log.debug("proxy event %s not emitted", type, exc_info=True)

    # ------------------------------------------------------------------ handling

    def _handle(self, client: socket.socket) -> None:
        try:
            client.settimeout(30)
            first = client.recv(1, socket.MSG_PEEK)
            if not first:
                return
            if first[0] == 0x05:
                self._socks5(client)
            else:
                self._http(client)
        except Exception as e:
            log.debug("proxy connection failed: %r", e)
        finally:
            with contextlib.suppress(OSError):
                client.close()
            with self._lock:
                self._handling -= 1

    def _new(self, host: str, port: int, via: str, url: str | None) -> ConnectionInfo:
        cid = f"c{next(self._ids)}"
        info = ConnectionInfo(id=cid, host=host, port=port, via=via, url=url)
        with self._lock:
            self.connections[cid] = info
            if len(self.connections) > MAX_RECORDED:
                # forget the oldest finished ones (dicts keep insertion order)
                drop = [i for i in self.connections if i not in self._socks and i != cid]
                for i in drop[: len(self.connections) - MAX_RECORDED // 2]:
                    del self.connections[i]
        return info

    def _check(self, info: ConnectionInfo) -> tuple[socket.socket | None, str]:
        """Decide, resolve, decide again on the address, connect. (socket, refusal)."""
        host, port = info.host, info.port
        action = NetAction(host=host, port=port, protocol=info.via, url=info.url)
        data = {"conn_id": info.id, "via": info.via, "source": "proxy"}

        def refuse(reason: str, decision: Decision | None = None, rule: str = "proxy") -> None:
            info.allowed, info.reason, info.ended = False, reason, time.monotonic()
            d = decision or Decision(verdict="deny", rule=rule, reason=reason)
            self._emit("action.denied", action=action, decision=d, data=data)

        if self._cut_all or self._closed:
            refuse("the session's network was cut", rule="proxy.cut")
            return None, "the session's network was cut"
        if self.budget_exceeded:
            refuse(f"network budget exceeded ({self.budget_exceeded})", rule="budget.network")
            return None, info.reason
        n = self.allowed_count
        if self.max_connections is not None and n >= self.max_connections:
            self.budget_exceeded = "connections"
            refuse(f"connection budget of {self.max_connections} exceeded", rule="budget.network")
            self._emit("budget.exceeded", data={"budget": "connections", "source": "proxy"})
            return None, info.reason
        try:
            checked = connect_checked(
                host, port, self.decide, resolver=self.resolver, timeout=self.connect_timeout
            )
        except Refused as e:
            info.ip = e.ip
            info.refusal = e.kind
            rule = {"dns": "proxy.dns", "connect": "proxy.connect"}.get(e.kind, "proxy")
            refuse(e.reason, e.decision, rule=rule)
            return None, e.reason
        up = checked.sock
        info.ip, info.allowed, info.reason = checked.ip, True, checked.reason
        with self._lock:
            self.allowed_count += 1
        d = checked.decision or Decision(verdict="allow", rule="proxy", reason=info.reason)
        self._emit("action.requested", action=action, decision=d, data={**data, "ip": checked.ip})
        return up, ""

    def _http(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
            if len(head) > MAX_HEAD:
                client.sendall(_http_error(431, "request head too large"))
                return
        head, rest = head.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            client.sendall(_http_error(400, "bad request line"))
            return
        if method.upper() == "CONNECT":
            host, port = _split_hostport(target, 443)
            info = self._new(host, port, "connect", None)
            up, why = self._check(info)
            if up is None:
                client.sendall(_refusal(info, why))
                self._finish(info)
                return
            self._register(info, client, up)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._relay(info, client, up, rest, classify_first=True)
            return
        parts = urlsplit(target)
        if parts.scheme.lower() != "http" or not parts.hostname:
            client.sendall(_http_error(400, "only http:// URLs and CONNECT are proxied"))
            return
        port = parts.port or 80
        info = self._new(parts.hostname, port, "http", target)
        up, why = self._check(info)
        if up is None:
            client.sendall(_refusal(info, why))
            self._finish(info)
            return
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        out = [f"{method} {path} {version}".encode("latin-1")]
        for line in lines[1:]:
            name = line.split(b":", 1)[0].strip().lower()
            if name in (b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"):
                continue
            out.append(line)
        out.append(b"Connection: close")
        payload = b"\r\n".join(out) + b"\r\n\r\n" + rest
        info.protocol = "http"
        self._relay(info, client, up, payload, classify_first=False)

    def _socks5(self, client: socket.socket) -> None:
        hdr = _recv_exact(client, 2)
        nmethods = hdr[1]
        methods = _recv_exact(client, nmethods)
        if 0 not in methods:
            client.sendall(b"\x05\xff")
            return
        client.sendall(b"\x05\x00")
        ver, cmd, _, atyp = _recv_exact(client, 4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, _recv_exact(client, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, _recv_exact(client, 16))
        elif atyp == 3:
            n = _recv_exact(client, 1)[0]
            host = _recv_exact(client, n).decode("ascii", "replace")
        else:
            client.sendall(b"\x05\x08\x00\x01" + bytes(6))
            return
        (port,) = struct.unpack("!H", _recv_exact(client, 2))
        if ver != 5 or cmd != 1:  # CONNECT only: no BIND, no UDP ASSOCIATE
            client.sendall(b"\x05\x07\x00\x01" + bytes(6))
            return
        info = self._new(host, port, "socks5", None)
        up, _ = self._check(info)
        if up is None:
            client.sendall(bytes([5, _SOCKS_REPLY.get(info.refusal or "", 0x02), 0, 1]) + bytes(6))
            self._finish(info)
            return
        self._register(info, client, up)
        client.sendall(b"\x05\x00\x00\x01" + bytes(6))
        self._relay(info, client, up, b"", classify_first=True)

    def _register(self, info: ConnectionInfo, client: socket.socket, up: socket.socket) -> None:
        with self._lock:
            self._socks[info.id] = (client, up)

    def _relay(
        self,
        info: ConnectionInfo,
        client: socket.socket,
        up: socket.socket,
        pending: bytes,
        *,
        classify_first: bool,
    ) -> None:
        with self._lock:
            self._socks[info.id] = (client, up)
        first = b""
        try:
            client.setblocking(True)
            up.setblocking(True)
            if pending:
                if classify_first:
                    first = pending[:64]
                up.sendall(pending)
                self._meter(info, out=len(pending))
            socks = [client, up]
            last = time.monotonic()
            while True:
                if info.cut:
                    raise _Cut()
                r, _, _ = select.select(socks, [], [], 0.5)
                if not r:
                    if time.monotonic() - last > self.idle_timeout:
                        info.error = "idle timeout"
                        return
                    continue
                last = time.monotonic()
                for s in r:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        return
                    if s is client:
                        if classify_first and not first:
                            first = data[:64]
                        up.sendall(data)
                        self._meter(info, out=len(data))
                    else:
                        if classify_first and not first and info.protocol == "none":
                            info.protocol = classify(data[:64])
                        client.sendall(data)
                        self._meter(info, inn=len(data))
        except _Cut:
            info.cut = True
        except OSError as e:
            if not info.cut:
                info.error = str(e)
        finally:
            if classify_first and first:
                info.protocol = classify(first)
            with self._lock:
                self._socks.pop(info.id, None)
            for s in (up, client):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                up.close()
            self._finish(info)

    def _meter(self, info: ConnectionInfo, *, out: int = 0, inn: int = 0) -> None:
        with self._lock:
            info.bytes_out += out
            info.bytes_in += inn
            self.bytes_out += out
            self.bytes_in += inn
            over = None
            if self.max_bytes_out is not None and self.bytes_out > self.max_bytes_out:
                over = "net_out"
            elif self.max_bytes_in is not None and self.bytes_in > self.max_bytes_in:
                over = "net_in"
        if over and not self.budget_exceeded:
            self.budget_exceeded = over
            self._emit(
                "budget.exceeded",
                data={"budget": over, "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
                      "source": "proxy"},
            )  # fmt: skip
        if over:
            raise _Cut()

    def _finish(self, info: ConnectionInfo) -> None:
        info.ended = info.ended or time.monotonic()
        if not info.allowed:
            return
        action = NetAction(host=info.host, port=info.port, protocol=info.protocol, url=info.url)
        self._emit(
            "action.completed",
            action=action,
            outcome={
                "conn_id": info.id,
                "ip": info.ip,
                "via": info.via,
                "protocol": info.protocol,
                "bytes_in": info.bytes_in,
                "bytes_out": info.bytes_out,
                "duration_s": round(info.duration, 4),
                "cut": info.cut,
                "error": info.error,
            },
        )


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("short read")
        buf += chunk
    return buf


def _split_hostport(target: str, default: int) -> tuple[str, int]:
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, _, port = target.rpartition(":") if ":" in target else (target, "", "")
    try:
        return host, int(port) if port else default
    except ValueError:
        return host, -1


#: SOCKS5 reply codes (RFC 1928) for why a connection was not made: 2 "connection not
#: allowed by ruleset", 4 "host unreachable" (the name did not resolve), 5 "connection
#: refused"; the reason itself is in the ``action.denied`` event.
_SOCKS_REPLY = {"policy": 0x02, "destination": 0x02, "dns": 0x04, "connect": 0x05}
_UNSAFE_HEADER = re.compile(r"[^\x20-\x7e]")


def _refusal(info: ConnectionInfo, why: str) -> bytes:
    """The HTTP answer to a refused connection: 403 for a refusal (policy, cut, budget),
    502 when the destination could not be resolved or reached; the reason in the body
    and in an ``X-Corral-Denied`` header."""
    code = 502 if info.refusal in ("dns", "connect") else 403
    return _http_error(code, why or "denied")


def _http_error(code: int, reason: str) -> bytes:
    text = {400: "Bad Request", 403: "Forbidden", 431: "Request Header Fields Too Large",
            502: "Bad Gateway"}.get(code, "Error")  # fmt: skip
    body = f"corral egress proxy: {reason}\n".encode("utf-8", "replace")
    header = _UNSAFE_HEADER.sub("?", reason)[:1000]
    return (
        f"HTTP/1.1 {code} {text}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"X-Corral-Denied: {header}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

"""``curl`` and ``wget`` for the WebAssembly tier: the host fetches on the
agent's behalf, after the gate allowed a ``net`` action for that host *and* for
the address it resolved to.

Only http and https. Each hop goes through :func:`corral.net.connect_checked`:
the name is decided before it is looked up, every address it resolves to is
decided (``deny_cidrs``, loopback, link-local, cloud metadata, ...) and the
connection goes to exactly the address decided, so a name in ``/etc/hosts`` or a
rebinding DNS answer cannot lead to a protected address. TLS is verified against
the host name (SNI and certificate) and the ``Host`` header names the host, not
the address. Redirects are followed only with ``-L`` (curl) or by default
(wget), and every hop is decided again. Bodies stream to stdout or a file
through the sandbox's output and disk budgets.

``decide(host, port, url, ip)`` returns ``(allowed, reason)``; it is called with
``ip=None`` for the name and then with each address.
"""

from __future__ import annotations

import getopt
import http.client
import posixpath
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, Any

from .net.connect import Refused, Resolver, connect_checked
from .shell.command import CommandContext, CommandError, UsageError

Decide = Callable[[str, int, str, str | None], tuple[bool, str]]

MAX_REDIRECTS = 10
MAX_HEADER_LINE = 64 * 1024


def fetch(
    argv: list[str], ctx: CommandContext, decide: Decide, *, resolver: Resolver | None = None
) -> int:
    """Run ``curl``/``wget`` (``argv[0]``); ``resolver(host, port)`` for tests.
    ``git-upload-pack`` is ``git clone``'s fetch (:mod:`corral.gitfetch`)."""
    if argv[0] == "git-upload-pack":
        from .gitfetch import upload_pack

        return upload_pack(argv, ctx, decide, resolver=resolver)
    if argv[0] == "wget":
        return _wget(argv, ctx, decide, resolver)
    return _curl(argv, ctx, decide, resolver)


def _curl(
    argv: list[str], ctx: CommandContext, decide: Decide, resolver: Resolver | None
) -> int:
    try:
        opts, args = getopt.gnu_getopt(
            argv[1:],
            "sSfLIiko:OX:H:d:A:m:u:w:",
            [
                "silent",
                "show-error",
                "fail",
                "location",
                "head",
                "include",
                "insecure",
                "output=",
                "remote-name",
                "request=",
                "header=",
                "data=",
                "data-raw=",
                "user-agent=",
                "max-time=",
                "json=",
                "compressed",
                "write-out=",
            ],
        )
    except getopt.GetoptError as e:
        raise UsageError(f"option {e.opt}: is unknown") from None
    if not args:
        raise CommandError("(2) no URL specified", 2)
    silent = show_error = fail = follow = head = include = False
    output: str | None = None
    remote_name = False
    method: str | None = None
    headers: dict[str, str] = {}
    data: bytes | None = None
    timeout = 30.0
    for o, v in opts:
        if o in ("-s", "--silent"):
            silent = True
        elif o in ("-S", "--show-error"):
            show_error = True
        elif o in ("-f", "--fail"):
            fail = True
        elif o in ("-L", "--location"):
            follow = True
        elif o in ("-I", "--head"):
            head = True
        elif o in ("-i", "--include"):
            include = True
        elif o in ("-o", "--output"):
            output = v
        elif o in ("-O", "--remote-name"):
            remote_name = True
        elif o in ("-X", "--request"):
            method = v.upper()
        elif o in ("-H", "--header"):
            k, _, val = v.partition(":")
            headers[k.strip()] = val.strip()
        elif o in ("-d", "--data", "--data-raw"):
            data = (data + b"&" if data else b"") + v.encode()
        elif o == "--json":
            data = v.encode()
            headers.setdefault("Content-Type", "application/json")
            headers.setdefault("Accept", "application/json")
        elif o in ("-A", "--user-agent"):
            headers["User-Agent"] = v
        elif o in ("-m", "--max-time"):
            timeout = float(v)
    url = args[0]
    if "://" not in url:
        url = "http://" + url
    if remote_name:
        output = posixpath.basename(urllib.parse.urlsplit(url).path) or "index.html"
    if head:
        method = "HEAD"
    quiet = silent and not show_error
    try:
        status, reason, hdrs, body_iter = _request(
            url,
            method or ("POST" if data is not None else "GET"),
            headers,
            data,
            follow,
            timeout,
            ctx,
            decide,
            resolver,
        )
    except _Refused as e:
        if not quiet:
            ctx.err(f"({e.code}) {e}")
        return e.code
    if fail and status >= 400:
        if not quiet:
            ctx.err(f"(22) The requested URL returned error: {status}")
        return 22
    sink: IO[bytes] = ctx.stdout
    close = False
    if output and output != "-":
        sink = ctx.open_write(output)  # type: ignore[assignment]
        close = True
    try:
        if include or head:
            head_text = (
                f"HTTP/1.1 {status} {reason}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
                + "\r\n"
            )
            sink.write(head_text.encode("latin-1", "replace"))
        if not head:
            for chunk in body_iter:
                ctx.check()
                sink.write(chunk)
    finally:
        if close:
            sink.close()
    return 0


def _wget(
    argv: list[str], ctx: CommandContext, decide: Decide, resolver: Resolver | None
) -> int:
    try:
        opts, args = getopt.gnu_getopt(
            argv[1:], "qO:T:", ["quiet", "output-document=", "timeout=", "no-verbose", "nv"]
        )
    except getopt.GetoptError as e:
        raise UsageError(f"invalid option -- '{e.opt}'") from None
    if not args:
        raise CommandError("missing URL", 1)
    quiet = False
    output: str | None = None
    timeout = 30.0
    for o, v in opts:
        if o in ("-q", "--quiet", "--no-verbose", "--nv"):
            quiet = True
        elif o in ("-O", "--output-document"):
            output = v
        elif o in ("-T", "--timeout"):
            timeout = float(v)
    url = args[0]
    if "://" not in url:
        url = "http://" + url
    if output is None:
        output = posixpath.basename(urllib.parse.urlsplit(url).path) or "index.html"
    try:
        status, _reason, _hdrs, body_iter = _request(
            url, "GET", {}, None, True, timeout, ctx, decide, resolver
        )
    except _Refused as e:
        if not quiet:
            ctx.err(str(e))
        return 4 if e.code in (6, 7) else 8
    if status >= 400:
        if not quiet:
            ctx.err(f"ERROR {status}")
        return 8
    sink: IO[bytes] = ctx.stdout if output == "-" else ctx.open_write(output)  # type: ignore[assignment]
    try:
        for chunk in body_iter:
            ctx.check()
            sink.write(chunk)
    finally:
        if sink is not ctx.stdout:
            sink.close()
    if not quiet:
        ctx.err(f"saved '{output}'")
    return 0


class _Refused(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Connection(http.client.HTTPConnection):
    """HTTP over a socket already connected to the decided address."""

    def __init__(self, host: str, port: int, sock: socket.socket, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._checked: socket.socket | None = sock

    def connect(self) -> None:
        if self._checked is None:  # never dial again (http.client reconnects on demand)
            raise ConnectionError("the connection was closed")
        self.sock, self._checked = self._checked, None


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS over a socket already connected to the decided address: SNI and the
    certificate are checked against the host *name*."""

    def __init__(self, host: str, port: int, sock: socket.socket, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._checked: socket.socket | None = sock

    def connect(self) -> None:
        if self._checked is None:
            raise ConnectionError("the connection was closed")
        raw, self._checked = self._checked, None
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL, or a refusal."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise _Refused(f"URL rejected: {e}", 3) from None
    if parts.scheme not in ("http", "https"):
        raise _Refused(f'Protocol "{parts.scheme}" not supported', 1)
    host = parts.hostname or ""
    if not host:
        raise _Refused("URL rejected: no host name", 3)
    if any(c in url for c in "\r\n\0 "):
        raise _Refused("URL rejected: malformed input to a URL function", 3)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _request(  # type: ignore[no-untyped-def]
    url, method, headers, data, follow, timeout, ctx, decide, resolver
):
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _split(url)
        remaining = max(0.1, min(timeout, ctx.deadline - time.monotonic()))
        try:
            checked = connect_checked(
                host,
                port,
                lambda h, p, ip, url=url: decide(h, p, url, ip),
                resolver=resolver,
                timeout=remaining,
            )
        except Refused as e:
            if e.kind in ("policy", "destination"):
                raise _Refused(f"network access to {host} denied: {e.reason}", 6) from None
            if e.kind == "dns":
                raise _Refused(f"Could not resolve host: {host}", 6) from None
            if "timed out" in e.reason:
                raise _Refused(f"Connection timed out: {e.reason}", 28) from None
            raise _Refused(f"Failed to connect to {host} port {port}: {e.reason}", 7) from None
        cls = _TLSConnection if scheme == "https" else _Connection
        conn = cls(host, port, checked.sock, remaining)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
        except (ssl.SSLError, ssl.CertificateError) as e:
            conn.close()
            raise _Refused(f"SSL certificate problem: {e}", 60) from None
        except TimeoutError:
            conn.close()
            raise _Refused(f"Operation timed out talking to {host}", 28) from None
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise _Refused(f"Recv failure from {host}: {e}", 56) from None
        status = resp.status
        location = resp.getheader("Location")
        if follow and status in (301, 302, 303, 307, 308) and location:
            url = urllib.parse.urljoin(url, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = "GET", None
            conn.close()
            continue
        hdrs = list(resp.getheaders())
        return status, resp.reason, hdrs, _body(conn, resp)
    raise _Refused(f"Maximum ({MAX_REDIRECTS}) redirects followed", 47)


def _body(conn: http.client.HTTPConnection, resp: Any) -> Iterator[bytes]:
    try:
        while chunk := resp.read(65536):
            yield chunk
    finally:
        resp.close()
        conn.close()

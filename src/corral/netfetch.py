"""``curl`` and ``wget`` for the WebAssembly tier: the host fetches on the
agent's behalf, after the gate allowed a ``net`` action for that host.

Only http and https. Redirects are followed only with ``-L`` (curl) or by
default (wget), and every hop is a new ``net`` action, so a redirect cannot
lead to a host the policy refuses. Bodies stream to stdout or a file through
the sandbox's output and disk budgets.
"""

from __future__ import annotations

import getopt
import posixpath
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import IO

from .shell.command import CommandContext, CommandError, UsageError

Decide = Callable[[str, int | None, str], tuple[bool, str]]

MAX_REDIRECTS = 10


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def fetch(argv: list[str], ctx: CommandContext, decide: Decide) -> int:
    if argv[0] == "wget":
        return _wget(argv, ctx, decide)
    return _curl(argv, ctx, decide)


def _curl(argv: list[str], ctx: CommandContext, decide: Decide) -> int:
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


def _wget(argv: list[str], ctx: CommandContext, decide: Decide) -> int:
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
            url, "GET", {}, None, True, timeout, ctx, decide
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


def _request(url, method, headers, data, follow, timeout, ctx, decide):  # type: ignore[no-untyped-def]
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise _Refused(f'Protocol "{parts.scheme}" not supported', 1)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        allowed, reason = decide(host, port, url)
        if not allowed:
            raise _Refused(f"network access to {host} denied: {reason}", 6)
        remaining = max(0.1, min(timeout, ctx.deadline - time.monotonic()))
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            resp = opener.open(req, timeout=remaining)
        except urllib.error.HTTPError as e:
            resp = e
        except urllib.error.URLError as e:
            raise _Refused(f"Failed to connect to {host} port {port}: {e.reason}", 7) from None
        except TimeoutError:
            raise _Refused(f"Operation timed out connecting to {host}", 28) from None
        status = resp.status if hasattr(resp, "status") else resp.code
        if follow and status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
            url = urllib.parse.urljoin(url, resp.headers["Location"])
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, data = "GET", None
            resp.close()
            continue
        hdrs = list(resp.headers.items())

        def body(resp=resp):  # type: ignore[no-untyped-def]
            try:
                while chunk := resp.read(65536):
                    yield chunk
            finally:
                resp.close()

        return status, getattr(resp, "reason", ""), hdrs, body()
    raise _Refused(f"Maximum ({MAX_REDIRECTS}) redirects followed", 47)

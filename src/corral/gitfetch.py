"""The host's half of ``git clone`` in the corral shell: the smart HTTP protocol
(dulwich's client) over connections made by :mod:`corral.netfetch`, so every hop is a
``net`` action the gate decides (the name, then each address it resolves to), and
the pack written into the workspace through the host's kernel-checked opener.

The shell worker has no sockets; it asks for ``["git-upload-pack", URL, PACK]`` the
way ``curl`` asks for a fetch, gets the refs as JSON on stdout, and indexes the pack
itself. Without a policy every host is refused, as for ``curl``.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from dulwich.client import AbstractHttpGitClient
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.object_store import ObjectStoreGraphWalker

from .net.connect import Resolver
from .netfetch import Decide, _Refused, _request
from .shell.command import CommandContext, CommandError

MAX_HOPS = 5
TIMEOUT = 60.0


class _Resp:
    """What dulwich reads from an HTTP response."""

    def __init__(self, status: int, headers: list[tuple[str, str]], final: str, asked: str,
                 body: Iterator[bytes]) -> None:  # fmt: skip
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.content_type = self.headers.get("content-type")
        self.redirect_location = final if final != asked else ""
        self._body = body
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            rest = self._buf + b"".join(self._body)
            self._buf = b""
            return rest
        while len(self._buf) < n:
            chunk = next(self._body, b"")
            if not chunk:
                break
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


class GatedHttpClient(AbstractHttpGitClient):
    """dulwich's smart-HTTP client whose requests go through the gate."""

    def __init__(self, base_url: str, ctx: CommandContext, decide: Decide,
                 resolver: Resolver | None = None) -> None:  # fmt: skip
        super().__init__(base_url, thin_packs=True, quiet=True)
        self._ctx = ctx
        self._decide = decide
        self._resolver = resolver

    def _http_request(self, url: str, headers: dict[str, str] | None = None,
                      data: Any = None, raise_for_status: bool = True) -> Any:  # fmt: skip
        hdrs = {"User-Agent": "git/2.39.5 (corral)", "Pragma": "no-cache"}
        hdrs.update(headers or {})
        body = data if data is None or isinstance(data, bytes) else b"".join(data)
        method = "GET" if body is None else "POST"
        current = url
        for _hop in range(MAX_HOPS + 1):
            try:
                status, _reason, rh, it = _request(
                    current, method, hdrs, body, False, TIMEOUT, self._ctx, self._decide,
                    self._resolver,
                )
            except _Refused as e:
                raise CommandError(str(e), 128) from None
            loc = dict((k.lower(), v) for k, v in rh).get("location")
            if status in (301, 302, 303, 307, 308) and loc:
                getattr(it, "close", lambda: None)()
                current = urllib.parse.urljoin(current, loc)
                if status == 303:
                    method, body = "GET", None
                continue
            resp = _Resp(status, rh, current, url, it)
            if raise_for_status:
                if status == 404:
                    raise NotGitRepository()
                if status != 200:
                    raise GitProtocolError(f"unexpected http resp {status} for {current}")
            return resp, resp.read
        raise CommandError(f"too many redirects ({MAX_HOPS}) for {url}", 128)


def upload_pack(argv: list[str], ctx: CommandContext, decide: Decide,
                resolver: Resolver | None = None) -> int:  # fmt: skip
    """``git-upload-pack URL PACK [DEPTH]``: fetch every branch and tag of ``URL``
    into the workspace file ``PACK``; print {"refs", "head"} as JSON."""
    if len(argv) not in (3, 4):
        raise CommandError("usage: git-upload-pack URL PACK [DEPTH]", 2)
    url, pack_path = argv[1], argv[2]
    depth = int(argv[3]) if len(argv) == 4 and argv[3].isdigit() else None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"unsupported URL: {url}", 128)
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    path = parts.path or "/"
    client = GatedHttpClient(base, ctx, decide, resolver)
    wanted: dict[bytes, bytes] = {}

    def determine_wants(refs: dict[bytes, bytes | None], depth: int | None = None) -> list[bytes]:
        for name, sha in refs.items():
            if sha is None or name.endswith(b"^{}"):
                continue
            if name.startswith((b"refs/heads/", b"refs/tags/")):
                wanted[name] = sha
        return sorted(set(wanted.values()))

    walker = ObjectStoreGraphWalker([], lambda _sha: [])
    with ctx.open_write(pack_path) as out:
        write: Callable[[bytes], int] = out.write

        def pack_data(chunk: bytes) -> int:
            ctx.check()
            return write(chunk)

        try:
            result = client.fetch_pack(path, determine_wants, walker, pack_data, depth=depth)
        except NotGitRepository:
            raise CommandError(f"repository '{url}' not found", 128) from None
        except (GitProtocolError, HangupException) as e:
            raise CommandError(f"unable to access '{url}': {e}", 128) from None
    head = None
    symrefs = getattr(result, "symrefs", {}) or {}
    target = symrefs.get(b"HEAD")
    if target is not None:
        head = target.decode("utf-8", "surrogateescape")
    refs = {
        k.decode("utf-8", "surrogateescape"): v.decode()
        for k, v in (result.refs or {}).items()
        if v is not None and k.startswith((b"refs/heads/", b"refs/tags/"))
        and not k.endswith(b"^{}")
    }
    shallow = sorted(x.decode() for x in (getattr(result, "new_shallow", None) or ()))
    ctx.stdout.write(json.dumps({"refs": refs, "head": head, "shallow": shallow}).encode())
    return 0

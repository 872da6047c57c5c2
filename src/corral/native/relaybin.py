"""The in-sandbox network relay's program: ``relay.c`` built static and cached, or
``_bridge.py`` where it cannot be built.

Both are the same relay (listen on ``127.0.0.1:PORT`` inside the sandbox, start the
command, relay each connection to the egress proxy's Unix socket); the static program
starts in about a millisecond where the Python one costs a Python start (~60 ms inside
gVisor). It is compiled once per source version with the system C compiler (``$CC``, else
``cc``/``gcc``; ``-static`` needs ``libc6-dev``) into ``$CORRAL_HOME/relay/``, named by
the source's sha256, written atomically (built in a private directory, renamed into
place) and used only while it is a regular file of this user, mode 0755, in a directory
chain no one else can write to (else it is built again). A sandbox gets a copy (or a hard
link) in its read-only ``/run/corral``, so it runs under any image or template rootfs.

The relay is not a wall (a guest can trace or kill it; the proxy on the host decides);
:func:`relay` says which one is used and why (``corral doctor``: ``network relay``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..paths import corral_home

log = logging.getLogger("corral.native.relay")

__all__ = ["BRIDGE_GUEST", "RELAY_GUEST", "Relay", "install", "relay"]

SOURCE = Path(__file__).with_name("relay.c")
BRIDGE = Path(__file__).with_name("_bridge.py")
#: where the sandbox sees each form (its /run/corral is the stage's ``run`` directory)
RELAY_GUEST = "/run/corral/relay"
BRIDGE_GUEST = "/run/corral/bridge.py"
CFLAGS = ("-static", "-Os", "-s", "-std=gnu11")
_BUILD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Relay:
    """The relay a sandbox runs: ``kind`` ``"static"`` (``path``: the cached binary) or
    ``"python"`` (``why``: what kept the static one from being built)."""

    kind: str
    path: Path | None = None
    why: str = ""

    def argv(
        self, port: int, socket_path: str, command: list[str], status_fd: int | None = None
    ) -> list[str]:
        """The sandbox's first argv: the relay, then ``command`` as its child (its exit
        status written on ``status_fd`` first, when given)."""
        opts = [] if status_fd is None else ["-s", str(status_fd)]
        if self.kind == "static":
            return [RELAY_GUEST, str(port), socket_path, *opts, "--", *command]
        return ["/usr/bin/python3", "-I", "-S", BRIDGE_GUEST, str(port), socket_path, *opts,
                "--", *command]  # fmt: skip

    def describe(self) -> str:
        if self.kind == "static":
            return f"static program ({self.path})"
        return f"Python fallback ({BRIDGE_GUEST}, the sandbox's python3): {self.why}"


class RelayBuildError(Exception):
    """The static relay could not be built (the reason says what is missing)."""


_lock = threading.Lock()
_memo: dict[tuple[str, str], Relay] = {}


def relay() -> Relay:
    """The relay to use now (built on first use; remembered per cache directory and
    compiler, re-checked on each call: a cached binary that went away or changed hands is
    built again)."""
    key = (str(corral_home()), os.environ.get("CC", ""))
    with _lock:
        got = _memo.get(key)
        if got is not None and (got.kind == "python" or _trusted(got.path)):
            return got
        try:
            try:
                got = Relay("static", build())
            except OSError as e:  # (the cache: full, read-only, a directory in the way...)
                raise RelayBuildError(f"the relay could not be cached: {e}") from e
        except RelayBuildError as e:
            log.info("network relay: the Python fallback is used: %s", e)
            got = Relay("python", why=str(e))
        _memo[key] = got
        return got


def install(run_dir: Path) -> Relay:
    """Put the relay into a sandbox's staged ``run`` directory (its ``/run/corral``)."""
    r = relay()
    if r.kind == "static":
        assert r.path is not None
        dst = run_dir / "relay"
        try:
            os.link(r.path, dst)  # (same filesystem: no copy)
        except OSError:
            shutil.copyfile(r.path, dst)
            os.chmod(dst, 0o755)
    else:
        shutil.copy(BRIDGE, run_dir / "bridge.py")
    return r


def _source() -> bytes:
    try:
        return SOURCE.read_bytes()
    except OSError as e:
        raise RelayBuildError(f"the relay's source {SOURCE} is unreadable: {e}") from e


def _compiler() -> list[str]:
    cc = os.environ.get("CC", "").strip()
    if cc:
        argv = shlex.split(cc)
        if not shutil.which(argv[0]):
            raise RelayBuildError(f"the C compiler CC={cc!r} is not found")
        return argv
    for name in ("cc", "gcc"):
        found = shutil.which(name)
        if found:
            return [found]
    raise RelayBuildError("no C compiler (install gcc and libc6-dev: apt-get install gcc "
                          "libc6-dev)")  # fmt: skip


def cache_path(src: bytes) -> Path:
    """Where the relay built from ``src`` is cached (named by the source's and the flags'
    sha256 and the machine)."""
    digest = hashlib.sha256(src + b"\0" + " ".join(CFLAGS).encode()).hexdigest()[:20]
    return corral_home() / "relay" / f"relay-{platform.machine() or 'unknown'}-{digest}"


def build() -> Path:
    """The cached static relay, built now if it is not there (or not to be trusted)."""
    src = _source()
    target = cache_path(src)
    cache = target.parent
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    why = _unsafe_dir(cache)
    if why:
        raise RelayBuildError(why)
    if _trusted(target):
        return target
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        os.unlink(target)  # (someone else's or a wrong mode: not used, built again)
    cc = _compiler()
    with tempfile.TemporaryDirectory(prefix=".build-", dir=cache) as tmp:
        c_file = Path(tmp) / "relay.c"
        c_file.write_bytes(src)
        out = Path(tmp) / "relay"
        try:
            p = subprocess.run(
                [*cc, *CFLAGS, "-o", str(out), str(c_file)], capture_output=True, text=True,
                timeout=_BUILD_TIMEOUT, stdin=subprocess.DEVNULL, cwd=tmp,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as e:
            raise RelayBuildError(f"{cc[0]} did not run: {e}") from e
        if p.returncode != 0 or not out.is_file():
            said = (p.stderr or p.stdout).strip().splitlines()
            hint = " (a static build needs libc6-dev)" if "-lc" in p.stderr else ""
            raise RelayBuildError(
                f"{cc[0]} failed (status {p.returncode}){hint}: {' / '.join(said[-3:])[:400]}"
            )
        os.chmod(out, 0o755)
        os.replace(out, target)
    if not _trusted(target):
        raise RelayBuildError(f"the built relay {target} is not this user's 0755 file")
    return target


def _trusted(path: Path | None) -> bool:
    """A regular file (not a link) of this user, mode 0755, in a safe directory chain."""
    if path is None:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        return False
    if stat.S_IMODE(st.st_mode) != 0o755:
        return False
    return _unsafe_dir(path.parent) is None


def _unsafe_dir(d: Path) -> str | None:
    """Why ``d`` is no place to take a program from: a directory on the way to it (as
    written, and with links resolved) is not this user's (or root's), or others may write
    to it (without the sticky bit)."""
    me = os.geteuid()
    for start in (Path(os.path.abspath(d)), Path(os.path.realpath(d))):
        p = start
        while True:
            try:
                st = os.lstat(p)
            except OSError as e:
                return f"the relay's cache {d} is unusable: {e}"
            if st.st_uid not in (me, 0):
                return f"{p} (on the way to the relay's cache) belongs to uid {st.st_uid}"
            if (not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o022
                    and not st.st_mode & stat.S_ISVTX):  # fmt: skip
                return f"{p} (on the way to the relay's cache) is writable by others"
            if p.parent == p:
                break
            p = p.parent
    return None

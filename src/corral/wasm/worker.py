"""The corral shell in a process of its own: the template (zygote) and the worker.

``python -m corral.wasm.worker FD`` starts the *template*: a single-threaded process
that imports the shell and every built-in once, then waits on the control socket FD
for ``fork`` requests from the host. Each request carries one end of a fresh socket
pair; the template forks a *worker* for it and answers with the worker's pid and a
pidfd (so the host can kill exactly that process, never a recycled pid).

The worker, before it reads a single byte from the host, confines itself for good:

- its own session (``setsid``) and death with the template (``PR_SET_PDEATHSIG``);
- kernel limits: address space (``memory_mb`` over what the template already maps),
  file size (the disk budget), no core files;
- Landlock: read-write under the workspace only, read-only on Python's standard
  library and the time zone database, ``/dev/null``; no program execution, no TCP,
  no signals or abstract sockets outside its own domain;
- a seccomp filter: no new sockets, no ``execve``, no signals to other processes,
  and the native tiers' deny list (ptrace, mount, bpf, new namespaces, ...) when
  libseccomp is there.

It then runs scripts for the host over the socket pair (:mod:`.channel` frames): the
shell's output streams back as it is written, and every question the shell cannot
answer itself (may this command run? run this Python, call this tool, fetch this URL)
goes to the host, which decides. The host treats everything the worker says as a claim.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import queue
import resource
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import syscall_filters as F
from ..budget import MAX_DECIDED_CHARS
from ..deeptree import remove_tree
from . import worker_channel as C

_PR_SET_PDEATHSIG = 1
#: how long a new template waits for its first fork request before its idle-time work,
#: and how long without a request after a fork
_FIRST_REQUEST_WAIT_S = 1.0
_AFTER_FORK_IDLE_S = 0.25
_MB = 1024 * 1024


def _preload() -> None:
    """Import everything a worker may need: after Landlock nothing new can be read
    but the standard library."""
    import re2  # noqa: F401

    from .. import (
        landlock,  # noqa: F401
        saferegex,  # noqa: F401
    )
    from ..shell import awk_lang, jq_lang, parser, session  # noqa: F401
    from ..shell.interp import Shell  # noqa: F401
    from . import filescreen, predecided  # noqa: F401

    with contextlib.suppress(Exception):  # libseccomp is read now: after Landlock it cannot be
        F.deny_filter_bpf()
    parser.parse("x=1; for i in a b; do echo \"$i\" | grep -c a > /dev/null; done")
    time.tzset()
    time.localtime()
    _freeze(collect=False)  # the collection (~15-30 ms) waits for an idle moment


def _freeze(collect: bool = True) -> None:
    import gc

    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()  # workers share these pages: no collection in a worker writes to them


def _warm_regex(ctl: socket.socket) -> bool:
    """Build saferegex's Unicode tables (~80 ms) once, for every later worker to share,
    unless a fork request is already waiting: a host waiting for its first worker gets
    it first (that worker builds the tables itself if a script needs them)."""
    r, _, _ = select.select([ctl], [], [], 0)
    if r:
        return False
    from .. import saferegex

    for pat, flags in ((r"\w+\d\s\b", 0), (r"[a-z]+", 2)):
        saferegex.compile(pat, flags).search("ab1 ")
        saferegex.compile(pat.encode(), flags & ~2).search(b"ab1 ")
    _freeze()
    return True


# --------------------------------------------------------------------------- confinement


#: packages the worker imports on first use, after Landlock (``git`` and its dulwich:
#: ~50 ms that a template preload would add to every sandbox's start): readable only
LAZY_PACKAGES = ("corral.shell.git", "dulwich")


def _lazy_packages() -> list[str]:
    import importlib.util

    out = []
    for name in LAZY_PACKAGES:
        spec = importlib.util.find_spec(name)
        for d in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isdir(d):
                out.append(os.path.realpath(d))
    return out


def _confine(cfg: dict[str, Any]) -> dict[str, Any]:
    """Apply every wall to this process; returns what is in force, for the host."""
    report: dict[str, Any] = {}
    _set_limits(cfg)
    from .. import landlock
    from ..shell.limits import open_memory_gauge

    open_memory_gauge()  # the shell's parser watches its memory through it

    stdlib = os.path.dirname(os.__file__)
    ro = [stdlib]
    dynload = os.path.join(stdlib, "lib-dynload")
    if os.path.isdir(dynload):
        ro.append(dynload)
    ro += _lazy_packages()
    # the time zone database (``TZ=Asia/Tokyo date``): public data, read-only
    ro += [d for d in ("/usr/share/zoneinfo",) if os.path.isdir(d)]
    if cfg.get("landlock", True):
        try:
            ll = landlock.restrict(rw=[cfg["root"]], ro=ro, rw_files=["/dev/null"])
            report["landlock"] = ll.to_dict()
        except OSError as e:
            report["landlock"] = {"abi": 0, "fs": False, "reason": f"refused: {e}"}
    else:
        report["landlock"] = {"abi": 0, "fs": False, "reason": "turned off by the host"}
    report["seccomp"] = _seccomp()
    return report


def _set_limits(cfg: dict[str, Any]) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    disk = int(cfg.get("disk_bytes") or 0)
    if disk > 0:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
    mem = int(cfg.get("memory_bytes") or 0)
    if mem > 0:
        from ..shell.limits import address_space

        base = address_space() or 0
        limit = base + mem + int(cfg.get("memory_slack_bytes") or 0)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# seccomp (the BPF helpers and constants of the native tiers' filters) -------------

#: machine -> (audit arch, {name: nr}) for the calls the worker never needs
_WORKER_CALLS = {
    "x86_64": (
        F.AUDIT_ARCH_X86_64,
        {"socket": 41, "execve": 59, "execveat": 322, "kill": 62, "tkill": 200,
         "tgkill": 234, "pidfd_send_signal": 424, "rt_sigqueueinfo": 129,
         "rt_tgsigqueueinfo": 297, "prlimit64": 302, "setpriority": 141},
    ),
    "aarch64": (
        F.AUDIT_ARCH_AARCH64,
        {"socket": 198, "execve": 221, "execveat": 281, "kill": 129, "tkill": 130,
         "tgkill": 131, "pidfd_send_signal": 424, "rt_sigqueueinfo": 138,
         "rt_tgsigqueueinfo": 240, "prlimit64": 261, "setpriority": 140},
    ),
}  # fmt: skip
#: calls allowed only on this process itself (first argument = its own pid, or 0)
_SELF_ONLY = ("kill", "tgkill", "prlimit64", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def _worker_filter(pid: int) -> bytes:
    """BPF: the calls above refused with EACCES (the self-only ones allowed on this
    pid); a foreign architecture refused; everything else allowed."""
    import platform

    arch, nrs = _WORKER_CALLS[platform.machine()]
    eacces = F.SECCOMP_RET_ERRNO | errno.EACCES
    allow = F.SECCOMP_RET_ALLOW
    ins, ld, jeq, ret = F._insn, F._LD_W_ABS, F._JEQ_K, F._RET_K
    prog = [
        ins(ld, 0, 0, 4),
        ins(jeq, 1, 0, arch),
        ins(ret, 0, 0, eacces),
        ins(ld, 0, 0, 0),
    ]
    for name, nr in nrs.items():
        if name in _SELF_ONLY:
            # nr? -> load arg0 (low word); == pid or == 0 -> allow, else EACCES; reload nr
            prog += [
                ins(jeq, 0, 6, nr),
                ins(ld, 0, 0, 16),  # seccomp_data.args[0], low 32 bits
                ins(jeq, 2, 0, pid),
                ins(jeq, 1, 0, 0),
                ins(ret, 0, 0, eacces),
                ins(ret, 0, 0, allow),
                ins(ld, 0, 0, 0),
            ]
        else:
            prog += [ins(jeq, 0, 1, nr), ins(ret, 0, 0, eacces)]
    prog.append(ins(ret, 0, 0, allow))
    return b"".join(prog)


def _seccomp() -> dict[str, Any]:
    import platform

    if platform.machine() not in _WORKER_CALLS:
        return {"enabled": False, "reason": f"no worker filter for {platform.machine()}"}
    installed = []
    try:
        installed.append(("deny", F.deny_filter_bpf()))
    except Exception as e:  # no libseccomp: the worker filter below still applies
        deny_reason = str(e)
    else:
        deny_reason = ""
    installed.append(("worker", _worker_filter(os.getpid())))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # no_new_privs
    for _name, prog in installed:
        buf = ctypes.create_string_buffer(prog, len(prog))
        fprog = F._SockFprog(len(prog) // 8, ctypes.addressof(buf))
        # PR_SET_SECCOMP = 22, SECCOMP_MODE_FILTER = 2
        if libc.prctl(22, 2, ctypes.c_void_p(ctypes.addressof(fprog)), 0, 0) != 0:
            e = ctypes.get_errno()
            return {"enabled": False, "reason": f"prctl(PR_SET_SECCOMP): {os.strerror(e)}"}
    out: dict[str, Any] = {"enabled": True, "deny_list": not deny_reason}
    if deny_reason:
        out["reason"] = f"deny list unavailable: {deny_reason}"
    return out


# --------------------------------------------------------------------------- the worker


class _Channel:
    """The worker's end: a reader thread that routes the host's frames."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.out = C.Sender(sock)
        self.runs: queue.Queue[C.Frame] = queue.Queue()
        self.pending: dict[int, list[Any]] = {}
        self.lock = threading.Lock()
        self.next_id = 1
        # what a CANCEL frame does during a run (the shell makes a new event per run,
        # so this looks the current one up when the frame arrives)
        self.cancel: Callable[[], None] | None = None
        self.reader = threading.Thread(target=self._read, daemon=True, name="corral-chan")
        # fire-and-forget notices (files touched; commands when nothing decides), sent in
        # batches: see notice()
        self._notices: list[dict[str, Any]] = []
        self._notice_bytes = 0
        self._notice_lock = threading.Lock()
        self._notice_due = threading.Event()
        self.flusher = threading.Thread(target=self._flush_later, daemon=True, name="corral-ntc")

    def notice(self, data: dict[str, Any], size: int = 1024) -> None:
        """Queue a notice for the host. ``size`` bounds its JSON's bytes. Notices leave
        in order, in one frame of at most NOTICE_BATCH (and NOTICE_BYTES, or the one
        notice), at most NOTICE_DELAY_S after the first was queued, and always
        before anything else this worker sends (a question, output, the end of a call):
        the host sees them in the order things happened. Only a killed worker loses the
        ones still queued (at most NOTICE_DELAY_S worth)."""
        with self._notice_lock:
            if self._notices and self._notice_bytes + size > NOTICE_BYTES:
                self._flush_locked()  # a frame stays far below the host's cap
            self._notices.append(data)
            self._notice_bytes += size
            if len(self._notices) >= NOTICE_BATCH:
                self._flush_locked()
            elif len(self._notices) == 1:
                self._notice_due.set()

    def flush(self) -> None:
        if self._notices:
            with self._notice_lock:
                self._flush_locked()

    def _flush_locked(self) -> None:
        if self._notices:  # cleared only once sent: a failed send (MemoryError) keeps them
            self.out.send(C.REQUEST, 0, {"op": "notices", "items": self._notices})
            self._notices = []
            self._notice_bytes = 0

    def _flush_later(self) -> None:
        while True:
            self._notice_due.wait()
            time.sleep(NOTICE_DELAY_S)
            self._notice_due.clear()  # before the flush: a notice queued after it sets it
            try:
                self.flush()
            except OSError:
                return  # the host is gone (the reader thread ends this process)
            except MemoryError:
                continue  # still queued: they leave with the next frame

    def send(self, kind: int, fid: int, data: dict[str, Any] | None, blob: bytes = b"") -> None:
        """Send a frame after the notices queued before it."""
        self.flush()
        self.out.send(kind, fid, data, blob)

    def _read(self) -> None:
        reader = C.Reader()
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    break
                for fr in reader.feed(data):
                    if fr.kind == C.RUN:
                        self.runs.put(fr)
                    elif fr.kind == C.REPLY:
                        with self.lock:
                            slot = self.pending.pop(fr.id, None)
                        if slot is not None:
                            slot[1] = fr
                            slot[0].set()
                    elif fr.kind == C.CANCEL and (cancel := self.cancel) is not None:
                        cancel()
        except (OSError, C.ProtocolError):
            pass
        os._exit(0)  # the host is gone or broke the protocol: nothing left to do

    def request(self, op: str, data: dict[str, Any], blob: bytes = b"") -> C.Frame:
        ev = threading.Event()
        slot: list[Any] = [ev, None]
        with self.lock:
            rid = self.next_id
            self.next_id += 1
            self.pending[rid] = slot
        try:
            self.send(C.REQUEST, rid, {"op": op, **data}, blob)
        except C.FrameTooLarge as e:
            from ..shell.command import CommandError

            with self.lock:
                self.pending.pop(rid, None)
            raise CommandError(
                f"too large to hand to the host ({e}; corral's caps are "
                f"{C.MAX_JSON >> 20} MiB of JSON and {C.MAX_BLOB >> 20} MiB of data)",
                126,
            ) from None
        ev.wait()
        return slot[1]  # type: ignore[no-any-return]


#: distinct file notices one call sends at most (the host caps them too)
FILE_NOTICES_MAX = 10_000
#: notices in one frame at most, and the longest a notice waits for its frame
NOTICE_BATCH = 64
NOTICE_DELAY_S = 0.02
#: a frame of notices holds at most this many bytes of JSON (or one bigger notice)
NOTICE_BYTES = 1 << 20
#: the largest command (its argv, line and directory, as JSON) the host is asked to
#: decide; past it the command is refused here (the kernel refuses a program's argv
#: past 2 MiB already; this and ``budget.MAX_DECIDED_CHARS``, characters, bound bash's
#: own built-ins: ``echo``, ``printf``, ``local``, ``eval``)
EXEC_MAX_BYTES = 4 << 20


def _json_size(data: dict[str, Any], chars: int) -> int:
    """A bound on ``data``'s JSON bytes (what the channel sends), ``chars`` being its
    strings' characters: exact once the quick bound (12 bytes a character, an astral
    character escaped as two ``\\uXXXX``) passes a megabyte."""
    if chars * 12 < NOTICE_BYTES:
        return chars * 12 + 64
    return len(json.dumps(data, separators=(",", ":")))


class _RemoteHooks:
    """The shell's Hooks, answered by the host over the channel."""

    def __init__(self, chan: _Channel) -> None:
        self.chan = chan
        self.ask_exec = True
        #: what the host's policy certainly allows (corral.wasm.predecided): run, reported
        self.predecided: Any = None
        self.tools: list[str] = []
        self.shell: Any = None
        #: (op, path, refused) already reported in this call: ``cat f`` in a loop is
        #: one notice
        self.files_seen: set[tuple[str, str, bool]] = set()
        #: the paths the host's file rules name (corral.wasm.filescreen): asked first
        self.file_screen: Any = None
        #: (op, path) -> the host's refusal ("" allowed), for this call
        self.files_decided: dict[tuple[str, str], str] = {}

    def file_gate(self, op: str, path: str) -> str | None:
        """The host's refusal of ``op`` on workspace ``path`` (None: go ahead), asked only
        for the paths its file rules name; each (op, path) once a call."""
        screen = self.file_screen
        if screen is None or not screen.needs_host(op, path):
            return None
        key = (op, path)
        known = self.files_decided.get(key)
        if known is None:
            r = self.chan.request("filecheck", {"file_op": op, "path": path})
            known = "" if r.data.get("allowed") else str(r.data.get("reason") or "denied")
            if len(self.files_decided) < FILE_NOTICES_MAX:
                self.files_decided[key] = known
            self.files_seen.add((op, path, False))  # the host recorded it: no notice
        return known or None

    def on_file(self, op: str, path: str, refused: bool) -> None:
        key = (op, path, refused)
        seen = self.files_seen
        if key in seen or len(seen) >= FILE_NOTICES_MAX:
            return
        seen.add(key)
        data: dict[str, Any] = {"op": "file", "file_op": op, "path": path}
        if refused:
            data["refused"] = True
        self.chan.notice(data)

    def on_exec(self, argv: list[str], cwd: str, line: str) -> tuple[bool, str]:
        chars = sum(map(len, argv)) + len(argv) + len(line)
        if chars > MAX_DECIDED_CHARS:  # the host refuses it unread (sandbox.too_large_to_decide)
            return False, (
                f"the command is {chars:,} characters long (its arguments and line); corral "
                f"decides commands of at most {MAX_DECIDED_CHARS:,} (pass data in a file "
                "or on stdin)"
            )
        data: dict[str, Any] = {"op": "exec", "argv": argv, "cwd": cwd, "line": line}
        size = _json_size(data, chars + 3 * len(argv) + len(cwd))
        if size > EXEC_MAX_BYTES:
            return False, (
                f"the command is {size} bytes as the host sees it; corral decides "
                f"commands of at most {EXEC_MAX_BYTES >> 20} MiB (pass data in a file "
                "or on stdin)"
            )
        pre = self.predecided
        if not self.ask_exec or (pre is not None and pre.allows(argv, line)):
            # nothing decides, or the policy certainly allows: the host is told, in order,
            # without waiting (it decides it all the same, for its events)
            self.chan.notice(data, size)
            return True, ""
        del data["op"]
        r = self.chan.request("exec", data)
        return bool(r.data.get("allowed")), str(r.data.get("reason", ""))

    def run_guest(
        self,
        language: str,
        code: str,
        stdin: str,
        argv: list[str],
        fresh: bool,
        env: Any = None,
    ) -> tuple[int, str, str]:
        """A python/node command's run in its guest; ``env``: the command's own
        environment (``X=1 python3 …`` included), else the shell's exported one."""
        from ..shell.command import Cancelled

        if env is not None:
            env = {str(k): str(v) for k, v in env.items()}
        else:
            env = self.shell.env() if self.shell is not None else {}
        r = self.chan.request(
            "guest",
            {"language": language, "code": code, "argv": argv, "fresh": fresh, "env": env},
            stdin.encode("utf-8", "surrogateescape"),
        )
        if r.data.get("cancelled"):
            raise Cancelled()
        n = int(r.data.get("stdout_len", 0))
        out, err = r.blob[:n], r.blob[n:]
        return (
            int(r.data.get("status", 1)),
            out.decode("utf-8", "surrogateescape"),
            err.decode("utf-8", "surrogateescape"),
        )

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        r = self.chan.request("tool", {"name": name, "args": args})
        return r.data

    def tool_names(self) -> list[str]:
        return list(self.tools)

    def fetch(self, argv: list[str], ctx: Any) -> int:
        r = self.chan.request("fetch", {"argv": argv, "cwd": ctx.cwd})
        n = int(r.data.get("stdout_len", 0))
        if n:
            ctx.stdout.write(r.blob[:n])
        if len(r.blob) > n:
            ctx.stderr.write(r.blob[n:])
        return int(r.data.get("status", 1))


def _serve(sock: socket.socket, cfg: dict[str, Any], report: dict[str, Any]) -> None:
    from ..budget import Budget
    from ..files import Workspace
    from ..shell.session import new_shell
    from . import filescreen, predecided

    budget = Budget(**cfg["budget"])
    # spill files a killed predecessor left (sort, tac): nobody else uses them
    remove_tree(os.path.join(cfg["root"], ".corral-tmp"), ignore_errors=True)
    ws = Workspace(__import__("pathlib").Path(cfg["root"]), budget)
    chan = _Channel(sock)
    hooks = _RemoteHooks(chan)
    shell = new_shell(ws, hooks)  # installs hooks.on_file as the workspace's file hook
    hooks.shell = shell
    cpu_hit = threading.Event()

    def on_xcpu(_sig: int, _frame: object) -> None:  # RLIMIT_CPU's soft limit
        cpu_hit.set()
        shell.cancel_event.set()

    signal.signal(signal.SIGXCPU, on_xcpu)
    chan.out.send(C.HELLO, 0, {"pid": os.getpid(), "confinement": report})
    chan.reader.start()
    chan.flusher.start()
    while True:
        fr = chan.runs.get()
        d = fr.data
        hooks.ask_exec = bool(d.get("ask_exec", True))
        hooks.predecided = predecided.load(d.get("predecided")) if hooks.ask_exec else None
        hooks.tools = [str(t) for t in d.get("tools", [])]
        hooks.files_seen = set()
        hooks.files_decided = {}
        hooks.file_screen = filescreen.load(d.get("files")) if hooks.ask_exec else None
        ws.file_gate = hooks.file_gate if hooks.file_screen is not None else None
        deadline = time.monotonic() + float(d.get("wall_s", 30.0))
        chan.cancel = lambda: shell.cancel_event.set()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)

        def emit(fd: int, data: bytes, rid: int = fr.id) -> None:
            chan.send(C.STDOUT if fd == 1 else C.STDERR, rid, None, data)

        try:
            status, _, _, exceeded = shell.run(
                str(d.get("script", "")),
                fr.blob,
                deadline=deadline,
                output_chars=int(d.get("output_chars", 1_000_000)),
                emit=emit,
            )
        except MemoryError:
            status, exceeded = 137, "memory"
        except BaseException as e:  # a bug in the shell: say so, keep serving
            status, exceeded = 70, None
            with contextlib.suppress(Exception):
                emit(2, f"corral: internal error: {type(e).__name__}: {e}\n".encode())
        chan.cancel = None
        if cpu_hit.is_set():
            status, exceeded = 137, "cpu_time"
            cpu_hit.clear()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        chan.send(
            C.DONE,
            fr.id,
            {
                "status": status,
                "exceeded": exceeded,
                "cwd": shell.state.cwd,
                "cpu_s": (ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
                "maxrss": ru.ru_maxrss * 1024,
            },
        )


def _worker(chan_fd: int, cfg: dict[str, Any]) -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setsid()
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    sock = socket.socket(fileno=chan_fd)
    try:
        report = _confine(cfg)
    except Exception as e:
        with contextlib.suppress(OSError):
            C.Sender(sock).send(C.HELLO, 0, {"pid": os.getpid(), "error": str(e)})
        os._exit(3)
    _serve(sock, cfg, report)


# --------------------------------------------------------------------------- the template


def _reap(*_: object) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class _Spare:
    """A worker forked ahead of need, waiting for its sandbox: the fork's cost (page
    tables of the whole template) is paid between requests, not inside one."""

    def __init__(self, pid: int, pidfd: int, sock: socket.socket) -> None:
        self.pid, self.pidfd, self.sock = pid, pidfd, sock

    def assign(self, chan_fd: int, cfg: dict[str, Any]) -> bool:
        try:
            socket.send_fds(self.sock, [json.dumps(cfg).encode()], [chan_fd])
            return True
        except OSError:  # it died waiting
            return False
        finally:
            self.sock.close()

    def drop(self) -> None:
        self.sock.close()
        with contextlib.suppress(OSError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        os.close(self.pidfd)


def _fork(ctl: socket.socket, job: Any) -> tuple[int, int]:
    """Fork a child that runs ``job()`` and exits; (pid, pidfd) for the parent."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            try:
                ctl.close()
                job()
            finally:
                os._exit(0)
        return pid, os.pidfd_open(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})


def _spare(ctl: socket.socket) -> _Spare | None:
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def wait_for_work() -> None:
        mine.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        msg, fds, _flags, _addr = socket.recv_fds(theirs, 1 << 20, 1)
        theirs.close()
        if msg and len(fds) == 1:
            _worker(fds[0], json.loads(msg))

    try:
        pid, pidfd = _fork(ctl, wait_for_work)
    except OSError:
        mine.close()
        theirs.close()
        return None
    theirs.close()
    return _Spare(pid, pidfd, mine)


def template_main(ctl_fd: int) -> None:
    _preload()
    ctl = socket.socket(fileno=ctl_fd)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the host's to handle
    # No PR_SET_PDEATHSIG here: it would follow the host *thread* that started the
    # template. The template ends when the host's end of the control socket closes
    # (the host exited, however), and its workers die with it (their PDEATHSIG).
    ctl.sendall(b'{"ready":true}')
    # Idle-time work — saferegex's tables (~80 ms), a collection, a spare worker — waits
    # until no fork request has come for a while: a host that imported the sandbox while
    # this process started sends its first request about now, and its first worker's
    # start and first command then run without competing with it for a core.
    warm = False
    spare: _Spare | None = None
    idle = _FIRST_REQUEST_WAIT_S
    while True:
        if not warm or spare is None:
            r, _, _ = select.select([ctl], [], [], idle)
            if not r:
                warm = warm or _warm_regex(ctl)
                if spare is None and warm:
                    spare = _spare(ctl)
                if not warm:  # a request came meanwhile: serve it first
                    continue
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 1)
        except InterruptedError:
            continue
        if not msg:
            if spare is not None:
                spare.drop()
            sys.exit(0)
        try:
            req = json.loads(msg)
            if req.get("op") != "fork" or len(fds) != 1 or not isinstance(req.get("cfg"), dict):
                raise ValueError("expected a fork request with one fd")
        except ValueError as e:
            for fd in fds:
                os.close(fd)
            ctl.sendall(json.dumps({"error": str(e)}).encode())
            continue
        chan, cfg = fds[0], req["cfg"]
        if spare is not None and spare.assign(chan, cfg):
            pid, pidfd = spare.pid, spare.pidfd
        else:
            if spare is not None:
                with contextlib.suppress(OSError):
                    os.close(spare.pidfd)
            pid, pidfd = _fork(ctl, lambda chan=chan, cfg=cfg: _worker(chan, cfg))
        spare = None
        os.close(chan)
        try:
            socket.send_fds(ctl, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)
        idle = _AFTER_FORK_IDLE_S  # the next spare, once the host got on with this one

if __name__ == "__main__":
    try:
        template_main(int(sys.argv[1]))
    except (BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        sys.exit(0)  # the host went away: nothing to say


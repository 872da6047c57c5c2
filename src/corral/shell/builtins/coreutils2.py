"""More GNU coreutils agents reach for: timeout, cmp, split and join.

Same conventions as the other built-ins: the C locale (bytes in, bytes out),
files only through ``ctx.open_read`` / ``ctx.open_write`` (the workspace walls and
the disk budget), input streamed in chunks with ``ctx.check()`` in every loop.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import IO

from ..command import Cancelled, CommandContext, CommandError, command
from .text import _getopt, _parse_size, _usage_error

_CHUNK = 65536


def _lines(ctx: CommandContext, f: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``f`` (each with its newline, the last maybe without), checking
    the budget between chunks; a line is never longer than the input."""
    buf = b""
    while True:
        ctx.check()
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        buf += chunk
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            yield buf[start : nl + 1]
            start = nl + 1
        buf = buf[start:]
    if buf:
        yield buf


# --------------------------------------------------------------------------
# timeout
# --------------------------------------------------------------------------

_DUR = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)")
_SIGNALS = {
    "HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "ALRM": 14,
    "TERM": 15, "CONT": 18, "STOP": 19,
}  # fmt: skip


def _duration(ctx: CommandContext, text: str) -> float:
    m = _DUR.fullmatch(text)
    if not m:
        raise _usage_error(ctx, f"invalid time interval '{text}'", 125)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _signal(ctx: CommandContext, text: str) -> int:
    name = text.upper().removeprefix("SIG")
    if name.isdigit() and 0 < int(name) < 65:
        return int(name)
    if name not in _SIGNALS:
        raise _usage_error(ctx, f"{text}: invalid signal", 125)
    return _SIGNALS[name]


@command("timeout")
def timeout_cmd(ctx: CommandContext) -> int:
    """Usage: timeout [OPTION] DURATION COMMAND [ARG]...
Start COMMAND, and stop it if still running after DURATION (a number with an
optional suffix s, m, h or d; 0 disables the timeout). Exit status 124 when it
timed out (128+9 with -s KILL), 125 when timeout itself failed, 126/127 when
COMMAND could not be run, else COMMAND's status.
  -s, --signal=SIGNAL   the signal to send (TERM by default)
  -k, --kill-after=DUR  accepted; the built-in stops COMMAND at once
      --preserve-status exit with 128+SIGNAL when COMMAND times out
      --foreground      accepted
  -v, --verbose         say on stderr when the time ran out"""
    opts, rest = _getopt(
        ctx, ctx.args, "s:k:v",
        {"signal=": "s", "kill-after=": "k", "preserve-status": "p", "foreground": "f",
         "verbose": "v"},
        125, stop_at_operand=True,
    )  # fmt: skip
    sig, preserve, verbose = 15, False, False
    for k, v in opts:
        if k == "s":
            sig = _signal(ctx, v or "")
        elif k == "k":
            _duration(ctx, v or "")
        elif k == "p":
            preserve = True
        elif k == "v":
            verbose = True
    if len(rest) < 2:
        msg = "missing operand" if not rest else f"missing operand after '{rest[0]}'"
        raise _usage_error(ctx, msg, 125)
    secs = _duration(ctx, rest[0])
    argv = rest[1:]
    shell = ctx.extra.get("shell")
    if shell is None:
        raise CommandError("cannot run a command here", 125)
    sub = shell.fork()
    parent_deadline = ctx.deadline
    if secs > 0:
        sub.deadline = min(parent_deadline, time.monotonic() + secs)
    own = threading.Event()  # the sub-shell's own cancel flag: a time-out stops only it
    sub.cancel_event = own
    done = threading.Event()

    def relay() -> None:  # Ctrl-C on the caller still reaches COMMAND
        while not done.wait(0.05):
            if ctx.cancel_event.is_set():
                own.set()
                return

    watcher = threading.Thread(target=relay, daemon=True, name="corral-timeout")
    watcher.start()
    from ..interp import ExitShell  # here: interp imports the built-ins

    try:
        return int(sub.run_command(argv))
    except ExitShell as e:
        return int(e.status)
    except Cancelled:
        if ctx.cancel_event.is_set() or time.monotonic() > parent_deadline:
            raise
        if verbose:
            ctx.err(f"sending signal {_sig_name(sig)} to command '{argv[0]}'")
        if preserve or sig == 9:
            return 128 + sig
        return 124
    finally:
        done.set()


def _sig_name(sig: int) -> str:
    return next((n for n, v in _SIGNALS.items() if v == sig), str(sig))


# --------------------------------------------------------------------------
# sudo, doas: nothing in the sandbox is privileged
# --------------------------------------------------------------------------

_NAME_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


@command("sudo")
def sudo_cmd(ctx: CommandContext) -> int:
    """Usage: sudo [OPTION]... [NAME=VALUE]... COMMAND [ARG]...
Run COMMAND as the sandbox's own user: nothing inside corral's sandbox is privileged,
so another user (-u) or root changes nothing but the policy's view (it decides the line
as COMMAND, and the monitor sees that privilege was sought).
  -u, --user=USER   -g, --group=GROUP   -E, --preserve-env   -H, --set-home
  -n, --non-interactive   -b, --background   -P, --preserve-groups
  -D, --chdir=DIR   run COMMAND in DIR
  -k, -K            forget cached credentials (nothing to forget)
  -v, --validate    succeed (there are no credentials to refresh)
  -l, --list        say what sudo does here
  -i, -s            a login or a shell: with COMMAND, run it; without, refused
  -e, --edit        refused: no editor here"""
    return _privileged(ctx, ctx.args, "sudo")


@command("doas")
def doas_cmd(ctx: CommandContext) -> int:
    """Usage: doas [-nSs] [-u USER] COMMAND [ARG]...
Run COMMAND as the sandbox's own user (nothing in the sandbox is privileged)."""
    return _privileged(ctx, ctx.args, "doas")


def _privileged(ctx: CommandContext, args: list[str], name: str) -> int:
    if name == "sudo":
        opts, rest = _getopt(
            ctx, args, "u:g:EHnbPkKvlisSeVhD:p:C:r:t:T:U:A",
            {"user=": "u", "group=": "g", "preserve-env?": "E", "set-home": "H",
             "non-interactive": "n", "background": "b", "preserve-groups": "P",
             "reset-timestamp": "k", "remove-timestamp": "K", "validate": "v", "list": "l",
             "login": "i", "shell": "s", "stdin": "S", "edit": "e", "version": "V",
             "help": "h", "chdir=": "D", "prompt=": "p", "close-from=": "C", "role=": "r",
             "type=": "t", "command-timeout=": "T", "other-user=": "U", "askpass": "A"},
            1, stop_at_operand=True,
        )  # fmt: skip
    else:
        opts, rest = _getopt(ctx, args, "nSsu:C:", {}, 1, stop_at_operand=True)
    keys = {k for k, _ in opts}
    chdir = next((v for k, v in opts if k == "D"), None)
    if "h" in keys:
        ctx.out((sudo_cmd.__doc__ or "") + "\n")
        return 0
    if "V" in keys:
        ctx.out(f"{name} (corral): runs commands as the sandbox's own user\n")
        return 0
    if "e" in keys:
        raise CommandError("editing as root is not available here (no editor)", 1)
    env: dict[str, str] = {}
    while rest and _NAME_VALUE.match(rest[0]):
        k, _, v = rest.pop(0).partition("=")
        env[k] = v
    if not rest:
        if "l" in keys:
            ctx.out(f"{name}: in corral's sandbox every command runs as its own user; the "
                    "policy decides it as the command it runs\n")  # fmt: skip
            return 0
        if keys & {"v", "k", "K"}:
            return 0
        if keys & {"i", "s"} or (name == "doas" and "s" in keys):
            raise CommandError("no root shell here (nothing is privileged)", 1)
        raise _usage_error(ctx, "a command is required" if name == "sudo" else "usage", 1)
    shell = ctx.extra.get("shell")
    if shell is None:
        raise CommandError("cannot run a command here", 1)
    sub = shell.fork()
    if chdir is not None:
        status = sub.run_command(["cd", chdir])
        if status != 0:
            return 1
    from ..interp import ExitShell  # here: interp imports the built-ins

    try:
        return int(sub.run_command(rest, env or None))
    except ExitShell as e:
        return int(e.status)


# --------------------------------------------------------------------------
# cmp
# --------------------------------------------------------------------------


def _cmp_skip(ctx: CommandContext, text: str) -> int:
    n = _parse_size(text)
    if n is None:
        raise _usage_error(ctx, f"invalid --ignore-initial value '{text}'", 2)
    return n


def _skip(ctx: CommandContext, f: IO[bytes], n: int) -> None:
    while n > 0:
        ctx.check()
        got = f.read(min(n, _CHUNK))
        if not got:
            return
        n -= len(got)


def _messages_localized(ctx: CommandContext) -> bool:
    """Whether the messages' locale (LC_ALL, else LC_MESSAGES, else LANG) is other than
    C/POSIX."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = ctx.env.get(name)
        if value:
            return value not in ("C", "POSIX")
    return False


def _cmp_char(b: int) -> str:
    """A byte as ``cmp -b`` shows it (GNU cat -v style)."""
    s = ""
    if b >= 128:
        s, b = "M-", b - 128
    if b < 32:
        return s + "^" + chr(b + 64)
    if b == 127:
        return s + "^?"
    return s + chr(b)


@command("cmp")
def cmp_cmd(ctx: CommandContext) -> int:
    """Usage: cmp [OPTION]... FILE1 [FILE2 [SKIP1 [SKIP2]]]
Compare two files byte by byte ('-' or a missing FILE2 is standard input).
Exit status 0 if the same, 1 if different, 2 on trouble.
  -b, --print-bytes          print the differing bytes
  -i, --ignore-initial=SKIP  skip the first SKIP bytes of both (SKIP1:SKIP2 for each)
  -l, --verbose              list every differing byte (number and octal values)
  -n, --bytes=LIMIT          compare at most LIMIT bytes
  -s, --quiet, --silent      print nothing; only the exit status"""
    opts, ops = _getopt(
        ctx, ctx.args, "bi:ln:s",
        {"print-bytes": "b", "ignore-initial=": "i", "verbose": "l", "bytes=": "n",
         "quiet": "s", "silent": "s"},
        2,
    )  # fmt: skip
    show_bytes = verbose = silent = False
    skip1 = skip2 = 0
    limit: int | None = None
    for k, v in opts:
        if k == "b":
            show_bytes = True
        elif k == "l":
            verbose = True
        elif k == "s":
            silent = True
        elif k == "i":
            a, _, b = (v or "").partition(":")
            skip1 = _cmp_skip(ctx, a)
            skip2 = _cmp_skip(ctx, b) if b else skip1
        elif k == "n":
            limit = _parse_size(v or "")
            if limit is None:
                raise _usage_error(ctx, f"invalid --bytes value '{v}'", 2)
    if verbose and silent:
        raise _usage_error(ctx, "options -l and -s are incompatible", 2)
    if not ops:
        raise _usage_error(ctx, "missing operand after 'cmp'", 2)
    if len(ops) > 4:
        raise _usage_error(ctx, f"extra operand '{ops[4]}'", 2)
    n1 = ops[0]
    n2 = ops[1] if len(ops) > 1 else "-"
    if len(ops) > 2:
        skip1 = _cmp_skip(ctx, ops[2])
    if len(ops) > 3:
        skip2 = _cmp_skip(ctx, ops[3])
    if n1 == "-" and n2 == "-":
        return 0
    try:
        f1 = ctx.open_read(n1)
        f2 = ctx.open_read(n2)
    except CommandError as e:
        raise CommandError(str(e), 2) from None
    _skip(ctx, f1, skip1)
    _skip(ctx, f2, skip2)
    offset = 0  # bytes compared so far
    line = 1
    differ = False
    b1 = b2 = b""
    last = -1
    while True:
        ctx.check()
        want = _CHUNK if limit is None else min(_CHUNK, limit - offset)
        if want <= 0:
            break
        if len(b1) < want:
            b1 += f1.read(want - len(b1))
        if len(b2) < want:
            b2 += f2.read(want - len(b2))
        n = min(len(b1), len(b2), want)
        a, b = b1[:n], b2[:n]
        if a != b:
            i = 0
            while i < n:
                if a[i] != b[i]:
                    pos = offset + i + 1
                    if silent:
                        return 1
                    if not verbose:
                        line += a.count(b"\n", 0, i)
                        # GNU says "char" in the C locale's messages (not with -b)
                        unit = "byte" if show_bytes or _messages_localized(ctx) else "char"
                        msg = f"{n1} {n2} differ: {unit} {pos}, line {line}"
                        if show_bytes:
                            msg += (
                                f" is {a[i]:3o} {_cmp_char(a[i])} {b[i]:3o} {_cmp_char(b[i])}"
                            )
                        ctx.out(msg + "\n")
                        return 1
                    differ = True
                    if show_bytes:
                        ctx.out(f"{pos} {a[i]:3o} {_cmp_char(a[i]):<4} {b[i]:3o} "
                                f"{_cmp_char(b[i])}\n")
                    else:
                        ctx.out(f"{pos} {a[i]:3o} {b[i]:3o}\n")
                i += 1
        line += a.count(b"\n")
        if n:
            last = a[-1]
        offset += n
        b1, b2 = b1[n:], b2[n:]
        if len(b1) == 0 and len(b2) == 0 and n == 0:
            break
        if n < want and (not b1 or not b2):
            if b1 or b2:  # one side ended first
                short = n1 if not b1 else n2
                if not silent:
                    ctx.stdout.flush()
                    where = (
                        "which is empty" if offset == 0 and skip1 + skip2 == 0
                        else f"after byte {offset}"
                        + ("" if verbose else f", line {line - 1}" if last == 10
                           else f", in line {line}")
                    )
                    ctx.stderr.write(f"cmp: EOF on {short} {where}\n".encode())
                return 1
            if n == 0:
                break
    return 1 if differ else 0


# --------------------------------------------------------------------------
# split
# --------------------------------------------------------------------------

_ALPHA = "abcdefghijklmnopqrstuvwxyz"


class _Suffixes:
    """GNU split's output names: fixed width with ``-a``, else widening
    (``aa``..``yz``, ``zaaa``..``zyzz``, ``zzaaaa``...)."""

    def __init__(self, digits: str, start: int, width: int | None) -> None:
        self.alpha = "0123456789" if digits else _ALPHA
        self.start = start
        self.width = width

    def name(self, i: int) -> str | None:
        a = self.alpha
        i += self.start
        if self.width is not None:
            if i >= len(a) ** self.width:
                return None
            return self._digits(i, self.width)
        stage = 0
        while True:
            count = (len(a) - 1) * len(a) ** (1 + stage)
            if i < count:
                return a[-1] * stage + self._digits(i, 2 + stage)
            i -= count
            stage += 1

    def _digits(self, i: int, width: int) -> str:
        a = self.alpha
        out = []
        for _ in range(width):
            i, r = divmod(i, len(a))
            out.append(a[r])
        return "".join(reversed(out))


def _split_count(ctx: CommandContext, what: str, text: str, allow_suffix: bool) -> int:
    n = _parse_size(text, allow_suffix)
    if n is None or n == 0:
        raise _usage_error(ctx, f"invalid number of {what}: '{text}'", 1)
    return n


@command("split")
def split_cmd(ctx: CommandContext) -> int:
    """Usage: split [OPTION]... [FILE [PREFIX]]
Output pieces of FILE ('-' or none: standard input) to PREFIXaa, PREFIXab, ...
(PREFIX is 'x' by default).
  -a, --suffix-length=N     suffixes of length N (default 2, widening as needed)
      --additional-suffix=S append S to the file names
  -b, --bytes=SIZE          SIZE bytes per file (K, M, G, KB, MB... multipliers)
  -C, --line-bytes=SIZE     at most SIZE bytes of whole lines per file
  -d                        numeric suffixes starting at 0 (--numeric-suffixes[=FROM])
  -x                        hex suffixes starting at 0 (--hex-suffixes[=FROM])
  -e, --elide-empty-files   do not write empty files with -n
  -l, --lines=N             N lines per file (default 1000)
  -n, --number=CHUNKS       N (N files by size), K/N (only the Kth to stdout),
                            l/N, l/K/N (without splitting lines), r/N (round robin)
  -t, --separator=SEP       SEP instead of newline ends records
      --verbose             say 'creating file ...' before each file"""
    opts, ops = _getopt(
        ctx, ctx.args, "a:b:C:del:n:t:x",
        {"suffix-length=": "a", "additional-suffix=": "A", "bytes=": "b", "line-bytes=": "C",
         "numeric-suffixes?": "d", "hex-suffixes?": "x", "elide-empty-files": "e",
         "lines=": "l", "number=": "n", "separator=": "t", "verbose": "v"},
        1,
    )  # fmt: skip
    mode, amount = "l", 1000
    chunks: tuple[str, int, int] | None = None  # (kind, k, n)
    width: int | None = None
    digits, start, extra, elide, verbose, sep = "", 0, "", False, False, b"\n"
    for k, v in opts:
        v = v or ""
        if k == "a":
            if not v.isdigit():
                raise _usage_error(ctx, f"invalid suffix length: '{v}'", 1)
            width = int(v)
        elif k == "A":
            if "/" in v:
                raise _usage_error(ctx, f"invalid suffix '{v}', contains directory separator", 1)
            extra = v
        elif k in "bCl":
            mode = k
            amount = _split_count(ctx, "lines" if k == "l" else "bytes", v, k != "l")
        elif k in "dx":
            digits = k
            if v:
                if not v.isdigit():
                    raise _usage_error(ctx, f"invalid start value for numerical suffix: '{v}'", 1)
                start = int(v, 10)
        elif k == "e":
            elide = True
        elif k == "v":
            verbose = True
        elif k == "t":
            raw = v.encode("utf-8", "surrogateescape")
            if raw == b"\\0":
                raw = b"\0"
            if len(raw) != 1:
                raise _usage_error(ctx, f"multi-character separator '{v}'", 1)
            sep = raw
        elif k == "n":
            chunks = _split_chunks(ctx, v)
            mode = "n"
    if len(ops) > 2:
        raise _usage_error(ctx, f"extra operand '{ops[2]}'", 1)
    src = ops[0] if ops else "-"
    prefix = ops[1] if len(ops) > 1 else "x"
    if digits == "x":
        sufx = _Suffixes("d", start, width)
        sufx.alpha = "0123456789abcdef"
    else:
        sufx = _Suffixes(digits, start, width)
    if chunks is not None and width is None:
        w = 2
        while len(sufx.alpha) ** w < start + chunks[2]:
            w += 1
        sufx.width = w
    if chunks is not None and sufx.name(chunks[2] - 1) is None:
        raise CommandError("the suffix length needs to be at least "
                           f"{width} for {chunks[2]} chunks", 1)  # fmt: skip
    writer = _SplitWriter(ctx, prefix, extra, sufx, verbose)
    f = ctx.open_read(src)
    try:
        if mode == "n":
            assert chunks is not None
            _split_n(ctx, f, writer, chunks, elide, sep)
        elif mode == "l":
            _split_lines(ctx, f, writer, amount, sep)
        elif mode == "b":
            _split_bytes(ctx, f, writer, amount)
        else:
            _split_line_bytes(ctx, f, writer, amount, sep)
    finally:
        writer.close()
    return 0


def _split_chunks(ctx: CommandContext, v: str) -> tuple[str, int, int]:
    parts = v.split("/")
    kind = "b"
    if parts[0] in ("l", "r"):
        kind = parts.pop(0)
    bad = _usage_error(ctx, f"invalid number of chunks: '{v}'", 1)
    if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
        raise bad
    n = int(parts[-1])
    k = int(parts[0]) if len(parts) == 2 else 0
    if n == 0 or k > n:
        raise bad
    return kind, k, n


class _SplitWriter:
    """The current output file of split; ``next()`` moves to the following name."""

    def __init__(self, ctx: CommandContext, prefix: str, extra: str, sufx: _Suffixes,
                 verbose: bool) -> None:  # fmt: skip
        self.ctx = ctx
        self.prefix = prefix
        self.extra = extra
        self.sufx = sufx
        self.verbose = verbose
        self.index = 0
        self.f: IO[bytes] | None = None

    def next(self) -> IO[bytes]:
        self.close()
        suffix = self.sufx.name(self.index)
        if suffix is None:
            raise CommandError("output file suffixes exhausted", 1)
        self.index += 1
        name = self.prefix + suffix + self.extra
        if self.verbose:
            self.ctx.out(f"creating file '{name}'\n")
        self.f = self.ctx.open_write(name)  # type: ignore[assignment]
        assert self.f is not None
        return self.f

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None


def _split_lines(ctx: CommandContext, f: IO[bytes], w: _SplitWriter, n: int, sep: bytes) -> None:
    count = n
    out: IO[bytes] | None = None
    for line in _records(ctx, f, sep):
        if count == n:
            out = w.next()
            count = 0
        assert out is not None
        out.write(line)
        count += 1


def _records(ctx: CommandContext, f: IO[bytes], sep: bytes) -> Iterator[bytes]:
    if sep == b"\n":
        yield from _lines(ctx, f)
        return
    buf = b""
    while True:
        ctx.check()
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        buf += chunk
        *whole, buf = buf.split(sep)
        for r in whole:
            yield r + sep
    if buf:
        yield buf


def _split_bytes(ctx: CommandContext, f: IO[bytes], w: _SplitWriter, n: int) -> None:
    room = 0
    out: IO[bytes] | None = None
    while True:
        ctx.check()
        data = f.read(_CHUNK)
        if not data:
            return
        while data:
            if room == 0:
                out = w.next()
                room = n
            assert out is not None
            piece = data[:room]
            out.write(piece)
            room -= len(piece)
            data = data[len(piece) :]


def _split_line_bytes(
    ctx: CommandContext, f: IO[bytes], w: _SplitWriter, n: int, sep: bytes
) -> None:
    used = n
    out: IO[bytes] | None = None
    for line in _records(ctx, f, sep):
        while line:
            if used + len(line) > n and used > 0:
                out = w.next()
                used = 0
            if out is None:
                out = w.next()
                used = 0
            piece = line[: n - used] if len(line) > n - used else line
            out.write(piece)
            used += len(piece)
            line = line[len(piece) :]


def _input_size(ctx: CommandContext, f: IO[bytes]) -> tuple[int, IO[bytes]]:
    """The size of ``f``; a pipe is first read whole into a spill file."""
    import os
    import stat as statmod
    import tempfile

    try:
        st = os.fstat(f.fileno())
        if statmod.S_ISREG(st.st_mode):
            return st.st_size - f.tell(), f
    except (OSError, ValueError, AttributeError):
        pass
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - returned, closed by the caller
    size = 0
    while True:
        ctx.check()
        data = f.read(_CHUNK)
        if not data:
            break
        ctx.ws.charge(len(data))  # spilled input counts against the disk budget
        tmp.write(data)
        size += len(data)
    tmp.seek(0)
    return size, tmp


def _split_n(
    ctx: CommandContext, f: IO[bytes], w: _SplitWriter, chunks: tuple[str, int, int],
    elide: bool, sep: bytes,
) -> None:  # fmt: skip
    kind, only, n = chunks
    if kind == "r":
        outs: list[IO[bytes] | None] = []
        for _ in range(0 if only else n):
            outs.append(w.next())
            w.f = None  # each is closed below
        try:
            for i, line in enumerate(_records(ctx, f, sep)):
                if only:
                    if i % n == only - 1:
                        ctx.stdout.write(line)
                else:
                    out = outs[i % n]
                    assert out is not None
                    out.write(line)
        finally:
            for o in outs:
                if o is not None:
                    o.close()
        return
    size, f = _input_size(ctx, f)
    step = max(1, size // n)  # less input than chunks: a byte each
    bounds = [min(size, step * (i + 1)) for i in range(n - 1)] + [size]
    if kind == "b":
        for i in range(n):
            want = bounds[i] - (bounds[i - 1] if i else 0)
            out = None
            if not only and not (elide and want == 0):
                out = w.next()
            while want > 0:
                ctx.check()
                data = f.read(min(want, _CHUNK))
                if not data:
                    break
                want -= len(data)
                if only == i + 1:
                    ctx.stdout.write(data)
                elif out is not None:
                    out.write(data)
        return
    # l/N: a record goes to the first chunk whose end lies beyond its start
    pos, idx = 0, -1
    out = None
    for line in _records(ctx, f, sep):
        k = idx if idx >= 0 else 0
        while k < n - 1 and pos >= bounds[k]:
            k += 1
        while idx < k:
            idx += 1
            if not only and not (elide and idx < k):
                out = w.next()
        if only == idx + 1:
            ctx.stdout.write(line)
        elif out is not None:
            out.write(line)
        pos += len(line)
    while idx < n - 1 and not only and not elide:
        idx += 1
        w.next()


# --------------------------------------------------------------------------
# join
# --------------------------------------------------------------------------


class _JoinInput:
    """One sorted input of join, read a group of equal keys at a time."""

    def __init__(self, ctx: CommandContext, f: IO[bytes], field: int, sep: bytes | None,
                 fold: bool, eol: bytes) -> None:  # fmt: skip
        self.ctx = ctx
        self.it = _records(ctx, f, eol)
        self.field = field
        self.sep = sep
        self.fold = fold
        self.eol = eol
        self.pending: list[bytes] | None = self._read()

    def split(self, line: bytes) -> list[bytes]:
        if line.endswith(self.eol):
            line = line[: -len(self.eol)]
        if self.sep is None:
            return line.split()  # runs of blanks; leading blanks ignored
        return line.split(self.sep)

    def _read(self) -> list[bytes] | None:
        line = next(self.it, None)
        return None if line is None else self.split(line)

    def key(self, fields: list[bytes]) -> bytes:
        k = fields[self.field] if self.field < len(fields) else b""
        return k.lower() if self.fold else k

    def group(self) -> list[list[bytes]]:
        """The next run of lines sharing a key ([] at the end)."""
        if self.pending is None:
            return []
        first = self.pending
        out = [first]
        k = self.key(first)
        while True:
            nxt = self._read()
            if nxt is None or self.key(nxt) != k:
                self.pending = nxt
                return out
            out.append(nxt)


def _join_field(ctx: CommandContext, text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise _usage_error(ctx, f"invalid field number: '{text}'", 1)
    return int(text) - 1


@command("join")
def join_cmd(ctx: CommandContext) -> int:
    """Usage: join [OPTION]... FILE1 FILE2
For each pair of input lines with identical join fields, write a line to
standard output. The inputs must be sorted on the join fields ('-' is stdin).
  -a FILENUM        also print unpairable lines from file FILENUM (1 or 2)
  -e EMPTY          replace missing input fields with EMPTY
  -i, --ignore-case ignore differences in case when comparing fields
  -j FIELD          equivalent to '-1 FIELD -2 FIELD'
  -o FORMAT         obey FORMAT ('0', 'N.M' items, comma or blank separated, or 'auto')
  -t CHAR           use CHAR as input and output field separator
  -v FILENUM        like -a FILENUM, but suppress joined output lines
  -1 FIELD          join on this FIELD of file 1
  -2 FIELD          join on this FIELD of file 2
  --header          treat the first line in each file as field headers
  -z, --zero-terminated  line delimiter is NUL, not newline"""
    opts, ops = _getopt(
        ctx, ctx.args, "a:e:ij:o:t:v:1:2:z",
        {"ignore-case": "i", "header": "H", "zero-terminated": "z", "check-order": "c",
         "nocheck-order": "C"},
        1,
    )  # fmt: skip
    f1 = f2 = 0
    unpaired: set[int] = set()
    only_unpaired = False
    empty: bytes | None = None
    fmt: list[tuple[int, int]] | None = None
    auto = False
    sep: bytes | None = None
    fold = header = False
    eol = b"\n"
    for k, v in opts:
        v = v or ""
        if k in "av":
            if v not in ("1", "2"):
                raise _usage_error(ctx, f"invalid file number: '{v}'", 1)
            unpaired.add(int(v))
            only_unpaired = only_unpaired or k == "v"
        elif k == "e":
            empty = v.encode("utf-8", "surrogateescape")
        elif k == "i":
            fold = True
        elif k == "j":
            f1 = f2 = _join_field(ctx, v)
        elif k == "1":
            f1 = _join_field(ctx, v)
        elif k == "2":
            f2 = _join_field(ctx, v)
        elif k == "t":
            raw = v.encode("utf-8", "surrogateescape")
            if len(raw) > 1 and raw != b"\\0":
                raise _usage_error(ctx, f"multi-character tab '{v}'", 1)
            sep = b"\0" if raw == b"\\0" else raw or b"\n"
        elif k == "o":
            if v == "auto":
                auto = True
                continue
            fmt = fmt or []
            for item in re.split(r"[ ,]+", v.strip()):
                if item == "0":
                    fmt.append((0, 0))
                    continue
                m = re.fullmatch(r"([12])\.(\d+)", item)
                if not m or int(m.group(2)) == 0:
                    raise _usage_error(ctx, f"invalid field specifier: '{item}'", 1)
                fmt.append((int(m.group(1)), int(m.group(2)) - 1))
        elif k == "z":
            eol = b"\0"
        elif k == "H":
            header = True
    if len(ops) < 2:
        msg = "missing operand" if not ops else f"missing operand after '{ops[0]}'"
        raise _usage_error(ctx, msg, 1)
    if len(ops) > 2:
        raise _usage_error(ctx, f"extra operand '{ops[2]}'", 1)
    if ops[0] == "-" and ops[1] == "-":
        raise CommandError("both files cannot be standard input", 1)
    a = _JoinInput(ctx, ctx.open_read(ops[0]), f1, sep, fold, eol)
    b = _JoinInput(ctx, ctx.open_read(ops[1]), f2, sep, fold, eol)
    osep = sep if sep is not None else b" "
    widths = [0, 0]

    def emit(l1: list[bytes] | None, l2: list[bytes] | None) -> None:
        if fmt is None and not auto:
            key = (l1 if l1 is not None else l2 or [])
            kf = f1 if l1 is not None else f2
            parts = [key[kf] if kf < len(key) else (empty or b"")]
            if l1 is not None:
                parts += [x for i, x in enumerate(l1) if i != f1]
            if l2 is not None:
                parts += [x for i, x in enumerate(l2) if i != f2]
            ctx.stdout.write(osep.join(parts) + eol)
            return
        items = fmt
        if items is None:  # auto: the join field, then as many fields as the first lines had
            items = [(0, 0)] + [(1, i) for i in range(widths[0]) if i != f1]
            items += [(2, i) for i in range(widths[1]) if i != f2]
        out = []
        for fnum, idx in items:
            if fnum == 0:
                src, kf = (l1, f1) if l1 is not None else (l2, f2)
                val = src[kf] if src is not None and kf < len(src) else None
            else:
                line = l1 if fnum == 1 else l2
                val = line[idx] if line is not None and idx < len(line) else None
            out.append(val if val is not None else (empty or b""))
        ctx.stdout.write(osep.join(out) + eol)

    if a.pending is not None:
        widths[0] = len(a.pending)
    if b.pending is not None:
        widths[1] = len(b.pending)
    if header:
        h1, h2 = a.pending, b.pending
        a.pending, b.pending = a._read(), b._read()
        if h1 is not None or h2 is not None:
            emit(h1, h2)
    g1, g2 = a.group(), b.group()
    while g1 or g2:
        ctx.check()
        if g1 and g2:
            k1, k2 = a.key(g1[0]), b.key(g2[0])
            if k1 == k2:
                if not only_unpaired:
                    for l1 in g1:
                        for l2 in g2:
                            emit(l1, l2)
                g1, g2 = a.group(), b.group()
                continue
            side = 1 if k1 < k2 else 2
        else:
            side = 1 if g1 else 2
        if side == 1:
            if 1 in unpaired:
                for line in g1:
                    emit(line, None)
            g1 = a.group()
        else:
            if 2 in unpaired:
                for line in g2:
                    emit(None, line)
            g2 = b.group()
    return 0


# --------------------------------------------------------------------------
# xxd and hexdump -C
# --------------------------------------------------------------------------


def _blocks(ctx: CommandContext, f: IO[bytes], width: int, limit: int | None) -> Iterator[bytes]:
    """``f`` in pieces of ``width`` bytes (the last maybe shorter), at most ``limit``."""
    buf = b""
    left = limit
    while True:
        ctx.check()
        want = _CHUNK if left is None else min(_CHUNK, left)
        data = f.read(want) if want > 0 else b""
        if left is not None:
            left -= len(data)
        buf += data
        while len(buf) >= width:
            yield buf[:width]
            buf = buf[width:]
        if not data:
            break
    if buf:
        yield buf


def _printable(block: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "." for b in block)


def _xxd_int(ctx: CommandContext, text: str, what: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        raise _usage_error(ctx, f"invalid {what} '{text}'", 2) from None
    if n < 0:
        raise _usage_error(ctx, f"invalid {what} '{text}'", 2)
    return n


@command("xxd")
def xxd_cmd(ctx: CommandContext) -> int:
    """Usage: xxd [OPTION]... [INFILE [OUTFILE]]
Make a hex dump of INFILE (standard input by default), or the reverse.
  -c COLS   bytes per line (16 by default; 30 with -p)
  -g BYTES  bytes per group (2 by default)
  -l LEN    stop after LEN bytes
  -s SEEK   start at byte offset SEEK
  -p        plain hex dump: no offsets, no text column
  -r        reverse: turn a hex dump back into binary (with -p: plain hex)
  -u        upper-case hex digits
  -i        C include file style (-n NAME: the array's name, -C: capitalised names)
  -b        bits instead of hex digits (6 bytes a line)"""
    opts, ops = _getopt(
        ctx, ctx.args, "c:g:l:s:pruibCn:",
        {"ps": "p", "plain": "p", "include": "i", "bits": "b", "capitalize": "C", "name": "n"},
        2,
    )  # fmt: skip
    cols: int | None = None
    group: int | None = None
    limit, seek = None, 0
    plain = reverse = upper = include = bits = capitalize = False
    name: str | None = None
    for k, v in opts:
        v = v or ""
        if k == "i":
            include = True
        elif k == "b":
            bits = True
        elif k == "C":
            capitalize = True
        elif k == "n":
            name = v
        elif k == "c":
            cols = _xxd_int(ctx, v, "number of columns")
            if not 1 <= cols <= 256:
                raise CommandError("invalid number of columns (max. 256).", 2)
        elif k == "g":
            group = _xxd_int(ctx, v, "group size")
        elif k == "l":
            limit = _xxd_int(ctx, v, "length")
        elif k == "s":
            seek = _xxd_int(ctx, v, "seek offset")
        elif k == "p":
            plain = True
        elif k == "r":
            reverse = True
        elif k == "u":
            upper = True
    if len(ops) > 2:
        raise _usage_error(ctx, f"too many arguments: '{ops[2]}'", 2)
    try:
        src = ctx.open_read(ops[0] if ops else "-")
    except CommandError as e:
        raise CommandError(str(e), 2) from None
    out: IO[bytes] = ctx.open_write(ops[1]) if len(ops) > 1 else ctx.stdout  # type: ignore[assignment]
    try:
        if reverse:
            _xxd_reverse(ctx, src, out, plain)
            return 0
        _skip(ctx, src, seek)
        if include:
            _xxd_include(ctx, src, out, ops[0] if ops and ops[0] != "-" else None, name,
                         cols or 12, limit, upper, capitalize)  # fmt: skip
            return 0
        width = cols or (30 if plain else 6 if bits else 16)
        if group is None:
            group = 1 if bits else 2
        hexfmt = "{:08b}" if bits else "{:02X}" if upper else "{:02x}"
        cell = 8 if bits else 2
        offset = seek
        for block in _blocks(ctx, src, width, limit):
            hx = [hexfmt.format(b) for b in block]
            if plain:
                out.write(("".join(hx) + "\n").encode())
                continue
            if group <= 0:
                groups = ["".join(hx)]
                full = width * cell + 1
            else:
                groups = ["".join(hx[i : i + group]) for i in range(0, len(hx), group)]
                ngroups = -(-width // group)
                full = width * cell + ngroups
            area = " ".join(groups).ljust(full)
            out.write(f"{offset:08x}: {area} {_printable(block)}\n".encode())
            offset += len(block)
    finally:
        if out is not ctx.stdout:
            out.close()
    return 0


def _xxd_include(
    ctx: CommandContext, src: IO[bytes], out: IO[bytes], path: str | None, name: str | None,
    cols: int, limit: int | None, upper: bool, capitalize: bool,
) -> None:  # fmt: skip
    """``xxd -i``: a C array of the bytes (with its name and length for a file)."""
    if name is None and path is not None:
        name = "".join(c if c.isascii() and c.isalnum() else "_" for c in path)
        if name[:1].isdigit():
            name = "__" + name
    if name is not None and capitalize:
        name = name.upper()
    if name is not None:
        out.write(f"unsigned char {name}[] = {{\n".encode())
    hexfmt = "0X{:02X}" if upper else "0x{:02x}"
    total = 0
    pending = b""
    for block in _blocks(ctx, src, cols, limit):
        if pending:
            out.write(pending + b",\n")
        pending = ("  " + ", ".join(hexfmt.format(b) for b in block)).encode()
        total += len(block)
    if pending:
        out.write(pending + b"\n")
    if name is not None:
        length = f"{name}_LEN" if capitalize else f"{name}_len"
        out.write(f"}};\nunsigned int {length} = {total};\n".encode())


_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")


def _xxd_reverse(ctx: CommandContext, src: IO[bytes], out: IO[bytes], plain: bool) -> None:
    pos = 0  # bytes written so far
    for line in _lines(ctx, src):
        ctx.check()
        if not plain:
            head, colon, rest = line.partition(b":")
            if not colon:
                continue
            try:
                addr = int(head.strip() or b"0", 16)
            except ValueError:
                continue
            if addr > pos:  # fill the gap with zero bytes
                gap = addr - pos
                while gap:
                    n = min(gap, _CHUNK)
                    out.write(bytes(n))
                    gap -= n
                pos = addr
            line = rest
        digits = bytearray()
        spaces = 0
        for ch in line:
            if ch in _HEXDIGITS:
                digits.append(ch)
                spaces = 0
            elif ch in b" \t\r\n":
                spaces += 1
                if not plain and spaces >= 2 and digits:
                    break  # the text column
            else:
                break
        if len(digits) % 2:
            digits = digits[:-1]
        data = bytes.fromhex(digits.decode())
        out.write(data)
        pos += len(data)


@command("hexdump", "hd")
def hexdump_cmd(ctx: CommandContext) -> int:
    """Usage: hexdump -C [-n LENGTH] [-s OFFSET] [-v] [FILE]...
Canonical hex+ASCII display of the FILEs (standard input by default), as
util-linux 'hexdump -C' (or 'hd') prints it; repeated lines show as '*'.
  -C         canonical hex+ASCII display (the only format)
  -n LENGTH  interpret only LENGTH bytes of input
  -s OFFSET  skip OFFSET bytes from the beginning
  -v         show every line, even repeated ones"""
    opts, ops = _getopt(ctx, ctx.args, "Cn:s:v", {"canonical": "C", "length=": "n",
                                                  "skip=": "s", "no-squeezing": "v"}, 1)
    canonical = ctx.name == "hd"
    limit: int | None = None
    seek = 0
    squeeze = True
    for k, v in opts:
        if k == "C":
            canonical = True
        elif k == "n":
            limit = _parse_size(v or "")
            if limit is None:
                raise CommandError(f"invalid length argument: '{v}'", 1)
        elif k == "s":
            seek = _parse_size(v or "") or 0
            if _parse_size(v or "") is None:
                raise CommandError(f"invalid offset argument: '{v}'", 1)
        elif k == "v":
            squeeze = False
    if not canonical:
        raise _usage_error(ctx, "only the canonical format (-C) is built in", 1)
    names = ops or ["-"]
    offset = 0
    prev: bytes | None = None
    starred = False
    status = 0
    pending = b""
    left = limit
    to_skip = seek

    def emit(block: bytes) -> None:
        nonlocal prev, starred, offset
        if squeeze and block == prev and len(block) == 16:
            if not starred:
                ctx.out("*\n")
                starred = True
        else:
            starred = False
            hx = [f"{b:02x}" for b in block]
            area = (" ".join(hx[:8]) + "  " + " ".join(hx[8:])).rstrip() if len(hx) > 8 \
                else " ".join(hx)
            ctx.out(f"{offset:08x}  {area:<48}  |{_printable(block)}|\n")
        prev = block
        offset += len(block)

    offset = seek
    for name in names:
        try:
            f = ctx.open_read(name)
        except CommandError as e:
            ctx.err(str(e))
            status = 1
            continue
        if to_skip:
            before = to_skip
            _skip(ctx, f, to_skip)
            to_skip = 0 if before else to_skip
        for block in _blocks(ctx, f, 16, left):
            if left is not None:
                left -= len(block)
            data = pending + block
            while len(data) >= 16:
                emit(data[:16])
                data = data[16:]
            pending = data
        if f is not ctx.stdin:
            f.close()
    if pending:
        emit(pending)
    if offset or seek or prev is not None:
        ctx.out(f"{offset:08x}\n")
    return status

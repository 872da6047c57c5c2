"""jq: the command-line JSON processor, compatible with jq 1.6.

The filter language lives in :mod:`corral.shell.jq_lang`; this module does
the command line, the inputs and the output formatting.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

from .. import jq_lang as J
from ..command import CommandContext, CommandError, command, decode, start_thread
from ..limits import max_string, too_large

USAGE_TAIL = (
    "Use jq --help for help with command-line options,\n"
    "or see the jq manpage, or online docs  at https://stedolan.github.io/jq\n"
)


class _Usage(Exception):
    """A command-line error: ``jq: msg`` plus the usage hint, status 2."""


class _Fatal(Exception):
    """A start-up error: ``jq: msg``, status 2."""


def _clean(s: str) -> str:
    """Argument text as jq sees it: invalid UTF-8 becomes U+FFFD."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _Inputs:
    """The input values of all files, in order, read lazily."""

    def __init__(
        self, ctx: CommandContext, files: list[str], raw: bool, slurp: bool, stream: bool
    ) -> None:
        self.ctx = ctx
        self.files = files or ["-"]
        self.raw = raw
        self.slurp = slurp
        self.stream = stream
        self.errors = 0
        self.name: str | None = None  # the file being read
        self.reader: J.JSONReader | None = None
        self.lines: Iterator[str] | None = None
        self.fh: IO[bytes] | None = None
        self.line = 0
        self.idx = 0
        self.done = False
        self.pending: list[Any] = []
        self._slurped = False

    def position(self) -> str:
        if self.name is None:
            return "<unknown>"
        return f"{'<stdin>' if self.name == '-' else self.name}:{self.line}"

    def filename(self) -> Any:
        if self.name is None:
            return None
        return "<stdin>" if self.name == "-" else self.name

    def _open_next(self) -> bool:
        self._close()
        while self.idx < len(self.files):
            name = self.files[self.idx]
            self.idx += 1
            try:
                fh = self.ctx.open_read(name)
            except CommandError as e:
                msg = str(e)
                if msg.startswith(name + ": "):
                    msg = msg[len(name) + 2 :]
                self.ctx.stderr.write(f"jq: error: Could not open file {name}: {msg}\n".encode())
                self.errors += 1
                continue
            self.fh = fh
            self.name = name
            self.line = 0
            if self.raw:
                self.lines = J.read_raw_lines(fh, self.ctx.check)
            else:
                self.reader = J.JSONReader(fh, self.ctx.check)
            return True
        self.name = None
        return False

    def _close(self) -> None:
        if self.fh is not None and self.fh is not self.ctx.stdin:
            self.fh.close()
        self.fh = None
        self.reader = None
        self.lines = None

    def _next_plain(self) -> Any:
        """The next value of the concatenated files, or _NOTHING."""
        while True:
            if self.reader is None and self.lines is None and (self.done or not self._open_next()):
                self.done = True
                return J._NOTHING
            try:
                if self.lines is not None:
                    v = next(self.lines, J._NOTHING)
                    if v is not J._NOTHING:
                        self.line += 1
                        return v
                else:
                    assert self.reader is not None
                    v = self.reader.next_value()
                    self.line = self.reader.line
                    if v is not J._NOTHING:
                        return v
            except OSError as e:  # a read error: report it and go on with the next file
                self.ctx.stderr.write(f"jq: error: Input error: {e.strerror or e}\n".encode())
                self.errors += 1
            self._close()

    def next(self) -> Any:
        if self.pending:
            return self.pending.pop(0)
        if self.slurp:
            if self._slurped:
                return J._NOTHING
            self._slurped = True
            if self.raw:
                return self._slurp_raw()
            items = []
            while True:
                v = self._next_plain()
                if v is J._NOTHING:
                    return items
                items.append(v)
                if len(items) % 1024 == 0:
                    self.ctx.check()
        v = self._next_plain()
        if v is not J._NOTHING and self.stream:
            events = list(_stream_events(v))
            self.pending = events[1:]
            return events[0]
        return v

    def _slurp_raw(self) -> str:
        parts: list[str] = []
        limit = max_string(self.ctx.ws.budget)
        size = 0
        while self._open_next():
            assert self.fh is not None
            data = self.fh.read(limit - size + 1)
            size += len(data)
            if size > limit:
                raise CommandError(too_large("-Rs: input", size, limit), 2)
            parts.append(data.decode("utf-8", "replace"))
            self.line = 0
        self.done = True
        return "".join(parts)


def _stream_events(v: Any) -> Iterator[list[Any]]:
    def rec(x: Any, path: list[Any]) -> Iterator[list[Any]]:
        t = type(x)
        if (t is list or t is dict) and x:
            items = enumerate(x) if t is list else x.items()
            last: Any = None
            for k, c in items:
                key = float(k) if t is list else k
                yield from rec(c, [*path, key])
                last = key
            yield [[*path, last]]
        else:
            yield [path, x]

    return rec(v, [])


def _parse_args(ctx: CommandContext) -> dict[str, Any]:
    o: dict[str, Any] = {
        "indent": "  ",
        "sort": False,
        "ascii": False,
        "raw": False,
        "join": False,
        "seq": False,
        "null": False,
        "slurp": False,
        "raw_in": False,
        "exit": False,
        "stream": False,
        "from_file": False,
        "filter": None,
        "files": [],
        "named": {},
        "positional": [],
    }
    args = ctx.args
    mode = "files"
    i = 0
    opts_done = False

    def take(n: int, msg: str) -> list[str]:
        nonlocal i
        if i + n > len(args):
            raise _Usage(msg)
        vals = args[i : i + n]
        i += n
        return vals

    while i < len(args):
        a = args[i]
        i += 1
        if not opts_done and a == "--":
            opts_done = True
            continue
        if opts_done or not (a.startswith("-") and len(a) > 1 and (a[1].isalpha() or a[1] == "-")):
            if o["filter"] is None:
                o["filter"] = a
            elif mode == "args":
                o["positional"].append(_clean(a))
            elif mode == "jsonargs":
                try:
                    o["positional"].append(J.parse_json_text(_clean(a)))
                except J.JSONParseError:
                    raise _Usage("Invalid JSON text passed to --jsonargs") from None
            else:
                o["files"].append(a)
            continue
        if a.startswith("--"):
            name = a[2:]
            if name in (
                "slurp",
                "raw-output",
                "join-output",
                "ascii-output",
                "null-input",
                "exit-status",
                "compact-output",
                "color-output",
                "monochrome-output",
                "sort-keys",
                "raw-input",
                "tab",
                "seq",
                "stream",
                "unbuffered",
                "from-file",
                "help",
                "version",
            ):
                _short_opt(
                    o,
                    {
                        "slurp": "s",
                        "raw-output": "r",
                        "join-output": "j",
                        "ascii-output": "a",
                        "null-input": "n",
                        "exit-status": "e",
                        "compact-output": "c",
                        "color-output": "C",
                        "monochrome-output": "M",
                        "sort-keys": "S",
                        "raw-input": "R",
                        "from-file": "f",
                        "help": "h",
                    }.get(name, name),
                    ctx,
                )
            elif name == "indent":
                (v,) = take(1, "--indent takes one parameter")
                try:
                    n = int(v.strip() or "0")
                except ValueError:
                    n = 0
                if n < -1 or n > 7:
                    raise _Usage("--indent takes a number between -1 and 7")
                o["indent"] = "\t" if n == -1 else (None if n == 0 else " " * n)
            elif name == "arg":
                k, v = take(2, "--arg takes two parameters (e.g. --arg varname value)")
                o["named"][k] = _clean(v)
            elif name == "argjson":
                k, v = take(2, "--argjson takes two parameters (e.g. --argjson varname text)")
                try:
                    o["named"][k] = J.parse_json_text(_clean(v))
                except J.JSONParseError:
                    raise _Usage("invalid JSON text passed to --argjson") from None
            elif name in ("slurpfile", "argfile", "rawfile"):
                k, f = take(2, f"--{name} takes two parameters (e.g. --{name} varname filename)")
                o["named"][k] = _read_file_arg(ctx, name, k, f)
            elif name == "args":
                mode = "args"
            elif name == "jsonargs":
                mode = "jsonargs"
            elif name in ("debug-dump-disasm", "debug-trace"):
                pass
            else:
                raise _Usage(f"Unknown option {a}")
            continue
        letters = a[1:]
        for j, ch in enumerate(letters):
            if ch == "L":
                if j == len(letters) - 1:
                    take(1, "-L takes a parameter: (e.g. -L /search/path or -L/search/path)")
                break
            if ch not in "srjanecCMSRfh":
                raise _Usage(f"Unknown option {a}")
            _short_opt(o, ch, ctx)
    return o


def _short_opt(o: dict[str, Any], ch: str, ctx: CommandContext) -> None:
    if ch == "s":
        o["slurp"] = True
    elif ch == "r":
        o["raw"] = True
    elif ch == "j":
        o["raw"] = o["join"] = True
    elif ch == "a":
        o["ascii"] = True
    elif ch == "n":
        o["null"] = True
    elif ch == "e":
        o["exit"] = True
    elif ch == "c":
        o["indent"] = None
    elif ch == "tab":
        o["indent"] = "\t"
    elif ch == "S":
        o["sort"] = True
    elif ch == "R":
        o["raw_in"] = True
    elif ch == "f":
        o["from_file"] = True
    elif ch == "seq":
        o["seq"] = True
    elif ch == "stream":
        o["stream"] = True
    elif ch == "h":
        raise _Help()
    elif ch == "version":
        raise _Version()
    # -C, -M and --unbuffered change nothing here


class _Help(Exception):
    pass


class _Version(Exception):
    pass


def _read_file_arg(ctx: CommandContext, opt: str, var: str, path: str) -> Any:
    try:
        with ctx.open_read(path) as fh:
            data = fh.read()
    except CommandError as e:
        msg = str(e)
        if msg.startswith(path + ": "):
            msg = msg[len(path) + 2 :]
        raise _Fatal(f"Bad JSON in --{opt} {var} {path}: Could not open {path}: {msg}") from None
    text = data.decode("utf-8", "replace")
    if opt == "rawfile":
        return text
    reader = J.JSONReader(_BytesSource(data))
    items = []
    try:
        while True:
            v = reader.next_value()
            if v is J._NOTHING:
                break
            items.append(v)
    except J.JSONParseError as e:
        raise _Fatal(f"Bad JSON in --{opt} {var} {path}: {e}") from None
    if opt == "argfile" and len(items) == 1:
        return items[0]
    return items


class _BytesSource:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, n: int = -1) -> bytes:
        d, self.data = self.data, b""
        return d


class _Out:
    """Buffered output to the command's stdout."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, s: str) -> None:
        b = s.encode("utf-8", "surrogateescape")
        self.parts.append(b)
        self.size += len(b)
        if self.size >= 65536:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.ctx.stdout.write(b"".join(self.parts))
            self.parts = []
            self.size = 0
        with contextlib.suppress(AttributeError, ValueError):
            self.ctx.stdout.flush()


@command("jq")
def jq(ctx: CommandContext) -> int:
    """Usage: jq [OPTION]... FILTER [FILE]...
    Process JSON inputs with a jq filter (compatible with jq 1.6).

      -r, --raw-output       write strings without quotes
      -j, --join-output      like -r, without newlines between outputs
      -c, --compact-output   one line per output
      -n, --null-input       use null as the single input (read inputs with input/inputs)
      -s, --slurp            read all inputs into one array
      -R, --raw-input        each input line is a string (with -s: all input is one string)
      -e, --exit-status      status 1 if the last output was false or null, 4 if none
      -S, --sort-keys        sort object keys in the output
      -a, --ascii-output     escape non-ASCII characters
          --tab              indent with tabs
          --indent N         indent with N spaces (0-7; -1 means tabs)
          --arg NAME VALUE   set $NAME to the string VALUE
          --argjson NAME JSON  set $NAME to the JSON value
          --slurpfile NAME FILE, --rawfile NAME FILE, --argfile NAME FILE
          --args, --jsonargs  remaining arguments are positional ($ARGS.positional)
          --seq, --stream    JSON text sequences / streaming form
      -f FILE                read the filter from FILE
      -C, -M                 accepted, no colour is ever written
    """
    # Deeply recursive filters need a deep Python stack: run in a thread of our own.
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["rc"] = _main(ctx, 8000 if result.get("small_stack") else J.MAX_FRAMES)
        except BaseException as e:  # handed over to the calling thread
            result["exc"] = e

    t: threading.Thread | None = threading.Thread(target=target, name="jq", daemon=True)
    try:
        start_thread(t, STACK_SIZE)  # type: ignore[arg-type]
    except (RuntimeError, ValueError, MemoryError):  # no room for a big stack
        t = None
    if t is not None:
        t.join()
    else:
        result["small_stack"] = True
        target()
    if "exc" in result:
        raise result["exc"]
    return int(result["rc"])


RECURSION_LIMIT = 60000
STACK_SIZE = 256 * 1024 * 1024
#: How much the process may grow while a filter runs (it is the host's memory).
MEMORY_GROWTH = 2 * 1024 * 1024 * 1024


def _rss() -> int:
    """Peak resident size of this (host) process, in bytes."""
    try:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except (OSError, ValueError):
        return 0


def _checker(ctx: CommandContext) -> Any:
    base = _rss()
    calls = [0]

    def check() -> None:
        ctx.check()
        calls[0] += 1
        if base and calls[0] % 32 == 0 and _rss() - base > MEMORY_GROWTH:
            raise J.JQFatal("Out of memory (jq filter used more than 2 GB)")

    return check


def _main(ctx: CommandContext, max_frames: int = J.MAX_FRAMES) -> int:
    try:
        o = _parse_args(ctx)
    except _Usage as e:
        ctx.stderr.write(f"jq: {e}\n{USAGE_TAIL}".encode("utf-8", "surrogateescape"))
        return 2
    except _Fatal as e:
        ctx.stderr.write(f"jq: {e}\n".encode("utf-8", "surrogateescape"))
        return 2
    except _Help:
        ctx.out((jq.__doc__ or "").replace("\n    ", "\n").strip() + "\n")
        return 0
    except _Version:
        ctx.out("jq-1.6\n")
        return 0

    text = o["filter"]
    files: list[str] = o["files"]
    if o["from_file"]:
        if text is None:
            ctx.stderr.write(f"jq: -f takes a parameter\n{USAGE_TAIL}".encode())
            return 2
        try:
            with ctx.open_read(text) as fh:
                text = decode(fh.read())
        except CommandError as e:
            msg = str(e)
            name = o["filter"]
            if msg.startswith(name + ": "):
                msg = msg[len(name) + 2 :]
            ctx.stderr.write(f"jq: Could not open {name}: {msg}\n".encode())
            return 2
    if text is None:
        text = "."
    text = _clean(text)

    named: dict[str, Any] = dict(o["named"])
    named["ARGS"] = {"positional": o["positional"], "named": dict(o["named"])}
    try:
        prog = J.Program(text, named.keys())
    except J.CompileError as e:
        n = len(e.messages)
        msg = "\n".join(e.messages)
        ctx.stderr.write(
            f"{msg}\njq: {n} compile error{'s' if n != 1 else ''}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
        return 3
    except (RecursionError, ValueError, TypeError, KeyError, IndexError) as e:
        ctx.stderr.write(f"jq: error: cannot compile the filter: {type(e).__name__}\n".encode())
        return 3

    inputs = _Inputs(ctx, files, o["raw_in"], o["slurp"], o["stream"])
    out = _Out(ctx)
    environ = {_clean(k): _clean(v) for k, v in ctx.env.items()}
    seen_input = [False]

    def next_input() -> Any:
        try:
            v = inputs.next()
        except J.JSONParseError as e:
            raise J.JQError(str(e)) from None
        seen_input[0] = True
        if v is J._NOTHING:
            raise J.NoMoreInputs()
        return v

    def stderr(s: str) -> None:
        out.flush()
        ctx.stderr.write(s.encode("utf-8", "surrogateescape"))

    check = _checker(ctx)
    rt = J.Runtime(
        check,
        next_input,
        stderr,
        environ,
        inputs.filename,
        lambda: float(inputs.line),
    )
    rt.max_frames = max_frames
    indent = o["indent"]
    sort_keys, ascii_out = o["sort"], o["ascii"]
    raw, join, seq = o["raw"], o["join"], o["seq"]

    def position() -> str:
        if o["null"] and not seen_input[0]:
            return "<unknown>"
        return inputs.position()

    halted: list[int | None] = [None]

    def process(value: Any) -> int:
        ret = 14
        try:
            for v in prog.run(value, rt, named):
                if raw and type(v) is str:
                    s = J.dump_str(v, True) if ascii_out else v
                    ret = 0
                else:
                    ret = 11 if v is None or v is False else 0
                    s = J.dump(v, indent, sort_keys, ascii_out)
                if seq:
                    out.write("\x1e")
                out.write(s if join else s + "\n")
        except J.JQError as e:
            out.flush()
            pos = position()
            if type(e.value) is str:
                msg = f"jq: error (at {pos}): {e.value}\n"
            else:
                msg = f"jq: error (at {pos}) (not a string): {J.dump(e.value)}\n"
            ctx.stderr.write(msg.encode("utf-8", "surrogateescape"))
            ret = 5
        except J.HaltEx as h:
            out.flush()
            if h.has_message:
                m = h.message
                if type(m) is str:
                    ctx.stderr.write(m.encode("utf-8", "surrogateescape"))
                elif m is not None:
                    ctx.stderr.write((J.dump(m) + "\n").encode("utf-8", "surrogateescape"))
            ret = J.c_int(h.code) if J.is_num(h.code) else 5
            halted[0] = ret
        except J.JQFatal as e:
            out.flush()
            ctx.stderr.write(f"jq: error (at {position()}): {e}\n".encode())
            ret = 5
        except RecursionError:
            out.flush()
            ctx.stderr.write(
                f"jq: error (at {position()}): stack overflow (recursion too deep)\n".encode()
            )
            ret = 5
        except (OSError, MemoryError):  # MemoryError: the worker's memory budget, named
            raise
        except Exception as e:
            # a bug of this implementation: say so instead of showing a traceback
            out.flush()
            msg = f"jq: error (at {position()}): internal error: {type(e).__name__}: {e}\n"
            ctx.stderr.write(msg.encode("utf-8", "surrogateescape"))
            ret = 5
        return ret

    ret = 0
    if o["null"]:
        ret = process(None)
    else:
        while True:
            ctx.check()
            try:
                v = inputs.next()
            except J.JSONParseError as e:
                out.flush()
                ctx.stderr.write(f"parse error: {e}\n".encode("utf-8", "surrogateescape"))
                ret = 4
                break
            if v is J._NOTHING:
                break
            ret = process(v)
    out.flush()
    inputs._close()
    if inputs.errors:
        ret = 2
    if halted[0] is not None and ret == halted[0]:
        return ret
    if ret >= 10:
        return ret - 10 if o["exit"] else 0
    return ret

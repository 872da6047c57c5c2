# corral's driver for the CPython WASI guest. It runs as `python -c DRIVER`
# inside the sandbox and keeps one interpreter alive between calls. Protocol:
# one JSON object per line; the host writes requests on fd 0, the guest
# answers on fd 1. User output never touches fd 1 directly: print() goes
# through _Out, which frames it, caps it and flushes it at the end of a call.
import builtins
import io
import json
import os
import sys
import time
import traceback
import types

_rd = open(0, "rb", buffering=0)  # noqa: SIM115
_wr = open(1, "wb", buffering=0)  # noqa: SIM115
_pending = b""


def _recv():
    global _pending
    while b"\n" not in _pending:
        chunk = _rd.read(1 << 16)
        if not chunk:
            raise SystemExit(0)
        _pending += chunk
    line, _, _pending = _pending.partition(b"\n")
    return json.loads(line)


def _send(obj):
    _wr.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")


class OutputLimitExceeded(BaseException):
    """Raised in the guest when a call prints more than its output budget."""


class _Out(io.TextIOBase):
    def __init__(self, stream):
        self.stream = stream
        self.buf = []
        self.size = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        st = _state
        n = len(s)
        if st["dropped"]:
            st["dropped"] += n
            return n
        room = st["cap"] - st["used"]
        if n > room:
            if room > 0:
                self.buf.append(s[:room])
            st["used"] = st["cap"]
            st["dropped"] = n - max(room, 0)
            self.flush()
            raise OutputLimitExceeded("output budget of %d characters exceeded" % st["cap"])
        st["used"] += n
        self.buf.append(s)
        self.size += n
        if self.size > 8192:
            self.flush()
        return n

    def flush(self):
        if self.buf:
            _send({"op": "out", "stream": self.stream, "data": "".join(self.buf)})
            self.buf = []
            self.size = 0

    @property
    def encoding(self):
        return "utf-8"

    def isatty(self):
        return False


_state = {"cap": 1 << 20, "used": 0, "dropped": 0}
_stdout = _Out("stdout")
_stderr = _Out("stderr")


class ToolError(Exception):
    """A host tool failed, or the call was refused by the capability checks."""


class ToolDenied(ToolError):
    """The capability checks refused this tool call; the host never saw it."""


def call(name, args=None, /, **kwargs):
    """Call the host tool NAME with keyword arguments (or one dict)."""
    params = dict(args or {})
    params.update(kwargs)
    _stdout.flush()
    _stderr.flush()
    _send({"op": "tool", "name": name, "args": params})
    reply = _recv()
    if reply.get("ok"):
        return reply.get("value")
    cls = ToolDenied if reply.get("kind") == "denied" else ToolError
    raise cls(reply.get("error", "tool call failed"))


class _Namespace:
    def __init__(self, path):
        self._path = path

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Namespace(self._path + [attr])

    def __call__(self, args=None, /, **kwargs):
        name = _resolve(self._path)
        return call(name, args, **kwargs)

    def __repr__(self):
        return "<corral tool %s>" % "/".join(self._path)


_tool_names = []


def _resolve(path):
    for sep in ("/", ".", "_"):
        cand = sep.join(path)
        if cand in _tool_names:
            return cand
    return "/".join(path)


def _tool_func(name):
    def f(args=None, /, **kwargs):
        return call(name, args, **kwargs)

    f.__name__ = name
    f.__doc__ = "Host tool %r (capability-checked)." % name
    return f


_mod = types.ModuleType("corral")
_mod.call = call
_mod.ToolError = ToolError
_mod.ToolDenied = ToolDenied
_mod.OutputLimitExceeded = OutputLimitExceeded
_mod.tools = _Namespace([])
sys.modules["corral"] = _mod

_sleep = time.sleep


def _chunked_sleep(secs):
    # Short slices give the host's epoch interruption a chance to stop us.
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        _sleep(min(left, 0.05))


time.sleep = _chunked_sleep

_globals = {"__name__": "__main__", "__builtins__": builtins, "tools": _mod.tools}
sys.argv = [""]
try:
    os.chdir("/workspace")
except OSError:
    pass
_send({"op": "ready"})

while True:
    msg = _recv()
    op = msg.get("op")
    if op == "exit":
        break
    if op != "exec":
        continue
    _tool_names[:] = msg.get("tools", [])
    for _n in _tool_names:
        if _n.isidentifier():
            _globals[_n] = _tool_func(_n)
    _state.update(cap=msg.get("cap", 1 << 20), used=0, dropped=0)
    sys.stdout, sys.stderr = _stdout, _stderr
    sys.stdin = io.StringIO(msg.get("stdin") or "")
    exit_code = 0
    error = None
    scope = _globals
    if msg.get("fresh"):
        scope = {"__name__": "__main__", "__builtins__": builtins, "tools": _mod.tools}
        for _n in _tool_names:
            if _n.isidentifier():
                scope[_n] = _tool_func(_n)
    sys.argv = list(msg.get("argv") or [""])
    try:
        exec(
            compile(
                msg["code"],
                sys.argv[0] if msg.get("fresh") and sys.argv[0] not in ("-c", "") else "<sandbox>",
                "exec",
            ),
            scope,
        )
    except SystemExit as e:
        c = e.code
        if c is None:
            exit_code = 0
        elif isinstance(c, int):
            exit_code = c & 0xFF
        else:
            _stderr.write(str(c) + "\n")
            exit_code = 1
    except OutputLimitExceeded:
        exit_code = 1
        error = {"type": "OutputLimitExceeded", "message": "output budget exceeded"}
    except BaseException as e:
        exit_code = 1
        error = {"type": type(e).__name__, "message": str(e)}
        try:
            tb = "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
            _state["dropped"] = 0
            _state["cap"] = _state["used"] + len(tb)
            _stderr.write(tb)
        except BaseException:
            pass
    try:
        _stdout.flush()
        _stderr.flush()
    except BaseException:
        pass
    _send({"op": "done", "exit_code": exit_code, "error": error, "dropped": _state["dropped"]})
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__

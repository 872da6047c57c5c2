"""The shell interpreter: walks the syntax tree, runs built-ins, keeps state.

State (variables, functions, aliases, cwd, options, positional parameters)
lives in ``ShellState`` and persists across ``Shell.run`` calls; subshells,
pipeline stages, command substitutions and background jobs get a copy.
Pipeline stages run on threads joined by real OS pipes.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import io
import itertools
import os
import posixpath
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from ..errors import PathEscape
from ..files import GUEST_ROOT, Workspace
from ..saferegex import RegexTooExpensive
from . import coproc, procsub, selectloop
from . import pattern as P
from . import syntax as A
from .arith import ArithError
from .command import (
    REGISTRY,
    Cancelled,
    CommandContext,
    CommandError,
    QuotaReadWriter,
    QuotaWriter,
    open_for_write,
    start_thread,
)
from .cond import CondError, CondEval, test_builtin
from .expand import Expander, ExpansionError
from .lexer import ShellSyntaxError, split_words
from .limits import exec_args_too_long
from .parser import parse, parse_until_error
from .values import IArray

MAX_JOBS = 64
#: jobs that ended are remembered (for `wait %N`, `wait $!`) up to this many, the oldest
#: forgotten first: the table stays bounded however many jobs a script starts
MAX_ENDED_JOBS = 1024
MAX_DEPTH = 100  # function / source / eval nesting
CMDSUB_CAP = 64 * 1024 * 1024
_PIPE_BUFFER = 64 * 1024  # a pipeline stage's writes are gathered this far


class _StagePipe(io.BufferedWriter):
    """The write end of the pipe from one pipeline stage to the next. A bash
    built-in that finds its reader gone ends the whole stage, as SIGPIPE ends
    bash's subshell there (``while :; do echo; done | head -1`` stops); what is a
    program in bash (cat, seq, …) only ends itself, with status 141."""


_FD_VAR_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]+)\])?")
_REF_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")

#: how long background jobs still running at the end of a run may take to end
JOB_GRACE_S = 0.5
#: the bash release whose behaviour the shell follows ($BASH_VERSION, $BASH_VERSINFO)
BASH_VERSINFO = ("5", "2", "15", "1", "release", "x86_64-pc-linux-gnu")
BASH_VERSION = "5.2.15(1)-release"
#: BASHPID of subshells (each its own number, as their own processes have in bash)
_SUBSHELL_PIDS = itertools.count(1001)

#: bash's own built-ins (``compgen -b``): in bash they run in the stage's process
_BASH_BUILTINS = frozenset(
    [
        ".", ":", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
        "compgen", "complete", "compopt", "continue", "declare", "dirs", "disown", "echo",
        "enable", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash",
        "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd",
        "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift",
        "shopt", "source", "suspend", "test", "times", "trap", "true", "type", "typeset",
        "ulimit", "umask", "unalias", "unset", "wait",
    ]
)


class _CommandEnv(Mapping[str, str]):
    """A built-in's environment (the exported variables, then the command's own
    assignments), made when the built-in first reads it: most never do, and making it
    walks every variable."""

    __slots__ = ("_env", "_extra", "_sh")

    def __init__(self, sh: Shell, extra: dict[str, str]) -> None:
        self._sh = sh
        self._extra = extra
        self._env: dict[str, str] | None = None

    def _made(self) -> dict[str, str]:
        env = self._env
        if env is None:  # (two threads of one built-in may both make it: equal dicts)
            env = self._sh.env()
            env.update(self._extra)
            self._env = env
        return env

    def __getitem__(self, key: str) -> str:
        return self._made()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


class ExitShell(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class BreakLoop(Exception):
    def __init__(self, n: int) -> None:
        self.n = n


class ContinueLoop(Exception):
    def __init__(self, n: int) -> None:
        self.n = n


class ReturnFn(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class AbortCommand(Exception):
    """An arithmetic error: bash abandons the current top-level command and
    goes on with the next one."""

    def __init__(self, status: int = 1) -> None:
        self.status = status


class OutputLimit(BaseException):
    """The call's output budget is used up."""


class Hooks(Protocol):
    """What the shell asks of its sandbox."""

    def on_exec(self, argv: list[str], cwd: str, line: str) -> tuple[bool, str]:
        """Report a simple command before it runs; (allowed, reason)."""
        ...

    def run_guest(
        self,
        language: str,
        code: str,
        stdin: str,
        argv: list[str],
        fresh: bool,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str]: ...

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]: ...

    def fetch(self, argv: list[str], ctx: CommandContext) -> int: ...

    # Optional: ``on_file(op, guest_path, refused)`` is installed as the workspace's
    # file hook (:attr:`corral.files.Workspace.file_hook`): every file the built-ins
    # and redirections open, create, delete, rename, chmod or link, and every such
    # attempt the resolver refused (outside /workspace).


@dataclass
class Var:
    value: str | IArray | dict[str, str]
    exported: bool = False
    readonly: bool = False
    attrs: str = ""  # i (integer), u (upper case), l (lower case), n (name reference)


_XTRACE_METAS = frozenset(" \t\n'\"\\|&;()<>!{}*[?]^$`")


def xtrace_quote(word: str) -> str:
    """A word as ``set -x`` shows it: single-quoted when it holds a shell metacharacter
    or starts with ``~`` or ``#``; ``''`` when empty."""
    if word == "":
        return "''"
    if word[0] in "~#" or not _XTRACE_METAS.isdisjoint(word):
        return "'" + word.replace("'", "'\\''") + "'"
    return word


def _copy_value(value: str | IArray | dict[str, str]) -> str | IArray | dict[str, str]:
    if isinstance(value, IArray):
        return IArray(value)
    if isinstance(value, dict):
        return dict(value)
    return value


@dataclass
class ShellState:
    vars: dict[str, Var] = field(default_factory=dict)
    functions: dict[str, A.FuncDef] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    cwd: str = GUEST_ROOT
    options: set[str] = field(default_factory=set)
    positional: list[str] = field(default_factory=list)
    last_status: int = 0
    traps: dict[str, str] = field(default_factory=dict)
    #: ``complete`` specs (name -> the options as given), ``enable -n``'d built-ins
    completions: dict[str, list[str]] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    #: the file-creation mask ``umask`` shows and sets
    umask: int = 0o022

    def copy(self) -> ShellState:
        return ShellState(
            {
                k: Var(_copy_value(v.value), v.exported, v.readonly, v.attrs)
                for k, v in self.vars.items()
            },
            dict(self.functions),
            dict(self.aliases),
            self.cwd,
            set(self.options),
            list(self.positional),
            self.last_status,
            dict(self.traps),
            {k: list(v) for k, v in self.completions.items()},
            set(self.disabled),
            self.umask,
        )


class OutputSink:
    """Collects a call's stdout or stderr up to a shared character budget."""

    def __init__(self, budget: list[int], emit: Callable[[bytes], None] | None = None) -> None:
        self.buf = bytearray()
        self.budget = budget  # [remaining], shared by stdout and stderr
        self.lock = threading.Lock()
        self.truncated = False
        self.closed = False
        self._emit = emit  # streaming: hand each write on instead of keeping it

    def _keep(self, data: bytes | bytearray | memoryview) -> None:
        if self._emit is not None:
            self._emit(bytes(data))
        else:
            self.buf += data

    def write(self, data: bytes | bytearray | memoryview) -> int:
        with self.lock:
            n = len(data)
            room = self.budget[0]
            if n > room:
                if room > 0:
                    self._keep(data[:room])
                self.budget[0] = 0
                self.truncated = True
                raise OutputLimit()
            if n:
                self._keep(data)
            self.budget[0] -= n
            return n

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        pass


class _Capture(io.BytesIO):
    """stdout of a command substitution, capped."""

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > CMDSUB_CAP:
            raise OutputLimit()
        return super().write(data)


@dataclass
class Job:
    id: int
    thread: threading.Thread
    status: int | None = None
    text: str = ""
    cancel: threading.Event | None = None  # set by `kill`
    signal: int = 0  # the signal `kill` sent
    pid: int = 0  # what $! says for it
    reported: bool = False  # `jobs` said it is done
    #: what else `kill` does to stop it (a coprocess: close its pipes, so a command
    #: blocked reading or writing them returns)
    stop: Callable[[], None] | None = None


def _job_text(node: A.Node) -> str:
    text = getattr(node, "text", "") or ""
    if not text and isinstance(node, A.Pipeline):
        text = " | ".join(getattr(c, "text", "") or "..." for c in node.cmds)
    return text or "..."


class JobEvent(threading.Event):
    """A background job's stop event: set by ``kill`` for this job, or by its parent
    (the call's budget, an interrupt) for all of them."""

    def __init__(self, parent: threading.Event) -> None:
        super().__init__()
        self._parent = parent

    def is_set(self) -> bool:
        return super().is_set() or self._parent.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.05 if end is None else min(0.05, end - time.monotonic())
            if left <= 0:
                return False
            super().wait(left)
        return True


class Shell:
    """One shell session over a sandbox workspace."""

    _exited = False  # the last tree run ended by `exit`

    def __init__(
        self,
        ws: Workspace,
        hooks: Hooks | None = None,
        state: ShellState | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.ws = ws
        self.hooks = hooks
        on_file = getattr(hooks, "on_file", None)
        if on_file is not None and ws.file_hook is None:
            ws.file_hook = on_file  # file notices: what the built-ins do (see Hooks)
        self.expander = Expander(self)
        self.quiet_expansion = False
        #: loops the running code is in (a function or a subshell starts again at 0):
        #: `break N` past it ends the outermost, outside every loop it is an error
        self.loop_depth = 0
        self.deadline = float("inf")
        self.cancel_event = threading.Event()
        self.io: dict[int, IO[bytes]] = {}
        self.depth = 0
        self.errexit_off = 0
        self._andor_exempt = False
        self.jobs: dict[int, Job] = {}
        self._running: list[Job] = []  # started jobs not yet seen ended
        self._ended: collections.deque[Job] = collections.deque()  # ended, oldest first
        self._job_seq = [0]
        self.last_bg = ""
        self.start_time = time.time()
        self.lineno = 1
        self.is_subshell = False
        self.bashpid = 1000  # $$; a subshell gets its own (BASHPID)
        self.arg0 = "bash"  # $0: a run is ``bash -c SCRIPT``
        #: the status a fatal expansion error (set -u, ${x:?}) exits with: 127 at the
        #: top, since a ``run()`` is ``bash -c`` (as bash 5.2 does), 1 in a script
        #: file or a subshell
        self.expansion_exit = 127
        self._exec_files: list[IO[bytes]] = []
        self.procsubs: list[procsub.ProcSub] = []
        self.fd_names: dict[str, IO[bytes]] = {}
        self.coprocs: list[coproc.Coproc] = []  # shared with subshells (fork)
        if state is None:
            state = ShellState()
            base = {
                "HOME": GUEST_ROOT,
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "PWD": GUEST_ROOT,
                "SHELL": "/bin/bash",
                "USER": "user",
                "LOGNAME": "user",
                "LANG": "C.UTF-8",
                "TERM": "dumb",
                "HOSTNAME": "corral",
            }
            base.update(env or {})
            for k, v in base.items():
                state.vars[k] = Var(v, exported=True)
            state.vars["IFS"] = Var(" \t\n")
            state.vars["PS4"] = Var("+ ")
            state.vars["OPTIND"] = Var("1")
            # the bash corral's shell follows (scripts test these before using a feature)
            state.vars["BASH_VERSION"] = Var(BASH_VERSION)
            state.vars["BASH_VERSINFO"] = Var(IArray.of(list(BASH_VERSINFO)), False, True)
        self.state = state

    # -- entry point ------------------------------------------------------------

    def run(
        self,
        script: str,
        stdin: bytes = b"",
        *,
        deadline: float = float("inf"),
        output_chars: int = 1_000_000,
        emit: Callable[[int, bytes], None] | None = None,
    ) -> tuple[int, bytes, bytes, str | None]:
        """Run a script; returns (status, stdout, stderr, budget) where budget
        names an exceeded budget ("wall_time", "output", "memory") or is None.
        With ``emit``, output goes to ``emit(fd, data)`` as it is written (fd 1
        or 2) and the returned stdout/stderr are empty."""
        budget = [output_chars]
        out = OutputSink(budget, None if emit is None else lambda b: emit(1, b))
        err = OutputSink(budget, None if emit is None else lambda b: emit(2, b))
        self.deadline = deadline
        self.cancel_event = threading.Event()
        self.io = {0: io.BytesIO(stdin), 1: out, 2: err}  # type: ignore[dict-item]
        self.call_stdin = self.io[0]
        exceeded: str | None = None
        status = 0
        try:
            tree, syntax = parse_until_error(script)
            if tree is not None:
                status = self._run_tree(tree)
            if syntax is not None and not self._exited:
                self._syntax_error(syntax)
                status = 2
        except OutputLimit:
            exceeded = "output"
            status = 1
        except RecursionError:
            self.write_err("corral: maximum nesting depth exceeded (recursion too deep)\n")
            status = 2
        except RegexTooExpensive as e:  # a pattern (case, ${x#…}) too costly to match
            self.write_err(f"corral: {e}\n")
            status = 2
        except MemoryError:
            exceeded = "memory"
            status = 137
        except Cancelled:
            interrupted = self.cancel_event.is_set() and time.monotonic() < deadline
            exceeded = "interrupted" if interrupted else "wall_time"
            status = 130 if interrupted else 137
        finally:
            with contextlib.suppress(OutputLimit, Cancelled):
                status = self._run_exit_trap(status)
            with contextlib.suppress(BaseException):
                procsub.finish_all(self, 0)
            coproc.finish_all(self)
            self._stop_jobs()
            for f in self._exec_files:
                with contextlib.suppress(OSError):
                    f.close()
            self._exec_files = []
        self.state.last_status = status
        return status, bytes(out.buf), bytes(err.buf), exceeded

    def _run_tree(self, tree: A.Seq) -> int:
        self._exited = False
        # `set -n` lasts for the rest of its command string, not into the next call
        self.state.options.discard("noexec")
        try:
            return self.exec_seq(tree, top=True)
        except ExitShell as e:
            self._exited = True
            return e.status
        except (BreakLoop, ContinueLoop):
            return self.state.last_status
        except ReturnFn as e:
            self.error("return: can only `return' from a function or sourced script")
            return e.status

    @property
    def _in_trap(self) -> bool:
        return bool(self.__dict__.get("_trap_depth"))

    def _run_trap(self, name: str, status: int) -> None:
        action = self.state.traps.get(name)
        if not action:
            return
        self.__dict__["_trap_depth"] = self.__dict__.get("_trap_depth", 0) + 1
        try:
            self.exec_seq(parse(action))
        except ShellSyntaxError as e:
            self._syntax_error(e)
        finally:
            self.__dict__["_trap_depth"] -= 1
            self.state.last_status = status

    def _run_exit_trap(self, status: int) -> int:
        action = self.state.traps.pop("EXIT", None)
        if not action:
            return status
        self.state.last_status = status
        try:
            self.exec_seq(parse(action))
        except ExitShell as e:
            return e.status
        except (ShellSyntaxError, BreakLoop, ContinueLoop, ReturnFn):
            pass
        return status

    def _syntax_error(self, e: ShellSyntaxError) -> None:
        self.write_err(f"corral: line {e.line}: {e}\n")

    def _stop_jobs(self) -> None:
        """At the end of a run: background jobs still running get a short grace to end
        (bash's ``cmd &`` as the last line still prints, its output pipe held open),
        then are stopped: a server left running does not hold the run open."""
        if not self.jobs:
            return
        until = min(time.monotonic() + JOB_GRACE_S, self.deadline)
        for job in list(self.jobs.values()):
            left = until - time.monotonic()
            if left <= 0 or self.cancel_event.is_set():
                break
            job.thread.join(timeout=left)
        self.cancel_event.set()
        for job in list(self.jobs.values()):
            job.thread.join(timeout=0.5)
        self.jobs.clear()
        self._running = []
        self._ended.clear()

    # -- helpers -------------------------------------------------------------------

    #: what `trap` lists in a subshell that has set no trap yet (its parent's)
    listed_traps: dict[str, str] | None = None

    def fork(self) -> Shell:
        sub = Shell.__new__(Shell)
        sub.__dict__.update(self.__dict__)
        sub.state = self.state.copy()
        traps = sub.state.traps
        if any(traps.values()):
            # A subshell resets the traps it catches (ERR with `set -E`, DEBUG and
            # RETURN with `set -T` stay); ignored ones stay ignored. `trap` there
            # lists the parent's until the subshell sets one.
            keep = {k for k, v in traps.items() if v == ""}
            if "errtrace" in sub.state.options:
                keep.add("ERR")
            if "functrace" in sub.state.options:
                keep.update(("DEBUG", "RETURN"))
            sub.listed_traps = dict(traps)
            sub.state.traps = {k: v for k, v in traps.items() if k in keep}
        sub.expander = Expander(sub)
        sub.io = dict(self.io)
        sub.jobs = {}
        sub._running = []
        sub._ended = collections.deque()
        sub.procsubs = []
        sub.fd_names = dict(self.fd_names)
        sub.is_subshell = True
        sub._stage_subshell = False
        sub.bashpid = next(_SUBSHELL_PIDS)
        sub.expansion_exit = 1
        sub.errexit_off = self.errexit_off
        return sub

    def opt(self, name: str) -> bool:
        return name in self.state.options

    def check(self) -> None:
        if self.cancel_event.is_set() or time.monotonic() > self.deadline:
            raise Cancelled()

    def trace(self, text: str) -> None:
        """One ``set -x`` line: ``$PS4`` (its first character once more for each level of
        command substitution) and ``text``."""
        ps4 = self.get_var("PS4")
        ps4 = "+ " if ps4 is None else ps4
        self.write_err(ps4[:1] * self.subst_depth + ps4 + text + "\n")

    def _trace_assign(self, a: A.Assign) -> None:
        """``set -x`` for an assignment statement: ``name=value`` quoted as bash does."""
        if a.array is not None:
            self.trace(f"{a.name}{'+' if a.append else ''}=({' '.join(a.array)})")
            return
        if a.index is not None or a.append:
            self.trace(f"{a.name}{'[' + a.index + ']' if a.index is not None else ''}"
                       f"{'+' if a.append else ''}={a.value or ''}")  # fmt: skip
            return
        value = self.get_var(a.name) or ""
        self.trace(f"{a.name}={xtrace_quote(value) if value else ''}")

    #: levels of command substitution this shell runs in (``++`` in ``set -x`` lines)
    subst_depth = 0
    #: $BASH_SUBSHELL: one more in ( ), $( ), <( ), a background job, and a pipeline
    #: stage that is a compound command (a simple command's stage stays at its shell's)
    subshell_level = 0
    #: this shell is a pipeline stage or job made for a ( ): that ( ) adds no level
    _stage_subshell = False
    #: how many functions deep `trap … ERR` was set: a function called deeper does not
    #: inherit the trap unless set -E (errtrace)
    err_trap_level = 0
    #: the same for the DEBUG trap (set -T: functrace)
    debug_trap_level = 0
    #: $BASH_COMMAND: the simple command running (or, in a DEBUG trap, about to run)
    bash_command: str | A.Simple = ""

    def write_err(self, text: str) -> None:
        stream = self.io.get(2)
        if stream is not None:
            with contextlib.suppress(BrokenPipeError, ValueError, OSError):
                stream.write(text.encode("utf-8", "surrogateescape"))

    def error(self, msg: str) -> None:
        self.write_err(f"corral: {msg}\n")

    # -- variables -----------------------------------------------------------------

    def deref(self, name: str) -> str:
        """The variable a name reference (``declare -n``) leads to, else ``name``."""
        seen = 0
        v = self.state.vars.get(name)
        while v is not None and "n" in v.attrs and isinstance(v.value, str) and v.value:
            target = v.value
            m = _REF_TARGET.match(target)
            if m is None or seen >= 8 or target == name:
                break  # not a name, or circular: bash warns and uses the reference itself
            name, seen = target, seen + 1
            v = self.state.vars.get(name)
        return name

    def get_var_obj(self, name: str) -> str | IArray | dict[str, str] | None:
        v = self.state.vars.get(self.deref(name))
        return None if v is None else v.value

    def get_var(self, name: str, index: str | None = None) -> str | None:
        if name in _DYNAMIC_VARS:
            return self._dynamic_var(name, index)
        v = self.state.vars.get(name)
        if v is not None and "n" in v.attrs:
            name = self.deref(name)
            v = self.state.vars.get(name)
        if v is None:
            return None
        val = v.value
        if type(val) is str and index is None:  # a plain variable, the common case
            return val
        return self._var_value(val, index)

    def _dynamic_var(self, name: str, index: str | None) -> str | None:
        """The variables bash computes when read (RANDOM, SECONDS, ..., PWD unset)."""
        if name == "RANDOM":
            import random

            return str(random.randint(0, 32767))
        if name == "SECONDS":
            return str(int(time.time() - self.start_time))
        if name == "EPOCHSECONDS":
            return str(int(time.time()))
        if name == "EPOCHREALTIME":
            return f"{time.time():.6f}"
        if name == "BASHPID":  # $$ in the shell itself, another number in a subshell
            return str(self.bashpid)
        if name == "LINENO":
            return str(self.lineno)
        if name == "BASH_SUBSHELL":
            return str(self.subshell_level)
        if name == "BASH_COMMAND":
            if not isinstance(self.bash_command, str):
                self.bash_command = _command_text(self.bash_command)
            return self.bash_command
        if name == "PWD" and "PWD" not in self.state.vars:
            return self.state.cwd
        v = self.state.vars.get(name)
        if v is not None and "n" in v.attrs:
            name = self.deref(name)
            v = self.state.vars.get(name)
        if v is None:
            return None
        return self._var_value(v.value, index)

    def _var_value(self, val: str | IArray | dict[str, str], index: str | None) -> str | None:
        if isinstance(val, IArray):
            if index is None:
                return val.get(0)
            try:
                k = self.expander.arith(index)
            except ExpansionError:
                return None
            if k < 0:
                k += val.next_index()
            return val.get(k)
        if isinstance(val, dict):
            return val.get(index if index is not None else "0")
        if index is not None:
            try:
                return val if self.expander.arith(index) == 0 else None
            except ExpansionError:
                return None
        return val

    def get_array(self, name: str) -> list[str] | None:
        v = self.state.vars.get(self.deref(name))
        if v is None:
            return None
        if isinstance(v.value, IArray):
            return v.value.ordered()
        if isinstance(v.value, dict):
            return list(v.value.values())
        return [v.value]

    def set_array(self, name: str, values: list[str]) -> None:
        old = self.state.vars.get(name)
        self.state.vars[name] = Var(IArray(enumerate(values)), old.exported if old else False)

    def get_special(self, name: str) -> str | None:
        st = self.state
        if name == "?":
            return str(st.last_status)
        if name == "#":
            return str(len(st.positional))
        if name == "$":
            return "1000"
        if name == "!":
            return self.last_bg
        if name == "-":
            return (
                "".join(
                    f
                    for f, o in (
                        ("e", "errexit"),
                        ("u", "nounset"),
                        ("x", "xtrace"),
                        ("f", "noglob"),
                    )
                    if o in st.options
                )
                + "hB"
            )
        if name == "0":
            return self.arg0
        if name.isdigit():
            k = int(name)
            return st.positional[k - 1] if 0 < k <= len(st.positional) else None
        if name in ("@", "*"):
            return " ".join(st.positional)
        return self.get_var(name)

    def is_assoc(self, name: str) -> bool:
        """Whether ``name`` is an associative array (arithmetic reads its subscript
        as a key, not a number)."""
        v = self.state.vars.get(name)
        if v is not None and "n" in v.attrs:
            v = self.state.vars.get(self.deref(name))
        return v is not None and isinstance(v.value, dict) and not isinstance(v.value, IArray)

    def is_set(self, name: str) -> bool:
        if name.startswith("-o "):
            return name[3:] in self.state.options
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]", name)
        if m:
            return self.get_var(m.group(1), m.group(2)) is not None
        return name in self.state.vars

    def set_var(
        self, name: str, value: str, index: str | None = None, append: bool = False
    ) -> None:
        v = self.state.vars.get(name)
        if v is not None and "n" in v.attrs and v.value:
            name = self.deref(name)
            v = self.state.vars.get(name)
        if v is not None and v.readonly:
            raise ExpansionError(f"{name}: readonly variable", soft=True)
        if index is not None:
            if v is None or isinstance(v.value, str):
                base = IArray() if v is None else IArray.of([v.value])
                v = Var(base, v.exported if v else False)
                self.state.vars[name] = v
            if isinstance(v.value, IArray):
                k = self.expander.arith(index)
                if k < 0:
                    k += v.value.next_index()
                    if k < 0:
                        raise ExpansionError(f"{name}[{index}]: bad array subscript", soft=True)
                if v.attrs.strip("n"):
                    v.value[k] = self._attr_value(v.attrs, v.value.get(k, ""), value, append)
                else:
                    v.value[k] = (v.value.get(k, "") + value) if append else value
                return
            key = self.expander.word(index, tilde=False)
            if v.attrs.strip("n"):
                v.value[key] = self._attr_value(v.attrs, v.value.get(key, ""), value, append)
            else:
                v.value[key] = (v.value.get(key, "") + value) if append else value
            return
        if v is None:
            self.state.vars[name] = Var(value, "allexport" in self.state.options)
            return
        if v.attrs:
            value = self._apply_attrs(v, value, append, index=None)
            append = False
        if isinstance(v.value, IArray):
            v.value[0] = (v.value.get(0, "") + value) if append else value
        elif isinstance(v.value, dict):
            v.value["0"] = (v.value.get("0", "") + value) if append else value
        else:
            v.value = (v.value + value) if append else value

    def _apply_attrs(self, v: Var, value: str, append: bool, index: str | None) -> str:
        return self._attr_value(v.attrs, v.value if isinstance(v.value, str) else "", value,
                                append)  # fmt: skip

    def _attr_value(self, attrs: str, cur: str, value: str, append: bool) -> str:
        """``value`` (appended to ``cur`` when ``append``) as the attributes make it:
        ``i`` evaluates it as arithmetic, ``u``/``l`` change its case."""
        if "i" in attrs:
            n = self.expander.arith(value) if value.strip() else 0
            if append:
                n += self.expander.arith(cur) if cur.strip() else 0
            return str(n)
        if append:
            value = cur + value
        if "u" in attrs:
            return value.upper()
        if "l" in attrs:
            return value.lower()
        return value

    def unset_var(self, name: str, ref: bool = False) -> None:
        """Unset ``name`` (through a name reference to what it names; ``ref``: the
        reference itself, ``unset -n``)."""
        if not ref:
            name = self.deref(name)
        v = self.state.vars.get(name)
        if v is not None and v.readonly:
            raise ExpansionError(f"{name}: cannot unset: readonly variable", soft=True)
        self.state.vars.pop(name, None)

    def arith_set(self, name: str, index: str | None, value: int) -> None:
        self.set_var(name, str(value), index)

    def env(self) -> dict[str, str]:
        out = {}
        for k, v in self.state.vars.items():
            if v.exported:
                out[k] = (
                    v.value
                    if isinstance(v.value, str)
                    else (v.value.get(0, "") if isinstance(v.value, IArray) else "")
                )
        out["PWD"] = self.state.cwd
        return out

    # -- paths -----------------------------------------------------------------------

    def resolve_or_none(self, path: str) -> Any:
        follow = not path.startswith("\x00nofollow")
        path = path.removeprefix("\x00nofollow")
        try:
            return self.ws.resolve(path, self.state.cwd, follow_last=follow)
        except (PathEscape, OSError):
            return None

    def glob_paths(self, pat: str) -> list[str]:
        ignore = [p for p in (self.get_var("GLOBIGNORE") or "").split(":") if p]
        found = self._glob_paths(pat, bool(ignore))
        if ignore:  # names matching one of GLOBIGNORE's patterns are left out
            rxs = [P.to_regex(p) for p in ignore]
            found = [f for f in found if not any(rx.match(f) for rx in rxs)]
        return found

    def _glob_paths(self, pat: str, ignore: bool) -> list[str]:
        absolute = pat.startswith("/")
        parts = [p for p in pat.split("/") if p != ""]
        results = [("/", "/")] if absolute else [("", self.state.cwd)]

        def join(shown: str, name: str) -> str:
            return shown + name if shown == "" or shown.endswith("/") else shown + "/" + name

        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            nxt: list[tuple[str, str]] = []
            if part == "**" and "shopt:globstar" in self.state.options:
                for shown, guest in results:
                    nxt.extend(self._walk_dirs(shown, guest, join, include_files=last))
                results = nxt
                if not results:
                    return []
                continue
            for shown, guest in results:
                if not P.has_magic(part):
                    name = P.unescape(part)
                    g = posixpath.join(guest, name)
                    if not last or self._exists(g):
                        nxt.append((join(shown, name), g))
                    continue
                try:
                    entries = sorted(self.ws.listdir(guest))
                except (PathEscape, OSError):
                    continue
                rx = P.to_regex(part, nocase="shopt:nocaseglob" in self.state.options)
                # a set GLOBIGNORE also lets `*` match names starting with a dot
                dotglob = "shopt:dotglob" in self.state.options or bool(ignore)
                for e in entries:
                    hidden = e.startswith(".") and not part.startswith(("\\.", "."))
                    if hidden and (not dotglob or e in (".", "..")):
                        continue
                    if not rx.match(e):
                        continue
                    g = posixpath.join(guest, e)
                    if not last and not os.path.isdir(self._host(g)):
                        continue
                    nxt.append((join(shown, e), g))
            results = nxt
            if not results:
                return []
        if pat.endswith("/"):
            results = [
                (s if s.endswith("/") else s + "/", g)
                for s, g in results
                if os.path.isdir(self._host(g))
            ]
        return sorted(s for s, _ in results)

    def _walk_dirs(
        self, shown: str, guest: str, join: Callable[[str, str], str], include_files: bool
    ) -> list[tuple[str, str]]:
        """``**`` under globstar: this directory and every one below it."""
        if not include_files:
            out = [(shown, guest)]
        else:  # a last `**` lists the directory itself too (`src/**`: `src/` first)
            out = [(shown if shown.endswith("/") else shown + "/", guest)] if shown else []
        stack = [(shown, guest)]
        while stack:
            s, g = stack.pop()
            try:
                entries = sorted(self.ws.listdir(g))
            except (PathEscape, OSError):
                continue
            for e in entries:
                if e.startswith("."):
                    continue
                gs, gg = join(s, e), posixpath.join(g, e)
                host = self._host(gg)
                is_dir = os.path.isdir(host) and not os.path.islink(host)
                if is_dir:
                    out.append((gs, gg))
                    stack.append((gs, gg))
                elif include_files:
                    out.append((gs, gg))
        return out

    def _host(self, guest: str) -> str:
        try:
            return str(self.ws.resolve(guest))
        except PathEscape:
            return "/nonexistent-corral"

    def _exists(self, guest: str) -> bool:
        try:
            return os.path.lexists(self.ws.resolve(guest, follow_last=False))
        except PathEscape:
            return False

    # -- command substitution --------------------------------------------------------

    def command_subst(self, script: str) -> str:
        if self.quiet_expansion:
            return ""
        m = re.fullmatch(r"\s*<\s*(\S+)\s*", script)
        if m:  # $(< file): the file's contents
            try:
                fd = self.ws.open(self.expander.word(m.group(1)), os.O_RDONLY, 0, self.state.cwd)
                with os.fdopen(fd, "rb") as f:
                    data = f.read(CMDSUB_CAP)
                self.state.last_status = 0
                return data.decode("utf-8", "surrogateescape").rstrip("\n")
            except (PathEscape, OSError) as e:
                self.error(f"{m.group(1)}: {getattr(e, 'strerror', None) or e}")
                self.state.last_status = 1
                return ""
        sub = self.fork()
        sub.subst_depth = self.subst_depth + 1
        sub.subshell_level = self.subshell_level + 1
        if "shopt:inherit_errexit" not in sub.state.options:
            sub.state.options.discard("errexit")  # bash (not POSIX mode) clears -e in $( )
        cap = _Capture()
        # the other descriptors stay as they are (`exec 3>&1; x=$(cmd >&3)`)
        sub.io = {**self.io, 0: self.io.get(0, io.BytesIO()), 1: cap,
                  2: self.io.get(2, io.BytesIO())}  # fmt: skip
        try:
            tree = parse(script)
            status = sub._run_tree(tree)
            status = sub._run_exit_trap(status)
        except ShellSyntaxError as e:
            self._syntax_error(e)
            status = 2
        self.state.last_status = status
        self._subst_status = status
        return cap.getvalue().decode("utf-8", "surrogateescape").rstrip("\n")

    def process_subst(self, script: str, direction: str) -> str:
        """``<(script)`` / ``>(script)``: start it on a pipe, return ``/dev/fd/N``."""
        if self.quiet_expansion:
            return f"{direction}({script})"
        try:
            return procsub.start(self, script, direction)
        except procsub.ProcSubError as e:
            raise ExpansionError(str(e)) from None

    # -- execution -------------------------------------------------------------------

    def exec_seq(self, seq: A.Seq, top: bool = False) -> int:
        status = self.state.last_status
        abandoned = -1  # an arithmetic error abandons the rest of its top-level line
        options = self.state.options
        for k, (node, background) in enumerate(seq.items):
            if "noexec" in options:  # `set -n`: nothing more runs (bash reads on)
                break
            if abandoned >= 0:
                if k not in seq.newlines:
                    continue
                abandoned = -1
            if type(node) is not A.Simple:  # a simple command checks the budget itself
                self.check()
            if background:
                status = self._background(node)
                continue
            self._andor_exempt = False
            try:
                status = self.exec_node(node)
            except ExpansionError as e:
                status = self._expansion_failed(e, top)
                if top and e.arith and not e.soft:
                    abandoned = k
            except AbortCommand as e:
                if not top:
                    raise
                status = e.status
                abandoned = k
            except ShellSyntaxError as e:  # met while expanding a word (tree-sitter cut
                # `${x:-`echo }`}` in two): bash's answer to a syntax error, no traceback
                self.error(f"line {getattr(node, 'line', 1)}: {e}")
                raise ExitShell(2) from None
            self.state.last_status = status
            if isinstance(node, _SETS_PIPESTATUS):  # set_array("PIPESTATUS", [status])
                old = self.state.vars.get("PIPESTATUS")
                text = str(status)
                if (
                    old is None or old.readonly or old.attrs or type(old.value) is not IArray
                    or len(old.value) != 1 or old.value.get(0) != text
                ):  # (a loop's commands mostly leave it as it was: no new objects)
                    self.state.vars["PIPESTATUS"] = Var(
                        IArray({0: text}), old.exported if old else False
                    )
            if (
                status != 0
                and "ERR" in self.state.traps
                and ("errtrace" in self.state.options or len(self._locals) <= self.err_trap_level)
                and self.errexit_off == 0
                and not self._andor_exempt
                and not self._in_trap
            ):
                self._run_trap("ERR", status)
            if (
                status != 0
                and "errexit" in self.state.options
                and self.errexit_off == 0
                and not self._andor_exempt
                and not (isinstance(node, A.Pipeline) and node.negated)
            ):
                raise ExitShell(status)
        return status

    def _expansion_failed(self, e: ExpansionError, top: bool) -> int:
        """bash scripts: a readonly assignment fails the command; an arithmetic
        error abandons the current top-level line (what bash reads as one command:
        ``echo $((1/0)); echo more`` runs neither); anything else (``${x:?}``,
        ``set -u``, a bad substitution) ends the (sub)shell with status 1."""
        self.error(str(e))
        if e.soft:
            return 1
        if e.arith:
            if top:
                return 1
            raise AbortCommand(1)
        raise ExitShell(self.expansion_exit)

    def exec_node(self, node: A.Node) -> int:
        if isinstance(node, A.Simple):
            return self.exec_simple(node)
        if isinstance(node, A.Pipeline):
            return self.exec_pipeline(node)
        if isinstance(node, A.AndOr):
            return self.exec_andor(node)
        if isinstance(node, A.Seq):
            return self.exec_seq(node)
        if isinstance(node, A.If):
            return self.exec_if(node)
        if isinstance(node, A.While):
            return self.exec_while(node)
        if isinstance(node, A.For):
            return self.exec_for(node)
        if isinstance(node, A.ArithFor):
            return self.exec_arith_for(node)
        if isinstance(node, A.Case):
            return self.exec_case(node)
        if isinstance(node, A.Subshell):
            return self.exec_subshell(node.body)
        if isinstance(node, A.Group):
            return self.exec_seq(node.body)
        if isinstance(node, A.FuncDef):
            if "freadonly:" + node.name in self.state.options:
                self.error(f"{node.name}: readonly function")
                return 1
            self.state.functions[node.name] = node
            return 0
        if isinstance(node, A.Coproc):
            return coproc.start(self, node)
        if isinstance(node, A.Arith):
            return self.exec_arith(node.expr)
        if isinstance(node, A.Cond):
            return self.exec_cond(node)
        if isinstance(node, A.Redirected):
            return self.with_redirects(node.redirects, lambda: self.exec_node(node.node))
        raise ShellSyntaxError(f"cannot run {type(node).__name__}")

    def exec_andor(self, node: A.AndOr) -> int:
        # `a && b || c` is AndOr(AndOr(a, b), c): run as a loop over the left spine, so
        # thousands of operators on a line do not recurse; all but the last are exempt
        # from `set -e`
        chain: list[tuple[str, A.Node]] = []
        first: A.Node = node
        while isinstance(first, A.AndOr):
            chain.append((first.op, first.right))
            first = first.left
        self.errexit_off += 1
        try:
            status = self.exec_node(first)
            for k in range(len(chain) - 1, -1, -1):
                op, right = chain[k]
                self.state.last_status = status
                if (op == "&&") != (status == 0):
                    self._andor_exempt = True
                    continue
                self._andor_exempt = False
                if k == 0:
                    self.errexit_off -= 1
                    try:
                        return self.exec_node(right)
                    finally:
                        self.errexit_off += 1
                status = self.exec_node(right)
            return status
        finally:
            self.errexit_off -= 1

    def exec_if(self, node: A.If) -> int:
        for cond, body in node.clauses:
            self.errexit_off += 1
            try:
                c = self.exec_seq(cond)
            finally:
                self.errexit_off -= 1
            if c == 0:
                return self.exec_seq(body)
        if node.orelse is not None:
            return self.exec_seq(node.orelse)
        return 0

    def _loop_body(self, body: A.Seq) -> tuple[int, str | None]:
        self.loop_depth += 1
        try:
            return self.exec_seq(body), None
        except BreakLoop as e:
            if e.n > 1:
                raise BreakLoop(e.n - 1) from None
            return 0, "break"  # the status of `break` itself
        except ContinueLoop as e:
            if e.n > 1:
                raise ContinueLoop(e.n - 1) from None
            return 0, "continue"
        finally:
            self.loop_depth -= 1

    def exec_while(self, node: A.While) -> int:
        status = 0
        while True:
            self.check()
            self.errexit_off += 1
            try:
                c = self.exec_seq(node.cond)
            finally:
                self.errexit_off -= 1
            if (c == 0) == node.until:
                return status
            status, ctl = self._loop_body(node.body)
            if ctl == "break":
                return status

    def exec_for(self, node: A.For) -> int:
        if node.select:
            return selectloop.run(self, node)
        items = (
            list(self.state.positional) if node.words is None else self.expander.words(node.words)
        )
        status = 0
        for item in items:
            self.check()
            if "DEBUG" in self.state.traps:
                words = " ".join(node.words) if node.words is not None else '"$@"'
                self.debug_trap(f"for {node.var} in {words}")
            if "xtrace" in self.state.options:  # the loop's words as written
                words = " ".join(node.words) if node.words is not None else '"$@"'
                self.trace(f"for {node.var} in {words}")
            self.set_var(node.var, item)
            status, ctl = self._loop_body(node.body)
            if ctl == "break":
                break
        return status

    def exec_arith_for(self, node: A.ArithFor) -> int:
        if node.init.strip():
            self.expander.arith(node.init)
        status = 0
        while True:
            self.check()
            if node.cond.strip() and self.expander.arith(node.cond) == 0:
                break
            status, ctl = self._loop_body(node.body)
            if ctl == "break":
                break
            if node.update.strip():
                self.expander.arith(node.update)
        return status

    def exec_case(self, node: A.Case) -> int:
        if "DEBUG" in self.state.traps:
            self.debug_trap(f"case {node.word} in ")
        word = self.expander.word(node.word)
        if "xtrace" in self.state.options:
            self.trace(f"case {word} in")
        status = 0
        fall = False
        for item in node.items:
            nocase = "shopt:nocasematch" in self.state.options
            if fall or any(
                P.match(self.expander.pattern(p), word, nocase) for p in item.patterns
            ):
                status = self.exec_seq(item.body) if item.body else 0
                if item.term == ";&":
                    fall = True
                    continue
                if item.term == ";;&":
                    fall = False
                    continue
                return status
        return status

    def exec_subshell(self, body: A.Seq) -> int:
        sub = self.fork()
        if not self._stage_subshell:
            sub.subshell_level = self.subshell_level + 1
        sub.loop_depth = 0
        try:
            status = sub.exec_seq(body)
        except (ExitShell, AbortCommand) as e:  # an arithmetic error ends the subshell
            status = e.status
        except (BreakLoop, ContinueLoop, ReturnFn):
            status = sub.state.last_status
        return sub._run_exit_trap(status)

    def exec_arith(self, expr: str) -> int:
        if "DEBUG" in self.state.traps:
            self.debug_trap(f"(({expr}))")
        try:
            return 0 if self.expander.arith(expr) != 0 else 1
        except ExpansionError as e:
            self.error(f"((: {e}")
            return 1

    def exec_cond(self, node: A.Cond) -> int:
        if "DEBUG" in self.state.traps:
            self.debug_trap(f"[[ {' '.join(node.words)} ]]")
        try:
            return 0 if CondEval(node.words, self).run() else 1
        except CondError as e:
            self.error(f"conditional: {e}")
            return 2
        except ExpansionError as e:
            self.error(str(e))
            return 1

    # -- background jobs ---------------------------------------------------------------

    def forget_ended_jobs(self) -> int:
        """Forget the oldest ended jobs beyond :data:`MAX_ENDED_JOBS`; the number of jobs
        still running. Costs the running jobs (at most :data:`MAX_JOBS`), not the table."""
        still = []
        for job in self._running:
            if job.thread.is_alive():
                still.append(job)
            else:
                self._ended.append(job)
        self._running = still
        while len(self._ended) > MAX_ENDED_JOBS:
            job = self._ended.popleft()
            # the job itself: its number may have gone to a newer job (`jobs` reported it)
            if self.jobs.get(job.id) is job:
                del self.jobs[job.id]
        return len(still)

    def _background(self, node: A.Node) -> int:
        if self.forget_ended_jobs() >= MAX_JOBS:
            self.error(f"fork: too many background jobs (corral allows {MAX_JOBS} at once)")
            return 1
        sub = self.fork()
        sub.subshell_level = self.subshell_level + 1
        sub._stage_subshell = isinstance(node, A.Subshell)
        sub.io = dict(self.io)
        if sub.io.get(0) is getattr(self, "call_stdin", None):
            # bash: an asynchronous command reads /dev/null, unless an enclosing pipe or
            # redirection gave the shell another stdin (`{ cat & wait; } <<< x` reads x)
            sub.io[0] = io.BytesIO()
        sub.cancel_event = JobEvent(self.cancel_event)
        self._job_seq[0] += 1
        jid = max(self.jobs, default=0) + 1  # bash: one more than the highest job's
        pid = 10000 + self._job_seq[0]
        job = Job(jid, threading.Thread(target=lambda: None), text=_job_text(node), pid=pid)
        job.cancel = sub.cancel_event

        def target() -> None:
            try:
                job.status = sub.exec_node(node)
            except ExitShell as e:
                job.status = e.status
            except (Cancelled, OutputLimit, BreakLoop, ContinueLoop, ReturnFn):
                job.status = 128 + job.signal if job.signal else 137
            except Exception as e:
                sub.error(f"background job failed: {e}")
                job.status = 1

        job.thread = threading.Thread(target=target, daemon=True, name=f"corral-job-{jid}")
        self.jobs[jid] = job
        try:
            start_thread(job.thread)
        except RuntimeError:
            del self.jobs[jid]
            self.error("fork: Resource temporarily unavailable (the memory budget)")
            return 254
        self._running.append(job)
        self.last_bg = str(pid)
        return 0

    def kill_job(self, jid: int, sig: int) -> bool:
        """Stop background job ``jid`` as signal ``sig`` would (False: no such job)."""
        job = self.jobs.get(jid)
        if job is None or job.cancel is None:
            return False
        if job.thread.is_alive() and sig not in (0, 18, 28):  # 0, CONT, WINCH: nothing
            job.signal = sig
            job.cancel.set()
            if job.stop is not None:
                job.stop()
        return True

    def wait_jobs(self, ids: list[int] | None) -> int:
        status = 0
        targets = (
            list(self.jobs.values())
            if ids is None
            else [self.jobs[i] for i in ids if i in self.jobs]
        )
        for job in targets:
            while job.thread.is_alive():
                self.check()
                job.thread.join(timeout=0.05)
            status = job.status or 0
        if self.coprocs:
            coproc.reap_waited(self)
        return status

    def wait_any(self, ids: list[int] | None) -> tuple[int, Job] | None:
        """``wait -n``: the status of the next of the jobs ``ids`` (all, for None) to
        end — one that has ended already, first — and that job, which is forgotten
        (a later ``wait`` does not see it again). None when there is no such job."""
        targets = list(self.jobs.values()) if ids is None else [
            self.jobs[i] for i in ids if i in self.jobs
        ]  # fmt: skip
        if not targets:
            return None
        while True:
            done = [j for j in targets if not j.thread.is_alive()]
            if done:
                order = {id(j): n for n, j in enumerate(self._ended)}
                job = min(done, key=lambda j: order.get(id(j), len(order)))
                self.jobs.pop(job.id, None)
                if job in self._ended:
                    self._ended.remove(job)
                return job.status or 0, job
            self.check()
            targets[0].thread.join(timeout=0.02)

    # -- pipelines -------------------------------------------------------------------

    def exec_pipeline(self, node: A.Pipeline) -> int:
        if node.negated:
            self.errexit_off += 1
        try:
            if len(node.cmds) == 1:
                status = self.exec_node(node.cmds[0])
                self.set_array("PIPESTATUS", [str(status)])
            else:
                status = self._run_pipeline(node)
        finally:
            if node.negated:
                self.errexit_off -= 1
        return (0 if status else 1) if node.negated else status

    def _run_pipeline(self, node: A.Pipeline) -> int:
        n = len(node.cmds)
        statuses: list[int] = [0] * n
        errors: list[BaseException | None] = [None] * n
        pipes = [os.pipe() for _ in range(n - 1)]
        files: list[tuple[IO[bytes] | None, IO[bytes] | None]] = []
        for k in range(n):
            rin = os.fdopen(pipes[k - 1][0], "rb") if k > 0 else None
            # buffered: a built-in's lines cross the pipe in 64 KiB writes, not one
            # write (and one thread switch) each; every built-in flushes when it ends
            wout = _StagePipe(io.FileIO(pipes[k][1], "wb"), _PIPE_BUFFER) if k < n - 1 else None
            files.append((rin, wout))
        threads = []
        # shopt -s lastpipe: the last command runs in this shell (its variables stay)
        lastpipe = "shopt:lastpipe" in self.state.options
        saved_io = dict(self.io)
        for k, cmd in enumerate(node.cmds):
            if isinstance(cmd, A.Simple) and "DEBUG" in self.state.traps:
                self.debug_trap(cmd.text or " ".join(cmd.words))  # in this shell, first
            sub = self if lastpipe and k == n - 1 else self.fork()
            if sub is not self and not isinstance(cmd, A.Simple):
                sub.subshell_level = self.subshell_level + 1  # a ( ) stage is that one
                sub._stage_subshell = isinstance(cmd, A.Subshell)
            rin, wout = files[k]
            if rin is not None:
                sub.io[0] = rin
            if wout is not None:
                sub.io[1] = wout
                if node.pipe_stderr[k]:
                    sub.io[2] = wout

            def stage(k: int = k, sub: Shell = sub, cmd: A.Node = cmd) -> None:
                rin, wout = files[k]
                try:
                    statuses[k] = (
                        sub.exec_simple(cmd, traced=True)
                        if isinstance(cmd, A.Simple)
                        else sub.exec_node(cmd)
                    )
                except ExitShell as e:
                    statuses[k] = e.status
                except (BreakLoop, ContinueLoop, ReturnFn):
                    statuses[k] = sub.state.last_status
                except BrokenPipeError:
                    statuses[k] = 141
                except BaseException as e:
                    errors[k] = e
                    statuses[k] = 1
                finally:
                    for f in (wout, rin):
                        if f is not None:
                            with contextlib.suppress(OSError):
                                f.close()

            t = threading.Thread(target=stage, daemon=True, name=f"corral-pipe-{k}")
            threads.append(t)
        started: list[threading.Thread] = []
        for k, t in enumerate(threads):
            try:
                start_thread(t)
                started.append(t)
            except RuntimeError:  # no room for one more thread: the memory budget
                statuses[k] = 254
                errors[k] = OSError("fork: Resource temporarily unavailable (memory budget)")
                for f in files[k]:
                    if f is not None:
                        with contextlib.suppress(OSError):
                            f.close()
        for t in started:
            while t.is_alive():
                t.join(timeout=0.1)
                if time.monotonic() > self.deadline or self.cancel_event.is_set():
                    self.cancel_event.set()
        if lastpipe:
            self.io.clear()
            self.io.update(saved_io)
        for e in errors:
            if isinstance(e, OutputLimit | Cancelled | MemoryError):
                raise e
        for e in errors:
            if e is not None and not isinstance(e, Exception):
                raise e
            if e is not None:
                self.error(f"pipeline stage failed: {e}")
        self.set_array("PIPESTATUS", [str(x) for x in statuses])
        if "pipefail" in self.state.options:
            failed = [s for s in statuses if s != 0]
            return failed[-1] if failed else 0
        return statuses[-1]

    # -- redirections ------------------------------------------------------------------

    def with_redirects(self, redirects: list[A.Redirect], fn: Callable[[], int]) -> int:
        if not redirects:
            return fn()
        saved = dict(self.io)
        # {name}>file on a command other than exec: name is the command's only
        saved_vars = {r.var: self.state.vars.get(r.var) for r in redirects if r.var}
        opened: list[IO[bytes]] = []
        mark = len(self.procsubs)
        try:
            try:
                self.apply_redirects(redirects, opened)
            except _RedirError as e:
                self.write_err(f"corral: {e}\n")
                return 1
            return fn()
        finally:
            for f in opened:
                with contextlib.suppress(OSError):
                    f.close()
            self.io = saved
            for name, old in saved_vars.items():
                if old is None:
                    self.state.vars.pop(name, None)
                else:
                    self.state.vars[name] = old
            procsub.finish_all(self, mark)

    def apply_redirects(
        self, redirects: list[A.Redirect], opened: list[IO[bytes]], permanent: bool = False
    ) -> None:
        """Apply ``redirects`` to ``self.io``; ``permanent`` (``exec``): a descriptor
        closed with ``N>&-`` that is a coprocess's end is really closed."""
        for r in redirects:
            if r.var is not None:
                r = self._var_fd(r)
            op = r.op
            if op == "heredoc":
                assert r.heredoc is not None
                body = self.expander.heredoc(r.heredoc.body) if r.heredoc.expand else r.heredoc.body
                self.io[r.fd if r.fd is not None else 0] = io.BytesIO(
                    body.encode("utf-8", "surrogateescape")
                )
                continue
            if op == "<<<":
                text = self.expander.word(r.target) + "\n"
                self.io[r.fd if r.fd is not None else 0] = io.BytesIO(
                    text.encode("utf-8", "surrogateescape")
                )
                continue
            if op in (">&-", "<&-"):
                gone = self.io.pop(r.fd if r.fd is not None else (1 if op == ">&-" else 0), None)
                if permanent and gone is not None and self.coprocs:
                    coproc.close_end(self, gone)
                continue
            target = self._redir_target(r.target, op)
            if op in (">&", "<&"):
                fd = r.fd if r.fd is not None else (1 if op == ">&" else 0)
                if target == "-":
                    gone = self.io.pop(fd, None)
                    if permanent and gone is not None and self.coprocs:
                        coproc.close_end(self, gone)
                    continue
                if target.isdigit():
                    src = self.io.get(int(target))
                    if src is None:
                        raise _RedirError(f"{target}: Bad file descriptor")
                    self.io[fd] = src
                    continue
                if op == ">&" and r.fd is None:  # >&file means &>file
                    f = self._open_out(target, False, opened)
                    self.io[1] = self.io[2] = f
                    continue
                raise _RedirError(f"{target}: ambiguous redirect")
            if op in ("&>", "&>>"):
                f = self._open_out(target, op == "&>>", opened)
                self.io[1] = self.io[2] = f
                continue
            if op in (">", ">|", ">>"):
                fd = r.fd if r.fd is not None else 1
                if op == ">" and "noclobber" in self.state.options and target != "/dev/null":
                    host = self.resolve_or_none(target)
                    if host is not None and host.is_file():
                        raise _RedirError(f"{target}: cannot overwrite existing file")
                self.io[fd] = self._open_out(target, op == ">>", opened)
                continue
            if op == "<":
                fd = r.fd if r.fd is not None else 0
                self.io[fd] = self._open_in(target, opened)
                continue
            if op == "<>":
                fd = r.fd if r.fd is not None else 0
                self.io[fd] = self._open_rw(target, opened)
                continue
            raise _RedirError(f"unsupported redirection {op}")

    def _var_fd(self, r: A.Redirect) -> A.Redirect:
        """``{name}>file``: a free descriptor from 10 up, stored in ``name``; ``{name}>&-``
        closes the one ``name`` holds."""
        assert r.var is not None
        m = _FD_VAR_NAME.fullmatch(r.var)  # {name} or {name[index]} (coproc's {C[1]})
        if m is None:
            raise _RedirError(f"{{{r.var}}}: not a valid identifier")
        name, index = m.group(1), m.group(2)
        if r.op in (">&-", "<&-") or (r.op in (">&", "<&") and r.target == "-"):
            value = self.get_var(name, index) or ""
            if not value.isdigit():
                raise _RedirError(f"{r.var}: ambiguous redirect")
            return dataclasses.replace(r, fd=int(value), var=None)
        fd = 10
        while fd in self.io:
            fd += 1
        if fd > 1024:
            raise _RedirError("no free file descriptor")
        self.set_var(name, str(fd), index)
        return dataclasses.replace(r, fd=fd, var=None)

    def _redir_target(self, raw: str, op: str) -> str:
        """The file a redirection names: expanded, split and globbed like a word,
        which must give exactly one field (else bash's ``ambiguous redirect``)."""
        if op in (">&", "<&"):
            return self.expander.word(raw)
        fields = self.expander.words([raw])
        if len(fields) != 1:
            raise _RedirError(f"{raw}: ambiguous redirect")
        return fields[0]

    def _open_out(self, target: str, append: bool, opened: list[IO[bytes]]) -> IO[bytes]:
        named = procsub.open_name(self.fd_names, target)
        if named is not None:
            pf: IO[bytes] = os.fdopen(named, "wb", buffering=0)
            opened.append(pf)
            return pf
        if target == "/dev/null":
            f: IO[bytes] = open(os.devnull, "wb")  # noqa: SIM115
            opened.append(f)
            return f
        if target in ("/dev/stdout", "/dev/fd/1"):
            return self.io[1]
        if target in ("/dev/stderr", "/dev/fd/2"):
            return self.io[2]
        if target == "":
            raise _RedirError("ambiguous redirect")
        try:
            fd = open_for_write(self.ws, target, self.state.cwd, append, self.state.umask)
        except CommandError as e:
            raise _RedirError(str(e)) from None
        except OSError as e:
            raise _RedirError(f"{target}: {e.strerror}") from None
        w = QuotaWriter(os.fdopen(fd, "wb"), self.ws, target)
        opened.append(w)  # type: ignore[arg-type]
        return w  # type: ignore[return-value]

    def _open_rw(self, target: str, opened: list[IO[bytes]]) -> IO[bytes]:
        """``<>``: read and write, created if missing, never truncated."""
        if target == "/dev/null":
            f: IO[bytes] = open(os.devnull, "r+b", buffering=0)  # noqa: SIM115
            opened.append(f)
            return f
        named = procsub.open_name(self.fd_names, target)
        if named is not None:
            pf: IO[bytes] = os.fdopen(named, "rb")
            opened.append(pf)
            return pf
        try:
            fd = self.ws.open(target, os.O_RDWR | os.O_CREAT, 0o666, self.state.cwd)
        except PathEscape:
            raise _RedirError(f"{target}: Permission denied (outside /workspace)") from None
        except OSError as e:
            raise _RedirError(f"{target}: {e.strerror}") from None
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.close(fd)
            raise _RedirError(f"{target}: Is a directory")
        rw = QuotaReadWriter(os.fdopen(fd, "r+b", buffering=0), self.ws, target)
        opened.append(rw)  # type: ignore[arg-type]
        return rw  # type: ignore[return-value]

    def _open_in(self, target: str, opened: list[IO[bytes]]) -> IO[bytes]:
        named = procsub.open_name(self.fd_names, target)
        if named is not None:
            pf: IO[bytes] = os.fdopen(named, "rb")
            opened.append(pf)
            return pf
        if target == "/dev/null":
            return io.BytesIO()
        if target in ("/dev/stdin", "/dev/fd/0"):
            return self.io[0]
        try:
            fd = self.ws.open(target, os.O_RDONLY, 0, self.state.cwd)
        except PathEscape:
            raise _RedirError(f"{target}: Permission denied (outside /workspace)") from None
        except FileNotFoundError:
            raise _RedirError(f"{target}: No such file or directory") from None
        except OSError as e:
            raise _RedirError(f"{target}: {e.strerror}") from None
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.close(fd)
            raise _RedirError(f"{target}: Is a directory")
        f = os.fdopen(fd, "rb")
        opened.append(f)
        return f

    # -- simple commands ---------------------------------------------------------------

    def debug_trap(self, text: str) -> None:
        """The DEBUG trap, before a simple command, a ``for`` round, ``case``, ``[[ ]]``
        or ``(( ))`` (and a function's start under set -T), $BASH_COMMAND the text."""
        if "DEBUG" in self.state.traps and not self._in_trap and (
            "functrace" in self.state.options or len(self._locals) <= self.debug_trap_level
        ):
            self.bash_command = text
            self._run_trap("DEBUG", self.state.last_status)

    def exec_simple(self, cmd: A.Simple, traced: bool = False) -> int:
        if not traced and "DEBUG" in self.state.traps:
            self.debug_trap(_command_text(cmd))
        if not self.__dict__.get("_trap_depth"):  # $BASH_COMMAND (a trap's own do not count)
            # with its redirections as bash prints them (`ls x 2> /dev/null`), made when
            # $BASH_COMMAND is read
            self.bash_command = cmd if cmd.redirects else (cmd.text or " ".join(cmd.words))
        mark = len(self.procsubs)
        try:
            return self._exec_simple(cmd)
        finally:
            if len(self.procsubs) > mark:
                procsub.finish_all(self, mark)

    def _exec_simple(self, cmd: A.Simple) -> int:
        self.check()
        self.lineno = cmd.line
        words = cmd.words
        if words and self.state.aliases:
            words = self._expand_alias(words)
        self._subst_status = None
        try:
            if words and words[0] in _DECLARATIONS:
                argv = [words[0], *self._declaration_args(words[1:])]
            else:
                argv = self.expander.words(words) if words else []
        except ExpansionError as e:
            return self._expansion_failed(e, top=False)
        if not argv:
            # assignments (and redirections) only
            try:
                for a in cmd.assigns:
                    self._assign(a)
                    if "xtrace" in self.state.options:
                        self._trace_assign(a)
            except ExpansionError as e:
                if e.soft and str(e).endswith(": readonly variable"):
                    # bash: an assignment statement to a readonly variable abandons the
                    # line as an arithmetic error does (a prefix assignment does not)
                    e = ExpansionError(str(e), arith=True)
                return self._expansion_failed(e, top=False)
            status = self._subst_status if self._subst_status is not None else 0
            if cmd.redirects:
                return self.with_redirects(cmd.redirects, lambda: status)
            return status
        temp_env: dict[str, str] = {}
        try:
            for a in cmd.assigns:
                temp_env[a.name] = self.expander.word(a.value or "")
        except ExpansionError as e:
            return self._expansion_failed(e, top=False)
        if "xtrace" in self.state.options:
            for k, v in temp_env.items():  # bash traces a prefix assignment on its own line
                self.trace(f"{k}={xtrace_quote(v) if v else ''}")
            self.trace(" ".join(map(xtrace_quote, argv)))
        if self._too_long_to_exec(argv, temp_env):
            return self.with_redirects(cmd.redirects, lambda: self._e2big(argv[0]))
        if self.hooks is not None:
            allowed, reason = self.hooks.on_exec(argv, self.state.cwd, cmd.text)
            if not allowed:
                return self.with_redirects(
                    cmd.redirects,
                    lambda: self._denied(argv[0], reason),
                )
        if argv[0] == "exec" and len(argv) == 1 and "exec" not in self.state.functions:
            try:
                self.apply_redirects(cmd.redirects, self._exec_files, permanent=True)
            except _RedirError as e:
                self.write_err(f"corral: {e}\n")
                return 1
            return 0
        if not cmd.redirects:
            return self.run_command(argv, temp_env)
        return self.with_redirects(cmd.redirects, lambda: self.run_command(argv, temp_env))

    def _declaration_args(self, words: list[str]) -> list[str]:
        out: list[str] = []
        for w in words:
            m = _DECL_ASSIGN.match(w)
            if m is None:
                out.extend(self.expander.words([w]))
            elif w[m.end() :].startswith("("):
                out.append(w)  # array literal: its elements are expanded on assignment
            else:
                out.append(w[: m.end()] + self.expander.word(w[m.end() :], tilde=True))
        return out

    def _too_long_to_exec(self, argv: list[str], temp_env: dict[str, str]) -> bool:
        """Whether bash would fail to start ``argv`` as a program (E2BIG): a program
        in bash, not a function or one of bash's own built-ins."""
        name = argv[0]
        if name in _BASH_BUILTINS or name in self.state.functions:
            return False
        return exec_args_too_long(argv, lambda: {**self.env(), **temp_env})

    def _e2big(self, name: str) -> int:
        self.write_err(f"corral: {name}: Argument list too long\n")
        return 126

    def _denied(self, name: str, reason: str) -> int:
        self.write_err(f"corral: {name}: denied: {reason}\n")
        return 126

    def _expand_alias(self, words: list[str]) -> list[str]:
        out: list[str] = []
        rest = list(words)
        while rest:
            seen: set[str] = set()
            value = None
            while rest and rest[0] in self.state.aliases and rest[0] not in seen:
                seen.add(rest[0])
                value = self.state.aliases[rest[0]]
                rest = split_words(value) + rest[1:]
            if value is None or not value.endswith(" ") or not rest:
                return out + rest
            # a value ending in a space makes the next word alias-checked too
            head = split_words(value)
            out += rest[: len(head)]
            rest = rest[len(head) :]
        return out

    def _assign(self, a: A.Assign) -> None:
        if a.array is not None:
            if a.name in self.state.vars:  # through a name reference (`declare -n`)
                a = dataclasses.replace(a, name=self.deref(a.name))
            old = self.state.vars.get(a.name)
            if old is not None and old.readonly:
                raise ExpansionError(f"{a.name}: readonly variable", soft=True)
            is_assoc = (
                old is not None
                and isinstance(old.value, dict)
                and not isinstance(old.value, IArray)
            )
            exported = old.exported if old else False
            # an integer / case attribute stays and applies to every element
            attrs = "".join(x for x in (old.attrs if old else "") if x in "iul")
            if is_assoc:
                assert old is not None and isinstance(old.value, dict)
                amap: dict[str, str] = dict(old.value) if a.append else {}
                for w in a.array:
                    if w.startswith("[") and "]=" in w:
                        key, _, val = w[1:].partition("]=")
                        akey = self.expander.word(key)
                        aval = self.expander.word(val)
                        amap[akey] = self._attr_value(attrs, "", aval, False) if attrs else aval
                self.state.vars[a.name] = Var(amap, exported, False, attrs)
                return
            if a.append and old is not None:
                arr = IArray(old.value) if isinstance(old.value, IArray) else IArray.of([old.value])  # type: ignore[list-item]
            else:
                arr = IArray()
            nxt = arr.next_index()
            for w in a.array:
                if w.startswith("[") and "]=" in w:
                    key, _, val = w[1:].partition("]=")
                    k = self.expander.arith(key)
                    item = self.expander.word(val)
                    arr[k] = self._attr_value(attrs, "", item, False) if attrs else item
                    nxt = k + 1
                else:
                    for item in self.expander.words([w]):
                        arr[nxt] = self._attr_value(attrs, "", item, False) if attrs else item
                        nxt += 1
            self.state.vars[a.name] = Var(arr, exported, False, attrs)
            return
        value = self.expander.word(a.value or "", tilde=True)
        self.set_var(a.name, value, a.index, a.append)

    def run_command(self, argv: list[str], temp_env: dict[str, str] | None = None) -> int:
        name = argv[0]
        fn = self.state.functions.get(name)
        if fn is not None:
            return self.call_function(fn, argv, temp_env or {})
        special = SPECIAL.get(name)
        if special is not None:
            if temp_env:
                saved = {k: self.state.vars.get(k) for k in temp_env}
                for k, v in temp_env.items():
                    self.state.vars[k] = Var(v, True)
                try:
                    return special(self, argv)
                finally:
                    for k, old in saved.items():
                        if old is None:
                            self.state.vars.pop(k, None)
                        else:
                            self.state.vars[k] = old
            return special(self, argv)
        return self.run_builtin(argv, temp_env or {})

    def run_builtin(self, argv: list[str], temp_env: dict[str, str]) -> int:
        name = argv[0]
        impl = REGISTRY.get(name) or BRIDGES.get(name)
        if impl is None:
            if "/" in name:
                from .nested import run_path  # a workspace script run by path

                status = run_path(self, argv)
                if status is not None:
                    return status
                self.write_err(f"corral: {name}: No such file or directory\n")
                return 127
            self.write_err(f"corral: {name}: command not found\n")
            return 127
        if len(argv) == 2 and argv[1] == "--help" and impl.__doc__ and name not in BRIDGES:
            self.io[1].write(_help_text(impl.__doc__).encode())
            return 0
        env = _CommandEnv(self, temp_env)
        stdin = self.io.get(0) or io.BytesIO()
        stdout = self.io.get(1) or open(os.devnull, "wb")  # noqa: SIM115
        stderr = self.io.get(2) or open(os.devnull, "wb")  # noqa: SIM115
        ctx = CommandContext(
            argv=argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=self.state.cwd,
            ws=self.ws,
            deadline=self.deadline,
            run_command=self._run_sub_command,
            cancel_event=self.cancel_event,
            fd_names=self.fd_names,
            extra={"run_line": self._run_line, "shell": self},
            umask=self.state.umask,
        )
        try:
            status = impl(ctx)
        except CommandError as e:
            with contextlib.suppress(BrokenPipeError, OSError):
                ctx.err(str(e))
            status = e.status
        except BrokenPipeError:
            if isinstance(stdout, _StagePipe) and name in _BASH_BUILTINS:
                raise  # the stage's reader is gone: the stage ends (bash: SIGPIPE)
            status = 141
        except OSError as e:
            if e.errno == 28:
                with contextlib.suppress(OSError):
                    ctx.err(f"write error: {e.strerror}")
                return 1
            with contextlib.suppress(OSError):
                ctx.err(str(e.strerror or e))
            status = 1
        except RecursionError:
            ctx.err("recursion too deep")
            status = 2
        except RegexTooExpensive as e:
            ctx.err(str(e))
            status = 2
        try:
            stdout.flush()
        except BrokenPipeError:
            if isinstance(stdout, _StagePipe) and name in _BASH_BUILTINS:
                raise
        except (OSError, ValueError):
            pass
        return int(status or 0) & 0xFF

    def _run_sub_command(
        self, argv: list[str], stdin: bytes, cwd: str | None = None
    ) -> tuple[int, bytes, bytes]:
        sub = self.fork()
        if cwd is not None:  # find -execdir: in the found file's directory
            sub.state.cwd = cwd
            old = sub.state.vars.get("PWD")
            sub.state.vars["PWD"] = Var(cwd, old.exported if old else True)
        out, err = _Capture(), _Capture()
        sub.io = {0: io.BytesIO(stdin), 1: out, 2: err}
        try:
            if exec_args_too_long(argv, sub.env):
                return 126, b"", f"corral: {argv[0]}: Argument list too long\n".encode()
            if self.hooks is not None:
                allowed, reason = self.hooks.on_exec(argv, sub.state.cwd, " ".join(argv))
                if not allowed:
                    return 126, b"", f"corral: {argv[0]}: denied: {reason}\n".encode()
            status = sub.run_command(argv)
        except ExitShell as e:
            status = e.status
        return status, out.getvalue(), err.getvalue()

    def _run_line(self, line: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
        sub = self.fork()
        out, err = _Capture(), _Capture()
        sub.io = {0: io.BytesIO(stdin), 1: out, 2: err}
        try:
            status = sub._run_tree(parse(line))
        except ShellSyntaxError as e:
            return 2, b"", f"corral: {e}\n".encode()
        return status, out.getvalue(), err.getvalue()

    def call_function(self, fn: A.FuncDef, argv: list[str], temp_env: dict[str, str]) -> int:
        if self.depth >= MAX_DEPTH:
            self.error(f"{fn.name}: maximum function nesting level exceeded ({MAX_DEPTH})")
            raise ExitShell(1)
        saved_pos = self.state.positional
        self.state.positional = argv[1:]
        self.depth += 1
        saved_loops, self.loop_depth = self.loop_depth, 0
        vars_ = self.state.vars
        saved_funcname = vars_.get("FUNCNAME")
        outer = saved_funcname.value if saved_funcname is not None else None
        callers = outer.ordered() if isinstance(outer, IArray) else []
        vars_["FUNCNAME"] = Var(IArray(enumerate([fn.name, *callers])))
        return_trap = self.state.traps.get("RETURN")
        scope: dict[str, Var | None] = {}
        self._locals.append(scope)
        for k, v in temp_env.items():
            scope.setdefault(k, self.state.vars.get(k))
            self.state.vars[k] = Var(v, True)
        try:
            try:
                status = self.exec_node(fn.body)
            except ReturnFn as e:
                status = e.status
            action = self.state.traps.get("RETURN")
            if action and (action != return_trap or "functrace" in self.state.options):
                # bash runs a RETURN trap as the function that set it returns (functions
                # do not inherit it unless set -T); $? in it is the last command's
                self._run_trap("RETURN", status)
        finally:
            self.depth -= 1
            self.loop_depth = saved_loops
            if saved_funcname is None:
                self.state.vars.pop("FUNCNAME", None)
            else:
                self.state.vars["FUNCNAME"] = saved_funcname
            self._locals.pop()
            for k, old in scope.items():
                if old is None:
                    self.state.vars.pop(k, None)
                else:
                    self.state.vars[k] = old
            self.state.positional = saved_pos
        return status

    @property
    def _locals(self) -> list[dict[str, Var | None]]:
        stack = self.__dict__.get("_local_stack")
        if stack is None:
            stack = self.__dict__["_local_stack"] = []
        return stack

    def make_local(self, name: str) -> None:
        if not self._locals:
            raise ExpansionError("local: can only be used in a function")
        scope = self._locals[-1]
        if name not in scope:
            old = self.state.vars.get(name)
            scope[name] = (
                None
                if old is None
                else Var(_copy_value(old.value), old.exported, old.readonly, old.attrs)
            )

    def eval_text(self, text: str) -> int:
        if self.depth >= MAX_DEPTH:
            self.error("eval: maximum nesting level exceeded")
            return 1
        self.depth += 1
        try:
            return self.exec_seq(parse(text))
        except ShellSyntaxError as e:
            self._syntax_error(e)
            return 2
        finally:
            self.depth -= 1


class _RedirError(Exception):
    pass


_DECLARATIONS = {"local", "export", "declare", "typeset", "readonly"}
#: variables whose value is computed when read (Shell._dynamic_var)
_DYNAMIC_VARS = frozenset(
    ["RANDOM", "SECONDS", "EPOCHSECONDS", "EPOCHREALTIME", "BASHPID", "LINENO", "PWD",
     "BASH_SUBSHELL", "BASH_COMMAND"]
)
_SETS_PIPESTATUS = (A.Simple, A.Subshell, A.Group)
_DECL_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")


def _help_text(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc).strip() + "\n"


# filled by specials.py and bridges.py
SPECIAL: dict[str, Callable[[Shell, list[str]], int]] = {}
BRIDGES: dict[str, Callable[[CommandContext], int]] = {}

__all__ = [
    "BRIDGES",
    "SPECIAL",
    "ArithError",
    "CondError",
    "ExitShell",
    "Hooks",
    "OutputLimit",
    "Shell",
    "ShellState",
    "test_builtin",
]


def _command_text(cmd: A.Simple) -> str:
    """A simple command's $BASH_COMMAND: its text, with its redirections as bash prints
    them."""
    text = cmd.text or " ".join(cmd.words)
    if not cmd.redirects:
        return text
    from .printer import command_text

    return command_text(cmd)

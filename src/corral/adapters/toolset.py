"""The six tools an agent gets on a sandbox, shared by every adapter (MCP, OpenAI, LangChain).

``run_shell(command)``, ``run_python(code)``, ``run_js(code)``, ``read_file(path)``,
``write_file(path, content)``, ``list_files(path)``. :func:`call` runs one on a
:class:`~corral.Sandbox` and returns a :class:`ToolOutcome`: text a model reads (exit
code, output, the reason of a denial, monitor alerts) and the same as structured data.
It never raises for anything the agent did: bad arguments, denials, missing files, a
stopped session all come back as an outcome with ``ok=False`` and a reason.
"""

from __future__ import annotations

import logging
import posixpath
import stat as statmod
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CorralError, PathEscape
from ..files import GUEST_ROOT

if TYPE_CHECKING:
    from ..budget import RunResult
    from ..events import Event
    from ..sandbox import Sandbox

__all__ = [
    "DEFAULT_MAX_LIST_ENTRIES",
    "DEFAULT_MAX_OUTPUT_CHARS",
    "TOOLS",
    "ToolOutcome",
    "ToolSpec",
    "call",
    "json_schema",
]

log = logging.getLogger("corral.adapters")

#: what one result shows a model of stdout, stderr or a file (head and tail kept)
DEFAULT_MAX_OUTPUT_CHARS = 50_000
#: bytes read_file reads of a file at most (a model is shown far less)
MAX_READ_BYTES = 8 * 1024 * 1024
#: entries list_files shows
DEFAULT_MAX_LIST_ENTRIES = 1_000


@dataclass(frozen=True)
class ToolParam:
    name: str
    type: str  # JSON schema type: "string" or "boolean"
    description: str
    required: bool = True


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    params: tuple[ToolParam, ...]


_PATH_NOTE = "Paths are under /workspace (absolute, or relative to it)."

TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "run_shell",
            "Run a bash command line in the sandbox (the working directory /workspace persists "
            "between calls). Returns the exit code, stdout and stderr; a command the policy "
            "refuses is not run and the reason is returned.",
            (ToolParam("command", "string", "The bash command line to run."),),
        ),
        ToolSpec(
            "run_python",
            "Run Python code in the sandbox's persistent interpreter (variables survive between "
            "calls; the files are under /workspace). Returns exit code, stdout and stderr.",
            (ToolParam("code", "string", "The Python source to run."),),
        ),
        ToolSpec(
            "run_js",
            "Run JavaScript (QuickJS, top-level await works) in the sandbox's persistent "
            "interpreter. Returns exit code, stdout and stderr.",
            (ToolParam("code", "string", "The JavaScript source to run."),),
        ),
        ToolSpec(
            "read_file",
            f"Read a text file from the sandbox. {_PATH_NOTE}",
            (ToolParam("path", "string", "The file to read."),),
        ),
        ToolSpec(
            "write_file",
            f"Write (create or replace) a text file in the sandbox. {_PATH_NOTE}",
            (
                ToolParam("path", "string", "The file to write."),
                ToolParam("content", "string", "The whole new content of the file."),
            ),
        ),
        ToolSpec(
            "list_files",
            f"List a directory of the sandbox. {_PATH_NOTE}",
            (
                ToolParam("path", "string", "The directory (default /workspace).", False),
                ToolParam("recursive", "boolean", "Also list subdirectories.", False),
            ),
        ),
    )
}


def json_schema(spec: ToolSpec) -> dict[str, Any]:
    """The JSON schema of a tool's arguments."""
    return {
        "type": "object",
        "properties": {p.name: {"type": p.type, "description": p.description} for p in spec.params},
        "required": [p.name for p in spec.params if p.required],
        "additionalProperties": False,
    }


@dataclass
class ToolOutcome:
    """What a tool call gave: ``text`` for a model, ``data`` for a program.

    ``ok`` is ``False`` when the call did not do what was asked: refused by the policy or
    the monitor (``error="denied"``), stopped session (``"stopped"``), bad arguments
    (``"bad_arguments"``), anything else that failed (``"error"``). A program that ran
    and exited non-zero is ``ok`` (its exit code is in the text)."""

    tool: str
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _fail(tool: str, kind: str, message: str, **data: Any) -> ToolOutcome:
    prefix = {"denied": "denied", "stopped": "stopped", "bad_arguments": "bad arguments"}
    text = f"{prefix.get(kind, 'error')}: {message}"
    return ToolOutcome(tool, False, text, {"error": kind, "message": message, **data}, kind)


def check_arguments(name: str, args: Any) -> tuple[ToolSpec | None, str | None]:
    """The tool's spec, or a message saying what is wrong with the call."""
    spec = TOOLS.get(name) if isinstance(name, str) else None
    if spec is None:
        return None, f"unknown tool {name!r}; the tools are: {', '.join(TOOLS)}"
    if not isinstance(args, dict):
        return spec, f"the arguments must be a JSON object, not {type(args).__name__}"
    known = {p.name: p for p in spec.params}
    extra = sorted(set(args) - set(known))
    if extra:
        return spec, f"{name} takes no argument {', '.join(map(repr, extra))} (it takes: " + (
            ", ".join(known) + ")"
        )
    for p in spec.params:
        if p.name not in args:
            if p.required:
                return spec, f"{name} needs the argument {p.name!r} ({p.description})"
            continue
        value = args[p.name]
        want = str if p.type == "string" else bool
        if not isinstance(value, want):
            return spec, f"{name}: {p.name!r} must be a {p.type}, not {type(value).__name__}"
        if want is str and "\0" in value and p.name in ("path",):
            return spec, f"{name}: {p.name!r} must not contain NUL characters"
    return spec, None


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to about ``limit`` characters, keeping its head and its tail."""
    if len(text) <= limit:
        return text, False
    head = max(limit * 3 // 5, 0)
    tail = max(limit - head, 0)
    cut = len(text) - head - tail
    marker = f"\n[... {cut} characters cut by corral ...]\n"
    return text[:head] + marker + (text[-tail:] if tail else ""), True


# -- events seen during a call ---------------------------------------------------------

_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _lock_for(sb: Sandbox) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(sb)
        if lock is None:
            lock = _locks[sb] = threading.Lock()
        return lock


@dataclass
class _Seen:
    denied: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None


def _denial(ev: Event) -> dict[str, Any]:
    from ..policy.approvers import describe_action

    d = ev.decision
    reason = d.reason if d is not None else str((ev.data or {}).get("reason", ""))
    return {
        "action": describe_action(ev.action) if ev.action is not None else "",
        "rule": d.rule if d is not None else (ev.data or {}).get("check"),
        "reason": reason,
    }


@contextmanager
def _watch(sb: Sandbox) -> Iterator[_Seen]:
    """The denials, alerts and stops of ``sb``'s session while the block runs (calls on
    one sandbox are serialised so that each call sees only its own)."""
    seen = _Seen()
    bus = getattr(getattr(sb, "events", None), "bus", None)
    if bus is None:  # a fleet handle: its events go to the fleet (its results carry alerts)
        yield seen
        return
    session = sb.session

    def on_event(ev: Event) -> None:
        if ev.session != session:
            return
        try:
            if ev.type == "action.denied":
                seen.denied.append(_denial(ev))
            elif ev.type == "monitor.alert":
                a = ev.data or {}
                seen.alerts.append(
                    {k: a.get(k) for k in ("rule", "severity", "summary", "technique", "response")}
                )
            elif ev.type in ("session.killed", "session.paused"):
                seen.stopped = str((ev.data or {}).get("reason", ev.type))
        except Exception:  # a report must never break the call
            log.exception("reading an event for a tool result failed")

    with _lock_for(sb):
        unsubscribe = bus.subscribe(
            on_event, types=["action.denied", "monitor.alert", "session.killed", "session.paused"]
        )
        try:
            yield seen
        finally:
            unsubscribe()


def _notes(seen: _Seen) -> tuple[list[str], dict[str, Any]]:
    lines: list[str] = []
    for d in seen.denied[:20]:
        rule = f" (rule {d['rule']})" if d.get("rule") else ""
        lines.append(f"denied{rule}: {d['action']}: {d['reason']}")
    if len(seen.denied) > 20:
        lines.append(f"... and {len(seen.denied) - 20} more denials")
    for a in seen.alerts[:20]:
        tech = f", {a['technique']}" if a.get("technique") else ""
        lines.append(
            f"monitor alert [{a.get('severity')}{tech}] {a.get('rule')}: {a.get('summary')}"
        )
    if len(seen.alerts) > 20:
        lines.append(f"... and {len(seen.alerts) - 20} more alerts")
    if seen.stopped:
        lines.append(f"session stopped: {seen.stopped}")
    data = {"denied": seen.denied, "alerts": seen.alerts, "stopped": seen.stopped}
    return lines, data


# -- running the tools -----------------------------------------------------------------


def call(
    sb: Sandbox,
    name: str,
    args: Any,
    *,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    max_list_entries: int = DEFAULT_MAX_LIST_ENTRIES,
) -> ToolOutcome:
    """Run the tool ``name`` with ``args`` (a dict) on ``sb``."""
    spec, problem = check_arguments(name, args)
    tool = spec.name if spec is not None else str(name)[:100]
    if problem is not None:
        return _fail(tool, "bad_arguments", problem)
    with _watch(sb) as seen:
        try:
            outcome = _dispatch(sb, tool, args, max_output_chars, max_list_entries)
        except CorralError as e:
            outcome = _from_error(tool, e)
        except (OSError, UnicodeError, ValueError, TypeError) as e:
            outcome = _from_error(tool, e)
    notes, data = _notes(seen)
    if outcome.error == "denied" and not seen.denied and outcome.data.get("stderr"):
        notes.insert(0, str(outcome.data["stderr"]).strip())
    if notes:
        if outcome.text and not outcome.text.endswith("\n"):
            outcome.text += "\n"
        outcome.text += "\n".join(notes)
    outcome.data.update(data)
    if seen.stopped and outcome.ok:
        outcome.ok, outcome.error = False, "stopped"
    return outcome


def _from_error(tool: str, e: BaseException) -> ToolOutcome:
    from ..errors import SandboxClosed, SessionStopped
    from ..sandbox import ActionDenied

    if isinstance(e, ActionDenied):
        d = e.decision
        return _fail(tool, "denied", str(e), rule=d.rule, reason=d.reason)
    if isinstance(e, SessionStopped):
        return _fail(tool, "stopped", f"this sandbox session is stopped: {e}")
    if isinstance(e, SandboxClosed):
        return _fail(tool, "stopped", "this sandbox is closed")
    if isinstance(e, PathEscape):
        return _fail(tool, "error", f"{e} (paths must stay under /workspace)")
    if isinstance(e, FileNotFoundError):
        return _fail(tool, "error", f"no such file or directory: {_errpath(e)}")
    if isinstance(e, IsADirectoryError):
        return _fail(tool, "error", f"is a directory: {_errpath(e)}")
    if isinstance(e, NotADirectoryError):
        return _fail(tool, "error", f"not a directory: {_errpath(e)}")
    if isinstance(e, OSError) and not isinstance(e, CorralError):
        return _fail(tool, "error", e.strerror or str(e))
    return _fail(tool, "error", str(e) or type(e).__name__)


def _shown(path: str) -> str:
    """A path as the agent sees it (for messages; the files API does the real resolving)."""
    return posixpath.normpath(posixpath.join(GUEST_ROOT, path))


def _errpath(e: OSError) -> str:
    return str(e.filename) if e.filename else (e.strerror or str(e))


def _dispatch(
    sb: Sandbox, tool: str, args: dict[str, Any], max_chars: int, max_entries: int
) -> ToolOutcome:
    if tool == "run_shell":
        return _run_result(tool, sb.run(args["command"]), max_chars)
    if tool == "run_python":
        return _run_result(tool, sb.python(args["code"]), max_chars)
    if tool == "run_js":
        return _run_result(tool, sb.js(args["code"]), max_chars)
    if tool == "read_file":
        return _read_file(sb, args["path"], max_chars)
    if tool == "write_file":
        n = sb.files.write(args["path"], args["content"])
        path = _shown(args["path"])
        return ToolOutcome(tool, True, f"wrote {n} bytes to {path}", {"path": path, "bytes": n})
    return _list_files(sb, args.get("path", "/workspace"), bool(args.get("recursive")), max_entries)


def _run_result(tool: str, r: RunResult, max_chars: int) -> ToolOutcome:
    stdout, cut_out = clip(r.stdout, max_chars)
    stderr, cut_err = clip(r.stderr, max_chars)
    denied = r.error == "denied"
    if denied:  # the reason comes from the denial event (see call); stderr says the same
        lines = [f"exit code: {r.exit_code} (not run)"]
        return ToolOutcome(
            tool,
            False,
            "\n".join(lines),
            {"exit_code": r.exit_code, "stdout": "", "stderr": stderr, "error": r.error},
            "denied",
        )
    lines = [f"exit code: {r.exit_code}"]
    if stdout:
        lines += ["stdout:", stdout.rstrip("\n")]
    if stderr:
        lines += ["stderr:", stderr.rstrip("\n")]
    if not stdout and not stderr:
        lines.append("(no output)")
    if r.budget_exceeded:
        lines.append(f"budget exceeded ({r.budget_exceeded}): {r.error_message}")
    elif r.error in ("exception", "crash") and r.error_message:
        lines.append(f"error: {r.error_type or r.error}: {r.error_message}")
    if r.truncated:
        lines.append("(the output budget cut the output)")
    if cut_out or cut_err:
        lines.append(f"(corral showed at most {max_chars} characters of each stream)")
    data = {
        "exit_code": r.exit_code,
        "stdout": stdout,
        "stderr": stderr,
        "error": r.error,
        "budget_exceeded": r.budget_exceeded,
        "truncated": r.truncated or cut_out or cut_err,
    }
    return ToolOutcome(tool, True, "\n".join(lines), data)


def _read_file(sb: Sandbox, path: str, max_chars: int) -> ToolOutcome:
    raw = sb.files.read_bytes(path, max_bytes=MAX_READ_BYTES + 1)
    larger = len(raw) > MAX_READ_BYTES
    raw = raw[:MAX_READ_BYTES]
    guest = _shown(path)
    try:
        text = raw.decode("utf-8")
        binary = False
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        binary = True
    shown, cut = clip(text, max_chars)
    notes = []
    if binary:
        notes.append(f"(not UTF-8 text: {len(raw)} bytes shown with replacement characters)")
    if larger:
        notes.append(f"(the file is larger than {MAX_READ_BYTES} bytes: only its start was read)")
    if cut:
        size = f"more than {len(raw)}" if larger else str(len(raw))
        notes.append(f"(file of {size} bytes: corral showed at most {max_chars} characters)")
    body = shown + ("\n" + "\n".join(notes) if notes else "")
    data = {
        "path": guest,
        "bytes": len(raw),
        "content": shown,
        "truncated": cut or larger,
        "binary": binary,
    }
    return ToolOutcome("read_file", True, body, data)


def _list_files(sb: Sandbox, path: str, recursive: bool, max_entries: int) -> ToolOutcome:
    guest = _shown(path)
    infos = sb.files.list(path, recursive=recursive)
    entries = []
    lines = []
    for info in infos[:max_entries]:
        kind = "dir" if info.is_dir else "link" if info.is_symlink else "file"
        entries.append({"path": info.path, "type": kind, "size": info.size})
        mode = statmod.filemode(info.mode | (statmod.S_IFDIR if info.is_dir else statmod.S_IFREG))
        suffix = "/" if info.is_dir else ""
        lines.append(f"{mode} {info.size:>10} {info.path}{suffix}")
    if not infos:
        lines.append(f"{guest} is empty")
    elif len(infos) > max_entries:
        lines.append(f"... and {len(infos) - max_entries} more entries")
    data = {"path": guest, "entries": entries, "total": len(infos)}
    return ToolOutcome("list_files", True, "\n".join(lines), data)

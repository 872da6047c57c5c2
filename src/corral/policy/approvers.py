"""Human-in-the-loop approvals: who answers when the policy says ``ask``.

An :class:`Approver` answers one :class:`ApprovalRequest` with an :class:`ApprovalAnswer`:
``allow_once``, ``allow_always`` (remembered for the session), ``deny`` or ``timeout`` (no
answer within ``request.timeout_s``; the policy's ``approvals.default`` then applies, which
is ``deny`` unless the policy says otherwise). Implementations:

* :class:`Terminal` — prints the question with rich and reads ``y``/``a``/``n``;
* :class:`Callback` — calls a sync or async function;
* :class:`Queue` — holds pending requests with ids for a web page (``pending()``,
  ``answer(id, answer)``); askers block until answered or timed out.

:class:`ApprovalGate` wraps a :class:`~corral.policy.Policy` into a
:class:`~corral.events.Gate` that asks the approver on ``ask`` and returns ``allow`` or
``deny``. "Allow always" is remembered per session for *the same rule and the same
action*, never for an argument list alone: for ``exec`` (a command of the corral shell or
``Sandbox.exec``) the same command name and argv; for ``spawn`` (a real process start on
the native tiers) the same executable path and argv (``execv("/usr/bin/apt-get", ["ssh",
"-V"])`` is not the ``ssh -V`` that was approved; a relative path, which names a different
file in every directory, is never remembered); an ``exec`` approval never covers a
``spawn``. The same line for a shell line, the same host for ``net`` (any port), the same
method for ``tool`` (any arguments: the policy still checks constraints first), the same
path and read/write kind for ``file``, and the same code (by SHA-256) for ``code``.

A command (``exec``, ``spawn``, ``code``) asked about only for a host it names (the
policy's ``network.*`` decision inside a command's, :mod:`corral.policy.hosts`) is let
run: its connection goes to the approver when it is made, as a ``net`` question about the
host, so nobody is asked twice. With no approver the command is refused before it runs.

``Sandbox(approver=...)`` takes an approver object or a plain function (see
:func:`as_approver`).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import posixpath
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, Protocol, get_args, runtime_checkable

from ..events import (
    CodeAction,
    Decision,
    EventType,
    ExecAction,
    FileAction,
    NetAction,
    SpawnAction,
    ToolAction,
)
from ..termtext import asking, one_line, visible
from .patterns import normalize_host

__all__ = [
    "ApprovalAnswer",
    "ApprovalGate",
    "ApprovalRequest",
    "Approver",
    "Callback",
    "Queue",
    "Terminal",
    "as_approver",
    "describe_action",
    "memory_key",
]

log = logging.getLogger("corral.policy.approvals")


class ApprovalAnswer(StrEnum):
    ALLOW_ONCE = "allow_once"
    ALLOW_ALWAYS = "allow_always"
    DENY = "deny"
    TIMEOUT = "timeout"  # no answer in time: the policy's approvals.default applies


_ANSWER_WORDS: dict[str, ApprovalAnswer] = {
    "y": ApprovalAnswer.ALLOW_ONCE,
    "yes": ApprovalAnswer.ALLOW_ONCE,
    "o": ApprovalAnswer.ALLOW_ONCE,
    "once": ApprovalAnswer.ALLOW_ONCE,
    "allow": ApprovalAnswer.ALLOW_ONCE,
    "allow_once": ApprovalAnswer.ALLOW_ONCE,
    "a": ApprovalAnswer.ALLOW_ALWAYS,
    "always": ApprovalAnswer.ALLOW_ALWAYS,
    "allow_always": ApprovalAnswer.ALLOW_ALWAYS,
    "n": ApprovalAnswer.DENY,
    "no": ApprovalAnswer.DENY,
    "d": ApprovalAnswer.DENY,
    "deny": ApprovalAnswer.DENY,
    "": ApprovalAnswer.DENY,
    "timeout": ApprovalAnswer.TIMEOUT,
}


def coerce_answer(value: Any) -> ApprovalAnswer:
    """An :class:`ApprovalAnswer` from an answer, a word (``y``/``a``/``n``...), a bool
    (``True``: allow once) or ``None`` (no answer). Raises ``ValueError`` otherwise."""
    if isinstance(value, ApprovalAnswer):
        return value
    if value is None:
        return ApprovalAnswer.TIMEOUT
    if isinstance(value, bool):
        return ApprovalAnswer.ALLOW_ONCE if value else ApprovalAnswer.DENY
    if isinstance(value, str):
        word = value.strip().lower().replace("-", "_").replace(" ", "_")
        if word in _ANSWER_WORDS:
            return _ANSWER_WORDS[word]
    raise ValueError(
        f"not an approval answer: {value!r} (expected allow_once, allow_always or deny)"
    )


@dataclass(frozen=True)
class ApprovalRequest:
    """One question for a person: may this action run?"""

    action: Any
    decision: Decision  # the policy's ``ask`` decision (rule, principle, reason)
    session: str
    timeout_s: float
    default: str = "deny"  # what no answer becomes
    principle_text: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.time)

    @property
    def rule(self) -> str | None:
        return self.decision.rule

    @property
    def principle(self) -> str | None:
        return self.decision.principle

    @property
    def reason(self) -> str:
        return self.decision.reason

    @property
    def summary(self) -> str:
        """One line saying what the agent wants to do."""
        return describe_action(self.action)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for a web page)."""
        action = self.action
        if hasattr(action, "model_dump"):
            action = action.model_dump(mode="json")
        return {
            "id": self.id,
            "session": self.session,
            "summary": self.summary,
            "action": action,
            "rule": self.rule,
            "principle": self.principle,
            "principle_text": self.principle_text,
            "reason": self.reason,
            "timeout_s": self.timeout_s,
            "default": self.default,
            "created": self.created,
        }


@runtime_checkable
class Approver(Protocol):
    """Answers approval requests. Must return within ``request.timeout_s`` (or return
    ``ApprovalAnswer.TIMEOUT``)."""

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer: ...


def describe_action(action: Any) -> str:
    """A one-line human description of an action: the agent's text in it with controls
    written out and, when long, kept at both ends (:func:`corral.termtext.one_line`: a
    question must show what the text does, not what it pretends)."""
    if isinstance(action, str):
        return f"run: {one_line(action)}"
    if isinstance(action, ExecAction):
        return f"run: {one_line(' '.join(action.argv))}"
    if isinstance(action, SpawnAction):
        line = one_line(" ".join(action.argv))
        exe, first = action.exe or "", action.argv[0] if action.argv else ""
        if exe and exe.rsplit("/", 1)[-1] != first.rsplit("/", 1)[-1]:
            return f"start process: {one_line(exe, 120)} (named {line})"
        return f"start process: {line}"
    if isinstance(action, CodeAction):
        lines = action.code.splitlines() or [""]
        more = f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
        return f"run {action.language} code: {one_line(lines[0], 120)}{more}"
    if isinstance(action, FileAction):
        return f"{action.op} file {action.path}"
    if isinstance(action, NetAction):
        where = action.host + (f":{action.port}" if action.port else "")
        return f"connect to {where}" + (f" ({one_line(action.url, 120)})" if action.url else "")
    if isinstance(action, ToolAction):
        try:
            args = json.dumps(action.args, sort_keys=True, default=str)
        except (TypeError, ValueError):
            args = repr(action.args)
        return f"call tool {action.name}({one_line(args, 120)})"
    return one_line(repr(action))


def memory_key(action: Any) -> tuple[Any, ...]:
    """What "the same action" means for ``allow_always`` (see the module docstring)."""
    if isinstance(action, str):
        return ("line", action)
    if isinstance(action, ExecAction):
        return ("exec", action.argv[0] if action.argv else "", tuple(action.argv))
    if isinstance(action, SpawnAction):
        exe = action.exe or (action.argv[0] if action.argv else "")
        if not exe.startswith("/"):
            # a relative path names another file in every directory: never the same action
            return ("spawn", None, uuid.uuid4().hex, tuple(action.argv))
        return ("spawn", posixpath.normpath(exe), tuple(action.argv))
    if isinstance(action, NetAction):
        host = action.host
        if not host and action.url:
            from urllib.parse import urlsplit

            host = urlsplit(action.url).hostname or ""
        return ("net", normalize_host(host)[0])
    if isinstance(action, ToolAction):
        return ("tool", action.name)
    if isinstance(action, FileAction):
        kind = "read" if action.op in ("read", "list", "stat") else "write"
        return ("file", kind, action.path)
    if isinstance(action, CodeAction):
        return ("code", action.language, hashlib.sha256(action.code.encode()).hexdigest())
    return ("other", repr(action))


# ------------------------------------------------------------------------------ Terminal


class Terminal:
    """Ask at a terminal: shows the action, rule and principle, reads ``y``/``a``/``n``.

    ``y`` allows once, ``a`` allows always (this session), ``n`` or an empty line denies.
    Reads from ``input`` (default ``sys.stdin``) or calls ``input_fn(prompt)`` (for tests);
    gives up after ``request.timeout_s`` and returns ``TIMEOUT``. End of input denies.
    One question is asked at a time.
    """

    who = "a person"

    def __init__(
        self,
        input: IO[str] | None = None,
        *,
        input_fn: Callable[[str], str] | None = None,
        console: Any = None,
    ) -> None:
        from rich.console import Console

        self._input = input
        self._input_fn = input_fn
        self.console = console if console is not None else Console(stderr=True)
        self._lock = threading.Lock()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None

    PROMPT = "Allow? [y]es once / [a]lways this session / [N]o: "

    def _show(self, request: ApprovalRequest) -> None:
        from rich.markup import escape

        def shown(text: str) -> str:
            return escape(visible(text))

        c = self.console
        c.print()
        c.print("[bold yellow]corral: approval needed[/bold yellow]")
        c.print(f"  [bold]action[/bold]     {shown(request.summary)}", highlight=False)
        c.print(f"  [bold]rule[/bold]       {shown(str(request.rule))}", highlight=False)
        if request.principle:
            text = f": {request.principle_text}" if request.principle_text else ""
            c.print(f"  [bold]principle[/bold]  {shown(request.principle + text)}")
        c.print(f"  [bold]why[/bold]        {shown(request.reason)}", highlight=False)
        c.print(
            f"  [dim]no answer within {request.timeout_s:g} s means {shown(request.default)}[/dim]"
        )

    def _read_line(self) -> None:
        try:
            if self._input_fn is not None:
                line: str | None = self._input_fn(self.PROMPT)
            else:
                stream = self._input if self._input is not None else sys.stdin
                self.console.print(self.PROMPT, end="", highlight=False, markup=False)
                line = stream.readline()
                if line == "":
                    line = None  # end of input
        except EOFError:
            line = None
        except Exception:  # a broken input must not hang the asker
            log.exception("reading an approval answer failed")
            line = None
        self._lines.put(line)

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        # live output waits while the question is open: nothing prints beneath it
        with self._lock, asking():
            deadline = time.monotonic() + request.timeout_s
            self._show(request)
            while True:  # drop answers typed after an earlier question timed out
                try:
                    self._lines.get_nowait()
                except queue.Empty:
                    break
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.console.print(
                        f"\n[dim]no answer within {request.timeout_s:g} s: {request.default}[/dim]"
                    )
                    return ApprovalAnswer.TIMEOUT
                if self._reader is None or not self._reader.is_alive():
                    self._reader = threading.Thread(
                        target=self._read_line, name="corral-approval-input", daemon=True
                    )
                    self._reader.start()
                try:
                    line = self._lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    self.console.print("[dim]input closed: deny[/dim]")
                    return ApprovalAnswer.DENY
                try:
                    answer = coerce_answer(line)
                except ValueError:
                    self.console.print("please answer y, a or n")
                    continue
                if answer is ApprovalAnswer.TIMEOUT:
                    self.console.print("please answer y, a or n")
                    continue
                return answer


# ------------------------------------------------------------------------------ Callback


class Callback:
    """Ask a function: ``fn(request)`` returns an answer (an :class:`ApprovalAnswer`, a word
    such as ``"allow_once"``/``"y"``, a bool, or ``None`` for no answer).

    ``fn`` may be ``async`` (or return an awaitable): it then runs on ``loop`` when given
    (``asyncio.run_coroutine_threadsafe``; do not ask from that loop's own thread), else
    with ``asyncio.run`` (in a helper thread when the caller is inside a running loop).
    A sync ``fn`` runs in a helper thread so that the timeout holds; an answer that
    comes later is ignored.
    """

    def __init__(
        self,
        fn: Callable[[ApprovalRequest], Any],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        who: str = "the approval callback",
    ) -> None:
        self.fn = fn
        self.loop = loop
        self.who = who

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        timeout = request.timeout_s
        if inspect.iscoroutinefunction(self.fn):
            return coerce_answer(self._run_async(lambda: self.fn(request), timeout))
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                value = self.fn(request)
                if inspect.isawaitable(value):
                    deadline_left = timeout - (time.monotonic() - started)
                    value = self._run_async(lambda: value, max(deadline_left, 0.001))
                box["value"] = value
            except BaseException as exc:
                box["error"] = exc

        started = time.monotonic()
        worker = threading.Thread(target=call, name="corral-approval-callback", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return ApprovalAnswer.TIMEOUT
        if "error" in box:
            raise box["error"]
        return coerce_answer(box.get("value"))

    def _run_async(self, make: Callable[[], Any], timeout: float) -> Any:
        if self.loop is not None:
            future = asyncio.run_coroutine_threadsafe(_awaited(make()), self.loop)
            try:
                return future.result(timeout)
            except TimeoutError:
                future.cancel()
                return None

        async def bounded() -> Any:
            try:
                return await asyncio.wait_for(_awaited(make()), timeout)
            except TimeoutError:
                return None

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(bounded())
        box: dict[str, Any] = {}

        def runner() -> None:
            try:
                box["value"] = asyncio.run(bounded())
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=runner, name="corral-approval-async", daemon=True)
        thread.start()
        thread.join(timeout + 1.0)
        if "error" in box:
            raise box["error"]
        return box.get("value")


async def _awaited(value: Any) -> Any:
    return await value


def as_approver(value: Any, *, loop: asyncio.AbstractEventLoop | None = None) -> Approver:
    """What ``Sandbox(approver=...)`` accepts, as an :class:`Approver`.

    An object with an ``ask(request)`` method is used as it is; a plain function or
    coroutine function (``fn(request)`` returning a bool, an :class:`ApprovalAnswer` or a
    word such as ``"allow_always"``) is wrapped in a :class:`Callback`. Anything else
    (a class instead of an instance, a string, ...) is a ``TypeError`` naming it.
    """
    if isinstance(value, type):
        raise TypeError(
            f"approver must be an approver object or a function, got the class "
            f"{value.__name__} (pass an instance: {value.__name__}(...))"
        )
    ask = getattr(value, "ask", None)
    if ask is not None:
        if not callable(ask):
            raise TypeError(
                f"approver {type(value).__name__!r} has an 'ask' attribute that is not callable"
            )
        return value  # type: ignore[no-any-return]
    if callable(value):
        return Callback(value, loop=loop, who=_callable_name(value))
    raise TypeError(
        "approver must be an approver object (with ask(request)) or a function taking an "
        f"ApprovalRequest and returning a bool or an answer, got {type(value).__name__}"
    )


def _callable_name(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return f"the approval function {name}" if isinstance(name, str) else "the approval callback"


# --------------------------------------------------------------------------------- Queue


@dataclass
class _Slot:
    request: ApprovalRequest
    event: threading.Event = field(default_factory=threading.Event)
    answer: ApprovalAnswer | None = None


class Queue:
    """A thread-safe queue of pending questions, answered from elsewhere (a web page).

    ``ask`` blocks until :meth:`answer` is called with the request's id or the request
    times out. ``on_request(request)`` is called for each new question (to notify a UI).
    """

    who = "a person"

    def __init__(self, on_request: Callable[[ApprovalRequest], None] | None = None) -> None:
        self.on_request = on_request
        self._cond = threading.Condition()
        self._slots: dict[str, _Slot] = {}

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        slot = _Slot(request)
        with self._cond:
            self._slots[request.id] = slot
            self._cond.notify_all()
        if self.on_request is not None:
            try:
                self.on_request(request)
            except Exception:
                log.exception("approval on_request callback failed")
        slot.event.wait(request.timeout_s)
        with self._cond:
            self._slots.pop(request.id, None)
            # an answer() that got in before this pop still counts (it returned True)
            return slot.answer if slot.answer is not None else ApprovalAnswer.TIMEOUT

    def pending(self) -> list[ApprovalRequest]:
        """The questions waiting for an answer, oldest first."""
        with self._cond:
            slots = [s for s in self._slots.values() if s.answer is None]
        return sorted((s.request for s in slots), key=lambda r: r.created)

    def get(self, request_id: str) -> ApprovalRequest | None:
        with self._cond:
            slot = self._slots.get(request_id)
            return slot.request if slot is not None else None

    def answer(self, request_id: str, answer: Any) -> bool:
        """Answer a pending question. Returns ``False`` when it is unknown, already
        answered or timed out. ``answer``: ``allow_once``, ``allow_always`` or ``deny``
        (or an :class:`ApprovalAnswer`, ``y``/``a``/``n``, a bool)."""
        value = coerce_answer(answer)
        if value is ApprovalAnswer.TIMEOUT:
            raise ValueError("answer with allow_once, allow_always or deny")
        with self._cond:
            slot = self._slots.get(request_id)
            if slot is None or slot.answer is not None:
                return False
            slot.answer = value
            slot.event.set()
            self._cond.notify_all()
            return True

    def wait_for_request(self, timeout: float | None = None) -> ApprovalRequest | None:
        """Block until a question is pending (the oldest is returned) or ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                waiting = [s.request for s in self._slots.values() if s.answer is None]
                if waiting:
                    return min(waiting, key=lambda r: r.created)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)


# -------------------------------------------------------------------------- ApprovalGate

OnApproval = Callable[[ApprovalRequest, ApprovalAnswer], None]
_EVENT_TYPES = frozenset(get_args(EventType))


class ApprovalGate:
    """A :class:`~corral.events.Gate`: the policy decides, the approver answers ``ask``.

    Args:
        policy: the :class:`~corral.policy.Policy` (anything with ``decide``).
        approver: who answers (:class:`Terminal`, :class:`Callback`, :class:`Queue`, ...).
        events: optional object with ``emit(type, **fields)`` (a
            :class:`~corral.events.SessionEvents`); ``approval.requested`` and
            ``approval.answered`` are emitted once those event types exist.
        on_approval: called as ``on_approval(request, answer)`` after every question.
        timeout_s: overrides the policy's ``approvals.timeout_s``.

    Decisions returned are ``allow`` or ``deny`` (never ``ask``); their ``rule`` and
    ``principle`` are the asking rule's and the reason says who decided.
    """

    def __init__(
        self,
        policy: Any,
        approver: Approver,
        events: Any = None,
        *,
        on_approval: OnApproval | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.policy = policy
        self.approver = approver
        self.events = events
        self.on_approval = on_approval
        self.timeout_s = timeout_s
        self._always: dict[str, set[tuple[Any, ...]]] = {}
        self._lock = threading.Lock()

    # -- memory ----------------------------------------------------------------------

    def remembered(self, session: str) -> frozenset[tuple[Any, ...]]:
        """The (rule, action key) pairs allowed always in ``session``."""
        with self._lock:
            return frozenset(self._always.get(session, ()))

    def forget(self, session: str | None = None) -> None:
        """Forget allow-always answers (of one session, or all)."""
        with self._lock:
            if session is None:
                self._always.clear()
            else:
                self._always.pop(session, None)

    # -- the gate --------------------------------------------------------------------

    def _timeout(self) -> float:
        if self.timeout_s is not None:
            return self.timeout_s
        return float(getattr(self.policy, "approval_timeout_s", 120.0))

    def _default(self) -> str:
        return str(getattr(self.policy, "approval_default", "deny"))

    def decide(self, action: Any, session: str | None = None) -> Decision:
        session = session or ""
        decision = self.policy.decide(action, session)
        if decision.verdict != "ask":
            return decision
        return self.answer(action, decision, session)

    def answer(self, action: Any, decision: Decision, session: str | None = None) -> Decision:
        """Put ``decision`` (an ``ask`` the policy made about ``action``) to the approver:
        ``allow`` or ``deny``, naming the asking rule and who decided."""
        session = session or ""
        if (decision.rule or "").startswith("network.") and not isinstance(action, NetAction):
            # a command asked about only for a host it names: the connection is put to the
            # approver when it is made (one question, about the host, as for any other
            # connection); with no approver the command is refused before it runs
            return Decision(
                verdict="allow",
                rule=decision.rule,
                principle=decision.principle,
                reason=f"the connection will be asked about when it is made: {decision.reason}",
            )
        key = (decision.rule, *memory_key(action))
        with self._lock:
            if key in self._always.get(session, ()):
                return Decision(
                    verdict="allow",
                    rule=decision.rule,
                    principle=decision.principle,
                    reason=f"approved earlier in this session (allow always): {decision.reason}",
                )
        principles = getattr(self.policy, "principles", {}) or {}
        request = ApprovalRequest(
            action=action,
            decision=decision,
            session=session,
            timeout_s=self._timeout(),
            default=self._default(),
            principle_text=principles.get(decision.principle) if decision.principle else None,
        )
        self._emit("approval.requested", request, None)
        who = getattr(self.approver, "who", "a person")
        failure: str | None = None
        try:
            answer = coerce_answer(self.approver.ask(request))
        except Exception as exc:
            log.exception("approver %r failed", self.approver)
            answer = ApprovalAnswer.DENY
            failure = f"{type(exc).__name__}: {exc}"
        if answer is ApprovalAnswer.ALLOW_ALWAYS:
            with self._lock:
                self._always.setdefault(session, set()).add(key)
        if self.on_approval is not None:
            try:
                self.on_approval(request, answer)
            except Exception:
                log.exception("on_approval callback failed")
        result = self._result(decision, request, answer, who, failure)
        self._emit("approval.answered", request, answer, result)
        return result

    @staticmethod
    def _result(
        decision: Decision,
        request: ApprovalRequest,
        answer: ApprovalAnswer,
        who: str,
        failure: str | None,
    ) -> Decision:
        base = decision.reason
        if failure is not None:
            verdict, reason = "deny", f"the approver failed ({failure}): deny: {base}"
        elif answer is ApprovalAnswer.ALLOW_ONCE:
            verdict, reason = "allow", f"approved by {who} (allow once): {base}"
        elif answer is ApprovalAnswer.ALLOW_ALWAYS:
            verdict, reason = "allow", f"approved by {who} (allow always in this session): {base}"
        elif answer is ApprovalAnswer.DENY:
            verdict, reason = "deny", f"denied by {who}: {base}"
        else:
            verdict = "allow" if request.default == "allow" else "deny"
            reason = f"no answer within {request.timeout_s:g} s: default {verdict}: {base}"
        return Decision(
            verdict=verdict,  # type: ignore[arg-type]
            rule=decision.rule,
            principle=decision.principle,
            reason=reason,
        )

    def _emit(
        self,
        type_: str,
        request: ApprovalRequest,
        answer: ApprovalAnswer | None,
        result: Decision | None = None,
    ) -> None:
        emit = getattr(self.events, "emit", None)
        if emit is None or type_ not in _EVENT_TYPES:
            return
        data: dict[str, Any] = {"request_id": request.id, "timeout_s": request.timeout_s}
        if answer is not None:
            data["answer"] = answer.value
        try:
            fields: dict[str, Any] = {"decision": result or request.decision, "data": data}
            if not isinstance(request.action, str):
                fields["action"] = request.action
            emit(type_, **fields)
        except Exception:
            log.exception("emitting %s failed", type_)

"""The Sandbox: one directory, its guest interpreters, tools, budgets and events.

import corral
with corral.Sandbox() as sb:
    sb.files.write("/workspace/data.csv", "a,b\\n1,2\\n")
    r = sb.python("print(open('data.csv').read().count('\\\\n'))")
    print(r.stdout, r.exit_code, r.usage)
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import shlex
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backend import OWN_ARGS, Backend, OnOutput, backend_class
from .budget import MAX_DECIDED_CHARS, Budget, RunResult
from .capabilities import Capabilities, CapabilityError, MethodCapability
from .deeptree import remove_tree
from .errors import CorralError, SandboxClosed, ToolError
from .events import (
    ALLOW,
    CodeAction,
    Decision,
    EventBus,
    ExecAction,
    FileAction,
    Gate,
    NetAction,
    SessionEvents,
    ToolAction,
    default_bus,
)
from .files import GUEST_ROOT, Files, Workspace
from .tools import ToolRegistry, run_tool, to_json_value
from .wasm.guest_events import FILE_OP_MAP, GuestIntents, file_event

log = logging.getLogger("corral.sandbox")

if TYPE_CHECKING:
    import asyncio  # loaded by the async methods themselves (an event loop has it)

    from .wasm.interpreter import Interpreter  # wasmtime: loaded by the first guest call

CapabilitiesLike = Capabilities | list[MethodCapability | dict[str, Any]] | None

#: the longest shell script :meth:`Sandbox.run` takes (characters). The policy and the
#: monitor read a script on the host before it runs (linear, 1-40 µs a character: this
#: bounds that to seconds of the host's time); ``bash -c`` itself takes at most
#: 128 KiB (Linux's MAX_ARG_STRLEN). One command is bounded the same
#: (:func:`too_large_to_decide`).
MAX_SCRIPT_CHARS = MAX_DECIDED_CHARS


def too_large_to_decide(action: Any) -> Decision | None:
    """The refusal of a command (an ``exec`` action: the corral shell's commands,
    :meth:`Sandbox.exec`) whose arguments and line hold more than
    :data:`~corral.budget.MAX_DECIDED_CHARS` characters, before the policy or the
    monitor reads it (they read it on the host, outside the call's wall budget); None
    for any other. A native program start is not bounded here: the kernel started it
    with at most 2 MiB of arguments."""
    if not isinstance(action, ExecAction):
        return None
    size = sum(map(len, action.argv)) + len(action.argv) + len(action.line or "")
    if size <= MAX_DECIDED_CHARS:
        return None
    return Decision(
        verdict="deny",
        rule="corral:command-size",
        reason=f"the command is {size:,} characters long (its arguments and line); corral "
        f"decides commands of at most {MAX_DECIDED_CHARS:,} (pass data in a file or on stdin)",
    )


class ActionDenied(CorralError, PermissionError):
    """The gate (policy) refused an action."""

    def __init__(self, decision: Decision, what: str) -> None:
        self.decision = decision
        self.what = what
        rule = f" (rule {decision.rule})" if decision.rule else ""
        super().__init__(f"{what} denied{rule}: {decision.reason}")

    def __reduce__(self) -> Any:  # crosses processes whole (a fleet slot's refusal)
        return (type(self), (self.decision, self.what))


def _cleanup(
    interps: dict[str, Interpreter], tiers: list[Backend], root: Path | None, more: list[Path]
) -> None:
    for tier in tiers:
        with contextlib.suppress(Exception):
            tier.close()
    tiers.clear()
    for it in list(interps.values()):
        with contextlib.suppress(Exception):
            it.close()
    interps.clear()
    if root is not None:
        remove_tree(root, ignore_errors=True)
        for path in more:
            remove_tree(path, ignore_errors=True)


class Sandbox:
    """A WebAssembly sandbox for untrusted Python and JavaScript.

    Args:
        budget: resource limits (see :class:`corral.Budget`).
        workdir: use this host directory as ``/workspace`` (kept on close);
            default: a fresh temporary directory, removed on close.
            ``workspace=`` is the same.
        keep: keep the temporary directory on close.
        tools: host functions to register (a list, or a name → function dict).
        capabilities: what tool calls are allowed. Default: every registered
            tool, limited only by ``budget.tool_calls``.
        bus: the event bus to publish on (default: ``corral.events.default_bus``).
        policy: a :class:`corral.policy.Policy`, a built-in name (``"default"``,
            ``"strict"``, ``"permissive"``), a path to a YAML file, YAML text or
            a dict. It decides every action, and supplies the budget and the
            tool capabilities unless those are given too.
        approver: answers the policy's ``ask`` rules (:class:`corral.policy.Terminal`,
            ``Callback``, ``Queue``, or a plain sync/async function of the
            :class:`~corral.policy.ApprovalRequest` returning a bool or an answer such
            as ``"allow_always"``); without one, ``ask`` means deny.
        gate: a custom decider instead of a policy (anything with ``decide``).
        backend: where ``run()`` executes: ``"wasm"`` (default: the corral shell,
            pip-only), ``"bwrap"`` (real Linux programs under bubblewrap, seccomp,
            cgroups, an egress proxy and every execve decided by the gate) or
            ``"gvisor"`` (the same under runsc). ``python()``/``js()`` always use
            the WebAssembly guests.
        copy_workspace: native backends: work on a copy of ``workdir``.
        monitor: ``True`` for the default rule pack, a :class:`corral.monitor.Monitor`,
            or ``False``. Default: on when a policy is given (configured by its
            ``monitor:`` section), off otherwise. Alerts are in ``sb.alerts`` and on
            the bus as ``monitor.alert`` events; blocking responses (deny, ask,
            pause, kill) stop the action before it runs.
        session: a session id for events (default: random).
        env: extra environment variables for the programs of the native backends
            (their environment is otherwise clean: nothing of the host's leaks in).
        backend_options: settings of a native backend, e.g. ``{"limits":
            NativeLimits(processes=64, cpu_s=10)}`` or, for gVisor, ``{"platform":
            "ptrace"}`` (faster than the default systrap for many short processes).
            Without ``limits``, the policy's ``cpu_s`` and ``net_out_mb`` budgets apply.
        tags: labels stamped on every event (and so on every alert's ``monitor.alert``
            event), e.g. ``{"run": "r1", "episode": 42}``: str keys, JSON-scalar values
            (:func:`corral.events.check_tags`). Every event also carries ``step``: the
            number of the call it happened in (each ``run``/``python``/``js``/``exec``
            and each reported ``files`` op is one step; ``sb.step`` is the current one).
        template: native backends: start from this template (``corral template build`` /
            ``import``): its base read-only and shared, this sandbox's changes private.
    """

    def __init__(
        self,
        *,
        budget: Budget | None = None,
        workdir: str | os.PathLike[str] | None = None,
        keep: bool = False,
        tools: list[Callable[..., Any]] | dict[str, Callable[..., Any]] | None = None,
        capabilities: CapabilitiesLike = None,
        bus: EventBus | None = None,
        gate: Gate | None = None,
        session: str | None = None,
        policy: Any = None,
        approver: Any = None,
        backend: str = "wasm",
        copy_workspace: bool = False,
        monitor: Any = None,
        workspace: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        backend_options: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        template: Any = None,
    ) -> None:
        if workspace is not None:
            if workdir is not None:
                raise ValueError("give workdir or workspace (the same thing), not both")
            workdir = workspace
        if workdir is not None:  # a guest writes here: corral's caches beneath it untrusted
            from .paths import note_guest_writable

            note_guest_writable(workdir)
        tier_cls = backend_class(backend)  # an unknown name: a ValueError naming the known ones
        self.backend = backend
        self.env = _check_env(env)
        self._backend_options = _check_backend_options(backend, backend_options)
        self.template = _check_template(backend, template)
        self.session = session or uuid.uuid4().hex[:16]
        self.events = SessionEvents(bus or default_bus, self.session, tags)
        self._calls = threading.local()  # the depth of public calls on this thread (steps)
        self.policy = None
        if policy is not None:
            from .policy import load

            self.policy = load(policy)
            if budget is None:
                budget = self.policy.budget()
            if capabilities is None:
                capabilities = self.policy.tools_capabilities()
        if approver is not None:
            from .policy import Terminal
            from .policy.approvers import as_approver

            approver = as_approver(approver)  # a function becomes a Callback; junk: TypeError
            if self.policy is None:
                raise ValueError("an approver needs a policy (it answers the policy's 'ask' rules)")
            if isinstance(approver, Terminal):
                approver = _TerminalPause(approver, self)
        if gate is None and self.policy is not None:
            if approver is not None:
                from .policy import ApprovalGate

                gate = ApprovalGate(self.policy, approver, events=self.events)
            else:
                gate = self.policy
        self.budget = budget or Budget()
        self.gate = gate
        self._backend_options = _grant_devices(backend, self._backend_options, self._policy())
        self._approver = approver
        self._stopped: str | None = None  # why the monitor killed/paused the session
        self.monitor = self._make_monitor(monitor)
        if workdir is None:
            base = os.environ.get("CORRAL_SANDBOX_DIR") or None
            root = Path(tempfile.mkdtemp(prefix="corral-sb-", dir=base))
            self._owned = not keep
        else:
            root = Path(workdir)
            root.mkdir(parents=True, exist_ok=True)
            self._owned = False
        self.path = root.resolve()
        self._ws = Workspace(self.path, self.budget)
        self.files = Files(self._ws, self._report_file)
        self.tools = ToolRegistry()
        self._caps_arg = capabilities
        self._caps = self._make_caps(capabilities)
        self._interps: dict[str, Interpreter] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tier: Backend | None = None  # the isolation tier, started on first use
        self._hooks: _TierHooks | None = None  # what the tier and the guests ask
        self._tiers: list[Backend] = []  # for the finalizer
        self._tier_command: str | list[str] | None = None  # what run()/exec() just decided
        self._terminal: Any = None  # the TerminalIO of a running exec(terminal=True)
        self._copy_workspace = copy_workspace
        self._quarantine: Path | None = None  # what runs left that the policy refuses
        self._scratch: list[Path] = []  # removed with an owned workspace
        self._finalizer = weakref.finalize(
            self,
            _cleanup,
            self._interps,
            self._tiers,
            self.path if self._owned else None,
            self._scratch,
        )
        if isinstance(tools, dict):
            for name, fn in tools.items():
                self.tools.register(fn, name=name)
        elif tools:
            for fn in tools:
                self.tools.register(fn)
        data: dict[str, Any] = {
            "backend": self.backend,
            "path": str(self.path),
            "budget": self.budget.to_dict(),
        }
        if isinstance(self.template, str):  # what it starts from, for the audit log
            data["template"] = self.template
        prepare = getattr(tier_cls, "prepare", None)
        if prepare is not None:  # e.g. the wasm tier: its worker template starts loading now
            data["confinement"] = prepare()
        self.events.emit("sandbox.created", data=data)
        if backend == "wasm" and not self._owned:
            self._put_back_hidden()

    def _put_back_hidden(self) -> None:
        """What a wasm sandbox that died during a guest's run left hidden from this
        workspace, put back (:func:`corral.wasm.hiding.recover`), said in the log."""
        from .wasm.hiding import recover

        try:
            note = recover(self.path, self._quarantine_dir)
        except OSError as e:
            note = f"corral: files hidden by a dead sandbox could not be put back ({e})\n"
        if note:
            log.warning("%s", note.strip())

    # -- context management ----------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the interpreters and remove the directory (unless kept)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if getattr(self, "_unwatch", None) is not None:
                self._unwatch()
            if not self._owned and self._hooks is not None and self.backend != "wasm":
                # the caller's workspace outlives the sandbox: once every program of it
                # has ended, what one left after the last call's check is taken out too
                for tier in self._tiers:
                    with contextlib.suppress(Exception):
                        tier.close()
                note = self._undo_refused_writes()
                if note:
                    log.warning("at close: %s", note.strip())
            self._finalizer()
            self.events.emit("sandbox.closed")

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def quarantine(self) -> Path | None:
        """Where corral moved what a run on a native tier left in the workspace that the
        policy refuses to let it write (a new ``.git/hooks``, an agent's settings), or
        None if nothing was. Beside an owned workspace, and removed with it; in the
        temporary directory, and kept, for a ``workdir`` of the caller's."""
        return self._quarantine

    def _quarantine_dir(self) -> Path:
        if self._quarantine is None:
            base = str(self.path.parent) if self._owned else None
            self._quarantine = Path(tempfile.mkdtemp(prefix="corral-quarantine-", dir=base))
            if self._owned:
                self._scratch.append(self._quarantine)
        return self._quarantine

    @property
    def tags(self) -> dict[str, Any]:
        """The tags every event of this sandbox carries (a copy)."""
        return dict(self.events.tags)

    @property
    def step(self) -> int:
        """The number of the latest call (0 before the first)."""
        return self.events.step

    @contextlib.contextmanager
    def _stepping(self) -> Any:
        """One public call = one step; calls made inside it (exec → run, a tool's
        files op) belong to it."""
        depth = getattr(self._calls, "depth", 0)
        if depth == 0:
            self.events.next_step()
        self._calls.depth = depth + 1
        try:
            yield
        finally:
            self._calls.depth = depth

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxClosed("this sandbox is closed")
        if self._stopped is not None:
            from .errors import SessionStopped

            raise SessionStopped(self._stopped)

    # -- the monitor -------------------------------------------------------------

    def _make_monitor(self, monitor: Any) -> Any:
        if monitor is None:
            monitor = self.policy is not None
        if monitor is False:
            return None
        from .monitor import Monitor

        if monitor is True:
            mon = Monitor.from_policy(self.policy) if self.policy is not None else Monitor()
        else:
            mon = monitor
        mon.responder = mon.responder or _MonitorResponder(self)
        user_cb = mon.on_alert

        def on_alert(alert: Any) -> None:
            if alert.session == self.session:
                self.events.emit("monitor.alert", data=alert.model_dump(mode="json"))
            if user_cb is not None:
                user_cb(alert)

        mon.on_alert = on_alert
        session = self.session
        self._unwatch = self.events.bus.subscribe(
            lambda ev: (
                mon.observe(ev) if ev.session == session and ev.type != "monitor.alert" else None
            )
        )
        return mon

    @property
    def alerts(self) -> list[Any]:
        """The monitor's alerts for this session (empty without a monitor)."""
        return self.monitor.alerts(self.session) if self.monitor is not None else []

    @property
    def stopped(self) -> str | None:
        """Why the monitor killed or paused this session (``None`` while it may run)."""
        return self._stopped

    def resume(self) -> None:
        """Let a session the monitor paused go on."""
        if self._stopped is not None and self._stopped.startswith("paused"):
            self._stopped = None

    # -- tools ---------------------------------------------------------------

    def tool(self, func: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        """Register a host function as a tool (usable as a decorator)."""
        return self.tools.register(func, name=name)

    def _make_caps(self, caps: CapabilitiesLike) -> Capabilities:
        total = self.budget.tool_calls
        if caps is None:
            return Capabilities([MethodCapability("**")], max_total_calls=total)
        if isinstance(caps, Capabilities):
            return caps
        items = [
            c if isinstance(c, MethodCapability) else MethodCapability.from_dict(c) for c in caps
        ]
        return Capabilities(items, max_total_calls=total)

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    def _handle_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        action = ToolAction(name=name, args=args)
        decision = self._decide(action)
        if not decision.allowed:
            self.events.emit("action.denied", action=action, decision=decision)
            return {
                "ok": False,
                "kind": "denied",
                "error": f"tool {name!r} denied: {decision.reason}",
            }
        tool = self.tools.get(name)
        if tool is None:
            err = f"no tool named {name!r}; available: {', '.join(self.tools.names()) or 'none'}"
            self.events.emit("action.denied", action=action, data={"reason": err})
            return {"ok": False, "kind": "denied", "error": err}
        try:
            cap = self._caps.authorize(name, args)
        except CapabilityError as e:
            self.events.emit(
                "action.denied", action=action, data={"reason": str(e), "check": "capability"}
            )
            return {"ok": False, "kind": "denied", "error": str(e)}
        self.events.emit(
            "action.requested",
            action=action,
            decision=decision,
            data={"capability": cap.method_pattern},
        )
        try:
            value = to_json_value(run_tool(tool, args, self._loop), name)
        except Exception as e:
            msg = f"{type(e).__name__}: {e}" if not isinstance(e, ToolError) else str(e)
            self.events.emit("action.completed", action=action, outcome={"ok": False, "error": msg})
            return {"ok": False, "kind": "error", "error": msg}
        self.events.emit("action.completed", action=action, outcome={"ok": True})
        return {"ok": True, "value": value}

    # -- agent adapters (corral.adapters) ----------------------------------------

    def openai_tools(self) -> list[dict[str, Any]]:
        """The sandbox's six tools as OpenAI function-calling schemas (``tools=``)."""
        from .adapters.openai import openai_tools

        return openai_tools()

    def handle(self, tool_call: Any) -> str:
        """Run an OpenAI tool call (object or dict) here; text for the model, never raises
        for bad arguments or refusals."""
        from .adapters.openai import handle

        return handle(self, tool_call)

    # -- policy hook -----------------------------------------------------------

    def _decide(self, action: Any) -> Decision:
        refusal = too_large_to_decide(action)
        if refusal is not None:
            return refusal
        return self._with_monitor(action, self._decide_policy(action))

    def _with_monitor(self, action: Any, decision: Decision) -> Decision:
        """After the policy allowed ``action``: a blocking monitor alert (deny,
        ask → the approver, pause, kill) refuses it before it runs."""
        if not decision.allowed or self.monitor is None:
            return decision
        alert = self.monitor.precheck(action, self.session)
        if alert is None or not alert.blocking:
            return decision
        allowed = self._ask_about(alert) if alert.response == "ask" else False
        if alert.response in ("kill", "pause"):
            self.monitor.respond(alert)
        if allowed:
            return decision
        return Decision(
            verdict="deny",
            rule=f"monitor:{alert.rule}",
            reason=f"the monitor stopped it: {alert.summary} "
            f"[{alert.severity}, {alert.technique or 'no technique'}]",
        )

    def _decide_policy(self, action: Any) -> Decision:
        if self.gate is None:
            return ALLOW
        decision = self.gate.decide(action, self.session)
        if decision.verdict == "ask":
            return Decision(
                verdict="deny",
                rule=decision.rule,
                principle=decision.principle,
                reason=f"{decision.reason} (needs approval and no approver is configured)",
            )
        return decision

    def _report_file(self, op: str, path: str, size: int | None) -> None:
        with self._stepping():
            self._report_file_step(op, path, size)

    def _report_file_step(self, op: str, path: str, size: int | None) -> None:
        self._check_open()
        action = FileAction(op=op, path=path, size=size)  # type: ignore[arg-type]
        decision = self._decide(action)
        if not decision.allowed:
            self.events.emit("action.denied", action=action, decision=decision)
            raise ActionDenied(decision, f"file {op} of {path}")
        self.events.emit("action.requested", action=action, decision=decision)

    # -- running code ------------------------------------------------------------

    def python(
        self,
        code: str,
        *,
        stdin: str = "",
        timeout: float | None = None,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run Python in this sandbox's persistent interpreter (``on_output(stream,
        text)`` gets the output as it is written)."""
        return self._run("python", code, stdin, timeout, on_output)

    def js(
        self,
        code: str,
        *,
        stdin: str = "",
        timeout: float | None = None,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run JavaScript (QuickJS-ng; top-level ``await`` works)."""
        return self._run("js", code, stdin, timeout, on_output)

    # -- the shell ------------------------------------------------------------------

    def run(
        self,
        script: str,
        *,
        stdin: str = "",
        timeout: float | None = None,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run a bash script in the corral shell (state persists between calls).

        ``on_output(stream, text)`` (``stream`` is ``"stdout"`` or ``"stderr"``) gets
        the output as it is written, before the call ends; the result still holds all
        of it."""
        if not isinstance(script, str):
            raise TypeError(f"script must be a str, got {type(script).__name__}")
        with self._lock, self._stepping():
            self._check_open()
            action = CodeAction(language="shell", code=script)
            decision = self._decide_script(action)
            if not decision.allowed:
                self.events.emit("action.denied", action=action, decision=decision)
                return _denied("shell", decision, "corral: denied")
            self.events.emit("action.requested", action=action, decision=decision)
            return self._run_tier(action, script, stdin, timeout, on_output=on_output)

    def exec(
        self,
        argv: list[str],
        *,
        stdin: str = "",
        timeout: float | None = None,
        terminal: bool = False,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run one program with its arguments, no shell in between.

        The program is decided by the policy as an ``exec`` action first (an ``ask``
        goes to the approver). On the native backends it runs for real, every program
        it starts decided again as it starts; on ``"wasm"`` it runs in the corral
        shell. ``terminal=True`` (native backends) connects it to this process's own
        stdin/stdout/stderr instead of capturing them: a pseudo-terminal of its own
        when they are terminals (interactive programs, job control, Ctrl-C), relayed
        pipes otherwise; the result then has empty ``stdout``/``stderr``.
        ``on_output(stream, text)`` gets captured output as it arrives.
        """
        if (
            not isinstance(argv, list | tuple)
            or not argv
            or not all(isinstance(a, str) for a in argv)
        ):
            raise TypeError("argv must be a non-empty list of str")
        if any("\0" in a for a in argv):
            raise ValueError("argv must not contain NUL characters")
        if argv[0] == "":
            raise ValueError("argv[0] (the program) must not be empty")
        argv = list(argv)
        if self.backend == "wasm":
            if terminal:
                raise ValueError(
                    "terminal=True needs a native backend (backend='bwrap' or 'gvisor')"
                )
            # the corral shell runs it: decided command by command as a script
            return self.run(shlex.join(argv), stdin=stdin, timeout=timeout, on_output=on_output)
        with self._lock, self._stepping():
            self._check_open()
            action = ExecAction(argv=argv, cwd="/workspace", line=shlex.join(argv))
            decision = self._decide(action)
            if not decision.allowed:
                self.events.emit("action.denied", action=action, decision=decision)
                return _denied("bash", decision, f"corral: {argv[0]}: denied")
            self.events.emit("action.requested", action=action, decision=decision)
            return self._run_tier(
                action, argv, stdin, timeout, terminal=terminal, on_output=on_output
            )

    def _backend(self) -> Backend:
        """The isolation tier, built and started on first use through the tier table."""
        if self._tier is None:
            policy = self._policy()
            # a connection's name through the gate (approver, monitor), its addresses
            # through the policy's address rules (corral.net.gate)
            net_decide = self._net_gate() if policy is not None else _deny_network
            options = dict(self._backend_options)
            hooks = self._tier_hooks()
            if self.backend == "wasm":
                # the shell worker asks the sandbox about every command, guest, tool, fetch;
                # with nothing to decide, it only reports its commands
                options.update(
                    ask_exec=self.gate is not None or self.monitor is not None,
                    tool_names=self.tools.names,
                    disk_check=self._ws.quota_problem,
                    cpu_s=(policy.extra_budgets or {}).get("cpu_s") if policy else None,
                    predecided=hooks.predecided,
                    file_screen=hooks.file_screen,
                )
                gate: Any = hooks
            else:
                if "limits" not in options and policy is not None and policy.extra_budgets:
                    from .native import NativeLimits

                    options["limits"] = NativeLimits(**policy.extra_budgets)
                # the policy and the monitor decide every real program start
                gate = hooks if self.gate is not None or self.monitor is not None else None
                # the workspace's file rules as mounts (filewalls.py)
                options["file_walls"] = hooks.file_walls
                if self.template is not None:
                    options["template"] = self.template
            tier = backend_class(self.backend)(
                self.path,
                self.budget,
                gate=gate,
                events=self.events,
                session=self.session,
                copy_workspace=self._copy_workspace,
                net_decide=net_decide,
                env=self.env,
                **options,
            )
            tier.start()
            self._tier = tier
            self._tiers.append(tier)
        return self._tier

    def _policy(self) -> Any:
        """The policy that decides here: the one given, or the one inside a custom gate."""
        return self.policy if self.policy is not None else getattr(self.gate, "policy", None)

    def _net_gate(self) -> Any:
        from .net.gate import NetGate

        policy = self._policy()
        return NetGate(self._decide if self.gate is not None else None, policy)

    def _run_tier(
        self,
        action: CodeAction | ExecAction,
        command: str | list[str],
        stdin: str,
        timeout: float | None,
        *,
        terminal: bool = False,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run an action the gate allowed in the tier; report how it ended."""
        backend = self._backend()
        self._tier_command = command
        tio = None
        if terminal:
            from .native.terminal import TerminalIO

            # gVisor makes the sandbox's pty itself (console socket); bwrap gets one
            tio = self._terminal = TerminalIO(console=backend.name == "gvisor")
        note = ""
        try:
            result = backend.run(
                command,
                stdin=stdin.encode("utf-8", "surrogateescape"),
                timeout=timeout,
                terminal=tio,
                on_output=on_output,
            )
        finally:
            self._tier_command = None
            if tio is not None:
                tio.close()
                self._terminal = None
            note = self._undo_refused_writes()
        result.stderr += note
        self._completed(action, result)
        return result

    def _guest_run(self, it: Any, code: str, **kwargs: Any) -> RunResult:
        """One run of a wasm guest (a Python or JavaScript call, or one the shell
        started): guest code runs only inside it. The drivers' file checks run in the
        guests' interpreters, so the walls are the host's (:meth:`_TierHooks.hide_refused_reads`):
        what the policy refuses to let the sandbox read is out of the guest's preopened
        directory while it runs, and what it refuses to let it write, changed or made by
        the run (``import("qjs:std")`` opens past the driver), is taken out after it."""
        from .wasm.hiding import held

        hooks = self._tier_hooks()
        if hooks.file_screen() is None:  # no file rules: nothing to hide or take out
            result: RunResult = it.run(code, **kwargs)
            return result
        note = ""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(held(self.path))  # one guest run at a time here
                hidden = hooks.hide_refused_reads()
            except OSError as e:  # fails closed: the guest does not run
                log.warning("the guest was not run: %s", e)
                why = (
                    "corral: the files the policy refuses could not be taken out of the "
                    f"guest's reach ({e}); the guest was not run\n"
                )
                return RunResult(
                    language=it.language, exit_code=126, error="denied", error_message=why.strip(),
                    stderr=why,
                )  # fmt: skip
            try:
                result = it.run(code, **kwargs)
            finally:
                if hidden is not None:
                    try:
                        note = str(hidden.restore(self._quarantine_dir))
                    except Exception:  # never lose the call's own result or error to it
                        log.exception("putting back the files hidden from the guests failed")
                        note = "corral: files hidden from the guest could not all be put back\n"
                    try:
                        note += hooks.undo_refused_writes()
                    except Exception:
                        log.exception("checking the workspace after the guest's run failed")
        result.stderr += note
        return result

    def _undo_refused_writes(self) -> str:
        """What a native run left that the policy refuses to let it write, taken out
        (:meth:`_TierHooks.undo_refused_writes`); also after a run that raised. (On wasm
        the guests' runs do it themselves: :meth:`_guest_run`.)"""
        if self._hooks is None or self.backend == "wasm":
            return ""
        try:
            return self._hooks.undo_refused_writes()
        except Exception:  # never lose the run's own result or error to it
            log.exception("checking the workspace after the run failed")
            return ""

    def _decide_script(self, action: CodeAction) -> Decision:
        """A whole shell script is decided once before it runs (so rules about
        whole lines, like ``curl ... | sh``, apply); an ``ask`` is put to a person here
        only when it comes from such a rule (:meth:`Policy.decide_lines`): otherwise
        each command is decided, and asked about, as it runs. A script
        longer than :data:`MAX_SCRIPT_CHARS` is refused before anything reads it."""
        if len(action.code) > MAX_SCRIPT_CHARS:
            return Decision(
                verdict="deny",
                rule="corral:script-size",
                reason=f"the script is {len(action.code):,} characters long; corral runs "
                f"scripts of at most {MAX_SCRIPT_CHARS:,} (write long content to a file "
                f"first, e.g. with Sandbox.files.write, then run a short command on it)",
            )
        return self._with_monitor(action, self._decide_script_policy(action))

    def _ask_about(self, alert: Any) -> bool:
        """A monitor ``ask`` before an action runs: a "no" refuses that action only."""
        responder = self.monitor.responder if self.monitor is not None else None
        try:
            answer = bool(responder.ask(alert)) if responder is not None else False
        except Exception:
            answer = False
        alert.answer = answer
        return answer

    def _decide_script_policy(self, action: CodeAction) -> Decision:
        if self.gate is None:
            return ALLOW
        # the policy itself, not an approval gate around it: no question here
        policy = self.policy if self.policy is not None else getattr(self.gate, "policy", self.gate)
        decision = policy.decide(action, self.session)
        if decision.verdict != "ask":
            return decision
        lines = getattr(policy, "decide_lines", None)
        whole = lines(action.code) if lines is not None else None
        if whole is not None and whole.verdict == "ask":
            # a rule about a whole line (``… | sh``): no command of the script sees the
            # line around it as it runs, so the question is put now, about the script
            answer = getattr(self.gate, "answer", None)
            if answer is not None:
                return answer(action, whole, self.session)
            return Decision(
                verdict="deny",
                rule=whole.rule,
                principle=whole.principle,
                reason=f"{whole.reason} (needs approval and no approver is configured)",
            )
        return Decision(
            verdict="allow",
            rule=decision.rule,
            principle=decision.principle,
            reason=f"each command will be decided as it runs ({decision.reason})",
        )

    @property
    def shell_cwd(self) -> str:
        """The corral shell's current directory (``/workspace`` until a ``cd``)."""
        return str(getattr(self._tier, "cwd", GUEST_ROOT))

    def interrupt(self) -> None:
        """Interrupt the running shell script as Ctrl-C would (it returns exit 130)."""
        interrupt = getattr(self._tier, "interrupt", None)
        if interrupt is not None:
            interrupt()

    def _sample(self, data: dict[str, Any]) -> None:
        """A guest call's resource sample (corral.wasm.samples) as an event."""
        self.events.emit("resource.sample", data=data)

    def _tier_hooks(self) -> _TierHooks:
        if self._hooks is None:
            self._hooks = _TierHooks(self)
        return self._hooks

    def _guest_files(self, language: str) -> dict[str, Any]:
        """A guest's file rules (its driver checks them before an open, remove, rename
        or mkdir): the screen of the paths it asks about and the host's answer (the
        shell's, :meth:`_TierHooks.decide_file`, reported with ``source`` the language)."""
        if language not in ("python", "js"):
            return {}
        screen = self._tier_hooks().file_screen()
        if screen is None:
            return {}

        def check(op: Any, path: Any) -> tuple[bool, str]:
            return self._guest_file_check(op, path, language)

        return {"file_screen": screen, "file_check": check}

    def _guest_file_check(self, op: Any, path: Any, language: str) -> tuple[bool, str]:
        from .wasm.shellproc import file_notice

        notice = file_notice({"file_op": op, "path": path})
        if notice is None or notice[2]:
            return False, "malformed file check"
        hooks = self._tier_hooks()
        screen = hooks.compiled_screen()
        # the name and, when a symlink inside leads elsewhere, what it reaches (a guest
        # without realpath, the JavaScript one, asks about every workspace path)
        for name in self._ws.names_of(notice[1]):
            if screen is not None and not screen.needs_host(notice[0], name):
                continue
            allowed, reason = hooks.decide_file(notice[0], name, source=language)
            if not allowed:
                return False, reason
        return True, ""

    def _interpreter(self, language: str) -> Interpreter:
        it = self._interps.get(language)
        if it is None:
            from .wasm.interpreter import Interpreter

            it = Interpreter(language, self.path, self.budget)
            self._interps[language] = it
        return it

    def _run(
        self,
        language: str,
        code: str,
        stdin: str,
        timeout: float | None,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, got {type(code).__name__}")
        with self._lock, self._stepping():
            self._check_open()
            action = CodeAction(language=language, code=code)  # type: ignore[arg-type]
            decision = self._decide(action)
            if not decision.allowed:
                self.events.emit("action.denied", action=action, decision=decision)
                return _denied(language, decision, "corral: denied")
            self.events.emit("action.requested", action=action, decision=decision)
            if self.backend != "wasm":
                return self._run_native_code(action, code, stdin, timeout, on_output)
            it = self._interpreter(language)
            budget = self.budget if timeout is None else self.budget.with_(wall_s=timeout)
            was_started = it.starts
            result = self._guest_run(
                it,
                code,
                stdin=stdin,
                tools=self.tools.names(),
                tool_handler=self._handle_tool,
                disk_check=self._ws.quota_problem,
                budget=budget,
                on_output=on_output,
                on_intent=GuestIntents(self.events, language),
                on_sample=self._sample,
                **self._guest_files(language),
            )
            if it.starts != was_started:
                self.events.emit(
                    "interpreter.restarted" if result.restarted else "interpreter.started",
                    data={"language": language},
                )
            used, nfiles = self._ws.disk_usage()
            result.usage.disk_bytes, result.usage.disk_files = used, nfiles
            self._completed(action, result)
            return result


    def _run_native_code(
        self,
        action: CodeAction,
        code: str,
        stdin: str,
        timeout: float | None,
        on_output: OnOutput | None,
    ) -> RunResult:
        """python()/js() on a native tier: the real interpreter inside its sandbox, kept
        between calls (the tier starts it, and reports interpreter.started/restarted)."""
        from .native.session import INTERPRETERS

        backend: Any = self._backend()
        # the interpreter's own start is corral's, allowed as the code itself was
        self._tier_command = list(INTERPRETERS[action.language][0])
        note = ""
        try:
            result: RunResult = backend.code(
                action.language,
                code,
                stdin=stdin.encode("utf-8", "surrogateescape"),
                timeout=timeout,
                on_output=on_output,
            )
        finally:
            self._tier_command = None
            note = self._undo_refused_writes()
        result.stderr += note
        self._completed(action, result)
        return result

    def _completed(self, action: CodeAction | ExecAction, result: RunResult) -> None:
        """``action.completed`` for a call that ran (and ``budget.exceeded`` if it overran)."""
        outcome = {
            "exit_code": result.exit_code,
            "error": result.error,
            "usage": result.usage.to_dict(),
            "stdout_chars": len(result.stdout),
            "stderr_chars": len(result.stderr),
        }
        self.events.emit("action.completed", action=action, outcome=outcome)
        if result.budget_exceeded:
            self.events.emit(
                "budget.exceeded",
                action=action,
                data={"budget": result.budget_exceeded, "message": result.error_message},
            )


class _MonitorResponder:
    """What the monitor's responses do to a sandbox."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def kill(self, session: str) -> None:
        sb = self.sb
        if session != sb.session or sb._stopped is not None:
            return
        sb._stopped = "killed by the monitor"
        sb.events.emit("session.killed", data={"reason": sb._stopped})
        for it in list(sb._interps.values()):
            with contextlib.suppress(Exception):
                it.close()
        if sb._tier is not None:
            with contextlib.suppress(Exception):
                sb._tier.kill()

    def pause(self, session: str) -> None:
        sb = self.sb
        if session != sb.session or sb._stopped is not None:
            return
        sb._stopped = "paused by the monitor (call sb.resume() to go on)"
        sb.events.emit("session.paused", data={"reason": sb._stopped})

    def ask(self, alert: Any) -> bool:
        approver = self.sb._approver
        if approver is None:
            return False
        from .events import ToolAction
        from .policy import ApprovalRequest

        request = ApprovalRequest(
            action=ToolAction(name=f"monitor/{alert.rule}", args={"summary": alert.summary}),
            decision=Decision(verdict="ask", rule=f"monitor:{alert.rule}", reason=alert.summary),
            session=self.sb.session,
            timeout_s=getattr(self.sb.policy, "approval_timeout_s", 120.0),
            default="deny",
        )
        try:
            answer = approver.ask(request)
        except Exception:
            return False
        return str(getattr(answer, "value", answer)).startswith("allow")


def _deny_network(host: str, port: int | None = None, ip: str | None = None) -> Decision:
    return Decision(
        verdict="deny",
        rule="no-network-policy",
        reason="no policy allows network access (pass a policy that allows this host)",
    )


def _denied(language: str, decision: Decision, prefix: str) -> RunResult:
    """The result of a run the gate refused: exit 126 and one line saying why."""
    return RunResult(
        language=language,
        exit_code=126,
        error="denied",
        error_message=decision.reason,
        stderr=f"{prefix}: {decision.reason}\n",
    )


#: what the Sandbox itself gives a native backend (not a backend option)
def _check_backend_options(backend: str, options: dict[str, Any] | None) -> dict[str, Any]:
    if not options:
        return {}
    if not isinstance(options, dict):
        raise TypeError("backend_options must be a dict")
    if backend == "wasm":
        raise ValueError("backend_options are for the native backends ('bwrap', 'gvisor')")
    cls = backend_class(backend)
    known = set(inspect.signature(cls.__init__).parameters) - OWN_ARGS - {"self"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(
            f"unknown {backend} backend option(s) {', '.join(map(repr, unknown))}; "
            f"expected some of: {', '.join(sorted(known))}"
        )
    return dict(options)


def _grant_devices(backend: str, options: dict[str, Any], policy: Any) -> dict[str, Any]:
    """A native tier's ``gpu`` option: the policy's ``devices.gpu`` (a backend option cannot
    widen it); binds that would show host devices are refused now, naming that field."""
    if backend == "wasm":
        return options
    from .native.devices import POLICY_FIELD, DeviceBindRefused, check_binds

    asked = options.get("gpu", False)
    if not isinstance(asked, bool):
        raise TypeError(f"backend_options gpu must be true or false, not {asked!r}")
    granted = bool(getattr(policy, "gpu", False)) if policy is not None else asked
    if asked and not granted:
        raise DeviceBindRefused(
            f"backend_options gpu=True, but the policy has {POLICY_FIELD}: false "
            f"(a GPU is granted by the policy's {POLICY_FIELD}: true)"
        )
    check_binds([str(p) for p in options.get("ro_binds", ())], gpu=granted)
    return {**options, "gpu": granted}


def _check_template(backend: str, template: Any) -> Any:
    """The template to start from (its name checked now: a missing one is a clear error)."""
    if template is None:
        return None
    from . import templates

    if backend == "wasm":
        raise templates.TemplateError(
            "templates are for the native backends: use backend='bwrap' or 'gvisor'"
        )
    if isinstance(template, templates.BuildLayer | templates.Template):
        return template
    return templates.get(template).name  # a bad or unknown name: an error naming it


def _check_env(env: dict[str, str] | None) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise TypeError("env must be a dict of str to str")
    for k, v in env.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"env: {k!r} must map a str to a str")
        if not k or "=" in k or "\0" in k or "\0" in v:
            raise ValueError(f"env: {k!r} is not a valid variable name")
    return dict(env)


class _TerminalPause:
    """A terminal approver that takes the terminal back from a running
    ``exec(terminal=True)`` while it asks (cooked mode, input not forwarded)."""

    def __init__(self, inner: Any, sb: Sandbox) -> None:
        self.inner = inner
        self.sb = sb
        self.who = getattr(inner, "who", "a person")

    def ask(self, request: Any) -> Any:
        tio = self.sb._terminal
        if tio is None:
            return self.inner.ask(request)
        with tio.paused():
            return self.inner.ask(request)


#: the shell commands that run a WebAssembly guest (shell/bridges.py)
_GUEST_COMMANDS = frozenset({"python", "python3", "node", "js", "nodejs"})


class _TierHooks:
    """What a tier asks its sandbox: real process starts (native tiers, ``decide``);
    commands, guests, tools and fetches (the corral shell's worker)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._guest_grants = 0
        self._shortcuts: tuple[Any, dict[str, Any] | None] = (None, None)
        self._screen: tuple[Any, dict[str, Any] | None] = (None, None)
        self._walls: tuple[Any, Any] = (None, None)  # (policy, its WallPlanner)
        # the last start's walk: (workspace root, its WallPlan), what a run is compared to
        self._started: tuple[Path, Any] | None = None
        self._unchecked = False  # a run's workspace was too large to check after it
        self._room: Any = None  # what the quarantine may still take (filewalls.Room)
        self._compiled: tuple[Any, Any] = (None, None)  # (screen table, FileScreen)
        # what the native monitors identify programs by (execid.ProgramTable.for_policy)
        self.policy = sb._policy()

    def decide(self, action: Any, session: str | None = None) -> Decision:
        argv = getattr(action, "argv", None) or []
        command = self.sb._tier_command
        if isinstance(command, str):
            if argv[1:] == ["-c", command] and argv[0].endswith("bash"):
                # corral's own shell for the script just decided as a whole
                self.sb._tier_command = None
                return Decision(verdict="allow", reason="the script itself (decided before it ran)")
        elif command is not None and argv == command:
            self.sb._tier_command = None
            return Decision(verdict="allow", reason="the program itself (decided before it ran)")
        return self.sb._decide(action)  # the backend reports the spawn on the bus

    def _gate_policy(self) -> Any:
        """The sandbox's gate as a :class:`~corral.policy.Policy` whose tables the shell
        worker may apply itself: the gate itself, or the policy of an approval gate (which
        passes its allows through); None for no gate or any other gate."""
        gate = self.sb.gate
        engine = sys.modules.get("corral.policy.engine")  # a Policy gate has loaded it
        if gate is None or engine is None:
            return None
        approvers = sys.modules.get("corral.policy.approvers")
        policy = gate
        if approvers is not None and type(gate) is approvers.ApprovalGate:
            policy = gate.policy
        return policy if type(policy) is engine.Policy else None

    def predecided(self) -> dict[str, Any] | None:
        """The commands the shell worker may run without asking (reported all the same):
        only when the gate is a policy (or an approval gate over one, which passes its
        allows through) and no monitor could stop a command before it runs."""
        sb = self.sb
        policy = self._gate_policy()
        if policy is None or sb.monitor is not None:
            return None
        if self._shortcuts[0] is not policy:
            self._shortcuts = (policy, policy.exec_shortcuts(never=_GUEST_COMMANDS))
        return self._shortcuts[1]

    def on_exec(self, argv: list[str], cwd: str, line: str) -> tuple[bool, str]:
        sb = self.sb
        action = ExecAction(argv=argv, cwd=cwd, line=line or " ".join(argv))
        decision = sb._decide(action)
        if not decision.allowed:
            sb.events.emit("action.denied", action=action, decision=decision)
            return False, decision.reason
        sb.events.emit("action.requested", action=action, decision=decision)
        if argv and argv[0].rsplit("/", 1)[-1] in _GUEST_COMMANDS:
            self._guest_grants += 1  # one guest run this decision allows
        return True, ""

    def file_screen(self) -> dict[str, Any] | None:
        """The workspace paths whose file operations the shell worker asks about before
        it carries them out (:meth:`corral.policy.Policy.file_screen`): None when the
        gate is not a policy (or an approval gate over one) or has no file rules."""
        policy = self._gate_policy()
        if policy is None:
            return None
        if self._screen[0] is not policy:
            self._screen = (policy, policy.file_screen())
        return self._screen[1]

    def file_walls(self, root: Path) -> Any:
        """The workspace paths a native sandbox walls off with mounts at its start
        (:mod:`corral.filewalls`): those the policy's file rules refuse without a
        person (``deny``; ``ask`` with no approver). None when there are no file rules."""
        policy = self._gate_policy()
        table = self.file_screen()
        if policy is None or table is None:
            return None
        if self._walls[0] is not policy:
            self._walls = (policy, self._wall_planner(policy))
        plan = self._walls[1].plan(root, max_entries=self._reach())
        self._started = (root, plan)
        return plan

    def hide_refused_reads(self) -> Any:
        """wasm: the workspace's files and directories the policy refuses to let the
        sandbox read without a person, renamed out of the guests' reach for one call
        (:mod:`corral.wasm.hiding`: the guests' own checks run in their interpreters);
        None when the policy has no file rules. Restore with ``.restore(quarantine)``."""
        from .wasm.hiding import hide

        root = self.sb.path
        plan = self.file_walls(root)
        if plan is None:
            return None
        hidden = hide(root, [w.rel for w in plan.walls if w.kind == "hide"])
        if plan.partial:
            hidden.note += (
                f"corral: the workspace was not walked whole for files the policy refuses to "
                f"let the sandbox read ({plan.cut}): only the guests' own checks refuse the rest\n"
            )
        return hidden

    def _reach(self) -> int:
        """How many workspace entries a walk looks at: as many as a run could have made
        past its file budget before it was stopped, and at least the walls' own bound."""
        from .filewalls import MAX_ENTRIES

        return max(MAX_ENTRIES, 4 * self.sb.budget.disk_files)

    def undo_refused_writes(self) -> str:
        """After a run on a native tier: what it made (or, on gVisor, changed) in the
        workspace that the policy refuses to let it write, where no wall could stand (a
        new ``.git/hooks``, ``.claude/``, ``AGENTS.md``: :func:`~corral.filewalls.undone`)
        is moved out of the workspace into the sandbox's quarantine, each reported as a
        refused file write; returns the lines to add to the run's stderr ("" if none)."""
        started = self._started
        policy = self._walls[0]
        if started is None or policy is None:
            return ""
        from .filewalls import Room, move_out, undone

        root, before = started
        try:
            rels = undone(before, self._walls[1].plan(root, max_entries=self._reach()))
        except ValueError as e:
            log.warning("the workspace was not checked after the run: %s", e)
            if self._unchecked:
                return ""
            self._unchecked = True  # (said once per sandbox, in the log every time)
            return (
                f"corral: the workspace was not checked for files the policy refuses to "
                f"let a run write ({e})\n"
            )
        if not rels:
            return ""
        notes = []
        if self._room is None:
            self._room = Room()
        for m in move_out(root, rels, self.sb._quarantine_dir(), self._room):
            path = f"/workspace/{m.rel}"
            decision = policy.decide_file("write", path)
            where = f"moved to {m.to}" if m.to else m.note
            data = {"observed": True, "after_run": True, "undone": where}
            self.sb.events.emit(
                "action.denied", action=FileAction(op="write", path=path), decision=decision,
                data=data,
            )  # fmt: skip
            notes.append(
                f"corral: {m.rel}: taken out of the workspace after the run ({where}): "
                f"{decision.reason}\n"
            )
        return "".join(notes)

    def _wall_planner(self, policy: Any) -> Any:
        from .filewalls import WallPlanner

        screen = self.compiled_screen()
        asks_person = policy is not self.sb.gate  # an approval gate over the policy

        def refused(kind: str, path: str) -> bool:
            verdict = policy.decide_file("read" if kind == "read" else "write", path).verdict
            return verdict == "deny" or (verdict == "ask" and not asks_person)

        def may(kind: str, path: str) -> bool:
            return screen is None or screen.needs_host(kind, path)

        return WallPlanner(refused, may)

    def compiled_screen(self) -> Any:
        """:meth:`file_screen` compiled (:class:`corral.wasm.filescreen.FileScreen`)."""
        table = self.file_screen()
        if table is None:
            return None
        if self._compiled[0] is not table:
            from .wasm.filescreen import load

            self._compiled = (table, load(table))
        return self._compiled[1]

    def decide_file(self, op: str, path: str, source: str = "shell") -> tuple[bool, str]:
        """A file operation of the shell's own (a built-in, a redirection) on a path the
        policy's file rules name, asked before it happens (checked by
        ``shellproc.file_notice``): decided, recorded as an event."""
        sb = self.sb
        mapped = FILE_OP_MAP.get(op)
        if mapped is None:
            return False, f"unknown file operation {op!r}"
        action = FileAction(op=mapped, path=path)  # type: ignore[arg-type]
        data: dict[str, Any] = {"source": source}
        if op != mapped:
            data["op"] = op
        decision = sb._decide(action)
        if not decision.allowed:
            sb.events.emit("action.denied", action=action, decision=decision, data=data)
            return False, decision.reason
        sb.events.emit("action.requested", action=action, decision=decision, data=data)
        return True, ""

    def on_file(self, op: str, path: str, refused: bool) -> None:
        """A file the shell opened, changed or tried to (a notice, already checked by
        ``shellproc.file_notice``): a ``FileAction`` event for the monitor."""
        file_event(self.sb.events, op, path, refused, source="shell")

    def run_guest(
        self,
        language: str,
        code: str,
        stdin: str,
        argv: list[str],
        fresh: bool,
        env: dict[str, str],
        deadline: float,
    ) -> tuple[int, str, str] | None:
        sb = self.sb
        if sb.gate is not None or sb.monitor is not None:
            # the worker is not trusted to have asked: a guest run needs a python/node
            # command the sandbox itself allowed
            if self._guest_grants <= 0:
                return 126, "", "corral: denied: no python/node command was allowed for this\n"
            self._guest_grants -= 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        it = sb._interpreter(language)
        budget = sb.budget.with_(wall_s=max(min(remaining, sb.budget.wall_s), 0.001))
        r = sb._guest_run(
            it,
            code,
            stdin=stdin,
            tools=sb.tools.names(),
            tool_handler=sb._handle_tool,
            disk_check=sb._ws.quota_problem,
            budget=budget,
            argv=argv,
            fresh=fresh,
            env=env,
            on_intent=GuestIntents(sb.events, language),
            on_sample=sb._sample,
            **sb._guest_files(language),
        )
        if r.budget_exceeded == "wall_time" and time.monotonic() >= deadline:
            return None
        err = r.stderr
        if r.budget_exceeded and r.budget_exceeded != "wall_time":
            err = err if "[corral]" in err else err + f"[corral] {r.error_message}\n"
        return r.exit_code, r.stdout, err

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.sb._handle_tool(name, args)

    def tool_names(self) -> list[str]:
        return self.sb.tools.names()

    def fetch(self, argv: list[str], cwd: str, deadline: float) -> tuple[int, bytes, bytes]:
        """curl/wget from the shell: the host fetches (the worker has no network) and
        writes ``-o`` files through its own resolver; output capped at the budget."""
        from .netfetch import fetch
        from .shell.command import Cancelled, CommandContext, CommandError

        sb = self.sb
        gate = sb._net_gate()

        def decide(host: str, port: int, url: str, ip: str | None) -> tuple[bool, str]:
            scheme = url.split(":", 1)[0]
            decision = gate(host, port, ip, url=url, protocol=scheme)
            action = NetAction(host=host, port=port, protocol=scheme, url=url, ip=ip)
            if not decision.allowed:
                sb.events.emit("action.denied", action=action, decision=decision)
                return False, decision.reason
            if ip is not None:  # reported once the address it will reach is decided
                sb.events.emit("action.requested", action=action, decision=decision)
            return True, ""

        cap = self.sb.budget.output_chars
        out, err = _CappedBytes(cap), _CappedBytes(cap)
        ctx = CommandContext(
            argv=argv,
            stdin=io.BytesIO(),
            stdout=out,
            stderr=err,
            env={},
            cwd=cwd,
            ws=self.sb._ws,
            deadline=deadline,
        )
        try:
            status = fetch(argv, ctx, decide)
        except CommandError as e:
            err.write(f"{argv[0]}: {e}\n".encode("utf-8", "surrogateescape"))
            status = e.status
        except Cancelled:
            status = 137
        except OSError as e:
            err.write(f"{argv[0]}: {e.strerror or e}\n".encode("utf-8", "surrogateescape"))
            status = 1
        return int(status or 0) & 0xFF, bytes(out.buf), bytes(err.buf)


class _CappedBytes(io.RawIOBase):
    """A write-only buffer that keeps at most ``cap`` bytes (the rest is dropped)."""

    def __init__(self, cap: int) -> None:
        self.buf = bytearray()
        self.cap = cap

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        room = self.cap - len(self.buf)
        if room > 0:
            self.buf += bytes(data[:room])
        return len(data)


class AsyncFiles:
    """``await``-able twin of :class:`corral.files.Files`."""

    def __init__(self, files: Files) -> None:
        self._files = files

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._files, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            import asyncio  # (loaded with the event loop that runs this)

            return await asyncio.to_thread(fn, *args, **kwargs)

        return call


class AsyncSandbox:
    """The asyncio face of :class:`Sandbox`; calls run in worker threads, so
    many sandboxes progress at once. Async tools run on the caller's loop."""

    def __init__(self, **kwargs: Any) -> None:
        self._sb = Sandbox(**kwargs)
        self.files = AsyncFiles(self._sb.files)

    @property
    def sandbox(self) -> Sandbox:
        return self._sb

    @property
    def session(self) -> str:
        return self._sb.session

    @property
    def path(self) -> Path:
        return self._sb.path

    def tool(self, func: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        return self._sb.tool(func, name=name)

    async def __aenter__(self) -> AsyncSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def python(
        self, code: str, *, stdin: str = "", timeout: float | None = None
    ) -> RunResult:
        import asyncio  # (loaded with the event loop that runs this)

        self._sb._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._sb.python, code, stdin=stdin, timeout=timeout)

    async def js(self, code: str, *, stdin: str = "", timeout: float | None = None) -> RunResult:
        import asyncio  # (loaded with the event loop that runs this)

        self._sb._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._sb.js, code, stdin=stdin, timeout=timeout)

    async def run(self, script: str, *, stdin: str = "", timeout: float | None = None) -> RunResult:
        import asyncio  # (loaded with the event loop that runs this)

        self._sb._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._sb.run, script, stdin=stdin, timeout=timeout)

    def stream(
        self, script: str, *, stdin: str = "", timeout: float | None = None
    ) -> OutputStream:
        """Run a shell script and iterate over its output as it is written::

            stream = asb.stream("for i in 1 2 3; do echo $i; sleep 1; done")
            async for chunk in stream:      # Output(stream="stdout", text="1\n") ...
                print(chunk.text, end="")
            result = stream.result           # the RunResult, once iteration ended
        """
        return OutputStream(self, script, stdin, timeout)

    async def exec(
        self, argv: list[str], *, stdin: str = "", timeout: float | None = None
    ) -> RunResult:
        """:meth:`Sandbox.exec` (output captured) without blocking the event loop."""
        import asyncio  # (loaded with the event loop that runs this)

        self._sb._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._sb.exec, argv, stdin=stdin, timeout=timeout)

    async def aclose(self) -> None:
        import asyncio  # (loaded with the event loop that runs this)

        await asyncio.to_thread(self._sb.close)


@dataclass(frozen=True)
class Output:
    """A piece of a running call's output."""

    stream: str  # "stdout" or "stderr"
    text: str


class OutputStream:
    """An async iterator over a running shell script's output (``AsyncSandbox.stream``);
    ``result`` holds the :class:`RunResult` once the iteration has ended."""

    def __init__(self, asb: AsyncSandbox, script: str, stdin: str, timeout: float | None) -> None:
        self._asb = asb
        self._args = (script, stdin, timeout)
        self._queue: asyncio.Queue[Output | None] | None = None
        self._task: asyncio.Future[RunResult] | None = None
        self.result: RunResult | None = None

    def __aiter__(self) -> OutputStream:
        return self

    async def __anext__(self) -> Output:
        import asyncio  # (loaded with the event loop that runs this)

        if self._queue is None:
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[Output | None] = asyncio.Queue()
            self._queue = queue
            script, stdin, timeout = self._args
            sb = self._asb.sandbox
            sb._loop = loop

            def on_output(stream: str, text: str) -> None:
                loop.call_soon_threadsafe(queue.put_nowait, Output(stream, text))

            def work() -> RunResult:
                try:
                    return sb.run(script, stdin=stdin, timeout=timeout, on_output=on_output)
                finally:
                    loop.call_soon_threadsafe(queue.put_nowait, None)

            self._task = asyncio.ensure_future(asyncio.to_thread(work))
        item = await self._queue.get()
        if item is None:
            assert self._task is not None
            self.result = await self._task
            raise StopAsyncIteration
        return item

"""One contained episode for a trainer: what every framework adapter is built on.

An :class:`Episode` holds one sandbox for the whole episode (a
:class:`~corral.fleet.FleetSandbox` when a fleet is given, a plain
:class:`~corral.Sandbox` otherwise), tagged ``{run, episode}`` (every event also carries
its ``step``). Each agent action is one step and gives an :class:`Observation`: the text
the model reads (exit code, stdout, stderr; a denial's reason; the monitor's alerts) and
the same as data. An alert is answered by ``on_alert`` (``"end"``, ``"mark"``,
``"continue"``); an ended episode runs nothing more, its later actions observe why it
ended, and :attr:`Episode.verdict` says ``"ended"`` so the trainer can mask its reward.
:meth:`Episode.close` is idempotent and thread-safe; an episode dropped without it is
closed when it is garbage-collected; the fleet's TTL and idle timeout are the backstop.

:class:`Episodes` makes them from one configuration (a fleet or sandbox options, the
policy, the run tag, how to answer alerts); :mod:`.config` makes that from the plain
dict a trainer's YAML gives.
"""

from __future__ import annotations

import asyncio
import logging
import os
import posixpath
import shlex
import stat
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..adapters.toolset import DEFAULT_MAX_OUTPUT_CHARS, ToolOutcome, call
from ..errors import CorralError, SessionStopped
from ..events import check_tags

__all__ = ["Episode", "EpisodeOver", "Episodes", "Observation", "build_script"]

log = logging.getLogger("corral.integrations")

#: what ``on_alert`` may answer (``None`` is ``"continue"``)
ACTIONS = ("end", "mark", "continue")
#: the most :meth:`Episode.upload` copies in one call
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
#: alerts of these severities end the episode when no ``on_alert`` is given
DEFAULT_END_ON = ("high", "critical")

OnAlert = Callable[[Any], Any]


@dataclass
class EpisodeOver(CorralError, RuntimeError):
    """The episode was ended (an alert, the trainer, the fleet's TTL) or closed: nothing
    more runs in it. ``rule`` names what ended it."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


#: what :meth:`Episode.op` may call
OPS = (
    "run",
    "exec",
    "python",
    "js",
    "files.read",
    "files.read_bytes",
    "files.write",
    "files.list",
    "files.mkdir",
    "files.delete",
    "files.exists",
)


@dataclass
class Observation:
    """What one step gave: ``text`` for the model, the rest for the trainer.

    ``error`` is ``None`` when the action ran (whatever its exit code), else
    ``"denied"`` (the policy or the monitor refused it; ``reason`` says why and so does
    ``text``), ``"ended"`` (the episode is over: ``reason`` names the rule),
    ``"bad_arguments"``, ``"stopped"`` or ``"error"``."""

    text: str
    ok: bool
    tool: str = ""
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    reason: str | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    step: int = 0
    verdict: str = "clean"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.verdict == "ended"


def _alert_dict(alert: Any) -> dict[str, Any]:
    get = alert.get if isinstance(alert, dict) else lambda k, d=None: getattr(alert, k, d)
    return {
        "rule": get("rule"),
        "severity": get("severity"),
        "summary": get("summary", ""),
        "technique": get("technique"),
        "response": get("response"),
    }


def _end_on(severities: Iterable[str]) -> OnAlert:
    chosen = frozenset(severities)

    def decide(alert: Any) -> str:
        return "end" if getattr(alert, "severity", None) in chosen else "mark"

    return decide


class Episode:
    """One episode's sandbox and its verdict. Make it with :meth:`Episodes.open`."""

    def __init__(
        self,
        sandbox: Any,
        *,
        tags: dict[str, Any],
        on_alert: OnAlert | None,
        fleet: bool,
        max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    ) -> None:
        self.sandbox = sandbox
        self.tags = dict(tags)
        self._on_alert = on_alert
        self._fleet = fleet
        self._max_chars = max_output_chars
        self._lock = threading.Lock()  # one step at a time (the sandbox serialises anyway)
        self._closed = False
        self._verdict = "clean"
        self._ended_rule: str | None = None
        self._ended_reason: str | None = None
        self._seen_alerts = 0
        self.alerts: list[dict[str, Any]] = []
        self.steps = 0
        self._finalizer = weakref.finalize(self, _close_quietly, sandbox)

    def __repr__(self) -> str:
        return f"Episode(tags={self.tags!r}, verdict={self.verdict!r}, steps={self.steps})"

    def __enter__(self) -> Episode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state -------------------------------------------------------------------------

    @property
    def verdict(self) -> str:
        """``"clean"``, ``"flagged"`` (alerts, the episode went on) or ``"ended"``."""
        if self._fleet and self._verdict != "ended":
            try:
                v = self.sandbox.verdict
            except Exception:  # the fleet is gone: what we knew stands
                return self._verdict
            if v == "ended":
                self._fleet_ended()
            elif v == "flagged" and self._verdict == "clean":
                self._verdict = v
        return self._verdict

    def _fleet_ended(self) -> None:
        """The fleet ended the episode: the rule is the alert answered "end" (else the
        last alert's; else the fleet's own reason)."""
        try:
            alerts = list(self.sandbox.alerts)
        except Exception:
            alerts = []
        chosen = next(
            (
                a
                for a in reversed(alerts)
                if getattr(a, "action", None) == "end" or getattr(a, "response", None) == "kill"
            ),
            None,
        )
        if chosen is not None:
            self._mark_ended(str(chosen.rule), str(chosen.summary) or "ended by the monitor")
        else:
            self._mark_ended("fleet.end", "ended by the fleet (reaped, TTL or idle timeout)")

    @property
    def ended(self) -> bool:
        return self.verdict == "ended"

    @property
    def ended_rule(self) -> str | None:
        """The rule (or ``fleet.*`` reason) that ended the episode."""
        return self._ended_rule

    @property
    def closed(self) -> bool:
        return self._closed

    def summary(self) -> dict[str, Any]:
        """A row for the trainer's logs: tags, steps, verdict, the ending rule, alerts."""
        return {
            **self.tags,
            "steps": self.steps,
            "verdict": self.verdict,
            "ended_rule": self._ended_rule,
            "alerts": len(self.alerts),
        }

    # -- steps -------------------------------------------------------------------------

    def step(self, tool: str, args: Any) -> Observation:
        """Run one of the six tools (``run_shell``, ``run_python``, ``run_js``,
        ``read_file``, ``write_file``, ``list_files``) with ``args`` (a dict). Never
        raises for what the agent did: refusals and errors are observations."""
        with self._lock:
            if self.verdict == "ended":
                return self._ended_observation(tool)
            if self._closed:
                return self._ended_observation(tool, "this episode's sandbox is closed")
            outcome = self._call(tool, args)
            if outcome is None:  # the fleet ended the episode during the call
                return self._ended_observation(tool)
            self.steps += 1
            new = self._new_alerts()
            return self._observe(outcome, new)

    def shell(self, command: str) -> Observation:
        return self.step("run_shell", {"command": command})

    def python(self, code: str) -> Observation:
        return self.step("run_python", {"code": code})

    def js(self, code: str) -> Observation:
        return self.step("run_js", {"code": code})

    def read_file(self, path: str) -> Observation:
        return self.step("read_file", {"path": path})

    def write_file(self, path: str, content: str) -> Observation:
        return self.step("write_file", {"path": path, "content": content})

    def list_files(self, path: str = "/workspace", recursive: bool = False) -> Observation:
        return self.step("list_files", {"path": path, "recursive": recursive})

    def op(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A harness's own call on the sandbox (``"run"``, ``"exec"``, ``"python"``,
        ``"files.read_bytes"``, ``"files.write"``, ...): its value as the sandbox gives it
        (a refused file operation raises ``PermissionError``); one step like any other,
        its alerts answered the same way. Raises :class:`EpisodeOver` once the episode
        ended (check :attr:`ended` after a call: the call that ended it returns)."""
        from ..fleet import EpisodeEnded, EpisodeLost

        if name not in OPS:
            raise ValueError(f"unknown sandbox operation {name!r}; one of {', '.join(OPS)}")
        with self._lock:
            if self.verdict == "ended":
                raise EpisodeOver(self._ended_text(), self._ended_rule)
            if self._closed:
                raise EpisodeOver("this episode's sandbox is closed", None)
            target = self.sandbox.files if name.startswith("files.") else self.sandbox
            fn = getattr(target, name.removeprefix("files."))
            self.steps += 1
            try:
                value = fn(*args, **kwargs)
            except (EpisodeEnded, EpisodeLost) as e:
                rule = getattr(e, "rule", None) or (
                    "fleet.lost" if isinstance(e, EpisodeLost) else "fleet.end"
                )
                self._mark_ended(rule, str(e))
                self._close_sandbox()
                raise EpisodeOver(self._ended_text(), self._ended_rule) from None
            except SessionStopped as e:
                new = self._new_alerts()
                self.alerts.extend(_alert_dict(a) for a in new)
                rule = next((str(a.rule) for a in reversed(new)), None) or self._last_rule()
                self._mark_ended(rule or "monitor", str(e))
                self._close_sandbox()
                raise EpisodeOver(self._ended_text(), self._ended_rule) from None
            except Exception:  # refused, missing file ...: its alerts are answered too
                self._after_op(name)
                raise
            self._after_op(name)
            return value

    def _after_op(self, name: str) -> None:
        """A harness call's alerts: recorded, answered (a plain sandbox), and an ended
        episode's sandbox closed."""
        new = self._new_alerts()
        self.alerts.extend(_alert_dict(a) for a in new)
        if new and self._verdict == "clean":
            self._verdict = "flagged"
        if not self._fleet:
            stopped = self.sandbox.stopped
            outcome = ToolOutcome(
                name, True, "", {"stopped": stopped}, "stopped" if stopped else None
            )
            self._decide(new, outcome)
        if self.verdict == "ended":
            if self._ended_rule is None:
                self._mark_ended(self._last_rule() or "fleet.end", "ended by the monitor")
            self._close_sandbox()

    def run_argv(
        self,
        argv: list[str],
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        stdin: str = "",
        timeout: float | None = None,
    ) -> Any:
        """One program as a harness runs it (``subprocess.run`` semantics): from
        ``/workspace`` (or ``cwd``, relative to it) with ``env`` added, in a subshell so
        that it changes nothing of the sandbox's shell (its directory, its variables).
        Returns the sandbox's :class:`~corral.RunResult`; see :meth:`op`."""
        return self.op("run", build_script(argv, cwd, env), stdin=stdin, timeout=timeout)

    def upload(
        self, local_path: str | os.PathLike[str], guest: str, *, skip: Iterable[str] = ()
    ) -> int:
        """Copy a host file or directory tree (the trainer's own) to ``guest`` in the
        sandbox, file by file through :meth:`op` (each write decided by the policy).
        Symlinks and special files are skipped, never followed; directories named in
        ``skip`` too; at most :data:`MAX_UPLOAD_BYTES` in all. Returns the bytes copied."""
        root = Path(local_path)
        st = root.lstat()
        if stat.S_ISREG(st.st_mode):
            data = _read_regular(root, MAX_UPLOAD_BYTES)
            self.op("files.write", guest, data)
            return len(data)
        if not stat.S_ISDIR(st.st_mode):
            raise ValueError(f"{local_path} is not a regular file or a directory")
        skipped = frozenset(skip)
        total = 0
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in skipped)
            rel = Path(dirpath).relative_to(root).as_posix()
            base = guest if rel == "." else posixpath.join(guest, rel)
            for fn in sorted(filenames):
                path = Path(dirpath) / fn
                if not stat.S_ISREG(path.lstat().st_mode):
                    continue
                data = _read_regular(path, MAX_UPLOAD_BYTES - total)
                total += len(data)
                self.op("files.write", posixpath.join(base, fn), data)
        return total

    def _last_rule(self) -> str | None:
        return next((a["rule"] for a in reversed(self.alerts) if a.get("rule")), None)

    def _ended_text(self) -> str:
        rule = f" (rule {self._ended_rule})" if self._ended_rule else ""
        return f"corral ended this episode{rule}: {self._ended_reason or 'ended'}"

    async def aop(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """:meth:`op` off the event loop."""
        return await asyncio.to_thread(self.op, name, *args, **kwargs)

    async def astep(self, tool: str, args: Any) -> Observation:
        """:meth:`step` off the event loop."""
        return await asyncio.to_thread(self.step, tool, args)

    def end(self, reason: str = "ended by the trainer", rule: str = "trainer.end") -> None:
        """End the episode now: a step running is stopped (the fleet kills its sandbox,
        a plain sandbox's call is interrupted), the sandbox closed; later steps observe
        the reason."""
        self._mark_ended(rule, reason)
        try:
            if self._fleet:
                self.sandbox.end(reason, rule)
            else:
                self.sandbox.interrupt()
        except Exception:  # already gone: closing below is what matters
            log.debug("stopping an ended episode's sandbox failed", exc_info=True)
        with self._lock:
            self._close_sandbox()

    def close(self) -> None:
        """Close the sandbox (idempotent); the verdict stays readable."""
        self.verdict  # noqa: B018 - read the fleet's last word before the handle goes
        with self._lock:
            self._close_sandbox()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    # -- inside ------------------------------------------------------------------------

    def _call(self, tool: str, args: Any) -> ToolOutcome | None:
        from ..fleet import EpisodeEnded, EpisodeLost

        try:
            return call(self.sandbox, tool, args, max_output_chars=self._max_chars)
        except EpisodeEnded as e:
            self._mark_ended(e.rule or "fleet.end", str(e))
            self._close_sandbox()
            return None
        except EpisodeLost as e:
            self._mark_ended("fleet.lost", str(e))
            self._close_sandbox()
            return None
        except CorralError as e:  # a closed fleet, a closed handle
            self._mark_ended("corral.error", str(e))
            self._close_sandbox()
            return None

    def _new_alerts(self) -> list[Any]:
        try:
            every = list(self.sandbox.alerts)
        except Exception:
            return []
        new = every[self._seen_alerts :]
        self._seen_alerts = len(every)
        return new

    def _observe(self, outcome: ToolOutcome, new_alerts: list[Any]) -> Observation:
        data = outcome.data
        text = outcome.text
        alerts = [_alert_dict(a) for a in new_alerts]
        self.alerts.extend(alerts)
        if self._fleet and alerts:  # a plain sandbox's call already listed them (bus)
            text += "".join(
                f"\nmonitor alert [{a['severity']}] {a['rule']}: {a['summary']}" for a in alerts
            )
        if alerts and self._verdict == "clean":
            self._verdict = "flagged"
        if not self._fleet:
            self._decide(new_alerts, outcome)
        if self.verdict == "ended":
            if self._ended_rule is None:  # the fleet ended it (its on_alert, a kill)
                rule = next((a["rule"] for a in reversed(alerts) if a.get("rule")), None)
                self._mark_ended(rule or "fleet.end", "ended by the monitor")
            text += f"\ncorral ended this episode (rule {self._ended_rule}): no more actions run"
            self._close_sandbox()
        denied = data.get("denied") or []
        reason = denied[0].get("reason") if denied else None  # a denial inside a script too
        if outcome.error == "denied":
            reason = reason or data.get("message") or (str(data.get("stderr") or "").strip())
        elif outcome.error is not None:
            reason = reason or data.get("message")
        return Observation(
            text=text,
            ok=outcome.ok and self._verdict != "ended",
            tool=outcome.tool,
            exit_code=data.get("exit_code"),
            stdout=str(data.get("stdout") or ""),
            stderr=str(data.get("stderr") or ""),
            error="ended" if self._verdict == "ended" else outcome.error,
            reason=self._ended_reason if self._verdict == "ended" else reason,
            alerts=alerts,
            step=self.steps,
            verdict=self._verdict,
            data=data,
        )

    def _decide(self, new_alerts: list[Any], outcome: ToolOutcome) -> None:
        """A plain sandbox: answer this step's alerts now (the fleet answers its own while
        the step runs); a session the monitor stopped is an ended episode."""
        for alert in new_alerts:
            action = "end"
            try:
                answer = self._on_alert(alert) if self._on_alert is not None else "mark"
                action = answer or "continue"
                if action not in ACTIONS:
                    log.warning("on_alert answered %r (not one of %s): ending", answer, ACTIONS)
                    action = "end"
            except Exception:
                log.exception("on_alert raised: ending the episode")
            if action == "end":
                self._mark_ended(str(alert.rule), str(alert.summary))
                return
        if outcome.error == "stopped":
            rule = next((str(a.rule) for a in reversed(new_alerts)), "monitor")
            self._mark_ended(rule, str(outcome.data.get("stopped") or outcome.text))

    def _mark_ended(self, rule: str, reason: str) -> None:
        if self._verdict != "ended":
            self._verdict = "ended"
            self._ended_rule = rule
            self._ended_reason = reason

    def _ended_observation(self, tool: str, why: str | None = None) -> Observation:
        reason = why or self._ended_reason or "ended"
        rule = f" (rule {self._ended_rule})" if self._ended_rule else ""
        return Observation(
            text=f"corral ended this episode{rule}: {reason}; no more actions run",
            ok=False,
            tool=tool,
            error="ended",
            reason=reason,
            step=self.steps,
            verdict=self.verdict if not self._closed else self._verdict,
        )

    def _close_sandbox(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        _close_quietly(self.sandbox)


def _read_regular(path: Path, limit: int) -> bytes:
    """A regular file's bytes, opened without following a symlink put in its place
    after it was listed; over ``limit`` bytes is a ``ValueError``."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError(f"{path} is not a regular file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"uploading {path}: over the {MAX_UPLOAD_BYTES}-byte upload limit")
    return data


def build_script(
    argv: list[str], cwd: str | None = None, env: dict[str, str] | None = None
) -> str:
    """``argv`` as one shell line run from ``/workspace`` (then ``cwd``) with ``env``
    set, in a subshell; every word quoted. Bad input is a ``TypeError``/``ValueError``."""
    if (
        not isinstance(argv, list | tuple)
        or not argv
        or not all(isinstance(a, str) for a in argv)
    ):
        raise TypeError("argv must be a non-empty list of str")
    if any("\0" in a for a in argv):
        raise ValueError("argv must not contain NUL characters")
    line = shlex.join(argv)
    if env:
        if not isinstance(env, dict):
            raise TypeError("env must be a dict of str to str")
        bad = [k for k in env if not (isinstance(k, str) and k.isidentifier() and k.isascii())]
        if bad:
            raise ValueError(f"environment variable names must be identifiers: {bad!r}")
        if any(not isinstance(v, str) or "\0" in v for v in env.values()):
            raise ValueError("environment values must be str without NUL characters")
        line = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + line
    prefix = "cd /workspace"
    if cwd is not None:
        if not isinstance(cwd, str) or "\0" in cwd:
            raise ValueError("cwd must be a str without NUL characters")
        prefix += f" && cd -- {shlex.quote(cwd)}"
    return f"( {prefix} && {line}\n)"


def _close_quietly(sandbox: Any) -> None:
    try:
        sandbox.close()
    except Exception:  # closing must not raise into a trainer's finally
        log.exception("closing an episode's sandbox failed")


class Episodes:
    """Makes :class:`Episode`\\ s from one configuration.

    Args:
        fleet: a :class:`~corral.fleet.Fleet` to hold the sandboxes (its policy and
            options apply); without it each episode gets a plain
            :class:`~corral.Sandbox` in this process.
        policy: the policy of plain sandboxes (ignored with a fleet).
        run: the ``run`` tag of every episode.
        on_alert: ``callback(alert) -> "end" | "mark" | "continue" | None``; default:
            alerts of severity ``end_on`` end the episode, others mark it.
        end_on: the severities that end an episode without an ``on_alert``.
        tags: more tags for every episode.
        max_output_chars: what an observation shows of each stream.
        **sandbox_options: more :class:`~corral.Sandbox` arguments (plain sandboxes).
    """

    def __init__(
        self,
        fleet: Any = None,
        *,
        policy: Any = "default",
        run: Any = None,
        on_alert: OnAlert | None = None,
        end_on: Iterable[str] = DEFAULT_END_ON,
        tags: dict[str, Any] | None = None,
        max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
        **sandbox_options: Any,
    ) -> None:
        if on_alert is not None and not callable(on_alert):
            raise TypeError("on_alert must be callable")
        if isinstance(end_on, str):
            end_on = [end_on]
        end_on = list(end_on)
        bad = [s for s in end_on if s not in ("low", "medium", "high", "critical")]
        if bad:
            raise ValueError(f"end_on: unknown severities {bad}; use low, medium, high, critical")
        if not isinstance(max_output_chars, int) or max_output_chars < 100:
            raise ValueError("max_output_chars must be an int of at least 100")
        if fleet is not None and sandbox_options:
            raise ValueError(
                "sandbox options go to the Fleet when a fleet is given: "
                + ", ".join(sorted(sandbox_options))
            )
        base = dict(check_tags(tags))
        if run is not None:
            base["run"] = run
        self.tags = check_tags(base)
        self.fleet = fleet
        self.policy = policy
        self.on_alert = on_alert or _end_on(end_on)
        self.max_output_chars = max_output_chars
        self.sandbox_options = sandbox_options
        self._policy = policy
        if fleet is None and policy is not None:
            from ..policy import load

            # loaded once (a bad one fails here), shared by every episode's sandbox
            self._policy = load(policy)

    def open(self, episode: Any = None, **tags: Any) -> Episode:
        """A new episode's sandbox, tagged with the run, ``episode`` and ``tags``."""
        all_tags = {**self.tags, **tags}
        if episode is not None:
            all_tags["episode"] = episode
        all_tags = check_tags(all_tags)
        if self.fleet is not None:
            sb = self.fleet.sandbox(tags=all_tags, on_alert=self.on_alert)
            return Episode(
                sb, tags=all_tags, on_alert=None, fleet=True, max_output_chars=self.max_output_chars
            )
        from ..sandbox import Sandbox

        sb = Sandbox(policy=self._policy, tags=all_tags, **self.sandbox_options)
        return Episode(
            sb,
            tags=all_tags,
            on_alert=self.on_alert,
            fleet=False,
            max_output_chars=self.max_output_chars,
        )

    async def aopen(self, episode: Any = None, **tags: Any) -> Episode:
        return await asyncio.to_thread(self.open, episode, **tags)

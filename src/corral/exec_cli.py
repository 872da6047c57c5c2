"""``corral exec``: wrap any program (an agent's own CLI included) in a native sandbox.

    corral exec --backend bwrap --policy policy.yaml --workspace ./repo -- claude
    corral exec -- python3 -m pytest -q
    echo data | corral exec -- sort

The program gets this terminal (a pseudo-terminal of its own when stdin and stdout are
terminals; relayed pipes otherwise), the workspace read-write at ``/workspace``, the
network only through corral's egress proxy to hosts the policy allows, and every program
it starts decided by the policy as it starts. The exit status is the program's (126
when the policy refuses it, 137 when a budget stopped it).
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .budget import MB, Budget
from .errors import CorralError

err = Console(stderr=True, soft_wrap=True)

#: wall time of an exec when neither --timeout nor the policy says (a week)
NO_TIMEOUT_S = 7 * 24 * 3600.0


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]corral:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--env {pair!r}: expected NAME=VALUE")
        env[key] = value
    return env


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(text: object) -> str:
    """One line of text with every control character shown as an escape: what a
    program put in its argv must not reach this terminal as escape sequences."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _show_alert(data: dict) -> None:
    """A monitor alert on stderr as it happens, as plain text (the program may hold the
    terminal in raw mode: the line then ends with CR LF)."""
    try:
        line = (
            f"corral monitor: {_plain(data.get('severity', '?'))} {_plain(data.get('rule', '?'))}"
            f": {_plain(data.get('summary', ''))}"
        )
        end = "\r\n" if sys.stderr.isatty() else "\n"
        sys.stderr.write(line + end)
        sys.stderr.flush()
    except Exception:  # reporting must never break the run
        pass


class _Hangup(Exception):
    """SIGTERM/SIGHUP: stop the sandbox and clean up instead of dying mid-run."""


def _raise_hangup(signum: int, frame: object) -> None:
    raise _Hangup(signal.Signals(signum).name)


def exec_command(
    command: Annotated[
        list[str] | None, typer.Argument(help="The program and its arguments (after --).")
    ] = None,
    backend: Annotated[str, typer.Option(help="bwrap (default), gvisor or wasm.")] = "bwrap",
    policy: Annotated[
        str | None,
        typer.Option(help="Policy: a built-in name (default, strict, permissive) or a YAML file."),
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option(
            help="Host directory seen as /workspace (read-write). "
            "Default: a new empty directory, removed at exit."
        ),
    ] = None,
    copy: Annotated[
        bool, typer.Option("--copy", help="Work on a copy of --workspace (changes dropped).")
    ] = False,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="NAME=VALUE for the program's environment (repeat)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Wall-time budget in seconds (default: none)."),
    ] = None,
    memory_mb: Annotated[
        int | None, typer.Option(help="Memory budget in MB (default: the policy's, else 2048).")
    ] = None,
    disk_mb: Annotated[
        float | None,
        typer.Option(help="How much the program may add to the workspace, in MB."),
    ] = None,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="Write every event to this audit log (SQLite).")
    ] = None,
) -> None:
    """Run a program in a native sandbox with this terminal passed through."""
    from .native._common import disk_usage
    from .sandbox import Sandbox

    if not command:
        _fail("nothing to run: give the program after --, e.g. corral exec -- bash")
        return
    if backend not in ("bwrap", "gvisor", "wasm"):
        _fail(f"unknown backend {backend!r}; expected bwrap, gvisor or wasm")
    if copy and workspace is None:
        _fail("--copy needs --workspace")
    if workspace is not None and not workspace.is_dir():
        _fail(f"--workspace {workspace}: not a directory")
    extra_env = _parse_env(env or [])
    interactive = sys.stdin.isatty()
    try:
        pol = None
        if policy is not None:
            from .policy import load

            pol = load(policy)
        base = pol.budget() if pol is not None else Budget()
        changes: dict = {"wall_s": timeout if timeout is not None else NO_TIMEOUT_S}
        if memory_mb is not None:
            changes["memory_mb"] = memory_mb
        elif pol is None or pol.model.budgets is None or pol.model.budgets.memory_mb is None:
            changes["memory_mb"] = 2048
        if disk_mb is not None:
            changes["disk_mb"] = disk_mb
        budget = base.with_(**changes)
        owned = None
        if workspace is None:
            owned = tempfile.TemporaryDirectory(prefix="corral-exec-")
            ws = Path(owned.name)
        else:
            ws = workspace.resolve()
            # the disk budget counts what the program adds to what is already there
            used, files = disk_usage(ws)
            budget = budget.with_(
                disk_mb=budget.disk_mb + used / MB, disk_files=budget.disk_files + files
            )
    except (CorralError, ValueError) as e:
        _fail(str(e))
        return
    audit_log = None
    if audit is not None:
        from .audit_cli import open_audit

        try:
            audit_log = open_audit(audit)
        except CorralError as e:
            if owned is not None:
                owned.cleanup()
            _fail(str(e))
    approver = None
    if pol is not None and interactive:
        from .policy import Terminal

        approver = Terminal()
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    for s in old:
        signal.signal(s, _raise_hangup)
    code = 1
    try:
        with Sandbox(
            backend=backend,
            policy=pol,
            approver=approver,
            budget=budget,
            workspace=ws,
            copy_workspace=copy,
            env=extra_env,
            monitor=None,
        ) as sb:
            unwatch = sb.events.bus.subscribe(
                lambda ev: _show_alert(ev.data) if ev.session == sb.session else None,
                types=["monitor.alert"],
            )
            if backend == "wasm":
                result = sb.exec(list(command), stdin="" if interactive else sys.stdin.read())
                sys.stdout.write(result.stdout)
                sys.stdout.flush()
                sys.stderr.write(result.stderr)
            else:
                result = sb.exec(list(command), terminal=True)
                sys.stderr.write(result.stderr)  # corral's own notes (denials, budgets)
            unwatch()
            code = result.exit_code
    except _Hangup as e:
        err.print(f"corral: stopped by {e}", highlight=False)
        code = 143
    except (CorralError, ValueError, TypeError) as e:
        _fail(str(e))
    finally:
        for s, h in old.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(s, h)
        if owned is not None:
            owned.cleanup()
        if audit_log is not None:
            audit_log.close()
    raise typer.Exit(code)

"""``corral audit``: show, verify and export a tamper-evident audit log."""

from __future__ import annotations

import collections
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import audit, audit_view
from .audit import KINDS, AuditError, Entry

app = typer.Typer(
    help="Show, verify and export a corral audit log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(
        f"[bold red]corral audit:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def open_audit(path: Path) -> audit.AuditLog:
    """Open (or create) the audit log at ``path`` and write to it every event published
    in this process (``--audit FILE`` of ``corral run/shell/exec/mcp``). A path that
    cannot be written is an :class:`AuditError` naming it."""
    from .events import default_bus

    try:
        log = audit.AuditLog(path)
    except AuditError as e:
        raise AuditError(f"--audit {path}: cannot write the audit log: {e}") from None
    log.attach(default_bus)
    return log


def _clip(text: str, width: int = 100) -> str:
    # control characters (terminal escapes in an agent's command) shown as \xNN
    return audit_view.plain(text, width)


def summarize(entry: Entry, width: int = 100) -> str:
    """One line saying what a row is about."""
    b = entry.body
    if entry.kind == "event" and audit_view.is_alert(entry):
        return _clip("monitor.alert " + audit_view.summary(entry), width)
    if entry.kind == "event":
        parts = [str(b.get("type", "?"))]
        if isinstance(b.get("action"), dict):
            parts.append(audit_view.action_text(b["action"]))
        decision = b.get("decision")
        if isinstance(decision, dict):
            verdict = decision.get("verdict")
            rule = decision.get("rule")
            parts.append(f"→ {verdict}{f' ({rule})' if rule else ''}")
        outcome = b.get("outcome")
        if isinstance(outcome, dict) and "exit_code" in outcome:
            parts.append(f"exit {outcome['exit_code']}")
        if b.get("data"):
            parts.append(json.dumps(b["data"], sort_keys=True, ensure_ascii=False))
        return _clip(" ".join(parts), width)
    if entry.kind == "checkpoint":
        return f"signed checkpoint covering rows 1-{b.get('covers_seq')} ({b.get('reason', '?')})"
    if entry.seq == 1 and isinstance(b.get("corral_audit"), dict):
        h = b["corral_audit"]
        signed = "signed" if h.get("signed") else "unsigned"
        return f"audit log header: {signed}, checkpoint every {h.get('checkpoint_every')} rows"
    return _clip(json.dumps(b, sort_keys=True, ensure_ascii=False), width)


def _when(t: Any) -> str:
    try:
        return datetime.fromtimestamp(float(t)).isoformat(sep=" ", timespec="milliseconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(t)


@app.command()
def show(
    path: Annotated[Path, typer.Argument(help="The audit log (SQLite file).")],
    session: Annotated[str | None, typer.Option(help="Only rows of this session.")] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help=f"Only rows of this kind: {', '.join(KINDS)} "
            "('alert' includes the monitor.alert events)."
        ),
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option(help="Only alerts and decisions of this rule (a name or a glob: 'mining-*')."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the last N matching rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Show the last rows of an audit log."""
    if kind is not None and kind not in KINDS:
        _fail(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    try:
        if kind == "alert" or rule is not None:
            # alerts are 'alert' rows and monitor.alert events: read and pick
            rule_filter = audit_view.RuleFilter(rule) if rule is not None else None
            picked = audit_view.select(
                audit.iter_entries(path, session=session),
                alerts_only=kind == "alert",
                rule=rule_filter,
            )
            if kind is not None and kind != "alert":
                picked = (e for e in picked if e.kind == kind)
            entries = list(collections.deque(picked, maxlen=limit))
        else:
            entries = audit.tail(path, limit, session=session, kind=kind)
    except (AuditError, ValueError) as e:
        _fail(str(e))
        return
    if as_json:
        for e in entries:
            sys.stdout.write(audit.canonical_json(e.to_dict()) + "\n")
        return
    table = Table(title=f"{path} (last {len(entries)} matching rows)", title_justify="left")
    table.add_column("seq", justify="right", style="cyan", no_wrap=True)
    table.add_column("time", no_wrap=True)
    table.add_column("kind", style="magenta", no_wrap=True)
    table.add_column("session", overflow="fold")
    table.add_column("summary", overflow="fold")
    for e in entries:
        table.add_row(
            str(e.seq),
            _when(e.time),
            e.kind,
            escape(audit_view.plain(e.session or "")),
            escape(summarize(e)),
            style="bold red" if audit_view.is_alert(e) else None,
        )
    out.print(table)


_LEVEL_STYLE = {
    "critical": "bold white on red",
    "alert": "bold red",
    "denied": "yellow",
    "stopped": "bold magenta",
}


@app.command()
def timeline(
    path: Annotated[Path, typer.Argument(help="The audit log (SQLite file).")],
    since: Annotated[
        str | None,
        typer.Option(help="Only events since then: 15m, 2h, 1d, 2026-12-05T10:30 or 10:30."),
    ] = None,
    sandbox: Annotated[
        str | None, typer.Option(help="Only this sandbox (its session id).")
    ] = None,
    alerts: Annotated[bool, typer.Option("--alerts", help="Only monitor alerts.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Show the last N matching events.")] = 200,
) -> None:
    """The log as a timeline: time, sandbox, event type and what happened; monitor
    alerts highlighted (critical ones on red), denials in yellow."""
    try:
        since_time = audit_view.parse_since(since) if since is not None else None
        picked = audit_view.select(
            audit.iter_entries(path, session=sandbox), since_time=since_time, alerts_only=alerts
        )
        rows = [
            audit_view.timeline_row(e)
            for e in collections.deque(
                (e for e in picked if e.kind in ("event", "alert")), maxlen=limit
            )
        ]
    except (AuditError, ValueError) as e:
        _fail(str(e))
        return
    table = Table(title=f"{path}: {len(rows)} events", title_justify="left", expand=False)
    table.add_column("time", no_wrap=True, style="dim")
    table.add_column("sandbox", no_wrap=True, style="cyan")
    table.add_column("event", no_wrap=True)
    table.add_column("what happened", overflow="fold")
    last_day = None
    for r in rows:
        when = datetime.fromtimestamp(r.time)
        day = when.date()
        stamp = when.strftime("%H:%M:%S.%f")[:-3]
        if day != last_day:
            stamp = f"{day.isoformat()} {stamp}"
            last_day = day
        table.add_row(
            stamp,
            Text(r.sandbox[:16]),
            Text(r.type),
            Text(r.summary),
            style=_LEVEL_STYLE.get(r.level),
        )
    out.print(table)
    n_alerts = sum(r.level in ("alert", "critical") for r in rows)
    if n_alerts:
        out.print(f"[bold red]{n_alerts} alert(s)[/bold red]", highlight=False)


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="The audit log (SQLite file).")],
    key_file: Annotated[
        Path | None, typer.Option(help="File holding the HMAC key the log was signed with.")
    ] = None,
) -> None:
    """Check the hash chain (and, with --key-file, the signed checkpoints).
    Exit status 0: intact; 1: tampered or damaged; 2: cannot be checked."""
    try:
        key = audit.load_key(key_file) if key_file is not None else None
        result = audit.verify(path, key=key)
    except AuditError as e:
        _fail(str(e))
        return
    if not result.ok:
        out.print(
            f"[bold red]FAILED[/bold red] {escape(str(path))}: {escape(result.problem or '')}",
            highlight=False,
            soft_wrap=True,
        )
        if result.first_bad_seq is not None:
            out.print(f"first bad row: {result.first_bad_seq}", highlight=False)
        raise typer.Exit(1)
    line = f"[bold green]OK[/bold green] {escape(str(path))}: {result.rows} rows, chain intact"
    if result.signatures_checked:
        line += (
            f"; {result.checkpoints} signed checkpoints verified, "
            f"rows 1-{result.signed_upto} covered by a signature"
        )
        if result.rows > result.signed_upto + 1:
            line += f" (rows after {result.signed_upto + 1} are not signed yet)"
    elif result.signed:
        line += "; signed log, signatures not checked (pass --key-file)"
    out.print(line, highlight=False, soft_wrap=True)


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="The audit log (SQLite file).")],
    dest: Annotated[
        Path | None, typer.Argument(metavar="[OUT.jsonl]", help="JSON lines file to write.")
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html", metavar="OUT.html", help="Write a self-contained HTML page instead."
        ),
    ] = None,
    session: Annotated[str | None, typer.Option(help="Only rows of this session.")] = None,
    since: Annotated[int | None, typer.Option(help="Only rows after this seq.")] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="HTML: check the signed checkpoints with the key in this file."),
    ] = None,
) -> None:
    """Export rows as JSON lines (one canonical JSON object per row), or with --html as
    one page with the verification result at the top."""
    if (dest is None) == (html_out is None):
        _fail("give OUT.jsonl or --html OUT.html (one of them)")
    if html_out is not None:
        _export_html(path, html_out, session, since, key_file)
        return
    assert dest is not None
    try:
        total = audit.count_entries(path, since=since, session=session)
        with Progress(
            TextColumn("exporting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=total < 5000,
        ) as progress:
            task = progress.add_task("export", total=total)
            n = audit.export_jsonl(
                path,
                dest,
                since=since,
                session=session,
                progress=lambda done: progress.update(task, completed=done),
            )
    except AuditError as e:
        _fail(str(e))
        return
    out.print(f"exported {n} rows to {escape(str(dest))}", highlight=False, soft_wrap=True)


def _export_html(
    path: Path, dest: Path, session: str | None, since: int | None, key_file: Path | None
) -> None:
    if dest.is_dir():
        _fail(f"--html {dest}: is a directory")
    if not dest.parent.is_dir():
        _fail(f"--html {dest}: no such directory {dest.parent}")
    try:
        key = audit.load_key(key_file) if key_file is not None else None
        result = audit.verify(path, key=key)
        # rows appended after the verification are not shown as verified
        last = result.rows if result.ok else None
        n = audit_view.write_html(
            path,
            dest,
            result,
            audit_view.rows_upto(path, last, since=since, session=session),
        )
    except AuditError as e:
        _fail(str(e))
        return
    except OSError as e:
        _fail(f"--html {dest}: {e.strerror or e}")
        return
    state = "[green]verified[/green]" if result.ok else "[bold red]FAILED verification[/bold red]"
    out.print(
        f"wrote {n} rows to {escape(str(dest))} (log {state})", highlight=False, soft_wrap=True
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()

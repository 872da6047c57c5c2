"""``corral audit``: show, verify and export a tamper-evident audit log."""

from __future__ import annotations

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

from . import audit
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
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _action_summary(action: dict[str, Any]) -> str:
    kind = action.get("kind")
    if kind == "exec":
        return action.get("line") or " ".join(map(str, action.get("argv") or []))
    if kind == "code":
        return f"{action.get('language')}: {action.get('code', '')}"
    if kind == "file":
        return f"{action.get('op')} {action.get('path')}"
    if kind == "net":
        port = action.get("port")
        return f"connect {action.get('host')}{f':{port}' if port else ''}"
    if kind == "tool":
        return f"tool {action.get('name')}({json.dumps(action.get('args') or {})})"
    if kind == "spawn":
        return "spawn " + " ".join(map(str, action.get("argv") or []))
    return json.dumps(action, sort_keys=True)


def summarize(entry: Entry, width: int = 100) -> str:
    """One line saying what a row is about."""
    b = entry.body
    if entry.kind == "event":
        parts = [str(b.get("type", "?"))]
        if isinstance(b.get("action"), dict):
            parts.append(_action_summary(b["action"]))
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
        str | None, typer.Option(help=f"Only rows of this kind: {', '.join(KINDS)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the last N matching rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Show the last rows of an audit log."""
    if kind is not None and kind not in KINDS:
        _fail(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    try:
        entries = audit.tail(path, limit, session=session, kind=kind)
    except AuditError as e:
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
            str(e.seq), _when(e.time), e.kind, escape(e.session or ""), escape(summarize(e))
        )
    out.print(table)


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
    dest: Annotated[Path, typer.Argument(metavar="OUT.jsonl", help="JSON lines file to write.")],
    session: Annotated[str | None, typer.Option(help="Only rows of this session.")] = None,
    since: Annotated[int | None, typer.Option(help="Only rows after this seq.")] = None,
) -> None:
    """Export rows as JSON lines (one canonical JSON object per row)."""
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()

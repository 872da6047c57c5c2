"""``corral monitor``: check, list, test and evaluate monitor rules.

Mount with ``app.add_typer(corral.monitor.cli.app, name="monitor")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .engine import Alert, Monitor
from .loader import Pack, RulesError, builtin_pack, load_file, pack_names
from .records import event_from

app = typer.Typer(
    help="Check, list, test and evaluate the monitor's rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_SEVERITY_COLORS = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _report_errors(exc: RulesError) -> None:
    err = _err()
    for problem in exc.problems:
        err.print(f"[red]error:[/red] {escape(str(problem))}")
    n = len(exc.problems)
    err.print(f"[bold red]{n} error{'s' if n != 1 else ''}[/bold red]")


def _load(name: str) -> Pack:
    if not Path(name).exists() and name in pack_names():
        return builtin_pack(name)
    return load_file(name)


def _monitor(packs: list[str], rules: list[str], anomaly: bool) -> Monitor:
    try:
        return Monitor(packs=packs, rules_files=rules, baseline=None if anomaly else False)
    except RulesError as exc:
        _report_errors(exc)
        raise typer.Exit(1) from None


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="Rule files (or shipped pack names).")],
) -> None:
    """Validate rule files: OK with rule counts, or every error with file:line:column."""
    failed = False
    out = _out()
    for name in files:
        try:
            pack = _load(name)
        except RulesError as exc:
            _report_errors(exc)
            failed = True
            continue
        kinds = {"match": 0, "threshold": 0, "sequence": 0}
        for rule in pack.rules:
            kinds[rule.kind] += 1
        out.print(
            f"[green]OK[/green] {escape(name)}: {len(pack.rules)} rules "
            f"({kinds['match']} match, {kinds['threshold']} threshold, "
            f"{kinds['sequence']} sequence)"
            + (f", disables {len(pack.disable)}" if pack.disable else "")
        )
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_rules(
    pack: Annotated[
        list[str] | None, typer.Option("--pack", "-p", help="Pack name or file (repeatable).")
    ] = None,
    rules: Annotated[
        list[str] | None, typer.Option("--rules", "-r", help="More rule files (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="A policy file (or built-in): its monitor section."),
    ] = None,
) -> None:
    """List the rules of packs (default: the default pack, or the policy's) and whether
    the learned scorer is on."""
    scorer_line: str | None = None
    if policy is not None:
        from ..policy import PolicyError, load
        from .scorer import RULE_ID, policy_state

        try:
            pol = load(policy)
        except PolicyError as exc:
            for problem in exc.problems:
                _err().print(f"[red]error:[/red] {escape(str(problem))}")
            raise typer.Exit(1) from None
        section = pol.model.monitor
        if not pack and section is not None and section.packs:
            pack = list(section.packs)
        scorer_line = f"detector {RULE_ID} (learned, medium): {escape(policy_state(pol)[1])}"
    mon = _monitor(pack or ["default"], rules or [], anomaly=False)
    if scorer_line is None:
        scorer_line = _learned_detector(mon.scoring, " (the default)" if not pack else "")
    if as_json:
        data = [
            {"id": r.id, "title": r.title, "severity": r.severity, "technique": r.technique,
             "kind": r.kind, "response": r.response, "tags": list(r.tags), "origin": r.origin}
            for r in mon.rules
        ]  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"{len(mon.rules)} monitor rules")
    for col in ("id", "severity", "technique", "kind", "title"):
        table.add_column(col)
    for r in mon.rules:
        color = _SEVERITY_COLORS.get(r.severity, "")
        table.add_row(
            escape(r.id),
            f"[{color}]{r.severity}[/{color}]",
            r.technique or "",
            r.kind,
            escape(r.title),
        )
    out = _out()
    out.print(table)
    out.print(scorer_line)


def _learned_detector(on: bool | None = None, why: str = " (the default)") -> str:
    """The learned scorer as a detector line (whether it is on, its version, threshold)."""
    from .scorer import DEFAULT_ON, RULE_ID, describe

    line = describe(DEFAULT_ON if on is None else on, why)
    return f"detector {RULE_ID} (learned, medium): {escape(line)}"


def _read_events(path: str) -> list[Any]:
    events = []
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        _err().print(f"[red]error:[/red] cannot read {escape(path)}: {escape(str(exc))}")
        raise typer.Exit(1) from None
    with handle:
        for n, line in enumerate(handle, 1):
            text = line.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    raise ValueError("expected a JSON object")
                if "body" in obj and obj.get("kind", "event") != "event":
                    continue  # audit rows that are not events (checkpoints, notes, ...)
                events.append(event_from(obj, seq=n))
            except (ValueError, TypeError) as exc:
                _err().print(f"[red]error:[/red] {escape(path)}:{n}: {escape(str(exc))}")
                raise typer.Exit(1) from None
    return events


def _print_alerts(alerts: list[Alert]) -> None:
    out = _out()
    if not alerts:
        out.print("no alerts")
        return
    table = Table(title=f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}")
    for col in ("session", "severity", "response", "rule", "technique", "summary"):
        table.add_column(col)
    for a in alerts:
        color = _SEVERITY_COLORS.get(a.severity, "")
        summary = a.summary + (f" (x{a.count})" if a.count > 1 else "")
        table.add_row(
            escape(a.session), f"[{color}]{a.severity}[/{color}]", a.response, escape(a.rule),
            a.technique or "", escape(summary),
        )  # fmt: skip
    out.print(table)


@app.command("test")
def test_rules(
    rules_file: Annotated[str, typer.Argument(help="Rule file to run.")],
    events_file: Annotated[
        str, typer.Argument(help="Recorded events: one Event JSON or audit export line each.")
    ],
    pack: Annotated[
        list[str] | None, typer.Option("--pack", "-p", help="Also load this pack (repeatable).")
    ] = None,
    anomaly: Annotated[bool, typer.Option("--anomaly", help="Score anomalies too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print alerts as JSON lines.")] = False,
) -> None:
    """Run rules over recorded events and print the alerts they raise."""
    mon = _monitor(pack or [], [rules_file], anomaly)
    alerts: list[Alert] = []
    for ev in _read_events(events_file):
        alerts.extend(mon.observe(ev))
    if as_json:
        for a in alerts:
            typer.echo(a.model_dump_json())
        return
    _print_alerts(alerts)


@app.command("eval")
def eval_corpus(
    corpus: Annotated[
        str | None, typer.Argument(help="Labelled corpus (JSONL); or give --corpus.")
    ] = None,
    corpus_files: Annotated[
        list[str] | None,
        typer.Option("--corpus", "-c", help="Labelled corpus files (JSONL), repeatable."),
    ] = None,
    pack: Annotated[
        list[str] | None, typer.Option("--pack", "-p", help="Packs (default: default).")
    ] = None,
    rules: Annotated[
        list[str] | None, typer.Option("--rules", "-r", help="More rule files (repeatable).")
    ] = None,
    min_detection: Annotated[
        float, typer.Option(help="Exit 1 when any class's detection rate is below this.")
    ] = 0.9,
    max_fpr: Annotated[
        float, typer.Option(help="Exit 1 when the false-positive rate is above this.")
    ] = 0.02,
    min_severity: Annotated[
        str, typer.Option(help="Count alerts of this severity or above.")
    ] = "low",
    anomaly: Annotated[
        bool, typer.Option("--anomaly/--no-anomaly", help="Score anomalies too.")
    ] = True,
    scorer: Annotated[
        bool | None,
        typer.Option(
            "--scorer/--no-scorer",
            help="The learned command-text scorer (default: the monitor's default).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Measure detection per class and the false-positive rate on a corpus."""
    from .evaluate import evaluate, load_corpus, print_report

    if min_severity not in ("low", "medium", "high", "critical"):
        _err().print(f"[red]error:[/red] unknown severity {escape(min_severity)!r}")
        raise typer.Exit(2)
    paths = ([corpus] if corpus else []) + (corpus_files or [])
    if not paths:
        _err().print("[red]error:[/red] give a corpus file (argument or --corpus FILE)")
        raise typer.Exit(2)
    packs, files = pack or ["default"], rules or []
    _monitor(packs, files, anomaly=False)  # report rule errors once, up front
    try:
        items = [item for path in paths for item in load_corpus(path)]
        report = evaluate(
            items,
            lambda: Monitor(
                packs=packs, rules_files=files, baseline=None if anomaly else False, scorer=scorer
            ),
            min_severity=min_severity,
        )
        report.source = ", ".join(paths)
    except (OSError, ValueError) as exc:
        _err().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    failures = report.failures(min_detection, max_fpr)
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "failures": failures}, indent=2))
    else:
        print_report(report, _out())
        for f in failures:
            _err().print(f"[red]below threshold:[/red] {escape(f)}")
    if failures:
        raise typer.Exit(1)


@app.command()
def bench(
    events: Annotated[int, typer.Option("--events", "-n", help="How many events.")] = 100_000,
    anomaly: Annotated[
        bool, typer.Option("--anomaly/--no-anomaly", help="Score anomalies too.")
    ] = True,
) -> None:
    """Measure events per second with the default pack on typical benign events."""
    from .bench import run

    result = run(events, baseline=anomaly)
    _out().print(
        f"{result['events']} events in {result['cpu_seconds']:.3f} s CPU: "
        f"[bold]{result['events_per_s']:,}[/bold] events/s "
        f"({result['rules']} rules, anomaly {'on' if result['anomaly'] else 'off'})"
    )

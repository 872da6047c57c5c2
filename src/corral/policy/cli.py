"""``corral policy``: check, explain, init and show policy files.

Mount with ``app.add_typer(corral.policy.cli.app, name="policy")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .engine import Policy
from .loader import BUILTIN_NAMES, PolicyError, builtin, builtin_text, load_file, starter_text

app = typer.Typer(
    help="Check, explain and write policy files (the constitution of a sandbox).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COLORS = {"allow": "green", "ask": "yellow", "deny": "red"}


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _load(file: str) -> Policy:
    """A policy file, or a built-in policy by name when no such file exists."""
    if not Path(file).exists() and file in BUILTIN_NAMES:
        return builtin(file)
    return load_file(file)


def _report_errors(exc: PolicyError) -> None:
    err = _err()
    for problem in exc.problems:
        err.print(f"[red]error:[/red] {escape(str(problem))}")
    n = len(exc.problems)
    err.print(f"[bold red]{n} error{'s' if n != 1 else ''}[/bold red]")


@app.command()
def check(
    file: Annotated[str, typer.Argument(help="Policy file (or a built-in name).")],
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Validate a policy: print OK with rule counts, or every error and warning."""
    try:
        policy = _load(file)
    except PolicyError as exc:
        _report_errors(exc)
        raise typer.Exit(1) from None
    c = policy.rule_counts()
    out = _out()
    out.print(
        f"[green]OK[/green] {escape(file)}: "
        f"commands {c['commands.allow']} allow, {c['commands.ask']} ask, "
        f"{c['commands.deny']} deny (default {policy.commands_default}); "
        f"filesystem {c['filesystem.read']} read, {c['filesystem.write']} write, "
        f"{c['filesystem.deny']} deny; "
        f"network {c['network.allow']} allow, {c['network.deny'] + c['network.deny_cidrs']} deny "
        f"(default {policy.network_default}); "
        f"tools {c['tools'] if policy.has_tools else 'all'}; "
        f"{c['principles']} principles"
    )
    for warning in policy.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if strict and policy.warnings:
        raise typer.Exit(1)


@app.command()
def explain(
    file: Annotated[str, typer.Argument(help="Policy file (or a built-in name).")],
    target: Annotated[
        str,
        typer.Argument(help="A command line; with --kind: a host, a path, a tool or code."),
    ],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="exec (default), net, file, tool or code.")
    ] = "exec",
    op: Annotated[str, typer.Option(help="File operation for --kind file.")] = "read",
    args: Annotated[str, typer.Option(help="Tool arguments as JSON for --kind tool.")] = "{}",
    language: Annotated[str, typer.Option(help="python, js or shell for --kind code.")] = "python",
    cwd: Annotated[str, typer.Option(help="Working directory for a command.")] = "/workspace",
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Show the decision on one action, the deciding rule, its principle and reason."""
    try:
        policy = _load(file)
    except PolicyError as exc:
        _report_errors(exc)
        raise typer.Exit(1) from None
    if kind == "exec":
        decision = policy.decide_command(target, cwd=cwd)
    elif kind == "net":
        host = target
        if "://" in target:
            from urllib.parse import urlsplit

            host = urlsplit(target).hostname or ""
        decision = policy.decide_net(host)
    elif kind == "file":
        if op not in ("read", "write", "delete", "list", "mkdir", "chmod", "stat"):
            _err().print(f"[red]error:[/red] unknown file operation {escape(op)!r}")
            raise typer.Exit(2)
        decision = policy.decide_file(op, target)
    elif kind == "tool":
        try:
            tool_args: Any = json.loads(args)
        except json.JSONDecodeError as exc:
            _err().print(f"[red]error:[/red] --args is not JSON: {escape(str(exc))}")
            raise typer.Exit(2) from None
        decision = policy.decide_tool(target, tool_args if isinstance(tool_args, dict) else {})
    elif kind == "code":
        decision = policy.decide_code(language, target)
    else:
        _err().print(
            f"[red]error:[/red] unknown --kind {escape(kind)!r} (exec, net, file, tool, code)"
        )
        raise typer.Exit(2)
    info = policy.rule_info(decision.rule) if decision.rule else None
    from ..monitor.scorer import policy_state

    scorer_on, scorer_line = policy_state(policy)
    if as_json:
        data = decision.model_dump()
        if info is not None:
            data["rule_text"] = info.text
            data["rule_origin"] = info.origin
            data["principle_text"] = info.principle_text
        data["scorer"] = {"on": scorer_on, "summary": scorer_line}
        typer.echo(json.dumps(data, indent=2))
        return
    out = _out()
    color = _COLORS[decision.verdict]
    out.print(f"decision:  [bold {color}]{decision.verdict.upper()}[/bold {color}]")
    out.print(f"rule:      {escape(decision.rule or '(none)')}")
    if info is not None:
        out.print(f"pattern:   {escape(info.text)}")
        if info.origin:
            out.print(f"defined:   {escape(info.origin)}")
    if decision.principle:
        text = policy.principles.get(decision.principle)
        suffix = f" — {text}" if text else ""
        out.print(f"principle: {escape(decision.principle + suffix)}")
    out.print(f"reason:    {escape(decision.reason)}")
    out.print(f"monitor:   {escape(scorer_line)}")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter policy.")] = Path(
        "policy.yaml"
    ),
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Overwrite an existing file.")
    ] = False,
) -> None:
    """Write a commented starter policy."""
    if path.exists() and not force:
        _err().print(
            f"[red]error:[/red] {escape(str(path))} already exists (use --force to overwrite)"
        )
        raise typer.Exit(1)
    path.write_text(starter_text(), encoding="utf-8")
    _out().print(
        f"wrote {escape(str(path))}; check it with: corral policy check {escape(str(path))}"
    )


@app.command()
def show(
    name: Annotated[
        str | None, typer.Argument(help=f"A built-in policy: {', '.join(BUILTIN_NAMES)}.")
    ] = None,
) -> None:
    """Print a built-in policy (without NAME: list them)."""
    if name is None:
        out = _out()
        for n in BUILTIN_NAMES:
            description = builtin(n).model.description or ""
            out.print(f"[bold]{n}[/bold]  {escape(description)}")
        return
    if name not in BUILTIN_NAMES:
        _err().print(
            f"[red]error:[/red] no built-in policy named {escape(name)!r} "
            f"(built-ins: {', '.join(BUILTIN_NAMES)})"
        )
        raise typer.Exit(1)
    typer.echo(builtin_text(name), nl=False)

"""``corral doctor``: the checks of :mod:`.doctor` as a command (typer is loaded only here)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .doctor import doctor as run_checks

app = typer.Typer(
    help="Check what the native sandboxes (bwrap, gVisor) need.", add_completion=False
)


@app.callback(invoke_without_command=True)
def main(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Skip starting a gVisor sandbox.")] = False,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            "-p",
            help="Show what a sandbox gets under this policy (built-in name or file).",
        ),
    ] = "default",
) -> None:
    """Say what is installed and working, and exactly what to do about what is not."""
    from ..errors import CorralError
    from ..policy import load

    try:
        loaded = load(policy)
    except (CorralError, OSError, ValueError) as e:
        typer.echo(f"corral doctor: --policy {policy}: {e}", err=True)
        raise typer.Exit(code=2) from None
    checks = run_checks(deep=not quick, policy=loaded, policy_label=f"policy {policy!r}")
    if as_json:
        typer.echo(json.dumps([c.to_dict() for c in checks], indent=2))
    else:
        for c in checks:
            mark = "ok " if c.ok else ("-- " if c.optional else "NO ")
            typer.echo(f"[{mark}] {c.name}: {c.detail}")
            if not c.ok and c.fix:
                typer.echo(f"       fix: {c.fix}")
        for backend in ("bwrap", "gvisor"):
            ok = all(c.ok for c in checks if backend in c.needed_by and not c.optional)
            typer.echo(f"{backend}: {'ready' if ok else 'NOT available'}")
    bad = [c for c in checks if not c.ok and not c.optional]
    raise typer.Exit(code=1 if bad else 0)

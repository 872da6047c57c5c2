"""``corral mcp``: serve the sandbox's tools to an MCP client over stdio.

    corral mcp --policy default
    claude mcp add corral -- corral mcp --policy strict --audit ~/corral-audit.db

stdout carries the protocol; everything corral says goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    from rich.markup import escape

    err.print(f"[bold red]corral:[/bold red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def mcp_command(
    policy: Annotated[
        str,
        typer.Option(help="Policy: a built-in name (default, strict, permissive) or a YAML file."),
    ] = "default",
    backend: Annotated[
        str, typer.Option(help="wasm (default), bwrap or gvisor: where shell commands run.")
    ] = "wasm",
    audit: Annotated[
        Path | None, typer.Option(help="Write every event to this audit log (SQLite).")
    ] = None,
    max_output_chars: Annotated[
        int, typer.Option(min=100, help="Characters of each stream a tool result shows.")
    ] = 50_000,
) -> None:
    """Serve the sandbox's tools to an MCP client on stdin/stdout.

    run_shell, run_python, run_js, read_file, write_file and list_files on one sandbox
    for the session; the policy's 'ask' goes to the client as an elicitation when it
    supports them, and is denied otherwise."""
    import anyio

    from ..audit_cli import open_audit
    from ..backend import backend_class
    from ..errors import CorralError
    from .server import serve_stdio
    from .sessions import make_factory

    try:
        backend_class(backend)
        factory = make_factory(policy=policy, backend=backend)
        log = open_audit(audit) if audit is not None else None
    except (CorralError, ValueError) as e:
        _fail(str(e))
        return
    try:
        anyio.run(lambda: serve_stdio(factory, max_output_chars=max_output_chars))
    except KeyboardInterrupt:
        pass
    finally:
        if log is not None:
            log.close()

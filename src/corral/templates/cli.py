"""``corral template build/import/list/inspect/rm``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import CorralError

app = typer.Typer(
    help="Build, import, list, inspect and remove templates for the native backends.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]corral:[/bold red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@app.command()
def build(
    name: Annotated[str, typer.Argument(help="Name of the new template.")],
    script: Annotated[
        list[str] | None,
        typer.Argument(help="The set-up script (after --); '-' reads it from stdin."),
    ] = None,
    backend: Annotated[str, typer.Option(help="bwrap or gvisor")] = "bwrap",
    policy: Annotated[
        str | None, typer.Option(help="Policy for the build (name or file).")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the script.")] = None,
    workspace: Annotated[
        Path | None, typer.Option(help="Directory copied in as /workspace (not changed).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Wall-time budget in seconds.")] = 1800.0,
    max_mb: Annotated[float, typer.Option(help="Largest base allowed, in MB.")] = 8192.0,
    replace: Annotated[bool, typer.Option(help="Replace a template of that name.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream output.")] = False,
) -> None:
    """Run SCRIPT once in a sandbox and keep what it installed in /usr and /opt."""
    from . import build as do_build
    from .build import TemplateBuildFailed

    if script and script[0] == "--":
        script = script[1:]
    if file is not None:
        if script:
            _fail("give the script after -- or with --file, not both")
        try:
            text = file.read_text()
        except OSError as e:
            _fail(f"cannot read {file}: {e.strerror}")
            return
    elif script == ["-"]:
        text = sys.stdin.read()
    elif script:
        text = " ".join(script)
    else:
        _fail("no set-up script: corral template build NAME --backend bwrap -- SCRIPT")
        return

    def show(stream: str, chunk: str) -> None:
        (sys.stdout if stream == "stdout" else sys.stderr).write(chunk)

    try:
        t = do_build(name, text, backend=backend, policy=policy, workspace=workspace,
                     timeout=timeout, max_mb=max_mb, replace=replace,
                     on_output=None if quiet else show)  # fmt: skip
    except TemplateBuildFailed as e:
        _fail(str(e) if quiet else str(e).split("\n", 1)[0], 1)
        return
    except (CorralError, ValueError) as e:
        _fail(str(e))
        return
    i = t.info
    msg = (f"template {t.name!r}: {i.files} entries, {_size(i.size_bytes)}, "
           f"built in {i.build_seconds:.1f} s, digest {i.digest[:16]}")  # fmt: skip
    out.print(msg, highlight=False)


@app.command("import")
def import_(
    name: Annotated[str, typer.Argument(help="Name of the new template.")],
    image: Annotated[Path, typer.Argument(help="OCI image layout tarball or docker save.")],
    max_mb: Annotated[float, typer.Option(help="Largest image allowed, in MB.")] = 8192.0,
    replace: Annotated[bool, typer.Option(help="Replace a template of that name.")] = False,
) -> None:
    """Make a template whose root filesystem is the image in IMAGE (no daemon needed)."""
    from . import import_image

    try:
        t = import_image(name, image, max_mb=max_mb, replace=replace)
    except (CorralError, ValueError) as e:
        _fail(str(e))
        return
    i = t.info
    msg = (f"template {t.name!r} from {image.name}: {i.files} entries, "
           f"{_size(i.size_bytes)}, digest {i.digest[:16]}")  # fmt: skip
    out.print(msg, highlight=False)


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the templates."""
    from .store import info_json, list_templates

    ts = list_templates()
    if as_json:
        print(json.dumps([info_json(t) for t in ts], indent=2))
        return
    if not ts:
        out.print("no templates (make one with 'corral template build' or 'import')")
        return
    table = Table("name", "kind", "from", "size", "entries", "created", "digest")
    for t in ts:
        i = t.info
        src = i.backend if i.kind == "script" else (i.source or {}).get("file", "")
        table.add_row(t.name, i.kind, str(src), _size(i.size_bytes), str(i.files), i.created,
                      i.digest[:12])  # fmt: skip
    out.print(table)


@app.command()
def inspect(
    name: Annotated[str, typer.Argument(help="Template name.")],
    verify: Annotated[
        bool, typer.Option(help="Recompute the base's digest and compare.")
    ] = False,
) -> None:
    """Show what a template records (JSON); --verify checks its base is unchanged."""
    from .store import digest, get, info_json

    try:
        t = get(name)
    except CorralError as e:
        _fail(str(e))
        return
    data = info_json(t)
    if verify:
        now = digest(t.base)[0]
        data["verified"] = now == t.info.digest
    print(json.dumps(data, indent=2))
    if verify and not data["verified"]:
        raise typer.Exit(1)


@app.command("rm")
def rm(names: Annotated[list[str], typer.Argument(help="Template names.")]) -> None:
    """Remove templates (refused while a sandbox uses one)."""
    from .store import remove

    code = 0
    for n in names:
        try:
            remove(n)
            out.print(f"removed template {n!r}", highlight=False)
        except CorralError as e:
            err.print(f"[bold red]corral:[/bold red] {escape(str(e))}", highlight=False)
            code = 2
    raise typer.Exit(code)

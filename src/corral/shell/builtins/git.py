"""``git`` (the implementation is the ``corral.shell.git`` package, imported on the
first call: dulwich is not loaded until a script uses git)."""

from __future__ import annotations

from ..command import CommandContext, command
from ..git.usage import USAGE


@command("git")
def git(ctx: CommandContext) -> int:
    from ..git.main import run

    return run(ctx)


git.__doc__ = USAGE

"""``git`` (the implementation is the ``corral.shell.git`` package)."""

from __future__ import annotations

from ..command import CommandContext, command
from ..git.main import USAGE, run


@command("git")
def git(ctx: CommandContext) -> int:
    return run(ctx)


git.__doc__ = USAGE

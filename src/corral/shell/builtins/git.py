"""``git`` (the implementation is the ``corral.shell.git`` package, imported on the
first call: dulwich is not loaded until a script uses git)."""

from __future__ import annotations

from ..command import CommandContext, command
from ..git.usage import USAGE


@command("git")
def git(ctx: CommandContext) -> int:
    from ..git.main import run

    # git's own files (.git/config, hooks as clone and init write them): decided as the
    # command, as a real git's are; what git is asked to do is the command's decision
    with ctx.ws.ungated():
        return run(ctx)


git.__doc__ = USAGE

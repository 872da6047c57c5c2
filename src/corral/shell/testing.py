"""Run one built-in directly, without the shell: for unit tests of built-ins.

from corral.shell.testing import BuiltinBench
with BuiltinBench() as bb:
    bb.write("a.txt", "b\\na\\n")
    r = bb.run(["sort", "a.txt"])
    assert r.stdout == b"a\\nb\\n" and r.status == 0
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..budget import Budget
from ..deeptree import remove_tree
from ..files import Workspace
from .command import REGISTRY, Cancelled, CommandContext, CommandError


@dataclass
class BuiltinResult:
    status: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "surrogateescape")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "surrogateescape")


class BuiltinBench:
    """A temporary workspace and a way to call built-ins in it."""

    def __init__(self, budget: Budget | None = None) -> None:
        import corral.shell.builtins  # noqa: F401  (registers the built-ins)

        self.root = Path(tempfile.mkdtemp(prefix="corral-bb-"))
        self.ws = Workspace(self.root, budget or Budget())
        self.cwd = "/workspace"

    def __enter__(self) -> BuiltinBench:
        return self

    def __exit__(self, *exc: object) -> None:
        remove_tree(self.root, ignore_errors=True)

    def write(self, path: str, data: str | bytes) -> Path:
        host = self.ws.resolve(path, self.cwd)
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_bytes(data.encode() if isinstance(data, str) else data)
        return host

    def read(self, path: str) -> bytes:
        return self.ws.resolve(path, self.cwd).read_bytes()

    def run(
        self,
        argv: list[str],
        stdin: bytes | str = b"",
        env: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> BuiltinResult:
        fn = REGISTRY.get(argv[0])
        if fn is None:
            raise KeyError(f"no built-in named {argv[0]!r}")
        out, err = io.BytesIO(), io.BytesIO()
        data = stdin.encode() if isinstance(stdin, str) else stdin

        def run_command(sub: list[str], sub_stdin: bytes) -> tuple[int, bytes, bytes]:
            r = self.run(sub, sub_stdin, env, timeout)
            return r.status, r.stdout, r.stderr

        ctx = CommandContext(
            argv=list(argv),
            stdin=io.BytesIO(data),
            stdout=out,
            stderr=err,
            env=dict(env or {"HOME": "/workspace", "PATH": "/usr/bin:/bin"}),
            cwd=self.cwd,
            ws=self.ws,
            deadline=time.monotonic() + timeout,
            run_command=run_command,
        )
        try:
            status = fn(ctx)
        except CommandError as e:
            ctx.err(str(e))
            status = e.status
        except Cancelled:
            status = 124
        except BrokenPipeError:
            status = 141
        return BuiltinResult(int(status or 0), out.getvalue(), err.getvalue())

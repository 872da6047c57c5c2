"""The WebAssembly tier as a backend: the corral shell in its confined worker.

``run()`` gives a script to the sandbox's :class:`~corral.wasm.shellproc.ShellProcess`
and turns what comes back into a :class:`~corral.RunResult`. The worker's questions
(may this command run, run this Python, call this tool, fetch this URL) go to ``gate``,
the sandbox's side of the tier (:class:`~corral.wasm.shellproc.Handler`).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..budget import Budget, RunResult
from .shellproc import TEMPLATE, ShellProcess, WorkerUnavailable, shell_confinement


class WasmBackend:
    """The default tier: pip-only, the corral shell in a worker per sandbox."""

    name = "wasm"

    def __init__(
        self,
        workspace: Path,
        budget: Budget,
        *,
        gate: Any = None,
        events: Any = None,
        session: str = "",
        copy_workspace: bool = False,
        net_decide: Callable[..., Any] | None = None,
        env: dict[str, str] | None = None,
        landlock: bool = True,
        ask_exec: bool = True,
        tool_names: Callable[[], list[str]] | None = None,
        disk_check: Callable[[], str | None] | None = None,
        cpu_s: float | None = None,
        predecided: Callable[[], dict[str, Any] | None] | None = None,
        file_screen: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        if copy_workspace:
            raise ValueError("copy_workspace is for the native backends")
        if gate is None:
            raise ValueError("the wasm backend needs the sandbox's handler as gate=")
        self.workspace = Path(workspace)
        self.budget = budget
        self.handler = gate
        self.events = events
        self.ask_exec = ask_exec
        self.tool_names = tool_names or list
        self.disk_check = disk_check
        #: the table of commands the worker may run without asking, asked for every call
        self.predecided = predecided
        self.file_screen = file_screen
        self.proc = ShellProcess(self.workspace, budget, landlock=landlock, cpu_s=cpu_s)

    # -- the protocol -------------------------------------------------------------------

    @classmethod
    def prepare(cls) -> dict[str, Any]:
        """Start loading the worker template (shared by every sandbox of this process)
        and say what the kernel will enforce on the workers."""
        TEMPLATE.start()
        return shell_confinement()

    def start(self) -> None:
        """Nothing to do: the worker starts on the first run (the template already loads)."""

    @property
    def cwd(self) -> str:
        return self.proc.cwd

    @property
    def confinement(self) -> dict[str, Any]:
        return self.proc.confinement

    def run(
        self,
        command: str | list[str],
        *,
        stdin: bytes | str = b"",
        timeout: float | None = None,
        terminal: Any = None,
        on_output: Callable[[str, str], None] | None = None,
    ) -> RunResult:
        if terminal is not None:
            raise ValueError("terminal=True needs a native backend (backend='bwrap' or 'gvisor')")
        script = command if isinstance(command, str) else shlex.join(command)
        data = stdin.encode("utf-8", "surrogateescape") if isinstance(stdin, str) else stdin
        wall = self.budget.wall_s if timeout is None else timeout
        t0 = time.monotonic()
        try:
            r = self.proc.run(
                script,
                data,
                wall_s=wall,
                handler=self.handler,
                ask_exec=self.ask_exec,
                tools=self.tool_names(),
                on_output=on_output,
                disk_check=self.disk_check,
                on_sample=self._sample if self.events is not None else None,
                predecided=self.predecided() if self.predecided is not None else None,
                file_screen=self.file_screen() if self.file_screen is not None else None,
            )
        except WorkerUnavailable as e:
            return RunResult(
                language="shell", exit_code=126, error="crash", error_message=str(e),
                stderr=f"corral: {e}\n",
            )  # fmt: skip
        if r.restarted and self.events is not None:
            self.events.emit("interpreter.restarted", data={"language": "shell"})
        result = RunResult(language="shell", exit_code=r.status, stdout=r.stdout, stderr=r.stderr)
        result.restarted = r.restarted
        result.usage.wall_s = time.monotonic() - t0
        result.usage.cpu_s = r.cpu_s
        result.usage.memory_bytes = r.memory_bytes
        result.usage.output_chars = r.output_bytes
        _explain(result, r.exceeded, r.crashed, wall, self.budget)
        return result

    def _sample(self, data: dict[str, Any]) -> None:
        self.events.emit("resource.sample", data=data)

    def kill(self) -> None:
        self.proc.kill()

    def interrupt(self) -> None:
        self.proc.cancel()

    def close(self) -> None:
        self.proc.close()


def _explain(
    result: RunResult, exceeded: str | None, crashed: str, wall: float, budget: Budget
) -> None:
    """Name what ended the call in the result (and one line on stderr)."""
    if exceeded == "wall_time":
        result.error = result.budget_exceeded = "wall_time"
        result.error_message = f"wall-time budget of {wall:g} s exceeded"
    elif exceeded == "interrupted":
        result.error = result.error_message = "interrupted"
        return
    elif exceeded == "output":
        result.error = result.budget_exceeded = "output"
        result.truncated = True
        result.error_message = f"output budget of {budget.output_chars} characters exceeded"
        result.stdout += "\n[corral: output truncated at the output budget]\n"
        return
    elif exceeded == "cpu_time":
        result.error = result.budget_exceeded = "cpu_time"
        result.error_message = "CPU-time budget exceeded"
    elif exceeded == "memory":
        result.error = result.budget_exceeded = "memory"
        result.error_message = f"memory budget of {budget.memory_mb} MB exceeded"
    elif exceeded == "disk":
        result.error = result.budget_exceeded = "disk"
        result.error_message = crashed
    elif exceeded == "killed":
        result.error = "killed"
        result.error_message = "the session was stopped"
        return
    elif crashed:
        result.error = "crash"
        result.error_message = crashed
    else:
        if result.exit_code != 0:
            result.error = "exit"
        return
    result.stderr += f"\n[corral] {result.error_message}\n"

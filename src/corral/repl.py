"""``corral shell``: an interactive prompt on the corral shell."""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

from .budget import Budget, RunResult
from .liveprint import LiveOutput
from .paths import corral_home
from .sandbox import Sandbox


def _complete_line(text: str) -> bool:
    """False when the line needs more input (open quotes, blocks, here-docs)."""
    from .shell.lexer import ShellSyntaxError
    from .shell.parser import parse

    try:
        parse(text)
        return True
    except ShellSyntaxError as e:
        msg = str(e)
        return not ("unexpected end of file" in msg or "unexpected EOF" in msg or "missing" in msg)


def run_repl(timeout: float = 300.0, workdir: Path | None = None, policy: str | None = None) -> int:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on Debian
        readline = None  # type: ignore[assignment]
    hist = corral_home() / "shell_history"
    if readline is not None:
        try:
            hist.parent.mkdir(parents=True, exist_ok=True)
            readline.read_history_file(str(hist))
        except OSError:
            pass
    interactive = sys.stdin.isatty()
    status = 0
    approver = None
    if policy is not None:
        from .policy import Terminal

        approver = Terminal()  # asks at this prompt: allow once / always / deny
    with Sandbox(
        budget=Budget(wall_s=timeout), workdir=workdir, policy=policy, approver=approver
    ) as sb:
        if interactive:
            print(f"corral shell — sandbox {sb.session} (workspace {sb.path}); Ctrl-D to exit")
        while True:
            cwd = sb.shell_cwd
            prompt = f"corral:{cwd}$ " if interactive else ""
            try:
                line = input(prompt)
                while not _complete_line(line):
                    line += "\n" + input("> " if interactive else "")
            except EOFError:
                if interactive:
                    print()
                break
            except KeyboardInterrupt:
                print("^C")
                continue
            if not line.strip():
                continue
            result = _run_interruptible(sb, line)  # output printed as it comes
            status = result.exit_code
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.write_history_file(str(hist))
    return status


def _run_interruptible(sb: Sandbox, line: str) -> RunResult:
    box: dict[str, RunResult] = {}
    live = LiveOutput()
    t = threading.Thread(
        target=lambda: box.__setitem__("r", sb.run(line, on_output=live)), daemon=True
    )
    t.start()
    while t.is_alive():
        try:
            t.join(timeout=0.1)
        except KeyboardInterrupt:
            sb.interrupt()
            print("^C", file=sys.stderr)
    r = box.get("r")
    if r is None:
        r = RunResult(language="shell", exit_code=130, stderr="interrupted\n")
    live.finish(r)
    if r.budget_exceeded == "wall_time" and r.exit_code == 137:
        r.exit_code = 130
    return r

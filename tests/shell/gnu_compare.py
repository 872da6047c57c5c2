"""The same script under GNU bash + coreutils and under the corral shell, over the same
files: what tests/shell's "same as GNU" tables compare (stdout bytes and exit code)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from corral import Sandbox

BASH = shutil.which("bash") or "/bin/bash"


def needs_gnu(tool: str) -> pytest.MarkDecorator:
    """Skip unless bash and the GNU ``tool`` (a recent one: the newest the table uses)
    are installed."""
    return pytest.mark.skipif(
        shutil.which("bash") is None or shutil.which(tool) is None, reason="no GNU tools"
    )


def gnu(script: str, files: dict[str, bytes]) -> tuple[bytes, int]:
    """``script`` under GNU bash in a fresh directory holding ``files``."""
    with tempfile.TemporaryDirectory() as d:
        for name, data in files.items():
            (Path(d) / name).write_bytes(data)
        p = subprocess.run(
            [BASH, "-c", script], cwd=d, capture_output=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": d},
        )  # fmt: skip
        return p.stdout, p.returncode


def corral(sb: Sandbox, script: str, files: dict[str, bytes]) -> tuple[bytes, int]:
    """``script`` in ``sb``'s workspace, emptied and holding ``files``."""
    sb.run("rm -rf /workspace/* 2>/dev/null; true")
    for name, data in files.items():
        sb.files.write(f"/workspace/{name}", data)
    r = sb.run(script)
    out = r.stdout
    if isinstance(out, str):
        out = out.encode("utf-8", "surrogateescape")
    return out, r.exit_code

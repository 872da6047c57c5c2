"""The same script under GNU bash + coreutils and under the corral shell, over the same
files: what tests/shell's "same as GNU" tables compare (stdout bytes and exit code)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from corral import Sandbox
from corral.shell.testing import BuiltinBench

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


#: the files of the GNU-comparison tables (each script starts in a directory holding them)
TABLE_FILES: dict[str, bytes] = {
    "a": b"abc\nde\n",
    "b": b"abc\ndx\n",
    "c": b"abc\n",
    "e": b"",
    "n": b"".join(b"%d\n" % i for i in range(1, 8)),
    "j1": b"a 1\nb 2\nc 3\n",
    "j2": b"a x\nc y\nd z\n",
    "m1": b"a 1\na 2\nb 3\n",
    "m2": b"a x\na y\n",
    "bin": bytes(range(256)),
    "tabs": b"a\tb\n        x\n   y\tz\n\tlead\t mid  \t\n",
    "long": b"the quick brown fox jumps over the lazy dog and keeps running far away\n" * 3,
    "pairs": b"b c\na b\nd e\nc f\n",
    "loop": b"a b\nb c\nc a\nd e\n",
    "nums": b"1000\n1500\n999\n1048576\n123456789\n",
    "mixed": b"\x01\x02hello\x00wor\x00\x00longer string here\n\x7fabc\tdef\xffghij",
    "rep": b"a" * 64 + b"b" * 3,
}


def builtin_as_gnu(
    bb: BuiltinBench, d: str, args: list[str], data: bytes,
    env: dict[str, str] | None = None, what: object = None,
) -> None:
    """The built-in ``args`` over a file ``in`` holding ``data`` (in ``bb``'s workspace)
    gives GNU's stdout and status over the same file in directory ``d``."""
    bb.write("in", data)
    Path(d, "in").write_bytes(data)
    ours = bb.run([*args, "in"])
    ref = subprocess.run([*args, "in"], cwd=d, capture_output=True, timeout=60, env=env)
    assert (ours.stdout, ours.status) == (ref.stdout, ref.returncode), what or args

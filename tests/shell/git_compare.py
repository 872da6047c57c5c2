"""The harness of the git tests: one script run by bash with the real ``git`` in a
temporary directory and by the corral shell (``Sandbox.run``, the WebAssembly tier's
worker); the identity and dates fixed the same way in both."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import pytest

from corral import Sandbox

GIT = shutil.which("git", path="/usr/bin:/bin")

ENV = {
    "GIT_AUTHOR_NAME": "A U Thor",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "C O Mitter",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2005-04-07T22:13:13 +0200",
    "GIT_COMMITTER_DATE": "2005-04-07T22:13:13 +0200",
}
PRELUDE = "".join(f"export {k}='{v}'\n" for k, v in ENV.items())


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str


def real_git(script: str, with_identity: bool = True) -> Outcome:
    """``script`` under /bin/bash and the real git, paths shown as ``/workspace``."""
    d = tempfile.mkdtemp(prefix="corral-realgit-")
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": d, "GIT_CONFIG_NOSYSTEM": "1", "TZ": "UTC",
               "LC_ALL": "C", "EMAIL": ""}  # fmt: skip
        if not with_identity:  # git would guess from the host's name: make it refuse
            with open(os.path.join(d, ".gitconfig"), "w") as f:
                f.write("[user]\n\tuseConfigOnly = true\n")
        r = subprocess.run(["/bin/bash", "-c", (PRELUDE if with_identity else "") + script],
                           cwd=d, env=env, capture_output=True, timeout=120)  # fmt: skip
        real = os.path.realpath(d)
        out = r.stdout.decode("utf-8", "replace")
        for p in (real, d):
            out = out.replace(p, "/workspace")
        return Outcome(r.returncode, out, r.stderr.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def corral_git(sb: Sandbox, script: str, with_identity: bool = True) -> Outcome:
    r = sb.run((PRELUDE if with_identity else "") + script)
    return Outcome(r.exit_code, r.stdout, r.stderr)


#: a module's mark: compared with the real git, skipped (saying why) where there is none
NEEDS_GIT = pytest.mark.skipif(
    GIT is None,
    reason="the real git is not installed (scripts/install-system-packages.sh installs it)",
)


def fresh(sb: Sandbox) -> None:
    """An empty workspace (dot files too) and the shell back in it."""
    sb.run("cd /workspace && rm -rf /workspace/* /workspace/.[!.]* 2>/dev/null; true")

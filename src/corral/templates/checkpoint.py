"""Does gVisor's checkpoint/restore work here? (``corral doctor``)

A started sandbox saved by ``runsc checkpoint`` and brought back by ``runsc restore`` would
skip the Sentry's boot and the set-up of a warm process; corral does not use it yet
(templates are the way to start from a prepared state), but the doctor says whether it
works on this host and what it costs: a tiny sandbox counts in memory, is checkpointed,
restored as a new container, and must go on counting with the same random token (a fresh
start would draw a new one).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..deeptree import remove_tree

__all__ = ["probe_checkpoint"]

#: counts in memory under a random token drawn at start (a fresh start draws another)
_COUNTER = (
    "t=$(od -An -N4 -tx4 /dev/urandom | tr -d ' '); "
    'i=0; while :; do i=$((i+1)); echo "$t $i" > /tmp/c; sleep 0.05; done'
)


def _runsc(
    state: Path, *args: str, timeout: float = 30, detached: bool = False
) -> tuple[int, str]:
    out = subprocess.DEVNULL if detached else subprocess.PIPE  # a detached sandbox keeps it
    try:
        p = subprocess.run(["runsc", "--root", str(state), *args], stdout=out, stderr=out,
                           stdin=subprocess.DEVNULL, text=True, timeout=timeout)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as e:
        return 127, str(e)
    return p.returncode, ((p.stdout or "") + (p.stderr or "")).strip()


def probe_checkpoint(timeout: float = 30) -> tuple[bool, str]:
    """(works, what happened: the timings or the reason it does not work here)."""
    if not shutil.which("runsc"):
        return False, "runsc is not installed"
    tmp = Path(tempfile.mkdtemp(prefix="corral-ckpt-"))
    state, bundle, image = tmp / "state", tmp / "bundle", tmp / "image"
    for d in (state, bundle, image):
        d.mkdir()
    token = secrets.token_hex(4)
    a, b = f"corral-ckpt-{token}-a", f"corral-ckpt-{token}-b"
    spec = {
        "ociVersion": "1.0.2",
        "process": {"user": {"uid": 65534, "gid": 65534}, "cwd": "/",
                    "env": ["PATH=/usr/bin:/bin"], "args": ["/bin/sh", "-c", _COUNTER],
                    "noNewPrivileges": True},
        "root": {"path": "/", "readonly": True},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}],
        "linux": {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")]},
    }  # fmt: skip
    (bundle / "config.json").write_text(json.dumps(spec))
    try:
        rc, text = _runsc(state, "--network=none", "run", "-detach", "--bundle", str(bundle), a,
                          timeout=timeout, detached=True)  # fmt: skip
        if rc != 0:
            return False, f"a test sandbox did not start (runsc run: exit {rc})"
        time.sleep(0.5)
        rc, before = _runsc(state, "exec", a, "cat", "/tmp/c", timeout=timeout)
        if rc != 0 or not before:
            return False, f"runsc exec failed: {before[-200:]}"
        t0 = time.monotonic()
        rc, text = _runsc(state, "checkpoint", f"--image-path={image}", a, timeout=timeout)
        ckpt = time.monotonic() - t0
        if rc != 0:
            return False, f"runsc checkpoint failed: {text[-300:]}"
        size = sum(f.stat().st_size for f in image.iterdir())
        t0 = time.monotonic()
        rc, text = _runsc(state, "--network=none", "restore", "-detach",
                          f"--image-path={image}", "--bundle", str(bundle), b,
                          timeout=timeout, detached=True)  # fmt: skip
        restore = time.monotonic() - t0
        if rc != 0:
            return False, f"runsc restore failed (exit {rc})"
        time.sleep(0.3)
        rc, after = _runsc(state, "exec", b, "cat", "/tmp/c", timeout=timeout)
        if rc != 0 or not after:
            return False, f"the restored sandbox does not answer: {after[-200:]}"
        tok0, n0 = before.split()[:2]
        tok1, n1 = after.split()[:2]
        if tok0 != tok1 or int(n1) < int(n0):
            return False, "restore started a fresh sandbox instead of the saved one"
        return True, (f"works: checkpoint {ckpt * 1000:.0f} ms ({size // 1024} KB image), "
                      f"restore {restore * 1000:.0f} ms (corral starts from templates; "
                      "checkpoint/restore is not used yet)")  # fmt: skip
    except (ValueError, IndexError) as e:
        return False, f"unexpected output from the test sandbox ({e})"
    finally:
        for cid in (a, b):
            _runsc(state, "kill", cid, "KILL", timeout=10)
        for cid in (a, b):
            _runsc(state, "delete", "-force", cid, timeout=10)
        with contextlib.suppress(OSError):
            remove_tree(tmp)

"""What a killed corral process leaves (stages, cgroups) is swept by the next one, and
nothing of a live process, another user or a forged name is touched
(:mod:`corral.native.leftovers`)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from corral.native import leftovers
from corral.native._common import CgroupSet

_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

# a process that makes a stage (and a cgroup when it may), says where, then waits or dies
_MAKER = """
import json, os, sys, time
from corral.native import leftovers
from corral.native._common import CgroupSet
d = leftovers.temp_dir("bwrap")
(d / "f").write_text("x")
cg = CgroupSet.create("leftover-test")
print(json.dumps({"dir": str(d), "cgroups": [str(p) for p in (cg.dirs.values() if cg else [])],
                  "pid": os.getpid()}), flush=True)
if sys.argv[1] == "die":
    os.kill(os.getpid(), 9)
time.sleep(120)
"""


def _maker(how: str) -> tuple[subprocess.Popen, dict]:
    import json

    p = subprocess.Popen([sys.executable, "-c", _MAKER, how], stdout=subprocess.PIPE,
                         text=True, env=_ENV)  # fmt: skip
    assert p.stdout is not None
    line = p.stdout.readline()
    assert line, "the maker printed nothing"
    return p, json.loads(line)


def test_a_killed_process_leftovers_are_swept():
    p, made = _maker("die")
    assert p.wait(timeout=60) == -9
    assert Path(made["dir"]).is_dir()
    assert all(Path(c).is_dir() for c in made["cgroups"])
    owners = list(Path(tempfile.gettempdir()).glob(f"corral-owner-{made['pid']}-*"))
    assert owners, "the maker made no owner file"
    assert leftovers.sweep() >= 1
    assert not Path(made["dir"]).exists()
    assert not [c for c in made["cgroups"] if Path(c).exists()]
    assert not [o for o in owners if o.exists()]


def test_a_live_process_leftovers_stay():
    p, made = _maker("wait")
    try:
        leftovers.sweep()
        assert Path(made["dir"]).is_dir()
        assert all(Path(c).is_dir() for c in made["cgroups"])
    finally:
        p.kill()
        p.wait(timeout=30)
    leftovers.sweep()  # (now it is gone)
    assert not Path(made["dir"]).exists()


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_no_owner_file_no_sweep_and_forged_names_stay():
    """A name with a dead pid but no owner file (another corral's, an older version's, or
    forged) is left alone; so is a symlink with a swept name, and what another user owns."""
    tmp = Path(tempfile.gettempdir())
    pid = _dead_pid()
    lone = tmp / f"corral-bwrap-{pid}-lonely"
    lone.mkdir()
    try:
        leftovers.sweep()
        assert lone.is_dir()
    finally:
        lone.rmdir()
    # now with an owner file (unlocked: dead), a symlink and a foreign directory
    owner = tmp / f"corral-owner-{pid}-0123456789ab"
    owner.write_text("")
    target = Path(tempfile.mkdtemp(prefix="corral-leftover-target-"))
    (target / "keep").write_text("x")
    link = tmp / f"corral-gvisor-{pid}-link"
    link.symlink_to(target)
    foreign = tmp / f"corral-pool-{pid}-foreign"
    foreign.mkdir()
    try:
        if os.geteuid() == 0:
            os.chown(foreign, 65534, 65534)
        leftovers.sweep()
        assert (target / "keep").exists() and link.is_symlink()
        assert foreign.is_dir() == (os.geteuid() == 0)
        assert not owner.exists()  # (its pid's leftovers judged, the file goes)
    finally:
        link.unlink()
        (target / "keep").unlink()
        target.rmdir()
        if foreign.exists():
            foreign.rmdir()


def test_a_locked_owner_file_keeps_a_pid_alive():
    """A pid that looks dead here (another pid namespace sharing /tmp, or reused) whose
    owner file is still locked by a live process: nothing of it is swept."""
    tmp = Path(tempfile.gettempdir())
    pid = _dead_pid()
    owner = tmp / f"corral-owner-{pid}-fedcba987654"
    owner.write_text("")
    stage = tmp / f"corral-bwrap-{pid}-held"
    stage.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time\n"
         "f = open(sys.argv[1])\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\n"
         "time.sleep(120)\n", str(owner)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        leftovers.sweep()
        assert stage.is_dir() and owner.exists()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    leftovers.sweep()
    assert not stage.exists() and not owner.exists()


def test_this_process_holds_its_owner_file():
    leftovers.temp_dir("pool").rmdir()
    mine = list(Path(tempfile.gettempdir()).glob(f"corral-owner-{os.getpid()}-*"))
    assert len(mine) == 1
    with open(mine[0]) as f, pytest.raises(BlockingIOError):
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    leftovers.sweep()
    assert mine[0].exists()


def test_names_carry_the_pid_and_kinds_are_checked():
    assert leftovers.cgroup_name("s-1").startswith(f"p{os.getpid()}-")
    assert leftovers.container_id("pod").startswith(f"corral-pod-{os.getpid()}-")
    assert leftovers.container_id().startswith(f"corral-{os.getpid()}-")
    with pytest.raises(ValueError, match="unknown kind"):
        leftovers.temp_dir("../evil")


def test_a_forked_child_makes_its_own_owner_file():
    leftovers.temp_dir("pool").rmdir()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a stage of its own, its own owner file, then a crash
        try:
            d = leftovers.temp_dir("bwrap")
            os.write(w, str(d).encode())
        finally:
            os._exit(0)
    os.close(w)
    d = Path(os.read(r, 4096).decode())
    os.close(r)
    os.waitpid(pid, 0)
    assert d.is_dir()
    assert list(Path(tempfile.gettempdir()).glob(f"corral-owner-{pid}-*"))
    time.sleep(0.05)
    leftovers.sweep()
    assert not d.exists()  # (the child's own, judged by the child's owner file)
    assert list(Path(tempfile.gettempdir()).glob(f"corral-owner-{os.getpid()}-*"))


def test_cgroups_are_named_for_the_sweep():
    cg = CgroupSet.create("named")
    if cg is None:
        pytest.skip("cgroups are not writable here")
    try:
        assert all(p.name == f"p{os.getpid()}-named" for p in cg.dirs.values())
    finally:
        for p in cg.dirs.values():
            p.rmdir()

"""Filesystem walls the kernel keeps: a directory swapped for a symlink while
the host reads, writes, lists or deletes through it never leads outside.

The races run a few seconds each (a thread or a background shell job swapping
``d`` for a symlink to a directory outside the sandbox that holds a secret);
the assertions are about what reached the outside, never about timing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import corral
from corral import PathEscape, Sandbox
from corral import beneath as beneath_mod
from corral.budget import RunResult

SECRET = b"TOP-SECRET-7d1e9a"
RACE_S = 2.5


@pytest.fixture(params=["openat2", "walk"])
def opener(request, monkeypatch) -> str:
    """Both mechanisms: openat2 and the descriptor walk (its fallback)."""
    if request.param == "openat2":
        if not beneath_mod.openat2.enabled:
            pytest.skip("openat2 is not available on this kernel")
    else:
        monkeypatch.setattr(beneath_mod.openat2, "enabled", False)
    return request.param


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret").write_bytes(SECRET)
    (out / "victim").write_bytes(SECRET)
    for i in range(60):
        (out / f"filler{i}").write_bytes(b"x" * 4096)
    return out


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()} | {
        p.name + "/": b"" for p in d.iterdir() if p.is_dir()
    }


_SWAP_LOOP = """
import os, shutil, signal, sys
d, real, target, report = sys.argv[1:5]
swaps = 0
def stop(*_):
    with open(report, "w") as f:
        f.write(str(swaps))
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        os.rename(d, real)
    except OSError:
        pass
    try:
        os.symlink(target, d)
        swaps += 1
    except OSError:
        pass
    try:
        os.unlink(d)
    except OSError:
        pass
    try:
        os.rename(real, d)
    except OSError:
        # the code under test made a fresh ``d`` while it was missing
        if os.path.isdir(d) and not os.path.islink(d):
            shutil.rmtree(d, ignore_errors=True)
        try:
            os.rename(real, d)
        except OSError:
            pass
"""


class Swapper:
    """Swaps ``root/d`` for a symlink to ``target`` as fast as it can, from
    another process (a real parallel attacker, not sharing our GIL)."""

    def __init__(self, root: Path, target: str) -> None:
        self.report = root.parent / f"{root.name}.swaps"
        self.args = [str(root / "d"), str(root / "d.real"), target, str(self.report)]
        self.swaps = 0

    def __enter__(self) -> Swapper:
        self.proc = subprocess.Popen([sys.executable, "-c", _SWAP_LOOP, *self.args])
        time.sleep(0.2)  # let it start swapping
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        with contextlib.suppress(OSError, ValueError):
            self.swaps = int(self.report.read_text())
        self.report.unlink(missing_ok=True)


def _race(seconds: float, step: Callable[[], None]) -> int:
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        step()
        n += 1
    return n


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(budget=corral.Budget(wall_s=30, memory_mb=256)) as sb:
        yield sb


# ---------------------------------------------------------------------------
# the host API (sb.files) against a thread that swaps a directory
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("relative", [False, True], ids=["abs-link", "rel-link"])
def test_files_api_never_leaves_under_a_swap_race(box, outside, opener, relative):
    box.files.write("d/secret", "inside")
    box.files.write("d/victim", "inside")
    target = os.path.relpath(outside, box.path) if relative else str(outside)
    before = _snapshot(outside)
    seen: list[bytes] = []
    unexpected: list[BaseException] = []

    def step() -> None:
        ops: list[Callable[[], object]] = [
            lambda: seen.append(box.files.read_bytes("d/secret")),
            lambda: box.files.write("d/f", "x"),
            lambda: box.files.write("d/secret", "inside"),
            lambda: box.files.mkdir("d/newdir"),
            lambda: box.files.delete("d/victim"),
            lambda: box.files.delete("d/newdir"),
            lambda: seen.extend(f.path.encode() for f in box.files.list("d", recursive=True)),
            lambda: seen.append(b"filler0" if box.files.exists("d/filler0") else b""),
        ]
        for op in ops:
            try:
                op()
            except OSError:  # PathEscape, missing, not a directory...: all fine
                pass
            except Exception as e:  # anything else is a bug
                unexpected.append(e)

    with Swapper(box.path, target) as sw:
        rounds = _race(RACE_S, step)
    assert sw.swaps > 10 and rounds > 10  # the race really ran
    assert not unexpected, unexpected[:3]
    assert not any(SECRET in s for s in seen)
    assert not any(b"filler" in s for s in seen)
    assert _snapshot(outside) == before


def test_disk_usage_never_walks_a_swapped_in_symlink(box, outside, opener):
    box.files.write("d/small", "x")
    ws = box._ws
    counts: list[int] = []
    with Swapper(box.path, str(outside)) as sw:
        _race(RACE_S, lambda: counts.append(ws.disk_usage()[1]))
    assert sw.swaps > 10
    # inside: d, d.real, small, perhaps a transient entry; outside holds 62 more
    assert counts and max(counts) < 10, max(counts)


# ---------------------------------------------------------------------------
# the shell: a background job swaps, the foreground reads and writes through d
# ---------------------------------------------------------------------------

_SHELL_RACE = """
mkdir -p d && echo inside > d/secret
(while :; do mv d d.real; ln -s {target} d; rm d; mv d.real d; done) &
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do
  cat d/secret; echo x > d/f; echo y >> d/g; cat < d/secret
  v=$(< d/secret); echo "got:$v"
  {extra}
done 2>&1 | grep -v -e 'No such file' -e 'outside /workspace' -e 'Not a directory' \
  | sort | uniq -c
"""


@pytest.mark.parametrize("policy", [None, "default"])
@pytest.mark.parametrize("relative", [False, True], ids=["abs-link", "rel-link"])
def test_shell_background_swap_never_reaches_outside(outside, opener, policy, relative):
    kw = {"policy": policy} if policy else {}
    with Sandbox(budget=corral.Budget(wall_s=60), **kw) as sb:
        target = os.path.relpath(outside, sb.path) if relative else str(outside)
        before = _snapshot(outside)
        extra = (
            "head -n1 d/secret; cp d/secret copy; cp copy d/copied; "
            "touch d/touched; mkdir d/made; rm -rf d/made; ln -sf x d/lnk; "
            "mv d/copied d/moved; chmod 600 d/secret; ls d; wc -c d/secret; "
            "sort d/secret > sorted; tee d/teed < copy > /dev/null; "
            "sed -i s/inside/inside/ d/secret; touch d/gone; find d -name gone -delete"
        )
        res = sb.run(_SHELL_RACE.format(target=target, extra=extra), timeout=60)
        assert isinstance(res, RunResult)
        assert SECRET.decode() not in res.stdout + res.stderr, res.stdout[-2000:]
        assert "Errno" not in res.stdout + res.stderr, res.stdout[-2000:]
        assert "Traceback" not in res.stdout + res.stderr
        assert _snapshot(outside) == before
        assert (outside / "secret").stat().st_mode & 0o777 != 0o600
        # the loop did reach the inside file (its text, or its size: at a high load the
        # reads can all fall between the swaps while a `wc -c` lands)
        assert "inside" in res.stdout or " 7 d/secret" in res.stdout, res.stdout
        assert "None" not in res.stdout  # every error has its message


# ---------------------------------------------------------------------------
# the ordinary cases, through both mechanisms
# ---------------------------------------------------------------------------


def test_symlinks_inside_still_work(box, opener):
    box.files.write("real/file.txt", "hello")
    os.symlink("/workspace/real", box.path / "abs")
    os.symlink("real", box.path / "rel")
    os.symlink("../real/file.txt", box.path / "real" / "up")
    os.symlink("/workspace/real/file.txt", box.path / "filelink")
    for p in ("abs/file.txt", "rel/file.txt", "real/up", "filelink", "abs/../real/file.txt"):
        assert box.files.read(p) == "hello", p
    box.files.write("abs/new.txt", "via abs")
    assert (box.path / "real" / "new.txt").read_text() == "via abs"
    box.files.write("filelink", "replaced")  # a final symlink inside: its file
    assert (box.path / "real" / "file.txt").read_text() == "replaced"
    assert box.files.exists("rel/new.txt")
    box.files.delete("abs")  # the link itself, not what it points to
    assert (box.path / "real").is_dir() and not (box.path / "abs").exists()
    r = box.run("cat rel/new.txt; echo; echo more >> rel/new.txt; cat < filelink; echo $(< rel/new.txt)")
    assert r.stdout == "via abs\nreplacedvia absmore\n", r.stderr


@pytest.mark.parametrize(
    "path", ["../x", "/workspace/../x", "a/../../x", "/etc/passwd", "//etc/passwd"]
)
def test_escapes_are_refused(box, opener, path):
    with pytest.raises(PathEscape):
        box.files.read(path)
    with pytest.raises(PathEscape):
        box.files.write(path, "x")
    r = box.run(f"cat {path}; echo x > {path}")
    assert r.stderr.count("outside /workspace") == 2, r.stderr


@pytest.mark.parametrize("target", ["/etc", "../../../../../../etc", "/workspace/../etc"])
def test_symlink_out_is_refused(box, opener, target):
    os.symlink(target, box.path / "out")
    with pytest.raises(PathEscape):
        box.files.read("out/passwd")
    with pytest.raises(PathEscape):
        box.files.write("out/corral-test-file", "x")
    assert not os.path.exists("/etc/corral-test-file")
    r = box.run("cat out/passwd; echo x > out/corral-test-file; ls out")
    assert "root:" not in r.stdout and r.stderr.count("outside /workspace") >= 2, r.stderr


def test_openat2_missing_falls_back_to_the_walk(box, monkeypatch):
    """ENOSYS (old kernel) or EPERM (seccomp) switches to the walk for good."""
    import ctypes

    calls = []

    def fake(*args: object) -> int:
        calls.append(args)
        ctypes.set_errno(errno.ENOSYS)
        return -1

    monkeypatch.setattr(beneath_mod.openat2, "enabled", True)
    monkeypatch.setattr(beneath_mod.openat2, "_syscall", fake)
    box.files.write("a/b.txt", "fine")
    assert box.files.read("a/b.txt") == "fine"
    assert calls and beneath_mod.openat2.enabled is False
    n = len(calls)
    assert box.files.read("a/b.txt") == "fine"
    assert len(calls) == n  # not tried again


def test_walk_keeps_dotdot_below_the_root(box, opener):
    box.files.write("a/b/c.txt", "deep")
    os.symlink("../../..", box.path / "a" / "b" / "up3")
    with pytest.raises(PathEscape):
        box.files.read("a/b/up3/x")
    os.symlink("../..", box.path / "a" / "b" / "up2")
    assert box.files.read("a/b/up2/a/b/c.txt") == "deep"

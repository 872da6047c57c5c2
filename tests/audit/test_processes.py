"""Real processes: two writers on one file, and writers killed with SIGKILL."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corral.audit import AuditLog, iter_entries, verify

from ._util import KEY

WRITER = r"""
import os, sys, time
from corral.audit import AuditLog
path, name, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with AuditLog(path, key=b"audit-test-key", checkpoint_every=25) as log:
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    for i in range(n):
        log.append("event", {"writer": name, "i": i}, session=name)
        if i % 20 == 19:
            time.sleep(0.001)  # let the other writer in now and then
"""

CRASHER = r"""
import os, sys
from corral.audit import AuditLog
from corral.events import Event, ExecAction
path, report = sys.argv[1], sys.argv[2]
fd = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
log = AuditLog(path, key=b"audit-test-key", checkpoint_every=7)
os.write(fd, b"ready\n")
i = 0
while True:
    i += 1
    ev = Event(session="crash", seq=i, type="action.completed",
               action=ExecAction(argv=["echo", str(i)]), data={"pad": "x" * (i % 300)})
    seq = log.append_event(ev)
    os.write(fd, b"%d\n" % seq)  # reported only after append() returned
"""


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_two_processes_append_to_one_chain(tmp_path):
    path, go = tmp_path / "audit.db", tmp_path / "go"
    n = 1500
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(n), str(go)],
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for name in ("alpha", "beta")
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    go.touch()
    for p in procs:
        assert p.wait(timeout=120) == 0
    result = verify(path, key=KEY)
    assert result.ok, result
    entries = list(iter_entries(path))
    writers = [e.session for e in entries if e.kind == "event"]
    assert writers.count("alpha") == writers.count("beta") == n
    switches = sum(a != b for a, b in itertools.pairwise(writers))
    assert switches >= 3, "the two writers did not interleave"
    for name in ("alpha", "beta"):
        assert [e.body["i"] for e in entries if e.session == name] == list(range(n))
    # checkpoints kept their schedule across the two writers
    cps = {e.seq: e.body["reason"] for e in entries if e.kind == "checkpoint"}
    assert set(range(25, len(entries) + 1, 25)) <= set(cps)
    off_schedule = [r for s, r in cps.items() if s % 25]
    assert set(off_schedule) <= {"close"} and len(off_schedule) <= 2  # one per writer at most
    assert result.checkpoints == len(cps)


def _reported(report: Path) -> int:
    """The last seq the child reported as appended (0: none yet)."""
    if not report.exists():
        return 0
    last = 0
    for line in report.read_text().splitlines():
        if line.isdigit():
            last = int(line)
    return last


@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_never_breaks_the_chain(tmp_path):
    path = tmp_path / "audit.db"
    rng = random.Random(os.getpid() ^ int(time.time()))
    rows_before = 0
    killed_while_writing = 0
    for rnd in range(12):
        report = tmp_path / f"report-{rnd}"
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHER, str(path), str(report)], env=_env()
        )
        if rnd < 2:
            # anywhere from interpreter start-up through opening (or creating) the log
            time.sleep(rng.uniform(0.0, 0.6))
        else:
            deadline = time.monotonic() + 30
            while "ready" not in (report.read_text() if report.exists() else ""):
                assert time.monotonic() < deadline and child.poll() is None
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL

        result = verify(path, key=KEY) if path.exists() else None
        if result is None:
            assert rnd < 2  # killed before the file was even created
            continue
        assert result.ok, f"round {rnd}: {result}"
        last = max((e.seq for e in iter_entries(path)), default=0)
        assert result.rows == last  # no gaps
        assert result.rows >= rows_before, "rows went backwards"
        acked = _reported(report)
        # nothing append() returned is lost; at most the row in flight (and the
        # checkpoint committed with it) went in without being reported
        assert acked <= last <= max(acked, rows_before, 1) + 2, (rnd, acked, last)
        if acked > rows_before:
            killed_while_writing += 1
        rows_before = result.rows
    assert killed_while_writing >= 8
    assert rows_before > 100


def _append_in_child(log, n: int) -> None:
    for i in range(n):
        log.append("note", {"child": i}, session="child")


def test_a_log_opened_before_fork_works_in_the_child(tmp_path):
    import multiprocessing

    path = tmp_path / "audit.db"
    with AuditLog(path, key=KEY, checkpoint_every=10) as log:
        log.append("note", {"parent": 0}, session="parent")
        child = multiprocessing.get_context("fork").Process(target=_append_in_child, args=(log, 30))
        child.start()
        for i in range(1, 31):
            log.append("note", {"parent": i}, session="parent")
        child.join(60)
        assert child.exitcode == 0
    result = verify(path, key=KEY)
    assert result.ok, result
    sessions = [e.session for e in iter_entries(path) if e.kind == "note" and e.seq > 1]
    assert sessions.count("parent") == 31 and sessions.count("child") == 30


OPENER = r"""
import os, sys, time
from corral.audit import AuditLog
path, go, name = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.0005)
with AuditLog(path) as log:
    log.append("event", {"writer": name}, session=name)
"""


def test_many_processes_create_one_new_log_at_once(tmp_path):
    # SQLite refuses a concurrent switch to WAL mode at once ("database is locked"),
    # without its busy timeout: opening must wait instead
    for round_ in range(3):
        path, go = tmp_path / f"new-{round_}.db", tmp_path / f"go-{round_}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(path), str(go), f"w{i}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(),
            )
            for i in range(6)
        ]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        go.touch()
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read()
        assert verify(path).ok
        assert sorted(e.session for e in iter_entries(path) if e.kind == "event") == [
            f"w{i}" for i in range(6)
        ]

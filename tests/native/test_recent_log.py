"""The supervisor's record of program starts is bounded: a warm session appended every
start it decided for its whole life (1.5 KB each: 30 MB per 20,000 starts)."""

from __future__ import annotations

import pytest

from corral.native.recent import KEEP, RecentLog


def test_a_recent_log_keeps_its_last_items_at_their_absolute_positions():
    log: RecentLog[int] = RecentLog(3)
    assert not log and log == [] and len(log) == 0
    for i in range(5):
        log.append(i)
    assert len(log) == 5 and list(log) == [2, 3, 4]
    assert log[3:] == [3, 4] and log[:3] == [2] and log[0:] == [2, 3, 4]
    assert log[-1] == 4 and log[4] == 4
    log[-1] = 9
    assert list(log) == [2, 3, 9]
    with pytest.raises(IndexError):
        log[0]
    assert log != [2, 3, 9]  # five were appended, not three


def test_a_warm_session_keeps_a_bounded_record_of_its_program_starts(bwrap_box):
    n = KEEP + 300
    r = bwrap_box.run(f"for i in $(seq {n}); do /bin/true; done; echo done", timeout=120)
    assert r.ok and "done" in r.stdout, r
    sup = bwrap_box._sess.supervisor
    assert len(sup.spawns) >= n
    assert len(list(sup.spawns)) <= KEEP
    # the next call's denied start is still named in its result
    r = bwrap_box.run("/bin/true; echo after")
    assert r.ok and "after" in r.stdout

"""A Python guest's call ends when the guest waits for the host's next line, not when
a ``done`` frame arrives.

User code can read the driver's call id out of its closure (``gc``), write the call's
``done`` frame itself and run on: the call returned at once while the code kept
running on the host outside any wall (writing workspace files while the caller graded
them), read the next call's request off fd 0 and answered it with its own output and
exit status (``sb.python(grader)`` printed what the agent chose)."""

from __future__ import annotations

import time

import pytest

import corral

_STEAL = r'''
import gc, json, os
cid = None
for o in gc.get_objects():
    for c in getattr(o, "__closure__", None) or ():
        try:
            v = c.cell_contents
        except ValueError:
            continue
        if isinstance(v, dict) and {"id", "max", "values"} <= set(v):
            cid = v["id"]
def frame(rid, obj):
    p = json.dumps(obj).encode()
    return b"\x00CRL" + rid + str(len(p)).encode() + b"\n" + p
os.write(1, frame(cid, {"op": "done", "exit_code": 0, "error": None, "dropped": 0}))
'''

_AFTER = {
    "reads the next request": r'''
line = b""
while not line.endswith(b"\n"):
    line += os.read(0, 1)
rid = line.partition(b" ")[0]
os.write(1, frame(rid, {"op": "out", "stream": "stdout", "data": "forged\n"}))
os.write(1, frame(rid, {"op": "done", "exit_code": 0, "error": None, "dropped": 0}))
''',
    "keeps writing files": r'''
n = 0
while True:
    n += 1
    with open("late.txt", "w") as f:
        f.write(str(n))
''',
}


@pytest.mark.parametrize("after", sorted(_AFTER))
def test_code_that_answers_for_the_driver_does_not_outlive_its_call(after: str) -> None:
    with corral.Sandbox() as sb:
        t0 = time.monotonic()
        first = sb.python(_STEAL + _AFTER[after], timeout=2)
        # either the forged answer is seen for what it is (bytes after it: the guest is
        # ended at once) or the call runs to its wall time; either way nothing outlives it
        assert first.error in ("wall_time", "crash"), (first.error, first.stdout, first.stderr)
        if first.error == "crash":
            assert "broke the protocol" in first.stderr, first.stderr
        else:
            assert time.monotonic() - t0 >= 2
        seen = sb.files.read("late.txt") if sb.files.exists("late.txt") else None
        time.sleep(0.3)
        again = sb.files.read("late.txt") if sb.files.exists("late.txt") else None
        assert seen == again  # nothing runs once the call has returned
        second = sb.python("print('the real code'); raise SystemExit(3)", timeout=5)
        assert (second.stdout, second.exit_code) == ("the real code\n", 3)
        assert second.restarted

"""Every budget ends only the call that broke it, and the host stays healthy."""

from __future__ import annotations

import resource
import time

import pytest

import corral
from corral import Budget, Sandbox


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_infinite_loop_ends_at_wall_budget_and_sandbox_recovers():
    with Sandbox(budget=Budget(wall_s=1.0)) as sb:
        sb.python("x = 1")
        t0 = time.monotonic()
        r = sb.python("while True: pass")
        took = time.monotonic() - t0
        assert r.error == "wall_time" and r.budget_exceeded == "wall_time"
        assert r.exit_code == 137
        assert "wall-time budget of 1 s exceeded" in r.stderr
        assert 0.9 < took < 5.0
        after = sb.python("print('alive')")
        assert after.stdout == "alive\n" and after.restarted


def test_js_infinite_loop_ends_at_wall_budget():
    with Sandbox(budget=Budget(wall_s=1.0)) as sb:
        r = sb.js("for (;;) {}")
        assert r.budget_exceeded == "wall_time"
        assert sb.js("console.log(2)").stdout == "2\n"


def test_sleep_is_interrupted_at_wall_budget():
    with Sandbox(budget=Budget(wall_s=0.5)) as sb:
        t0 = time.monotonic()
        r = sb.python("import time; time.sleep(60)")
        assert r.budget_exceeded == "wall_time"
        assert time.monotonic() - t0 < 5


def test_per_call_timeout_overrides_budget():
    with Sandbox(budget=Budget(wall_s=30)) as sb:
        r = sb.python("while True: pass", timeout=0.3)
        assert r.budget_exceeded == "wall_time"
        assert "0.3 s" in r.stderr


def test_fuel_is_deterministic_and_ends_runaway_cpu():
    steps = ["s = sum(range(100_000))", "d = {str(i): i for i in range(1000)}", "print(len(d))"]
    counts = []
    for _ in range(2):
        with Sandbox(budget=Budget(wall_s=30, fuel=2_000_000_000)) as sb:
            results = [sb.python(code) for code in steps]
            assert all(r.ok for r in results)
            counts.append([r.usage.fuel for r in results])
    # the same code in the same state costs exactly the same fuel, whatever the load
    assert counts[0] == counts[1] and all(c > 0 for c in counts[0])
    with Sandbox(budget=Budget(wall_s=30, fuel=2_000_000_000)) as sb:
        r = sb.python("while True: pass")
        assert r.error == "fuel" and r.budget_exceeded == "fuel"
        assert "fuel budget" in r.stderr
        assert sb.python("print('ok')").stdout == "ok\n"


def test_ten_gigabyte_allocation_fails_inside_guest():
    before = _rss_mb()
    with Sandbox(budget=Budget(memory_mb=128)) as sb:
        r = sb.python("b = bytearray(10 * 1024**3)")
        assert r.error == "exception" and r.error_type in ("MemoryError", "OverflowError")
        r = sb.python("chunks = []\nwhile True: chunks.append(bytearray(50 * 1024**2))")
        assert r.error == "memory" and r.budget_exceeded == "memory"
        assert "MemoryError" in r.stderr
        assert r.usage.memory_bytes <= 128 * 1024**2
        assert sb.python("del chunks; print('ok')").stdout == "ok\n"
    assert _rss_mb() - before < 1024


def test_js_memory_bomb_hits_budget():
    with Sandbox(budget=Budget(memory_mb=64)) as sb:
        r = sb.js("const a = []; for (;;) a.push(new Array(1e6).fill(1.5));")
        assert r.budget_exceeded == "memory" or r.error == "crash", r
        assert sb.js("console.log('ok')").stdout == "ok\n"


def test_gigabyte_of_print_is_truncated_with_marker():
    with Sandbox(budget=Budget(output_chars=10_000, wall_s=20)) as sb:
        t0 = time.monotonic()
        r = sb.python("for _ in range(1_000_000):\n    print('x' * 1000)")
        assert time.monotonic() - t0 < 20
        assert r.budget_exceeded == "output" and r.truncated
        assert len(r.stdout) < 10_500
        assert "[corral: output truncated" in r.stdout
        assert sb.python("print('ok')").stdout == "ok\n"


def test_single_huge_string_is_truncated():
    with Sandbox(budget=Budget(output_chars=1000, memory_mb=256)) as sb:
        r = sb.python("import sys; sys.stdout.write('y' * 50_000_000)")
        assert r.truncated and r.budget_exceeded == "output"
        assert r.stdout.count("y") == 1000


def test_js_output_flood_truncated():
    with Sandbox(budget=Budget(output_chars=500)) as sb:
        r = sb.js("for (;;) console.log('spam')")
        assert r.budget_exceeded == "output" and r.truncated
        assert len(r.stdout) < 700


def test_guest_writing_raw_frames_cannot_break_host():
    # what user code writes to fd 1 itself is output, counted against the budget,
    # never a protocol frame (tests/test_guest_channel.py has the forgeries)
    with Sandbox(budget=Budget(output_chars=1000, wall_s=5)) as sb:
        r = sb.python("import os; os.write(1, b'not json\\n')")
        assert (r.stdout, r.error) == ("not json\n", None)
        r = sb.python("import os\nwhile True: os.write(1, b'x' * 65536)")
        assert r.budget_exceeded == "output" and r.truncated
        assert r.stdout.count("x") == 1000
        huge = '{"op":"out","stream":"stdout","data":"' + "z" * 5000 + '"}'
        r = sb.python(f"import os; os.write(1, {huge!r}.encode() + b'\\n'); import time")
        assert r.budget_exceeded == "output" and len(r.stdout) < 1200
        assert sb.python("print('fine')").stdout == "fine\n"


def test_disk_budget_stops_a_guest_filling_the_disk():
    with Sandbox(budget=Budget(disk_mb=20, wall_s=30)) as sb:
        r = sb.python(
            "f = open('big.bin', 'wb')\nwhile True:\n    f.write(b'\\0' * (1 << 20))\n    f.flush()"
        )
        assert r.budget_exceeded == "disk", r
        assert "disk budget of 20 MB exceeded" in r.error_message
        with pytest.raises(corral.DiskQuotaExceeded):
            sb.files.write("more.bin", b"1" * (1 << 20))
        sb.files.delete("big.bin")
        assert sb.python("print('room again')").stdout == "room again\n"


def test_file_count_budget():
    with Sandbox(budget=Budget(disk_files=50, wall_s=30)) as sb:
        r = sb.python(
            "import itertools\nfor i in itertools.count():\n    open(f'f{i}', 'w').close()"
        )
        assert r.budget_exceeded == "disk"
        assert "files" in r.error_message


def test_budget_validation():
    with pytest.raises(ValueError, match="wall_s"):
        Budget(wall_s=0)
    with pytest.raises(ValueError, match="fuel"):
        Budget(fuel=-1)
    with pytest.raises(ValueError, match="memory_mb"):
        Budget(memory_mb=True)

"""Attacks on the WebAssembly guest channel and on guest lifetime.

A guest must not be able to answer a later call (forged or stale frames), break
the host with garbage, outlive its wall-time kill inside a WASI call, write
unbounded bytes on any fd, or make the host read its messages in more than
linear time.
"""

from __future__ import annotations

import gc
import os
import threading
import time

import pytest

from corral import Budget, Sandbox
from corral.wasm.guest_channel import MAGIC, ChannelError, FrameReader, encode_frame, new_id

OLD_FRAMES = (
    b'{"op": "out", "stream": "stdout", "data": "120/120\\n"}\n'
    b'{"op": "done", "exit_code": 0, "error": null, "dropped": 0}\n'
)


def _guest_threads() -> list[threading.Thread]:
    """The threads guests run on (``corral-python``/``corral-js``; not the process-wide
    helpers other tests' native sandboxes leave running, such as the cgroup mover)."""
    return [t for t in threading.enumerate() if t.name in ("corral-python", "corral-js")]


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- forged and stale frames -------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        f"import os; os.write(1, {OLD_FRAMES!r})",
        f"import sys; sys.__stdout__.write({OLD_FRAMES.decode()!r})",
        # a well-formed frame with a guessed id
        f"import os; os.write(1, {encode_frame(new_id(), {'op': 'done', 'exit_code': 0})!r})",
    ],
    ids=["os.write", "sys.__stdout__", "guessed-id"],
)
def test_python_guest_cannot_answer_the_next_call(forge):
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        first = sb.python(forge)
        assert "120/120" not in first.stdout or first.stdout.startswith("{")
        for _ in range(2):  # every later call is its own, not one behind
            r = sb.python("print('3/120'); raise SystemExit(1)")
            assert (r.stdout, r.exit_code, r.error) == ("3/120\n", 1, "exit"), r
        assert sb.python("print('ok')").stdout == "ok\n"


@pytest.mark.parametrize(
    "forge",
    [
        f"std.out.puts({OLD_FRAMES.decode()!r}); std.out.flush()",
        f"const s = {OLD_FRAMES.decode()!r}; const b = new Uint8Array(s.length);"
        " for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);"
        " os.write(1, b.buffer, 0, b.length)",
    ],
    ids=["std.out.puts", "os.write"],
)
def test_js_guest_cannot_answer_the_next_call(forge):
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        sb.js(forge)
        for _ in range(2):
            r = sb.js("console.log('3/120'); process.exit(1)")
            assert "3/120\n" in r.stdout and "120/120" not in r.stdout, r
            assert r.exit_code == 1 or r.error is not None
        r = sb.js("console.log('3/120')")
        assert (r.stdout, r.exit_code, r.error) == ("3/120\n", 0, None), r


def test_deeply_nested_garbage_is_output_not_an_exception():
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        r = sb.python("import os; os.write(1, b'[' * 200_000 + b'\\n')")
        assert r.error is None and r.stdout.startswith("[[[")
        r = sb.js("std.out.puts('['.repeat(200000) + '\\n')")
        assert r.error is None and r.stdout.startswith("[[[")
        r = sb.python("print('3/120'); raise SystemExit(1)")
        assert (r.stdout, r.exit_code) == ("3/120\n", 1)


# The driver's id is not in any global user code can read, but Python cannot hide
# anything from code in the same interpreter: a guest that digs the current id
# out of the driver's frame can write a real frame. It can then only end its
# own call (as "crash" for garbage), never answer a later one.
_STEAL = """
import sys, os
f = sys._getframe(1)
cur = f.f_locals.get('cur') or f.f_back.f_locals['cur']
rid = cur['id']
def frame(payload):
    return b'\\x00CRL' + rid + str(len(payload)).encode() + b'\\n' + payload
"""


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 200_000,
        b"not json",
        b"[1, 2]",
        b'{"op": "bogus"}',
        b'{"op": "out", "stream": "stdin", "data": "x"}',
        b'{"op": "out", "stream": "stdout", "data": 5}',
    ],
    ids=["deep", "not-json", "list", "bogus-op", "bad-stream", "bad-data"],
)
def test_garbage_frames_with_the_right_id_crash_that_call_only(payload):
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        r = sb.python(_STEAL + f"os.write(1, frame({payload!r}))\nprint('after')")
        assert r.error == "crash" and "protocol" in r.error_message, r
        r = sb.python("print('3/120'); raise SystemExit(1)")
        assert (r.stdout, r.exit_code, r.error) == ("3/120\n", 1, "exit"), r
        assert r.restarted


def test_frames_after_done_do_not_answer_the_next_call():
    done = b'{"op":"done","exit_code":0,"error":null,"dropped":0}'
    out = b'{"op":"out","stream":"stdout","data":"120/120\\n"}'
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        sb.python(_STEAL + f"os.write(1, frame({out!r}) + frame({done!r}) + frame({done!r}))")
        r = sb.python("print('3/120'); raise SystemExit(1)")
        assert (r.stdout, r.exit_code, r.error) == ("3/120\n", 1, "exit"), r
        r = sb.python("print('3/120'); raise SystemExit(1)")
        assert (r.stdout, r.exit_code, r.error) == ("3/120\n", 1, "exit"), r


def test_frame_reader_rejects_stale_oversized_and_malformed_frames():
    rid, other = new_id(), new_id()
    reader = FrameReader(frame_max=1000)
    reader.expect(rid)
    reader.feed(b"hello" + encode_frame(rid, {"op": "done"}))
    assert reader.next() == ("raw", b"hello")
    assert reader.next() == ("frame", {"op": "done"})
    assert reader.next() is None
    for data, match in [
        (encode_frame(other, {"op": "done"}), "stale or forged"),
        (MAGIC + rid.encode() + b"99999\n", "exceeds the 1000 byte limit"),
        (MAGIC + rid.encode() + b"12x\n", "malformed"),
        (MAGIC + rid.encode() + b"1" * 40, "malformed"),
        (MAGIC + rid.encode() + b"4\n[[[[", "not valid JSON"),
        (MAGIC + rid.encode() + b"2\n[]", "not a JSON object"),
    ]:
        reader = FrameReader(frame_max=1000)
        reader.expect(rid)
        reader.feed(data)
        with pytest.raises(ChannelError, match=match):
            reader.next()
    reader = FrameReader(frame_max=1 << 20)
    reader.expect(rid)
    reader.feed(b"a\x00b\x00C")  # NULs in user output are output
    assert reader.next() == ("raw", b"a\x00b")
    assert reader.next() is None
    reader.feed(b"Z")
    assert reader.next() == ("raw", b"\x00CZ")


def test_frame_reader_is_linear_in_the_input():
    rid = new_id()
    frame = encode_frame(rid, {"op": "out", "stream": "stdout", "data": "x" * 400_000})
    reader = FrameReader()
    reader.expect(rid)
    t0 = time.monotonic()
    for i in range(len(frame)):  # the worst case: one byte per read
        reader.feed(frame[i : i + 1])
        item = reader.next()
    assert item is not None and len(item[1]["data"]) == 400_000
    assert time.monotonic() - t0 < 30  # quadratic rescanning would take hours


def test_oversized_tool_argument_is_a_clear_tool_error():
    def echo(s: str) -> int:
        return len(s)

    with Sandbox(tools=[echo], budget=Budget(memory_mb=1024, wall_s=60)) as sb:
        r = sb.python(
            "import corral\ntry:\n    echo(s='x' * (65 << 20))\n"
            "except corral.ToolError as e:\n    print(e)"
        )
        assert r.error is None and "arguments too large" in r.stdout, r
        r = sb.python("print(echo(s='y' * (8 << 20)))")
        assert r.stdout == f"{8 << 20}\n", r


# -- guests blocked inside WASI calls ---------------------------------------------

BLOCKERS = [
    ("python", "import select; select.select([], [], [], 1e9)"),
    ("python", "import time; time.sleep(1e9)"),
    ("python", "import os; os.read(0, 10)"),
    ("python", "import sys; sys.__stdin__.buffer.read()"),
    ("js", "os.sleep(1e9)"),
    ("js", "await new Promise((r) => os.setTimeout(r, 1e9))"),
    ("js", "std.in.getline()"),
]


@pytest.mark.parametrize(("lang", "code"), BLOCKERS)
def test_a_guest_blocked_in_wasi_ends_with_its_call(lang, code):
    with Sandbox(budget=Budget(wall_s=0.5)) as sb:
        run = sb.python if lang == "python" else sb.js
        t0 = time.monotonic()
        r = run(code)
        assert r.budget_exceeded == "wall_time", r
        assert time.monotonic() - t0 < 10
        assert _guest_threads() == [], "the killed guest's thread is still running"
        r = run("print(2)" if lang == "python" else "console.log(2)")
        assert r.stdout == "2\n" and r.restarted
    assert _guest_threads() == []


def test_a_guest_sleeping_at_close_is_gone_after_close():
    sb = Sandbox(budget=Budget(wall_s=0.5))
    sb.python("print(1)")
    sb.js("console.log(1)")
    sb.close()
    assert _guest_threads() == []


def test_killed_guests_release_their_memory():
    code = (
        "b = bytearray(120 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
        "import select; select.select([], [], [], 1e9)"
    )
    with Sandbox(budget=Budget(wall_s=1.5, memory_mb=256)) as sb:
        sb.python("print(1)")
        gc.collect()
        before = _rss_mb()
        for _ in range(5):  # 5 x 120 MB held: 600 MB if a killed guest's memory stayed
            r = sb.python(code)
            assert r.budget_exceeded == "wall_time", r
        gc.collect()
        grown = _rss_mb() - before
    assert grown < 400, f"host RSS grew {grown:.0f} MB over 5 killed guests"


# -- every byte on every fd counts ------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "code"),
    [
        ("python", "import os\nfor _ in range(50): os.write(2, b'x' * 65536)"),
        ("python", "import sys\nfor _ in range(50): sys.__stderr__.write('x' * 65536)"),
        ("js", "const s = 'x'.repeat(65536); for (let i = 0; i < 50; i++) std.err.puts(s)"),
    ],
)
def test_guest_stderr_counts_against_the_output_budget(lang, code):
    with Sandbox(budget=Budget(disk_mb=1, output_chars=1000, wall_s=20)) as sb:
        run = sb.python if lang == "python" else sb.js
        r = run(code)
        assert r.budget_exceeded == "output" and r.truncated, r
        assert r.stderr.split("[corral]")[0].count("x") <= 1000
        r = run("print(2)" if lang == "python" else "console.log(2)")
        assert r.stdout == "2\n"


_EXIT_AFTER_KILL = """
import corral
with corral.Sandbox(budget=corral.Budget(wall_s=0.3)) as sb:
    sb.python("import sys\\nwhile True: sys.stderr.write('x' * 100)")
    sb.python("while True: pass")
print("clean")
"""


@pytest.mark.timeout(180)
def test_the_process_exits_cleanly_after_killed_guests():
    """No Python callback runs on a wasmtime thread: one firing while Python exits
    aborted the whole process (SIGABRT, about 1 run in 10 before)."""
    import subprocess
    import sys

    for _ in range(8):
        p = subprocess.run(
            [sys.executable, "-c", _EXIT_AFTER_KILL], capture_output=True, text=True, timeout=60
        )
        assert p.returncode == 0 and "clean" in p.stdout, p.stderr[-2000:]


# -- frames that would take the host's memory ---------------------------------------


def test_frame_reader_refuses_a_frame_of_too_many_values_before_parsing():
    """A 63 MB frame of ``{}`` is 1.3 GB of Python objects on the host: the number of
    values a frame may hold is bounded (counted on its bytes, before json.loads)."""
    from corral.wasm.guest_channel import FRAME_VALUES_MAX

    rid = new_id()
    bomb = b'{"op":"intent","junk":[' + b",".join([b"{}"] * (FRAME_VALUES_MAX + 1)) + b"]}"
    reader = FrameReader()
    reader.expect(rid)
    reader.feed(MAGIC + rid.encode() + str(len(bomb)).encode() + b"\n" + bomb)
    with pytest.raises(ChannelError, match="values"):
        reader.next()
    ok = b'{"op":"tool","args":{"s":"' + b"x" * (32 << 20) + b'"}}'  # one big string: fine
    reader = FrameReader()
    reader.expect(rid)
    reader.feed(MAGIC + rid.encode() + str(len(ok)).encode() + b"\n" + ok)
    kind, msg = reader.next()
    assert kind == "frame" and len(msg["args"]["s"]) == 32 << 20


def test_a_guest_that_sends_a_value_bomb_crashes_its_call_only():
    steal = (
        "import gc\nsend = [o for o in gc.get_objects() if type(o).__name__ == 'function'"
        " and o.__name__ == '_send'][0]\n"
    )
    with Sandbox(budget=Budget(wall_s=30, memory_mb=1024)) as sb:
        before = _rss_mb()
        r = sb.python(steal + "send({'op': 'intent', 'kind': 'open', 'junk': [{}] * 9_000_000})")
        assert r.error == "crash" and "values" in r.error_message, r
        assert _rss_mb() - before < 300
        assert sb.python("print('ok')").stdout == "ok\n"


@pytest.mark.parametrize("lang", ["python", "js"])
def test_a_tool_call_of_too_many_values_is_a_clear_tool_error(lang):
    from corral.wasm.guest_channel import FRAME_VALUES_MAX

    def count(items: list) -> int:
        return len(items)

    n = FRAME_VALUES_MAX + 10
    code = {
        "python": f"import corral\ntry:\n    count(items=[0] * {n})\n"
        "except corral.ToolError as e:\n    print(e)",
        "js": f"try {{ await count({{items: new Array({n}).fill(0)}}); }} "
        "catch (e) { console.log(String(e.message)); }",
    }[lang]
    with Sandbox(tools=[count], budget=Budget(memory_mb=1024, wall_s=60)) as sb:
        r = getattr(sb, lang)(code)
        assert r.error is None and "too many values" in r.stdout, r
        ok = {"python": "print(count(items=[0] * 1000))",
              "js": "console.log(await count({items: new Array(1000).fill(0)}))"}[lang]
        assert getattr(sb, lang)(ok).stdout.strip() == "1000"

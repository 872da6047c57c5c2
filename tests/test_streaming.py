"""Output reaches the caller as it is written, on every face: run, python, js, exec
(native), AsyncSandbox.stream, corral run."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time

import pytest

import corral
from corral.native.doctor import available


def _collect(fn):
    seen: list[tuple[float, str, str]] = []
    t0 = time.monotonic()
    result = fn(lambda stream, text: seen.append((time.monotonic() - t0, stream, text)))
    return result, seen


def _spread(seen, first: str, last: str) -> float:
    """Time between the moments ``first`` and ``last`` had arrived (pieces may split)."""
    so_far, when = "", {}
    for t, _, text in seen:
        so_far += text
        for key in (first, last):
            if key in so_far:
                when.setdefault(key, t)
    return when[last] - when[first]


@pytest.mark.timeout(60)
def test_python_streams():
    with corral.Sandbox(budget=corral.Budget(wall_s=20)) as sb:
        sb.python("pass")
        r, seen = _collect(
            lambda cb: sb.python(
                "import time\nfor i in range(4):\n    print('line', i)\n    time.sleep(0.4)",
                on_output=cb,
            )
        )
    assert r.stdout == "".join(t for _, s, t in seen if s == "stdout")
    assert _spread(seen, "line 0", "line 3") > 1.0


@pytest.mark.timeout(60)
def test_js_streams():
    with corral.Sandbox(budget=corral.Budget(wall_s=20)) as sb:
        sb.js("1")
        r, seen = _collect(
            lambda cb: sb.js(
                "for (let i = 0; i < 4; i++) { console.log('line ' + i); os.sleep(400); }",
                on_output=cb,
            )
        )
    assert r.stdout == "".join(t for _, s, t in seen if s == "stdout")
    assert _spread(seen, "line 0", "line 3") > 1.0


@pytest.mark.timeout(60)
def test_streamed_output_still_respects_the_budget():
    with corral.Sandbox(budget=corral.Budget(wall_s=20, output_chars=1000)) as sb:
        r, seen = _collect(lambda cb: sb.run("yes", on_output=cb))
        assert r.budget_exceeded == "output"
        assert sum(len(t) for _, _, t in seen) <= 1000
        r, seen = _collect(lambda cb: sb.python("while True: print('y' * 100)", on_output=cb))
        assert r.budget_exceeded == "output"
        assert sum(len(t) for _, _, t in seen) <= 1000


@pytest.mark.timeout(120)
@pytest.mark.skipif(not available("bwrap")[0], reason="bubblewrap unavailable")
def test_native_exec_streams(tmp_path):
    with corral.Sandbox(backend="bwrap", budget=corral.Budget(wall_s=30)) as sb:
        r, seen = _collect(
            lambda cb: sb.exec(
                ["bash", "-c", "for i in 0 1 2 3; do echo line $i; sleep 0.4; done"],
                on_output=cb,
            )
        )
    assert r.stdout == "line 0\nline 1\nline 2\nline 3\n"
    assert _spread(seen, "line 0", "line 3") > 1.0


@pytest.mark.timeout(60)
def test_async_stream():
    async def main():
        async with corral.AsyncSandbox(budget=corral.Budget(wall_s=20)) as asb:
            await asb.run("true")
            stream = asb.stream("for i in 0 1 2 3; do echo line$i; sleep 0.4; done; echo e >&2")
            got = []
            t0 = time.monotonic()
            async for chunk in stream:
                got.append((time.monotonic() - t0, chunk))
            return stream.result, got

    result, got = asyncio.run(main())
    assert result.exit_code == 0 and result.stdout.startswith("line0")
    assert [c.stream for _, c in got].count("stderr") == 1
    t_first = next(t for t, c in got if "line0" in c.text)
    t_last = next(t for t, c in got if "line3" in c.text)
    assert t_last - t_first > 1.0


@pytest.mark.timeout(60)
def test_corral_run_prints_as_it_goes():
    exe = shutil.which("corral") or sys.executable
    argv = [exe] if exe.endswith("corral") else [exe, "-m", "corral"]
    p = subprocess.Popen(
        [*argv, "run", "for i in 0 1 2; do echo line$i; sleep 0.7; done"],
        stdout=subprocess.PIPE,
        text=True,
    )
    t0 = time.monotonic()
    assert p.stdout is not None
    first = p.stdout.readline()
    t_first = time.monotonic() - t0
    rest = p.stdout.read()
    total = time.monotonic() - t0
    assert p.wait(30) == 0
    assert first == "line0\n" and rest == "line1\nline2\n"
    assert total - t_first > 1.0  # the first line came well before the end

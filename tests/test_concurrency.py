"""Many sandboxes at once, in threads and in asyncio."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import corral
from corral import Budget, Sandbox


def test_sixteen_sandboxes_in_parallel_threads():
    def work(i: int) -> tuple[int, str, str]:
        with Sandbox(budget=Budget(wall_s=60)) as sb:
            sb.files.write("n.txt", str(i))
            sb.python("n = int(open('n.txt').read())")
            py = sb.python("print(sum(range(n * 1000)))").stdout.strip()
            js = sb.js(f"console.log({i} * 2)").stdout.strip()
            return i, py, js

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = sorted(pool.map(work, range(16)))
    assert results == [(i, str(sum(range(i * 1000))), str(i * 2)) for i in range(16)]


def test_guests_run_in_parallel_and_release_the_gil():
    """Two CPU-bound guests on two threads, plus the host's own thread ticking."""
    code = "t = 0\nfor i in range(3_000_000):\n    t += i\nprint(t)"
    boxes = [Sandbox(budget=Budget(wall_s=120)) for _ in range(2)]
    try:
        for b in boxes:
            b.python("pass")  # start interpreters first
        t0 = time.perf_counter()
        boxes[0].python(code)
        single = time.perf_counter() - t0
        ticks = 0
        stop = threading.Event()

        def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                time.sleep(0.001)

        th = threading.Thread(target=ticker)
        th.start()
        with ThreadPoolExecutor(2) as pool:
            outs = list(pool.map(lambda b: b.python(code).stdout, boxes))
        stop.set()
        th.join()
        assert outs == [f"{sum(range(3_000_000))}\n"] * 2
        # The host thread kept running while guests computed: the GIL was released.
        assert ticks > single * 100
    finally:
        for b in boxes:
            b.close()


def test_async_sandboxes_gather():
    async def one(i: int) -> str:
        async with corral.AsyncSandbox() as sb:
            await sb.files.write("v.txt", str(i))
            r = await sb.python("print(open('v.txt').read())")
            j = await sb.js(f"console.log({i} + 1)")
            return r.stdout.strip() + "," + j.stdout.strip()

    async def main() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(6)))

    assert asyncio.run(main()) == [f"{i},{i + 1}" for i in range(6)]


def test_calls_on_one_sandbox_from_many_threads_are_serialised():
    with Sandbox() as sb:
        sb.python("count = 0")

        def bump(_: int) -> None:
            assert sb.python("count += 1").ok

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(bump, range(40)))
        assert sb.python("print(count)").stdout == "40\n"

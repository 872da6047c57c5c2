"""Load on ``corral serve``: many concurrent sessions making calls through HTTP.

N sessions (default 200), each its own sandbox, each making M calls (default 20) of a
small shell command, all at once. Measured in the same run:

* in-process: ``AsyncSandbox.run`` in this process (the baseline: no HTTP, no server);
* HTTP: the same through a real ``corral serve`` (uvicorn, started as a separate
  process) with ``httpx.AsyncClient``, bearer token and all.

Reported: p50/p99 latency of one call, calls per second, and the time to create the
sandboxes. Both sides use the ``permissive`` policy (policy checks and the monitor on).

    PYTHONPATH=src python3 benchmarks/bench_server.py [SESSIONS] [CALLS]
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

SRC = str(Path(__file__).resolve().parents[1] / "src")
TOKEN = "bench-token-" + os.urandom(8).hex()
COMMAND = "echo hello; x=$((6*7)); echo $x"
POLICY = "permissive"


def _cpu_self() -> float:
    t = os.times()
    return t.user + t.system


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its own threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SERVER_PID: list[int] = []


def _cpu_server() -> float:
    return _cpu_of(SERVER_PID[0]) if SERVER_PID else 0.0


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def in_process(sessions: int, calls: int) -> dict[str, float]:
    import corral

    warm = await asyncio.to_thread(corral.AsyncSandbox, policy=POLICY)  # policy, rule packs
    await warm.run("true")  # and the shell worker's template
    await warm.aclose()
    t0 = time.perf_counter()
    boxes = await asyncio.gather(
        *(asyncio.to_thread(corral.AsyncSandbox, policy=POLICY) for _ in range(sessions))
    )
    created = time.perf_counter() - t0
    latencies: list[float] = []

    async def session(box: corral.AsyncSandbox) -> None:
        for _ in range(calls):
            t = time.perf_counter()
            r = await box.run(COMMAND)
            latencies.append(time.perf_counter() - t)
            assert r.stdout == "hello\n42\n", r

    t0, c0 = time.perf_counter(), _cpu_self()
    await asyncio.gather(*(session(b) for b in boxes))
    wall, cpu = time.perf_counter() - t0, _cpu_self() - c0
    await asyncio.gather(*(b.aclose() for b in boxes))
    return {**_summary(latencies, wall, created), "cpu_here": cpu / len(latencies) * 1000}


def _summary(latencies: list[float], wall: float, created: float) -> dict[str, float]:
    return {
        "p50": _pct(latencies, 0.50),
        "p99": _pct(latencies, 0.99),
        "mean": statistics.mean(latencies) * 1000,
        "rate": len(latencies) / wall,
        "wall": wall,
        "created": created,
    }


def _start_server(tmp: Path, sessions: int) -> tuple[subprocess.Popen[bytes], str]:
    tokens = tmp / "tokens.yaml"
    tokens.write_text(f"{TOKEN}: bench\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "corral",
            "serve",
            "--port",
            str(port),
            "--tokens",
            str(tokens),
            "--policy",
            POLICY,
            "--max-sandboxes",
            str(sessions),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "server.log", "wb"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            print((tmp / "server.log").read_text()[-3000:])
            raise RuntimeError("corral serve did not start")
        time.sleep(0.1)


async def over_http(url: str, sessions: int, calls: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=600
    ) as client:
        warm = (await client.post("/v1/sandboxes", json={})).json()["id"]
        await client.post(f"/v1/sandboxes/{warm}/run", json={"command": "true"})
        await client.delete(f"/v1/sandboxes/{warm}")
        t0 = time.perf_counter()
        created_r = await asyncio.gather(
            *(client.post("/v1/sandboxes", json={}) for _ in range(sessions))
        )
        created = time.perf_counter() - t0
        ids = [r.json()["id"] for r in created_r]
        latencies: list[float] = []

        async def session(sid: str) -> None:
            for _ in range(calls):
                t = time.perf_counter()
                r = await client.post(f"/v1/sandboxes/{sid}/run", json={"command": COMMAND})
                latencies.append(time.perf_counter() - t)
                assert r.json()["stdout"] == "hello\n42\n", r.text

        t0, c0, s0 = time.perf_counter(), _cpu_self(), _cpu_server()
        await asyncio.gather(*(session(s) for s in ids))
        wall = time.perf_counter() - t0
        cpu, server = _cpu_self() - c0, _cpu_server() - s0
        await asyncio.gather(*(client.delete(f"/v1/sandboxes/{s}") for s in ids))
    n = len(latencies)
    return {
        **_summary(latencies, wall, created),
        "cpu_here": cpu / n * 1000,
        "cpu_server": server / n * 1000,
    }


async def http_noop(url: str, sessions: int, calls: int) -> dict[str, float]:
    """The HTTP round trip alone (client and server, no sandbox): ``GET /v1/whoami``."""
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=600
    ) as client:
        latencies: list[float] = []

        async def session() -> None:
            for _ in range(calls):
                t = time.perf_counter()
                r = await client.get("/v1/whoami")
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text

        t0, c0, s0 = time.perf_counter(), _cpu_self(), _cpu_server()
        await asyncio.gather(*(session() for _ in range(sessions)))
        wall = time.perf_counter() - t0
        cpu, server = _cpu_self() - c0, _cpu_server() - s0
    n = len(latencies)
    return {
        **_summary(latencies, wall, 0.0),
        "cpu_here": cpu / n * 1000,
        "cpu_server": server / n * 1000,
    }


def main() -> None:
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    console = Console(width=150)
    console.print(
        f"{sessions} concurrent sessions x {calls} calls of {COMMAND!r}, "
        f"policy {POLICY}, {os.cpu_count()} cores"
    )
    base = asyncio.run(in_process(sessions, calls))
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_server(Path(tmp), sessions)
        SERVER_PID.append(proc.pid)
        try:
            http = asyncio.run(over_http(url, sessions, calls))
            noop = asyncio.run(http_noop(url, sessions, calls))
        except Exception:
            print((Path(tmp) / "server.log").read_text()[-5000:])
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    table = Table(
        title="corral serve under load (same run)",
        caption="client CPU: this process (in-process: the sandboxes' host side too); "
        "server CPU: the corral serve process; shell workers are separate processes",
    )
    table.add_column("path")
    cols = (
        "p50 ms",
        "p99 ms",
        "calls/s",
        "create all s",
        "client CPU ms/call",
        "server CPU ms/call",
    )
    for col in cols:
        table.add_column(col, justify="right")
    rows = (
        ("in-process AsyncSandbox.run (baseline)", base),
        ("HTTP corral serve: POST .../run", http),
        ("HTTP alone: GET /v1/whoami", noop),
    )
    for name, r in rows:
        table.add_row(
            name,
            f"{r['p50']:.1f}",
            f"{r['p99']:.1f}",
            f"{r['rate']:.0f}",
            f"{r['created']:.2f}" if r["created"] else "-",
            f"{r['cpu_here']:.2f}",
            f"{r['cpu_server']:.2f}" if "cpu_server" in r else "-",
        )
    console.print(table)
    console.print(
        f"HTTP / in-process: throughput {http['rate'] / base['rate']:.2f}x, "
        f"p50 {http['p50'] / base['p50']:.2f}x"
    )


if __name__ == "__main__":
    main()

"""``corral.native.bench.run()``: what the native tiers cost (no timed tests use this).

* sandbox start + ``true``: plain subprocess, bwrap (with and without process-level
  monitoring), gVisor;
* proxy throughput vs a direct loopback connection (MB/s);
* 1,000 short process starts inside one bwrap sandbox, with and without monitoring.
"""

from __future__ import annotations

import functools
import http.server
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..budget import Budget
from ..deeptree import remove_tree
from ._common import BackendUnavailable

__all__ = ["median_ms", "run"]


def median_ms(fn: Any, n: int) -> float:
    """The median time of ``n`` calls of ``fn``, in milliseconds."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def run(*, starts: int = 10, spawns: int = 1000, payload_mb: int = 32) -> dict[str, Any]:
    """Measure and return a dict of results (milliseconds, MB/s, seconds)."""
    from .bwrap import BwrapBackend
    from .gvisor import GvisorBackend
    from .proxy import EgressProxy

    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="corral-bench-"))
    try:
        out["subprocess_true_ms"] = median_ms(lambda: subprocess.run(["true"]), starts)
        for label, monitor in (("bwrap_true_ms", False), ("bwrap_monitored_true_ms", True)):
            ws = tmp / label
            ws.mkdir()
            try:
                with BwrapBackend(ws, Budget(wall_s=30), monitor=monitor) as box:
                    box.run(["true"])
                    out[label] = median_ms(lambda box=box: box.run(["true"]), starts)
            except BackendUnavailable as e:
                out[label] = f"unavailable: {e}"
        ws = tmp / "gvisor"
        ws.mkdir()
        try:
            with GvisorBackend(ws, Budget(wall_s=60)) as gbox:
                out["gvisor_true_ms"] = median_ms(lambda: gbox.run(["true"]), max(starts // 3, 2))
        except BackendUnavailable as e:
            out["gvisor_true_ms"] = f"unavailable: {e}"

        www = tmp / "www"
        www.mkdir()
        (www / "blob").write_bytes(b"\0" * (payload_mb * 2**20))
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www))
        )
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/blob"
        try:
            t = time.perf_counter()
            urllib.request.urlopen(url).read()
            direct = time.perf_counter() - t
            with EgressProxy(lambda h, p, ip: (True, "bench")) as proxy:
                opener = urllib.request.build_opener(
                    urllib.request.ProxyHandler({"http": proxy.url})
                )
                t = time.perf_counter()
                opener.open(url).read()
                proxied = time.perf_counter() - t
            out["direct_loopback_mb_s"] = round(payload_mb / direct, 1)
            out["proxy_mb_s"] = round(payload_mb / proxied, 1)
        finally:
            httpd.shutdown()
            httpd.server_close()

        script = f"for i in $(seq {spawns}); do /bin/true; done"
        for label, monitor in (("spawns_plain_s", False), ("spawns_monitored_s", True)):
            ws = tmp / label
            ws.mkdir()
            try:
                with BwrapBackend(ws, Budget(wall_s=300), monitor=monitor) as box:
                    t = time.perf_counter()
                    r = box.run(script)
                    out[label] = round(time.perf_counter() - t, 3) if r.ok else r.error
            except BackendUnavailable as e:
                out[label] = f"unavailable: {e}"
        out["spawns"] = spawns
    finally:
        remove_tree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(), indent=2))

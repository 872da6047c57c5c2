"""Benchmark templates against plain sandboxes and raw bubblewrap, in one run.

    python benchmarks/bench_templates.py [--quick] [--at-once N]

(as root: templates mount overlayfs over idmapped layers). Measures, per tier (bwrap,
gVisor): a new ``Sandbox`` + ``run("true")`` plain and from a script template and an image
template; a second ``run("true")`` in the same sandbox; building a template; importing an
image; N sandboxes from one template at once (threads) against N plain ones; and raw
``bwrap ... true`` (no corral) as the baseline. Everything in a throw-away $CORRAL_HOME.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETUP = r"""
mkdir -p /usr/local/bin /opt/tool
printf '#!/bin/sh\necho hi\n' > /usr/local/bin/greet && chmod +x /usr/local/bin/greet
site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site/benchpkg" && echo 'X = 1' > "$site/benchpkg/__init__.py"
"""


def median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 1)


def raw_bwrap() -> None:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
            "--", "/usr/bin/true"]  # fmt: skip
    subprocess.run(args, check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--at-once", type=int, default=20, help="sandboxes started together")
    ap.add_argument("--backends", default="bwrap,gvisor")
    opts = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (templates mount overlayfs over idmapped layers)")
    home = tempfile.mkdtemp(prefix="corral-bench-tpl-")
    os.environ["CORRAL_HOME"] = home
    from tests.templates.images import docker_save, sample_layers

    from corral import Sandbox, templates
    from corral.native.doctor import available

    n = 3 if opts.quick else 9
    console = Console()
    table = Table(title=f"templates (median of {n}; {opts.at_once} at once: wall of all)")
    for col in ("what", "bwrap", "gvisor"):
        table.add_column(col, justify="right" if col != "what" else "left")
    rows: dict[str, dict[str, str]] = {}

    def put(what: str, backend: str, value: str) -> None:
        rows.setdefault(what, {})[backend] = value

    image = docker_save(Path(home) / "image.tar", sample_layers())
    t = time.perf_counter()
    templates.import_image("bench-image", image)
    put("import image (docker save, 5 MB)", "bwrap", f"{(time.perf_counter() - t) * 1000:.0f} ms")
    put("import image (docker save, 5 MB)", "gvisor", "(same)")
    raw = median_ms(raw_bwrap, n)
    put("raw bwrap … true (no corral)", "bwrap", f"{raw} ms")

    for backend in opts.backends.split(","):
        ok, why = available(backend)
        if not ok:
            put("sandbox + run('true'), plain", backend, f"unavailable: {why}")
            continue
        t = time.perf_counter()
        tpl = templates.build(f"bench-{backend}", SETUP, backend=backend)
        put("template build (script: a program + a Python package)", backend,
            f"{(time.perf_counter() - t) * 1000:.0f} ms")  # fmt: skip

        def start(template: str | None, backend: str = backend) -> None:
            with Sandbox(backend=backend, template=template) as sb:
                r = sb.run("true")
                assert r.exit_code == 0, r.stderr

        start(None)  # warm: doctor checks, program table
        put("sandbox + run('true'), plain", backend, f"{median_ms(lambda: start(None), n)} ms")
        put("sandbox + run('true'), script template", backend,
            f"{median_ms(lambda name=tpl.name: start(name), n)} ms")  # fmt: skip
        put("sandbox + run('true'), image template", backend,
            f"{median_ms(lambda: start('bench-image'), n)} ms")  # fmt: skip
        for label, name in (("plain", None), ("script template", tpl.name)):
            with Sandbox(backend=backend, template=name) as sb:
                sb.run("true")
                put(f"second run('true') in a sandbox, {label}", backend,
                    f"{median_ms(lambda sb=sb: sb.run('true'), n)} ms")  # fmt: skip
        for label, name in (("plain", None), ("script template", tpl.name)):
            k = opts.at_once

            def one(i: int, name: str | None = name) -> None:
                start(name)

            t = time.perf_counter()
            with ThreadPoolExecutor(k) as pool:
                list(pool.map(one, range(k)))
            put(f"{k} sandboxes at once + run('true'), {label}", backend,
                f"{time.perf_counter() - t:.2f} s")  # fmt: skip
        assert tpl.verify(), "the base changed"
    for what, vals in rows.items():
        table.add_row(what, vals.get("bwrap", ""), vals.get("gvisor", ""))
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()[0]:.1f} "
                  f"({os.cpu_count()} CPUs)")  # fmt: skip
    import shutil

    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

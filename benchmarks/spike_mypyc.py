"""Spike (perf18, report only): the monitor's hot modules compiled with mypyc, timed
beside the same tree in pure Python.

    pip install mypy   # mypyc is part of it; needs a C compiler
    python benchmarks/spike_mypyc.py [--modules corral/monitor/prefilter.py ...]
        [--events 20000] [--reps 2]

Copies this tree's ``src`` to a temporary directory twice, runs ``mypyc`` on the
modules in one copy (the ``.so`` files land beside the sources, which stay as the
fallback an import picks when no extension is there) and times
``corral.monitor.bench.run`` in both, alternating. Nothing here changes the build.

What it found (2026-12-07, 2 cores shared by five sessions, load 15-19):

* ``prefilter.py`` and ``prepared.py`` compile after three typing fixes (merged:
  ``Screen._last``'s first value, the rider's argument) and ``# type: ignore`` on the
  ``re._constants``/``re._parser``/``re2`` imports (no stubs); mypyc refuses nothing else
  in them. Build ~8 min wall (42 CPU s) on the loaded machine.
* Timed, rules only, 20,000 events after 2,000 (noisy, ±10 %): compiled 44.1k and
  46.9k events/s, pure 49.2k and 45.4k: no gain visible. Those two modules are ~10 % of
  the Python opcodes per event; the rest is ``engine.py`` (``observe``, ~30 %), the
  generated tests and finders (``compiled.py``'s output is ``exec``'d at load: mypyc
  never sees it, so compiling the engine leaves the rules' own code interpreted) and
  ``rules.py`` (subjects).
* ``engine.py`` and ``rules.py`` were not tried: no mypy configuration exists in the
  project and they hold pydantic models (``Alert``, ``Evidence``), a ``dict``
  subclass (``_ForkedWindows``), closures and dynamic attributes that mypyc compiles
  only as non-native classes or refuses; a first ``mypy`` pass over them is the step
  before a compile.
* Packaging, if it ever pays: an optional platform wheel (hatch's ``hatch-mypyc``
  build hook) beside the pure-Python wheel; an import falls back to the ``.py`` when
  the extension is missing, so the WebAssembly tier's ``pip install`` keeps working;
  a test would have to import both and compare answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("corral/monitor/prefilter.py", "corral/monitor/prepared.py")
_CHILD = """
import json, sys
import corral.monitor.prefilter as pf
from corral.monitor import bench
n = int(sys.argv[1])
bench.run(2_000, baseline=False, scorer=False)
r = bench.run(n, baseline=False, scorer=False)
print(json.dumps({"compiled": pf.__file__.endswith(".so"), "eps": r["events_per_s"]}))
"""


def _run(src: Path, events: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(events)], env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", nargs="+", default=list(MODULES))
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args()
    mypyc = shutil.which("mypyc")
    if mypyc is None:
        raise SystemExit("mypyc is not installed (pip install mypy)")
    with tempfile.TemporaryDirectory(prefix="corral-mypyc-") as tmp:
        pure, comp = Path(tmp) / "pure", Path(tmp) / "compiled"
        shutil.copytree(ROOT / "src", pure)
        shutil.copytree(ROOT / "src", comp)
        got = subprocess.run([mypyc, *args.modules], cwd=comp, capture_output=True, text=True)
        if got.returncode:
            raise SystemExit(f"mypyc failed:\n{got.stdout[-4000:]}{got.stderr[-2000:]}")
        for _ in range(args.reps):
            for src in (comp, pure):
                print(json.dumps(_run(src, args.events)))


if __name__ == "__main__":
    main()

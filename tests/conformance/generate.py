#!/usr/bin/env python3
"""Record what real GNU bash and the real GNU tools print for every case in
cases.yaml, into expected.json.

    python tests/conformance/generate.py            # all cases
    python tests/conformance/generate.py --check    # run each case twice, report flaky ones
    python tests/conformance/generate.py -k param   # only ids containing "param" (prints, no write)
    python tests/conformance/generate.py -k param --merge  # ... and writes them into expected.json

Each case runs as ``bash --noprofile --norc -c SCRIPT bash`` (what ``Sandbox.run``
means: a command string, so a fatal expansion error exits 127 there) in a fresh
temporary directory holding the case's ``files``, with that directory as cwd and HOME, the environment

    PATH=<shim>:/usr/bin:/bin  HOME=<tmpdir>  LC_ALL=C  LANG=C  TZ=UTC

(``<shim>`` is a directory whose only entry is ``awk -> gawk``, since corral's
awk follows GNU awk and Debian's default awk may be mawk), the case's stdin,
and a 10 s timeout. stdout is kept with every occurrence of the temporary
directory replaced by ``/workspace``; stderr is not compared by the suite.

Needs bash, gawk and jq (apt-get install -y bash gawk jq) besides the GNU
coreutils, grep, sed, findutils, diffutils, tar, gzip and util-linux (column,
rev) that Debian ships.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CASE_TIMEOUT_S, EXPECTED_FILE, load_cases

GUEST_ROOT = "/workspace"
BASE_PATH = "/usr/bin:/bin"

# (program, apt package) that must be present for the expectations to mean anything.
REQUIRED = [
    ("bash", "bash"),
    ("gawk", "gawk"),
    ("jq", "jq"),
    ("sed", "sed"),
    ("grep", "grep"),
    ("find", "findutils"),
    ("xargs", "findutils"),
    ("diff", "diffutils"),
    ("tar", "tar"),
    ("gzip", "gzip"),
    ("column", "bsdextrautils"),
    ("rev", "util-linux"),
    ("base64", "coreutils"),
]


def find_tools() -> dict[str, str]:
    """Absolute paths of the required programs, or exit with what to install."""
    found: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    for prog, pkg in REQUIRED:
        path = shutil.which(prog, path=BASE_PATH)
        if path is None:
            missing.append((prog, pkg))
        else:
            found[prog] = path
    if missing:
        progs = ", ".join(p for p, _ in missing)
        pkgs = " ".join(sorted({pkg for _, pkg in missing}))
        sys.exit(
            f"generate.py: missing {progs} (looked in {BASE_PATH}).\n"
            f"Install with: apt-get update && apt-get install -y {pkgs}"
        )
    out = subprocess.run(
        [found["gawk"], "--version"], capture_output=True, text=True, check=False
    ).stdout
    if "GNU Awk" not in out:
        sys.exit(f"generate.py: {found['gawk']} is not GNU awk. Install: apt-get install -y gawk")
    version = first_line([found["bash"], "--version"])
    if "version 5.2." not in version:
        print(f"warning: expectations are meant to come from bash 5.2, found: {version}")
    return found


def first_line(argv: list[str]) -> str:
    proc = subprocess.run(
        argv, capture_output=True, text=True, check=False, env={"PATH": BASE_PATH, "LC_ALL": "C"}
    )
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else "?"


def tool_versions() -> dict[str, str]:
    """First line of ``--version`` of the programs whose output the suite records."""
    progs = {
        "bash": "bash",
        "awk": "gawk",
        "sed": "sed",
        "grep": "grep",
        "jq": "jq",
        "coreutils": "ls",
        "findutils": "find",
        "diffutils": "diff",
        "tar": "tar",
        "gzip": "gzip",
    }
    return {name: first_line([prog, "--version"]) for name, prog in progs.items()}


def run_case(case: dict[str, Any], bash: str, shim: str) -> dict[str, Any]:
    """Run one case under real bash; the recorded stdout and exit status."""
    with tempfile.TemporaryDirectory(prefix="corral-conf-") as top:
        top_real = os.path.realpath(top)
        work = os.path.join(top_real, "ws")
        os.mkdir(work)
        for rel, content in case["files"].items():
            dest = os.path.join(work, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8", newline="") as f:
                f.write(content)
        env = {
            "PATH": f"{shim}:{BASE_PATH}",
            "HOME": work,
            "LC_ALL": "C",
            "LANG": "C",
            "TZ": "UTC",
        }
        try:
            proc = subprocess.run(
                [bash, "--noprofile", "--norc", "-c", case["script"], "bash"],
                input=case["stdin"].encode("utf-8"),
                capture_output=True,
                cwd=work,
                env=env,
                timeout=CASE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {CASE_TIMEOUT_S:g} s"}
        try:
            stdout = proc.stdout.decode("utf-8")
        except UnicodeDecodeError:
            return {"error": "stdout is not UTF-8"}
        stderr = proc.stderr.decode("utf-8", "replace")
        stdout = stdout.replace(work, GUEST_ROOT)
        return {
            "stdout": stdout,
            "exit_code": proc.returncode,
            "stderr": stderr.replace(work, GUEST_ROOT),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", metavar="TEXT", help="only ids containing TEXT; prints, writes nothing")
    ap.add_argument(
        "--check", action="store_true", help="run every case twice and report differences"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's result")
    ap.add_argument("-o", "--output", type=Path, default=EXPECTED_FILE)
    ap.add_argument(
        "--merge", action="store_true",
        help="with -k: write the chosen cases into the output, keeping every other case",
    )  # fmt: skip
    args = ap.parse_args(argv)

    tools = find_tools()
    cases = load_cases()
    if args.k is not None:
        cases = [c for c in cases if args.k in c["id"]]

    expected: dict[str, Any] = {}
    errors: list[str] = []
    flaky: list[str] = []
    noisy: list[str] = []
    with tempfile.TemporaryDirectory(prefix="corral-conf-bin-") as shim:
        os.symlink(tools["gawk"], os.path.join(shim, "awk"))
        for case in cases:
            res = run_case(case, tools["bash"], shim)
            if "error" in res:
                errors.append(f"{case['id']}: {res['error']}")
                continue
            if args.check:
                again = run_case(case, tools["bash"], shim)
                if (
                    again.get("stdout") != res["stdout"]
                    or again.get("exit_code") != res["exit_code"]
                ):
                    flaky.append(case["id"])
            if res["stderr"] and res["exit_code"] == 0:
                noisy.append(case["id"])
            if args.verbose or args.k is not None:
                print(f"--- {case['id']} (exit {res['exit_code']})")
                print(res["stdout"], end="" if res["stdout"].endswith("\n") else "\n")
                if res["stderr"]:
                    print(f"    [stderr] {res['stderr'].rstrip()}")
            expected[case["id"]] = {"stdout": res["stdout"], "exit_code": res["exit_code"]}

    by_group: dict[str, int] = {}
    for case in cases:
        by_group[case["group"]] = by_group.get(case["group"], 0) + 1
    nonzero = sum(1 for v in expected.values() if v["exit_code"] != 0)
    print(f"{len(expected)}/{len(cases)} cases recorded ({nonzero} with a non-zero exit status)")
    for group, n in sorted(by_group.items()):
        print(f"  {group:<14} {n}")
    if noisy:
        print(f"note: exit 0 but wrote to stderr: {', '.join(noisy)}")
    if flaky:
        print(f"FLAKY (differ between two runs): {', '.join(flaky)}")
    if errors:
        print("ERRORS:")
        for e in errors:
            print(f"  {e}")
        return 1
    if flaky:
        return 1
    if args.k is not None and not args.merge:
        return 0
    if args.merge:
        if args.k is None:
            print("--merge goes with -k")
            return 2
        kept = json.loads(args.output.read_text(encoding="utf-8"))
        meta_kept = kept.pop("_meta")
        kept.update(expected)
        order = [c["id"] for c in load_cases()]
        merged = {k: kept[k] for k in order if k in kept}
        out = {"_meta": meta_kept, **merged}
        text = json.dumps(out, indent=1, ensure_ascii=False) + "\n"
        args.output.write_text(text, encoding="utf-8")
        print(f"merged {len(expected)} case(s) into {args.output}")
        return 0

    meta = {
        "generator": "tests/conformance/generate.py",
        "command": "bash --noprofile --norc SCRIPT_FILE",
        "env": {"PATH": "<awk=gawk shim>:" + BASE_PATH, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"},
        "versions": tool_versions(),
    }
    out = {"_meta": meta, **expected}
    args.output.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

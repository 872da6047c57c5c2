#!/usr/bin/env python3
"""Run the conformance table against the corral shell (without pytest) and
print pass/fail counts per group and the overall pass rate.

    python tests/conformance/report.py                  # all cases
    python tests/conformance/report.py -g arith -v      # one group, show what differs
    python tests/conformance/report.py --update-known   # rewrite known_failures.txt

With ``--update-known`` the ids that failed are written to known_failures.txt
(for a filtered run only the ids that ran are updated; the others keep their
state).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    KNOWN_FAILURES_FILE,
    load_cases,
    load_expected,
    load_known_failures,
    run_in_corral,
)

HEADER = """\
# Conformance cases the corral shell is known to fail: one id a line, '#' starts
# a comment. Listed cases are strict xfails in tests/test_conformance.py, so a
# case that starts passing must be removed from here.
# Regenerate from the current state: python tests/conformance/report.py --update-known
"""


def check_api() -> str | None:
    """Why corral cannot run shell scripts yet, or None."""
    try:
        import corral
    except ImportError as e:
        return f"cannot import corral: {e}"
    if not hasattr(corral, "Sandbox"):
        return "corral has no Sandbox"
    if not callable(getattr(corral.Sandbox, "run", None)):
        return "corral.Sandbox has no run() method yet (the shell is not there)"
    return None


def run_one(case: dict[str, Any], expected: dict[str, Any] | None) -> tuple[bool, str]:
    """(passed, what went wrong)."""
    if expected is None:
        return False, "no expectation recorded: run tests/conformance/generate.py"
    try:
        stdout, exit_code = run_in_corral(case)
    except Exception as e:
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        return False, f"raised {tb}"
    problems = []
    if stdout != expected["stdout"]:
        problems.append(f"stdout: got {stdout!r}\n        want {expected['stdout']!r}")
    if exit_code != expected["exit_code"]:
        problems.append(f"exit status: got {exit_code}, want {expected['exit_code']}")
    return not problems, "\n    ".join(problems)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-g", "--group", action="append", help="only this group (repeatable)")
    ap.add_argument("-k", metavar="TEXT", help="only ids containing TEXT")
    ap.add_argument("-v", "--verbose", action="store_true", help="show why each case failed")
    ap.add_argument(
        "--update-known", action="store_true", help="write the failing ids to known_failures.txt"
    )
    args = ap.parse_args(argv)

    problem = check_api()
    if problem:
        print(f"report.py: {problem}", file=sys.stderr)
        return 2

    cases = load_cases()
    if args.group:
        cases = [c for c in cases if c["group"] in args.group]
    if args.k:
        cases = [c for c in cases if args.k in c["id"]]
    if not cases:
        print("report.py: no case selected", file=sys.stderr)
        return 2
    expected = load_expected()
    known = load_known_failures()

    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    failed_ids: list[str] = []
    started = time.monotonic()
    for case in cases:
        ok, why = run_one(case, expected.get(case["id"]))
        total[case["group"]] += 1
        if ok:
            passed[case["group"]] += 1
        else:
            failed_ids.append(case["id"])
            if args.verbose:
                print(f"FAIL {case['id']}\n    {why}")
    elapsed = time.monotonic() - started

    print(f"{'group':<14} {'pass':>5} {'total':>6} {'rate':>7}")
    for group in sorted(total):
        p, t = passed[group], total[group]
        print(f"{group:<14} {p:>5} {t:>6} {100 * p / t:>6.1f}%")
    n_pass, n_total = sum(passed.values()), sum(total.values())
    print(
        f"overall: {n_pass}/{n_total} passed ({100 * n_pass / n_total:.1f}%), "
        f"{n_total - n_pass} failed, in {elapsed:.1f} s"
    )

    ran = {c["id"] for c in cases}
    now_passing = sorted((known & ran) - set(failed_ids))
    new_failures = sorted(set(failed_ids) - known)
    if now_passing:
        print(f"listed as known failures but passing now: {', '.join(now_passing)}")
    if new_failures and not args.update_known:
        print(f"failing, not in known_failures.txt: {len(new_failures)}")

    if args.update_known:
        ids = sorted((known - ran) | set(failed_ids))
        KNOWN_FAILURES_FILE.write_text(HEADER + "".join(f"{i}\n" for i in ids), encoding="utf-8")
        print(f"wrote {len(ids)} ids to {KNOWN_FAILURES_FILE}")
    return 0 if not failed_ids else 1


if __name__ == "__main__":
    sys.exit(main())

"""Shell conformance: every case in tests/conformance/cases.yaml, run by the
corral shell, must print the stdout and exit with the status that real GNU
bash 5.2 and the real GNU tools did (recorded in expected.json by
``python tests/conformance/generate.py``). stderr is not compared.

Ids listed in tests/conformance/known_failures.txt are expected to fail
(strict xfail: a listed case that passes fails the run, so the list shrinks).
``python tests/conformance/report.py`` prints the pass rate per group and
rewrites the list with ``--update-known``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_COMMON_PATH = Path(__file__).resolve().parent / "conformance" / "common.py"
_spec = importlib.util.spec_from_file_location("corral_conformance_common", _COMMON_PATH)
assert _spec is not None and _spec.loader is not None
common = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = common
_spec.loader.exec_module(common)

CASES = common.load_cases()
EXPECTED = common.load_expected()
KNOWN_FAILURES = common.load_known_failures()


def _params() -> list:
    params = []
    for case in CASES:
        marks = []
        if case["id"] in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason="known gap"))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


def test_table_is_consistent():
    """cases.yaml, expected.json and known_failures.txt agree on the ids."""
    ids = {c["id"] for c in CASES}
    recorded = set(EXPECTED) - {"_meta"}
    assert ids - recorded == set(), (
        "cases without expectations: run python tests/conformance/generate.py"
    )
    assert recorded - ids == set(), "stale expectations: run python tests/conformance/generate.py"
    assert KNOWN_FAILURES - ids == set(), "known_failures.txt names ids not in cases.yaml"


@pytest.mark.parametrize("case", _params())
def test_conformance(case):
    expected = EXPECTED.get(case["id"])
    if expected is None:
        pytest.fail(f"no expectation for {case['id']}: run python tests/conformance/generate.py")
    stdout, exit_code = common.run_in_corral(case)
    assert stdout == expected["stdout"], f"stdout differs for script:\n{case['script']}"
    assert exit_code == expected["exit_code"], (
        f"exit status {exit_code}, bash gave {expected['exit_code']}, for script:\n{case['script']}"
    )

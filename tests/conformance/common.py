"""Shared helpers of the shell conformance suite: loading the case table, the
expected results and the known-failure list, and running one case in corral.

Used by ``generate.py`` and ``report.py`` (as a sibling module) and by
``tests/test_conformance.py`` (loaded by file path).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "cases.yaml"
EXPECTED_FILE = HERE / "expected.json"
KNOWN_FAILURES_FILE = HERE / "known_failures.txt"

ALLOWED_KEYS = {"id", "group", "script", "files", "stdin"}
REQUIRED_KEYS = {"id", "group", "script"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Generous: real bash runs every case in well under a second.
CASE_TIMEOUT_S = 10.0


class CaseError(ValueError):
    """cases.yaml is malformed."""


def load_cases(path: Path = CASES_FILE) -> list[dict[str, Any]]:
    """The cases, in file order, checked for shape and unique ids."""
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, list):
        raise CaseError(f"{path}: expected a list of cases at top level")
    seen: set[str] = set()
    cases: list[dict[str, Any]] = []
    for n, case in enumerate(data):
        if not isinstance(case, dict):
            raise CaseError(f"{path}: entry #{n} is not a mapping")
        cid = case.get("id")
        where = f"{path}: case {cid!r} (entry #{n})"
        missing = REQUIRED_KEYS - case.keys()
        if missing:
            raise CaseError(f"{where}: missing {sorted(missing)}")
        extra = case.keys() - ALLOWED_KEYS
        if extra:
            raise CaseError(f"{where}: unknown keys {sorted(extra)}")
        if not isinstance(cid, str) or not ID_RE.match(cid):
            raise CaseError(f"{where}: id must be lower-case letters, digits and '-'")
        if cid in seen:
            raise CaseError(f"{where}: duplicate id")
        seen.add(cid)
        if not isinstance(case["group"], str) or not isinstance(case["script"], str):
            raise CaseError(f"{where}: group and script must be strings")
        files = case.get("files") or {}
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise CaseError(f"{where}: files must map relative paths to strings")
        for rel in files:
            if rel.startswith("/") or ".." in rel.split("/"):
                raise CaseError(f"{where}: file path {rel!r} must be relative, without '..'")
        stdin = case.get("stdin", "")
        if not isinstance(stdin, str):
            raise CaseError(f"{where}: stdin must be a string")
        cases.append(
            {
                "id": cid,
                "group": case["group"],
                "script": case["script"],
                "files": dict(files),
                "stdin": stdin,
            }
        )
    return cases


def load_expected(path: Path = EXPECTED_FILE) -> dict[str, Any]:
    """expected.json as written by generate.py (``{}`` if it does not exist)."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_known_failures(path: Path = KNOWN_FAILURES_FILE) -> set[str]:
    """Ids listed in known_failures.txt: one a line, ``#`` starts a comment."""
    if not path.exists():
        return set()
    ids: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return ids


def run_in_corral(case: dict[str, Any]) -> tuple[str, int]:
    """Run one case in a fresh corral sandbox: (stdout, exit_code)."""
    import corral

    with corral.Sandbox() as sb:
        for rel, content in case["files"].items():
            sb.files.write(rel, content)
        result = sb.run(case["script"], stdin=case["stdin"], timeout=CASE_TIMEOUT_S)
    return result.stdout, result.exit_code

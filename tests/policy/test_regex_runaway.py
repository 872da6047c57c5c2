"""Admin-written policy/monitor patterns matched against hostile agent text cannot
freeze the host (issue 10). Each case runs in a child process so that a runaway
match (which holds the GIL) fails the test instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LIMIT_S = float(os.environ.get("CORRAL_TEST_HANG_S", "20"))
HOSTILE = "a" * 40 + "b"

CASES = {
    "policy-command-regex": (
        "from corral.policy.patterns import compile_regex\n"
        f"p = compile_regex('(a+)+$')\nprint(p.regex.search('{HOSTILE}') is None)"
    ),
    "policy-command-glob": (
        "from corral.policy.patterns import compile_command\n"
        "p = compile_command('x *a*a*a*a*a*a*a*c')\n"
        "print(p.regex.search('x ' + 'a' * 3000) is None)"
    ),
    "policy-path-glob": (
        "from corral.policy.patterns import compile_path\n"
        "p = compile_path('/w/**/*a*a*a*a*a*a*a*c')\n"
        "print(not p.matches('/w/' + 'a' * 3000))"
    ),
    "monitor-rule-regex": (
        "from corral.monitor.rules import compile_regex\n"
        f"print(compile_regex('(a|aa)+$').search('{HOSTILE}') is None)"
    ),
    "capability-regex": (
        "from corral.capabilities import Param\n"
        "c = Param('x').matches('(a+)+')\n"
        f"print(c._regex.fullmatch('{HOSTILE}') is None)"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_admin_pattern_on_hostile_text_returns(name: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    try:
        r = subprocess.run(
            [sys.executable, "-c", CASES[name]],
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: no answer within {LIMIT_S}s: the match ran away")
    assert r.stdout.strip() == "True", r.stderr

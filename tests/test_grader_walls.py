"""An RL task's grader files, named in a policy layer (``filesystem.ask_write``), hold
on every tier with no person to ask: whatever route the agent's run takes to change a
test or plant a ``conftest.py``, the grader later reads what the task set up (or, on
gVisor, which only hides, finds the changed file taken out: it fails closed), while the
agent's own code changes as it likes. The README's "Protect the grader" recipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral import Sandbox
from corral.policy import Policy
from tiers import needs

GRADER = Policy.from_yaml(
    """
version: 1
extends: [default]
filesystem:
  ask_write: ["tests/**", "**/conftest.py", "pytest.ini"]
"""
)

TEST = "from src.app import f\n\ndef test_f():\n    assert f() == 2\n"

ATTEMPTS = [
    "echo 'def test_f(): pass' > tests/test_app.py",
    "sed -i 's/== 2/== 1/' tests/test_app.py",
    "python3 -c \"open('tests/test_app.py', 'w').write('def test_f(): pass')\"",
    "cp src/app.py tests/test_app.py",
    "printf 'def pytest_collection_modifyitems(items):\\n    items.clear()\\n' > conftest.py",
    "mkdir -p tests/more && echo 'def test_ok(): pass' > tests/more/test_new.py",
    "printf '[pytest]\\naddopts = -k nothing\\n' > pytest.ini",
]


def _task(ws: Path) -> None:
    (ws / "tests").mkdir(parents=True)
    (ws / "src").mkdir()
    (ws / "tests" / "test_app.py").write_text(TEST)
    (ws / "src" / "app.py").write_text("def f():\n    return 1\n")


@pytest.mark.parametrize(
    "backend",
    [
        "wasm",
        pytest.param("bwrap", marks=needs("bwrap")),
        pytest.param("gvisor", marks=needs("gvisor")),
    ],
)
def test_the_graders_files_hold_and_the_agents_code_changes(tmp_path, backend):
    ws = tmp_path / "ws"
    _task(ws)
    with Sandbox(backend=backend, policy=GRADER, workspace=ws, monitor=False) as sb:
        for line in ATTEMPTS:
            sb.run(line)
        r = sb.run("sed -i 's/return 1/return 2/' src/app.py && cat src/app.py")
        assert r.ok and "return 2" in r.stdout, r
        quarantine = sb.quarantine
    test = ws / "tests" / "test_app.py"
    if backend == "gvisor" and not test.exists():
        assert quarantine is not None and any(quarantine.iterdir())  # taken out, kept there
    else:
        assert test.read_text() == TEST
    for planted in ("conftest.py", "pytest.ini", "tests/more/test_new.py"):
        assert not (ws / planted).exists(), planted
    assert (ws / "src" / "app.py").read_text() == "def f():\n    return 2\n"

"""``devices.gpu``: the native tiers' GPU grant (default: none), and ``budgets.gpu_memory_mb``."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.native import NativeLimits
from corral.policy import Policy, PolicyError
from corral.policy.loader import from_yaml, load_file

GRANT = "version: 1\nextends: [default]\ndevices: {gpu: true}\n"


@pytest.mark.parametrize("name", ["default", "strict", "permissive"])
def test_no_builtin_grants_a_gpu(name: str) -> None:
    assert Policy.builtin(name).gpu is False


def test_a_policy_grants_the_gpu_and_a_gpu_memory_budget() -> None:
    p = from_yaml(GRANT + "budgets: {gpu_memory_mb: 2048}\n", source="gpu.yaml")
    assert p.gpu is True
    assert p.extra_budgets["gpu_memory_mb"] == 2048
    assert NativeLimits(**p.extra_budgets).gpu_memory_mb == 2048  # what the Sandbox passes
    assert from_yaml("version: 1\ndevices:\n", source="x.yaml").gpu is False  # empty section


def test_layering_keeps_or_revokes_the_grant() -> None:
    granted = from_yaml(GRANT, source="gpu.yaml")
    kept = Policy.layer(granted, Policy.from_dict({"version": 1, "network": {"allow": ["x.io"]}}))
    assert kept.gpu is True
    revoked = Policy.layer(granted, Policy.from_dict({"version": 1, "devices": {"gpu": False}}))
    assert revoked.gpu is False


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("devices: {gpu: yes}\n", "devices.gpu", "expected true or false, got the string 'yes'"),
        ("devices: {gpu: 1}\n", "devices.gpu", "expected true or false, got the number 1"),
        ("devices: {gpus: true}\n", "devices", "unknown key 'gpus'"),
        ("budgets: {gpu_memory_mb: -1}\n", "budgets.gpu_memory_mb", ""),
    ],
)
def test_bad_values_are_positioned_errors(tmp_path: Path, text: str, path: str,
                                          message: str) -> None:  # fmt: skip
    f = tmp_path / "policy.yaml"
    f.write_text("version: 1\n" + text)
    with pytest.raises(PolicyError) as info:
        load_file(f)
    [problem] = info.value.problems
    assert problem.path.startswith(path), problem
    assert problem.line == 2
    assert message in problem.message, problem.message

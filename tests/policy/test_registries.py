"""``network.registries``: one switch that allows the package registries' hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.events import NetAction
from corral.policy import Policy, PolicyError
from corral.policy.loader import from_yaml, load_file
from corral.policy.schema import REGISTRY_HOSTS

DEFAULT = Policy.builtin("default")


def on_top_of(base: str, network: str) -> Policy:
    return from_yaml(f"version: 1\nextends: [{base}]\nnetwork:\n{network}", source="user.yaml")


def verdict(policy: Policy, host: str, port: int = 443) -> tuple[str, str]:
    d = policy.decide(NetAction(host=host, port=port))
    assert d.reason
    return d.verdict, d.rule


def test_default_asks_for_every_host_without_the_switch() -> None:
    assert DEFAULT.model.network.registries is False
    for host in REGISTRY_HOSTS:
        assert verdict(DEFAULT, host) == ("ask", "network.default")
    assert verdict(DEFAULT, "example.com") == ("ask", "network.default")


@pytest.mark.parametrize("base", ["default", "strict"])
def test_the_switch_allows_the_registries(base: str) -> None:
    policy = on_top_of(base, "  registries: true\n")
    assert policy.model.network.registries is True
    for host in ("pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "crates.io",
                 "static.crates.io", "proxy.golang.org", "PyPI.org."):
        d = policy.decide(NetAction(host=host, port=443))
        assert d.verdict == "allow", (host, d.reason)
        assert d.rule.startswith("network.registries["), d.rule
    # a URL names the host too
    assert policy.decide(NetAction(host="", url="https://pypi.org/simple/x/")).verdict == "allow"
    # nothing else is opened: the base's default still decides other hosts
    expected = {"default": "ask", "strict": "deny"}[base]
    for host in ("example.com", "github.com", "evil.pypi.org", "pypi.org.evil.example",
                 "notpypi.org", "registry.npmjs.org.attacker.example"):
        assert verdict(policy, host) == (expected, "network.default"), host


def test_the_switch_does_not_open_protected_addresses() -> None:
    policy = on_top_of("default", "  registries: true\n")
    for host in ("169.254.169.254", "metadata.google.internal", "127.0.0.1", "10.1.2.3"):
        assert policy.decide(NetAction(host=host, port=443)).verdict == "deny", host


def test_a_listed_deny_beats_the_switch() -> None:
    policy = on_top_of("default", "  registries: true\n  deny: [registry.npmjs.org]\n")
    assert verdict(policy, "registry.npmjs.org")[0] == "deny"
    assert verdict(policy, "pypi.org")[0] == "allow"


def test_the_switch_survives_a_layer_that_does_not_mention_it() -> None:
    base = on_top_of("default", "  registries: true\n")
    layered = Policy.layer(base, Policy.from_dict({"version": 1, "network": {"allow": ["example.com"]}}))
    assert verdict(layered, "pypi.org")[0] == "allow"
    assert verdict(layered, "example.com")[0] == "allow"
    off = Policy.layer(base, Policy.from_dict({"version": 1, "network": {"registries": False}}))
    assert verdict(off, "pypi.org") == ("ask", "network.default")


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("yes", "the string 'yes'"),
        ("'true'", "the string 'true'"),
        ("1", "the number 1"),
        ("[pypi.org]", "a list"),
        ("null", "nothing (null)"),
    ],
)
def test_a_bad_value_is_a_clear_error(tmp_path: Path, value: str, got: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\nnetwork:\n  registries: {value}\n")
    with pytest.raises(PolicyError) as info:
        load_file(path)
    [problem] = info.value.problems
    assert problem.path == "network.registries"
    assert (problem.line, problem.column) == (3, 15)
    assert problem.message == f"expected true or false, got {got}"

"""`.env` templates are readable; the real `.env` files and denied directories stay denied."""

from __future__ import annotations

import pytest

from corral.policy import load
from corral.policy.loader import builtin

TEMPLATES = [".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
             "config/.env.production.example", "app/.env.local.sample"]
SECRETS = [".env", ".env.local", ".env.production", "config/.env.staging", ".env.test",
           ".env.example.bak", ".env.examples", "env.example/.env"]


@pytest.mark.parametrize("name", ["default", "strict"])
@pytest.mark.parametrize("path", TEMPLATES)
def test_templates_are_readable(name: str, path: str) -> None:
    policy = builtin(name)
    assert policy.decide_file("read", f"/workspace/{path}").verdict == "allow"
    assert policy.decide_command(f"cat {path}").verdict == "allow"
    assert policy.decide_command(f"grep -v '^#' {path} | grep -v '^$'").verdict == "allow"
    assert policy.decide_command(f"cat < {path}").verdict == "allow"


@pytest.mark.parametrize("name", ["default", "strict"])
@pytest.mark.parametrize("path", SECRETS)
def test_real_env_files_stay_denied(name: str, path: str) -> None:
    policy = builtin(name)
    assert policy.decide_file("read", f"/workspace/{path}").verdict == "deny"
    assert policy.decide_command(f"cat {path}").verdict == "deny"


@pytest.mark.parametrize("name", ["default", "strict"])
def test_template_and_secret_in_one_line(name: str) -> None:
    policy = builtin(name)
    for line in ("cat .env.example .env", "cat .env .env.example",
                 "diff .env.example .env.local", "cp .env.example .env && cat .env"):
        assert policy.decide_command(line).verdict == "deny", line


@pytest.mark.parametrize("name", ["default", "strict"])
def test_template_name_inside_denied_directory_stays_denied(name: str) -> None:
    policy = builtin(name)
    for path in ("/home/agent/.ssh/.env.example", "/home/agent/.aws/.env.sample"):
        assert policy.decide_file("read", path).verdict == "deny", path
    assert policy.decide_command("cat ~/.ssh/.env.example").verdict == "deny"


def test_deny_except_is_policy_data() -> None:
    text = """
version: 1
filesystem:
  default: deny
  read: ["/workspace/**"]
  deny: ["**/*.key", "**/private/**"]
  deny_except: ["**/public.key"]
"""
    policy = load(text)
    assert policy.decide_file("read", "/workspace/public.key").verdict == "allow"
    assert policy.decide_file("read", "/workspace/server.key").verdict == "deny"
    assert policy.decide_file("read", "/workspace/private/public.key").verdict == "deny"
    # an exception does not grant what the read list does not
    assert policy.decide_file("read", "/srv/public.key").verdict == "deny"
    assert load(text.replace('  deny_except: ["**/public.key"]\n', "")).decide_file(
        "read", "/workspace/public.key").verdict == "deny"


def test_deny_except_bad_entry_is_a_clear_error() -> None:
    from corral.policy import PolicyError

    with pytest.raises(PolicyError) as err:
        load("version: 1\nfilesystem:\n  deny_except: [3]\n")
    assert "deny_except" in str(err.value)

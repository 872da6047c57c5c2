"""Tokens, tenants and what one tenant may see of another's."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ALICE, BOB, Server, make_config, running
from corral.server import ConfigError, ServerConfig, load_tokens
from corral.server.auth import TokenAuth


def test_tokens_file(tmp_path: Path) -> None:
    f = tmp_path / "tokens.yaml"
    f.write_text("# comment\nabc123: alice\n'007': bob\n")
    assert load_tokens(f) == {"abc123": "alice", "007": "bob"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("tok1: alice\ntok2: [bob]\n", 2, "tenant"),
        ("tok1: alice\ntok1: bob\n", 2, "same token"),
        ("tok1: alice\n  bad: : :\n", 2, "YAML"),
        ("tok1: alice\n123: bob\n", 2, "plain string"),
        ("tok1: alice\nnull: bob\n", 2, "plain string"),
        ("tok1: alice\ntok2: 'bad tenant!'\n", 2, "tenant"),
        ("- tok1\n- tok2\n", 1, "TOKEN: TENANT"),
        ("tok1: alice\ntok2:\n", 2, "tenant"),
    ],
)
def test_broken_tokens_file_names_the_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    f = tmp_path / "tokens.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_tokens(f)
    assert f"{f}:{line}" in str(exc.value) and words in str(exc.value)


def test_empty_or_missing_tokens_file(tmp_path: Path) -> None:
    f = tmp_path / "tokens.yaml"
    f.write_text("")
    with pytest.raises(ConfigError, match="no tokens"):
        load_tokens(f)
    with pytest.raises(ConfigError, match="no such tokens file"):
        load_tokens(tmp_path / "missing.yaml")


def test_token_auth() -> None:
    auth = TokenAuth({"aaaa": "alice", "bbbb": "bob"})
    assert auth.tenant("Bearer aaaa") == "alice"
    assert auth.tenant("bearer bbbb") == "bob"
    for bad in (None, "", "Bearer", "Bearer aaa", "Bearer aaaaa", "Basic aaaa", "aaaa", "Bearer  "):
        assert auth.tenant(bad) is None, bad


def test_beyond_loopback_without_tokens_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="without tokens"):
        ServerConfig(host="0.0.0.0").check()
    ServerConfig(host="0.0.0.0", tokens={"t": "a"}).check()
    ServerConfig(host="::1").check()
    # and from the command line, before anything listens
    proc = subprocess.run(
        [sys.executable, "-m", "corral", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "without tokens" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad = tmp_path / "tokens.yaml"
    bad.write_text("a: alice\na: bob\n")
    proc = subprocess.run(
        [sys.executable, "-m", "corral", "serve", "--tokens", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and f"{bad}:2" in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_or_missing_token_is_401(server: Server) -> None:
    with server.client() as anon, server.client({"Authorization": "Bearer nope"}) as wrong:
        for c in (anon, wrong):
            for method, path in [
                ("GET", "/v1/sandboxes"),
                ("POST", "/v1/sandboxes"),
                ("GET", "/v1/events"),
                ("GET", "/v1/approvals"),
                ("GET", "/v1/alerts"),
                ("GET", "/v1/audit/verify"),
                ("GET", "/v1/whoami"),
            ]:
                r = c.request(method, path, json={} if method == "POST" else None)
                assert r.status_code == 401, (method, path, r.status_code)
                assert r.headers["www-authenticate"] == "Bearer"


def test_tenant_b_gets_404_on_a_sandbox_of_a(server: Server, alice, bob) -> None:
    sid = alice.post("/v1/sandboxes", json={}).json()["id"]
    alice.put(f"/v1/sandboxes/{sid}/files/secret.txt", content=b"alice's")
    requests = [
        ("GET", f"/v1/sandboxes/{sid}", None),
        ("GET", f"/v1/sandboxes/{sid}/usage", None),
        ("POST", f"/v1/sandboxes/{sid}/run", {"command": "cat secret.txt"}),
        ("POST", f"/v1/sandboxes/{sid}/python", {"code": "print(open('secret.txt').read())"}),
        ("POST", f"/v1/sandboxes/{sid}/js", {"code": "1"}),
        ("POST", f"/v1/sandboxes/{sid}/exec", {"argv": ["cat", "secret.txt"]}),
        ("GET", f"/v1/sandboxes/{sid}/files/secret.txt", None),
        ("PUT", f"/v1/sandboxes/{sid}/files/secret.txt", None),
        ("DELETE", f"/v1/sandboxes/{sid}", None),
        ("GET", f"/v1/events?sandbox={sid}", None),
        ("GET", f"/v1/audit?sandbox={sid}", None),
    ]
    missing = "0" * 32
    for method, path, body in requests:
        r = bob.request(method, path, json=body, content=b"bob's" if method == "PUT" else None)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert b"alice's" not in r.content
        # the same answer as for a sandbox that does not exist
        r2 = bob.request(method, path.replace(sid, missing), json=body)
        assert r2.status_code == 404
        assert r.json()["error"].replace(sid, missing) == r2.json()["error"]
    assert bob.get("/v1/sandboxes").json() == []
    assert alice.get(f"/v1/sandboxes/{sid}/files/secret.txt").content == b"alice's"
    assert alice.get(f"/v1/sandboxes/{sid}").status_code == 200
    assert bob.get("/v1/alerts").json() == []
    assert all(r["session"] != sid for r in bob.get("/v1/audit?limit=5000").json())


def test_events_of_a_are_not_streamed_to_b(server: Server, alice, bob) -> None:
    got: list[dict] = []
    ready = threading.Event()

    def listen() -> None:
        with server.client(BOB) as c, c.stream("GET", "/v1/events?backlog=0") as r:
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if got[-1]["type"] == "action.completed":
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    ready.wait(10)
    time.sleep(0.3)
    sid = alice.post("/v1/sandboxes", json={}).json()["id"]
    alice.post(f"/v1/sandboxes/{sid}/run", json={"command": "echo alice-only"})
    bid = bob.post("/v1/sandboxes", json={}).json()["id"]
    bob.post(f"/v1/sandboxes/{bid}/run", json={"command": "echo bob"})
    deadline = time.monotonic() + 20
    while not any(e["session"] == bid and e["type"] == "action.completed" for e in got):
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    assert got and all(e["session"] == bid for e in got)


def test_approvals_of_a_are_invisible_to_b(server: Server, alice, bob) -> None:
    sid = alice.post("/v1/sandboxes", json={"policy": "asking"}).json()["id"]
    box: dict = {}

    def call() -> None:
        with server.client(ALICE) as c:
            box["r"] = c.post(f"/v1/sandboxes/{sid}/run", json={"command": "touch f"})

    t = threading.Thread(target=call)
    t.start()
    deadline = time.monotonic() + 20
    while not alice.get("/v1/approvals").json():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    qid = alice.get("/v1/approvals").json()[0]["id"]
    assert bob.get("/v1/approvals").json() == []
    r = bob.post(f"/v1/approvals/{qid}", json={"allow": True})
    assert r.status_code == 404
    assert alice.post(f"/v1/approvals/{qid}", json={"allow": False}).status_code == 200
    t.join(30)
    assert box["r"].json()["exit_code"] != 0


def test_no_tokens_serves_one_local_tenant_on_loopback_only(tmp_path: Path) -> None:
    with running(make_config(tmp_path, tokens=None)) as srv, srv.client() as c:
        assert c.get("/v1/whoami").json()["tenant"] == "local"
        assert c.post("/v1/sandboxes", json={}).status_code == 201
        # a page elsewhere that rebinds its name to 127.0.0.1, or posts cross-site
        r = c.get("/v1/sandboxes", headers={"Host": "evil.example"})
        assert r.status_code == 403
        r = c.post("/v1/sandboxes", json={}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        assert c.get("/v1/sandboxes", headers={"Host": "localhost:1234"}).status_code == 200


def test_corral_serve_command_end_to_end(tmp_path: Path) -> None:
    """``corral serve`` itself: tokens file, a policy file by its name, audit log, SIGTERM."""
    import os
    import signal
    import socket

    import httpx

    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("cli-token-abcdef0123456789: carol\n")
    policy = tmp_path / "team.yaml"
    policy.write_text("version: 1\ncommands: {default: allow, deny: ['rm *']}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", "serve", "--port", str(port), "--tokens", str(tokens),
         "--policy", str(policy), "--policy", "strict", "--audit", str(tmp_path / "a.db")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": "Bearer cli-token-abcdef0123456789"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            who = c.get("/v1/whoami").json()
            assert who["tenant"] == "carol" and {"team", "strict"} <= set(who["policies"])
            sid = c.post("/v1/sandboxes", json={}).json()["id"]
            assert c.get(f"/v1/sandboxes/{sid}").json()["policy"] == "team"  # the first
            r = c.post(f"/v1/sandboxes/{sid}/run", json={"command": "rm -rf x"})
            assert r.json()["error"] == "denied"
            assert c.get("/v1/audit/verify").json()["ok"] is True
            assert httpx.get(url + "/v1/sandboxes", timeout=10).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    # uvicorn shuts down cleanly, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err and "Traceback" not in err

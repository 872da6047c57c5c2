"""``git clone`` in the WebAssembly tier: the host fetches over smart HTTP (dulwich's
client on netfetch's checked connections) only from hosts the policy allows; the
worker, which has no sockets, indexes the pack and checks out. A local dulwich.web
server on 127.0.0.2 (allowed by the policy) plays the remote."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain

import corral
from corral import Budget, Sandbox

from .git_compare import GIT

POLICY = {"version": 1, "extends": ["default"], "network": {"allow": ["127.0.0.2/32"]}}
ENV = dict(os.environ, GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@x", GIT_COMMITTER_NAME="A",
           GIT_COMMITTER_EMAIL="a@x", GIT_AUTHOR_DATE="@1700000000 +0000",
           GIT_COMMITTER_DATE="@1700000000 +0000")  # fmt: skip


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served() -> Iterator[tuple[dict[str, Repo], int]]:
    """A smart-HTTP git server on 127.0.0.2; add repositories to the dict."""
    repos: dict[str, Repo] = {}
    try:
        srv = make_server("127.0.0.2", 0, make_wsgi_chain(DictBackend(repos)),
                          handler_class=_Quiet)  # fmt: skip
    except OSError as e:
        pytest.skip(f"cannot listen on 127.0.0.2: {e}")
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield repos, srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def _source_repo() -> Path:
    d = Path(tempfile.mkdtemp(prefix="corral-gitsrc-"))
    Repo.init(str(d)).close()
    r = Repo(str(d))
    files = {b"README": b"hello\n", b"src/m.py": b"print(1)\n"}
    tree = Tree()
    sub = Tree()
    for path, data in files.items():
        b = Blob.from_string(data)
        r.object_store.add_object(b)
        if path.startswith(b"src/"):
            sub.add(path[4:], 0o100644, b.id)
        else:
            tree.add(path, 0o100644, b.id)
    r.object_store.add_object(sub)
    tree.add(b"src", 0o040000, sub.id)
    r.object_store.add_object(tree)
    c = Commit()
    c.tree = tree.id
    c.author = c.committer = b"A <a@x>"
    c.author_time = c.commit_time = 1700000000
    c.author_timezone = c.commit_timezone = 0
    c.message = b"first\n"
    r.object_store.add_object(c)
    r.refs[b"refs/heads/main"] = c.id
    r.refs[b"refs/heads/dev"] = c.id
    r.refs[b"refs/tags/v1"] = c.id
    r.refs.set_symbolic_ref(b"HEAD", b"refs/heads/main")
    return d


def test_clone_from_an_allowed_host(served: tuple[dict[str, Repo], int]) -> None:
    repos, port = served
    src = _source_repo()
    repos["/proj.git"] = Repo(str(src))
    url = f"http://127.0.0.2:{port}/proj.git"
    bus = corral.EventBus()
    nets: list[tuple[str, str]] = []
    bus.subscribe(lambda e: nets.append((e.type, e.action.host))
                  if e.action is not None and e.action.kind == "net" else None)  # fmt: skip
    with Sandbox(policy=POLICY, bus=bus, budget=Budget(wall_s=60)) as sb:
        r = sb.run(f"git clone {url} && cd proj && git log --oneline && git branch -a && "
                   "cat README src/m.py && git status && git rev-parse v1 && "
                   "git config remote.origin.url")  # fmt: skip
        assert r.exit_code == 0, r.stderr
        assert r.stderr.startswith("Cloning into 'proj'...")
        head = Repo(str(src)).refs[b"refs/heads/main"].decode()
        assert f"{head[:7]} first\n" in r.stdout
        assert "* main\n  remotes/origin/HEAD -> origin/main\n  remotes/origin/dev\n" in r.stdout
        assert "hello\nprint(1)\n" in r.stdout
        assert "Your branch is up to date with 'origin/main'." in r.stdout
        assert r.stdout.rstrip().endswith(url) and head in r.stdout
        assert not list((sb._ws.root / "proj" / ".git" / "objects" / "pack").glob("tmp_*"))
        if GIT is not None:  # the real git reads what corral wrote
            fsck = subprocess.run([GIT, "fsck", "--strict"], cwd=sb._ws.root / "proj",
                                  capture_output=True, text=True, env=ENV)  # fmt: skip
            assert fsck.returncode == 0, fsck.stderr
    assert ("action.requested", "127.0.0.2") in nets


def test_clone_from_a_denied_host_goes_nowhere(served: tuple[dict[str, Repo], int]) -> None:
    repos, port = served
    repos["/proj.git"] = Repo(str(_source_repo()))
    bus = corral.EventBus()
    denied: list[str] = []
    bus.subscribe(lambda e: denied.append(e.action.host)
                  if e.type == "action.denied" and e.action is not None
                  and e.action.kind == "net" else None)  # fmt: skip
    with Sandbox(policy=POLICY, bus=bus, budget=Budget(wall_s=60), monitor=False) as sb:
        r = sb.run(f"git clone http://127.0.0.3:{port}/proj.git; echo rc=$?; "
                   f"git clone https://example.com/x/proj.git p2; echo rc=$?; ls")  # fmt: skip
        # loopback is decided when the connection is made; a host not listed is decided
        # with the command that names it (corral.policy.hosts): asked, and no approver
        assert r.stdout.count("rc=128") == 1 and r.stdout.count("rc=126") == 1
        assert "fatal: unable to access 'http://127.0.0.3:" in r.stderr and "denied" in r.stderr
        assert "host 'example.com'" in r.stderr and "no approver" in r.stderr
        assert not (sb._ws.root / "proj").exists() and not (sb._ws.root / "p2").exists()
    assert "127.0.0.3" in denied


def test_no_policy_refuses_every_host_and_non_http_urls() -> None:
    with Sandbox(budget=Budget(wall_s=60)) as sb:
        r = sb.run("git clone http://127.0.0.2:9/x.git; echo rc=$?; "
                   "git clone ssh://h/x; echo rc=$?; git clone /etc x; echo rc=$?")  # fmt: skip
        assert r.stdout.count("rc=128") == 3, (r.stdout, r.stderr)
        assert "denied" in r.stderr and "http and https only" in r.stderr


def test_a_hostile_remote_tree_is_refused(served: tuple[dict[str, Repo], int]) -> None:
    """A served commit whose tree holds ``..`` and ``.git``: nothing is written outside
    the new directory and the half-made clone is removed."""
    repos, port = served
    d = Path(tempfile.mkdtemp(prefix="corral-gitevil-"))
    r = Repo.init(str(d))
    payload = Blob.from_string(b"#!/bin/sh\necho pwned\n")
    r.object_store.add_object(payload)
    hooks = Tree()
    hooks.add(b"post-checkout", 0o100755, payload.id)
    r.object_store.add_object(hooks)
    dotgit = Tree()
    dotgit.add(b"hooks", 0o040000, hooks.id)
    r.object_store.add_object(dotgit)
    tree = Tree()
    tree.add(b".git", 0o040000, dotgit.id)
    tree.add(b"..", 0o040000, hooks.id)
    r.object_store.add_object(tree)
    c = Commit()
    c.tree = tree.id
    c.author = c.committer = b"E <e@x>"
    c.author_time = c.commit_time = 1700000000
    c.author_timezone = c.commit_timezone = 0
    c.message = b"evil\n"
    r.object_store.add_object(c)
    r.refs[b"refs/heads/master"] = c.id
    repos["/evil.git"] = r
    with Sandbox(policy=POLICY, budget=Budget(wall_s=60)) as sb:
        res = sb.run(f"git clone http://127.0.0.2:{port}/evil.git; echo rc=$?; ls -A")
        assert "rc=128" in res.stdout and "invalid path" in res.stderr, res.stderr
        assert not (sb._ws.root / "evil").exists()
        assert not (sb._ws.root / "post-checkout").exists()


def test_shallow_clone(served: tuple[dict[str, Repo], int]) -> None:
    repos, port = served
    src = _source_repo()
    env = dict(ENV)
    if GIT is None:
        pytest.skip("the real git makes the second commit")
    for i in range(3):
        (src / f"n{i}").write_text(f"{i}\n")
        subprocess.run([GIT, "add", "."], cwd=src, env=env, check=True)
        subprocess.run([GIT, "commit", "-qm", f"more {i}"], cwd=src, env=env, check=True)
    repos["/deep.git"] = Repo(str(src))
    with Sandbox(policy=POLICY, budget=Budget(wall_s=60)) as sb:
        r = sb.run(f"git clone -q --depth 1 http://127.0.0.2:{port}/deep.git && cd deep && "
                   "git log --oneline && git show --stat | tail -2 && cat n2")  # fmt: skip
        assert r.exit_code == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].endswith(" more 2") and lines[-1] == "2"
        assert "first" not in r.stdout
        assert (sb._ws.root / "deep" / ".git" / "shallow").read_text().strip()

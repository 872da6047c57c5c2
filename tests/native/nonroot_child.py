"""Runs BwrapBackend as an unprivileged user; driven by ``test_bwrap_nonroot.py``.

``python3 nonroot_child.py RESULT.json`` runs every scenario below with the backend's
non-root branches (the user's own uid, the workspace bound directly, rlimits, the proxy
relay, the supervisor reading the memory of processes in a user namespace) and writes
what it saw as JSON: the test process asserts on it. One process for all scenarios keeps
the Python and corral start-up to once.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from corral.budget import Budget
from corral.events import Decision, SpawnAction
from corral.native._common import NativeLimits
from corral.native.bwrap import BwrapBackend

SECRET = "sk-nonroot-hunter2"


class Events:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict]] = []

    def emit(self, type: str, **fields) -> None:
        self.items.append((type, fields))

    def spawns(self, types=("action.requested", "action.denied")) -> list[dict]:
        out = []
        for t, f in self.items:
            a = f.get("action")
            if t in types and isinstance(a, SpawnAction):
                d = f.get("decision")
                out.append(
                    {
                        "type": t,
                        "argv": a.argv,
                        "rule": d.rule if d else None,
                        "reason": d.reason if d else "",
                    }
                )
        return out


class Gate:
    """Decides every program start; denies ``touch``."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def decide(self, action, session=None):
        self.seen.append(list(action.argv))
        if action.argv and action.argv[0].rsplit("/", 1)[-1] == "touch":
            return Decision(verdict="deny", rule="test.deny", reason="touch is not allowed")
        return Decision(verdict="allow", rule="test.allow", reason="ok")


def result(r) -> dict:
    return {
        "stdout": r.stdout,
        "stderr": r.stderr,
        "exit_code": r.exit_code,
        "error": r.error,
        "budget_exceeded": r.budget_exceeded,
        "error_message": r.error_message,
        "restarted": r.restarted,
    }


def new_workspace(base: Path, name: str) -> Path:
    ws = base / name
    ws.mkdir()
    return ws


def basics(base: Path) -> dict:
    ws = new_workspace(base, "basic")
    (ws / "given.txt").write_text("from the host\n")
    outside = base / "outside-secret.txt"
    outside.write_text(SECRET)
    os.environ["CORRAL_FAKE_SECRET"] = SECRET
    events = Events()
    out: dict = {"uid": os.getuid(), "outside": str(outside), "home": os.environ["HOME"]}
    with BwrapBackend(ws, Budget(wall_s=20, memory_mb=256), events=events) as box:
        out["root_mode"] = box.root_mode
        out["host_uid"] = box.host_uid
        out["simple"] = result(box.run("echo hi; echo oops >&2; exit 3"))
        out["env"] = result(box.run(["/usr/bin/env"]))
        out["workspace"] = result(
            box.run(
                "id -u; cat given.txt; echo data > out.txt; mkdir -p d/e; echo x > d/e/f; "
                "echo more >> given.txt; ls -n /workspace"
            )
        )
        out["host_files"] = result(
            box.run(
                f"cat {outside} 2>&1; cat /etc/shadow 2>&1; ls -A /root /home 2>&1; "
                f"ls -A {os.environ['HOME']} 2>&1; cat /proc/1/environ 2>&1 | tr '\\0' '\\n'; "
                "echo end"
            )
        )
        out["nproc_limit"] = result(box.run("ulimit -Su; ulimit -Hu"))
    files = {}
    for p in sorted(ws.rglob("*")):
        st = p.stat()
        files[str(p.relative_to(ws))] = {"uid": st.st_uid, "gid": st.st_gid}
    out["files"] = files
    out["out_txt"] = (ws / "out.txt").read_text() if (ws / "out.txt").exists() else None
    out["given_txt"] = (ws / "given.txt").read_text()
    out["ws_owner"] = os.stat(ws).st_uid
    return out


def limits(base: Path) -> dict:
    out: dict = {}
    tight = functools.partial(
        BwrapBackend,
        budget=Budget(wall_s=15, memory_mb=128, disk_mb=20, disk_files=2000),
        limits=NativeLimits(processes=48),
        monitor=False,
        cgroups=False,  # the rlimit path, even where a cgroup would be writable
    )
    with tight(new_workspace(base, "limits")) as box:
        out["cgroup"] = box.use_cgroups
        out["memory_bomb"] = result(
            box.run("python3 -c 'x=[]\nwhile True: x.append(bytearray(10**6))'")
        )
        # each process within RLIMIT_AS, together over the budget
        out["memory_spread"] = result(
            box.run(
                "for i in 1 2 3 4; do python3 -c 'import time; x=bytearray(60*2**20); "
                "time.sleep(20)' & done; wait"
            )
        )
        out["fork_bomb"] = result(box.run(":(){ :|:& };:; sleep 10"))
        out["after_fork_bomb"] = result(box.run("echo alive"))
        out["wall_time"] = result(box.run("sleep 30", timeout=1.5))
        out["host_forks"] = os.system("true") == 0
    return out


def network(base: Path) -> dict:
    www = base / "www"
    www.mkdir()
    (www / "hello.txt").write_text("hello from the host\n")
    handler = functools.partial(_Quiet, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    asked: list = []
    allow = {"now": True}

    def decide(host, p, ip=None):
        asked.append([host, p, ip])
        return allow["now"]

    out: dict = {"port": port}
    url = f"http://127.0.0.1:{port}/hello.txt"
    # --noproxy '': the sandbox's NO_PROXY lists 127.0.0.1; go through the proxy anyway
    curl = f"curl -fsS --max-time 10 --noproxy '' {url}; echo rc=$?"
    try:
        with BwrapBackend(new_workspace(base, "net"), Budget(wall_s=20), net_decide=decide) as box:
            out["relay"] = box._relay.kind if box._relay is not None else None
            out["allowed"] = result(box.run(curl))  # the session's first call
            out["asked_allowed"] = list(asked)
            out["direct"] = result(
                box.run(f"curl -sS --max-time 5 --noproxy '*' {url}; echo rc=$?")
            )
            allow["now"] = False
            asked.clear()
            out["denied"] = result(box.run(curl))
            out["asked_denied"] = list(asked)
            out["status_kept"] = result(box.run("exit 7"))
            # a guest that kills the relay (the shell's parent) ends the session, and says so
            out["relay_killed"] = result(box.run("kill -9 $PPID; sleep 20; echo survived"))
            out["after_relay_killed"] = result(box.run("echo back"))
    finally:
        httpd.shutdown()
        httpd.server_close()
    return out


def monitor(base: Path) -> dict:
    ws = new_workspace(base, "mon")
    events = Events()
    gate = Gate()
    script = (
        "ls / > /dev/null; touch /workspace/pwned; echo rc=$?; sh -c 'exec touch p2'; "
        "python3 -c \"import subprocess; subprocess.run(['touch', 'p3'])\"; "
        "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; echo done"
    )
    out: dict = {}
    with BwrapBackend(ws, Budget(wall_s=20), gate=gate, events=events) as box:
        out["run"] = result(box.run(script))
        sup = box.last_supervisor
        out["supervisor_error"] = sup.error if sup else "no supervisor"
        out["spawns"] = [[a.argv, d.verdict, d.rule] for a, d in sup.spawns] if sup else []
        out["gate_seen"] = list(gate.seen)
        out["events"] = events.spawns()
        out["pwned"] = [n for n in ("pwned", "p2", "p3") if (ws / n).exists()]
        events.items.clear()
        # a process that made itself non-dumpable: its memory is not readable here
        out["nondumpable"] = result(
            box.run(
                "python3 -c 'import ctypes, os; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "
                'os.execv("/bin/echo", ["echo", "ran"])\''
            )
        )
        out["nondumpable_events"] = events.spawns(("action.denied",))
        events.items.clear()
        out["script"] = script
    return out


class RaceGate:
    """Denies ``mount`` (by the program decided) and any argv with ``--evil``."""

    def decide(self, action, session=None):
        prog = (action.exe or (action.argv[0] if action.argv else "")).rsplit("/", 1)[-1]
        if prog == "mount" or "--evil" in action.argv:
            return Decision(verdict="deny", rule="test.deny", reason="not this one")
        return Decision(verdict="allow", rule="test.allow", reason="ok")


def races(base: Path) -> dict:
    """Programs whose path or arguments another thread swaps after the decision (the
    binaries are built by the test into ``$HOME``)."""
    home = Path(os.environ["HOME"])
    ws = new_workspace(base, "races")
    for name in ("race", "argvrace"):
        shutil.copy(home / name, ws / name)
        os.chmod(ws / name, 0o755)
    out: dict = {}
    events = Events()
    with BwrapBackend(ws, Budget(wall_s=120), gate=RaceGate(), events=events) as box:
        for name, tries in (("race", 60), ("argvrace", 60)):
            events.items.clear()
            out[name] = result(box.run(f"./{name} {tries} 2>&1 | sort | uniq -c"))
            out[name + "_events"] = events.spawns(("action.denied",))
    return out


def sessions(base: Path) -> dict:
    """The warm session without root: state, an overrun that ends the call (its
    processes found by start time, no cgroup), a forged frame, python's state."""
    ws = new_workspace(base, "sessions")
    out: dict = {}
    with BwrapBackend(ws, Budget(wall_s=30)) as box:
        out["set"] = result(box.run("cd /tmp; export S=1; sleep 1000 & echo $! > /tmp/old"))
        out["overrun"] = result(box.run("sleep 500 & sleep 500", timeout=1.5))
        out["after"] = result(
            box.run("pwd; echo $S; kill -0 $(cat /tmp/old) && echo old; "
                    "ps -e -o args | grep -c '^sleep 500'")
        )  # fmt: skip
        out["py1"] = result(box.code("python", "v = 6"))
        out["py2"] = result(box.code("python", "print(v * 7)"))
        out["forged"] = result(
            box.run(f"for n in $(ls /proc/$$/fd); do {{ builtin echo {'e' * 32} 0 >&$n; }} "
                    "2>/dev/null; done; sleep 0.3")
        )  # fmt: skip
        out["next"] = result(box.run("echo ${S:-fresh}"))
    return out


def pool(base: Path) -> dict:
    """``pool`` without root: ignored with a log line, sessions start one by one."""
    import logging

    from corral.native import pool as pool_mod

    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    logging.getLogger("corral.native.bwrap").addHandler(Keep())
    ws = new_workspace(base, "pool")
    with BwrapBackend(ws, Budget(wall_s=30), pool=2) as box:
        r = result(box.run("echo pooled-or-not"))
    return {"run": r, "said": said, "pools": pool_mod.stats()}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def walls(base: Path) -> dict:
    """The policy's workspace file rules as mounts (corral.filewalls)."""
    from corral.filewalls import plan_walls

    ws = new_workspace(base, "walls")
    (ws / "gold.patch").write_text(SECRET)
    (ws / "AGENTS.md").write_text("rules\n")

    def refused(kind: str, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        return name == "gold.patch" or (kind == "write" and name == "AGENTS.md")

    out: dict = {}
    with BwrapBackend(
        ws, Budget(wall_s=20, memory_mb=256), file_walls=lambda root: plan_walls(root, refused)
    ) as box:
        out["read"] = result(box.run("cat < $(echo gold).patch; echo rc=$?"))
        out["write"] = result(box.run("echo evil >> AGENTS.md; mv AGENTS.md x; echo rc=$?"))
        out["other"] = result(box.run("echo ok > new.txt && cat AGENTS.md new.txt"))
    out["agents"] = (ws / "AGENTS.md").read_text()
    return out


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="corral-nonroot-"))
    report: dict = {"euid": os.geteuid()}
    wanted = sys.argv[2:] or [
        "basics", "limits", "network", "monitor", "sessions", "pool", "walls"
    ]
    try:
        for name in wanted:
            try:
                report[name] = globals()[name](base)
            except Exception:
                report[name] = {"exception": traceback.format_exc()}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    Path(sys.argv[1]).write_text(json.dumps(report))


if __name__ == "__main__":
    main()

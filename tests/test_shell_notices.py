"""The shell worker's fire-and-forget notices (commands when nothing decides, files
touched) travel in batches: none lost, in order, before the output and questions that
follow them; commands that need a decision are still asked one by one, before they run."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import corral
from corral.wasm import shellproc
from corral.wasm import worker_channel as C


def _record(sb: corral.Sandbox) -> list[corral.Event]:
    seen: list[corral.Event] = []
    sb.events.bus.subscribe(lambda ev: seen.append(ev) if ev.session == sb.session else None)
    return seen


def _what(ev: corral.Event) -> tuple[str, ...]:
    a = ev.action
    if a is None:
        return (ev.type,)
    if a.kind == "exec":
        return (ev.type, "exec", *a.argv)
    if a.kind == "file":
        return (ev.type, "file", a.op, a.path)
    return (ev.type, a.kind)


@pytest.mark.timeout(120)
def test_every_notice_arrives_in_order_by_the_end_of_the_call():
    with corral.Sandbox() as sb:
        seen = _record(sb)
        r = sb.run("i=0; while [ $i -lt 1000 ]; do i=$((i+1)); echo $i > f; done; cat f")
        assert r.stdout == "1000\n"
        execs = [_what(e)[2:] for e in seen if e.action is not None and e.action.kind == "exec"]
        expected = []
        for i in range(1000):
            expected += [("[", str(i), "-lt", "1000", "]"), ("echo", str(i + 1))]
        expected += [("[", "1000", "-lt", "1000", "]"), ("cat", "f")]
        assert execs == expected
        seqs = [e.seq for e in seen]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        # files in their place: the write comes after the first echo, the read after cat
        kinds = [_what(e) for e in seen]
        first_echo = kinds.index(("action.requested", "exec", "echo", "1"))
        assert kinds[first_echo + 1] == ("action.requested", "file", "write", "/workspace/f")
        assert kinds[-2] == ("action.requested", "file", "read", "/workspace/f")
        assert kinds[-1] == ("action.completed", "code")


@pytest.mark.timeout(120)
def test_notices_come_before_the_output_that_follows_them():
    with corral.Sandbox() as sb:
        seen = _record(sb)
        counts: list[tuple[str, int]] = []

        def on_output(stream: str, text: str) -> None:
            echoes = sum(1 for e in seen if _what(e)[2:3] == ("echo",))
            counts.append((text, echoes))

        r = sb.run("for i in 1 2 3 4 5; do echo $i; sleep 0.05; done", on_output=on_output)
        assert r.stdout == "1\n2\n3\n4\n5\n"
        assert counts
        for text, echoes in counts:
            assert echoes >= int(text.split()[-1]), counts


@pytest.mark.timeout(120)
def test_a_notice_does_not_wait_for_the_end_of_a_long_command():
    with corral.Sandbox() as sb:
        arrived: dict[str, float] = {}
        sb.events.bus.subscribe(
            lambda ev: (
                arrived.setdefault("sleep", time.monotonic())
                if _what(ev)[2:3] == ("sleep",)
                else None
            )
        )
        r = sb.run("true; sleep 3")
        end = time.monotonic()
        assert r.exit_code == 0
        assert end - arrived["sleep"] > 1.5  # sent within ~20 ms, not at the end of the call


@pytest.mark.timeout(120)
def test_a_deny_still_happens_before_the_command_runs():
    policy = corral.Policy.from_yaml(
        "version: 1\nextends: [permissive]\n"
        "commands:\n  deny:\n    - {match: 'rm *', reason: no removing here}\n"
    )
    with corral.Sandbox(policy=policy, monitor=False) as sb:
        seen = _record(sb)
        # (the name is built at run time, so the static check of the script cannot see it)
        r = sb.run("echo a > f; x=r; ${x}m f; cat f; echo $?")
        assert r.stdout == "a\n0\n"  # rm never ran: f is still there
        assert "no removing here" in r.stderr
        kinds = [_what(e) for e in seen]
        write = kinds.index(("action.requested", "file", "write", "/workspace/f"))
        denied = kinds.index(("action.denied", "exec", "rm", "f"))
        cat = kinds.index(("action.requested", "exec", "cat", "f"))
        assert write < denied < cat  # the queued file notice went before the question


@pytest.mark.timeout(120)
def test_forged_batches_kill_the_worker_not_the_host():
    class H:
        def on_exec(self, argv, cwd, line):
            return True, ""

    for items in ([{"op": "tool", "name": "x", "args": {}}], "nope", [], [1]):
        host, peer = socket.socketpair()
        sp = shellproc.ShellProcess.__new__(shellproc.ShellProcess)
        sp.sock, sp.file_notices, sp._killed = host, 0, threading.Event()
        frame = C.Frame(C.REQUEST, 0, {"op": "notices", "items": items}, b"")
        with pytest.raises(C.ProtocolError):
            sp._answer(frame, H(), time.monotonic() + 5)
        host.close()
        peer.close()


def _frames(sock: socket.socket, n: int) -> list[C.Frame]:
    reader, got = C.Reader(), []
    sock.settimeout(10)  # did not hang
    while len(got) < n:
        got += reader.feed(sock.recv(1 << 20))
    return got


def test_the_worker_batches_notices_and_flushes_them_before_anything_else():
    from corral.wasm import worker

    mine, theirs = socket.socketpair()
    try:
        chan = worker._Channel(theirs)
        total = worker.NOTICE_BATCH + 36
        for i in range(total):
            chan.notice({"op": "exec", "argv": ["echo", str(i)], "cwd": "/workspace", "line": ""})
        chan.send(C.STDOUT, 7, None, b"out")
        first, second, out = _frames(mine, 3)
        assert [f.kind for f in (first, second, out)] == [C.REQUEST, C.REQUEST, C.STDOUT]
        items = first.data["items"] + second.data["items"]
        assert first.id == second.id == 0 and len(first.data["items"]) == worker.NOTICE_BATCH
        assert [it["argv"][1] for it in items] == [str(i) for i in range(total)]
        assert out.blob == b"out"
        # a lone notice leaves by itself soon after (the flusher), no later frame needed
        chan.flusher.start()
        chan.notice({"op": "file", "file_op": "read", "path": "/workspace/a"})
        (late,) = _frames(mine, 1)
        assert late.data == {"op": "notices", "items": [
            {"op": "file", "file_op": "read", "path": "/workspace/a"}]}  # fmt: skip
    finally:
        mine.close()
        theirs.close()


def test_the_host_takes_a_batch_item_by_item_in_order():
    calls: list[tuple] = []

    class H:
        def on_exec(self, argv, cwd, line):
            calls.append(("exec", *argv))
            return True, ""

        def on_file(self, op, path, refused):
            calls.append(("file", op, path))

    sp = shellproc.ShellProcess.__new__(shellproc.ShellProcess)
    sp.sock, sp.file_notices, sp._killed = object(), 0, threading.Event()
    items = [
        {"op": "exec", "argv": ["ls"], "cwd": "/workspace", "line": "ls"},
        {"op": "file", "file_op": "read", "path": "/workspace/x"},
        {"op": "file", "file_op": "read", "path": "/etc/shadow"},  # not refused: dropped
        {"op": "exec", "argv": ["cat", "x"], "cwd": "/workspace", "line": "cat x"},
    ]
    far = time.monotonic() + 600  # the call's deadline
    sp._answer(C.Frame(C.REQUEST, 0, {"op": "notices", "items": items}, b""), H(), far)
    assert calls == [("exec", "ls"), ("file", "read", "/workspace/x"), ("exec", "cat", "x")]
    with pytest.raises(C.ProtocolError):  # a batch of notices is never a question
        sp._answer(C.Frame(C.REQUEST, 3, {"op": "notices", "items": items}, b""), H(), far)
    calls.clear()
    with pytest.raises(shellproc._Stop):  # past the wall (and its grace): the call ends
        sp._answer(C.Frame(C.REQUEST, 0, {"op": "notices", "items": items}, b""), H(), 0.0)
    assert calls == []


# -- big commands: what the host is handed stays under the channel's caps -----------


@pytest.mark.timeout(120)
def test_big_commands_in_a_loop_leave_in_frames_the_host_accepts():
    """Forty 480 kB ``echo`` lines in a loop: batched by size as well as by count (one
    frame of them all would pass the host's 8 MiB cap and end the worker)."""
    with corral.Sandbox() as sb:
        seen = _record(sb)
        r = sb.run('a=$(seq 1 80000); for i in $(seq 40); do echo "$a" >/dev/null; done; echo ok')
        assert (r.exit_code, r.stdout, r.stderr) == (0, "ok\n", "")
        big = [e for e in seen if e.action is not None and e.action.kind == "exec"
               and e.action.argv[:1] == ["echo"] and len(e.action.argv[1]) > 450_000]
        assert len(big) == 40  # every one reached the host
        assert sb.run("echo still here").stdout == "still here\n"  # the same worker


@pytest.mark.timeout(120)
def test_a_command_over_the_hosts_cap_is_refused_by_name_and_the_shell_lives():
    with corral.Sandbox() as sb:
        r = sb.run('a=$(seq 1 400000); echo $a $a $a $a $a | wc -c; echo "rc=$?"; x=1')
        assert r.exit_code == 0 and r.stdout == "0\nrc=0\n", r
        assert "corral: echo: denied:" in r.stderr and "at most 524,288" in r.stderr
        assert "broke the protocol" not in r.stderr
        assert sb.run("echo $x").stdout == "1\n"  # the session's state survived


@pytest.mark.timeout(120)
def test_a_programs_argv_past_the_kernels_limit_is_e2big_like_bash():
    with corral.Sandbox() as sb:
        r = sb.run('a=$(seq 1 400000); git status $a $a $a; echo "rc=$?"')
        assert r.stdout == "rc=126\n" and "corral: git: Argument list too long" in r.stderr
        r = sb.run('python3 -c "print(1)" "$(seq 1 30000)"; echo "rc=$?"')
        assert r.stdout == "rc=126\n"  # one argument of 169 KB > MAX_ARG_STRLEN

"""The escape suite across tiers (issue 11): each attack on every tier where it applies.

Tiers: ``wasm`` (the corral shell and the WASI guests, ``Sandbox()``), ``bwrap`` and
``gvisor`` (real programs). A tier that is not installed here is skipped with the reason.
Each test names the wall it checks and why the test would fail without it.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import socket
import struct
import tarfile
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.native.doctor import available

TIERS = ["wasm", "bwrap", "gvisor"]
NATIVE = ["bwrap", "gvisor"]
MB = 1 << 20

_OK: set[str] = set()


def need(tier: str) -> None:
    if tier == "wasm" or tier in _OK:
        return
    ok, why = available(tier)
    if not ok:
        pytest.skip(f"{tier} unavailable here: {why}")
    _OK.add(tier)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def _free_mb(path: str) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / MB


def _dir_mb(root: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
    return total / MB


def _clean(r) -> None:
    """No Python traceback and no internal error reached the agent."""
    text = r.stdout + r.stderr + (r.error_message or "")
    assert "Traceback" not in text and "internal error" not in text, text[-800:]


# ---------------------------------------------------------------- decompression bombs

BOMB_GB = 10  # what the bomb expands to
_CHUNK = 256 * MB  # one gzip member of zeros, repeated (gzip reads concatenated members)


def _gz_member(size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = bytes(MB)
    parts = [c.compress(zero) for _ in range(size // MB)]
    parts.append(c.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """b.gz: 10 GB of zeros; b.tgz: one tar member of 10 GB of zeros. ~10 MB each, built
    streaming (never materialised)."""
    d = tmp_path_factory.mktemp("bombs")
    member = _gz_member(_CHUNK)
    total = BOMB_GB << 30
    gz, tgz = d / "b.gz", d / "b.tgz"
    with open(gz, "wb") as f:
        for _ in range(total // _CHUNK):
            f.write(member)
    head = tarfile.TarInfo("zeros")
    head.size = total
    with open(tgz, "wb") as f:
        f.write(gzip.compress(head.tobuf(format=tarfile.PAX_FORMAT)))
        for _ in range(total // _CHUNK):
            f.write(member)
    return {"gz": gz, "tgz": tgz}


BOMB_SCRIPTS = [
    ("gunzip", "gunzip b.gz"),  # to a file: the disk budget
    ("zcat", "zcat b.gz"),  # to stdout: the output budget
    ("zcat-devnull", "zcat b.gz > /dev/null"),  # nothing kept: the wall budget
    ("tar", "tar xzf b.tgz"),  # a 10 GB member: the disk budget
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("tier", TIERS)
def test_gzip_bomb_ends_at_a_budget_and_the_host_is_untouched(tier, bombs, tmp_path):
    """Walls: the disk budget (wasm: QuotaWriter + the worker's RLIMIT_FSIZE; native: the
    disk poll + RLIMIT_FSIZE), the output budget, the wall budget. Without any of them the
    call would write or print 10 GB: the workspace-size and host-disk assertions fail."""
    need(tier)
    ws = tmp_path / "ws"
    ws.mkdir()
    disk_mb = 40
    wall = 4.0
    free0 = _free_mb(tempfile.gettempdir())
    rss0 = _rss_mb()
    with Sandbox(
        backend=tier,
        workdir=ws,
        budget=Budget(wall_s=wall, disk_mb=disk_mb, output_chars=200_000, memory_mb=256),
    ) as sb:
        for name, script in BOMB_SCRIPTS:
            shutil.copy(bombs["gz"], ws / "b.gz")
            shutil.copy(bombs["tgz"], ws / "b.tgz")
            t0 = time.monotonic()
            r = sb.run(script)
            took = time.monotonic() - t0
            assert took < wall + 5, (name, took)
            assert not r.ok, (name, r)  # never "10 GB extracted"
            _clean(r)
            if name == "zcat":
                assert r.budget_exceeded == "output" or r.truncated, r
                assert len(r.stdout) <= 200_000 + 1000
            # the disk poll may overshoot by what is written between two polls
            assert _dir_mb(ws) < disk_mb + 64, (name, _dir_mb(ws))
            # the sandbox answers afterwards, and can clean up with its own commands
            r = sb.run("rm -f b b.gz b.tgz zeros; echo alive")
            assert r.stdout.strip().endswith("alive"), (name, r)
            assert _dir_mb(ws) < 1, (name, os.listdir(ws))
    assert free0 - _free_mb(tempfile.gettempdir()) < 256, "the host's temp dir filled up"
    assert _rss_mb() - rss0 < 300, "host memory grew with the bomb"


@pytest.mark.parametrize("tier", TIERS)
def test_many_small_gzip_members_decompress_in_full(tier, tmp_path):
    """gzip reads concatenated members (a bomb is built from them). The corral shell's
    gunzip read the rest of the stream twice after each member: an endless loop on small
    members (the call hung until its wall), a false crc error on big ones; tar stopped
    after the first member with an internal ReadError."""
    need(tier)
    ws = tmp_path / "ws"
    ws.mkdir()
    member = _gz_member(4 * MB)
    (ws / "m.gz").write_bytes(member * 5)
    head = tarfile.TarInfo("zeros")
    head.size = 20 * MB
    (ws / "m.tgz").write_bytes(
        gzip.compress(head.tobuf()) + member * 5 + gzip.compress(bytes(1024))
    )
    with Sandbox(backend=tier, workdir=ws, budget=Budget(wall_s=20, disk_mb=200)) as sb:
        r = sb.run("zcat m.gz | wc -c; gzip -t m.gz && echo tested; tar xzf m.tgz; wc -c < zeros")
    _clean(r)
    assert r.stdout.split() == [str(20 * MB), "tested", str(20 * MB)], r


# ---------------------------------------------------------------- tar-slip


def _slip_archive(path: Path, outside: Path) -> None:
    with tarfile.open(path, "w:gz") as tf:

        def add(name: str, data: bytes = b"PWNED\n", **kw) -> None:
            ti = tarfile.TarInfo(name)
            for k, v in kw.items():
                setattr(ti, k, v)
            if ti.isreg():
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)

        add("../slip-dotdot.txt")
        add("a/../../slip-dotdot2.txt")
        add(str(outside / "slip-abs.txt"))
        add("lnk", type=tarfile.SYMTYPE, linkname=str(outside))
        add("lnk/slip-symlink.txt")
        add("rel", type=tarfile.SYMTYPE, linkname="../outside")
        add("rel/slip-rel.txt")
        add("hl", type=tarfile.LNKTYPE, linkname=str(outside / "victim.txt"))
        add("hl", b"OVERWRITTEN\n")
        add("hl2", type=tarfile.LNKTYPE, linkname="../outside/victim.txt")
        add("hl2", b"OVERWRITTEN\n")
        add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("flags", ["xzf", "-xzPf"])
def test_tar_slip_writes_nothing_outside_the_workspace(tier, flags, tmp_path):
    """Walls: wasm: tar's member checks and the kernel-checked opener (beneath.py) in a
    Landlocked worker; native: only the workspace is bound read-write (GNU tar with -P
    keeps absolute and ``..`` names: only the mount namespace holds them). Without them
    a file would appear in ``outside`` or victim.txt would be overwritten."""
    need(tier)
    ws = tmp_path / "ws"
    ws.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("original\n")
    _slip_archive(ws / "slip.tgz", outside)
    with Sandbox(backend=tier, workdir=ws, budget=Budget(wall_s=20)) as sb:
        r = sb.run(f"tar {flags} slip.tgz; echo rc=$?; cat hl hl2 2>/dev/null; echo alive")
    _clean(r)
    assert "alive" in r.stdout
    assert sorted(os.listdir(outside)) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "original\n"
    assert sorted(os.listdir(tmp_path)) == ["outside", "ws"]
    assert not Path("/slip-abs.txt").exists()


# ---------------------------------------------------------------- a disk overshoot


@pytest.mark.parametrize("tier", NATIVE)
def test_a_workspace_over_its_disk_budget_can_still_be_cleaned_from_inside(tier, tmp_path):
    """The native disk poll killed every run while the workspace stayed over budget (an
    overshoot between two polls, or files the host put there): ``rm`` included, so the
    sandbox never answered again (gVisor starts slowly enough to lose that race every
    time). A run may now shrink the workspace, never grow it."""
    need(tier)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "big").write_bytes(bytes(30 * MB))  # over a 10 MB budget from the start
    with Sandbox(backend=tier, workdir=ws, budget=Budget(wall_s=20, disk_mb=10)) as sb:
        r = sb.run("sleep 1; echo alive; rm big; ls")
        assert r.ok and r.stdout == "alive\n", r
        r = sb.run(
            "for i in 1 2 3 4 5 6; do head -c 5000000 /dev/zero > f$i; done; sleep 2; "
            "echo not-killed"
        )
        assert r.budget_exceeded == "disk" and "not-killed" not in r.stdout, r
        # over budget again (the overshoot stays): cleaning up from inside still works
        r = sb.run("sleep 1; rm -f f*; echo clean")
        assert r.stdout == "clean\n", r


# ---------------------------------------------------------------- the corral shell's paths

SHELL_PATH_ATTACKS = [
    ("environ", "cat /proc/self/environ", None),
    ("host-mem", "cat /proc/{pid}/mem | head -c 10 | od -c", None),
    ("host-environ", "cat /proc/{pid}/environ", None),
    ("dotdot-write", "echo x > ../escape.txt", "escape.txt"),
    ("abs-write", "echo x > {outside}/abs.txt", "abs.txt"),
    ("abs-read", "cat /etc/passwd", None),
    ("symlink-abs", "ln -s {outside}/victim.txt s; cat s; echo y > s", None),
    ("symlink-rel", "ln -s ../outside/victim.txt s2; cat s2; echo y >> s2", None),
    ("symlink-dir", "ln -s {outside} d; echo y > d/via-dir.txt; ls d", "via-dir.txt"),
    ("hardlink-passwd", "ln /etc/passwd x && echo LINKED", None),
    ("hardlink-rel", "ln ../outside/victim.txt x2 && echo LINKED", None),
    ("mkfifo", "mkfifo f; ls -l f", None),
    ("mknod", "mknod d c 1 3; ls -l d", None),
    ("devices", "head -c 4 /dev/sda; head -c 4 /dev/mem; head -c 4 /dev/kmsg", None),
    ("cd-root", "cd /; cat etc/passwd; cd ..; cat ../etc/passwd; cd /etc", None),
    ("long-name", "n=$(printf 'x%.0s' $(seq 1 3000)); touch $n; cat $n", None),
]


@pytest.mark.parametrize(
    ("name", "script", "made"), SHELL_PATH_ATTACKS, ids=[a[0] for a in SHELL_PATH_ATTACKS]
)
def test_corral_shell_paths_stay_in_the_workspace(name, script, made, tmp_path, monkeypatch):
    """Walls: the kernel-checked opener (beneath.py), Landlock on the worker (RW beneath the
    workspace only, no device nodes), the worker's seccomp. Without them the host's passwd,
    environment or the victim file would be read or written (asserted below)."""
    monkeypatch.setenv("CORRAL_TEST_HOST_SECRET", "host-secret-7f3a")
    ws = tmp_path / "ws"
    ws.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("original\n")
    line = script.format(pid=os.getpid(), outside=outside)
    with Sandbox(workdir=ws, budget=Budget(wall_s=20)) as sb:
        r = sb.run(line)
        after = sb.run("echo alive")
    _clean(r)
    assert after.stdout == "alive\n"
    text = r.stdout + r.stderr
    assert "host-secret-7f3a" not in text
    assert "root:x:0:0" not in text and "original" not in text and "LINKED" not in text
    assert sorted(os.listdir(outside)) == ["victim.txt"]
    assert (outside / "victim.txt").read_text() == "original\n"
    assert sorted(os.listdir(tmp_path)) == ["outside", "ws"]
    if made:
        assert not (tmp_path / made).exists() and not (outside / made).exists()
    assert r.stderr.strip(), "refused silently"


@pytest.mark.timeout(120)
def test_corral_shell_very_deep_paths_end_cleanly(tmp_path):
    """100k path components and a deep tree: a clean error or the wall budget, never a
    traceback (RecursionError, MemoryError) and the sandbox answers afterwards."""
    ws = tmp_path / "ws"
    ws.mkdir()
    wall = 6.0
    with Sandbox(workdir=ws, budget=Budget(wall_s=wall)) as sb:
        for script in [
            "p=$(printf 'b/%.0s' $(seq 1 100000)); mkdir -p $p; cd $p; touch $p/x; cat $p",
            "for i in $(seq 1 400); do mkdir d; cd d; done; pwd | wc -c; cd /workspace; "
            "find . | wc -l; ls -R > /dev/null; rm -rf d; echo done",
        ]:
            t0 = time.monotonic()
            r = sb.run(script)
            assert time.monotonic() - t0 < wall + 5
            _clean(r)
            assert r.error in (None, "exit", "wall_time"), r
            assert sb.run("echo alive").stdout == "alive\n"


# ---------------------------------------------------------------- a static copy of a denied program


def _is_static_elf(head: bytes) -> bool:
    """A 64-bit ELF executable without a PT_INTERP program header."""
    if head[:5] != b"\x7fELF\x02" or struct.unpack_from("<H", head, 16)[0] not in (2, 3):
        return False
    (phoff,) = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    if phoff + phentsize * phnum > len(head):
        return False
    types = [struct.unpack_from("<I", head, phoff + i * phentsize)[0] for i in range(phnum)]
    return 3 not in types and 1 in types  # no PT_INTERP, something loadable


def _static_system_binary() -> Path | None:
    """A statically linked program of the system, small enough to hash fast (no ELF
    interpreter: only the exec event sees it start)."""
    for d in ("/usr/bin", "/usr/sbin"):
        for name in sorted(os.listdir(d)):
            p = Path(d) / name
            try:
                if not p.is_file() or p.stat().st_size > 16 * MB:
                    continue
                with open(p, "rb") as f:
                    head = f.read(4096)
            except OSError:
                continue
            if _is_static_elf(head):
                return p
    return None


@pytest.mark.parametrize("tier", NATIVE)
def test_a_static_copy_of_a_denied_program_is_that_program(tier, tmp_path):
    """Wall: program identity at exec (execid.py: a copy with the same hash is the system
    binary it copies). A static binary has no ELF loader, so the exec event is the only
    moment it can be seen. Without the identity check ``./renamed`` is a user program and
    allowed under ``default``."""
    need(tier)
    prog = _static_system_binary()
    if prog is None:
        pytest.skip("no statically linked program in /usr/bin or /usr/sbin here")
    from corral.events import EventBus

    ws = tmp_path / "ws"
    ws.mkdir()
    bus = EventBus()
    seen: list = []
    bus.subscribe(seen.append)
    real = prog.resolve()
    policy = {"version": 1, "extends": "default", "commands": {"deny": [prog.name]}}
    with Sandbox(backend=tier, workdir=ws, policy=policy, bus=bus) as sb:
        r = sb.run(f"cp {prog} ./renamed && ./renamed --help 2>&1; echo rc=$?")
    denied = [
        e.action
        for e in seen
        if e.type == "action.denied" and e.action is not None and e.action.kind == "spawn"
    ]
    assert any(a.origin == "copy" and a.exe in (str(prog), str(real)) for a in denied), (
        denied,
        r,
    )
    if tier == "bwrap":  # decided before it runs
        assert "rc=126" in r.stdout, r.stdout


# ---------------------------------------------------------------- the JS guest's channel


def test_js_forged_frames_with_guessed_ids_never_answer_a_call():
    """A well-formed frame with a guessed id, written by QuickJS on fd 1 both ways. Wall:
    per-request random ids (guest_channel.py); QuickJS's driver keeps the id in a closure.
    Without the id check the forged done frame would end the next call with its output."""
    from corral.wasm.guest_channel import encode_frame, new_id

    forged = encode_frame(new_id(), {"op": "out", "stream": "stdout", "data": "FORGED\n"})
    forged += encode_frame(new_id(), {"op": "done", "exit_code": 0})
    text = forged.decode("latin-1")
    with Sandbox(budget=Budget(wall_s=10)) as sb:
        for how in (
            f"std.out.puts({text!r}); std.out.flush()",
            f"const s = {text!r}; const b = new Uint8Array(s.length);"
            " for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);"
            " os.write(1, b.buffer, 0, b.length)",
        ):
            sb.js(how)
            r = sb.js("console.log('mine')")
            assert r.stdout == "mine\n" and "FORGED" not in r.stdout, r


def test_js_huge_frame_and_huge_tool_argument_end_cleanly():
    """A 70 MB console.log (one frame far over the output budget) and a 65 MB tool argument
    from QuickJS. Walls: the output budget counted on the host, the 64 MB frame cap
    (FrameReader), the tool argument cap. Without them the host buffers it all."""

    def echo(s: str) -> int:
        return len(s)

    with Sandbox(tools=[echo], budget=Budget(wall_s=30, memory_mb=512, output_chars=10_000)) as sb:
        r = sb.js("console.log('x'.repeat(70 << 20))")
        assert r.truncated and r.budget_exceeded == "output", r
        assert len(r.stdout) < 20_000
        r = sb.js(
            "try { console.log(await tools.echo({s: 'x'.repeat(65 << 20)})) }"
            " catch (e) { console.log('E', String(e)) }"
        )
        _clean(r)
        assert "too large" in r.stdout, r
        assert sb.js("console.log(await tools.echo({s: 'abc'}))").stdout == "3\n"


def test_js_json_depth_bomb_in_a_tool_argument():
    """100k nested arrays as a tool argument from QuickJS (Python's guest gets a ToolError
    'nested too deeply'). The host must never see a RecursionError; the sandbox answers."""

    def echo(s: object) -> str:
        return "called"

    with Sandbox(tools=[echo], budget=Budget(wall_s=20)) as sb:
        r = sb.js(
            "let d = []; for (let i = 0; i < 100000; i++) d = [d];"
            " try { console.log(await tools.echo({s: d})) } catch (e) { console.log('E', String(e)) }"
        )
        assert "called" not in r.stdout, r
        assert "RecursionError" not in r.stdout + r.stderr + (r.error_message or "")
        # held: it ends (QuickJS overflows its stack: a trap, error="crash") and the
        # next call gets a fresh interpreter
        assert r.error in (None, "crash"), r
        r2 = sb.js("console.log(await tools.echo({s: [[1]]}))")
        assert r2.stdout == "called\n", r2
        r = sb.python(
            "import corral\nd = []\nfor _ in range(100000): d = [d]\n"
            "try:\n    print(echo(s=d))\nexcept corral.ToolError as e:\n    print('E', e)"
        )
        assert "nested too deeply" in r.stdout, r


# ---------------------------------------------------------------- the kill switch, 16 at once

SPIN = {
    "shell": ("run", "while :; do :; done"),
    "python": ("python", "while True: pass"),
    "js": ("js", "while (true) {}"),
}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", list(SPIN))
def test_sixteen_threaded_sandboxes_spinning_all_stop_at_their_wall(kind):
    """16 sandboxes in 16 threads, each spinning with a 1 s wall budget. Walls: the
    worker killed at the deadline (shell), epoch interruption (guests). Without them a
    call never returns (the join below times out)."""
    wall = 1.0
    boxes = [Sandbox(budget=Budget(wall_s=wall)) for _ in range(16)]
    method, code = SPIN[kind]
    try:
        for sb in boxes:  # start the worker / interpreter first: the wall is the call's
            getattr(sb, method)("true" if method == "run" else "1")
        times: list[float] = []
        errors: list[object] = []
        lock = threading.Lock()

        def spin(sb: Sandbox) -> None:
            t0 = time.monotonic()
            r = getattr(sb, method)(code)
            with lock:
                times.append(time.monotonic() - t0)
                errors.append(r.budget_exceeded)

        threads = [threading.Thread(target=spin, args=(sb,)) for sb in boxes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "a spinning call never returned"
        assert errors == ["wall_time"] * 16, errors
        # budget + 1 s in the issue; 2 cores shared with other test runs: + 2 s here
        assert max(times) < wall + 3, sorted(times)
        for sb in boxes:
            r = getattr(sb, method)(
                "echo 2"
                if method == "run"
                else "print(2)"
                if method == "python"
                else "console.log(2)"
            )
            assert r.stdout == "2\n", r
    finally:
        for sb in boxes:
            sb.close()


@pytest.mark.timeout(120)
def test_a_monitor_kill_stops_only_that_session():
    """sb.monitor.responder.kill(session) mid-call: that call ends at once, the others run
    to their own end. Without the kill the victim runs to its 20 s wall."""
    import corral

    boxes = [Sandbox(policy="permissive", budget=Budget(wall_s=20)) for _ in range(4)]
    try:
        for sb in boxes:
            sb.run("true")
        results: dict[int, tuple[float, object]] = {}

        def go(i: int) -> None:
            t0 = time.monotonic()
            sb = boxes[i]
            try:
                r = sb.run(
                    "i=0; while [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; echo finished"
                )
            except corral.CorralError as e:
                r = e
            results[i] = (time.monotonic() - t0, r)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        boxes[0].monitor.responder.kill(boxes[0].session)
        for t in threads:
            t.join(60)
        took, r0 = results[0]
        assert took < 5, (took, r0)
        assert not (hasattr(r0, "stdout") and "finished" in r0.stdout), r0
        for i in range(1, 4):
            assert results[i][1].stdout == "finished\n", results[i]
            assert boxes[i].run("echo ok").stdout == "ok\n"
        with pytest.raises(corral.CorralError):
            boxes[0].run("echo hi")
    finally:
        for sb in boxes:
            sb.close()


# ---------------------------------------------------------------- host files and loopback


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[bytes]]]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            hits.append(b"connected")
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join()
    srv.close()


@pytest.fixture
def abstract_server() -> Iterator[tuple[str, list[bytes]]]:
    name = f"corral-test-{os.getpid()}-{time.monotonic_ns()}"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + name)
    srv.listen(8)
    srv.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            hits.append(b"connected")
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield name, hits
    stop.set()
    t.join()
    srv.close()


PROBE_PY = """
import socket, sys, os
port, name = int(sys.argv[1]), sys.argv[2]
for fam, addr in ((socket.AF_INET, ('127.0.0.1', port)), (socket.AF_INET6, ('::1', port)),
                  (socket.AF_INET, ('0.0.0.0', port))):
    try:
        s = socket.socket(fam); s.settimeout(2); s.connect(addr); print('TCP-CONNECTED', addr)
    except OSError as e:
        print('tcp refused', addr, e.errno)
try:
    u = socket.socket(socket.AF_UNIX); u.settimeout(2); u.connect('\\0' + name)
    print('UNIX-CONNECTED')
except OSError as e:
    print('unix refused', e.errno)
for p in ('/proc/1/root/etc/shadow', '/proc/self/root/etc/shadow', '/proc/self/cwd/../../etc/shadow',
          '/proc/1/cwd/etc/shadow', '/proc/self/root/proc/1/root/etc/shadow', sys.argv[3]):
    try:
        data = open(p).read(200)
        print('READ', p, data[:40].replace(chr(10), ' '))
    except OSError as e:
        print('read refused', p, e.errno)
print('end')
"""


@pytest.mark.parametrize("tier", NATIVE)
def test_host_files_loopback_and_abstract_sockets_unreachable(
    tier, tmp_path, loopback_server, abstract_server
):
    """From inside the sandbox: /proc/1/root, /proc/self/root and cwd tricks to host files,
    a host file by its host path, the host's loopback (a server on 127.0.0.1 only) and the
    host's abstract unix sockets. Walls: the mount namespace (bwrap) / the Sentry's own
    filesystem (gVisor), the network namespace, abstract sockets being per network
    namespace. Without a network namespace the connect succeeds and ``hits`` fills."""
    need(tier)
    port, tcp_hits = loopback_server
    name, unix_hits = abstract_server
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET-CONTENT")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "probe.py").write_text(PROBE_PY)
    with Sandbox(backend=tier, workdir=ws, budget=Budget(wall_s=30)) as sb:
        r = sb.run(
            f"python3 probe.py {port} {name} {secret} 2>&1; "
            f"cat /proc/1/root{secret} 2>&1; "
            "mount --bind / /mnt 2>&1; ls /mnt/root 2>&1; "
            f"echo hi > /dev/tcp/127.0.0.1/{port} 2>&1 && echo BASH-CONNECTED; echo done"
        )
    _clean(r)
    assert "end" in r.stdout and "done" in r.stdout, r
    assert "CONNECTED" not in r.stdout, r.stdout
    assert "READ" not in r.stdout and "HOST-SECRET-CONTENT" not in r.stdout, r.stdout
    assert tcp_hits == [] and unix_hits == []


def test_host_files_and_loopback_from_the_wasm_tier(tmp_path, loopback_server, abstract_server):
    """The WASI guests have no sockets and only /workspace; the corral shell's fetches go
    through the host's address checks (loopback refused)."""
    port, tcp_hits = loopback_server
    # (the permissive policy allows loopback on purpose: network.allow lists 127.0.0.0/8)
    with Sandbox(budget=Budget(wall_s=20), policy="default", monitor=False) as sb:
        r = sb.python(
            "import socket\ntry:\n    s = socket.socket(); s.connect(('127.0.0.1', PORT))\n"
            "    print('CONNECTED')\n"
            "except Exception as e:\n    print('refused', type(e).__name__)\n"
            "for p in ('/etc/passwd', '/proc/1/root/etc/shadow', '../etc/passwd'):\n"
            "    try:\n        open(p).read(); print('READ', p)\n"
            "    except Exception as e:\n        print('refused', p)\n".replace("PORT", str(port))
        )
        r2 = sb.run(f"curl -sS -m 3 http://127.0.0.1:{port}/; echo rc=$?")
    assert "CONNECTED" not in r.stdout and "READ" not in r.stdout, r
    assert "rc=0" not in r2.stdout, r2
    assert tcp_hits == []


# ---------------------------------------------------------------- tool-call flood


@pytest.mark.timeout(180)
@pytest.mark.parametrize("lang", ["python", "js"])
def test_tool_call_flood_with_huge_arguments(lang):
    """A guest calling a tool 10,000 times with arguments of 1-60 MB. Walls: the call's
    wall budget, the guest's memory budget, the 64 MB argument cap; the host reads each
    frame linearly and frees it. Another sandbox answers meanwhile; host memory stays
    bounded (without a cap on arguments a 60 MB x N backlog would grow the host)."""
    calls = [0]

    def echo(s: str) -> int:
        calls[0] += 1
        return len(s)

    code = {
        "python": "import corral\nn = 0\nfor i in range(10000):\n"
        "    try:\n        n += echo(s='x' * (((i % 60) + 1) << 20))\n"
        "    except corral.ToolError as e:\n        print('E', e)\n",
        "js": "let n = 0; for (let i = 0; i < 10000; i++) {"
        " try { n += await tools.echo({s: 'x'.repeat(((i % 60) + 1) << 20)}) }"
        " catch (e) { console.log('E', String(e)) } }",
    }[lang]
    peak = [0.0]
    stop = threading.Event()
    rss0 = _rss_mb()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with (
        Sandbox(tools=[echo], budget=Budget(wall_s=5, memory_mb=512)) as flood,
        Sandbox(budget=Budget(wall_s=10)) as other,
    ):
        other.python("1")
        other.run("true")
        holder: list = []
        t = threading.Thread(
            target=lambda: holder.append((flood.python if lang == "python" else flood.js)(code))
        )
        t0 = time.monotonic()
        t.start()
        time.sleep(1.0)
        answers = []
        while t.is_alive() and len(answers) < 6:
            s = time.monotonic()
            ok = other.python("print(1)").stdout == "1\n" and other.run("echo 1").stdout == "1\n"
            answers.append((ok, time.monotonic() - s))
        t.join(60)
        took = time.monotonic() - t0
        stop.set()
        sampler.join()
        r = holder[0]
        assert r.budget_exceeded in ("wall_time", "memory") or r.error is not None, r
        _clean(r)
        assert took < 5 + 5, took
        assert answers and all(ok for ok, _ in answers), answers
        # "within 1 s" unloaded; generous here (2 cores shared with other runs)
        assert max(s for _, s in answers) < 3, answers
        # the flood really reached the host (calls of 1, 2, 3 … MB: a JS call takes ~0.3 s
        # a MB on this machine at load 4, so five fit in the 5 s wall, more unloaded)
        assert calls[0] >= 3
        assert flood.python("print(2)" if lang == "python" else "2").error is None
    assert peak[0] - rss0 < 1500, f"host RSS grew {peak[0] - rss0:.0f} MB"


# ---------------------------------------------------------------- fork bomb in the corral shell


@pytest.mark.timeout(60)
def test_corral_shell_fork_bomb_ends_and_the_sandbox_answers():
    """``:(){ :|:& };:`` in the corral shell: pipeline stages and jobs are threads of the
    worker (64 jobs at most, RLIMIT_AS), the worker is killed at the deadline. Without
    the kill the call never returns; without the limits the worker's threads grow until
    the host's memory runs out."""
    wall = 3.0
    rss0 = _rss_mb()
    with Sandbox(budget=Budget(wall_s=wall)) as sb:
        t0 = time.monotonic()
        r = sb.run(":(){ :|:& };:; sleep 10")
        took = time.monotonic() - t0
        _clean(r)
        assert r.budget_exceeded == "wall_time", r
        assert took < wall + 6, took  # deadline + 0.5 s grace + a loaded machine
        assert sb.run("echo alive").stdout == "alive\n"
    assert _rss_mb() - rss0 < 200

"""Templates on the real tiers: a build that installs outside the workspace, many sandboxes
from one base at once (each seeing only its own changes, the base unchanged), images on
bwrap and gVisor, and attempts to reach or change the base."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from corral import Budget, Sandbox, templates
from corral.templates.build import TemplateBuildFailed

from .conftest import need
from .images import docker_save, layer_bytes

SETUP = r"""
set -e
mkdir -p /usr/local/bin /opt/tool
printf '#!/bin/bash\necho "greetings from the template"\n' > /usr/local/bin/greet
chmod +x /usr/local/bin/greet
site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site/corralpkg"
echo 'ANSWER = 42' > "$site/corralpkg/__init__.py"
echo tool-data > /opt/tool/data
echo set-up done
"""

BACKENDS = ["bwrap", "gvisor"]


@pytest.fixture(scope="session")
def built() -> dict[str, templates.Template]:
    """One template per tier, built once per session (lazily, so a missing tier skips)."""
    return {}


def _template(built: dict, backend: str) -> templates.Template:
    need(backend)
    if backend not in built:
        built[backend] = templates.build(f"tools-{backend}", SETUP, backend=backend,
                                         timeout=120)  # fmt: skip
    return built[backend]


def _template_mounts() -> set[str]:
    with open("/proc/self/mountinfo") as f:
        return {ln.split()[4] for ln in f if " corral-template " in ln}


@pytest.fixture(autouse=True)
def _no_mounts_left():
    """Every test leaves no template mount behind (closed sandboxes unmount theirs)."""
    before = _template_mounts()
    yield
    assert _template_mounts() <= before


@pytest.mark.parametrize("backend", BACKENDS)
def test_build_installs_outside_the_workspace(built, backend) -> None:
    t = _template(built, backend)
    info = t.info
    assert info.kind == "script" and info.backend == backend and info.script == SETUP
    assert info.corral_version and info.created and info.size_bytes > 0 and len(info.digest) == 64
    assert (t.base / "usr/local/bin/greet").exists()
    assert (t.base / "opt/tool/data").read_text() == "tool-data\n"
    from corral.events import EventBus

    bus = EventBus()
    seen: list = []
    bus.subscribe(seen.append)
    with Sandbox(backend=backend, template=t.name, bus=bus) as sb:
        created = [e for e in seen if e.type == "sandbox.created"]
        assert created and created[0].data["template"] == t.name
        r = sb.run("greet && python3 -c 'import corralpkg; print(corralpkg.ANSWER)' && "
                   "cat /opt/tool/data && ls /workspace | wc -l")  # fmt: skip
        assert r.exit_code == 0, r.stderr
        assert r.stdout.split("\n")[:4] == ["greetings from the template", "42", "tool-data",
                                            "0"]  # fmt: skip
    # a plain sandbox has none of it
    with Sandbox(backend=backend) as sb:
        r = sb.run("test -e /usr/local/bin/greet || echo absent")
        assert r.stdout.strip() == "absent"


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_sandboxes_at_once_see_only_their_own_changes(built, backend) -> None:
    t = _template(built, backend)
    n = 20
    barrier = threading.Barrier(n, timeout=120)
    script = (
        "echo {i} > /usr/local/bin/mine-{i}; echo {i} > /usr/local/bin/mine; "
        "echo {i} >> /usr/local/bin/greet; rm /usr/bin/env; echo {i} > /opt/tool/data; sleep 1; "
        "ls /usr/local/bin | grep '^mine' | tr '\\n' ' '; echo; cat /usr/local/bin/mine; "
        "tail -1 /usr/local/bin/greet; cat /opt/tool/data; "
        "test -e /usr/bin/env && echo env-present || echo env-gone"
    )

    def one(i: int) -> list[str]:
        with Sandbox(backend=backend, template=t.name, budget=Budget(wall_s=120)) as sb:
            barrier.wait()
            r = sb.run(script.format(i=i))
            assert r.exit_code == 0, (r.stderr, r.error_message)
            again = sb.run("cat /usr/local/bin/mine")  # changes last for the sandbox's life
            assert again.stdout == f"{i}\n"
            return r.stdout.splitlines()

    with ThreadPoolExecutor(n) as pool:
        outs = list(pool.map(one, range(n)))
    for i, lines in enumerate(outs):
        assert lines == [f"mine mine-{i} ", str(i), str(i), str(i), "env-gone"], lines
    assert t.verify()  # the base is unchanged (same digest)
    with Sandbox(backend=backend, template=t.name) as sb:  # and a new sandbox sees it intact
        r = sb.run("ls /usr/local/bin | grep -c '^mine'; tail -1 /usr/local/bin/greet; "
                   "test -e /usr/bin/env && echo env-present")  # fmt: skip
        assert r.stdout.splitlines() == ["0", 'echo "greetings from the template"',
                                         "env-present"]  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_writing_into_the_base_through_proc_and_mounts_fails(built, backend) -> None:
    t = _template(built, backend)
    with Sandbox(backend=backend, template=t.name) as sb:
        r = sb.run(
            "echo evil > /proc/self/root/usr/local/bin/greet; "
            "echo evil > /proc/1/root/opt/tool/data; "
            "mount -o remount,rw /usr 2>/dev/null && echo remounted; "
            "umount /usr 2>/dev/null && echo unmounted; "
            "cat /proc/self/mountinfo"
        )
        assert "remounted" not in r.stdout and "unmounted" not in r.stdout
        assert str(templates.templates_dir()) not in r.stdout  # the base's path is not shown
        assert sb.run("cat /usr/local/bin/greet").stdout == "evil\n"  # its own copy only
    assert t.verify()
    assert "evil" not in (t.base / "usr/local/bin/greet").read_text()


@pytest.mark.parametrize("backend", ["bwrap"])
def test_changes_are_capped_by_the_disk_budget(built, backend) -> None:
    t = _template(built, backend)
    with Sandbox(backend=backend, template=t.name, budget=Budget(disk_mb=4)) as sb:
        r = sb.run("for i in $(seq 20); do head -c 1000000 /dev/zero > /usr/local/f$i || "
                   "{ echo full; break; }; done")  # fmt: skip
        assert r.stdout == "full\n" and "No space left" in r.stderr
    assert t.verify()


@pytest.mark.parametrize("backend", BACKENDS)
def test_image_runs_on_the_tier(image_tars, backend, tmp_path) -> None:
    need(backend)
    name = f"image-{backend}"
    t = templates.import_image(name, image_tars["oci" if backend == "gvisor" else "docker"])
    sentinel = tmp_path / "host-sentinel"
    sentinel.write_text("HOST SECRET")
    try:
        with Sandbox(backend=backend, template=name) as sb:
            r = sb.run("hello; cat /etc/image-release; ls /opt/old; test -e /etc/gone.txt || "
                       "echo gone; echo changed > /usr/local/bin/hello; id -u")  # fmt: skip
            assert r.exit_code == 0, (r.stderr, r.error_message)
            assert r.stdout.splitlines() == ["hello from the image", "corral-test-image",
                                             "c.txt", "gone", "1000"]  # fmt: skip
            assert sb.run("cat /usr/local/bin/hello").stdout == "changed\n"
            # the host's programs are not there: only the image's
            assert sb.run("test -e /usr/bin/python3 || echo no-python").stdout == "no-python\n"
            assert "HOST SECRET" not in sb.run(f"cat {sentinel}").stdout
        assert t.verify()
    finally:
        templates.remove(name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_image_symlinks_pointing_outside_stay_inside(tmp_path, backend) -> None:
    need(backend)
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("HOST SECRET")
    from .images import host_rootfs

    layers = [layer_bytes(host_rootfs(("bash", "cat"))), layer_bytes([
        ("symlink", "abs-link", str(sentinel)),
        ("symlink", "rel-link", "../../../../../../../../" + str(sentinel).lstrip("/")),
        ("symlink", "etc/passwd-link", "/etc/shadow"),
    ])]  # fmt: skip
    name = f"links-{backend}"
    templates.import_image(name, docker_save(tmp_path / "links.tar", layers))
    try:
        with Sandbox(backend=backend, template=name) as sb:
            r = sb.run("cat /abs-link /rel-link /etc/passwd-link; echo done")
            assert "HOST SECRET" not in r.stdout and "root:" not in r.stdout
            assert r.stdout.strip().endswith("done")
    finally:
        templates.remove(name)


def test_failed_script_leaves_nothing_and_reports_its_output(built) -> None:
    need("bwrap")
    with pytest.raises(TemplateBuildFailed, match="exit code 3") as ei:
        templates.build("broken", "echo half > /usr/local/bin/half; echo oops >&2; exit 3")
    assert "oops" in str(ei.value) and ei.value.result is not None
    with pytest.raises(templates.TemplateNotFound, match="'broken'"):
        templates.get("broken")
    top = templates.templates_dir()
    assert not [n for n in os.listdir(top) if n.startswith((".tmp-", ".trash-"))]


def test_only_usr_and_opt_become_the_template(built) -> None:
    need("bwrap")
    t = templates.build("etc-writer", "echo x > /etc/evil 2>/dev/null; echo y > /tmp/tmpfile; "
                        "echo z > /usr/local/kept")  # fmt: skip
    try:
        assert sorted(os.listdir(t.base)) == ["opt", "usr"]
        with Sandbox(backend="bwrap", template=t.name) as sb:
            r = sb.run("cat /usr/local/kept; ls /etc/evil /tmp/tmpfile 2>&1 | wc -l")
            assert r.stdout.split() == ["z", "2"]
    finally:
        templates.remove("etc-writer")


def test_base_size_cap_stops_the_build() -> None:
    need("bwrap")
    with pytest.raises(TemplateBuildFailed, match="more than 1 MB"):
        templates.build("too-big", "head -c 30000000 /dev/zero > /usr/local/big; sleep 5",
                        max_mb=1)  # fmt: skip
    with pytest.raises(templates.TemplateNotFound):
        templates.get("too-big")


def test_concurrent_build_of_the_same_name_refused(image_tars) -> None:
    need("bwrap")
    errors: list[Exception] = []

    def slow() -> None:
        try:
            templates.build("slow", "sleep 3; echo x > /usr/local/slow")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    th = threading.Thread(target=slow)
    th.start()
    try:
        deadline = time.monotonic() + 30
        while not any(n.startswith(".tmp-slow-") for n in os.listdir(templates.templates_dir())):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(templates.TemplateBusy, match="'slow'"):
            templates.build("slow", "true")
        with pytest.raises(templates.TemplateBusy):
            templates.import_image("slow", image_tars["docker"])
    finally:
        th.join(60)
    assert not errors
    assert templates.get("slow").info.script.startswith("sleep 3")
    # in use: not removable; afterwards it is
    with Sandbox(backend="bwrap", template="slow") as sb:
        sb.run("true")
        with pytest.raises(templates.TemplateBusy, match="using it"):
            templates.remove("slow")
    templates.remove("slow")


def test_stale_leftovers_of_a_crashed_build_are_removed() -> None:
    need("bwrap")
    top = templates.templates_dir()
    top.mkdir(parents=True, exist_ok=True)
    stale = top / ".tmp-stale-abc123"
    (stale / "base/usr").mkdir(parents=True)
    templates.build("stale", "echo ok > /usr/local/ok")
    try:
        assert not stale.exists()
    finally:
        templates.remove("stale")


def test_unknown_template_and_wrong_backend_are_clear_errors() -> None:
    with pytest.raises(templates.TemplateNotFound, match="no template named 'nope'"):
        Sandbox(backend="bwrap", template="nope")
    with pytest.raises(templates.TemplateError, match="native backends"):
        Sandbox(template="anything")
    with pytest.raises(templates.TemplateError, match="invalid template name"):
        Sandbox(backend="bwrap", template="../etc")
    with pytest.raises(templates.TemplateError, match="native backends"):
        templates.build("x", "true", backend="wasm")


def test_policy_and_monitor_apply_in_template_sandboxes(built) -> None:
    t = _template(built, "bwrap")
    with Sandbox(backend="bwrap", template=t.name, policy="default") as sb:
        r = sb.run("greet")
        assert r.exit_code == 0 and "greetings" in r.stdout
        r = sb.run("nc -l 4444")  # denied by the default policy, as without a template
        assert r.exit_code != 0


def test_mounts_of_a_killed_process_are_swept(built, tmp_path) -> None:
    t = _template(built, "bwrap")
    code = (
        "import os, sys\n"
        "from corral import Sandbox\n"
        f"sb = Sandbox(backend='bwrap', template={t.name!r})\n"
        "sb.run('true')\n"
        "print(sb._tier._stage, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip
    stage = p.stdout.strip()
    assert p.returncode == -9 and stage, p.stderr
    assert any(m.startswith(stage) for m in _template_mounts())  # left by the SIGKILL
    with Sandbox(backend="bwrap", template=t.name) as sb:  # the next start sweeps them
        sb.run("true")
    assert not any(m.startswith(stage) for m in _template_mounts())
    assert not os.path.exists(stage)


def test_built_base_is_owned_by_root_without_set_id_bits() -> None:
    need("bwrap")
    t = templates.build("setid", "cp /bin/true /usr/local/bin/s && chmod 6755 /usr/local/bin/s "
                        "&& mkfifo /usr/local/fifo && ln -s /etc/shadow /usr/local/link")
    try:
        import stat as st_mod

        st = os.lstat(t.base / "usr/local/bin/s")
        assert st.st_uid == 0 and st.st_gid == 0
        assert not st.st_mode & (st_mod.S_ISUID | st_mod.S_ISGID)
        assert os.readlink(t.base / "usr/local/link") == "/etc/shadow"  # kept, not followed
        assert os.lstat(t.base / "usr/local/link").st_uid == 0
        with Sandbox(backend="bwrap", template="setid") as sb:  # inside: the sandbox's own
            r = sb.run("stat -c '%U %a' /usr/local/bin/s; cat /usr/local/link 2>&1 | head -c 40")
            assert r.stdout.startswith("corral 755\n") and "root:" not in r.stdout
    finally:
        templates.remove("setid")


def _pypi_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def test_pip_install_through_the_egress_proxy_becomes_the_template(tmp_path) -> None:
    need("bwrap")
    if not _pypi_reachable():
        pytest.skip("pypi.org is not reachable from this host")
    policy = tmp_path / "deps.yaml"
    policy.write_text("version: 1\nextends: [default]\nnetwork:\n  registries: true\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("tomli-w==1.0.0\n")
    t = templates.build("pydeps", "python3 -m pip install -q --no-cache-dir "
                        "--break-system-packages -r requirements.txt", policy=str(policy),
                        workspace=proj, timeout=300)  # fmt: skip
    try:
        assert t.info.policy == str(policy) and t.info.policy_sha256
        assert (t.path / "policy.json").exists()
        assert (proj / "requirements.txt").exists() and len(os.listdir(proj)) == 1
        for backend in BACKENDS:
            need(backend)
            with Sandbox(backend=backend, template="pydeps") as sb:
                r = sb.run("python3 -c \"import tomli_w; print(tomli_w.dumps({'a': 1}))\"")
                assert r.stdout.strip() == "a = 1", (r.stderr, r.error_message)
        # under the default policy (no registries) the same install fails
        with pytest.raises(TemplateBuildFailed):
            templates.build("nodeps", "python3 -m pip install -q --no-cache-dir --retries 0 "
                            "--timeout 5 --break-system-packages tomli-w", policy="default",
                            timeout=120)  # fmt: skip
    finally:
        templates.remove("pydeps")


def test_pooled_sandboxes_from_a_template(built, tmp_path) -> None:
    """The warm pool (bwrap ``pool``) with a template: each pooled session has its own
    overlay (a change to a system directory stays that sandbox's), its own workspace,
    and the pool's mounts go with it."""
    from corral.native import pool

    t = _template(built, "bwrap")
    pool.shutdown()
    opts = {"pool": 2}
    try:
        first = tmp_path / "first"
        first.mkdir()
        with Sandbox(backend="bwrap", template=t.name, workdir=first, backend_options=opts) as sb:
            assert sb.run("greet").stdout == "greetings from the template\n"
        end = time.monotonic() + 60
        while not any(p["ready"] >= 2 for p in pool.stats()) and time.monotonic() < end:
            time.sleep(0.02)
        boxes = []
        for name in ("a", "b"):
            ws = tmp_path / name
            ws.mkdir()
            (ws / "me").write_text(name)
            boxes.append(Sandbox(backend="bwrap", template=t.name, workdir=ws,
                                 backend_options=opts))  # fmt: skip
        try:
            for sb in boxes:
                assert sb._backend()._sess is not None and sb._backend()._sess.taken
            ra = boxes[0].run("echo 'echo changed in a' > /usr/local/bin/greet; greet; cat me")
            rb = boxes[1].run("greet; cat me; cat /opt/tool/data")
            assert ra.stdout == "changed in a\na", ra
            assert rb.stdout == "greetings from the template\nb" + "tool-data\n", rb
        finally:
            for sb in boxes:
                sb.close()
        assert (t.base / "usr/local/bin/greet").read_text().startswith("#!/bin/bash")
    finally:
        pool.shutdown()

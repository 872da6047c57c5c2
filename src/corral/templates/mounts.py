"""A sandbox's root filesystem from a template: overlayfs over idmapped read-only layers.

Each template directory the sandbox sees (``/usr`` and ``/opt`` of a script template, or
``/`` of an image) is an overlay mount, made by corral as root in the host's mount
namespace when the backend starts and removed when it closes:

* **lower layers**, read-only: the template's base and, for a script template's ``/usr``,
  the host's ``/usr`` beneath it (the tier's usual read-only directory). Each lower layer
  is an *idmapped* mount (``open_tree`` + ``mount_setattr(MOUNT_ATTR_IDMAP |
  MOUNT_ATTR_RDONLY)``) that shows files owned by root as owned by the sandbox's own host
  uid: inside, the sandbox user owns its system directories and can change them, and
  every change is copied up; the files on disk never change owner and are never written.
* **upper layer**, private to the sandbox: a tmpfs in the backend's state directory, sized
  by the disk budget (``ENOSPC`` past it), removed at close. A build's upper layer is the
  new template's base instead.

Why the host and not the sandbox's user namespace: bwrap 0.8 has no overlay option, the
tiers' sandbox users are unprivileged uids, and an overlay mounted in a user namespace
cannot copy up files whose owner that namespace does not map (the host's root-owned
``/usr``). Idmapped lower layers need root in the host's user namespace, so templates need
corral to run as root (the gVisor tier already does).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..deeptree import remove_tree
from .store import SCRIPT_DIRS, NameLock, Template, TemplateError, get

__all__ = ["BuildLayer", "RootFs", "rootfs_for", "unmount_under"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_void_p)  # fmt: skip
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.syscall.restype = ctypes.c_long

_SYS = {"x86_64": (428, 429, 442), "aarch64": (428, 429, 442)}
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = _SYS.get(os.uname().machine, (428, 429, 442))
AT_FDCWD = -100
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = 0o2000000
AT_RECURSIVE = 0x8000
AT_EMPTY_PATH = 0x1000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_IDMAP = 0x100000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MNT_DETACH = 0x2
CLONE_NEWUSER = 0x10000000


#: the tiers' read-only system directories, which a template's directories replace
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc", "/opt")
#: where an image's sandbox sees the host's /usr when corral's own bridge needs Python
HOST_USR = "/run/corral-host/usr"
#: what the tiers mount themselves over an image's root
_TIER_MOUNTS = frozenset({"/proc", "/dev", "/tmp", "/sys", "/workspace"})
#: bwrap options and how many arguments each takes (those that make a mount: _BWRAP_MOUNTS)
_BWRAP_ARITY = {
    "--bind": 2, "--bind-try": 2, "--dev-bind": 2, "--dev-bind-try": 2, "--ro-bind": 2,
    "--ro-bind-try": 2, "--symlink": 2, "--dir": 1, "--tmpfs": 1, "--remount-ro": 1,
    "--ro-bind-data": 2, "--bind-data": 2, "--file": 2, "--proc": 1, "--dev": 1, "--mqueue": 1,
    "--chmod": 2, "--perms": 1, "--size": 1, "--uid": 1, "--gid": 1, "--hostname": 1,
    "--chdir": 1, "--setenv": 2, "--unsetenv": 1, "--cap-add": 1, "--cap-drop": 1,
    "--seccomp": 1, "--add-seccomp-fd": 1, "--info-fd": 1, "--json-status-fd": 1,
    "--block-fd": 1, "--userns-block-fd": 1, "--sync-fd": 1, "--lock-file": 1,
    "--exec-label": 1, "--file-label": 1, "--userns": 1, "--userns2": 1, "--pidns": 1,
    "--argv0": 1, "--args": 1,
}  # fmt: skip
_BWRAP_MOUNTS = frozenset({"--bind", "--bind-try", "--dev-bind", "--dev-bind-try", "--ro-bind",
                           "--ro-bind-try", "--symlink", "--dir", "--ro-bind-data",
                           "--bind-data", "--file"})  # fmt: skip


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


@dataclass
class BuildLayer:
    """A build in progress: the tier's system directories overlaid with ``base`` as the
    (writable) upper layer, which becomes the template's base."""

    base: Path
    work: Path
    dirs: tuple[str, ...] = SCRIPT_DIRS


@dataclass
class RootFs:
    """What a tier mounts for a template: writable directories (overlay mounts on the
    host) at sandbox paths; ``full``: one of them is ``/`` and replaces the tier's system
    directories."""

    full: bool
    #: (host directory, sandbox path)
    dirs: list[tuple[str, str]]
    template: str | None = None
    #: an image's top level as mount points and symlinks (gVisor's read-only root)
    skeleton: str | None = None
    _mounts: list[str] = field(default_factory=list, repr=False)
    _lock: NameLock | None = field(default=None, repr=False)

    @property
    def root(self) -> str | None:
        """The host directory of the sandbox's ``/`` (image templates)."""
        return self.dirs[0][0] if self.full else None

    def _replaces(self, dest: str) -> bool:
        """Whether the tier's own mount at ``dest`` (a system directory) gives way."""
        system = any(dest == d or dest.startswith(d + "/") for d in SYSTEM_DIRS)
        return system and self.covers(dest)

    def apply_bwrap(self, args: list[str]) -> list[str]:
        """bwrap's arguments with the template's directories in place of the system
        directories they cover (``args``: bwrap's options up to its system binds)."""
        out: list[str] = []
        i = 0
        while i < len(args):
            opt = args[i]
            n = _BWRAP_ARITY.get(opt, 0)
            group = args[i : i + 1 + n]
            i += 1 + n
            if opt in _BWRAP_MOUNTS and self._replaces(group[-1]):
                continue
            out += group
        for host, dest in self.dirs:
            out += ["--bind", host, dest]
        return out

    def apply_oci(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An OCI spec with the template's directories in place of the system directories
        they cover; an image's root becomes the spec's (writable) root."""
        mounts = spec.get("mounts", [])
        kept = [m for m in mounts
                if not (m.get("type") == "bind" and self._replaces(m["destination"]))]  # fmt: skip
        at = next((i for i, m in enumerate(kept) if m.get("type") == "bind"), len(kept))
        ours = [
            {"destination": dest, "type": "bind", "source": host, "options": ["rbind", "rw"]}
            for host, dest in self.dirs
            if dest != "/"
        ]
        if self.full and self.root is not None and self.skeleton is not None:
            # gVisor: a read-only skeleton as the root (runsc's own root overlay would keep
            # changes in the Sentry for one run only), each of the image's top-level
            # directories bound from the overlay
            spec["root"] = {"path": self.skeleton, "readonly": True}
            for name in sorted(os.listdir(self.root)):
                host = os.path.join(self.root, name)
                if f"/{name}" in _TIER_MOUNTS or os.path.islink(host) or \
                        not os.path.isdir(host):  # fmt: skip
                    continue
                ours.append({"destination": f"/{name}", "type": "bind", "source": host,
                             "options": ["rbind", "rw"]})  # fmt: skip
            args = spec.get("process", {}).get("args") or []
            if args[:1] == ["/usr/bin/python3"] and "/run/corral/bridge.py" in args:
                # corral's own network bridge runs on the host's Python, not the image's
                loader = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
                libs = os.path.dirname(loader)
                if loader.startswith("/usr/") and os.path.exists(loader):
                    ours.append({"destination": HOST_USR, "type": "bind", "source": "/usr",
                                 "options": ["rbind", "ro"]})  # fmt: skip
                    moved = HOST_USR + loader[len("/usr") :]
                    spec["process"]["args"] = [
                        moved, "--library-path", HOST_USR + libs[len("/usr") :],
                        HOST_USR + "/bin/python3", *args[1:],
                    ]  # fmt: skip
        spec["mounts"] = kept[:at] + ours + kept[at:]
        return spec

    def host_path(self, path: str) -> str | None:
        """The host path of a sandbox path that lies in a template directory."""
        for host, dest in self.dirs:
            if dest == "/":
                return host + path if path.startswith("/") else None
            if path == dest or path.startswith(dest + "/"):
                return host + path[len(dest) :]
        return None

    def covers(self, path: str) -> bool:
        return self.host_path(path) is not None

    def close(self) -> None:
        """Unmount (lazily: a process still inside keeps its view until it ends)."""
        while self._mounts:
            _umount(self._mounts.pop())
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def rootfs_for(
    template: str | Template | BuildLayer | None,
    state_dir: Path,
    uid: int,
    gid: int,
    *,
    size_bytes: int | None = None,
) -> RootFs | None:
    """Mount the root filesystem of ``template`` for one sandbox under ``state_dir``: its
    files appear owned by host ``uid``/``gid`` (the sandbox's user), its changes go to a
    private tmpfs of ``size_bytes`` (a build: into the new template's base). ``None``
    when there is no template. Close the result before removing ``state_dir``."""
    if template is None:
        return None
    if os.geteuid() != 0:
        raise TemplateError(
            "templates need corral to run as root (overlayfs over idmapped read-only layers)"
        )
    if uid == 0 or gid == 0:
        raise TemplateError("a template's files are never shown as owned by host root")
    lock: NameLock | None = None
    if isinstance(template, str):
        template = get(template)
    if isinstance(template, Template):
        lock = NameLock(template.name, shared=True)  # no removal while mounted
        if not template.base.is_dir():
            lock.release()
            raise TemplateError(f"template {template.name!r} has no base directory")
    sweep_stale()
    top = state_dir / "template"
    top.mkdir(mode=0o755)
    (top / "owner").write_text(_owner_stamp(os.getpid()))  # before any mount: see sweep_stale
    rfs = RootFs(full=isinstance(template, Template) and template.full_root, dirs=[],
                 template=template.name if isinstance(template, Template) else None,
                 _lock=lock)  # fmt: skip
    try:
        with _userns(uid, gid) as ns:
            _mount_all(rfs, template, top, ns, uid, gid, size_bytes)
    except BaseException:
        rfs.close()
        raise
    return rfs


def _mount_all(
    rfs: RootFs,
    template: Template | BuildLayer,
    top: Path,
    ns: int,
    uid: int,
    gid: int,
    size_bytes: int | None,
) -> None:
    lower_dir = top / "lower"
    lower_dir.mkdir(mode=0o700)
    if isinstance(template, BuildLayer):
        rw = None
    else:
        rw = top / "rw"
        rw.mkdir(mode=0o700)
        opts = "mode=0700" + (f",size={max(size_bytes, 1 << 20)}" if size_bytes else "")
        _mount(b"corral-template", rw, b"tmpfs", MS_NOSUID | MS_NODEV, opts)
        rfs._mounts.append(str(rw))
    if isinstance(template, Template) and template.full_root:
        plan = [("/", [template.base])]
    elif isinstance(template, Template):
        plan = [(f"/{d}", [template.base / d] if (template.base / d).is_dir() else [])
                for d in SCRIPT_DIRS]  # fmt: skip
    else:
        plan = [(f"/{d}", []) for d in template.dirs]
    n = 0
    for dest, layers in plan:
        if dest == "/usr":
            layers = [*layers, Path("/usr")]  # the tier's own /usr beneath the template's
        key = "root" if dest == "/" else dest.strip("/").replace("/", "-")
        if isinstance(template, BuildLayer):
            upper, work = template.base / key, template.work / key
            upper.mkdir(mode=0o755, exist_ok=True)
            work.mkdir(parents=True, exist_ok=True)
        else:
            assert rw is not None
            upper, work = rw / "upper" / key, rw / "work" / key
            upper.mkdir(parents=True)
            work.mkdir(parents=True)
        os.chown(upper, uid, gid)
        lowers: list[str] = []
        for layer in layers:
            n += 1
            target = lower_dir / str(n)
            target.mkdir()
            _idmapped(layer, target, ns)
            lowers.append(str(target))
        if not lowers:  # overlayfs needs a lower layer: an empty one
            empty = lower_dir / "empty"
            empty.mkdir(exist_ok=True)
            lowers.append(str(empty))
        merged = top / "m" / key
        merged.mkdir(parents=True)
        opts = f"lowerdir={':'.join(lowers)},upperdir={upper},workdir={work}"
        try:
            _mount(b"corral-template", merged, b"overlay", MS_NOSUID | MS_NODEV, opts)
        finally:
            for low in lowers:  # the overlay holds its own references
                if low != str(lower_dir / "empty"):
                    _umount(low)
        rfs._mounts.insert(0, str(merged))
        rfs.dirs.append((str(merged), dest))
        if dest == "/":
            _mount_points(merged, uid, gid)
            _skeleton(merged, top / "skel")
            rfs.skeleton = str(top / "skel")


def _mount_points(root: Path, uid: int, gid: int) -> None:
    """Mount points the tiers put over an image's root (made in the private upper layer;
    an existing symlink there is replaced, never followed)."""
    for rel in ("proc", "dev", "tmp", "workspace", "run", "run/corral", "run/corral-host",
                "run/corral-host/usr", "etc", "root"):
        p = root / rel
        try:
            st: os.stat_result | None = os.lstat(p)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            os.unlink(p)
            st = None
        if st is None:
            os.mkdir(p, 0o755)
            os.lchown(p, uid, gid)


def _skeleton(root: Path, skel: Path) -> None:
    """An image root's top level as mount points and symlinks (gVisor's read-only root)."""
    skel.mkdir(mode=0o755)
    for name in os.listdir(root):
        host = root / name
        if host.is_symlink():
            os.symlink(os.readlink(host), skel / name)
        elif host.is_dir():
            (skel / name).mkdir(mode=0o755)
    for rel in _TIER_MOUNTS:
        (skel / rel.lstrip("/")).mkdir(mode=0o755, exist_ok=True)


@contextlib.contextmanager
def _userns(uid: int, gid: int):  # type: ignore[no-untyped-def]
    """A user namespace mapping 0 to host ``uid``/``gid`` (only that), for idmapped
    mounts; its file descriptor. The namespace is a forked child's, stopped (SIGSTOP) until
    the descriptor is open, then killed: no pipe, so children forked at the same time by
    other threads cannot hold each other's ends open."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only stops
        try:
            if _libc.unshare(CLONE_NEWUSER) == 0:
                os.kill(os.getpid(), signal.SIGSTOP)
        finally:
            os._exit(0)
    fd = -1
    try:
        _, status = os.waitpid(pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            pid = 0  # reaped
            raise TemplateError("could not make a user namespace for the template's mounts")
        with open(f"/proc/{pid}/uid_map", "w") as f:
            f.write(f"0 {uid} 1\n")
        with open(f"/proc/{pid}/setgroups", "w") as f:
            f.write("deny")
        with open(f"/proc/{pid}/gid_map", "w") as f:
            f.write(f"0 {gid} 1\n")
        fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        yield fd
    finally:
        if fd >= 0:
            os.close(fd)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _idmapped(src: Path, target: Path, ns: int) -> None:
    """Mount a read-only, idmapped (``ns``) clone of ``src`` at ``target``."""
    fd = _libc.syscall(SYS_OPEN_TREE, AT_FDCWD, os.fsencode(src),
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)  # fmt: skip
    if fd < 0:
        e = ctypes.get_errno()
        raise TemplateError(f"cannot open {src} for an idmapped mount: {os.strerror(e)}")
    try:
        attr = _MountAttr(MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                          | MOUNT_ATTR_NODEV, 0, 0, ns)  # fmt: skip
        if _libc.syscall(SYS_MOUNT_SETATTR, fd, b"", AT_EMPTY_PATH | AT_RECURSIVE,
                         ctypes.byref(attr), ctypes.sizeof(attr)) != 0:  # fmt: skip
            e = ctypes.get_errno()
            raise TemplateError(
                f"idmapped mounts do not work for {src} here ({os.strerror(e)}); templates "
                "need Linux >= 5.19 and a filesystem that supports them"
            )
        if _libc.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, os.fsencode(target),
                         MOVE_MOUNT_F_EMPTY_PATH) != 0:  # fmt: skip
            e = ctypes.get_errno()
            raise TemplateError(f"cannot attach the idmapped mount of {src}: {os.strerror(e)}")
    finally:
        os.close(fd)


def _mount(source: bytes, target: Path, fstype: bytes, flags: int, data: str) -> None:
    if _libc.mount(source, os.fsencode(target), fstype, flags, data.encode()) != 0:
        e = ctypes.get_errno()
        raise TemplateError(f"cannot mount {fstype.decode()} at {target}: {os.strerror(e)}")


def _umount(path: str) -> None:
    _libc.umount2(os.fsencode(path), MNT_DETACH)


def probe() -> tuple[bool, str]:
    """Whether overlayfs over an idmapped lower layer works here (``corral doctor``)."""
    import tempfile

    if os.geteuid() != 0:
        return False, "needs root (corral mounts overlayfs over idmapped layers)"
    top = Path(tempfile.mkdtemp(prefix="corral-tplprobe-"))
    try:
        (top / "base").mkdir()
        (top / "base" / "f").write_text("x")
        layer = BuildLayer(base=top / "upper", work=top / "work", dirs=("opt",))
        layer.base.mkdir()
        layer.work.mkdir()
        (top / "state").mkdir()
        rfs = rootfs_for(layer, top / "state", 65534, 65534)
        assert rfs is not None
        try:
            merged = rfs.dirs[0][0]
            Path(merged, "probe").write_text("ok")
        finally:
            rfs.close()
        if not (layer.base / "opt" / "probe").exists():
            return False, "overlay writes did not reach the upper layer"
        return True, "overlayfs over idmapped read-only layers works"
    except (OSError, TemplateError) as e:
        return False, str(e)
    finally:
        unmount_under(top)

        remove_tree(top, ignore_errors=True)


def _owner_stamp(pid: int) -> str:
    """``pid`` and its start time (a recycled pid has another)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            start = f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        start = "?"
    return f"{pid} {start}"


def sweep_stale() -> None:
    """Unmount and remove what sandboxes of a process that died without closing them (a
    SIGKILL) left: template mounts whose ``owner`` stamp names no live process."""
    try:
        with open("/proc/self/mountinfo", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    tops: set[str] = set()
    for line in lines:
        left, _, right = line.partition(b" - ")
        fields, rfields = left.split(b" "), right.split(b" ")
        if len(fields) > 4 and len(rfields) > 1 and rfields[1] == b"corral-template":
            mp = fields[4].decode("unicode_escape", "replace")
            head, sep, _ = mp.partition("/template/")
            if sep:
                tops.add(head + "/template")
    for top in tops:
        try:
            stamp = Path(top, "owner").read_text()
        except OSError:
            stamp = ""
        pid = stamp.split()[0] if stamp.split() else ""
        if pid.isdigit() and _owner_stamp(int(pid)) == stamp:
            continue  # its process lives
        unmount_under(Path(top))
        stage = Path(top).parent
        if stage.name.startswith(("corral-bwrap-", "corral-gvisor-")):

            remove_tree(stage, ignore_errors=True)


def unmount_under(path: Path) -> None:
    """Lazily unmount every mount at or below ``path`` (deepest first)."""
    try:
        real = os.path.realpath(path)
        with open("/proc/self/mountinfo", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    points = []
    for line in lines:
        parts = line.split(b" ")
        if len(parts) > 4:
            mp = parts[4].decode("unicode_escape", "replace")
            if mp == real or mp.startswith(real.rstrip("/") + "/"):
                points.append(mp)
    for mp in sorted(points, key=len, reverse=True):
        _umount(mp)

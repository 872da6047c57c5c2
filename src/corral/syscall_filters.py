"""Seccomp filters for the native tiers.

Two filters guard a bubblewrap sandbox:

* the **deny filter** (:func:`deny_filter_bpf`), built with libseccomp and handed to
  ``bwrap --seccomp FD``: it refuses (``EPERM``) the system calls of the Docker/Podman
  default-deny list (ptrace, mount, kexec, bpf, keyctl, new namespaces, raw sockets, ...)
  and every system call made through a foreign ABI (32-bit ``int 0x80``, x32);
* the **notify filter** (:func:`notify_filter_bpf`), a few hand-written BPF instructions
  installed with ``SECCOMP_FILTER_FLAG_NEW_LISTENER`` just before ``bwrap`` runs: every
  ``execve``/``execveat`` (and ``connect`` when asked) of every process in the sandbox
  stops in the kernel until the host supervisor (:mod:`corral.native.monitor`) answers.

libseccomp is reached through the first of: the Python binding ``seccomp`` (Debian
``python3-seccomp``) when importable, ``pyseccomp`` (PyPI), Debian's compiled binding
loaded from ``/usr/lib/python3/dist-packages`` when the interpreter's ABI matches, or a
small ctypes binding over ``libseccomp.so.2`` (Debian ``libseccomp2``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import glob
import importlib.util
import os
import platform
import struct
import sys
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "DENIED_SYSCALLS",
    "UNSUPPORTED_SYSCALLS",
    "SeccompUnavailable",
    "binding_name",
    "deny_filter_bpf",
    "install_listener",
    "notify_filter_bpf",
]


class SeccompUnavailable(RuntimeError):
    """No way to build a seccomp filter on this machine."""


# --------------------------------------------------------------------------- constants

SECCOMP_RET_KILL_PROCESS: Final = 0x80000000
SECCOMP_RET_ERRNO: Final = 0x00050000
SECCOMP_RET_USER_NOTIF: Final = 0x7FC00000
SECCOMP_RET_ALLOW: Final = 0x7FFF0000
SECCOMP_SET_MODE_FILTER: Final = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER: Final = 1 << 3
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: Final = 1 << 5
PR_SET_NO_NEW_PRIVS: Final = 38

AUDIT_ARCH_X86_64: Final = 0xC000003E
AUDIT_ARCH_AARCH64: Final = 0xC00000B7
X32_SYSCALL_BIT: Final = 0x40000000

#: (audit arch, execve, execveat, connect, seccomp syscall number) per machine
_ARCH: Final = {
    "x86_64": (AUDIT_ARCH_X86_64, 59, 322, 42, 317),
    "aarch64": (AUDIT_ARCH_AARCH64, 221, 281, 203, 277),
}

CLONE_NEWNS: Final = 0x00020000
CLONE_NEWCGROUP: Final = 0x02000000
CLONE_NEWUTS: Final = 0x04000000
CLONE_NEWIPC: Final = 0x08000000
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWPID: Final = 0x20000000
CLONE_NEWNET: Final = 0x40000000
CLONE_NEWTIME: Final = 0x00000080
_NS_FLAGS: Final = (
    CLONE_NEWNS,
    CLONE_NEWCGROUP,
    CLONE_NEWUTS,
    CLONE_NEWIPC,
    CLONE_NEWUSER,
    CLONE_NEWPID,
    CLONE_NEWNET,
)

#: Refused outright (EPERM). The Docker/Podman default profile's deny list, plus the
#: new mount API and io_uring (which bypasses seccomp for the operations it queues).
DENIED_SYSCALLS: Final = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount", "umount2", "pivot_root", "chroot",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "kexec_load", "kexec_file_load", "reboot",
    "bpf", "perf_event_open", "lookup_dcookie", "fanotify_init",
    "keyctl", "add_key", "request_key",
    "userfaultfd", "unshare", "setns",
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "nfsservctl",
    "iopl", "ioperm", "vm86", "vm86old",
    "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
    "clock_adjtime64", "adjtimex",
    "open_by_handle_at", "name_to_handle_at",
    "syslog", "vhangup", "uselib", "ustat", "sysfs", "_sysctl",
    "mbind", "set_mempolicy", "get_mempolicy", "move_pages", "migrate_pages",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "memfd_secret",
)  # fmt: skip

#: Answered "not supported" (EOPNOTSUPP), so programs fall back to what they do without:
#: ``fallocate`` reserves gigabytes in a millisecond, far faster than the disk poll looks
#: (six 3 GB files in 0.6 s went 8 GB past a 10 GB budget); without it space is taken by
#: writing, at the disk's speed (glibc's ``posix_fallocate`` writes, ``cp`` and ``dd`` do
#: not need it).
UNSUPPORTED_SYSCALLS: Final = ("fallocate",)

AF_INET: Final = 2
AF_INET6: Final = 10
AF_PACKET: Final = 17
SOCK_RAW: Final = 3
SOCK_PACKET: Final = 10
TIOCSTI: Final = 0x5412
TIOCLINUX: Final = 0x541C


# --------------------------------------------------------------------------- libseccomp


class _CtypesSeccomp:
    """The few libseccomp calls corral needs, over ``libseccomp.so.2`` with ctypes.

    Mirrors the names of the official binding (``SyscallFilter``, ``Arg``, ``ERRNO``...).
    """

    NE, LT, LE, EQ, GE, GT, MASKED_EQ = range(1, 8)
    ALLOW = SECCOMP_RET_ALLOW
    KILL_PROCESS = SECCOMP_RET_KILL_PROCESS

    class _ArgCmp(ctypes.Structure):
        _fields_ = (
            ("arg", ctypes.c_uint),
            ("op", ctypes.c_int),
            ("datum_a", ctypes.c_uint64),
            ("datum_b", ctypes.c_uint64),
        )

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = (ctypes.c_uint32,)
        lib.seccomp_release.argtypes = (ctypes.c_void_p,)
        lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
        lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
        lib.seccomp_rule_add_array.argtypes = (
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_void_p,
        )
        lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
        lib.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
        outer = self

        class Arg:
            def __init__(self, arg: int, op: int, a: int, b: int = 0) -> None:
                self.cmp = outer._ArgCmp(arg, op, a, b)

        class SyscallFilter:
            def __init__(self, defaction: int) -> None:
                self.ctx = lib.seccomp_init(defaction)
                if not self.ctx:
                    raise SeccompUnavailable("seccomp_init failed")

            def __del__(self) -> None:
                if getattr(self, "ctx", None):
                    lib.seccomp_release(self.ctx)
                    self.ctx = None

            def set_attr(self, attr: int, value: int) -> None:
                rc = lib.seccomp_attr_set(self.ctx, attr, value)
                if rc < 0:
                    raise OSError(-rc, f"seccomp_attr_set({attr})")

            def add_rule(self, action: int, name: str, *args: Any) -> None:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                if nr < 0:
                    raise ValueError(f"unknown syscall {name}")
                arr = (outer._ArgCmp * max(len(args), 1))(*[a.cmp for a in args])
                rc = lib.seccomp_rule_add_array(self.ctx, action, nr, len(args), arr)
                if rc < 0:
                    raise OSError(-rc, f"seccomp_rule_add({name})")

            def export_bpf(self, fileobj: Any) -> None:
                fileobj.flush()
                rc = lib.seccomp_export_bpf(self.ctx, fileobj.fileno())
                if rc < 0:
                    raise OSError(-rc, "seccomp_export_bpf")

        self.Arg = Arg
        self.SyscallFilter = SyscallFilter

    @staticmethod
    def ERRNO(code: int) -> int:
        return SECCOMP_RET_ERRNO | (code & 0xFFFF)


def _debian_binding() -> Any | None:
    """Debian's ``python3-seccomp`` extension, when this interpreter can load it."""
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    for path in sorted(glob.glob("/usr/lib/python3/dist-packages/seccomp.*.so")):
        if tag not in os.path.basename(path):
            continue
        try:
            spec = importlib.util.spec_from_file_location("seccomp", path)
            if spec is None or spec.loader is None:
                continue
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
        except Exception:
            continue
    return None


@lru_cache(maxsize=1)
def _binding() -> tuple[str, Any]:
    forced = os.environ.get("CORRAL_SECCOMP_BINDING", "")
    candidates: list[str] = (
        [forced] if forced else ["seccomp", "pyseccomp", "debian-seccomp", "ctypes"]
    )
    for name in candidates:
        try:
            if name in ("seccomp", "pyseccomp"):
                mod = importlib.import_module(name)
                if hasattr(mod, "SyscallFilter"):
                    return name, mod
            elif name == "debian-seccomp":
                mod = _debian_binding()
                if mod is not None:
                    return name, mod
            elif name == "ctypes":
                libname = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
                return name, _CtypesSeccomp(ctypes.CDLL(libname, use_errno=True))
        except Exception:
            continue
    raise SeccompUnavailable(
        "no libseccomp found: install it with `apt-get install libseccomp2 python3-seccomp` "
        "(or `pip install pyseccomp`)"
    )


def binding_name() -> str:
    """Which libseccomp binding builds the filters (raises :class:`SeccompUnavailable`)."""
    return _binding()[0]


@lru_cache(maxsize=4)
def deny_filter_bpf(binding: str | None = None) -> bytes:
    """The deny filter as a raw BPF program (``struct sock_filter[]``) for ``bwrap --seccomp``."""
    name, sc = _binding() if binding is None else _named(binding)
    eperm = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    try:  # foreign ABIs (int 0x80, x32) are refused rather than killing the process
        attr = getattr(getattr(sc, "Attr", None), "ACT_BADARCH", 2)
        f.set_attr(attr, eperm)
    except Exception:
        pass
    for call in DENIED_SYSCALLS:
        _try_rule(f, eperm, call)
    for call in UNSUPPORTED_SYSCALLS:
        _try_rule(f, sc.ERRNO(errno.EOPNOTSUPP), call)
    for flag in _NS_FLAGS:
        _try_rule(f, eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    _try_rule(f, sc.ERRNO(errno.ENOSYS), "clone3")  # flags hidden in memory: libc falls back
    _try_rule(f, eperm, "socket", sc.Arg(0, sc.EQ, AF_PACKET))
    for fam in (AF_INET, AF_INET6):
        for kind in (SOCK_RAW, SOCK_PACKET):
            _try_rule(f, eperm, "socket", sc.Arg(0, sc.EQ, fam), sc.Arg(1, sc.MASKED_EQ, 0xF, kind))
    for req in (TIOCSTI, TIOCLINUX):
        _try_rule(f, eperm, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, req))
    r, w = os.pipe()
    try:
        with os.fdopen(w, "wb", closefd=True) as out:
            f.export_bpf(out)
        chunks = []
        while True:
            c = os.read(r, 65536)
            if not c:
                break
            chunks.append(c)
    finally:
        os.close(r)
    prog = b"".join(chunks)
    if not prog or len(prog) % 8:
        raise SeccompUnavailable(f"libseccomp ({name}) exported an invalid filter")
    return prog


def _named(binding: str) -> tuple[str, Any]:
    old = os.environ.get("CORRAL_SECCOMP_BINDING")
    os.environ["CORRAL_SECCOMP_BINDING"] = binding
    try:
        _binding.cache_clear()
        return _binding()
    finally:
        if old is None:
            os.environ.pop("CORRAL_SECCOMP_BINDING", None)
        else:
            os.environ["CORRAL_SECCOMP_BINDING"] = old
        _binding.cache_clear()


def _try_rule(f: Any, action: int, call: str, *args: Any) -> None:
    with contextlib.suppress(ValueError, RuntimeError, OSError):  # not on this architecture
        f.add_rule(action, call, *args)


# --------------------------------------------------------------------------- notify filter


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


_LD_W_ABS: Final = 0x20
_JEQ_K: Final = 0x15
_JGE_K: Final = 0x35
_RET_K: Final = 0x06


def arch_numbers() -> tuple[int, int, int, int, int]:
    machine = platform.machine()
    if machine not in _ARCH:
        raise SeccompUnavailable(f"process monitoring is not supported on {machine}")
    return _ARCH[machine]


def notify_filter_bpf(*, connect: bool = True) -> bytes:
    """BPF: execve/execveat (and connect) -> USER_NOTIF, foreign ABIs -> EPERM, rest allowed."""
    arch, execve, execveat, conn, _ = arch_numbers()
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    watched = [execve, execveat] + ([conn] if connect else [])
    prog = [
        _insn(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        _insn(_JEQ_K, 1, 0, arch),
        _insn(_RET_K, 0, 0, eperm),
        _insn(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if arch == AUDIT_ARCH_X86_64:
        prog += [_insn(_JGE_K, 0, 1, X32_SYSCALL_BIT), _insn(_RET_K, 0, 0, eperm)]
    n = len(watched)
    for i, nr in enumerate(watched):
        # jump to the NOTIFY return (after the remaining compares and the ALLOW return)
        prog.append(_insn(_JEQ_K, n - i, 0, nr))
    prog += [_insn(_RET_K, 0, 0, SECCOMP_RET_ALLOW), _insn(_RET_K, 0, 0, SECCOMP_RET_USER_NOTIF)]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = (
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
)


class PreparedFilter:
    """A BPF program held in C memory, ready to install after ``fork()`` without allocating."""

    def __init__(self, prog: bytes) -> None:
        self.buf = ctypes.create_string_buffer(prog, len(prog))
        self.fprog = _SockFprog(len(prog) // 8, ctypes.addressof(self.buf))
        self.nr_seccomp = arch_numbers()[4]
        #: installed with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
        self.wait_killable = False

    def install_listener(self) -> int:
        """Set no_new_privs and install the filter; returns the listener fd (or -errno)."""
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return -ctypes.get_errno()
        # a start the supervisor has received waits for its answer unwakeable but by
        # SIGKILL (Linux >= 5.19), so the supervisor may queue a SIGSTOP for after the exec
        for flags in (
            SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
            SECCOMP_FILTER_FLAG_NEW_LISTENER,
        ):
            fd = _libc.syscall(
                ctypes.c_long(self.nr_seccomp),
                ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                ctypes.c_long(flags),
                ctypes.byref(self.fprog),
            )
            if fd >= 0:
                self.wait_killable = bool(flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                return int(fd)
            if ctypes.get_errno() != errno.EINVAL:
                break
        return -ctypes.get_errno()


def install_listener(prog: bytes) -> int:
    """Install ``prog`` on the calling thread with a listener; returns the listener fd."""
    fd = PreparedFilter(prog).install_listener()
    if fd < 0:
        raise OSError(-fd, os.strerror(-fd))
    return fd


def denied(names: Iterable[str]) -> list[str]:
    """The subset of ``names`` that the deny filter refuses (for docs and doctor)."""
    s = set(DENIED_SYSCALLS)
    return [n for n in names if n in s]

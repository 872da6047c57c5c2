"""Landlock: the kernel's own file and socket walls for an unprivileged process.

A process calls :func:`restrict` once; from then on the kernel refuses it (and every
thread and child it makes) any file access outside the paths it listed, any TCP bind or
connect (ABI 4+), signals to processes outside its domain and connections to abstract
Unix sockets made outside it (ABI 6+). It cannot be undone. Python has no binding, so
the three system calls are made through ctypes.

    from corral import landlock
    report = landlock.restrict(rw=["/tmp/ws"], ro=["/usr/lib/python3.11"])
    report.fs, report.tcp, report.scoped   # what the kernel enforces from now on

Where Landlock is missing (an old kernel, or disabled with ``lsm=``), :func:`status`
says why and :func:`restrict` returns a report with ``abi == 0``: the caller decides
whether to go on with its other walls.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from dataclasses import asdict, dataclass
from typing import Any, Final

# The syscall numbers are shared by every architecture that has them (x86_64, aarch64...).
_SYS_CREATE_RULESET: Final = 444
_SYS_ADD_RULE: Final = 445
_SYS_RESTRICT_SELF: Final = 446
_CREATE_RULESET_VERSION: Final = 1
_RULE_PATH_BENEATH: Final = 1
_PR_SET_NO_NEW_PRIVS: Final = 38

# filesystem rights, by the ABI that introduced them
FS_EXECUTE: Final = 1 << 0
FS_WRITE_FILE: Final = 1 << 1
FS_READ_FILE: Final = 1 << 2
FS_READ_DIR: Final = 1 << 3
FS_REMOVE_DIR: Final = 1 << 4
FS_REMOVE_FILE: Final = 1 << 5
FS_MAKE_CHAR: Final = 1 << 6
FS_MAKE_DIR: Final = 1 << 7
FS_MAKE_REG: Final = 1 << 8
FS_MAKE_SOCK: Final = 1 << 9
FS_MAKE_FIFO: Final = 1 << 10
FS_MAKE_BLOCK: Final = 1 << 11
FS_MAKE_SYM: Final = 1 << 12
FS_REFER: Final = 1 << 13  # ABI 2
FS_TRUNCATE: Final = 1 << 14  # ABI 3
FS_IOCTL_DEV: Final = 1 << 15  # ABI 5
NET_BIND_TCP: Final = 1 << 0  # ABI 4
NET_CONNECT_TCP: Final = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET: Final = 1 << 0  # ABI 6
SCOPE_SIGNAL: Final = 1 << 1

#: rights that apply to a file (a rule on a non-directory may hold only these)
_FILE_RIGHTS: Final = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ: Final = FS_READ_FILE | FS_READ_DIR
#: a read-write tree, without executing, device nodes, sockets or device ioctls
READ_WRITE: Final = (
    READ
    | FS_WRITE_FILE
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_FIFO
    | FS_MAKE_SYM
    | FS_REFER
    | FS_TRUNCATE
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


@dataclass(frozen=True)
class Report:
    """What :func:`restrict` put in force (``abi == 0``: nothing, see ``reason``)."""

    abi: int
    fs: bool = False
    tcp: bool = False
    scoped: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _handled_fs(abi: int) -> int:
    bits = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        bits |= FS_REFER
    if abi >= 3:
        bits |= FS_TRUNCATE
    if abi >= 5:
        bits |= FS_IOCTL_DEV
    return bits


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is not available."""
    v = _libc.syscall(
        ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )  # fmt: skip
    return int(v) if v > 0 else 0


def status() -> tuple[int, str]:
    """(ABI version, a sentence for people): for ``corral doctor`` and events."""
    v = _libc.syscall(
        ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )  # fmt: skip
    if v > 0:
        extra = []
        if v >= 4:
            extra.append("TCP bind/connect")
        if v >= 6:
            extra.append("signal and abstract-socket scoping")
        more = f" and {', '.join(extra)}" if extra else ""
        return int(v), f"Landlock ABI {v}: file access{more} enforced by the kernel"
    err = ctypes.get_errno()
    if err == errno.ENOSYS:
        why = "this kernel has no Landlock (Linux 5.13+ with CONFIG_SECURITY_LANDLOCK)"
    elif err == errno.EOPNOTSUPP:
        why = "Landlock is built in but disabled (add 'landlock' to the lsm= boot parameter)"
    else:
        why = f"Landlock is unavailable ({os.strerror(err)})"
    return 0, why


def restrict(
    *,
    rw: list[str] = (),  # type: ignore[assignment]
    ro: list[str] = (),  # type: ignore[assignment]
    rw_files: list[str] = (),  # type: ignore[assignment]
    deny_tcp: bool = True,
    scope: bool = True,
) -> Report:
    """Confine the calling process for good: read-write under ``rw``, read-only under
    ``ro``, read-write on the single files ``rw_files`` (e.g. ``/dev/null``); nothing
    else, no program execution, no TCP (``deny_tcp``), no signals or abstract Unix
    sockets out of the domain (``scope``). Paths that do not exist are skipped.

    Raises ``OSError`` when Landlock exists but refuses the rules (a bug to report);
    returns ``Report(abi=0, reason=...)`` when there is no Landlock at all.
    """
    abi, why = status()
    if abi == 0:
        return Report(abi=0, reason=why)
    handled_fs = _handled_fs(abi)
    handled_net = (NET_BIND_TCP | NET_CONNECT_TCP) if deny_tcp and abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if scope and abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("=Q", handled_fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _libc.syscall(
        ctypes.c_long(_SYS_CREATE_RULESET), buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"landlock_create_ruleset: {os.strerror(e)}")
    try:
        for paths, access in ((rw, READ_WRITE), (ro, READ), (rw_files, None)):
            for path in paths:
                _add_path(int(ruleset), path, access, handled_fs)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(e)}")
        if _libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(ruleset), 0) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"landlock_restrict_self: {os.strerror(e)}")
    finally:
        os.close(int(ruleset))
    return Report(abi=abi, fs=True, tcp=bool(handled_net), scoped=bool(scoped), reason=why)


def _add_path(ruleset: int, path: str, access: int | None, handled_fs: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        is_dir = os.path.isdir(f"/proc/self/fd/{fd}")
        if access is None:  # a single file, read-write
            access = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE
        if not is_dir:
            access &= _FILE_RIGHTS
        rule = struct.pack("=Qi", access & handled_fs, fd)
        buf = ctypes.create_string_buffer(rule, len(rule))
        kind = ctypes.c_int(_RULE_PATH_BENEATH)
        rc = _libc.syscall(
            ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset), kind, buf, ctypes.c_uint32(0)
        )
        if rc != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"landlock_add_rule({path}): {os.strerror(e)}")
    finally:
        os.close(fd)

"""Exceptions raised by corral's host-side API.

Every error a user can cause has its own class and a message that says what is
wrong and, where there is one, how to fix it.
"""

from __future__ import annotations


class CorralError(Exception):
    """Base class of every error corral raises on purpose."""


class RuntimeNotInstalled(CorralError):
    """A guest runtime (python.wasm, quickjs.wasm) is not in the cache."""


class RuntimeCorrupted(CorralError):
    """A guest runtime file exists but its checksum does not match the pinned one."""


class RuntimeInstallError(CorralError):
    """Downloading or extracting the runtime wheel failed."""


class UnknownBackend(CorralError, ValueError):
    """A sandbox was asked for a tier corral does not have."""


class SandboxClosed(CorralError):
    """The sandbox was used after `close()`."""


class PathEscape(CorralError, PermissionError):
    """A path given to the files API would leave the sandbox directory."""


class DiskQuotaExceeded(CorralError, OSError):
    """A write through the files API would exceed the sandbox's disk budget."""


class FileTooLarge(CorralError, OSError):
    """A file read through the files API is larger than the read's bound (a sandboxed
    program can make a terabyte-sized sparse file in a moment)."""


class ToolError(CorralError):
    """A tool could not be registered or called."""


class GuestStartError(CorralError):
    """A guest interpreter did not come up (its stderr tail is in the message)."""


class SessionStopped(CorralError):
    """The monitor killed or paused this sandbox session; the message says why."""

"""Native isolation tiers: real Linux programs in bubblewrap or gVisor sandboxes.

* :class:`BwrapBackend` (``bwrap``): namespaces, a seccomp deny filter, cgroups/rlimits,
  process-level monitoring (every ``execve`` decided by the gate before it runs).
* :class:`GvisorBackend` (``gvisor``): gVisor's user-space kernel via an OCI bundle.
* :class:`EgressProxy`: the only way out, every connection decided and metered.
* :func:`doctor`: what is missing, and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import BackendUnavailable, NativeLimits
from .doctor import Check, doctor

if TYPE_CHECKING:
    from .bwrap import BwrapBackend
    from .gvisor import GvisorBackend
    from .proxy import EgressProxy

#: the tiers are loaded on first use (the shell worker needs only ``filters``)
_LAZY = {"BwrapBackend": ".bwrap", "GvisorBackend": ".gvisor", "EgressProxy": ".proxy"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "BackendUnavailable",
    "BwrapBackend",
    "Check",
    "EgressProxy",
    "GvisorBackend",
    "NativeLimits",
    "doctor",
]

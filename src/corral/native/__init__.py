"""Native isolation tiers: real Linux programs in bubblewrap or gVisor sandboxes.

* :class:`BwrapBackend` (``bwrap``): namespaces, a seccomp deny filter, cgroups/rlimits,
  process-level monitoring (every ``execve`` decided by the gate before it runs).
* :class:`GvisorBackend` (``gvisor``): gVisor's user-space kernel via an OCI bundle.
* :class:`EgressProxy`: the only way out, every connection decided and metered.
* :func:`doctor`: what is missing, and the fix.
"""

from __future__ import annotations

from ._common import BackendUnavailable, NativeLimits
from .bwrap import BwrapBackend
from .doctor import Check, doctor
from .gvisor import GvisorBackend
from .proxy import EgressProxy

__all__ = [
    "BackendUnavailable",
    "BwrapBackend",
    "Check",
    "EgressProxy",
    "GvisorBackend",
    "NativeLimits",
    "doctor",
]

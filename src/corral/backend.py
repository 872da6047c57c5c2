"""The one protocol every isolation tier implements, and the table that finds a tier.

:class:`~corral.Sandbox` is the orchestrator: it decides (policy, approvals, monitor),
keeps the budgets and emits the events; where a command runs is the tier's business.
It reaches a tier only through :func:`backend_class` and this protocol, so it imports no
tier, and a tier imports this module, never ``sandbox.py``.

Every tier is built with the same arguments (``workspace``, ``budget``, and the keyword
arguments below) and runs a command (a bash script as a ``str``, or an argv list run
without a shell) to a :class:`~corral.RunResult`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .budget import Budget, RunResult
from .errors import UnknownBackend

#: ``on_output(stream, text)``: output of a running call as it is written
#: (``stream`` is ``"stdout"`` or ``"stderr"``)
OnOutput = Callable[[str, str], None]

#: tier name -> "module:class"; the module is imported on first use only
TIERS: dict[str, str] = {
    "wasm": "corral.wasm.backend:WasmBackend",
    "bwrap": "corral.native.bwrap:BwrapBackend",
    "gvisor": "corral.native.gvisor:GvisorBackend",
}

#: what the Sandbox itself gives every tier (never a user's ``backend_options``)
OWN_ARGS = frozenset(
    {"workspace", "budget", "gate", "events", "session", "copy_workspace", "net_decide", "env",
     "template", "file_walls"}
)


class Backend(Protocol):
    """An isolation tier."""

    name: str

    def __init__(self, workspace: Path, budget: Budget, **kwargs: Any) -> None: ...

    # Optional: ``@classmethod prepare(cls) -> dict`` starts what every sandbox of the
    # tier shares (in the background) and says what walls will apply; the Sandbox puts
    # that dict in its ``sandbox.created`` event as ``confinement``.

    def start(self) -> None:
        """Get ready to run (may be lazy); raises ``BackendUnavailable`` when it cannot."""

    def run(
        self,
        command: str | list[str],
        *,
        stdin: bytes | str = b"",
        timeout: float | None = None,
        terminal: Any = None,
        on_output: OnOutput | None = None,
    ) -> RunResult:
        """Run ``command`` inside the tier's walls and budgets."""
        ...

    def kill(self) -> None:
        """Stop whatever runs now (any thread may call this)."""

    def close(self) -> None:
        """Release everything; the workspace itself stays the Sandbox's."""


def backend_class(name: str) -> type[Backend]:
    """The class of the tier called ``name``."""
    try:
        spec = TIERS[name]
    except KeyError:
        expected = ", ".join(repr(n) for n in TIERS)
        raise UnknownBackend(f"unknown backend {name!r}; expected one of {expected}") from None
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]

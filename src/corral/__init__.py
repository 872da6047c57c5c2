"""corral: contain AI agents and watch what they do.

The names below are loaded on first use (PEP 562): ``import corral`` costs a few
milliseconds, and a program pays only for what it touches (``corral.Sandbox`` loads
the sandbox and its events, not the native tiers, wasmtime or the CLI).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from . import events, policy  # noqa: F401
    from .budget import Budget, RunResult, Usage
    from .capabilities import (
        Capabilities,
        CapabilityError,
        Constraint,
        ConstraintSet,
        MethodCapability,
        Param,
    )
    from .errors import (
        CorralError,
        DiskQuotaExceeded,
        FileTooLarge,
        PathEscape,
        RuntimeCorrupted,
        RuntimeNotInstalled,
        SandboxClosed,
        SessionStopped,
        ToolError,
    )
    from .events import Event, EventBus
    from .policy import Policy, approvers  # noqa: F401
    from .sandbox import ActionDenied, AsyncSandbox, Sandbox

__version__ = "0.1.0"

#: public name -> (module, attribute); attribute None: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "events": (".events", None),
    "policy": (".policy", None),
    "approvers": (".policy", None),  # the policy package, which exports the approvers
    "Policy": (".policy", "Policy"),
    "Budget": (".budget", "Budget"),
    "RunResult": (".budget", "RunResult"),
    "Usage": (".budget", "Usage"),
    "Event": (".events", "Event"),
    "EventBus": (".events", "EventBus"),
    "ActionDenied": (".sandbox", "ActionDenied"),
    "AsyncSandbox": (".sandbox", "AsyncSandbox"),
    "Sandbox": (".sandbox", "Sandbox"),
    **{
        n: (".capabilities", n)
        for n in (
            "Capabilities",
            "CapabilityError",
            "Constraint",
            "ConstraintSet",
            "MethodCapability",
            "Param",
        )
    },
    **{
        n: (".errors", n)
        for n in (
            "CorralError",
            "DiskQuotaExceeded",
            "FileTooLarge",
            "PathEscape",
            "RuntimeCorrupted",
            "RuntimeNotInstalled",
            "SandboxClosed",
            "SessionStopped",
            "ToolError",
        )
    },
}


def __getattr__(name: str) -> Any:
    spec = _LAZY.get(name)
    if spec is None:
        # a submodule, as ``import corral`` used to make many available (corral.files ...)
        sub = f"{__name__}.{name}"
        if name.isidentifier() and not name.startswith("_") and importlib.util.find_spec(sub):
            return importlib.import_module(sub)
        raise AttributeError(f"module 'corral' has no attribute {name!r}")
    module, attr = spec
    if name in ("Sandbox", "AsyncSandbox"):
        # the wasm tier's shell template (a separate process, the slowest part of a
        # first command) starts loading now, while this process imports the sandbox
        from .wasm.template import warm_up

        warm_up()
    mod = importlib.import_module(module, __name__)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ActionDenied",
    "AsyncSandbox",
    "Budget",
    "Capabilities",
    "CapabilityError",
    "Constraint",
    "ConstraintSet",
    "CorralError",
    "DiskQuotaExceeded",
    "Event",
    "EventBus",
    "FileTooLarge",
    "MethodCapability",
    "Param",
    "PathEscape",
    "Policy",
    "RunResult",
    "RuntimeCorrupted",
    "RuntimeNotInstalled",
    "Sandbox",
    "SandboxClosed",
    "SessionStopped",
    "ToolError",
    "Usage",
    "__version__",
    "events",
]

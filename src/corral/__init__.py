"""corral: contain AI agents and watch what they do."""

from __future__ import annotations

from . import events
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
    PathEscape,
    RuntimeCorrupted,
    RuntimeNotInstalled,
    SandboxClosed,
    ToolError,
)
from .events import Event, EventBus
from .sandbox import ActionDenied, AsyncSandbox, Sandbox


def __getattr__(name: str):  # lazy: the policy package is only loaded when used
    if name in ("Policy", "approvers", "policy"):
        import importlib

        mod = importlib.import_module(".policy", __name__)
        return mod.Policy if name == "Policy" else mod
    raise AttributeError(f"module 'corral' has no attribute {name!r}")


__version__ = "0.1.0"

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
    "MethodCapability",
    "Param",
    "PathEscape",
    "Policy",
    "RunResult",
    "RuntimeCorrupted",
    "RuntimeNotInstalled",
    "Sandbox",
    "SandboxClosed",
    "ToolError",
    "Usage",
    "__version__",
    "events",
]

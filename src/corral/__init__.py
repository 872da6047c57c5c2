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

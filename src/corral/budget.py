"""Resource budgets for one sandbox and what a call actually used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

MB = 1024 * 1024

#: The most text (characters) one decision on the host reads: a script given to
#: ``Sandbox.run``, or one command of the corral shell (its arguments and its line).
#: The policy and the monitor read it in the thread that runs the call and nothing
#: interrupts them (up to ~40 µs a character for shell code such as ``a|a|…``: about
#: 20 s at this size), so a command past it is refused by its size, not read.
MAX_DECIDED_CHARS = 512 * 1024


@dataclass(frozen=True)
class Budget:
    """Limits enforced by the runtime. Time, CPU and output limits apply per call.

    - ``wall_s``: wall-clock seconds per call (epoch interruption).
    - ``fuel``: deterministic CPU budget per call, in wasmtime fuel units (about
      one per WebAssembly instruction); ``None`` disables fuel metering, which
      otherwise roughly doubles guest run time.
    - ``memory_mb``: the guest's linear memory cap; an allocation past it fails
      inside the guest (``MemoryError`` in Python).
    - ``output_chars``: stdout + stderr characters kept per call; the rest is
      dropped and the result is marked truncated.
    - ``disk_mb`` / ``disk_files``: size and file count of the sandbox directory.
    - ``tool_calls``: total tool calls over the sandbox's life (``None``: no cap
      beyond the capabilities' own limits).
    """

    wall_s: float = 30.0
    fuel: int | None = None
    memory_mb: int = 512
    output_chars: int = 1_000_000
    disk_mb: float = 1024.0
    disk_files: int = 10_000
    tool_calls: int | None = None

    def __post_init__(self) -> None:
        for name in ("wall_s", "memory_mb", "output_chars", "disk_mb", "disk_files"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise ValueError(f"budget {name} must be a positive number, got {v!r}")
        for name in ("fuel", "tool_calls"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
                raise ValueError(f"budget {name} must be a positive integer or None, got {v!r}")

    def with_(self, **changes: Any) -> Budget:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Usage:
    """What one call used."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    memory_bytes: int = 0
    fuel: int | None = None
    output_chars: int = 0
    disk_bytes: int = 0
    disk_files: int = 0
    tool_calls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    """The outcome of ``Sandbox.python()`` / ``Sandbox.js()``.

    ``error`` is ``None`` on success, else one of: ``"exception"`` (the code
    raised), ``"exit"`` (non-zero exit), ``"wall_time"``, ``"fuel"``,
    ``"memory"``, ``"output"``, ``"disk"`` (a budget ended the call; also in
    ``budget_exceeded``), ``"crash"`` (the interpreter died) or ``"denied"``.
    """

    language: str
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    error: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    budget_exceeded: str | None = None
    truncated: bool = False
    restarted: bool = False
    usage: Usage = field(default_factory=Usage)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.error is None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

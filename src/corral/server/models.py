"""The API's request bodies (pydantic: unknown fields and wrong types are 422s naming
the field)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

_TEXT_MAX = 4 * 1024 * 1024

Positive = Annotated[StrictFloat | StrictInt, Field(gt=0, le=10**12)]
PositiveInt = Annotated[StrictInt, Field(gt=0, le=10**15)]
TagKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")]
TagValue = Annotated[str, Field(max_length=256)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BudgetsIn(_Body):
    """Per-sandbox budgets; each at most what the sandbox's policy allows."""

    wall_s: Positive | None = None
    memory_mb: PositiveInt | None = None
    output_chars: PositiveInt | None = None
    disk_mb: Positive | None = None
    disk_files: PositiveInt | None = None
    fuel: PositiveInt | None = None
    tool_calls: PositiveInt | None = None


class CreateSandbox(_Body):
    backend: Annotated[str, Field(max_length=32)] = "wasm"
    policy: Annotated[str | None, Field(max_length=128)] = None
    budgets: BudgetsIn | None = None
    tags: Annotated[dict[TagKey, TagValue], Field(max_length=32)] = Field(default_factory=dict)


class _Call(_Body):
    stdin: Annotated[str, Field(max_length=_TEXT_MAX)] = ""
    timeout: Positive | None = None


class RunIn(_Call):
    command: Annotated[str, Field(max_length=_TEXT_MAX)]


class CodeIn(_Call):
    code: Annotated[str, Field(max_length=_TEXT_MAX)]


class ExecIn(_Call):
    argv: Annotated[
        list[Annotated[str, Field(max_length=_TEXT_MAX)]], Field(min_length=1, max_length=4096)
    ]


class EventsIn(_Body):
    """Events of sandboxes that run elsewhere (a fleet's slots), as corral ``Event``
    JSON, to be shown and audited as the tenant's."""

    events: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)]


class AnswerIn(_Body):
    allow: StrictBool
    always: StrictBool = False


# -- responses (documented in the OpenAPI schema) ------------------------------------------


class UsageOut(BaseModel):
    wall_s: float
    cpu_s: float
    memory_bytes: int
    fuel: int | None = None
    output_chars: int
    disk_bytes: int
    disk_files: int
    tool_calls: int


class RunResultOut(BaseModel):
    """A call's result (``corral.RunResult``) with the alerts it raised."""

    language: str
    stdout: str
    stderr: str
    exit_code: int
    ok: bool
    error: str | None = Field(
        None,
        description="None on success, else exception, exit, wall_time, fuel, memory, output, "
        "disk, crash or denied",
    )
    error_type: str | None = None
    error_message: str | None = None
    denial_reason: str | None = Field(None, description="why the policy refused the call")
    budget_exceeded: str | None = None
    truncated: bool
    restarted: bool
    usage: UsageOut
    alerts: list[dict[str, Any]] = Field(description="monitor alerts raised during the call")


class SandboxOut(BaseModel):
    id: str
    backend: str
    policy: str | None
    tags: dict[str, str]
    state: str = Field(description="idle, running, waiting_approval, paused, killed or closed")
    created: float
    idle_s: float
    calls: int
    budget: dict[str, Any]
    alerts: int


class ErrorOut(BaseModel):
    error: str

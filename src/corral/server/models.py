"""The API's request bodies (pydantic: unknown fields and wrong types are 422s naming
the field)."""

from __future__ import annotations

from typing import Annotated

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


class AnswerIn(_Body):
    allow: StrictBool
    always: StrictBool = False

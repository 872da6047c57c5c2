"""The policy file (the constitution): pydantic models that validate it.

Every model forbids unknown keys. The loader (:mod:`corral.policy.loader`) maps each
validation error back to the file, line and column it comes from. A complete example::

    version: 1
    extends: [default]           # built-in names or file paths, layered in order
    principles:                  # name -> human-readable reason that rules point at
      no-resource-acquisition: "Never acquire compute, money or credentials."
    commands:
      default: ask               # for a command matched by no rule
      allow: ["ls", "cat *", "grep", "python*", "git status"]
      ask:   ["pip install *", "git push*"]
      deny:  [{match: "ssh * -R *", principle: no-resource-acquisition, reason: "tunnels"},
              {regex: "^curl .*\\\\| *sh$"}]
    filesystem: {read: ["/workspace/**"], write: ["/workspace/**", "/tmp/**"],
                 deny: ["**/.ssh/**", "**/.env"]}
    network:
      allow: ["pypi.org", "*.github.com"]
      deny: ["evil.example"]
      deny_cidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]
    tools:
      - {method: "stripe/charges/*", constraints: {amount: "<=10000"}, max_calls: 100}
    budgets: {wall_s: 60, cpu_s: 30, memory_mb: 512, net_out_mb: 50, tool_calls: 200}
    monitor: {packs: [default], on: {critical: kill, high: ask, medium: alert, low: log}}
    approvals: {timeout_s: 120, default: deny, webhook: "https://hooks.example/corral"}
    devices: {gpu: false}        # native tiers: the host's GPU device nodes (default: none)

Pattern semantics are documented in :mod:`corral.policy.patterns`, decision semantics
in :mod:`corral.policy.engine`.

Defaults when a key is left out:

=========================  =======================================================
``commands`` missing       every command is allowed
``commands.default``       ``deny`` (once a ``commands`` section exists)
``filesystem`` missing     every path is allowed (the sandbox still confines them)
``filesystem.default``     ``deny`` (once a ``filesystem`` section exists)
``network.default``        ``deny``, with or without a ``network`` section
``tools`` missing          every registered tool is allowed
``tools: []``, ``tools:``  every tool is denied (only listed tools are allowed)
``approvals``              ``timeout_s: 120``, ``default: deny``, no ``webhook``
``devices``                ``gpu: false``: no GPU device in a native sandbox
=========================  =======================================================
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    model_validator,
)

from ..capabilities import MethodCapability
from .patterns import (
    CommandPattern,
    HostPattern,
    PathPattern,
    compile_command,
    compile_host,
    compile_path,
    compile_program,
    compile_regex,
    parse_cidr,
)

__all__ = [
    "Approvals",
    "Budgets",
    "CommandRule",
    "Commands",
    "Devices",
    "Filesystem",
    "Monitor",
    "Network",
    "PolicyModel",
    "ToolRule",
    "Verdict",
]

Verdict = Literal["allow", "deny", "ask"]
Severity = Literal["critical", "high", "medium", "low", "info"]
Response = Literal["kill", "pause", "deny", "ask", "alert", "log", "ignore"]

SUPPORTED_VERSION = 1


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


def _str_to_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _none_to_dict(value: Any) -> Any:
    return {} if value is None else value


def _check_host(value: str) -> str:
    compile_host(value)
    return value


def _check_cidr(value: str) -> str:
    parse_cidr(value)
    return value


def _check_path(value: str) -> str:
    compile_path(value)
    return value


def _check_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Name = Annotated[str, AfterValidator(_check_name)]
HostList = Annotated[
    list[Annotated[str, AfterValidator(_check_host)]], BeforeValidator(_str_to_list)
]
CidrList = Annotated[
    list[Annotated[str, AfterValidator(_check_cidr)]], BeforeValidator(_str_to_list)
]
PathList = Annotated[
    list[Annotated[str, AfterValidator(_check_path)]], BeforeValidator(_str_to_list)
]
PositiveFloat = Annotated[float, Field(gt=0, strict=True)]
PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------- commands


class CommandRule(_Model):
    """One command rule: a glob string, or a mapping with one of match/regex/program."""

    match: str | None = None
    regex: str | None = None
    program: str | None = None
    args: str | None = None
    principle: Name | None = None
    reason: str | None = None

    _pattern: CommandPattern | None = PrivateAttr(default=None)
    _origin: str = PrivateAttr(default="")
    _principle_origin: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"match": data}
        if isinstance(data, dict):
            return data
        hint = ""
        if isinstance(data, bool | int | float):
            text = str(data).lower() if isinstance(data, bool) else str(data)
            hint = f"; quote it ('{text}') if you mean the command"
        raise ValueError(
            f"expected a command pattern (a string) or a rule mapping, got {_describe(data)}" + hint
        )

    @model_validator(mode="after")
    def _compile(self) -> CommandRule:
        given = [k for k in ("match", "regex", "program") if getattr(self, k) is not None]
        if not given:
            raise ValueError("a command rule needs one of the keys: match, regex, program")
        if len(given) > 1:
            raise ValueError(f"give only one of match, regex, program (got {' and '.join(given)})")
        if self.args is not None and self.program is None:
            raise ValueError("'args' can only be used together with 'program'")
        if self.match is not None:
            self._pattern = compile_command(self.match)
        elif self.regex is not None:
            self._pattern = compile_regex(self.regex)
        else:
            assert self.program is not None
            self._pattern = compile_program(self.program, self.args)
        return self

    @property
    def pattern(self) -> CommandPattern:
        assert self._pattern is not None
        return self._pattern

    @property
    def text(self) -> str:
        """The rule as written (a glob, ``regex '...'`` or ``program ...``)."""
        return self.pattern.text

    @property
    def origin(self) -> str:
        """``file:line:column`` where the rule was written ('' when unknown)."""
        return self._origin


RuleList = Annotated[list[CommandRule], BeforeValidator(_none_to_list)]


class Programs(_Model):
    """What runs besides the name rules, by where a started program comes from (native
    tiers, which see the file the kernel executes).

    - ``memory``: a program with no file to name (a ``memfd``, a deleted file, a file
      descriptor): ``deny`` (default) or ``allow``.
    - ``user``: a program that is not a system binary (written into ``/workspace`` or
      ``/tmp``, built there): ``allow`` (default: its name rules decide), ``ask`` or ``deny``.

    A copy of a system binary that a deny/ask rule names is always decided as that
    program, whatever its name or path.
    """

    memory: Literal["allow", "deny"] | None = None
    user: Verdict | None = None


class Commands(_Model):
    default: Verdict | None = None
    allow: RuleList = Field(default_factory=list)
    ask: RuleList = Field(default_factory=list)
    deny: RuleList = Field(default_factory=list)
    programs: Programs | None = None


# ------------------------------------------------------------------- files and network


class Filesystem(_Model):
    default: Verdict | None = None
    read: PathList = Field(default_factory=list)
    write: PathList = Field(default_factory=list)
    ask: PathList = Field(default_factory=list)
    # writes asked (reads allowed): files whose change alters what the agent may do
    ask_write: PathList = Field(default_factory=list)
    deny: PathList = Field(default_factory=list)
    # paths no deny covers (templates such as .env.example next to a denied .env.*)
    deny_except: PathList = Field(default_factory=list)

    def compiled(self, key: str) -> list[PathPattern]:
        return [compile_path(p) for p in getattr(self, key)]


#: The hosts ``network.registries: true`` allows: Python, npm, Rust and Go package
#: registries (index and downloads).
REGISTRY_HOSTS: tuple[str, ...] = (
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "proxy.golang.org",
    "sum.golang.org",
)


class Network(_Model):
    default: Verdict | None = None
    allow: HostList = Field(default_factory=list)
    ask: HostList = Field(default_factory=list)
    deny: HostList = Field(default_factory=list)
    deny_cidrs: CidrList = Field(default_factory=list)
    # true: the package registries (REGISTRY_HOSTS) are allowed, as if listed in allow
    registries: StrictBool = False

    def compiled(self, key: str) -> list[HostPattern]:
        return [compile_host(p) for p in getattr(self, key)]


# ---------------------------------------------------------------------------- tools


class ToolRule(_Model):
    """A tool capability (see :mod:`corral.capabilities`) plus a verdict."""

    method: str
    constraints: Any = None
    max_calls: PositiveInt | None = None
    name: str | None = None
    verdict: Verdict = "allow"
    principle: Name | None = None
    reason: str | None = None

    _capability: MethodCapability | None = PrivateAttr(default=None)
    _origin: str = PrivateAttr(default="")
    _principle_origin: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _compile(self) -> ToolRule:
        if self.verdict == "deny" and (self.constraints or self.max_calls):
            raise ValueError(
                "a deny tool rule cannot have constraints or max_calls "
                "(constraints say what an allow or ask rule grants)"
            )
        spec: dict[str, Any] = {"method": self.method}
        if self.constraints is not None:
            spec["constraints"] = self.constraints
        if self.max_calls is not None:
            spec["max_calls"] = self.max_calls
        if self.name is not None:
            spec["name"] = self.name
        self._capability = MethodCapability.from_dict(spec)
        return self

    @property
    def capability(self) -> MethodCapability:
        assert self._capability is not None
        return self._capability

    @property
    def origin(self) -> str:
        return self._origin


# --------------------------------------------------------------- budgets and the rest


class Budgets(_Model):
    wall_s: PositiveFloat | None = None
    cpu_s: PositiveFloat | None = None
    memory_mb: PositiveInt | None = None
    net_out_mb: PositiveFloat | None = None
    tool_calls: PositiveInt | None = None
    output_chars: PositiveInt | None = None
    disk_mb: PositiveFloat | None = None
    disk_files: PositiveInt | None = None
    fuel: PositiveInt | None = None
    #: GPU memory the sandbox's processes may hold (NVML, when ``devices.gpu`` grants one)
    gpu_memory_mb: PositiveFloat | None = None


class Monitor(_Model):
    packs: Annotated[list[Name], BeforeValidator(_str_to_list)] = Field(default_factory=list)
    on: Annotated[dict[Severity, Response], BeforeValidator(_none_to_dict)] = Field(
        default_factory=dict
    )
    #: the learned command-text scorer: ``true``/``false``; unset, the monitor's default
    #: (on beside the shipped ``default`` pack, :data:`corral.monitor.scorer.DEFAULT_ON`)
    scorer: StrictBool | None = None


def _check_webhook(value: str) -> str:
    from urllib.parse import urlsplit

    if len(value) > 2048 or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("must be a URL without spaces or control characters (<= 2048 chars)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


class Approvals(_Model):
    timeout_s: PositiveFloat = 120.0
    default: Literal["allow", "deny"] = "deny"
    #: ``corral serve`` POSTs each question here as JSON (with a Slack-compatible ``text``)
    webhook: Annotated[str, AfterValidator(_check_webhook)] | None = None


class Devices(_Model):
    """Host devices a native sandbox (bwrap, gVisor) may use.

    - ``gpu``: ``false`` (default): no GPU device node (``/dev/nvidia*``, ``/dev/dri``,
      ``/dev/kfd``, ...) exists in the sandbox, and a bind that would show one is refused.
      ``true``: the tier binds the host's GPU device nodes (bwrap ``--dev-bind``; gVisor
      ``runsc --nvproxy``, NVIDIA only), NVML samples the sandbox's GPU use and
      ``budgets.gpu_memory_mb`` applies.
    """

    gpu: StrictBool = False


class PolicyModel(_Model):
    """The whole policy file."""

    #: where each plain-string entry was written: (section, key, text) -> "file:line:col"
    _value_origins: dict[tuple[str, str, str], str] = PrivateAttr(default_factory=dict)

    version: Literal[1]
    extends: Annotated[list[Name], BeforeValidator(_str_to_list)] = Field(default_factory=list)
    description: str | None = None
    principles: Annotated[dict[Name, str], BeforeValidator(_none_to_dict)] = Field(
        default_factory=dict
    )
    commands: Commands | None = None
    filesystem: Filesystem | None = None
    network: Network | None = None
    tools: Annotated[list[ToolRule], BeforeValidator(_none_to_list)] | None = None
    budgets: Budgets | None = None
    monitor: Monitor | None = None
    approvals: Approvals | None = None
    devices: Devices | None = None

    def origin_of(self, section: str, key: str, text: str) -> str:
        """Where a filesystem or network entry was written ('' when unknown)."""
        return self._value_origins.get((section, key, text), "")

    @model_validator(mode="before")
    @classmethod
    def _sections(cls, data: Any) -> Any:
        # an empty section (``commands:`` with nothing under it) counts as present and empty
        if isinstance(data, dict):
            data = dict(data)
            for key in ("commands", "filesystem", "network", "budgets", "monitor", "approvals",
                        "devices"):
                if key in data and data[key] is None:
                    data[key] = {}
            if "tools" in data and data["tools"] is None:
                data["tools"] = []  # `tools:` with nothing under it: no tool is allowed
        return data

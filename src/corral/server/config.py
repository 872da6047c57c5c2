"""What ``corral serve`` is configured with: tokens, policies, limits.

The tokens file is YAML, one ``TOKEN: TENANT`` per line::

    3f9c0a...e1: alice
    77b2d4...90: bob

Every problem (not YAML, not a mapping, a duplicate token, a token or tenant that is
not a plain string) is a :class:`ConfigError` naming the file and line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import CorralError

#: what a tenant may be called (it shows up in logs and the dashboard)
TENANT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
#: the tenant of a server started without tokens (loopback only)
LOCAL_TENANT = "local"


class ConfigError(CorralError):
    """The server's configuration is wrong; the message names where."""


@dataclass
class Limits:
    """Limits that keep one client from taking the server down."""

    max_body_bytes: int = 16 * 1024 * 1024  # a request body (file uploads included)
    max_body_values: int = 1_000_000  # JSON values in a POST body (parsed whole)
    max_sandboxes_per_tenant: int = 16  # live sandboxes
    max_waiting_calls: int = 32  # calls queued on one sandbox
    idle_timeout_s: float = 900.0  # an unused sandbox is closed after this
    max_file_bytes: int = 64 * 1024 * 1024  # GET .../files/{path}
    events_backlog: int = 1000  # events kept per tenant for a new stream
    events_backlog_bytes: int = 256 * 1024 * 1024  # what they may weigh (stream.weight)
    events_queue: int = 2000  # events buffered for one slow stream before it is dropped
    max_streams_per_tenant: int = 32  # open event streams
    workers: int = 256  # threads running sandbox calls (approvals wait in them)
    max_imported_sessions: int = 1_000_000  # sessions a tenant names in POST /v1/events

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"limit {name} must be a positive number, got {value!r}")


@dataclass
class ServerConfig:
    """Everything :func:`corral.server.create_app` needs.

    ``tokens`` maps bearer tokens to tenants; ``None`` means no authentication (every
    request is the tenant ``local``), allowed only on a loopback host. ``policies``
    maps names a client may ask for to policy sources (a built-in name, a file path,
    YAML text, a dict); the built-ins are always there. ``default_policy`` is the name
    used when a client names none (``None``: no policy, everything allowed).
    """

    host: str = "127.0.0.1"
    port: int = 8787
    tokens: dict[str, str] | None = None
    policies: dict[str, Any] = field(default_factory=dict)
    default_policy: str | None = "default"
    audit: str | Path | None = None
    limits: Limits = field(default_factory=Limits)
    backends: tuple[str, ...] = ("wasm", "bwrap", "gvisor")
    #: where clients reach the server (webhook answers); default http://host:port
    public_url: str | None = None

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def check(self) -> None:
        """Refuse a configuration that would expose sandboxes without authentication."""
        if not self.tokens and not is_loopback(self.host):
            raise ConfigError(
                f"refusing to listen on {self.host} without tokens: anyone who can reach it "
                "could run code; give --tokens FILE (or listen on 127.0.0.1)"
            )
        if self.default_policy is not None and self.default_policy not in self.policy_names():
            raise ConfigError(
                f"unknown default policy {self.default_policy!r}; "
                f"known: {', '.join(self.policy_names())}"
            )

    def policy_names(self) -> list[str]:
        from ..policy import BUILTIN_NAMES

        return sorted({*BUILTIN_NAMES, *self.policies})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to listen on) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_tokens(path: str | Path) -> dict[str, str]:
    """Read a tokens file (``TOKEN: TENANT`` per line); errors name the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such tokens file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read the tokens file: {e}") from None
    return parse_tokens(text, str(p))


def parse_tokens(text: str, source: str = "<tokens>") -> dict[str, str]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: not valid YAML: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None
    if node is None:
        raise ConfigError(f"{source}: no tokens (expected lines of TOKEN: TENANT)")
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(
            f"{source}:{node.start_mark.line + 1}: expected lines of TOKEN: TENANT, not a {node.id}"
        )
    tokens: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        where = f"{source}:{line}"
        if not isinstance(key, yaml.ScalarNode) or key.tag != "tag:yaml.org,2002:str":
            raise ConfigError(f"{where}: the token must be a plain string (quote it)")
        if not isinstance(value, yaml.ScalarNode) or value.tag != "tag:yaml.org,2002:str":
            raise ConfigError(f"{where}: the tenant of a token must be a plain name")
        token, tenant = key.value, value.value
        if not token or any(c.isspace() or ord(c) < 33 or ord(c) > 126 for c in token):
            raise ConfigError(f"{where}: a token must be printable ASCII without spaces")
        if not TENANT_RE.fullmatch(tenant):
            raise ConfigError(
                f"{where}: tenant {tenant!r} must be letters, digits, '_', '.', '@', '-' "
                "(up to 64, starting with a letter or digit)"
            )
        if token in tokens:
            raise ConfigError(f"{where}: the same token again (first on line {lines[token]})")
        tokens[token] = tenant
        lines[token] = line
    if not tokens:
        raise ConfigError(f"{source}: no tokens (expected lines of TOKEN: TENANT)")
    return tokens

"""Connect to a host only through addresses that were decided on.

:func:`connect_checked` is the one implementation of "decide on the name, resolve it,
decide on every address it resolved to, connect to exactly the address decided" that
the egress proxy of the native tiers and the shell's ``curl``/``wget`` share:

1. ``decide(host, port, None)``: the name alone, before any lookup (a denied name is
   never resolved, so it cannot leak through DNS);
2. ``resolver(host, port)`` once; every answer must be an address literal (anything
   else is refused: ``connect()`` would resolve it again, behind the check's back);
3. for each address in order, ``decide(host, port, ip)`` (the policy's address rules:
   ``deny_cidrs``, loopback, link-local, cloud metadata, unspecified, mapped IPv6...);
   a refused address is skipped, an allowed one is connected to *as that address*, so
   a name that resolves differently a moment later (DNS rebinding) changes nothing.

``decide`` may return a :class:`~corral.events.Decision`, ``(allowed, reason)``, an
object with ``verdict``/``reason``, or a bool; ``None`` as ``decide`` allows every
destination (no policy).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..events import Decision
from .address import parse_ip, resolve

__all__ = ["Checked", "Refused", "Resolver", "connect_checked", "normalize_decision"]

Resolver = Callable[[str, int], list[str]]
RefusalKind = Literal["policy", "dns", "connect", "destination"]


class Refused(OSError):
    """No connection: why (``reason``), what refused it (``kind``) and the decision."""

    def __init__(
        self,
        reason: str,
        kind: RefusalKind,
        decision: Decision | None = None,
        ip: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: RefusalKind = kind
        self.decision = decision
        self.ip = ip


@dataclass
class Checked:
    """A connected socket and what allowed it."""

    sock: socket.socket
    ip: str
    reason: str
    decision: Decision | None


def normalize_decision(res: Any) -> tuple[bool, str, Decision | None]:
    """``(allowed, reason, decision)`` from whatever a ``decide`` returned."""
    if isinstance(res, Decision):
        return res.allowed, res.reason, res
    if hasattr(res, "verdict"):
        return res.verdict == "allow", str(getattr(res, "reason", "")), None
    if isinstance(res, tuple):
        return bool(res[0]), str(res[1]) if len(res) > 1 else "", None
    return bool(res), "", None


def _ask(
    decide: Callable[..., Any], host: str, port: int, ip: str | None
) -> tuple[bool, str, Decision | None]:
    try:
        return normalize_decision(decide(host, port, ip))
    except Exception as e:  # a failing check refuses: it never lets through
        return False, f"policy check failed: {e!r}", None


def connect_checked(
    host: str,
    port: int,
    decide: Callable[..., Any] | None,
    *,
    resolver: Resolver | None = None,
    timeout: float = 10.0,
) -> Checked:
    """Connect to ``host:port`` through a decided address (see the module doc).

    Returns a :class:`Checked` (the socket is blocking with ``timeout``); raises
    :class:`Refused` naming the name or the address that was refused, or the last
    connection error.
    """
    if not host or not isinstance(port, int) or not (0 < port < 65536):
        raise Refused(f"bad destination {host!r} port {port!r}", "destination")
    if decide is not None:
        ok, reason, decision = _ask(decide, host, port, None)
        if not ok:
            raise Refused(reason or f"{host} denied by policy", "policy", decision)
    try:
        answers = (resolver or resolve)(host, port)
    except OSError as e:
        raise Refused(f"cannot resolve {host}: {e}", "dns") from None
    except Exception as e:
        raise Refused(f"cannot resolve {host}: {e!r}", "dns") from None
    if not answers:
        raise Refused(f"cannot resolve {host}: no address", "dns")
    refused: Refused | None = None
    failed: Refused | None = None
    for answer in answers:
        ip_obj = parse_ip(str(answer))
        if ip_obj is None:
            refused = refused or Refused(
                f"{host} resolved to {answer!r}, which is not an address", "policy", ip=None
            )
            continue
        ip = str(ip_obj)
        reason = "no policy installed"
        decision: Decision | None = None
        if decide is not None:
            ok, reason, decision = _ask(decide, host, port, ip)
            if not ok:
                why = reason or "denied by policy"
                if ip not in why:
                    why = f"address {ip} of {host}: {why}"
                refused = Refused(why, "policy", decision, ip)
                continue
        family = socket.AF_INET6 if ip_obj.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((ip, port))
        except OSError as e:
            with contextlib.suppress(OSError):
                sock.close()
            failed = Refused(f"connect to {ip} port {port} failed: {e}", "connect", ip=ip)
            continue
        return Checked(sock, ip, reason, decision)
    if failed is not None:
        raise failed
    assert refused is not None
    raise refused

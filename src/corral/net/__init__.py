"""Network walls shared by every tier: which addresses are protected
(:mod:`~corral.net.address`), connecting only through decided addresses
(:mod:`~corral.net.connect`) and the sandbox's decision for a connection
(:mod:`~corral.net.gate`)."""

from __future__ import annotations

from .address import embedded_ipv4, parse_ip, protected, resolve
from .connect import Checked, Refused, connect_checked, normalize_decision

__all__ = [
    "Checked",
    "Refused",
    "connect_checked",
    "embedded_ipv4",
    "normalize_decision",
    "parse_ip",
    "protected",
    "resolve",
]

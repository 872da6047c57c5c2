"""Addresses: which destinations are protected by default, and name resolution.

One place for what the policy engine, the egress proxy of the native tiers and the
shell's ``curl``/``wget`` agree on:

* :func:`protected` says whether a host name or an address is a cloud metadata
  service, the loopback interface (``unspecified`` included: connecting to ``0.0.0.0``
  or ``::`` reaches the local host) or a private, link-local, shared or reserved
  range. IPv4-mapped IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it is,
  and an IPv6 address that carries an IPv4 one for a translator or tunnel (NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is protected when that IPv4 address is.
* :func:`resolve` turns a name into the addresses to decide on and connect to; an
  address literal resolves to itself without DNS.
* :func:`parse_ip` accepts only real address literals, so nothing that would be looked
  up again by ``connect()`` ever reaches it.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

__all__ = [
    "LOOPBACK_NAMES",
    "METADATA_IPS",
    "METADATA_NAMES",
    "IPAddress",
    "embedded_ipv4",
    "parse_ip",
    "protected",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_IPS: Final = frozenset(
    {
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",
        "169.254.170.23",  # AWS EKS pod identity
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "169.254.0.23",  # Tencent Cloud
        "169.254.42.42",  # Scaleway
        "168.63.129.16",  # Azure WireServer (the VM agent's goal state, certificates)
    }
)
METADATA_NAMES: Final = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.packet.net",
        "metadata.platformequinix.com",
        "metadata.tencentyun.com",
        "api.metadata.cloud.ibm.com",
        "metadata.exoscale.com",
    }
)
LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_SHARED_NET: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def parse_ip(text: str) -> IPAddress | None:
    """The address ``text`` spells (brackets and an IPv6 zone allowed), else ``None``.

    IPv4-mapped IPv6 becomes the IPv4 address. Legacy spellings such as ``2130706433``
    or ``0x7f.1`` are *not* addresses here (``connect()`` would not take them as such
    either: they go through the resolver, which answers with a real address).
    """
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    try:
        ip = ipaddress.ip_address(t)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo client)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    for net in _NAT64:
        if ip in net:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def protected(name: str, ip: IPAddress | None) -> tuple[str, str] | None:
    """``(kind, description)`` when the destination is protected by default, else None.

    ``kind`` is ``metadata``, ``loopback`` or ``private``. ``name`` is the normalised
    host (lower case, no trailing dot); ``ip`` its address when it is one.
    """
    if ip is None:
        if name in METADATA_NAMES:
            return "metadata", "a cloud metadata service"
        if name in LOOPBACK_NAMES or name.endswith(".localhost"):
            return "loopback", "the loopback interface"
        return None
    inner = embedded_ipv4(ip)
    if inner is not None and inner != ip:
        found = protected(name, inner)
        if found is not None:
            kind, what = found
            return kind, f"{what} (carried in the IPv6 address {ip})"
    if str(ip).split("%", 1)[0] in METADATA_IPS:
        return "metadata", "a cloud metadata address"
    if ip.is_loopback or ip.is_unspecified:
        return "loopback", "a loopback address"
    if (
        ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or (ip.version == 4 and ip in _SHARED_NET)
    ):
        return "private", "a private, link-local or reserved address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (address literals: themselves), in the
    resolver's order, without duplicates. Raises ``OSError`` when it cannot resolve."""
    literal = parse_ip(host)
    if literal is not None:
        return [str(literal)]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for fam, *_, addr in infos:
        ip = addr[0]
        if fam in (socket.AF_INET, socket.AF_INET6) and ip not in seen:
            seen.append(ip)
    return seen

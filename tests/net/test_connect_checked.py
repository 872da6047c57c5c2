"""corral.net: decide on the name, resolve once, decide on every address, connect to
exactly the address decided (shared by the proxy and curl/wget)."""

from __future__ import annotations

import socket

import pytest

from corral.net import Refused, connect_checked, parse_ip, protected
from corral.policy import Policy

POLICY = Policy.from_dict({"version": 1, "network": {"allow": ["*.example.test", "127.0.0.2/32"]}})


def _get(sock: socket.socket, host: str) -> bytes:
    sock.sendall(f"GET /x HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    sock.close()
    return data


def test_a_name_resolving_to_loopback_is_refused_naming_the_address(loopback_pair):
    forbidden, _ = loopback_pair
    with pytest.raises(Refused) as info:
        connect_checked(
            "svc.example.test",
            forbidden.port,
            POLICY.decide_net,
            resolver=lambda h, p: ["127.0.0.1"],
        )
    assert info.value.kind == "policy" and "127.0.0.1" in info.value.reason
    assert "loopback" in info.value.reason
    assert forbidden.requests == []


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "::ffff:127.0.0.1", "0.0.0.0", "::", "::1", "10.1.2.3", "2002:7f00:1::1"],
)
def test_protected_addresses_are_refused(address):
    with pytest.raises(Refused) as info:
        connect_checked("svc.example.test", 80, POLICY.decide_net, resolver=lambda h, p: [address])
    assert info.value.kind == "policy"


def test_rebinding_answer_after_the_check_never_reaches_loopback(loopback_pair):
    forbidden, allowed = loopback_pair
    answers = [["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]]
    calls = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 2)]

    checked = connect_checked("svc.example.test", allowed.port, POLICY.decide_net,
                              resolver=rebinding)  # fmt: skip
    assert checked.ip == "127.0.0.2" and checked.sock.getpeername()[0] == "127.0.0.2"
    assert _get(checked.sock, "svc.example.test").endswith(b"reached 127.0.0.2\n")
    assert forbidden.requests == [] and len(calls) == 1


def test_denied_addresses_are_skipped_and_the_allowed_one_is_used(loopback_pair):
    forbidden, allowed = loopback_pair
    checked = connect_checked(
        "svc.example.test",
        allowed.port,
        POLICY.decide_net,
        resolver=lambda h, p: ["127.0.0.1", "169.254.169.254", "127.0.0.2"],
    )
    assert checked.ip == "127.0.0.2"
    checked.sock.close()
    assert forbidden.requests == []


def test_a_resolver_answer_that_is_not_an_address_is_never_connected(loopback_pair):
    forbidden, _ = loopback_pair
    allow_all = lambda h, p, ip: True  # noqa: E731
    with pytest.raises(Refused) as info:
        connect_checked(
            "svc.example.test", forbidden.port, allow_all, resolver=lambda h, p: ["localhost"]
        )
    assert "not an address" in info.value.reason
    assert forbidden.requests == []


def test_a_denied_name_is_never_resolved():
    asked = []
    with pytest.raises(Refused) as info:
        connect_checked(
            "exfil.attacker.test", 80, POLICY.decide_net,
            resolver=lambda h, p: asked.append(h) or ["127.0.0.2"],
        )  # fmt: skip
    assert info.value.kind == "policy" and asked == []


def test_a_failing_check_refuses():
    def broken(host, port, ip):
        raise RuntimeError("boom")

    with pytest.raises(Refused) as info:
        connect_checked("svc.example.test", 80, broken, resolver=lambda h, p: ["127.0.0.2"])
    assert "policy check failed" in info.value.reason


def test_bad_destinations():
    for host, port in [("", 80), ("x.example.test", 0), ("x.example.test", 70000)]:
        with pytest.raises(Refused) as info:
            connect_checked(host, port, None, resolver=lambda h, p: ["127.0.0.2"])
        assert info.value.kind == "destination"


def test_dns_failure_is_a_refusal_of_its_own():
    def fails(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(Refused) as info:
        connect_checked("nope.example.test", 80, POLICY.decide_net, resolver=fails)
    assert info.value.kind == "dns"


def test_protected_classification():
    assert protected("x", parse_ip("::ffff:169.254.169.254"))[0] == "metadata"
    assert protected("x", parse_ip("64:ff9b::a9fe:a9fe"))[0] == "metadata"
    assert protected("x", parse_ip("[::1]"))[0] == "loopback"
    assert protected("x", parse_ip("0.0.0.0"))[0] == "loopback"
    assert protected("x", parse_ip("fe80::1%eth0"))[0] == "private"
    assert protected("x", parse_ip("93.184.216.34")) is None
    assert parse_ip("2130706433") is None and parse_ip("localhost") is None

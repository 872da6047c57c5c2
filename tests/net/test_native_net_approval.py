"""A network ``ask`` on the native tiers goes to the approver (through the same gate as
every other action), and the proxy's refusals say why."""

from __future__ import annotations

import socket

import corral
from corral import Budget, Sandbox
from tiers import needs

from .test_fetch_addresses import fake_dns

needs_bwrap = needs("bwrap")

POLICY = {
    "version": 1,
    "extends": ["default"],
    "network": {"ask": ["svc.example.test"], "allow": ["127.0.0.2/32"]},
}
FETCH = (
    'python3 -c "import urllib.request as u, urllib.error as e\n'
    "try: print(u.urlopen('http://svc.example.test:{port}/x', timeout=20).read().decode())\n"
    "except e.HTTPError as x: print(x.code, x.headers.get('X-Corral-Denied'), x.read().decode())\""
)


def _run(monkeypatch, loopback_pair, answer):
    _, allowed = loopback_pair
    fake_dns(monkeypatch, {"svc.example.test": ["127.0.0.2"]})
    asked = []

    def approver(request):
        asked.append(request)
        return answer

    bus = corral.EventBus()
    types = []
    bus.subscribe(lambda ev: types.append((ev.type, ev.action.kind if ev.action else None)))
    with Sandbox(
        backend="bwrap", policy=POLICY, approver=approver, bus=bus, budget=Budget(wall_s=60)
    ) as sb:
        r = sb.run(FETCH.format(port=allowed.port))
    return r, asked, types, allowed


@needs_bwrap
def test_network_ask_goes_to_the_approver_and_allows(monkeypatch, loopback_pair):
    r, asked, types, allowed = _run(monkeypatch, loopback_pair, True)
    assert r.stdout == "reached 127.0.0.2\n\n", (r.stdout, r.stderr)
    assert len(asked) == 1 and asked[0].action.kind == "net"
    assert asked[0].action.host == "svc.example.test"
    assert ("approval.requested", "net") in types and ("approval.answered", "net") in types
    assert len(allowed.requests) == 1


@needs_bwrap
def test_network_ask_denied_by_the_approver_says_why(monkeypatch, loopback_pair):
    r, asked, types, allowed = _run(monkeypatch, loopback_pair, "deny")
    assert len(asked) == 1 and allowed.requests == []
    assert r.stdout.startswith("403 "), (r.stdout, r.stderr)
    assert "denied by the approval function" in r.stdout  # header and body carry the reason
    assert "corral egress proxy:" in r.stdout
    assert ("approval.answered", "net") in types


def test_proxy_refusals_carry_their_reason():
    from corral.native import EgressProxy

    def decide(host, port, ip):
        return host == "ok.example.test", f"{host} is not on the list"

    def resolver(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    events = []

    class Ev:
        def emit(self, type, **fields):
            events.append((type, fields))

    with EgressProxy(decide, events=Ev(), resolver=resolver) as proxy:
        # plain HTTP forwarding: 403, reason in body and header
        with socket.create_connection(proxy.address) as c:
            c.sendall(b"GET http://bad.example.test/ HTTP/1.1\r\nHost: bad.example.test\r\n\r\n")
            answer = _read_all(c)
        assert answer.startswith(b"HTTP/1.1 403 ")
        assert b"X-Corral-Denied: bad.example.test is not on the list" in answer
        assert answer.endswith(b"corral egress proxy: bad.example.test is not on the list\n")
        # CONNECT to a name that does not resolve: 502, not a policy refusal
        with socket.create_connection(proxy.address) as c:
            c.sendall(b"CONNECT ok.example.test:443 HTTP/1.1\r\n\r\n")
            answer = _read_all(c)
        assert answer.startswith(b"HTTP/1.1 502 ") and b"cannot resolve" in answer
        # SOCKS5: 2 = not allowed by ruleset, 4 = host unreachable (no such name)
        assert _socks(proxy.address, b"bad.example.test") == 2
        assert _socks(proxy.address, b"ok.example.test") == 4
    denied = [f for t, f in events if t == "action.denied"]
    assert any(f["decision"].reason == "bad.example.test is not on the list" for f in denied)
    assert any(f["decision"].rule == "proxy.dns" for f in denied)


def _read_all(c: socket.socket) -> bytes:
    c.settimeout(10)
    data = b""
    while chunk := c.recv(4096):
        data += chunk
    return data


def _socks(address, host: bytes) -> int:
    with socket.create_connection(address) as c:
        c.settimeout(10)
        c.sendall(b"\x05\x01\x00")
        assert c.recv(2) == b"\x05\x00"
        c.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + b"\x01\xbb")
        reply = c.recv(10)
    return reply[1]

"""curl/wget in the corral shell decide on the address a name resolves to, connect to
exactly that address, and keep the host name for the Host header and TLS."""

from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading

import pytest

import corral
from corral import Budget, Sandbox

POLICY = {
    "version": 1,
    "extends": ["default"],
    "network": {"allow": ["*.example.test", "127.0.0.2/32"]},
}
_real_getaddrinfo = socket.getaddrinfo


def fake_dns(monkeypatch, table):
    """Answer names in ``table`` (name -> list of answers, used in turn; the last one
    repeats) like a DNS server or /etc/hosts would; other names as usual."""
    calls: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host in table:
            n = calls[host] = calls.get(host, 0) + 1
            answers = table[host]
            ip = answers[min(n, len(answers)) - 1]
            fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [(fam, socket.SOCK_STREAM, 6, "", (ip, port or 0))]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def events_of(bus):
    seen = []
    bus.subscribe(
        lambda e: (
            seen.append((e.type, e.action, e.decision))
            if e.action is not None and e.action.kind == "net"
            else None
        )
    )
    return seen


def test_name_in_hosts_pointing_at_loopback_is_refused(monkeypatch, loopback_pair):
    forbidden, _ = loopback_pair
    fake_dns(monkeypatch, {"svc.example.test": ["127.0.0.1"]})
    bus = corral.EventBus()
    seen = events_of(bus)
    url = f"http://svc.example.test:{forbidden.port}/secret"
    with Sandbox(policy=POLICY, bus=bus, budget=Budget(wall_s=30)) as sb:
        r = sb.run(f"curl -sS {url}; echo curl=$?; wget -q -O - {url}; echo wget=$?")
    assert "curl=6" in r.stdout and "wget=4" in r.stdout, (r.stdout, r.stderr)
    assert "127.0.0.1" in r.stderr and "loopback" in r.stderr
    assert forbidden.requests == []
    denied = [a for t, a, _ in seen if t == "action.denied"]
    assert denied and denied[0].ip == "127.0.0.1" and denied[0].host == "svc.example.test"


def test_cloud_metadata_behind_a_name_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"meta.example.test": ["169.254.169.254"]})
    # monitor off: its metadata rule would stop the script before the fetch is tried
    with Sandbox(policy=POLICY, budget=Budget(wall_s=30), monitor=False) as sb:
        r = sb.run("curl -sS -m 2 http://meta.example.test/latest/meta-data/; echo $?")
    assert r.stdout.strip().endswith("6") and "169.254.169.254" in r.stderr


def test_rebinding_dns_never_reaches_loopback(monkeypatch, loopback_pair):
    forbidden, allowed = loopback_pair
    calls = fake_dns(monkeypatch, {"svc.example.test": ["127.0.0.2", "127.0.0.1"]})
    url = f"http://svc.example.test:{allowed.port}/page"
    with Sandbox(policy=POLICY, budget=Budget(wall_s=30)) as sb:
        r = sb.run(f"curl -sS {url}")
    assert r.stdout == "reached 127.0.0.2\n", r.stderr
    assert forbidden.requests == []
    assert allowed.requests == [("/page", f"svc.example.test:{allowed.port}")]
    assert calls["svc.example.test"] == 1


def test_every_redirect_hop_is_decided_on_its_address(monkeypatch, loopback_pair):
    forbidden, allowed = loopback_pair
    fake_dns(
        monkeypatch,
        {"svc.example.test": ["127.0.0.2"], "inner.example.test": ["127.0.0.1"]},
    )
    hop = f"http://inner.example.test:{forbidden.port}/admin"
    url = f"http://svc.example.test:{allowed.port}/redirect?to={hop}"
    with Sandbox(policy=POLICY, budget=Budget(wall_s=30)) as sb:
        r = sb.run(f"curl -sSL {url}; echo curl=$?; wget -q -O - {url}; echo wget=$?")
    assert "curl=6" in r.stdout and "wget=4" in r.stdout, (r.stdout, r.stderr)
    assert forbidden.requests == [] and len(allowed.requests) == 2


# ---------------------------------------------------------------------------- TLS


def _certs(tmp_path, name):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "corral test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem = tmp_path / "cert.pem"
    cert_pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem


@pytest.fixture
def tls_server(tmp_path):
    pytest.importorskip("cryptography")
    ca_pem, cert_pem = _certs(tmp_path, "svc.example.test")
    seen: dict[str, list] = {"sni": [], "host": []}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_pem)
    ctx.sni_callback = lambda sock, name, c: seen["sni"].append(name)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers.get("Host"))
            body = b"secure hello\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    except OSError:
        pytest.skip("cannot bind 127.0.0.2 on this machine")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], ca_pem, seen
    finally:
        server.shutdown()


def test_https_verifies_the_name_not_the_address(monkeypatch, tls_server):
    port, ca_pem, seen = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    fake_dns(monkeypatch, {"svc.example.test": ["127.0.0.2"], "alias.example.test": ["127.0.0.2"]})
    with Sandbox(policy=POLICY, budget=Budget(wall_s=30)) as sb:
        r = sb.run(f"curl -sS https://svc.example.test:{port}/")
        assert r.stdout == "secure hello\n", r.stderr
        # the same address under a name the certificate does not carry: refused
        r = sb.run(f"curl -sS https://alias.example.test:{port}/; echo $?")
        assert r.stdout.strip() == "60", r.stderr
        assert "certificate" in r.stderr.lower()
    assert seen["sni"][0] == "svc.example.test"
    assert seen["host"] == [f"svc.example.test:{port}"]

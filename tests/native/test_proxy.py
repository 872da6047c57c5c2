"""The egress proxy: HTTP forward, CONNECT, SOCKS5, policy, metering, cut; pip through it."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import socket
import struct
import time
import urllib.request
import zipfile

import pytest

from corral.budget import Budget
from corral.events import Decision
from corral.native import BwrapBackend, EgressProxy
from corral.native.proxy import classify

from .conftest import Events, Server, need


def only_port(port):
    def decide(host, p, ip):
        if p == port and host in ("127.0.0.1", "localhost") and ip in (None, "127.0.0.1", "::1"):
            return True, "test server"
        return False, f"{host}:{p} is not on the allowlist"

    return decide


def _opener(proxy: EgressProxy):
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.url}))


def test_http_forward_allowed_and_recorded(http_server):
    ev = Events()
    with EgressProxy(only_port(http_server.port), events=ev) as proxy:
        body = _opener(proxy).open(f"http://127.0.0.1:{http_server.port}/hello.txt").read()
        assert body == b"hello from the host\n"
        time.sleep(0.2)
    req = ev.actions("net", ("action.requested",))
    assert req and req[0][1]["action"].host == "127.0.0.1"
    assert req[0][1]["decision"].verdict == "allow"
    done = ev.actions("net", ("action.completed",))
    out = done[0][1]["outcome"]
    assert out["bytes_in"] > 20 and out["bytes_out"] > 20 and out["protocol"] == "http"
    assert out["duration_s"] >= 0 and out["ip"] == "127.0.0.1"


def test_denied_host_is_never_resolved(http_server):
    asked = []

    def resolver(host, port):
        asked.append(host)
        return ["127.0.0.1"]

    ev = Events()
    with EgressProxy(only_port(http_server.port), events=ev, resolver=resolver) as proxy:
        with pytest.raises(urllib.error.HTTPError) as exc:
            _opener(proxy).open("http://exfil.attacker.example/x")
        assert exc.value.code == 403
    assert asked == []  # no DNS query for a denied name
    denied = ev.actions("net", ("action.denied",))
    assert denied[0][1]["action"].host == "exfil.attacker.example"
    assert "allowlist" in denied[0][1]["decision"].reason


def test_name_rebinding_to_a_denied_address_is_refused(http_server):
    def decide(host, port, ip):
        if ip is None:
            return True, "name allowed"
        return ip != "127.0.0.1", "address denied"

    with EgressProxy(decide, resolver=lambda h, p: ["127.0.0.1"]) as proxy:
        with pytest.raises(urllib.error.HTTPError) as exc:
            _opener(proxy).open(f"http://allowed.example:{http_server.port}/hello.txt")
        assert exc.value.code == 403


def test_policy_decision_objects_are_accepted(http_server):
    def decide(host, port, ip):
        return Decision(verdict="allow" if port == http_server.port else "deny", reason="r")

    with EgressProxy(decide) as proxy:
        assert _opener(proxy).open(f"http://127.0.0.1:{http_server.port}/hello.txt").read()


def _connect_tunnel(proxy, port):
    s = socket.create_connection(proxy.address, timeout=5)
    s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = s.recv(4096)
    return s, head


def test_connect_tunnel_and_classification(http_server):
    ev = Events()
    with EgressProxy(only_port(http_server.port), events=ev) as proxy:
        s, head = _connect_tunnel(proxy, http_server.port)
        assert head.startswith(b"HTTP/1.1 200")
        s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert b"hello from the host" in data
        s.close()
        time.sleep(0.3)
    out = ev.actions("net", ("action.completed",))[0][1]["outcome"]
    assert out["via"] == "connect" and out["protocol"] == "http"


def test_socks5_connect(http_server):
    with EgressProxy(only_port(http_server.port)) as proxy:
        s = socket.create_connection(proxy.address, timeout=5)
        s.sendall(b"\x05\x01\x00")
        assert s.recv(2) == b"\x05\x00"
        name = b"localhost"
        s.sendall(
            b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack("!H", http_server.port)
        )
        assert s.recv(10)[:2] == b"\x05\x00"
        s.sendall(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert b"hello from the host" in data
        # a denied destination gets "not allowed by ruleset"
        s2 = socket.create_connection(proxy.address, timeout=5)
        s2.sendall(b"\x05\x01\x00")
        s2.recv(2)
        s2.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 1))
        assert s2.recv(10)[:2] == b"\x05\x02"


def test_byte_budget_and_cut(http_server):
    (http_server.root / "big.bin").write_bytes(b"x" * 300_000)
    ev = Events()
    with EgressProxy(only_port(http_server.port), events=ev, max_bytes_in=100_000) as proxy:
        try:
            data = _opener(proxy).open(f"http://127.0.0.1:{http_server.port}/big.bin").read()
        except (OSError, http.client.HTTPException):
            data = b""  # cut mid-transfer
        assert len(data) < 300_000
        assert proxy.budget_exceeded == "net_in"
        with pytest.raises(urllib.error.HTTPError):
            _opener(proxy).open(f"http://127.0.0.1:{http_server.port}/hello.txt")
    assert any(t == "budget.exceeded" for t, _ in ev.items)


def test_cut_connection_and_session(http_server):
    with EgressProxy(only_port(http_server.port)) as proxy:
        s, head = _connect_tunnel(proxy, http_server.port)
        assert head.startswith(b"HTTP/1.1 200")
        live = proxy.live()
        assert len(live) == 1
        assert proxy.cut(live[0].id)
        s.settimeout(3)
        assert s.recv(100) == b""
        s2, _ = _connect_tunnel(proxy, http_server.port)
        assert proxy.cut_session() == 1
        s3, head3 = _connect_tunnel(proxy, http_server.port)
        assert head3.startswith(b"HTTP/1.1 403")
        proxy.resume()
        s4, head4 = _connect_tunnel(proxy, http_server.port)
        assert head4.startswith(b"HTTP/1.1 200")
        for x in (s, s2, s3, s4):
            x.close()


def test_classify():
    assert classify(b"\x16\x03\x01\x02\x00") == "tls"
    assert classify(b"SSH-2.0-OpenSSH_9.2") == "ssh"
    assert classify(b"GET / HTTP/1.1\r\n") == "http"
    assert classify(b'{"id":1,"method":"mining.subscribe","params":[]}\n') == "stratum"
    assert (
        classify(b'{"id":1,"method":"login","params":{"login":"x","agent":"xmrig"}}') == "stratum"
    )
    assert classify(b'{"jsonrpc":"2.0","method":"eth_call"}') == "jsonrpc"
    assert classify(b"\x00\x01binary") == "unknown"


# ---------------------------------------------------------------------- inside bwrap


def test_sandbox_reaches_only_what_policy_allows(workspace, http_server, events):
    need("bwrap")
    with BwrapBackend(
        workspace,
        Budget(wall_s=20),
        events=events,
        net_decide=only_port(http_server.port),
        env={"no_proxy": "", "NO_PROXY": ""},
    ) as box:
        r = box.run(
            f"curl -sS -m 5 http://127.0.0.1:{http_server.port}/hello.txt;"
            f"curl -sS -m 5 -x socks5h://127.0.0.1:3128 http://localhost:{http_server.port}/hello.txt;"
            "curl -sS -m 5 http://pypi.org/ ; echo;"
            f"curl -sS -m 3 --noproxy '*' http://127.0.0.1:{http_server.port}/hello.txt; echo rc=$?"
        )
    assert r.stdout.count("hello from the host") == 2, r
    assert "not on the allowlist" in r.stdout
    assert "rc=7" in r.stdout  # the host's loopback is not reachable directly
    denied = [f["action"].host for t, f in events.actions("net", ("action.denied",))]
    assert "pypi.org" in denied


def _wheel(tmp_path, name="corraltestpkg", version="1.0"):
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: corral-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
    fname = f"{name}-{version}-py3-none-any.whl"
    return fname, buf.getvalue()


def test_pip_install_inside_bwrap_through_the_proxy(workspace, tmp_path, events):
    need("bwrap")
    index = tmp_path / "index"
    pkg = index / "simple" / "corraltestpkg"
    pkg.mkdir(parents=True)
    fname, data = _wheel(tmp_path)
    (pkg / fname).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    (pkg / "index.html").write_text(
        f'<html><body><a href="{fname}#sha256={sha}">{fname}</a></body></html>'
    )
    (index / "simple" / "index.html").write_text('<a href="corraltestpkg/">corraltestpkg</a>')
    srv = Server(index)
    try:
        with BwrapBackend(
            workspace,
            Budget(wall_s=60, memory_mb=512),
            events=events,
            net_decide=only_port(srv.port),
            env={"no_proxy": "", "NO_PROXY": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        ) as box:
            r = box.run(
                f"python3 -m pip install --no-cache-dir --index-url http://127.0.0.1:{srv.port}/simple"
                " --target /workspace/site corraltestpkg"
                " && PYTHONPATH=/workspace/site python3 -c 'import corraltestpkg; print(corraltestpkg.VALUE)'"
            )
            assert r.ok, r.stderr[-2000:]
            assert r.stdout.strip().endswith("42")
            r = box.run(
                "python3 -m pip install --no-cache-dir --index-url https://pypi.org/simple"
                " --target /workspace/site2 --retries 0 --timeout 3 six"
            )
            assert not r.ok
    finally:
        srv.close()
    spawns = [f["action"].argv for t, f in events.actions("spawn")]
    assert any(a[:3] == ["python3", "-m", "pip"] for a in spawns)
    hosts = [
        (t, f["action"].host)
        for t, f in events.actions("net")
        if f.get("data", {}).get("source") == "proxy"
    ]
    assert ("action.requested", "127.0.0.1") in hosts and ("action.denied", "pypi.org") in hosts


def test_the_proxy_bounds_its_threads_and_its_record(monkeypatch):
    """A sandbox could hold hundreds of thousands of connections open to the proxy (one
    host thread each) and leave a record per refused one for the proxy's life: at most
    MAX_LIVE are handled at once (a new one past that is closed at once), and finished
    ones are forgotten past MAX_RECORDED."""
    from corral.native import proxy as proxymod

    monkeypatch.setattr(proxymod, "MAX_LIVE", 4)
    monkeypatch.setattr(proxymod, "MAX_RECORDED", 16)
    with EgressProxy(lambda h, p, ip: (False, "not on the allowlist")) as proxy:
        held = [socket.create_connection(proxy.address) for _ in range(4)]
        time.sleep(0.3)
        extra = socket.create_connection(proxy.address)
        extra.settimeout(5)
        assert extra.recv(10) == b""  # closed at once: four were being handled
        assert proxy.refused_busy >= 1
        for s in [*held, extra]:
            s.close()
        end = time.monotonic() + 10
        while proxy._handling and time.monotonic() < end:
            time.sleep(0.05)
        for i in range(60):
            with socket.create_connection(proxy.address) as s:
                s.sendall(b"CONNECT denied%d.example:443 HTTP/1.1\r\nHost: x\r\n\r\n" % i)
                s.settimeout(5)
                assert s.recv(200).startswith(b"HTTP/1.1 403")
        assert len(proxy.connections) <= 16

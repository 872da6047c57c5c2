"""The wall under `default`'s root installs: software installed "as root" stays in the sandbox.

`default` decides `sudo apt-get install …`, `sudo dpkg -i`, `sudo make install`, `sudo pip
install`, `sudo npm install -g` as the install itself (the same line without `sudo` already
ran): inside a native tier `sudo` is corral's own stand-in that runs the command as the
sandbox's unprivileged user (no capabilities, `no_new_privs`), and the system's directories
are the host's, read-only, or the tier's own. The test builds real packages in the workspace
(a `.deb`, a Makefile with an install target, a wheel, an npm package), has a sandboxed
shell install each one "as root" with the policy allowing it, and checks on the host that
nothing was installed: no file at any target path, no dpkg record, nothing importable.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from tiers import needs


def _deb(ws: Path, name: str) -> list[Path]:
    """A .deb that installs a program and a config file; the host paths it would create."""
    root = ws / "debroot"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: corral tests <tests@example.org>\nDescription: wall probe\n"
    )
    (root / "usr" / "local" / "bin").mkdir(parents=True)
    (root / "usr" / "local" / "bin" / name).write_text("#!/bin/sh\necho installed\n")
    (root / "etc").mkdir()
    (root / "etc" / f"{name}.conf").write_text("x=1\n")
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", str(root), str(ws / "probe.deb")],
        check=True, capture_output=True,
    )  # fmt: skip
    shutil.rmtree(root)
    return [Path("/usr/local/bin") / name, Path("/etc") / f"{name}.conf"]


def _makefile(ws: Path, name: str) -> list[Path]:
    """A Makefile whose install target writes system paths by a program that reads them
    from a file (corral's gate refuses `install -D … /usr/local/bin/x` inside, as it sees
    the path: here nothing but the wall stands in the way)."""
    targets = [
        Path(f"/usr/local/bin/{name}-make"),
        Path(f"/etc/{name}-make.conf"),
        Path(f"/usr/lib/{name}-make.sh"),
        Path(f"/usr/local/lib/{name}-make.so"),
    ]
    (ws / "targets.txt").write_text("\n".join(map(str, targets)) + "\n")
    (ws / "put.py").write_text(
        "import sys\n"
        "failed = 0\n"
        "for t in open('targets.txt').read().split():\n"
        "    try:\n"
        "        open(t, 'w').write('installed')\n"
        "        print('WROTE', t)\n"
        "    except OSError as e:\n"
        "        failed += 1\n"
        "        print('refused', t, e.errno)\n"
        "sys.exit(1 if failed else 0)\n"
    )
    (ws / "Makefile").write_text(
        "install:\n"
        "\tpython3 put.py\n"
    )
    return targets


def _wheel(ws: Path, module: str) -> Path:
    """A pure-Python wheel of one module (pip installs a wheel without building)."""
    dist = f"{module}-1.0.dist-info"
    files = {
        f"{module}.py": b"VALUE = 1\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: corral-tests\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    whl = ws / f"{module}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
    return whl


def _npm_package(ws: Path, name: str) -> None:
    pkg = ws / "npmpkg"
    pkg.mkdir()
    (pkg / "package.json").write_text(
        f'{{"name": "{name}", "version": "1.0.0", "bin": {{"{name}": "cli.js"}}}}\n'
    )
    (pkg / "cli.js").write_text("#!/usr/bin/env node\nconsole.log('installed')\n")


@pytest.mark.parametrize(
    "backend",
    [pytest.param("bwrap", marks=needs("bwrap")), pytest.param("gvisor", marks=needs("gvisor"))],
)
def test_root_installs_leave_the_host_unchanged(tmp_path: Path, backend: str) -> None:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed (Debian's dpkg builds the probe package)")
    name = f"corral-wall-{uuid.uuid4().hex[:10]}"
    module = name.replace("-", "_")
    targets = _deb(tmp_path, name) + _makefile(tmp_path, name)
    whl = _wheel(tmp_path, module)
    _npm_package(tmp_path, name)
    lines = [
        "sudo dpkg -i probe.deb",
        "sudo apt-get install -y ./probe.deb",
        "sudo apt install --reinstall -y ./probe.deb",
        "sudo make install",
        f"sudo python3 -m pip install --no-index --no-deps {whl.name}",
        f"sudo pip3 install --no-index --no-deps --break-system-packages {whl.name}",
        "sudo npm install -g ./npmpkg",
        "doas make install",
    ]
    with Sandbox(
        backend=backend, policy="default", workspace=tmp_path, budget=Budget(wall_s=60)
    ) as sb:
        results = {}
        for line in lines:
            assert sb.policy.decide_command(line).verdict == "allow", line
            results[line] = sb.run(line)
        # where the sandbox's interpreter and npm would install, on the host's paths
        where = sb.run(
            "python3 -c 'import sysconfig; p = sysconfig.get_paths(); "
            "print(p[\"purelib\"]); print(p[\"scripts\"])'; npm root -g 2>/dev/null; true"
        )
    report = "\n".join(
        f"{line} -> {r.exit_code}: {(r.stdout + r.stderr).strip()[-300:]}"
        for line, r in results.items()
    )
    # the program that writes the paths itself ran and each write met the wall
    made = results["sudo make install"]
    assert made.stdout.count("refused") == 4 and "WROTE" not in made.stdout, report
    dirs = [Path(p) for p in where.stdout.split() if p.startswith("/")]
    targets += [d / f"{module}.py" for d in dirs] + [d / name for d in dirs]
    targets += [Path("/usr/local/lib/node_modules") / name, Path("/usr/lib/node_modules") / name]
    present = [str(p) for p in targets if os.path.lexists(p)]
    assert not present, f"installed on the host: {present}\n{report}"
    status = subprocess.run(["dpkg-query", "-W", name], capture_output=True, text=True)
    assert status.returncode != 0, f"dpkg on the host knows {name}: {status.stdout}\n{report}"
    found = subprocess.run(
        [sys.executable, "-c", f"import importlib.util as u; print(u.find_spec({module!r}))"],
        capture_output=True, text=True, cwd="/",
    )  # fmt: skip
    assert found.stdout.strip() == "None", f"{module} importable on the host\n{report}"

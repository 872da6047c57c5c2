#!/usr/bin/env python3
"""Probe set 13: one-liners of the kind an agent or a developer runs in a project
workspace, each run under real bash and under the corral shell over the same fixture
tree, compared on stdout bytes and exit status (stderr: only whether it is empty).

    python tests/conformance/probe13.py               # every line, table by class
    python tests/conformance/probe13.py --split fix   # the lines fixes may look at
    python tests/conformance/probe13.py --split held  # the quarter held back from fixing
    python tests/conformance/probe13.py -k jq -v      # one class, show what differs
    python tests/conformance/probe13.py --json out.json

The lines live in ``probe/lines_*.txt``, one ``[class] command`` a line (a line starting
with ``> `` continues the command above it after a newline, for here-documents). The held-back
quarter is every fourth line of the files read in name order (index % 4 == 3), fixed
before any result was looked at. The fixture tree (text, CSV, JSON, a small source tree
and a git repository made by the host's git with fixed names and dates) is built once
and copied afresh for every line, for both shells; mtimes are fixed so ``find -newer``
and ``ls -t`` agree.

Real bash runs as ``bash --noprofile --norc -c LINE`` with the environment the corral
shell presents (HOME = the workspace, LANG=C.UTF-8, PATH=/usr/local/bin:/usr/bin:/bin,
TZ=UTC), stdin from /dev/null, a 10 s timeout; the temporary directory is replaced by
``/workspace`` in its output. The host's ``awk`` may be mawk while corral's follows GNU
awk: an awk line can differ for that reason alone (the table says which awk ran).

Needs bash and the GNU tools the lines name (jq, git, bc, zip, xxd, python3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE_DIR = HERE / "probe"
LINE_RE = re.compile(r"^\[([a-z0-9_-]+)\] (.+)$")
TIMEOUT_S = 10.0
FIXED_MTIME = 1_600_000_000  # 2020-09-13, every fixture file
GUEST = "/workspace"


def load_lines(probe_dir: Path = PROBE_DIR) -> list[tuple[int, str, str]]:
    """(index, class, command) for every probe line, in file-name then line order."""
    out: list[tuple[int, str, str]] = []
    for path in sorted(probe_dir.glob("lines_*.txt")):
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if raw.startswith("> "):  # a continuation: the command goes on, after a newline
                if not out:
                    raise SystemExit(f"{path.name}:{n}: a continuation line with no command")
                idx, cls, cmd = out[-1]
                out[-1] = (idx, cls, cmd + "\n" + raw[2:])
                continue
            if not raw.strip() or raw.startswith("#"):
                continue
            m = LINE_RE.match(raw)
            if m is None:
                raise SystemExit(f"{path.name}:{n}: expected '[class] command', got {raw!r}")
            out.append((len(out), m.group(1), m.group(2)))
    return out


def held_back(index: int) -> bool:
    """The quarter of the lines kept out of fixing (chosen before any result)."""
    return index % 4 == 3


FILES: dict[str, str] = {
    "notes.txt": (
        "The quick brown fox jumps over the lazy dog.\n"
        "This is a note about the project.\n"
        "\n"
        "Contact: dev@example.com or ops@example.org   \n"
        "\tIndented line with a tab\n"
        "\n"
        "\n"
        "Last line is the end of the notes.\n"
    ),
    "words.txt": "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta.x\n",
    "words2.txt": "alpha\nbeta\ngamma\nDELTA\nepsilon\nzeta\neta\niota\n",
    "nums.txt": "42\n7\n1000\n3\n256\n18\n99\n",
    "dups.txt": "apple\nbanana\napple\ncherry\nbanana\napple\ndate\n",
    "data.csv": (
        "name,age,city,score\nalice,34,Paris,88\nbob,27,London,92\ncarol,41,Paris,75\n"
        "dave,30,Berlin,60\neve,25,London,99\n"
    ),
    "cities.csv": "alice,FR\nbob,UK\ncarol,FR\nzed,DE\n",
    "users.json": json.dumps(
        [
            {"name": "alice", "age": 34, "city": "Paris", "tags": ["admin", "dev"]},
            {"name": "bob", "age": 27, "city": "London", "tags": ["dev"]},
            {"name": "carol", "age": 41, "city": "Paris", "tags": ["ops", "admin"]},
            {"name": "dave", "age": 30, "city": "Berlin", "tags": []},
        ],
        indent=2,
    )
    + "\n",
    "app.log": (
        "2024-01-01 10:00:00 INFO server started on port 8080\n"
        "2024-01-01 10:00:05 WARN disk usage at 81%\n"
        "2024-01-01 10:01:00 ERROR connection timeout after 30s\n"
        "2024-01-01 10:01:30 INFO retrying connection\n"
        "2024-01-01 10:02:00 ERROR disk full on /var\n"
        "2024-01-01 10:03:00 INFO request served in 120ms\n"
        "2024-01-01 10:04:00 WARN slow query 2500ms\n"
        "2024-01-01 10:05:00 INFO shutdown\n"
    ),
    "config.ini": (
        "# settings\n[server]\nhost=localhost\nport=8080\n\n[db]\nname=main\nuser=admin\n"
    ),
    "pairs.txt": "a 1\nb 2\nc 3\nd 4\n",
    "pairs2.txt": "a x\nc y\ne z\n",
    "sizes.txt": "10K\n2M\n512\n1G\n3K\n",
    "versions.txt": "1.10.0\n1.2.0\n1.9.3\n2.0.0\n1.2.10\n",
    "mixed.txt": "Banana\napple\nApple\ncherry\nbanana\n",
    "months.txt": "Mar\nJan\nDec\nFeb\n",
    "sorted1.txt": "apple\nbanana\ncherry\ndate\n",
    "sorted2.txt": "banana\ncherry\nelder\nfig\n",
    "long.txt": (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua.\nUt enim ad minim veniam, quis "
        "nostrud exercitation.\n"
    ),
    "tabs.tsv": "id\tname\tvalue\n1\tfoo\t10\n2\tbar baz\t20\n",
    "spaces.txt": "a       b\n        c\n",
    "nonl.txt": "first\nsecond without newline",
    "empty.txt": "",
    "file with space.txt": "spaced content\n",
    ".hidden": "secret=1\n",
    "src/main.py": (
        "import sys\nfrom util import helper\n\n\ndef main():\n    # TODO: parse args\n"
        "    return helper(sys.argv)\n"
    ),
    "src/util.py": "import os\n\n\ndef helper(args):\n    return len(args)\n",
    "src/lib/helper.sh": "#!/bin/sh\n# TODO: more\necho helper\n",
    "src/lib/data.bin": "x" * 2048,
    "docs/README.md": "# Project\n\nSome docs.\n",
    "docs/guide.md": "# Guide\n\n1. Install\n2. Run\n",
}

REPO_COMMITS: list[tuple[str, dict[str, str]]] = [
    ("initial commit", {"a.txt": "line one\nline two\n", "b.txt": "bee\n"}),
    ("add line three", {"a.txt": "line one\nline two\nline three\n"}),
    ("update b", {"b.txt": "bee\nbuzz\n"}),
]


def _git(repo: Path, *args: str, when: int = 0) -> None:
    stamp = f"{1_700_000_000 + when * 3600} +0000"
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Dev One", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev One", "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
    }  # fmt: skip
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def build_fixture(root: Path) -> None:
    """The fixture tree under ``root`` (which exists and is empty)."""
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    repo = root / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Dev One")
    _git(repo, "config", "user.email", "dev@example.com")
    for n, (msg, files) in enumerate(REPO_COMMITS):
        for rel, text in files.items():
            (repo / rel).write_text(text, encoding="utf-8")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", msg, when=n)
        if n == 0:
            _git(repo, "tag", "v0.1")
        if n == 1:
            _git(repo, "branch", "feature")
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            os.utime(Path(dirpath, name), (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
    os.utime(root, (FIXED_MTIME, FIXED_MTIME))


def _fill(dest: Path, template: Path) -> None:
    """Empty ``dest`` and copy the fixture tree into it, mtimes kept."""
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(template, dest, dirs_exist_ok=True, symlinks=True)


def run_bash(template: Path, line: str) -> tuple[bytes, int, bool]:
    with tempfile.TemporaryDirectory() as top:
        d = os.path.join(top, "workspace")  # the same base name as corral's cwd
        os.mkdir(d)
        _fill(Path(d), template)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": d, "LANG": "C.UTF-8",
            "TZ": "UTC", "USER": "user", "LOGNAME": "user", "TERM": "dumb",
        }  # fmt: skip
        try:
            p = subprocess.run(
                ["bash", "--noprofile", "--norc", "-c", line], cwd=d, env=env,
                stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT_S,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return b"<timeout>", -1, True
        real = os.path.realpath(d).encode()
        out = p.stdout.replace(real, GUEST.encode()).replace(d.encode(), GUEST.encode())
        return out, p.returncode, bool(p.stderr)


def run_corral(template: Path, line: str) -> tuple[bytes, int, bool]:
    from corral import Sandbox

    with Sandbox(policy="permissive") as sb:
        _fill(sb.path, template)
        try:
            r = sb.run(line, timeout=TIMEOUT_S)
        except Exception as e:  # a crash of the shell is a mismatch, not the end of the run
            return f"<raised {type(e).__name__}: {e}>".encode(), -2, True
        out = r.stdout
        if isinstance(out, str):
            out = out.encode("utf-8", "surrogateescape")
        err = r.stderr
        return out, r.exit_code, bool(err)


def main(
    argv: list[str] | None = None, probe_dir: Path = PROBE_DIR, name: str = "probe13",
    doc: str = __doc__ or "",
) -> int:  # fmt: skip
    """Run the lines of ``probe_dir`` (this set's by default) under bash and corral."""
    ap = argparse.ArgumentParser(prog=name, description=doc.split("\n\n")[0])
    ap.add_argument("--split", choices=["all", "fix", "held"], default="all")
    ap.add_argument("-k", metavar="CLASS", action="append", help="only this class (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show each mismatch")
    ap.add_argument("--json", metavar="FILE", help="write every result to FILE")
    args = ap.parse_args(argv)

    lines = load_lines(probe_dir)
    if args.split != "all":
        lines = [t for t in lines if held_back(t[0]) == (args.split == "held")]
    if args.k:
        lines = [t for t in lines if t[1] in args.k]
    awk = os.path.basename(os.path.realpath(shutil.which("awk") or "awk"))
    total: Counter[str] = Counter()
    bad: dict[str, list[dict[str, object]]] = defaultdict(list)
    results: list[dict[str, object]] = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tdir:
        template = Path(tdir)
        build_fixture(template)
        for idx, cls, line in lines:
            want = run_bash(template, line)
            got = run_corral(template, line)
            total[cls] += 1
            same = want[:2] == got[:2]
            rec = {
                "index": idx, "class": cls, "line": line, "match": same,
                "want": [want[0].decode("utf-8", "replace"), want[1], want[2]],
                "got": [got[0].decode("utf-8", "replace"), got[1], got[2]],
            }  # fmt: skip
            results.append(rec)
            if not same:
                bad[cls].append(rec)
                if args.verbose:
                    print(f"--- [{cls}] #{idx} {line}")
                    print(f"    bash   rc={want[1]} err={want[2]} {want[0][:400]!r}")
                    print(f"    corral rc={got[1]} err={got[2]} {got[0][:400]!r}")
    n = sum(total.values())
    nbad = sum(len(v) for v in bad.values())
    print(f"\n{name} split={args.split} awk={awk}: {n} lines, {n - nbad} match "
          f"({100.0 * (n - nbad) / max(n, 1):.1f} %), {time.monotonic() - t0:.0f} s")  # fmt: skip
    print(f"{'class':<10} {'lines':>5} {'bad':>4}")
    for cls in sorted(total, key=lambda c: (-len(bad[c]), c)):
        print(f"{cls:<10} {total[cls]:>5} {len(bad[cls]):>4}")
    stderr_diff = sum(1 for r in results if r["match"] and r["want"][2] != r["got"][2])  # type: ignore[index]
    print(f"(matching lines whose stderr emptiness differs: {stderr_diff})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if nbad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

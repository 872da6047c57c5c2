"""``git diff --word-diff`` and ``git status --ignored`` in the WebAssembly tier against
the real git: the word diff (``git/worddiff.py``) against ``git diff --no-index
--word-diff`` on random texts, and sessions run by /usr/bin/git and by the corral shell
with the same stdout and status."""

from __future__ import annotations

import random
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.shell.git.diff import hunks
from corral.shell.git.worddiff import render

from .git_compare import GIT, NEEDS_GIT, corral_git, real_git

pytestmark = NEEDS_GIT


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=60)) as s:
        yield s


@pytest.mark.parametrize("mode", ["plain", "porcelain"])
def test_word_diff_is_gits(mode: str) -> None:
    rng = random.Random(7 if mode == "plain" else 8)
    words = ["a", "bb", "foo(x)", "c,d", "ee", "-", "{x}", "q"]
    seps = [" ", "  ", "\t", "\n", "\n\n", " \n"]

    def text() -> bytes:
        parts = []
        for _ in range(rng.randint(0, 30)):
            parts += [rng.choice(words), rng.choice(seps)]
        s = "".join(parts)
        return (s if rng.random() < 0.8 else s.rstrip("\n")).encode()

    def mutate(t: bytes) -> bytes:
        toks = t.split(b" ")
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(toks))
            toks[k] = rng.choice([b"", b"zz", b"a\nnew", toks[k] + b"  ", b"q q"])
        return b" ".join(toks)

    wrong = []
    shown = 0
    with tempfile.TemporaryDirectory() as d:
        for _ in range(150):
            a = text()
            b = mutate(a)
            (Path(d) / "a").write_bytes(a)
            (Path(d) / "b").write_bytes(b)
            r = subprocess.run([GIT or "git", "diff", "--no-index", f"--word-diff={mode}",
                                "a", "b"], cwd=d, capture_output=True)  # fmt: skip
            want = r.stdout.split(b"\n@@", 1)
            want_body = b"@@" + want[1] if len(want) == 2 else b""
            got = b"".join(render(hunks(a, b), mode))
            shown += bool(want_body)
            if got != want_body:
                wrong.append((a, b))
    assert not wrong, f"{len(wrong)} differ; the first: {wrong[0]}"
    assert shown > 100  # most pairs differ


WORDS = r"""
git init -q -b main r && cd r
printf 'ctx1\nctx2\nctx3\nthe quick  brown fox\njumps over\nctx4\nctx5\nctx6\nctx7\nctx8\n' > f
printf 'ctx9\nctx10\nfoo(bar, baz)\n\nlast' >> f
printf 'gone\nline two\n' > g
git add . && git commit -qm one
printf 'ctx1\nctx2\nctx3\nthe slow brown   fox\njumps over\nctx4\nctx5\nctx6\nctx7\nctx8\n' > f
printf 'ctx9\nctx10\nfoo(bar,baz) x\n\n\nlast\nadded\n' >> f
printf 'line  two\nnew\tline\n' > g
echo brand new > h && git add h
git diff --word-diff
git diff --word-diff=porcelain
git diff --word-diff=plain HEAD
git diff --word-diff=none -- g
git add -A && git commit -qm two
git diff --word-diff HEAD~1 HEAD -- h f
"""

IGNORED = r"""
git init -q -b main r && cd r
echo t > tracked && mkdir -p src/gen logs mixed deep/a/b && echo k > src/keep.c
git add . && git commit -qm one
printf '*.log\nbuild/\n*.o\ngen/\n' > .gitignore
echo x > a.log; mkdir -p build/sub && touch build/o build/sub/p
touch src/x.o src/gen/g.c logs/1.log logs/2.log mixed/m.log mixed/keep.txt deep/a/b/z.log
git status --ignored
git status --ignored -s
git status --ignored --porcelain --untracked-files=all
git status --ignored=no -s
cd src && git status --ignored -s
"""


@pytest.mark.parametrize("script", [WORDS, IGNORED], ids=["word-diff", "status-ignored"])
def test_as_real_git(sb: Sandbox, script: str) -> None:
    sb.run("cd /workspace && rm -rf /workspace/* /workspace/.[!.]* 2>/dev/null; true")
    want = real_git(script)
    got = corral_git(sb, script)
    assert got.stdout == want.stdout, (got.stderr, want.stderr)
    assert got.status == want.status

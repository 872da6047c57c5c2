"""The corral shell parses bash's grammar as bash does: hand-picked shapes that
tree-sitter-bash gets wrong (``shell/parse_gaps.py``), and a few hundred scripts built
at random from bash's compound commands (negations, function bodies of every compound
kind, case arms ending in ``;;``/``;&``/``;;&``, compound commands followed by a closing
word without ``;``), each run by ``/bin/bash`` and by the corral shell: stdout and exit
status must be the same. The seed is fixed (``CORRAL_PARSE_SEED`` picks another,
``CORRAL_PARSE_CASES`` how many)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.files import Workspace
from corral.shell.parser import parse
from corral.shell.session import new_shell

BASH = shutil.which("bash") or "/bin/bash"
SEED = int(os.environ.get("CORRAL_PARSE_SEED", "20261205"))
CASES = int(os.environ.get("CORRAL_PARSE_CASES", "300"))

pytestmark = pytest.mark.skipif(not Path(BASH).exists(), reason="needs GNU bash")


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory() as d:
        yield Workspace(Path(d), Budget(wall_s=60))


def _bash(script: str) -> tuple[str, int]:
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(
            [BASH, "--noprofile", "--norc", "-c", script], cwd=d, capture_output=True,
            timeout=60, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": d},
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    return p.stdout.decode("utf-8", "replace"), p.returncode


def _corral(ws: Workspace, script: str) -> tuple[str, int]:
    sh = new_shell(ws)  # a fresh shell: no function or option of an earlier script
    status, out, _err, _ = sh.run(script, deadline=time.monotonic() + 30)
    return out.decode("utf-8", "replace"), status


SHAPES = [
    # the last case arm ending in ;& or ;;& (nothing follows to fall into or test)
    "case a in a) echo 1 ;& b) echo 2 ;&\nesac; echo $?",
    "case a in a) echo 1 ;;& *) echo 2 ;;&\nesac",
    "case a in\n  a) echo 1\n  ;;&  # last\n  *) echo 2\n  ;;&\nesac",
    "case a in a) echo x ;&\nesac; echo after",
    # `!` before a compound command
    "! { false; }; echo $?",
    "! { true; }; echo $?",
    "! if false; then :; fi; echo $?",
    "! for i in 1; do false; done; echo $?",
    "! while false; do :; done; echo $?",
    "! until true; do :; done; echo $?",
    "! case a in a) false;; esac; echo $?",
    "[[ a = a ]] && ! { false; } && echo ok",
    "if ! { false; }; then echo neg; fi",
    "! { echo piped; } | cat; echo $?",
    "x=1; ! { [ $x = 1 ]; } || echo was1",
    # function bodies: any compound command
    "f() for i in 1 2; do echo $i; done\nf",
    "f() ( echo sub )\nf",
    "f() if true; then echo yes; fi\nf",
    "f() [[ -n x ]]\nf; echo $?",
    "f() (( 2 > 1 ))\nf; echo $?",
    "f() while false; do :; done\nf; echo $?",
    "f() until true; do :; done\nf; echo $?",
    "f() case x in x) echo c;; esac\nf",
    "function g for i in a b; do echo $i; done\ng",
    "function g () while false; do :; done\ng; echo $?",
    "f ()\nfor i in 1; do echo $i; done\nf",
    "f () for i in 1; do echo $i; done >&2; f 2>&1",
    "f() for i in a; do echo $i; done; declare -F f; f",
    # a compound command's end, then a closing reserved word without `;`
    "if ((1)) then echo a; fi",
    "if [[ a ]] then echo b; fi",
    "if { true; } then echo c; fi",
    "while ( false ) do :; done; echo d",
    "if true; then if true; then echo h; fi fi",
    "for i in 1; do for j in 2; do echo $i$j; done done",
    "case a in a) case b in b) echo k;; esac esac",
    "if true; then { echo p; } else echo q; fi",
    "if false; then :; elif ( true ) then echo el; fi",
    "{ if true; then echo i; fi }",
    "{ ( echo s ) }",
    "if true; then (( 1 )) fi; echo ar",
    "if true; then [[ a ]] fi; echo co",
    "{ { echo deep; } }",
    "echo $(echo n) fi",
    "echo fi done } esac",
    "x='} fi'; echo \"$x\" # } fi",
    "( echo [[ x ) fi",
    "if true; then ( echo [[ x ) fi",
    "if true; then [[ ( a ) ]] fi; echo $?",
    "f() { echo $(echo m) fi done; }; f; if true; then ( f ) fi",
    # here-strings after compound commands; for/select with a brace body; select
    "case a in a) cat;; esac <<< x",
    "{ cat; } <<< x; ( cat ) <<< y",
    "for i in 1; do cat; done <<< \"$HOME\" >/dev/null; echo ok",
    "for ((i=0;i<1;i++)); do cat; done 2>/dev/null <<< x; [[ -n x ]] <<< x; echo $?",
    "for i in 1 2; { echo $i; }",
    "for i in a b; { for j in 1; { echo $i$j; }; }",
    "f() { for i in 1 2; { echo f$i; } }; f; declare -f f",
    "echo {a,b}; for i in x; { echo $i; }",
    "select x in a b; do echo $x; break; done <<< 2 2>&1",
    "printf '\\n9\\n1\\n' | { select x in a b; do echo \"[$x][$REPLY]\"; done; echo rc=$?; } 2>&1",
    "set -- p q; PS3='pick: '; select x; do echo \"$x\"; break; done <<< 2 2>&1",
    "select x in $(seq 30); do echo $x; break; done <<< 17 2>&1",
    "select x in aaaaaaaaaaaaaaaaaaaa b c d e f g h i j k l; do break; done <<< 1 2>&1",
    "select x in a; do :; done </dev/null; echo \"rc=$?\"",
    "f() { select x in a b; do echo \"$x\"; break; done; }; declare -f f; f <<< 1",
    "select x in a b c; do case $REPLY in 1) continue;; 3) break;; esac; echo o; done <<< $'1\\n2\\n3'",
    # a loop left by break/continue has their status (0), not the last command's
    "until false; do break; done; echo $?",
    "for i in 1 2; do false; continue; done; echo $?",
    "while :; do while :; do false; break 2; done; done; echo $?",
    # bash refuses these; so does corral
    "true | ! { false; }; echo $?",
    "true | ! false; echo $?",
    "echo a;;",
    "case a in a) echo last esac",
    "if true; then echo fi fi",
    "{ echo } }",
    "{ echo g; } }",
    # thousands of operators on a line
    " && ".join(["true"] * 3000) + " && echo done",
    " || ".join(["false"] * 3000) + " || echo done2",
    "set -e; " + " && ".join(["true"] * 500) + " && false; echo not-here",
]


@pytest.mark.parametrize("script", SHAPES, ids=range(len(SHAPES)))
def test_shapes_as_bash(workspace: Workspace, script: str) -> None:
    assert _corral(workspace, script) == _bash(script), script


class _Gen:
    """Random, valid bash built from the compound commands."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0

    def tag(self) -> str:
        self.n += 1
        return f"w{self.n}"

    def simple(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return f"echo {self.tag()}"
        if r < 0.65:
            return self.rng.choice(["true", "false", ":"])
        if r < 0.8:
            return "echo s$?"
        return self.rng.choice(["[[ a == a ]]", "(( 0 ))", "(( 3 ))", "[ x = y ]"])

    def body(self, depth: int) -> tuple[str, bool]:
        """A list; and whether it ends in a compound command (a closing word may follow
        it without a separator)."""
        items = [self.command(depth) for _ in range(self.rng.randint(1, 2))]
        text = "; ".join(t for t, _ in items)
        return text, items[-1][1]

    def sep(self, compound_end: bool) -> str:
        choices = ["; ", "\n"] + ([" "] if compound_end else [])
        return self.rng.choice(choices)

    def compound(self, depth: int) -> str:
        kind = self.rng.choice(
            ["group", "sub", "if", "for", "while", "until", "case", "arith", "cond"]
        )
        if kind in ("arith", "cond"):
            return self.rng.choice(["(( 1 ))", "(( 0 ))", "[[ -n x ]]", "[[ a < b ]]"])
        b, end = self.body(depth + 1)
        if kind == "group":
            return "{ " + b + self.rng.choice(["; ", "\n"] + ([" "] if end else [])) + "}"
        if kind == "sub":
            return "( " + b + self.rng.choice([" ", "; ", "\n"]) + ")"
        if kind == "if":
            c, cend = self.body(depth + 1)
            text = f"if {c}{self.sep(cend)}then {b}{self.sep(end)}"
            if self.rng.random() < 0.5:
                e, eend = self.body(depth + 1)
                text += f"else {e}{self.sep(eend)}"
            return text + "fi"
        if kind == "for":
            if self.rng.random() < 0.25:  # bash's brace body
                return f"for v{self.tag()} in a b; {{ {b}{self.sep(end)}}}"
            return f"for v{self.tag()} in a b; do {b}{self.sep(end)}done"
        if kind == "while":
            return f"while false; do {b}{self.sep(end)}done"
        if kind == "until":
            return f"until true; do {b}{self.sep(end)}done"
        arms = []
        for _ in range(self.rng.randint(1, 3)):
            ab, _ = self.body(depth + 1)
            term = self.rng.choice([";;", ";&", ";;&"])
            pat = self.rng.choice(["a", "*", "b|a", "x"])
            arms.append(f"{pat}) {ab}{self.rng.choice([' ', '; ', chr(10)])}{term}")
        return "case a in " + " ".join(arms) + self.rng.choice([" ", "\n"]) + "esac"

    def command(self, depth: int) -> tuple[str, bool]:
        r = self.rng.random()
        if depth >= 3 or r < 0.3:
            return self.simple(), False
        if r < 0.45:
            return "! " + self.compound(depth), True
        if r < 0.55:
            name = f"f{self.tag()}"
            head = self.rng.choice([f"{name}() ", f"{name} () ", f"function {name} "])
            show = "; declare -f " + name if self.rng.random() < 0.3 else ""
            return f"{head}{self.compound(depth)}\n{name}; echo r$?{show}", False
        if r < 0.65:
            left, _ = self.command(depth + 1)
            right, rend = self.command(depth + 1)
            return f"{left} {self.rng.choice(['&&', '||'])} {right}", rend
        if r < 0.7:
            return f"{self.compound(depth)} | cat", False
        if r < 0.8:  # a redirection or here-string after a compound command
            tail = self.rng.choice([" <<< in", " >/dev/null", " <<< \"$x\" 2>/dev/null"])
            return self.compound(depth) + tail, False
        return self.compound(depth), True

    def script(self) -> str:
        self.n = 0
        return self.body(0)[0] + "\necho end$?"


def test_random_compound_scripts_as_bash(workspace: Workspace) -> None:
    gen = _Gen(random.Random(SEED))
    wrong = []
    for _ in range(CASES):
        script = gen.script()
        if _corral(workspace, script) != _bash(script):
            wrong.append(script)
    assert not wrong, f"{len(wrong)} of {CASES} differ from bash; the first:\n{wrong[0]}"


def test_deep_lists_parse_without_recursion() -> None:
    tree = parse(" && ".join(["true"] * 20000))
    assert len(tree.items) == 1

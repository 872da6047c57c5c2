"""Bash features agents use daily, checked against the real GNU bash.

Each script runs through ``/bin/bash`` in a temporary directory and through the
corral shell (``Sandbox.run``) on a workspace holding the same files; stdout and
the exit status must agree.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.events import Decision

BASH = shutil.which("bash") or "/bin/bash"

FILES = {
    "a.txt": "3\n1\n2\n",
    "b.txt": "2\n3\n4\n",
    "t1.tsv": "k1\tx\nk2\ty\n",
    "t2.tsv": "k1\tp\nk3\tq\n",
    "words": "pear apple\nfig\n",
}


def _fill(root: Path) -> None:
    for name, text in FILES.items():
        (root / name).write_text(text)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=30)) as s:
        yield s


def _bash(script: str, stdin: str = "") -> tuple[str, int]:
    with tempfile.TemporaryDirectory() as d:
        _fill(Path(d))
        p = subprocess.run(
            [BASH, "-c", script], cwd=d, input=stdin, capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": d},
        )
        return p.stdout, p.returncode


def _corral(sb: Sandbox, script: str, stdin: str = "") -> tuple[str, int]:
    for name, text in FILES.items():
        sb.files.write(f"/workspace/{name}", text)
    r = sb.run(script, stdin=stdin)
    return r.stdout, r.exit_code


def same(sb: Sandbox, script: str, stdin: str = "") -> None:
    want = _bash(script, stdin)
    got = _corral(sb, script, stdin)
    assert got == want, f"script: {script}\nbash:   {want!r}\ncorral: {got!r}"


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash to compare")

PROCSUB = [
    "paste <(cut -f1 t1.tsv) <(cut -f2 t2.tsv)",
    "comm -12 <(sort a.txt) <(sort b.txt)",
    "comm -3 <(sort a.txt) <(sort b.txt)",
    "diff <(sort a.txt) <(sort b.txt); echo status=$?",
    "diff -u <(echo same) <(echo same); echo status=$?",
    "while read -r l; do echo \"got $l\"; done < <(sort -r a.txt)",
    "n=0; while read -r l; do n=$((n+1)); [ $n -ge 3 ] && break; done < <(yes); echo $n",
    "wc -l < <(seq 200000)",
    "cat <(echo one) <(echo two) - <<< three",
    "cat <(cat <(echo nested))",
    "echo $(cat <(echo in-subst))",
    "f() { cat \"$1\"; }; f <(echo via-function)",
    "grep -c 2 <(seq 30)",
    "sed -n 2p <(seq 5)",
    "awk '{s+=$1} END {print s}' <(seq 100)",
    "source <(echo 'x=sourced'); echo $x",
    "sort -m <(sort a.txt) <(sort b.txt)",
    "seq 5 | tee >(cat > copy.txt) > /dev/null; sleep 0.2; cat copy.txt",
    "echo <(true) | grep -c '^/dev/fd/[0-9]*$'",
    "echo '<(not a substitution)' \"<(nor this)\"",
    "head -c 5 <(yes); echo",
]


@needs_bash
@pytest.mark.parametrize("script", PROCSUB)
def test_process_substitution(sb: Sandbox, script: str) -> None:
    same(sb, script)


HERESTRING_ON_COMPOUND = [
    'x=5; ( cat ) <<< "w $x"',
    "{ read -r a b; echo \"$b-$a\"; } <<< '1 2'",
    "for i in 1 2; do read -r l; echo \"$i:$l\"; done <<< $'one\ntwo'",
    "case a in a) tr a-z A-Z ;; esac <<<abc",
    "( ( cat & wait ) <<< inner ) <<< outer",
    "f() { ( cat ) <<< \"$1\"; }; f arg",
    "{ cat; } <<< \"a <<< b\" 2>&1",
    "until read -r l; do :; done <<< 'x y'; echo \"$l\"",
    "echo '( cat ) <<< not-a-redirect'",
]


@needs_bash
@pytest.mark.parametrize("script", HERESTRING_ON_COMPOUND)
def test_herestring_on_a_compound_command(sb: Sandbox, script: str) -> None:
    # tree-sitter-bash takes `<<<` only after simple commands, while and if
    same(sb, script)


SELECT = [
    'select v in alpha b c; do echo "v=[$v] R=[$REPLY]"; done; echo rc=$?',
    'select v in $(seq 1 30); do echo "v=$v"; break; done',
    'PS3="pick: "; select v in a b; do echo "got $v"; continue; echo no; done',
    "set -- x y; select v; do echo $v; break; done",
    "COLUMNS=20; select v in aaaa bbbb cccc dddd eeee; do break; done",
    "COLUMNS=9; select v in $(seq 100 130); do :; done",
    "select v in a b; do echo $v; break; done <<< 2",
    "f() { select v in a b; do echo $v; break; done; }; declare -f f; f <<< 1",
    "select v in; do echo never; done; echo rc=$?",
]


@needs_bash
@pytest.mark.parametrize("script", SELECT)
def test_select_menu_reads_stdin(sb: Sandbox, script: str) -> None:
    """``select``: the menu and prompt on stderr, choices from stdin (it ran the body once
    per word, as ``for``, before)."""
    same(sb, "{ " + script + "\n} 2>&1", stdin="2\n\n9\nx\n")


RUNTIME_ERRORS = [
    # an arithmetic error abandons the rest of its line (the next line runs) and ends only
    # the subshell, pipeline stage or substitution it is in
    "echo $((1/0)); echo same-line\necho next-line",
    "f() { echo $((08)); echo in-f; }; f; echo after\necho next",
    "echo ok; echo $((1/0)); echo no\necho yes",
    "(echo $((1/0)); echo in); echo s:$?",
    "echo $((1/0)) | cat; echo after-pipe",
    'x=$(echo $((1/0)); echo in); echo "after-cs [$x]"',
    "((08)); echo after $?",
    "x=$((08)); echo after",
    # what tree-sitter-bash's grammar refuses is the evaluator's to judge, as in bash
    "(( x=9 y=41 )); echo $?",
    "(( x=9 y=41 )) || echo failed",
    "declare -a b[256]; echo ${#b[@]}",
    "f() { local -a z[3]; z[1]=q; declare -p z; }; f",
    "declare -A m[k]; m[a]=1; declare -p m",
    "wc -l < $UNSET; echo rc=$?",
    # a brace expansion as the command word is a word for bash, not a group's `{`
    "{echo,hi} | cat",
    "true; {echo,a,b}",
    "{printf,%s-,x,y}; echo",
    "f() { {echo,in-f}; }; f",
    "{ echo grp; }; x={a,b}; echo $x",
]


def test_an_unclosed_brace_word_of_half_a_megabyte_is_a_syntax_error_at_once() -> None:
    """The brace-word rewrite scans once: `{,,,,…` without its `}` (a search that
    backtracked took ~30 minutes on a megabyte) is bash's syntax error within the budget
    (half a megabyte: a longer script is refused by its size, MAX_SCRIPT_CHARS)."""
    with Sandbox(budget=Budget(wall_s=20)) as box:
        r = box.run("{" + "," * 500_000)
    assert r.exit_code == 2 and "syntax error" in r.stderr, (r.error, r.stderr[:200])


@needs_bash
@pytest.mark.parametrize("script", RUNTIME_ERRORS)
def test_runtime_errors_as_bash(sb: Sandbox, script: str) -> None:
    same(sb, script)


def test_process_substitution_leaves_nothing_behind(sb: Sandbox) -> None:
    r = sb.run("cat <(seq 3) >/dev/null; diff <(echo a) <(echo b) >/dev/null; ls -A")
    assert ".corral-tmp" not in r.stdout
    # a producer that never ends stops when its reader is done
    r = sb.run("head -n 2 <(yes y); echo done")
    assert r.stdout == "y\ny\ndone\n"


def test_process_substitution_goes_through_the_gate() -> None:
    class NoSort:
        def decide(self, action, session):  # type: ignore[no-untyped-def]
            if action.kind == "exec" and action.argv[0] == "sort":
                return Decision(verdict="deny", rule="no-sort", reason="no sorting")
            return Decision(verdict="allow")

    with Sandbox(gate=NoSort()) as s:
        s.files.write("/workspace/a.txt", "b\na\n")
        r = s.run("cat <(sort a.txt); echo end")
    assert r.stdout == "end\n"
    assert "denied" in r.stderr


NESTED = [
    "bash -c 'echo $0 $1 $2; exit 4' name x y; echo $?",
    "sh -c 'echo $#' a b c",
    "bash -c 'echo $0'",
    "export E=1; F=2; bash -c 'echo E=$E F=$F'",
    "f() { echo f; }; bash -c f 2>/dev/null; echo $?",
    "alias ll=ls; bash -c ll 2>/dev/null; echo $?",
    "echo 'echo from stdin $#' | bash",
    "seq 3 | xargs -I{} sh -c 'echo item {}'",
    "seq 4 | xargs -n 2 sh -c 'echo $0 $1'",
    "find . -name '*.txt' -exec sh -c 'echo found \"$1\"' _ {} \\; | sort",
    "bash -euo pipefail -c 'false | true; echo notreached'; echo $?",
    "bash -c 'set -u; echo $NOPE; echo after' 2>/dev/null; echo $?",
    "bash -c 'set -u; (echo $NOPE); echo after $?' 2>/dev/null",
    "bash -c 'echo ${Q:?boom}' 2>/dev/null; echo $?",
    "set -e; bash -c 'false; echo still-here'; echo rc=$?",
    "bash -c 'cd /; pwd' >/dev/null; pwd | grep -c /",
    "bash -c 'x=inner'; echo \"x=$x\"",
    "bash -c 'exit 300'; echo $?",
    "bash -Z 2>/dev/null; echo $?",
    "bash nonexist.sh 2>/dev/null; echo $?",
    "bash -c 2>/dev/null; echo $?",
    "bash -n -c 'echo not run'; echo $?",
    "printf '#!/bin/bash\\necho \"script $0 $# $1\"\\nexit 3\\n' > s.sh; chmod +x s.sh;"
    " ./s.sh q; echo $?; bash s.sh r; echo $?; sh ./s.sh",
    "printf 'echo no-shebang $1\\n' > n.sh; ./n.sh 2>/dev/null; echo $?;"
    " chmod +x n.sh; ./n.sh arg; echo $?",
    "printf '#!/usr/bin/env bash\\nset -e\\nfalse\\necho no\\n' > e.sh; chmod 755 e.sh;"
    " ./e.sh; echo $?",
    "mkdir -p d; printf 'pwd >/dev/null; echo in-d\\n' > d/t.sh; chmod +x d/t.sh; d/t.sh",
    "printf 'f() { echo \"fn $1\"; }\\nf \"$@\"\\n' > g.sh; bash g.sh one two",
]


@needs_bash
@pytest.mark.parametrize("script", NESTED)
def test_nested_shell(sb: Sandbox, script: str) -> None:
    same(sb, script)


def test_nested_shell_commands_go_through_the_gate() -> None:
    class NoRm:
        def decide(self, action, session):  # type: ignore[no-untyped-def]
            if action.kind == "exec" and action.argv[0] == "rm":
                return Decision(verdict="deny", rule="no-rm", reason="no deleting")
            return Decision(verdict="allow")

    with Sandbox(gate=NoRm()) as s:
        s.files.write("/workspace/keep.txt", "x")
        s.files.write("/workspace/k.sh", "#!/bin/sh\nrm keep.txt\necho $?\n")
        r = s.run(
            "bash -c 'rm keep.txt; echo $?'; sh -c 'sh -c \"rm keep.txt\"'; echo $?;"
            " ls | xargs sh -c 'rm \"$@\"' _; chmod +x k.sh; ./k.sh; bash k.sh"
        )
        assert r.stdout == "126\n126\n126\n126\n"
        assert s.files.exists("keep.txt")


def test_nested_shell_depth_is_bounded(sb: Sandbox) -> None:
    r = sb.run("printf 'bash ./r.sh\\n' > r.sh; bash r.sh; echo rc=$?")
    assert "rc=1" in r.stdout or r.exit_code != 0
    assert "nesting" in r.stderr
    assert r.error is None or r.error == "exit"


_PATCH_SETUP = (
    "mkdir -p src; printf 'a\\nb\\nc\\nd\\ne\\nf\\ng\\n' > src/x.txt;"
    " printf 'a\\nb\\nC\\nd\\ne\\nf\\ng\\nh\\n' > new.txt;"
    " diff -u src/x.txt new.txt | sed 's#new.txt#src/x.txt#;s#\\t.*##' > p.diff;"
    " sed 's#src/#a/src/#;s#+++ a/#+++ b/#' p.diff > g.diff; "
)

PATCH = [
    "patch -p0 --dry-run < p.diff; echo $?; cat src/x.txt",
    "patch -p0 < p.diff; echo $?; cat src/x.txt",
    "patch -p1 -i g.diff; echo $?; cat src/x.txt",
    "cd src && patch -p2 < ../g.diff; echo $?; cat x.txt",
    "patch -p0 < p.diff; patch -p0 < p.diff; echo $?; ls src",
    "patch -p0 < p.diff; patch -N -p0 < p.diff; echo $?; cat src/x.txt.rej",
    "patch -p0 < p.diff; patch -R -p0 < p.diff; echo $?; cat src/x.txt",
    "patch -R -p0 < p.diff; echo $?; cat src/x.txt",
    "printf 'z\\ny\\na\\nb\\nc\\nd\\ne\\nf\\ng\\n' > src/x.txt; patch -p0 < p.diff; echo $?;"
    " cat src/x.txt; ls src",
    "patch -s -p0 < p.diff; echo $?",
    "patch -p0 -o out.txt < p.diff; cat out.txt; cat src/x.txt",
    "patch src/x.txt p.diff; echo $?; cat src/x.txt",
    "printf -- '--- /dev/null\\n+++ b/new.c\\n@@ -0,0 +1,2 @@\\n+int x;\\n+int y;\\n' > c.diff;"
    " patch -p1 < c.diff; cat new.c; patch -p1 -R < c.diff; ls new.c 2>&1; echo $?",
    "printf -- '--- a/src/x.txt\\n+++ /dev/null\\n@@ -1,7 +0,0 @@\\n-a\\n-b\\n-c\\n-d\\n-e\\n-f\\n-g\\n'"
    " > d.diff; patch -p1 < d.diff; ls src | wc -l",
    "printf 'x\\n' > q; printf 'y' > r; diff -u q r > nl.diff; patch q < nl.diff; cat q; echo '|'",
    "printf 'x' > q; printf 'y\\n' > r; diff -u q r > nl.diff; patch q < nl.diff; cat q; echo '|'",
    "printf -- '--- q\\n+++ q\\n@@ -1,1 +1,1 @@\\n-nomatch\\n+x\\n' > bad.diff; echo x > q;"
    " patch < bad.diff; echo $?; cat q.rej",
    "patch -p1 --bogus < p.diff; echo $?",
    "patch -p x < p.diff; echo $?",
    "echo garbage | patch; echo $?",
    "printf 'l1\\nl2\\nl3\\n' > m; printf 'l1\\nL2\\nl3\\nl4\\n' > m2; diff m m2 > /dev/null;"
    " diff -u m m2 | sed 's/m2/m/' > two.diff; printf 'o\\nl1\\nl2\\nl3\\n' > m;"
    " patch < two.diff; echo $?; cat m",
]


@needs_bash
@pytest.mark.skipif(shutil.which("patch") is None, reason="no GNU patch to compare")
@pytest.mark.parametrize("script", PATCH)
def test_patch(sb: Sandbox, script: str) -> None:
    same(sb, _PATCH_SETUP + script)


EDGES = [
    'echo "a$"',
    'echo "pid $$" | wc -w',
    "x=1; echo \"$x$\" \"${x}$\" \"$'q'\"",
    'echo "\\\\$"',
    "wc -l < $UNSET; echo $?",
    "echo hi > $UNSET; echo $?",
    'f="a b"; echo x > $f; echo $?; echo y > "$f"; cat "a b"',
    "echo y > {p,q}; echo $?",
    "echo hi > *.txt; echo $?; ls",
    "echo {a..A}",
    "echo {Z..a}",
    "case x in [e-a]) echo m;; *) echo n;; esac",
    "case b in [!e-a]) echo m;; esac; case b in [c-ab]) echo y;; esac",
    "[[ c == [z-a] ]]; echo $?",
]


@needs_bash
@pytest.mark.parametrize("script", EDGES)
def test_edge_cases(sb: Sandbox, script: str) -> None:
    same(sb, script)

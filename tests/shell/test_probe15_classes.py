"""The classes probe set 15 (``tests/conformance/probe15.py``) and shell14's leftovers found
the corral shell differing from bash in, each as a table of scripts checked against
``/bin/bash`` and the GNU tools (stdout bytes and exit status), with probe set 13's
harness (``test_probe13_classes.same_as_bash``: a fresh in-process shell, no sandbox
launch) over its ``words.txt`` and ``long.txt``.
"""

from __future__ import annotations

import pytest

from corral.shell.parser import parse

from .test_probe13_classes import same_as_bash

# tree-sitter-bash read `a | b | c⏎d && e` as one command `c d`: a newline ends a command
NEWLINE_AFTER_PIPELINE = [
    "echo a | cat | cat\necho b && echo c",
    "printf 'x\\n' | tr x y | cat # note\necho next || echo no",
    "seq 3 | sort -r | head -1; seq 2 | cat | wc -l\ntrue && echo last",
    "a=$(echo 1 | cat | cat\necho 2 && echo 3); echo \"$a\"",
    "if true; then echo i | cat | cat\necho t && echo u; fi",
    "echo q | cat | cat\n\n# c\necho r && echo s\necho v | cat | cat\necho w || echo x",
    # and `a || b >f | c` as (a || b >f) | c, `! a >f | b` as (! a >f) | b: `|` binds tighter
    "echo a || echo b > /dev/null | cat | x=1; echo $?",
    "false && echo a || echo b 2>&1 | tr b B; true || echo c >&2 | cat && echo d",
    "! echo g > /dev/null | cat; echo $?; ! true 2>/dev/null | cat | cat; echo $?",
    "! echo c | cat | echo g > /dev/null | cat | cat; echo $?; ! { echo a; } >/dev/null | cat",
    # `a && b | c | d | e && f || g`: one left-to-right chain, not a && (… || g)
    "! false | cat | cat && echo d | cat | cat | cat && echo c || echo b | cat",
    "false && echo a | cat | cat | cat || echo b && echo c",
    # a quoted string over newlines before a here-document on the same command line
    "echo 'p\nq'; cat <<'Q'\nq x\nQ",
    "echo \"a\nb's\" | cat; cat <<Q\ndon't\nQ\necho 'x\ny'",
    "x='a\n#b'; cat <<E\n$x\nE\necho a # it's\ncat <<E\nb\nE",
]

SHELL_VARIABLES = [
    "echo $BASH_SUBSHELL; (echo $BASH_SUBSHELL; (echo $BASH_SUBSHELL))",
    "echo $(echo $BASH_SUBSHELL) $(echo $(echo $BASH_SUBSHELL)); echo $BASH_SUBSHELL | cat",
    "{ echo $BASH_SUBSHELL; } | cat; (echo $BASH_SUBSHELL) | cat; cat <(echo $BASH_SUBSHELL)",
    "echo $BASH_SUBSHELL & wait; bash -c 'echo $BASH_SUBSHELL'; (bash -c 'echo $BASH_SUBSHELL')",
    '[[ ${BASH_VERSINFO[0]} -ge 5 ]] && echo v5; BASH_VERSINFO=1; echo "rc=$?"',
    "echo $BASH_COMMAND; x=1; f() { echo \"$BASH_COMMAND\"; }; f arg",
]

COMMANDS_AND_SHELLS = [
    'command nosuch 2>/dev/null; echo "rc=$?"; builtin nosuch 2>/dev/null; echo "rc=$?"',
    "ls() { echo fn; }; command ls -d .; command -p printf '%s\\n' p",
    "echo 'echo \"$# [$1] [$2]\"' | bash -s a 'b c'; bash -s <<< 'echo \"${1:-none}\"'",
    "bash -s x <<'EOF'\necho \"$1 $0\"\nEOF",
]

ERREXIT_AND_TRAPS = [
    "set -e; echo $(false; echo sub) end; x=$(set -e; false; echo no); echo \"[$x]\"",
    "set -e; shopt -s inherit_errexit; echo \"$(false; echo never)\" end",
    "trap 'echo \"ERR $?\"' ERR; f() { false; echo in-f; }; f; g() { return 3; }; g; echo z",
    "set -E; trap 'echo ERR' ERR; f() { false; echo in; }; f",
    "trap 'echo \"> $BASH_COMMAND\"' DEBUG; x=1; echo $x | cat; for i in 1 2; do :; done",
    "trap 'echo \"> $BASH_COMMAND\"' DEBUG; [[ -n x ]] && ((y=1)); case a in a) echo A;; esac",
    "trap 'echo dbg' DEBUG; f() { echo in; }; f; trap - DEBUG; echo off",
    "shopt -s lastpipe; trap 'echo dbg' DEBUG; echo a | cat",
]

WAIT_N = [
    '(sleep 0.3; exit 3) & (exit 4) & wait -n; echo "$?"; wait -n; echo "$?"; wait -n; echo $?',
    'sleep 0.1 & p=$!; wait -n -p who; echo "$? $((who == p))"; wait -x; echo "rc=$?"',
]

COMPRESSORS = [
    "bzip2 -c words.txt | bunzip2 | tail -1; bzip2 -k words.txt && ls words*; bzcat words.txt.bz2",
    "echo junk | bunzip2; echo \"rc=$?\"; bzip2 nosuch; echo \"rc=$?\"",
    "bzcat <(bzip2 -c words.txt) <(bzip2 -c long.txt) | wc -l; bzip2 -t <(bzip2 -c words.txt)",
    "bzip2 words.txt; bzip2 words.txt.bz2; echo \"rc=$?\"; bunzip2 words.txt.bz2; cat words.txt",
    "gzip -dc <(gzip -c words.txt) | tail -1; gzip -t <(gzip -c words.txt) && echo ok",
    'gzip -l nosuch.gz; echo "rc=$?"',
]

ZGREP = [
    "zgrep -c a <(gzip -c words.txt); gzip -k words.txt; zgrep -n a words.txt.gz long.txt; echo $?",
    "gzip -k words.txt; zgrep -l gamma words.txt.gz long.txt; zgrep nosuch words.txt.gz; echo $?",
    'gzip -c words.txt | zgrep -i BETA; zegrep "alp|bet" words.txt; zgrep x nosuch.gz; echo $?',
    "gzip -k words.txt; zgrep -h a words.txt.gz words.txt | wc -l; zgrep -c a words.txt.gz words.txt",
]

XZ = [
    "xz -c words.txt | xz -d | head -1; xz -k words.txt && ls words*; xzcat words.txt.xz",
    "echo junk | xz -d; echo \"rc=$?\"; xz words.txt; xz words.txt.xz; echo \"rc=$?\"",
    "cat <(xz -c words.txt) <(xz -c long.txt) | xz -dc | wc -l; unxz long.txt; echo $?",
    "xz -c words.txt | head -c 30 | xz -d; echo \"rc=$?\"; lzma -c words.txt | lzcat",
    "tar -cJf a.txz words.txt long.txt && tar -tJf a.txz",
]

SMALL_TOOLS = [
    'seq 3 -s,; echo "rc=$?"; seq -s, 3; seq 1 -w 3; echo "rc=$?"',
    "shopt -s globstar; mkdir -p d/e; touch d/e/f; echo d/**; echo d/**/; echo **/",
    "date -d '2024-06-15 last monday' +%F; date -d 'monday 2024-06-15' +%F",
    "date -d '2024-06-15 12:00 next friday' '+%F %R'",
    'mapfile -t -O 5 L <<< x; echo "${!L[@]}"; L=(a b c); mapfile -t -O 1 L < words.txt; '
    'echo "${L[@]}"; mapfile -O x L <<< a; echo $?',
    "printf aaaa > big.csv; printf a > small.csv; ls -1 --sort=size *.csv; "
    "ls --sort=bogus; echo $?; ls --sort=name; echo $?",
]

FILE_TYPES = [
    "file words.txt long.txt; file -b words.txt; file -i words.txt; file nosuch; echo $?",
    "printf 'a,b\\n1,2\\n3,4\\n' > c.csv; echo '[1, {\"a\": 2}]' > j.json; file c.csv j.json",
    "printf '#!/usr/bin/env bash\\necho\\n' > s; printf 'from os import path\\n' > p; file s p",
    "printf 'a\\r\\nb\\r\\n' > w; printf 'x' > n; printf 'h\\xc3\\xa9\\n' > u; file w n u",
    "printf '\\x00\\x01' > b; : > e; mkdir d; ln -s words.txt l; file b e d l; file -L l",
    "gzip -c words.txt > w.gz; bzip2 -k words.txt; xz -k long.txt; file w.gz words.txt.bz2 "
    "long.txt.xz",
    "tar -cf a.tar words.txt; file a.tar; echo hi | file -; file --mime-type words.txt d 2>&1",
    "head -c 100000 /dev/zero | tr '\\0' a > big; file big; seq 20000 > n; file n",
]

FIND_EXECDIR = [
    "mkdir -p s/t; touch s/a.py s/t/b.py; find s -name '*.py' -execdir echo {} \\; | sort",
    "mkdir -p s/t; touch s/a s/t/b; find s -type f -execdir sh -c 'echo \"${PWD##*/}\" \"$1\"'"
    " _ {} \\; | sort",
    "find . -maxdepth 1 -name '*.txt' -execdir wc -l {} + | sort",
    'find . -maxdepth 0 -execdir echo {} \\;; find . -name words.txt -ok echo {} \\; ; echo $?',
]

DIFF_SIDE = [
    "printf 'a\\nb\\nc\\nd\\n' > x; printf 'b\\nc\\ne\\nf\\n' > y; diff -y x y; echo $?",
    "printf 'a\\nb\\nc\\nd\\n' > x; printf 'b\\nc\\ne\\nf\\n' > y; diff -y -W 40 x y; "
    "diff -y --suppress-common-lines x y; diff -y --left-column -W 30 x y",
    "printf 'a\\nb\\n' > x; printf 'a\\nc\\nd\\n' > y; sdiff x y; echo $?; sdiff -s -w 50 x y",
    "diff -y words.txt words.txt; echo $?; diff -y -W 20 long.txt words.txt",
    "printf 'i\\tn\\n1\\tf\\n' > t; diff -y -t -W 40 t <(sed s/f/F/ t); diff -y t <(sed s/f/F/ t)",
    "printf 'x\\n' > a; printf 'x' > b; diff -y a b; diff -y <(printf 'h\\xc3\\xa9\\n') a",
    "printf 'a\\nb\\nc\\n' > x; printf 'b\\nc\\nd\\n' > y; diff -e x y; diff -e y x",
    "diff -e <(printf 'a\\nb\\n') <(printf 'a\\n.\\nb\\nc\\n'); diff -e <(echo a) <(printf '.\\n.\\n')",
]

LS_LAYOUTS = [
    "touch alpha.txt beta-longer-name.txt c d.md e.json; ls -C; ls -x; ls -m",
    "touch a bb ccc dddd eeeee ffffff; ls -C -w 20; ls -x -w 20; ls -m -w 12",
    "mkdir sub; touch sub/x sub/yy; COLUMNS=30 ls -C . sub; ls -mF; ls -l -m sub; ls -C -1",
    "ls --format=commas; ls --format=across -w 10; ls --format=vertical; ls -Cs",
]

UMASK = [
    "umask 077; touch f; mkdir d; echo x > g; stat -c '%n %a' f d g",
    "umask 002; touch f; mkdir -p d/e; echo x > g; echo y | tee t >/dev/null; stat -c %a f d d/e g t",
    "chmod 666 words.txt; umask 027; cp words.txt h; mkdir dd; cp -r dd ee; stat -c %a h ee",
    "(umask 077; touch in); touch out; stat -c %a in out; umask 0; mkdir m; mkdir -m 700 n; "
    "stat -c %a m n",
]

TAR_APPEND = [
    "tar -cf a.tar words.txt && tar -rf a.tar long.txt && tar -tf a.tar",
    "mkdir d; touch d/x; tar -rf n.tar d words.txt; tar -tf n.tar; tar -uf n.tar words.txt; "
    "tar -tf n.tar | wc -l",
    "tar -czf a.tgz words.txt; tar -rzf a.tgz long.txt; echo $?; tar -r -f - words.txt; echo $?",
]


@pytest.mark.parametrize("script", NEWLINE_AFTER_PIPELINE)
def test_newline_after_pipeline(script: str) -> None:
    same_as_bash(script)


def test_newline_after_pipeline_parses_as_two_commands() -> None:
    seq = parse("a | b | c\nd && e")
    assert [type(item).__name__ for item, _bg in seq.items] == ["Pipeline", "AndOr"]


@pytest.mark.parametrize("script", SHELL_VARIABLES)
def test_shell_variables(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", COMMANDS_AND_SHELLS)
def test_commands_and_shells(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", ERREXIT_AND_TRAPS)
def test_errexit_and_traps(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", WAIT_N)
def test_wait_n(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", COMPRESSORS)
def test_compressors(script: str) -> None:
    same_as_bash(script, "bzip2")


@pytest.mark.parametrize("script", XZ)
def test_xz(script: str) -> None:
    same_as_bash(script, "xz")


@pytest.mark.parametrize("script", SMALL_TOOLS)
def test_small_tools(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", FILE_TYPES)
def test_file_types(script: str) -> None:
    same_as_bash(script, "file")


@pytest.mark.parametrize("script", FIND_EXECDIR)
def test_find_execdir(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", DIFF_SIDE)
def test_diff_side_by_side_and_ed(script: str) -> None:
    same_as_bash(script, "sdiff")


@pytest.mark.parametrize("script", LS_LAYOUTS)
def test_ls_layouts(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", TAR_APPEND)
def test_tar_append(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", UMASK)
def test_umask_on_creation(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", ZGREP)
def test_zgrep(script: str) -> None:
    same_as_bash(script, "zgrep")

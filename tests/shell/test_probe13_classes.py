"""The classes probe set 13 (``tests/conformance/probe13.py``) found the corral shell
differing from bash in, each as a table of scripts checked against ``/bin/bash`` and
the GNU tools: stdout bytes and exit status must agree.

Every script runs in a fresh in-process shell (``session.new_shell``: no sandbox
launch) over a workspace holding ``FILES``, and under bash in a directory named
``workspace`` holding the same files.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from corral import Budget
from corral.files import Workspace
from corral.shell.session import new_shell

BASH = shutil.which("bash")

FILES = {
    "words.txt": "alpha\nbeta\ngamma\n",
    "long.txt": (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua.\nUt enim ad minim veniam, quis "
        "nostrud exercitation.\n\n  Indented paragraph here, with a few more words to "
        "wrap around the line.\n"
    ),
}


def _default_signals() -> None:
    # bash keeps a signal ignored at its start ignored, and `trap` shows it (`trap -- ''
    # SIGHUP` under nohup, SIGINT and SIGQUIT in a background job of a script): the corral
    # shell always starts with the default dispositions, so real bash does here too
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _bash(script: str) -> tuple[bytes, int]:
    with tempfile.TemporaryDirectory() as top:
        d = os.path.join(top, "workspace")
        os.mkdir(d)
        for name, text in FILES.items():
            Path(d, name).write_text(text)
        p = subprocess.run(
            [BASH or "bash", "--noprofile", "--norc", "-c", script], cwd=d,
            capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "HOME": d, "LANG": "C.UTF-8", "TZ": "UTC"},
            preexec_fn=_default_signals,
        )  # fmt: skip
        return p.stdout.replace(d.encode(), b"/workspace"), p.returncode


def _corral(script: str) -> tuple[bytes, int]:
    with tempfile.TemporaryDirectory() as d:
        for name, text in FILES.items():
            Path(d, name).write_text(text)
        sh = new_shell(Workspace(Path(d), Budget(wall_s=30)))
        status, out, _err, _ = sh.run(script, deadline=time.monotonic() + 30)
        return out, status


def same_as_bash(script: str, tool: str | None = None) -> None:
    if BASH is None or (tool is not None and shutil.which(tool) is None):
        pytest.skip(f"needs bash{' and ' + tool if tool else ''}")
    assert _corral(script) == _bash(script), script


BASH_FEATURES = [
    # ${!prefix*} / ${!prefix@}: the names of the set variables with that prefix
    'v1=a v2=b vx=; unset vx; echo ${!v*}; for n in "${!v@}"; do echo "[$n]"; done',
    'echo "[${!nosuchprefix*}]"',
    # FUNCNAME: the call stack of function names, unset outside functions
    'f() { echo $FUNCNAME "${FUNCNAME[@]}"; g; }; g() { echo "${FUNCNAME[*]}"; }; f; '
    'echo "[${FUNCNAME-unset}]"',
    # break/continue N: past the enclosing loops ends the outermost; outside a loop
    # (also in a function or a subshell of the loop) an error with status 0
    "while :; do break 5; done; echo ok",
    "for i in 1 2; do for j in a b; do continue 7; echo x; done; echo $i; done; echo end",
    "f() { break; }; for i in 1 2; do f; echo $i; done; echo end",
    "for i in 1 2; do (break; echo no); echo $i; done",
    "break; echo after; continue; echo $?",
    "for i in 1 2 3; do for j in 1 2; do [ $j = 2 ] && continue 2; echo $i$j; done; done",
    # umask: shown in octal, -S symbolic, -p reusable; set in octal or symbols
    "umask; umask 077; umask; umask -S; umask 0022; umask -p; umask -S u=rwx,g=rx,o=; umask",
    "umask 8; echo $?; umask",
    # trap: listing order (EXIT, signals by number, DEBUG ERR RETURN), -p SIG, `--`,
    # a lone signal resets, an unknown signal is an error
    "trap -- 'echo a' EXIT; trap '' 2; trap ':' TERM ERR RETURN; trap; echo --; "
    "trap -p ERR EXIT; trap x FOO; echo rc=$?; trap 2; trap -p; trap - 15 ERR RETURN EXIT; trap",
    "trap -p EXIT; trap 'echo bye' 0; trap -p EXIT; echo end",
    # set -n: nothing after it runs
    "echo a; set -n; echo hidden",
    "for i in 1 2; do echo $i; set -n; done; echo after",
    # an assignment statement to a readonly variable abandons its line (status 1)
    'declare -r c=1; c=2; echo "rc=$?"',
    "readonly c=1; (c=2; echo in); echo out",
    'readonly c=1; c=2 echo x; echo "rc=$?"',
    "readonly c=1\nc=3\necho next line",
    # -nt / -ot when one file does not exist
    # ${x~~} / ${x~}: case toggled
    "x=HeLLo; echo ${x,,} ${x~~} ${x~} ${x~~[lL]}",
    # a RETURN trap runs as the function that set it returns (not inherited)
    'trap "echo r" RETURN; f() { echo f; }; f; g() { trap "echo g-ret" RETURN; echo g; }; g; f',
    "f() { trap 'echo ret $?' RETURN; return 3; }; f; echo \"st=$?\"",
    # getopts, silent: a missing argument is `:` with OPTARG the option
    'set -- -b; while getopts :b: o; do echo "$o $OPTARG"; done; set -- -z; '
    'while getopts :b: o; do echo "$o $OPTARG"; done',
    # failglob: no match abandons the line, status 1
    'shopt -s failglob; echo *.zzz; echo "rc=$?"\necho next $?',
    'shopt -s failglob; x=$(echo *.zzz); echo "in=$?"',
    # arithmetic on an associative array: the subscript is a key
    "declare -A c; w=a; ((c[$w]++)); ((c[$w]+=2)); echo ${c[a]}; k='x y'; ((c[$k]=5)); "
    "echo ${c[x y]} $(( c[a] * 2 )); ((c[a-b]++)); echo ${c[a-b]}",
    "declare -A c; while read -r w; do ((c[$w]++)); done <<< $'apple\\nbanana\\napple'; "
    'for k in "${!c[@]}"; do echo "$k ${c[$k]}"; done | sort; let "c[apple]+=10"; echo ${c[apple]}',
    "a=(1 2 3); i=1; ((a[i+1]+=5)); ((a[$i]++)); echo ${a[*]}; declare -A m=([k]=1); echo $(( m[k] + a[0] ))",
    "[ words.txt -nt nosuch ] && echo newer; [ nosuch -ot words.txt ] && echo older; "
    "[ nosuch -nt words.txt ] || echo no",
]


@pytest.mark.parametrize("script", BASH_FEATURES)
def test_bash_features(script: str) -> None:
    same_as_bash(script)


DATES = [
    # a sign apart from its number is still the number's ("+ 1 day")
    "date -d '2020-01-01 + 1 day' +%F; date -d '2020-03-01 - 1 day' +%F",
    "date -d '2024-02-28 + 2 days' +%F; date -d '2020-01-01 + 2 weeks' +%F",
    # a signed number right after a time is its zone: GNU's reading, odd as it is
    "date -u -d '2020-01-01 12:00 +1 day' '+%F %T'; date -u -d '2020-01-01 12:00:00 +2 hours' '+%F %T'",
    "date -u -d '2020-01-01 12:00 +130' '+%F %T'; date -u -d '2020-01-01 12:00 -0530' '+%F %T'",
    "date -u -d '2020-01-01 12:00 + 90 minutes' +%T; echo rc=$?",
]


@pytest.mark.parametrize("script", DATES)
def test_dates(script: str) -> None:
    same_as_bash(script, "date")


BC = [
    # scales: + - the larger, * min(sa+sb, max(scale, sa, sb)), / scale, % and ^
    "echo 'scale=3; 10/3; -1/3; 2/3*3' | bc; echo '1.25*1.25; 5.5%2; scale=2; 7%3; -1/3' | bc",
    "echo '2^-2; scale=4; 2^-2; (1.5)^2; 1.5^2.5; -2^2; 2^3^2' | bc",
    "echo 'sqrt(2); scale=10; sqrt(2); sqrt(16); scale=2; sqrt(0.25)' | bc",
    # printing: no leading zero, zero as 0, 68 digits and a backslash a line
    "echo '-0.5; 0.000; 3.000; .5 + .5; 0.1 + 0.20; scale=5; 1/8' | bc",
    "echo '2^300; 2^1000' | bc; echo '2^1000' | BC_LINE_LENGTH=0 bc",
    "echo 'obase=2; 10; obase=16; 255; 3.5; obase=20; 100; obase=8; 64' | bc",
    "echo 'ibase=16; FF; ibase=2; 1010' | bc; echo 'obase=16; ibase=16; FF+1' | bc",
    # the language: variables, arrays, ++/--, op=, comparisons, logic, last
    "echo 'x=5; x++; x; ++x; a[2]=4; a[2]+1; x=2; x^=3; x; x%=5; x; x/=2; x' | bc",
    "echo '1 == 1; 2 < 1; !0; 1 && 0; 0 || 3; x = 3 < 2; x; 5; last + 1; . + 1' | bc",
    "printf '%s\\n' 'if (1 > 0) 5 else 6' 'for (i=0;i<3;i++) i' 'i=0; while (i<2) { i; i=i+1 }' "
    "'for(i=1;i<=5;i++){ if(i==3) continue; if(i==5) break; print i, \" \" }; print \"\\n\"' | bc",
    "printf '%s\\n' 'define f(x) { auto y; y = x + 1; return (y) }' 'f(4)' "
    "'define fact(n) { if (n <= 1) return 1; return n * fact(n-1) }' 'fact(30)' | bc",
    "echo '\"hello\"; print 1, \"a\\n\"; length(123.45); scale(123.45); length(0.00)' | bc",
    # errors: a message on stderr, the rest of the line skipped, status 0
    "echo '1/0; 2' | bc; echo '1+' | bc; echo 'abc(1)' | bc; echo 'sqrt(-1)' | bc; echo rc=$?",
    "echo 'quit' | bc; echo '1; halt; 2' | bc; bc nosuch.bc </dev/null; echo rc=$?",
    # -l: scale 20 and the library, cut (not rounded) as bc's
    "echo 's(1); c(1); a(1); l(2); e(2); j(1,2); l(0); s(-3.5); a(-2); e(-1); l(0.5)' | bc -l",
    "echo 'scale; 10/4; scale=100; 4*a(1)' | bc -l",
    "printf 'x=3\\nx\\n' > f.bc; bc f.bc < /dev/null; x=$(echo '3 * 4' | bc); echo $((x + 1))",
]


@pytest.mark.parametrize("script", BC)
def test_bc(script: str) -> None:
    same_as_bash(script, "bc")


FMT = [
    # GNU fmt's optimal breaks (goal 93 % of the width), sentence ends, indentation
    "fmt long.txt; fmt -w 40 long.txt; fmt -w 20 long.txt; fmt -60 long.txt",
    "fmt -u long.txt; fmt -s -w 30 long.txt; fmt -c -w 50 long.txt; fmt -t -w 50 long.txt",
    "fmt -g 50 long.txt; fmt -w 100 long.txt; fmt < long.txt | head -3",
    "seq 50 | fmt; seq 100 | fmt -w 30; echo 'a b c' | fmt -w 0",
    "printf 'Mr. Smith went.  He said \"hi.\" Then (he) left! Did he? Yes.\\n' | fmt -w 25",
    "printf '\\tTabbed words words words words words words words words words words.\\n' | fmt -w 40",
    # past 5,000 characters or 998 words GNU writes what it has up to a cheap break
    "seq 3000 | fmt | md5sum; seq 3000 | tr '\\n' ' ' | fmt -w 50 | md5sum",
    "fmt nosuch; echo rc=$?; echo x | fmt -w 5 -g 10; echo rc=$?",
]


@pytest.mark.parametrize("script", FMT)
def test_fmt(script: str) -> None:
    same_as_bash(script, "fmt")


XXD = [
    # -i: a C array (named after the file, -n NAME, -C capitals; bare from stdin)
    "xxd -i words.txt; echo -n ab | xxd -i; xxd -i -c 4 words.txt | head -3; xxd -i -u words.txt",
    ": > e.txt; xxd -i e.txt; xxd -i -n name -l 3 words.txt; mkdir sub; echo hi > sub/a-b.c; "
    "xxd -i sub/a-b.c; xxd -C -i sub/a-b.c; echo hi > 1x.bin; xxd -i 1x.bin; xxd -i nosuch; echo $?",
    # -b: bits, 6 bytes a line
    "xxd -b words.txt; xxd -b -c 4 words.txt",
]


@pytest.mark.parametrize("script", XXD)
def test_xxd(script: str) -> None:
    same_as_bash(script, "xxd")

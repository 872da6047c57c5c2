"""The classes probe set 14 (``tests/conformance/probe14.py``) found the corral shell
differing from bash in, each as a table of scripts checked against ``/bin/bash`` and
the GNU tools (stdout bytes and exit status), with probe set 13's harness
(``test_probe13_classes.same_as_bash``: a fresh in-process shell, no sandbox launch).
"""

from __future__ import annotations

import pytest

from .test_probe13_classes import same_as_bash

DEVICES = [
    'cat /dev/null; echo "rc=$?"',
    "wc -c /dev/null; cut -d: -f1 /dev/null; sort /dev/null /dev/null | wc -l",
    "head -c 16 /dev/zero | od -An -tx1; head -c 8 /dev/urandom | wc -c",
    "echo x | tee /dev/stderr 2>/dev/null; echo y | tee /dev/stdout | wc -l",
    "md5sum /dev/null; sha256sum < /dev/null",
    "diff /dev/null words.txt; echo rc=$?; diff -u words.txt /dev/null | tail -n +3",
    "awk -f /dev/stdin words.txt <<< '{print NR}' | tail -1; cat /dev/stdin <<< hi",
    'cmp /dev/null words.txt; echo "rc=$?"; grep -c x /dev/null; echo "rc=$?"',
    "head -c 5 /dev/zero > z; wc -c z; echo q | sort -o /dev/stdout",
]

TRAPS_AND_FDS = [
    "trap 'echo a' EXIT; (echo sub); echo main",
    "trap 'echo a' EXIT; x=$(echo s); echo \"$x\"; echo z | cat",
    "trap 'echo a' EXIT; x=$(trap -p EXIT); echo \"[$x]\"",
    "trap 'echo a' EXIT; (trap 'echo b' EXIT; echo in); echo out",
    "trap 'echo E' ERR; (false); echo x",
    "set -E; trap 'echo E' ERR; (false); echo x",
    "trap '' INT; (trap -p INT); trap 'echo a' EXIT; (trap 'echo b' INT; trap -p)",
    'exec 3>&1; x=$(echo captured >&3); exec 3>&-; echo "[$x]"',
    'echo "$(case x in x) echo in-case;; esac)"; echo $(case y in (y) echo esac-x;; esac)',
    'x=$(case a.b in *.b) echo case-dot;; esac); echo "$x"',
]

SHOPT_AND_GLOBS = [
    "shopt -s nocaseglob; echo *.TXT",
    "shopt -s nocasematch; case ABC in abc) echo nocase;; esac; [[ XY == xy ]] && echo y",
    "shopt -p nullglob; shopt -o -p errexit; shopt -po nounset pipefail",
    'shopt -s nullglob; shopt -p nullglob; shopt -q nullglob; echo $?; shopt -p bad; echo $?',
    "shopt | wc -l; shopt -s | head -3; shopt -u | head -3",
    "GLOBIGNORE='w*'; echo *.txt; GLOBIGNORE='*.txt'; echo * | wc -w",
    'x=hello; echo "${x/l/<&>}" ${x/l/<&>} "${x//l/[\\&]}" ${x//l/"&"}',
    "r='&'; x=hello; echo \"${x/l/$r}\"; echo ${x/#h/&&} ${x/%o/[&]} ${x//?/&.}",
    'shopt -u patsub_replacement; x=hello; echo "${x/l/<&>}"',
]

PARAM_TRANSFORMS = [
    "x=$'t\\tb'; echo ${x@Q}; y=$'\\e'; echo ${y@Q}; z=\"a'b\"; echo ${z@Q}",
    "x=$'a\\x01b\\x7f'; echo ${x@Q}; unset u; echo \"[${u@Q}]\" \"[${u@A}]\" \"[${u@a}]\"",
    "x='\\t\\x41'; echo ${x@E} | od -c | head -1",
    "declare -i n=1; declare -r ro=1; declare -a ar=(1); declare -A as=([a]=1); "
    "declare -irx q=2; echo ${n@a} ${ro@a} ${ar@a} ${as@a} ${q@a}",
    "x=5; echo ${x@A}; a=(1 2); echo ${a[@]@A}; echo ${a@A}; declare -i n=3; echo ${n@A}",
    "declare -A h=([k]=v); echo ${h[@]@A}; s=\"it's\"; echo ${s@A}; export ex=1; echo ${ex@A}",
    "x=abc; echo ${x@K}; declare -A h=([k]=v); echo ${h[@]@K}; a=(1 'b c'); echo ${a[@]@K}",
    'x=abc; echo ${x: -5}; echo "[${x:5}]"; a=(1 2 3); echo "${a[@]: -5}" "${a[@]: -2}"',
    'x=abc; echo ${x:1:-5}; echo "rc=$?"',
    'x=abc; (echo ${x:1:-5}; echo in); echo "rc=$?"',
    "x=$'a\\0b'; echo ${#x}; echo $'\\xff\\101\\x41\\u00e9' | od -An -tx1",
]

BUILTINS = [
    'cd -; echo "rc=$?"; OLDPWD=; cd -; echo "rc=$?"',
    'hash nosuch; echo "rc=$?"; hash ls; echo "rc=$?"; hash -t ls; hash -r; hash -t ls',
    'builtin nosuch; echo "rc=$?"; builtin echo hi',
    'return; echo "rc=$?"',
    'f() { local -n out=$1; out+=(new); }; a=(old); f a; echo "${a[@]}"',
    'declare -n r=x; echo "${!r}"; x=1; echo $r',
    "read -N 3 x <<< $'a\\nbcd'; echo \"$x\" | od -c | head -1",
    "printf ' a b' | { read -N 4 x y; echo \"[$x][$y]\"; }; "
    "printf 'a\\\\nb' | { read -N 3 x; echo \"[$x]\"; }",
    "IFS=' :'; x=' :a: '; set -- $x; printf '[%s]' \"$@\"; echo",
    "IFS=' :'; x='a : b:: c'; set -- $x; printf '[%s]' \"$@\"; echo",
    'h=(); declare -A h; echo "rc=$?"; declare -A m=([a]=1); declare -a m; echo "rc=$?"',
    'x=5; declare -A x; declare -p x',
]

TOOLS = [
    "numfmt --format='%.2f' 3.14159; numfmt --format='%08.1f' 2.25; numfmt --format='%-8f|' 42",
    "numfmt --to=si --format='%.3f' 1234567; numfmt --to=iec --format='%10f' 2048",
    "numfmt --format=abc 1; echo rc=$?; numfmt --format='%d' 1; echo rc=$?; "
    "numfmt --grouping 1234567",
    "echo 'x+y=z' | tr '+=' '-:'; echo abc | tr a -z",
    "dd if=words.txt bs=1 count=5 2>/dev/null; echo; dd if=/dev/zero bs=1k count=2 2>/dev/null"
    " | wc -c",
    "echo hello | dd conv=ucase 2>/dev/null; dd if=nosuch; echo rc=$?; dd bogus=1; echo rc=$?",
    "dd if=words.txt of=o seek=2 bs=3 count=1 conv=notrunc 2>/dev/null; od -c o | head -3",
    "dd if=words.txt ibs=3 obs=5 count=3 2>&1 | head -3; printf abc | dd conv=swab 2>/dev/null",
    "dd if=words.txt count=1 bs=5 conv=sync 2>/dev/null | od -c; "
    "dd if=words.txt bs=10 iflag=skip_bytes skip=3 count=1 2>/dev/null",
]

ARCHIVES = [
    "gzip -c words.txt > w.gz && gzip -l w.gz; cp w.gz x.gz; gzip -l w.gz x.gz",
    "gzip -n -c words.txt | wc -c; gzip -v -k words.txt 2>&1; gzip -v -f long.txt 2>&1",
    "tar cJf a.txz words.txt && tar tJf a.txz && tar tf a.txz && tar xOf a.txz | wc -l",
    "tar cjf a.tbz words.txt && tar tf a.tbz",
]

XTRACE = [
    "(set -x; x=1; y=; true) 2>&1",  # (`(y=)` is a parse gap of its own)
    "(set -x; echo \"a b\" 'c' \"\" \"*\" \"~x\" a=b x~ \"#x\" a# \"{}\" % \"^\" \"it's\") 2>&1",
    "(set -x; for i in 1 \"2 3\"; do :; done; case a in a) :;; esac) 2>&1",
    "(set -x; a=1 b=\"x y\"; c=1 echo hi) 2>&1",
    "(set -x; echo $(echo in)); (PS4='> '; set -x; x=$(true)) 2>&1",
]

ICONV = [
    "echo 'café' | iconv -f utf-8 -t ascii; echo \"rc=$?\"; "
    "echo 'café ½ “q” € Ärger' | iconv -f utf-8 -t ascii//TRANSLIT",
    "echo 'café' | iconv -f utf-8 -t ascii//IGNORE; echo rc=$?; "
    "echo 'café' | iconv -c -f utf-8 -t ascii; echo rc=$?",
    "printf 'caf\\xe9\\n' | iconv -f latin1 -t utf-8; printf 'caf\\xe9\\n' | iconv -t latin1; "
    "echo rc=$?",
    "echo x | iconv -f nosuch -t utf-8; echo rc=$?; iconv -f utf8 -t ascii nosuch; echo rc=$?",
    "echo x | iconv -t utf-16 | od -An -tx1; echo 'café' | iconv -f utf-8 -t latin1 | od -An -tx1",
]

CSPLIT_AND_MORE = [
    "printf 'a1\\nb2\\na3\\nb4\\na5\\n' > f; csplit f '/a/' '{*}'; head xx*",
    "printf 'a1\\nb2\\na3\\nb4\\na5\\n' > f; csplit f '/b/-1' '{*}'; head xx*; rm xx*; "
    "csplit f '%b%' '/a/'; head xx*",
    "printf 'a1\\nb2\\na3\\nb4\\na5\\n' > f; csplit f 2 '{1}'; head xx*; csplit f 3 2; "
    "echo rc=$?",
    "printf 'a1\\nb2\\na3\\n' > f; csplit f '/zz/'; echo rc=$?; ls xx*; csplit -k f '/a/' '{9}';"
    " echo rc=$?; ls xx*",
    "csplit -z -f p -n 3 words.txt '/e/' '{*}'; ls p*; csplit words.txt 99; echo rc=$?",
    "date -f - +%F <<< $'2021-01-01\\n2022-02-02'; printf '@0\\nbogus\\n' | date -u -f - +%T; "
    "echo rc=$?",
    "trap 'echo bye' EXIT; (exec echo sub); echo main; exec true",
]

BOUNDED = [
    # a block past the memory budget's share is refused before anything is read
    "dd if=words.txt bs=1G status=none; echo rc=$?",
]

ZIP = [
    'zip a.zip words.txt; echo "rc=$?"; unzip -l a.zip; unzip -Z1 a.zip',
    "zip -q a.zip words.txt long.txt && mkdir u && unzip a.zip -d u && cat u/words.txt",
    "zip -q a.zip words.txt && unzip -p a.zip words.txt; unzip -t a.zip; unzip -qq -l a.zip",
    'unzip nosuch.zip; echo "rc=$?"; zip nosuch.zip nothere; echo "rc=$?"',
    'zip -q a.zip words.txt && unzip a.zip; echo "rc=$?"; unzip -n a.zip; unzip -o -q a.zip',
]


@pytest.mark.parametrize("script", DEVICES)
def test_devices(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", TRAPS_AND_FDS)
def test_traps_and_fds(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", SHOPT_AND_GLOBS)
def test_shopt_and_globs(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", PARAM_TRANSFORMS)
def test_param_transforms(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", BUILTINS)
def test_builtins(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", TOOLS)
def test_tools(script: str) -> None:
    same_as_bash(script, "dd")


@pytest.mark.parametrize("script", ZIP)
def test_zip(script: str) -> None:
    same_as_bash(script, "zip")


@pytest.mark.parametrize("script", ARCHIVES)
def test_archives(script: str) -> None:
    same_as_bash(script, "xz")


@pytest.mark.parametrize("script", XTRACE)
def test_xtrace(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", ICONV)
def test_iconv(script: str) -> None:
    same_as_bash(script, "iconv")


@pytest.mark.parametrize("script", CSPLIT_AND_MORE)
def test_csplit_and_more(script: str) -> None:
    same_as_bash(script, "csplit")


@pytest.mark.parametrize("script", BOUNDED)
def test_bounded_refusals(script: str) -> None:
    from .test_probe13_classes import _corral

    out, status = _corral(script)
    assert out == b"rc=1\n" and status == 0, script

"""The classes probe set 18 (``tests/conformance/probe18.py``) found the corral shell
differing from bash in, each as a table of scripts (the probe's lines' classes, in other
spellings, with near misses that must stay as they were) checked against ``/bin/bash``
and the GNU tools (stdout bytes and exit status), with probe set 13's harness
(``test_probe13_classes.same_as_bash``: a fresh in-process shell, no sandbox launch).
"""

from __future__ import annotations

import pytest

from .test_probe13_classes import same_as_bash

# getopts unsets OPTARG on every call that sets none: an option without an argument,
# the end of the options, an error it reports itself
GETOPTS_OPTARG = [
    'set -- -ab1 -c; while getopts "ab:c" o; do echo "$o=${OPTARG-unset}"; done',
    'OPTARG=x; set -- -a; getopts a o; echo "${OPTARG-unset}"; getopts a o; echo "${OPTARG-u} $o"',
    'OPTARG=x; set -- -z; getopts a o 2>/dev/null; echo "${OPTARG-unset} $o"',
    'set -- -z -b; while getopts ":ab:" o; do echo "$o=${OPTARG-unset}"; done',
    'OPTARG=x; set -- -b; getopts b: o 2>/dev/null; echo "${OPTARG-unset} $o"',
    'OPTARG=x; set -- word; getopts b: o; echo "$? ${OPTARG-unset} $o"',
    # near misses: what getopts does set stays set
    'set -- -f file -g; while getopts "f:g" o; do echo "$o ${OPTARG-unset}"; done',
    'f() { local OPTIND o; while getopts "x:" o; do echo "$OPTARG"; done; }; f -x 1; f -x2',
]

# an extglob group is a glob by itself, without * ? or [ beside it (extglob set on an
# earlier line: bash parses a whole line before running it)
EXTGLOB_ALONE = [
    "mkdir -p s/lib s/doc; touch s/a.py s/b.sh\nshopt -s extglob\necho s/!(lib) s/@(lib)",
    "mkdir -p s/lib; touch s/a.py\nshopt -s extglob\ncd s; echo !(lib) @(lib|a.py) +(lib)",
    "touch nums.txt dups.txt\nshopt -s extglob nullglob\nf=(@(nums|dups).txt); echo ${f[@]}",
    "mkdir lib\nshopt -s extglob\nx='@(lib)'; echo $x \"$x\"; set -f; echo @(lib)",
    "shopt -s extglob\necho @(nomatch) !(*) | wc -w",
    # near misses: quoted or escaped groups, extglob off, a group that matches nothing
    "mkdir lib\nshopt -s extglob\necho '@(lib)' \"@(lib)\" \\@(lib)",
    "mkdir lib; x='@(lib)'; echo $x",
    "shopt -s extglob\necho @(zz) +(qq).txt",
]

# the word of "${x:-word}" inside double quotes is double-quoted text: single quotes,
# `~` and a backslash before anything but $ ` " \ are literal; nested quotes go
QUOTED_OPERAND = [
    "echo \"${y:-'single'}\" \"${y:-a b}\"",
    "x=v; echo \"${x:+'alt'}\" \"${y-'d'}\" \"${y:='as'}\"; echo \"$y\"",
    "echo \"${y:-a\\b}\" \"${y:-a\\$b}\" \"${y:-a\\\"q}\" \"${y:-a\\\\b}\"",
    "echo \"${y:-\"it's\"}\" \"${y:-\"a\"'b'}\"",
    "echo \"${y:-$(echo 'c d')}\" \"${y:-`echo 'e'`}\" \"${y:-${z:-'n'}}\"",
    "echo \"${y:-${z:-${w:-'m'}}}\"; a=(p q); echo \"${y:-${a[@]}}\" \"${y:-'${a[1]}'}\"",
    "echo \"${y:-~}\" \"${y:-'~'}\" \"${y:-a~}\"",
    "x=1; echo \"${y:-$x'$x'}\" \"${y:-*}\"",
    "echo \"${y:-\\}}\" \"${y:-\\'}\" \"${y:-a\\\nb}\" \"${y:-a\\}b'c'}\" \"${y:-\\{}\" \"${y:-\\x}\"",
    "echo \"${y:-$'a\\tb'}\" \"${y:-$\"q\"}\"; a=(1 2); echo \"${y:-${a[@]/1/'x'}}\"",
    # near misses: unquoted, the operand's quotes are quotes
    "echo ${y:-'single'} ${y:-\"dq\"} ${y:-'a  b'} ${y:-~} | sed \"s|$HOME|H|\"",
    "x=1; echo ${y:-'$x'} ${y:-\"$x\"}",
]

# a tilde that begins the replacement of ${x/pat/rep} expands, in double quotes too
TILDE_REPLACEMENT = [
    'x=abc; echo "${x/a/~}" ${x/a/~} "${x/a/~/d}" "${x//b/~}" | sed "s|$HOME|H|g"',
    'printf "%s\\n" "${HOME/#$HOME/~}" | sed "s|$HOME|H|g"',
    # near misses: not at the start, quoted, escaped
    'x=abc; echo "${x/a/x~}" "${x/a/\\~}" "${x/a/\'~\'}" "${x/a/x:~}"',
]

# `trap -l` prints kill -l's table; `kill SIG $$` runs a trapped signal's action
TRAP_SIGNALS = [
    "trap -l",
    "trap -l | wc -l; kill -l | head -1",
    "trap 'echo \"caught TERM\"; exit 1' TERM; kill -TERM $$; echo after",
    "trap 'echo usr1' USR1; kill -USR1 $$; echo continued $?",
    "trap '' TERM; kill $$; echo ignored",
    "trap 'echo h; false' HUP; kill -HUP $$; echo $?",
    # near misses: an untrapped or reset signal still ends the shell
    "bash -c 'kill -s USR2 $$; echo never'; echo \"rc=$?\"",
    "bash -c 'trap \"echo t\" TERM; trap - TERM; kill $$; echo never'; echo \"rc=$?\"",
]

# $BASH_COMMAND shows the command's redirections as bash prints them
BASH_COMMAND_REDIRECTS = [
    "trap 'echo \"err on: $BASH_COMMAND\"' ERR; ls nosuchfile 2>/dev/null; echo next",
    "trap 'echo \"$BASH_COMMAND\"' DEBUG; ls nosuch 2>/dev/null >&2 <in; x=1 true >>/dev/null",
    "trap 'echo \"$BASH_COMMAND\"' DEBUG; echo \"$a\" 2>&1 >/dev/null",
    # near miss: no redirection, the text as written
    "f() { echo \"$BASH_COMMAND\"; }; f  a   'b c'; echo $BASH_COMMAND",
]

# numfmt's auto-padding: a converted field keeps the width its blanks gave it
NUMFMT_PADDING = [
    'for s in "file 20480" "file   20480 x" "  1048576" "a 1 b" "x 123456789012"; do '
    'echo "$s" | numfmt --field=2 --to=iec; echo "$s" | numfmt --to=iec 2>/dev/null; done',
    'for s in "a   1K" " 1K" "a 1K  b" "  1K"; do echo "$s" | numfmt --field=2 --from=si; '
    'echo "$s" | numfmt --from=si; done 2>/dev/null',
    'printf "f 2048\\nff 1048576\\n" | numfmt --field 2 --to=iec',
    # near misses: a delimiter, an explicit padding or format, operands
    'echo "a,20480" | numfmt -d, --field=2 --to=iec; numfmt --to=iec "  2048" 2048',
    'echo "a 2048" | numfmt --field=2 --to=iec --padding=6; echo "a 2048" | numfmt --field=2 --format=%8f --to=iec',
]

# printf %a reads its argument as an x87 long double, as bash does (0x8p-3 for 1)
PRINTF_HEX_FLOAT = [
    "for f in '%a' '%A' '%.2a' '%10a|' '%-12a|' '%#a' '%+a' '%.0a' '%.1a' '%08a' '% a' "
    "'%#.0a' '%.20a'; do for v in 15.9 1 0.1 -2.5 0 -0 1e400 255 0x10 inf nan -inf 3e300 "
    "1e-300 \"'A\" 7; do printf \"$f|\" $v; done; echo; done",
    "printf '%.3a %a|' 1e-5000 1e5000 1e-4940 1e-4935 1e-4950 1e-4960 3.4e-4932 2>/dev/null",
    "printf '%a|%a|\\n'; printf '%a %a\\n' 1; printf '%a\\n' '' ' 2' x 2>/dev/null; echo $?",
    # near misses: the other float conversions read a double
    "printf '%e %g %f %.3G\\n' 0.1 1e-5 2.5 12345.678",
]

_REPO = (
    "export GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=d@x GIT_COMMITTER_NAME=Dev "
    "GIT_COMMITTER_EMAIL=d@x GIT_AUTHOR_DATE='1700000000 +0000' "
    "GIT_COMMITTER_DATE='1700000000 +0000'; git init -q -b main r; cd r; echo one > a.txt; "
    "git add a.txt; git commit -qm first; git tag v1; git branch side; echo two >> a.txt; "
    "git commit -qam second; git tag -a v2 -m rel; cd ..; "
)

# read-only git plumbing: show-ref, merge-base, for-each-ref, rev-parse's peeling suffixes,
# `git -C DIR grep`, log --format=format: (separators)
GIT_PLUMBING = [
    _REPO + "git -C r show-ref; git -C r show-ref --tags; git -C r show-ref --heads side",
    _REPO + "cd r; git show-ref -d --tags; git show-ref --hash main; git show-ref -s --abbrev",
    _REPO + "cd r; git show-ref nosuch; echo $?; git show-ref --verify refs/heads/main; "
    "git show-ref --verify main 2>&1; echo $?; git show-ref -q --verify refs/x; echo $?",
    _REPO + "cd r; git merge-base main side; git merge-base --is-ancestor side main; echo $?; "
    "git merge-base --is-ancestor main side; echo $?; git merge-base nosuch main 2>&1; echo $?",
    _REPO + "cd r; git rev-parse HEAD~1^{tree} HEAD^{} v2^{commit} HEAD^{tree} v1^{}",
    _REPO + "cd r; git rev-parse HEAD^{blob}; echo $?; git rev-parse --short HEAD^{tree}",
    _REPO + "git -C r grep -n one; git -C r grep -c o; cd r; git grep -l two",
    _REPO + "git -C r log --pretty=format:'%an <%ae>' -1; echo; git -C r log --format=format:%s",
    _REPO + "cd r; git for-each-ref; git for-each-ref --format='%(refname:short) "
    "%(objectname:short) %(subject) %(authorname) %(authoremail) %(committerdate:short) "
    "%(*objectname:short) %(taggername)|%(creatordate:iso)|%(HEAD)|%(refname:lstrip=-1)'",
    _REPO + "cd r; git for-each-ref --sort=-refname --count=2 --format='%(refname)'; "
    "git for-each-ref refs/tags 'refs/heads/m*'; git for-each-ref --format='%(bogus)'; echo $?; "
    "git for-each-ref --sort=objecttype --sort=-committerdate --format='%%%(objecttype) %(refname)'",
    # near misses: tformat and a bare format end every entry
    _REPO + "git -C r log --format=tformat:%s; git -C r log --format=%s; git -C r log --pretty='%h'",
]


@pytest.mark.parametrize("script", GETOPTS_OPTARG)
def test_getopts_optarg(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", EXTGLOB_ALONE)
def test_extglob_group_alone(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", QUOTED_OPERAND)
def test_quoted_operand(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", TILDE_REPLACEMENT)
def test_tilde_replacement(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", TRAP_SIGNALS)
def test_trap_signals(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", BASH_COMMAND_REDIRECTS)
def test_bash_command_redirects(script: str) -> None:
    same_as_bash(script)


@pytest.mark.parametrize("script", NUMFMT_PADDING)
def test_numfmt_padding(script: str) -> None:
    same_as_bash(script, "numfmt")


@pytest.mark.parametrize("script", GIT_PLUMBING)
def test_git_plumbing(script: str) -> None:
    same_as_bash(script, "git")


@pytest.mark.parametrize("script", PRINTF_HEX_FLOAT)
def test_printf_hex_float(script: str) -> None:
    same_as_bash(script)

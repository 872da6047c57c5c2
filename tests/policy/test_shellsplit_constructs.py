"""The static split reads [[ ]], (( )), $(( )), ${ }, case patterns and here-documents
as bash does: nothing in them is mistaken for a command, and no command is hidden."""

from __future__ import annotations

import time

import pytest

from corral.policy import Policy
from corral.policy.shellsplit import analyze

STRICT = Policy.builtin("strict")


def commands(script: str) -> list[list[str]]:
    return [c.argv for c in analyze(script).commands if c.argv]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("[[ $x =~ (a+)b$ ]]", [["[[", "$x", "=~", "(a+)b$", "]]"]]),
        ("[[ $x =~ ^(a|b)$ ]] && echo y", [["[[", "$x", "=~", "^(a|b)$", "]]"], ["echo", "y"]]),
        ("[[ $x =~ (a b;c) ]]", [["[[", "$x", "=~", "(a b;c)", "]]"]]),
        (
            "[[ ( -n $x ) && ( -z $y ) ]]",
            [["[[", "(", "-n", "$x", ")", "&&", "(", "-z", "$y", ")", "]]"]],
        ),
        ("[[ $x == @(a|b) ]]", [["[[", "$x", "==", "@(a|b)", "]]"]]),
        ("[[ a < b ]]", [["[[", "a", "<", "b", "]]"]]),
        ("(( (1+2) > 2 ))", []),
        ("echo $(( (1+2)*3 ))", [["echo", "$(( (1+2)*3 ))"]]),
        ("case $x in (a) echo a;; b|c) echo b;; esac", [["echo", "a"], ["echo", "b"]]),
        ("case x in @(a|b)) ls;; esac; id", [["ls"], ["id"]]),
        ("case $x in\n a|b) ls;;\n *) rm x;;\nesac\nwhoami", [["ls"], ["rm", "x"], ["whoami"]]),
        ("cat <<'EOF'\n$(rm -rf /)\nEOF", [["cat"]]),
    ],
)
def test_constructs_are_not_commands(script, expected):
    assert commands(script) == expected


@pytest.mark.parametrize(
    "script",
    [
        "[[ $x =~ (a+)b$ ]] && echo ok",
        "if [[ $v =~ ^([0-9]+)\\.([0-9]+)$ ]]; then echo ok; fi",
        "case $x in (a) echo a;; b|c) echo b;; esac",
        "[[ $x == @(a|b) ]] && echo ok",
    ],
)
def test_strict_allows_what_it_only_misread(script):
    assert STRICT.decide_command(script).verdict == "allow", STRICT.decide_command(script)


@pytest.mark.parametrize(
    "script",
    [
        "((rm -rf /w) )",  # two subshells, not arithmetic
        "echo $((rm -rf /w) )",  # bash falls back to a command substitution
        "echo $(( $(rm -rf /w) + 1 ))",
        "(( x = $(rm -rf /w) ))",
        "echo ${x:-$(rm -rf /w)}",
        "echo ${x:-`rm -rf /w`}",
        "cat <<EOF\n$(rm -rf /w)\nEOF",
        "cat <<-EOF\n\t`rm -rf /w`\n\tEOF",
        ">/dev/null [[ a || rm -rf /w ]]",  # [[ is no reserved word after a redirection
        "x=1 [[ a || rm -rf /w ]]",  # ... or an assignment
        "echo [[ && rm -rf /w ]]",  # ... or as an argument
        '"[[" a || rm -rf /w ]]',  # ... or quoted
        "[[ a ; rm -rf /w ]]",
        "[[ a =~ a) || rm -rf /w ]]",
        "[[ a =~ ($(rm -rf /w)) ]]",
        "if [[ $a =~ x(y|z) ]]; then rm -rf /w; fi",
        "case x in a) ;; [[) rm -rf /w ;; esac",
        "case $(rm -rf /w) in a) ;; esac",
        "case a in $(rm -rf /w)) ;; esac",
        "case x in a) case y in b) ls;; esac; rm -rf /w;; esac",
    ],
)
def test_no_command_is_hidden(script):
    assert ["rm", "-rf", "/w"] in [c[:3] for c in commands(script)], commands(script)
    assert STRICT.decide_command(script).verdict == "deny"


@pytest.mark.parametrize(
    "script",
    ["(" * 20000, "$((" * 10000, "echo ${" * 20000, "[[ " * 20000, "$((${" * 5000,
     "cat <<EOF\n" + "$((" * 5000 + "\nEOF"],
)  # fmt: skip
def test_pathological_input_does_not_hang_or_crash(script):
    t0 = time.monotonic()
    analyze(script)
    assert time.monotonic() - t0 < 30

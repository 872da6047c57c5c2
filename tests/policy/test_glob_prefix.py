"""A glob rule is tried only on lines that start with its literal prefix
(``CommandPattern.glob_prefix``): no line it matches lacks that prefix, so the shortcut
never changes a decision."""

from __future__ import annotations

import random

import pytest

from corral.policy import Policy
from corral.policy.patterns import GLOB, compile_command


@pytest.mark.parametrize(
    ("text", "prefix"),
    [("git push *", "git push"), ("mkfs*", "mkfs"), ("* --force", ""), ("*", ""),
     ("a\\*b *", "a*b"), ("curl * | sh", "curl"), ("rm -rf /*", "rm -rf /"), ("ls", "")],
)  # fmt: skip
def test_the_prefix_of_a_glob(text, prefix):
    pat = compile_command(text)
    assert pat.glob_prefix == (prefix if pat.kind == GLOB else "")


def test_every_line_a_glob_matches_starts_with_its_prefix():
    rnd = random.Random(4)
    pieces = ["git", "push", "mkfs", "mkfs.ext4", "-rf", "/", "*", "a", "x y", "--force", "rm",
              "curl", "|", "sh", "\\*", "a*b", "", " "]  # fmt: skip
    globs = [
        p.pattern
        for name in ("default", "strict", "permissive")
        for p in Policy.builtin(name)._command_rules
        if p.pattern.kind == GLOB
    ]
    for _ in range(300):
        text = " ".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 4)))
        if text.strip():
            globs.append(compile_command(text))
    checked = 0
    for pat in globs:
        if pat.kind != GLOB or not pat.glob_prefix:
            continue
        words = pat.glob_prefix.split(" ")
        for _ in range(40):
            line = " ".join(words[: rnd.randint(0, len(words))] + [rnd.choice(pieces)
                                                                   for _ in range(3)])
            if rnd.random() < 0.5:
                line = pat.glob_prefix + rnd.choice(["", " ", "x", " x y", "*"])
            if pat.regex is not None and pat.regex.fullmatch(line) is not None:
                assert line.startswith(pat.glob_prefix), (pat.text, line)
                checked += 1
    assert checked > 200

"""One decision reads at most ``MAX_COMMANDS`` commands, counting those a line runs
through ``eval``, ``sh -c``, decoders and interpreters: a line of hundreds of thousands
of commands took the host 20 s to decide (the wall budget does not stop the host's own
work), and is refused instead once the count is spent."""

from __future__ import annotations

import pytest

from corral.policy import Policy
from corral.policy.engine import MAX_COMMANDS

DEFAULT = Policy.load("default")
OVER = MAX_COMMANDS + 500


@pytest.mark.parametrize(
    "line",
    [
        "echo x;" * OVER,
        "eval '" + "a|" * OVER + "a'",
        "bash -c '" + "true;" * OVER + "'",
        # nested: each eval is small, together they are too many
        "eval '" + 'eval "echo a;echo b";' * (OVER // 2) + "'",
    ],
    ids=["plain", "eval", "sh -c", "nested eval"],
)
def test_a_line_of_too_many_commands_is_refused_saying_why(line):
    d = DEFAULT.decide_command(line)
    assert d.verdict == "deny"
    assert f"more than {MAX_COMMANDS} commands" in d.reason and "split it" in d.reason


def test_a_long_ordinary_script_is_decided_as_before():
    d = DEFAULT.decide_command("echo x;" * (MAX_COMMANDS // 2))
    assert d.verdict == "allow", d.reason
    # the count is per decision: the next one starts afresh
    assert DEFAULT.decide_command("make test && git status").verdict == "allow"
    d = DEFAULT.decide_command("echo y;" * (MAX_COMMANDS // 2))
    assert d.verdict == "allow", d.reason


def test_the_split_stops_reading_at_the_bound():
    """A half-megabyte line of ``a;a;…`` was split in full (a second or more) only to be
    refused for its count: the split stops once the bound is passed."""
    from corral.policy.shellsplit import analyze

    a = analyze("a;" * 250_000, max_commands=MAX_COMMANDS)
    assert a.cut and not a.complete and len(a.commands) <= MAX_COMMANDS + 2
    nested = analyze("echo $(a) $(b);" * 20_000, max_commands=MAX_COMMANDS)
    assert nested.cut
    whole = analyze("a;" * 100)
    assert not whole.cut and len(whole.commands) == 100

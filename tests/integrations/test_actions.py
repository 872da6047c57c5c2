"""Tool calls written in a model's text."""

from __future__ import annotations

import time

from corral.integrations.actions import parse_action


def test_the_first_tag_is_the_action():
    a = parse_action("think... <python>print(1)</python> then <bash>ls</bash>")
    assert (a.tool, a.args) == ("run_python", {"code": "print(1)"})
    a = parse_action("<bash>echo '<python>x</python>'</bash>")
    assert (a.tool, a.args) == ("run_shell", {"command": "echo '<python>x</python>'"})


def test_every_tag():
    assert parse_action("<js>1+1</js>").args == {"code": "1+1"}
    assert parse_action("<read_file> a.txt </read_file>").args == {"path": "a.txt"}
    assert parse_action("<list_files></list_files>").args == {"path": "/workspace"}
    w = parse_action('<write_file path="d/a.py">x = 1\n</write_file>')
    assert (w.tool, w.args) == ("write_file", {"path": "d/a.py", "content": "x = 1\n"})
    assert parse_action("<answer> 42 </answer>").args == {"text": " 42 "}


def test_no_action_and_bad_ones_say_what_is_wrong():
    assert parse_action("just talking") is None
    assert parse_action("<bashful>x</bashful>") is None
    assert parse_action("<bash>ls").problem == "<bash> is not closed by </bash>"
    assert "path" in parse_action("<write_file>x</write_file>").problem
    assert "path" in parse_action("<read_file> </read_file>").problem
    assert parse_action(None).tool == "invalid"  # type: ignore[arg-type]


def test_hostile_text_is_parsed_in_linear_time():
    for text in ("<bash" * 200_000, "<bash>" * 200_000, "<write_file path='" * 100_000):
        t0 = time.monotonic()
        parse_action(text)
        assert time.monotonic() - t0 < 10  # did not hang (quadratic would take minutes)
    assert parse_action("x" * 5_000_000).tool == "invalid"

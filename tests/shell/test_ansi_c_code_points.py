"""``$'\\uXXXX'`` / ``$'\\UXXXXXXXX'`` of a code point Python cannot hold in text (a lone
surrogate, past U+10FFFF) wrote bytes as bash does, never ended the script with
``corral: internal error`` (the class: an escape whose value is not a Unicode scalar)."""

from __future__ import annotations

import pytest

from corral.shell.expand import ansi_c


@pytest.mark.parametrize(
    ("escape", "bash_bytes"),
    [
        ("\\ud800", b"\xed\xa0\x80"),
        ("\\udfff", b"\xed\xbf\xbf"),
        ("\\U110000", b"\xf4\x90\x80\x80"),
        ("\\U7FFFFFFF", b"\xfd\xbf\xbf\xbf\xbf\xbf"),
        ("\\UFFFFFFFF", b""),
        ("\\u00e9", "é".encode()),
        ("\\U0010FFFF", "\U0010ffff".encode()),
    ],
)
def test_a_code_point_becomes_the_bytes_bash_writes(escape: str, bash_bytes: bytes) -> None:
    out = ansi_c(escape)
    assert out.encode("utf-8", "surrogateescape") == bash_bytes


def test_the_script_goes_on_in_a_sandbox() -> None:
    import corral

    with corral.Sandbox() as sb:
        r = sb.run("x=$'\\ud800'; echo \"$x\" > f; touch \"$x\"; echo $'\\U110000' | wc -c; echo ok")
        assert (r.exit_code, r.stdout, r.stderr) == (0, "5\nok\n", ""), r

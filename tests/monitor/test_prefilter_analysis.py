"""The literal analyses the index screens with (``prefilter.required``/``required_short``/
``required_all``/``required_any_all``) hold on every text a pattern finds, repeats
included (``/\\.+`` needs ``/.``, ``(?:\\w+/)+\\.{3}`` needs ``/...``, ``a{3}`` needs
``aaa``), and a screen's answer for a text shorter than its widest pattern (a step per
distinct width) is the plain definition: every entry whose literal the text holds and
whose shortest match fits in it."""

from __future__ import annotations

import random

import pytest

from corral import saferegex
from corral.monitor.prefilter import (
    Screen,
    folded,
    min_width,
    required,
    required_all,
    required_any_all,
    required_short,
)

from .test_literal_screens import _pack_regexes, _texts


def _holds(pattern: str, text: str) -> list[str]:
    """What the analyses of ``pattern`` claim about ``text`` that is false."""
    low = folded(text)
    wrong = []
    for name, lits in (("required", required(pattern)), ("short", required_short(pattern))):
        if lits is not None and not any(x in low for x in lits):
            wrong.append(f"{name} {sorted(lits)}")
    wrong += [f"all {sorted(s)}" for s in required_all(pattern) if not any(x in low for x in s)]
    alts = required_any_all(pattern)
    if alts and not any(all(any(x in low for x in s) for s in alt) for alt in alts):
        wrong.append(f"any_all {alts}")
    return wrong


# patterns with repeats next to literals, and texts made to match them (the longest
# repetitions, the shortest, case changed)
_REPEATS = [
    r"/\.+\s+/",
    r"(?:^|\s)/(?:[^\s/]+/)+\.{3,}/",
    r"x(?:yz)+w",
    r"a\.{3,}b",
    r"ab{2}c",
    r"(?:ab)+c",
    r"(?:a[0-9]b)+c",
    r"q(?:a|bc)+z",
    r"(?i)k\.+x",
    r"--?(?:x|yy)+=",
    r"\bcurl\b\s+(?:-\S+\s+)*https?://\S+/(?:\w+\.)+sh\b",
]


def _random_texts(rng: random.Random, n: int) -> list[str]:
    alphabet = "ab./ xyzqwck-=0123456789KX\u017f\u212a"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


@pytest.mark.parametrize("pattern", _REPEATS)
def test_repeat_literals_hold_on_every_match(pattern: str) -> None:
    rng = random.Random(pattern)
    rx = saferegex.compile(pattern)
    texts = [
        *_random_texts(rng, 20_000),
        *(" /..../ ", "x/.. /y", " /a/b/.../", "xyzyzyzw", "a...b", "a......b", "abbc"),
        *("ababc", "a1ba2bc", "qabcaz", "K..X", "k.x", "--xyyx=", "curl -s http://h/a.b.sh"),
    ]
    matched = [t for t in texts if rx.search(t)]
    assert matched  # the pattern is exercised
    wrong = [(t, w) for t in matched for w in [_holds(pattern, t)] if w]
    assert not wrong, wrong[:5]


def test_literal_analyses_hold_on_the_corpora() -> None:
    texts = _texts()
    wrong = []
    for pattern in _pack_regexes():
        rx = saferegex.compile(pattern)
        wrong += [(pattern, t, w) for t in texts if rx.search(t) for w in [_holds(pattern, t)] if w]
    assert not wrong, wrong[:5]


def test_screen_width_levels_are_the_plain_definition() -> None:
    rng = random.Random(7)
    # patterns without a 3-character literal are kept with the shortest text they match
    patterns = [r"4\d{90}", r"8\w{40}", r"\b4[a-z]{5}", r"x/\.", r"(?:4|8)\S{11}", r"ab", r"8"]
    screen = Screen([(p, p) for p in patterns])
    widths = {p: min_width(p) for p in patterns}
    assert len(set(widths.values())) > 3
    for _ in range(3000):
        n = rng.choice([0, 1, 2, 5, 6, 11, 12, 40, 41, 89, 90, 91, 95, 200])
        text = "".join(rng.choice("48abx/. ") for _ in range(n))
        low = folded(text)
        want = [
            p for p in patterns
            if any(x in low for x in required_short(p) or ()) and len(text) >= widths[p]
        ]  # fmt: skip
        got = screen.find(text)
        assert set(got) == set(want), (text, got, want)
        assert len(got) == len(set(got))


def test_huge_repeat_counts_stay_small_and_hold() -> None:
    """``a{99999999}`` in a rule file is not written out (a prefix of the repetitions
    is still needed), and the analyses hold on a text it finds."""
    for pattern in (r"xa{99999999}y", r"x(?:ab){9999999}y", r"q\.{5000,}z"):
        lits = [x for s in required_all(pattern) for x in s]
        lits += [*(required(pattern) or ()), *(required_short(pattern) or ())]
        assert lits and max(map(len, lits)) <= 66, pattern
    text = "x" + "a" * 100_000 + "y"
    assert saferegex.compile(r"xa{100000}y").search(text)
    assert not _holds(r"xa{100000}y", text)
    text = "q" + "." * 6000 + "z"
    assert not _holds(r"q\.{5000,}z", text)

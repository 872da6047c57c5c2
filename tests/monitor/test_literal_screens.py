"""The literal checks in front of the rules' regexes never hide a match.

The regex operator checks for one of the strings a regex cannot match without
(casefolded) before running it, and a screen indexes a pattern without a trigram by
shorter literals; both must agree with the regex itself on every text."""

from __future__ import annotations

import json

import pytest

from corral import saferegex
from corral.monitor.loader import builtin_pack
from corral.monitor.prefilter import Screen, required_short
from corral.monitor.rules import AllOf, AnyOf, Cond, NotOf, Pred, build_operator

from .corpus_alerts import CORPUS_DIR, FILES


def _regex_sources(c: Cond) -> list[str]:
    if isinstance(c, Pred):
        return [rx.pattern for o in c.ops if o.op == "regex" for rx in o.regexes]
    if isinstance(c, NotOf):
        return _regex_sources(c.item)
    assert isinstance(c, AllOf | AnyOf)
    return [s for i in c.items for s in _regex_sources(i)]


def _pack_regexes() -> list[str]:
    out: list[str] = []
    for rule in builtin_pack("default").rules:
        for matcher, _ in rule.matchers():
            out.extend(_regex_sources(matcher.cond))
    return sorted(set(out))


def _texts() -> list[str]:
    texts = []
    for name in FILES:
        for raw in (CORPUS_DIR / name).read_text().splitlines():
            obj = json.loads(raw) if raw.strip().startswith("{") else {}
            if obj.get("command"):
                texts.append(obj["command"])
    # case and Unicode folding: upper case, the long s and the Kelvin sign fold to s and k
    extra = [t.upper() for t in texts[::7]]
    extra += [t.replace("s", "\u017f").replace("k", "\u212a") for t in texts[::5]]
    return texts + extra


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(?i)secret", "grep -r \u017fECRET /"),
        ("(?i)kube", "cat ~/.\u212aube/config"),
        ("(?i)\u03bf\u03c2", "\u039f\u03a3\u0391"),
        ("\u039f\u03a3", "x \u039f\u03a3\u0391"),
        ("history", "cat .bash_history"),
        ("(?i)HISTORY", "cat .bash_history"),
        (r"\.(?:bash|zsh)_?history\b", "cat ~/.zsh_history"),
    ],
)
def test_screened_regex_agrees_on_folded_text(pattern: str, text: str) -> None:
    op = build_operator("regex", [pattern], "str")
    assert op.test(text) is (saferegex.compile(pattern).search(text) is not None)
    assert op.test(text)


def test_screened_regexes_agree_with_the_regexes_on_the_corpora() -> None:
    texts = _texts()
    wrong = []
    for pattern in _pack_regexes():
        op = build_operator("regex", [pattern], "str")
        rx = saferegex.compile(pattern)
        wrong += [(pattern, t) for t in texts if op.test(t) != (rx.search(t) is not None)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"(?:\$|\{)", "ping 10.0.0.$i"),
        (r"(?:^|\s)--?(?:cuda|opencl|U|G)(?:[=\s]|$)", "t-rex --cuda -a x"),
        (r":\s*\(\s*\)\s*\{", ":(){ :|:& };:"),
        (r"(?i)(?:^|\s)-[ks]\b", "curl -\u017f"),
    ],
)
def test_short_literal_screen_keeps_matching_patterns(pattern: str, text: str) -> None:
    assert required_short(pattern) is not None
    screen = Screen([(pattern, "entry")])
    assert saferegex.compile(pattern).search(text) is not None
    assert screen.find(text) == ("entry",)


def test_short_literal_screen_agrees_on_the_corpora() -> None:
    texts = _texts()
    patterns = [p for p in _pack_regexes() if required_short(p) is not None]
    assert patterns
    wrong = []
    for pattern in patterns:
        screen = Screen([(pattern, pattern)])
        rx = saferegex.compile(pattern)
        wrong += [(pattern, t) for t in texts if rx.search(t) and not screen.find(t)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("a$", "xa\n"),  # `$` before a final newline: Python's engine decides
        (r"(?i)\bstra\w+e\b", "STRAßE"),  # non-ASCII text
        (r"(a)\1", "xaay"),  # a back-reference: Python's engine behind the guard
        (r"(a)\1", "xaby"),
        ("abc", "xxabcxx"),  # a literal: Python's own search
        ("abc", ""),
        (r"(?P<f>\d+)x", "12x"),
    ],
)
def test_pattern_test_is_search_is_not_none(pattern: str, text: str) -> None:
    rx = saferegex.compile(pattern)
    assert rx.test(text) is (rx.search(text) is not None)

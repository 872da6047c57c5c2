"""The learned command-text scorer: a second signal beside the rules.

A logistic regression over features of a command line, shipped as data
(``models/command_text.json.gz``, written by ``scripts/train_scorer.py``). The monitor
scores the text an agent wrote (a shell script's ``code``, an ``exec``'s line) and raises
``learned-command-text`` when the score passes the model's threshold.

Features, of the text as the shell would run it (:func:`corral.monitor.normalize.deobfuscate`
undoes ``c''url``, ``${IFS}``, decoded payloads…), lowercased, cut into tokens (runs of
non-blank characters, shell operators ``|;&<>()`` apart from words):

* ``t:`` the token, ``c:`` the token at a command's position (first, or after an operator);
* ``g:`` character 3- to 5-grams of the token with a blank on each side (tokens longer than
  :data:`MAX_TOKEN` characters: their head and tail);
* ``s:`` the token's shape (letters ``a``, capitals ``A``, digits ``9``, runs collapsed)
  and a length bucket (an unseen IP address, port or base64 blob looks like known ones;
  a shape can only lower a score: the fast reject scans for literals);
* ``b:`` token bigrams;
* ``p:`` where a token points when it is one's own place (:func:`place`: this machine,
  a private address or internal host, a relative path, the workspace, ``/tmp``,
  ``/dev/null``): like a shape, not a literal, so it can only lower a score.

The model weighs features by name (a vocabulary: a feature training never saw weighs
nothing) and counts a feature present in a window once (binary features). A text of at
most :data:`WINDOW` tokens is scored whole (exactly what training saw); a longer one by
its highest window: every run of ``WINDOW`` tokens (sliding, with feature counts) and
every command between separators (``;``, ``&&``, ``||``, ``&``, newlines) of at most
``WINDOW`` tokens, so an attack padded with thousands of benign commands or arguments
is not diluted. Cost is linear: the text is cut to its first :data:`HEAD` and last
:data:`TAIL` characters (the corral shell reports each command of a longer script as
it runs it, and each is scored too); token features and whole-text answers are cached.

The fast reject (:meth:`CommandScorer.fires`): a window's score is at most the bias
plus the positive weights of the features the text holds. Training allows a positive
weight only on features with a literal form (tokens, n-grams, bigrams; not shapes), so
one RE2 set pass over the prepared text's bytes finds a superset of the positive
features present (each a literal with its token edges) and proves most texts below the
threshold without tokenizing them: exact, the same answer as :meth:`CommandScorer.score`.

The model loads lazily, once per file; a missing or corrupted file raises
:class:`ScorerError` naming it (the monitor logs it and runs its rules without the
scorer).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .normalize import GATE as _GATE
from .normalize import deobfuscate
from .prefilter import PAD

__all__ = [
    "DEFAULT_ON",
    "HEAD",
    "MAX_TOKEN",
    "MODEL_PATH",
    "RULE_ID",
    "TAIL",
    "WINDOW",
    "CommandScorer",
    "Rider",
    "Score",
    "ScorerError",
    "canonical",
    "command_text",
    "command_texts",
    "default_scorer",
    "describe",
    "enabled",
    "feature_name",
    "line_features",
    "place",
    "policy_state",
    "prepare",
    "reject_pattern",
    "tokens",
]

#: whether a Monitor with the shipped ``default`` pack scores command text when not told
#: (``Monitor(scorer=None)``, a policy without ``monitor.scorer``). Off: cost. With the fast
#: reject riding on the rules' line pass (:class:`Rider`) the monitor benchmark keeps
#: ~x0.95 of its rules-only work in instructions (callgrind, 73.4k against 69.7k per event;
#: a4b69b6 x0.936: 76.7k, and ran 94,608 events/s against 110,867 rules only; issue 12
#: asks for >= 100,000). Model 5 (sets 1-9) meets the false
#: positive criterion on every left-out set (docs/architecture.md) and on fresh set 10
#: alerted 86.1 % of attacks against the rules' 54.8 %, at 1.8 % false positives against
#: 1.1 %: for unattended runs, where a missed attack costs more than ~10 % of the
#: monitor's CPU, ``Monitor(scorer=True)`` or a policy's ``monitor: {scorer: true}``
#: turns it on
DEFAULT_ON: Final = False
#: the rule id of the scorer's alerts
RULE_ID: Final = "learned-command-text"
#: the shipped model
MODEL_PATH: Final = Path(__file__).with_name("models") / "command_text.json.gz"
#: the model format this code reads
FORMAT: Final = 2
#: the kinds of feature a model weighs
_KINDS: Final = frozenset({b"t:", b"c:", b"g:", b"s:", b"b:", b"p:"})
#: characters scored: the first HEAD and the last TAIL of a longer text
HEAD: Final = 16384
TAIL: Final = 4096
#: tokens per scoring window
WINDOW: Final = 16
#: characters of a token its n-grams are taken from (head and tail of a longer one)
MAX_TOKEN: Final = 64
_NGRAMS: Final = (3, 4, 5)
_OPS: Final = frozenset("|;&<>()`")
_SEPS: Final = frozenset({";", "&&", "||", "&", "\n", ";;", "&;"})
_CMD_AFTER: Final = frozenset({"|", "||", "&", "&&", ";", "(", "`", "$(", "\n", "{", "!"})


class ScorerError(Exception):
    """The model file cannot be used (missing, unreadable, corrupted); names the file."""


# ------------------------------------------------------------------------------ features


def prepare(text: str) -> str:
    """The text a score is taken of: head and tail of a long text, deobfuscated,
    lowercased."""
    if len(text) > HEAD + TAIL:
        text = text[:HEAD] + "\n" + text[-TAIL:]
    norm = deobfuscate(text)
    if norm is not None:
        text = norm
        if len(text) > HEAD + TAIL:  # decoded payloads appended
            text = text[:HEAD] + "\n" + text[-TAIL:]
    return text.lower()


def tokens(text: str) -> list[str]:
    """Runs of non-blank characters, shell operators cut apart from words; a newline
    is a token of its own (it separates commands). Linear, no regex."""
    out: list[str] = []
    lines = text.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        for word in line.split():
            if _OPS.isdisjoint(word):
                out.append(word)
            else:
                _split_ops(word, out)
        if i < last and out and out[-1] != "\n":
            out.append("\n")
    return out


def _split_ops(word: str, out: list[str]) -> None:
    """``word`` cut where it turns from operator characters to others and back."""
    start = 0
    op = word[0] in _OPS
    for i in range(1, len(word)):
        is_op = word[i] in _OPS
        if is_op != op:
            out.append(word[start:i])
            start, op = i, is_op
    out.append(word[start:])


_SHAPE_ASCII: Final = str.maketrans(
    {**{chr(c): "9" for c in range(48, 58)},
     **{chr(c): "a" for c in [*range(65, 91), *range(97, 123)]},
     **{chr(c): "?" for c in [*range(32), 127]}}
)  # fmt: skip


def _shape(tok: str) -> str:
    """The token's character classes (``a`` letters, ``9`` digits, others as they are,
    ``?`` unprintable; runs collapsed, 16 at most) and a length bucket."""
    n = len(tok)
    bucket = "1" if n < 2 else "s" if n < 5 else "m" if n < 13 else "l" if n < 41 else "x"
    head = tok[:MAX_TOKEN]
    if head.isascii():
        classes = [k for k, _ in itertools.groupby(head.translate(_SHAPE_ASCII))]
        return "".join(classes[:16]) + "/" + bucket
    out: list[str] = []
    last = ""
    for ch in head:
        if ch.isdigit():
            c = "9"
        elif ch.isalpha():
            c = "a"
        else:
            c = ch if ch.isprintable() else "?"
        if c != last:
            out.append(c)
            last = c
    return "".join(out[:16]) + "/" + bucket


def _padded(tok: str) -> bytes:
    """The bytes a token's n-grams are taken from (head and tail of a long token)."""
    if len(tok) > MAX_TOKEN:
        tok = tok[: MAX_TOKEN // 2] + "…" + tok[-MAX_TOKEN // 4 :]
    return b" " + tok.encode("utf-8", "surrogatepass") + b" "


def _ipv4(host: str) -> tuple[int, ...] | None:
    parts = host.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    got = tuple(int(p) for p in parts)
    return got if max(got) <= 255 else None


#: host name endings of a site's own (internal) names
_INTERNAL: Final = (".internal", ".local", ".lan", ".corp", ".home.arpa", ".svc",
                    ".cluster.local", ".localdomain")  # fmt: skip


#: the characters that make a path a pattern of many names
_GLOB: Final = frozenset("*?[")


def _scope(path: str) -> str:
    """A relative path's scope: ``rel`` one named file or directory, ``many`` a pattern
    of names (``tests/*.py``: every test, not one)."""
    return "rel" if _GLOB.isdisjoint(path) else "many"


def _named(tok: str) -> str | None:
    """``named`` for a test's node id under the working directory (``tests/test_a.py::
    test_b``, ``::Class::test``: one test by name), else None."""
    path, _, name = tok.partition("::")
    if name.endswith("]") and "[" in name:  # a parametrized case: ``test_b[1-2]``
        name = name[: name.index("[")]
    if not name or not _GLOB.isdisjoint(path + name) or ":" in path:
        return None
    parts = name.split("::")
    return "named" if all(p.replace("_", "").isalnum() for p in parts) else None


def place(tok: str) -> str | None:
    """Where a (lowercased) token points, when it is one's own place: ``local`` (this
    machine: ``localhost``, ``127.x``, ``::1``), ``private`` (a private address or an
    internal host name), ``rel`` (a path relative to the working directory), ``many``
    (a pattern of such paths: every test, not one), ``named`` (one test by its node id),
    ``workspace``, ``tmp``, ``null`` (``/dev/null``); None otherwise (a foreign host,
    a system path, another user's files: not named, so nothing about them can lower a
    score). The value of ``--opt=value`` and of ``NAME=value`` is what is looked at."""
    if "://" in tok:
        host = tok.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    else:
        if "=" in tok:
            tok = tok.rsplit("=", 1)[1]
        if not tok:
            return None
        if tok[0] == "/":
            if tok == "/dev/null":
                return "null"
            if tok == "/tmp" or tok.startswith("/tmp/"):
                return "tmp"
            if tok == "/workspace" or tok.startswith("/workspace/"):
                return "workspace"
            return None
        if tok.startswith(("./", "../")) and ".." not in tok[3:]:
            return _scope(tok)
        if "/" in tok:
            first = tok.split("/", 1)[0]
            if "::" in tok and tok[0] not in "~$./" and ".." not in tok:
                return _named(tok)
            if tok[0] in "~$." or ":" in tok or ".." in tok or "." in first:
                return None  # home, a variable, a host name's path
            return _scope(tok)
        if _GLOB.isdisjoint(tok) is False and ":" not in tok and "$" not in tok:
            return "many"  # a pattern of the working directory's names: ``*.py``
        host = tok.rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host in ("localhost", "::1") or host.endswith(".localhost"):
        return "local"
    ip = _ipv4(host)
    if ip is not None:
        if ip[0] == 127:
            return "local"
        if ip[0] == 10 or ip[:2] == (192, 168) or (ip[0] == 172 and 16 <= ip[1] <= 31):
            return "private"
        return None
    if host.endswith(_INTERNAL) and host.replace(".", "").replace("-", "").isalnum():
        return "private"
    return None


def token_features(tok: str, cmd: bool, ngrams: tuple[int, ...] = _NGRAMS) -> list[bytes]:
    """The names of one token's features (``cmd``: at a command's position), as the
    bytes hashed: the n-grams are of the token's UTF-8 bytes (``ngrams``: their lengths;
    a model trained on fewer weighs the others nothing)."""
    enc = tok.encode("utf-8", "surrogatepass")
    feats = [b"t:" + enc, b"s:" + _shape(tok).encode("utf-8", "surrogatepass")]
    if cmd:
        feats.append(b"c:" + enc)
    if tok == "\n":
        return feats
    where = place(tok)
    if where is not None:
        feats.append(b"p:" + where.encode())
    padded = _padded(tok)
    n = len(padded)
    for k in ngrams:
        feats.extend(b"g:" + padded[i : i + k] for i in range(n - k + 1))
    return feats


def _positions(toks: list[str]) -> list[bool]:
    prev = "\n"
    out = []
    for t in toks:
        out.append(prev in _CMD_AFTER or prev[-1] in "|;&(")
        prev = t
    return out


def _bigram(a: str, b: str) -> bytes:
    return f"b:{a[:MAX_TOKEN]} {b[:MAX_TOKEN]}".encode("utf-8", "surrogatepass")


def line_features(text: str, ngrams: tuple[int, ...] = _NGRAMS) -> list[bytes]:
    """Every feature of ``text`` (with repeats: counts), as training sees a line."""
    toks = tokens(prepare(text))
    feats: list[bytes] = []
    for tok, cmd in zip(toks, _positions(toks), strict=True):
        feats.extend(token_features(tok, cmd, ngrams))
    feats.extend(_bigram(a, b) for a, b in itertools.pairwise(toks))
    return feats


def feature_name(name: bytes) -> str:
    """A feature as text (for explanations)."""
    return name.decode("utf-8", "replace")


# --------------------------------------------------------------------------------- model


@dataclass
class Score:
    """A text's score: the logit of its worst window, the threshold, what drove it."""

    value: float
    threshold: float
    window: str
    top: list[tuple[str, float]] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)  # the window's tokens

    @property
    def fired(self) -> bool:
        return self.value >= self.threshold

    @property
    def probability(self) -> float:
        v = max(-60.0, min(60.0, self.value))
        return 1.0 / (1.0 + math.exp(-v))


# The fast reject scans the prepared text in a canonical form where every token stands
# between single blanks: operator characters spaced apart (a run of them, ``&&``, is
# ``& &``), newlines written ``\x01`` (a token of their own), blanks collapsed, a blank
# at each end. A token's first characters are then the literal ``" " + first`` and its
# last ones ``last + " "``, so the patterns are plain literals (one DFA pass, no
# states for edge conditions).
_OP_SPACED: Final = {ord(c): f" {c} " for c in _OPS}
_OPB: Final = frozenset(ord(c) for c in _OPS)
_NEWLINE: Final = " \x01 "
_ELLIPSIS: Final = frozenset("…".encode())  # joins a long token's head and tail
_REJECT_MEM: Final = 96 << 20


def canonical(prepared: str) -> str:
    """``prepared`` with every token between single blanks (see above)."""
    if not _OPS.isdisjoint(prepared):
        prepared = prepared.translate(_OP_SPACED)
    if "\n" in prepared:
        prepared = prepared.replace("\n", _NEWLINE)
    return f" {' '.join(prepared.split())} "


def _canon_bytes(data: bytes) -> bytes:
    """A piece of a token (UTF-8) as it stands in :func:`canonical` text: a run of
    operator characters spaced apart."""
    if _OPB.isdisjoint(data):
        return data
    out = bytearray()
    for i, b in enumerate(data):
        if i and (b in _OPB or data[i - 1] in _OPB):
            out += b" "
        out.append(b)
    return bytes(out)


def reject_pattern(feature: bytes) -> bytes | None:
    """A literal every :func:`canonical` prepared text (as UTF-8) holding ``feature``
    holds, or ``None`` when there is none to scan for (the feature then counts as always
    present)."""
    kind, body = feature[:2], feature[2:]
    if not body:
        return None
    if kind in (b"t:", b"c:"):
        return _NEWLINE.encode() if body == b"\n" else b" " + _canon_bytes(body) + b" "
    if kind == b"b:":
        first, _, second = body.partition(b" ")
        if not first or not second:
            return None
        tok = max(first, second, key=len)  # both are present: the longer is rarer
        if tok == b"\n":
            return _NEWLINE.encode()
        whole = len(tok.decode("utf-8", "replace")) < MAX_TOKEN
        return b" " + _canon_bytes(tok) + (b" " if whole else b"")
    if kind == b"g:":
        if not _ELLIPSIS.isdisjoint(body):  # may span the join of a long token's ends
            pieces = bytes(b if b not in _ELLIPSIS else 0x20 for b in body).split()
            longest = max(pieces, key=len, default=b"")
            return _canon_bytes(longest) if longest else None
        core = body.strip(b" ")
        if not core:
            return None
        head = b" " if body[:1] == b" " else b""
        tail = b" " if body[-1:] == b" " else b""
        return head + _canon_bytes(core) + tail
    return None  # shapes (s:) are not literal: counted as always present


#: the characters ``str.split()`` cuts at (every one is below U+3001)
_BLANKS: Final = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
#: the characters that make a text not plain (see :meth:`CommandScorer.fires`): one
#: that gates deobfuscation, an operator, a blank other than the space
_NOT_PLAIN: Final = frozenset(_GATE | _OPS | _BLANKS) - {" "}
#: the ASCII ones, as bytes (a plain text is ASCII)
_NOT_PLAIN_ASCII: Final = bytes(sorted(ord(c) for c in _NOT_PLAIN if c.isascii()))


#: negative weights at most this large are counted by the tight bound (a smaller set)
_SURE_WEIGHT: Final = -0.2


def _sure_pattern(feature: bytes) -> bytes | None:
    """A literal whose presence in a *short plain* text's canonical form (at most
    :data:`WINDOW` tokens, every one at most :data:`MAX_TOKEN` characters, no operator,
    no newline) proves ``feature`` present in its one window, or None: a token (``t:``)
    or an n-gram (``g:``) without operator characters. Such a text's tokens are
    exactly the words between its blanks, and each token's n-grams are all taken, so
    the literal is found exactly when the feature is there."""
    kind = feature[:2]
    if kind not in (b"t:", b"g:"):
        return None  # c: needs a command position, b: an adjacency, s: is not literal
    body = feature[2:]
    if not body.strip(b" ") or not _OPB.isdisjoint(body) or not body.isascii():
        return None
    if b"\n" in body or b"\x01" in body:
        return None
    return reject_pattern(feature)


class _Reject:
    """A sound fast reject: the score of any window is at most ``bias`` plus the sum of
    the positive weights of the features the text holds, so one RE2 set pass over the
    :func:`canonical` prepared text that finds (a superset of) them proves most texts
    cannot reach the threshold. Index 0 of the set is the empty pattern: a pass that
    does not report it failed (RE2 out of memory) and proves nothing."""

    __slots__ = ("base", "limit", "match", "pats", "tight", "weights")

    def __init__(self, weights: dict[bytes, float], bias: float, threshold: float) -> None:
        import re2

        grouped: dict[bytes, float] = {}
        sure: dict[bytes, float] = {}
        always = 0.0
        for feature, w in weights.items():
            if w <= 0:
                if w <= _SURE_WEIGHT and (lit := _sure_pattern(feature)) is not None:
                    sure[lit] = sure.get(lit, 0.0) + w
                continue
            lit = reject_pattern(feature)
            if lit is None:
                always += w
            else:
                grouped[lit] = grouped.get(lit, 0.0) + w
        opts = re2.Options()
        opts.encoding = re2.Options.Encoding.LATIN1  # bytes in, a byte per character
        opts.literal = True
        opts.log_errors = False
        opts.max_mem = _REJECT_MEM
        rs = re2.Set.SearchSet(opts)
        rs.Add(b"")
        pats = sorted(grouped.keys() | sure.keys())
        for pat in pats:
            rs.Add(pat)
        rs.Compile()
        raw = getattr(rs, "_set", None)
        self.match: Any = raw.Match if raw is not None else lambda b: rs.Match(b) or []
        #: the literals, in the set's order after its empty pattern
        self.pats: tuple[bytes, ...] = tuple(pats)
        self.weights = [0.0, *(grouped.get(p, 0.0) for p in pats)]
        #: for a short plain text (:meth:`CommandScorer.fires`): the positive weights
        #: and the negative weights of the features a literal proves present
        self.tight = [0.0, *(grouped.get(p, 0.0) + sure.get(p, 0.0) for p in pats)]
        self.base = bias + always
        # a margin for the order floats are summed in
        self.limit = threshold - 1e-6

    def cannot_fire(self, data: bytes) -> bool:
        """Whether the :func:`canonical` text ``data`` (UTF-8) is proved below the
        threshold."""
        hits = self.match(data)
        if 0 not in hits:
            return False
        return self.base + sum(map(self.weights.__getitem__, hits)) < self.limit


#: RE2 pattern text for each byte of a literal a plain text can hold (ASCII): letters and
#: digits as they are, everything else as a hex escape (no RE2 syntax slips through)
_RE2_BYTE: Final = tuple(
    chr(b) if chr(b).isascii() and chr(b).isalnum() else f"\\x{{{b:x}}}" for b in range(128)
)
#: a pad of a riding pass (:data:`prefilter.PAD`), and a token's edge there: a blank,
#: or the pad at either end of the text
_PAD: Final = f"\\x{{{ord(PAD):x}}}"
_EDGE: Final = f"[{_PAD}\\x{{20}}]"
#: what makes a text not plain (or not provable in a riding pass): a character of
#: :data:`_NOT_PLAIN_ASCII`, two blanks together, a blank at either end, the pad's
#: character inside the text
_NOT_PLAIN_PATTERNS: Final = (
    *(_RE2_BYTE[b] for b in _NOT_PLAIN_ASCII),
    _RE2_BYTE[32] * 2,
    _PAD + _RE2_BYTE[32],
    _RE2_BYTE[32] + _PAD,
    f"(?s:.){_PAD}(?s:.)",
)


def _rider_pattern(lit: bytes) -> str | None:
    """``lit`` (a literal of the fast reject, in the :func:`canonical` form) as an RE2
    pattern over a plain text between two :data:`prefilter.PAD`s (its edge blanks: a blank
    or the pad), or ``None`` when no plain text's canonical form holds it (a byte
    outside ASCII, an operator or a character that is not plain, a blank inside:
    operators spaced apart)."""
    head, tail = lit[:1] == b" ", lit[-1:] == b" "
    core = lit.strip(b" ")
    if not core or not core.isascii() or b" " in core or PAD.encode() in core:
        return None
    if len(core.translate(None, _NOT_PLAIN_ASCII)) != len(core):
        return None
    body = "".join(_RE2_BYTE[b] for b in core)
    return (_EDGE if head else "") + body + (_EDGE if tail else "")


class Rider:
    """The fast reject riding on another RE2 set's pass: its literals as patterns to add
    to a set that scans a command line lowered (case-folded: the same for ASCII) between
    two :data:`prefilter.PAD`s, so that one pass answers both that set's owner and the scorer
    (a plain text's canonical form is that text between two blanks).

    :attr:`patterns` (RE2 syntax, UTF-8) go after the owner's ``offset`` patterns;
    :meth:`bind` gives the function the owner calls with each text it scanned and the
    ids the pass found: it proves a plain text (:meth:`CommandScorer.fires`) below the
    threshold, from the same literals the scorer's own pass would find, and remembers
    the answer where :meth:`CommandScorer.known` reads it; it returns the owner's own
    ids (those below ``offset``, in the order found). The first pattern is the empty
    one (a pass without it failed: it proves nothing, and the function returns None:
    the owner's ids are not known either); the patterns that tell a text is not plain
    weigh infinitely much (such a text is proved nothing here)."""

    __slots__ = ("_scorer", "loose", "patterns", "source", "tight")

    def __init__(self, scorer: CommandScorer, reject: _Reject) -> None:
        patterns = ["", *_NOT_PLAIN_PATTERNS]
        inf = math.inf
        loose = [0.0] + [inf] * len(_NOT_PLAIN_PATTERNS)
        tight = loose[:]
        source = []
        for i, lit in enumerate(reject.pats, 1):
            pat = _rider_pattern(lit)
            if pat is not None:  # None: not in any plain text, so never found in one
                patterns.append(pat)
                loose.append(reject.weights[i])
                tight.append(reject.tight[i])
                source.append(i)
        self._scorer = scorer
        self.patterns: tuple[str, ...] = tuple(patterns)
        #: for each literal pattern (after the empty one and those that tell a text is
        #: not plain), its index in the fast reject's own set
        self.source: tuple[int, ...] = tuple(source)
        self.loose = loose
        self.tight = tight

    def bind(self, offset: int) -> Callable[[str, list[int]], tuple[int, ...] | None]:
        """The function an owner whose own patterns are the first ``offset`` of its set
        calls after each pass (see above)."""
        sc = self._scorer
        reject = sc.reject
        assert reject is not None
        base, limit = reject.base, reject.limit
        loose = [0.0] * offset + self.loose
        tight = [0.0] * offset + self.tight
        fires = sc._fires
        empty = offset

        # what the ids found give (the owner's ids; what they prove of a plain text:
        # 1 below the threshold whatever its length (the loose bound), 2 below when it
        # is short (only the tight bound; the tight bound is never above the loose), 0
        # nothing), kept per ids found: new command lines with the same literals (a new
        # file name's digits) share it
        kept: dict[tuple[int, ...], tuple[tuple[int, ...], int]] = {}

        def ride(text: str, hits: list[int]) -> tuple[int, ...] | None:
            key = tuple(hits)
            got = kept.get(key)
            if got is None:
                if empty not in hits:
                    return None  # the pass failed (the first of the rider's is the empty
                    # pattern): it proves nothing, nor are the owner's ids known
                # :meth:`CommandScorer.fires`'s plain path: its sums over the ids of
                # this pass (the owner's weigh nothing)
                got = (
                    tuple([h for h in hits if h < offset]),
                    1
                    if base + sum(map(loose.__getitem__, hits)) < limit
                    else 2
                    if base + sum(map(tight.__getitem__, hits)) < limit
                    else 0,
                )
                if len(key) <= _KEEP_HITS:
                    if len(kept) >= _KEEP_SETS:
                        kept.clear()
                    kept[key] = got
            own, proves = got
            if (
                proves
                and len(text) <= _KEEP_TEXT
                and (
                    proves == 1
                    # short (one window, no token cut): the tight bound
                    or (len(text) <= MAX_TOKEN and text.count(" ") < WINDOW)
                )
                and text.isascii()
            ):  # (a text answered before is answered False again: its answer is False)
                if len(fires) >= _CACHE:
                    fires.clear()
                fires[text] = False
            return own

        return ride


#: a text this short without a character deobfuscation looks at is prepared by lowering it
_PLAIN: Final = HEAD
#: texts (and tokens) longer than these are not kept in the scorer's caches
_KEEP_TEXT: Final = 8192
_KEEP_TOKEN: Final = 256
_CACHE: Final = 16384
#: a :class:`Rider` keeps what the ids found give for this many sets of ids found, of
#: at most this many ids each
_KEEP_SETS: Final = 4096
_KEEP_HITS: Final = 128


class CommandScorer:
    """A loaded model: ``score(text)`` gives a :class:`Score`; ``fires(text)`` whether it
    passes the threshold (the fast reject first)."""

    def __init__(
        self,
        weights: dict[bytes, float],
        bias: float,
        threshold: float,
        *,
        version: str = "untrained",
        meta: dict[str, Any] | None = None,
        path: str | None = None,
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.version = version
        self.meta = meta or {}
        self.path = path
        self._tok: dict[tuple[str, bool], dict[bytes, float]] = {}
        # the n-gram lengths the model weighs (an n-gram of k bytes is a ``g:`` feature
        # of k bytes): the others weigh nothing, so they are not computed
        lengths = {len(f) - 2 for f in weights if f[:2] == b"g:"}
        self._ngrams: tuple[int, ...] = tuple(k for k in _NGRAMS if k in lengths)
        self._texts: OrderedDict[str, Score] = OrderedDict()
        self._fires: dict[str, bool] = {}
        #: the answer of :meth:`fires` for a text asked before, or None (one C call)
        self.known = self._fires.get
        self._reject: _Reject | bool | None = None  # False: unavailable
        self._rider: Rider | bool | None = None  # False: unavailable
        self._lock = threading.Lock()

    # loading --------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CommandScorer:
        """Read a model file (gzip'd JSON); :class:`ScorerError` names the file and
        what is wrong with it."""
        name = os.fspath(path)
        try:
            import gzip

            with open(name, "rb") as f:
                raw = f.read(64 << 20)
            data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        except FileNotFoundError:
            raise ScorerError(f"scorer model {name}: no such file") from None
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            raise ScorerError(f"scorer model {name}: cannot read it: {exc}") from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ScorerError(f"scorer model {name}: not JSON: {exc}") from None
        return cls.from_dict(data, name)

    @classmethod
    def from_dict(cls, data: Any, name: str = "<model>") -> CommandScorer:
        def bad(what: str) -> ScorerError:
            return ScorerError(f"scorer model {name}: {what}")

        if not isinstance(data, dict):
            raise bad("expected a JSON object")
        if data.get("format") != FORMAT:
            raise bad(f"format {data.get('format')!r}, this corral reads format {FORMAT}")
        nums = {}
        for key in ("bias", "threshold"):
            v = data.get(key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise bad(f"{key!r} must be a finite number")
            nums[key] = float(v)
        w = data.get("weights")
        if not isinstance(w, dict):
            raise bad("'weights' must be an object with 'features' and 'values'")
        feats, values = w.get("features"), w.get("values")
        if not isinstance(feats, list) or not isinstance(values, list):
            raise bad("'weights' must hold two lists, 'features' and 'values'")
        if len(feats) != len(values):
            raise bad(f"{len(feats)} features but {len(values)} values")
        if not set(map(type, feats)) <= {str} or not set(map(type, values)) <= {int, float}:
            raise bad("features must be strings and values numbers")
        if not all(map(math.isfinite, values)):
            raise bad("a weight that is not finite")
        try:
            names = [f.encode("latin-1") for f in feats]
        except UnicodeEncodeError:
            raise bad("a feature that is not bytes written as Latin-1") from None
        for f in names:
            if f[:2] not in _KINDS or len(f) < 3:
                raise bad(f"unknown feature {feature_name(f)[:60]!r} (kinds: t: c: g: s: b: p:)")
        weights = dict(zip(names, map(float, values), strict=True))
        if len(weights) != len(names):
            raise bad("a feature listed twice")
        version = str(data.get("version", "?"))
        keys = ("trained", "training", "sklearn", "forward", "loso")
        meta = {k: data[k] for k in keys if k in data}
        return cls(weights, nums["bias"], nums["threshold"], version=version, meta=meta,
                   path=name)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        feats = sorted(self.weights)
        return {
            "format": FORMAT,
            "version": self.version,
            "bias": self.bias,
            "threshold": self.threshold,
            "features": {
                "ngrams": list(_NGRAMS),
                "window": WINDOW,
                "head": HEAD,
                "tail": TAIL,
                "max_token": MAX_TOKEN,
                "values": "binary: a feature present in a window counts once",
            },
            **self.meta,
            "weights": {
                "features": [f.decode("latin-1") for f in feats],
                "values": [self.weights[f] for f in feats],
            },
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        import gzip

        text = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=False)
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "wb") as f:
            f.write(gzip.compress(text.encode(), compresslevel=9, mtime=0))
        os.replace(tmp, path)

    # scoring --------------------------------------------------------------------------

    @property
    def reject(self) -> _Reject | None:
        """The fast reject (built on first use; ``None`` when RE2 cannot build it: then
        every text is scored in full)."""
        got = self._reject
        if got is None:
            with self._lock:
                got = self._reject
                if got is None:
                    try:
                        got = _Reject(self.weights, self.bias, self.threshold)
                    except Exception:  # RE2 missing or the set too big: score in full
                        got = False
                    self._reject = got
        return got or None

    def rider(self) -> Rider | None:
        """The fast reject as patterns another RE2 set's pass can carry (:class:`Rider`;
        ``None`` when the fast reject is unavailable)."""
        got = self._rider
        if got is None:
            reject = self.reject
            got = self._rider = Rider(self, reject) if reject is not None else False
        return got or None

    def _token(self, tok: str, cmd: bool) -> dict[bytes, float]:
        """The features of one token the model weighs, with their weights."""
        key = (tok, cmd)
        got = self._tok.get(key)
        if got is None:
            get = self.weights.get
            got = {}
            for f in token_features(tok, cmd, self._ngrams):
                w = get(f)
                if w is not None:
                    got[f] = w
            if len(tok) <= _KEEP_TOKEN:
                if len(self._tok) >= _CACHE * 4:
                    self._tok.clear()
                self._tok[key] = got
        return got

    def fires(self, text: str) -> bool:
        """Whether ``text`` passes the threshold: the same answer as
        ``score(text).fired``, most texts proved below it by the fast reject."""
        got = self._fires.get(text)
        if got is not None:
            return got
        reject = self._reject
        if reject is None:
            reject = self.reject
        if reject and text.isascii() and len(text) <= _PLAIN:
            data = f" {text} ".encode().lower()
            # a plain text (ASCII, no character deobfuscation looks at, no operator,
            # single spaces between words, none at either end): its lowered form, padded,
            # is its canonical prepared text; most texts are proved below here
            if len(data.translate(None, _NOT_PLAIN_ASCII)) == len(data) and b"  " not in data:
                hits = reject.match(data)
                # short (one window, no token cut to its head and tail): the negative
                # weights of the features the literals prove present count too
                weights = (
                    reject.tight
                    if len(text) <= MAX_TOKEN and data.count(b" ") <= WINDOW + 1
                    else reject.weights
                )
                if 0 in hits and reject.base + sum(map(weights.__getitem__, hits)) < reject.limit:
                    if len(text) <= _KEEP_TEXT:
                        if len(self._fires) >= _CACHE:
                            self._fires.clear()
                        self._fires[text] = False
                    return False
        plain = len(text) <= _PLAIN and _GATE.isdisjoint(text)
        prepared = text.lower() if plain else prepare(text)  # plain: nothing to deobfuscate
        got = True
        if reject:
            # canonical(), inlined: the hot path of every new command text
            canon = prepared
            if not _OPS.isdisjoint(canon):
                canon = canon.translate(_OP_SPACED)
            if "\n" in canon:
                canon = canon.replace("\n", _NEWLINE)
            hits = reject.match(f" {' '.join(canon.split())} ".encode("utf-8", "surrogatepass"))
            # the empty pattern always matches: a pass without it failed, proving nothing
            if 0 in hits:
                got = reject.base + sum(map(reject.weights.__getitem__, hits)) >= reject.limit
        if got:
            got = self._score_prepared(prepared).fired
        if len(text) <= _KEEP_TEXT:
            if len(self._fires) >= _CACHE:
                self._fires.clear()
            self._fires[text] = got
        return got

    def score(self, text: str) -> Score:
        """The score of ``text``: the highest of its windows (cached by text)."""
        cached = self._texts.get(text)
        if cached is not None:
            return cached
        got = self._score_prepared(prepare(text))
        if len(text) <= _KEEP_TEXT:
            with self._lock:
                self._texts[text] = got
                while len(self._texts) > 4096:
                    self._texts.popitem(last=False)
        return got

    def _score_prepared(self, prepared: str) -> Score:
        toks = tokens(prepared)
        if not toks:
            return Score(self.bias, self.threshold, "")
        feats = [self._token(t, c) for t, c in zip(toks, _positions(toks), strict=True)]
        get = self.weights.get
        bigrams: list[tuple[bytes, float] | None] = [None]
        for a, b in itertools.pairwise(toks):
            f = _bigram(a, b)
            w = get(f)
            bigrams.append(None if w is None else (f, w))
        best, span = _best_span(toks, feats, bigrams)
        return Score(self.bias + best, self.threshold, " ".join(toks[span[0] : span[1]]), [],
                     span)  # fmt: skip

    def explain(self, text: str, n: int = 6) -> Score:
        """:meth:`score` with the ``n`` features that raised the worst window most."""
        got = self.score(text)
        toks = tokens(prepare(text))
        a, b = got.span
        win = toks[a:b]
        merged = _window(
            [self._token(t, c) for t, c in zip(win, _positions(toks)[a:b], strict=True)],
            _window_bigrams(self.weights, win),
        )
        top = sorted(
            ((feature_name(f), w) for f, w in merged.items() if w > 0), key=lambda x: -x[1]
        )[:n]
        return Score(got.value, got.threshold, got.window, [(f, round(w, 3)) for f, w in top],
                     got.span)  # fmt: skip


def _window_bigrams(
    weights: dict[bytes, float], toks: list[str]
) -> list[tuple[bytes, float] | None]:
    out: list[tuple[bytes, float] | None] = [None]
    for a, b in itertools.pairwise(toks):
        f = _bigram(a, b)
        w = weights.get(f)
        out.append(None if w is None else (f, w))
    return out


def _window(
    feats: list[dict[bytes, float]], bigrams: list[tuple[bytes, float] | None]
) -> dict[bytes, float]:
    """The features present in a run of tokens (each once) with their weights;
    ``bigrams[i]``: the bigram of tokens i-1 and i (``bigrams[0]`` is not in the run)."""
    merged: dict[bytes, float] = {}
    for d in feats:
        merged.update(d)
    for bg in bigrams[1:]:
        if bg is not None:
            merged[bg[0]] = bg[1]
    return merged


def _best_span(
    toks: list[str],
    feats: list[dict[bytes, float]],
    bigrams: list[tuple[bytes, float] | None],
) -> tuple[float, tuple[int, int]]:
    """The highest sum of the weights of the features present in a window of a text
    (each feature once): the whole text when it has at most :data:`WINDOW` tokens; else
    every run of ``WINDOW`` tokens (sliding, with counts) and every command (tokens
    between separators) of at most ``WINDOW`` tokens, so benign commands around an
    attack, or benign arguments inside it, cannot dilute it. Linear in the features."""
    n = len(toks)
    if n <= WINDOW:
        return sum(_window(feats, bigrams).values()), (0, n)
    counts: dict[bytes, int] = {}
    cur = 0.0

    def add(f: bytes, w: float) -> None:
        nonlocal cur
        c = counts.get(f, 0)
        if not c:
            cur += w
        counts[f] = c + 1

    def drop(f: bytes, w: float) -> None:
        nonlocal cur
        c = counts[f] - 1
        if c:
            counts[f] = c
        else:
            del counts[f]
            cur -= w

    for i in range(WINDOW):
        for f, w in feats[i].items():
            add(f, w)
        if i and bigrams[i] is not None:
            add(*bigrams[i])  # type: ignore[misc]
    best, span = cur, (0, WINDOW)
    for a in range(1, n - WINDOW + 1):
        for f, w in feats[a - 1].items():
            drop(f, w)
        if bigrams[a] is not None:
            drop(*bigrams[a])  # type: ignore[misc]
        b = a + WINDOW - 1
        for f, w in feats[b].items():
            add(f, w)
        if bigrams[b] is not None:
            add(*bigrams[b])  # type: ignore[misc]
        if cur > best:
            best, span = cur, (a, b + 1)
    if span != (0, WINDOW):  # the sliding sum, recomputed exactly for the best window
        best = sum(_window(feats[span[0] : span[1]], bigrams[span[0] : span[1]]).values())
    a = 0
    for i in range(n + 1):
        if i == n or toks[i] in _SEPS:
            if 0 < i - a <= WINDOW:
                v = sum(_window(feats[a:i], bigrams[a:i]).values())
                if v > best:
                    best, span = v, (a, i)
            a = i + 1
    return best, span


def command_text(action: Any) -> str | None:
    """The command text an agent wrote that ``action`` carries: a shell script's code,
    an ``exec``'s line (its argv joined when it has none); ``None`` for anything else
    (program starts the kernel reports, ``spawn``, include corral's own launch steps)."""
    if action is None:
        return None
    kind = action.kind
    if kind == "code":
        return action.code if action.language == "shell" else None
    if kind == "exec":
        return action.line or " ".join(action.argv)
    return None


def command_texts(events: Iterable[Any]) -> list[str]:
    """The distinct command texts of attempted actions among ``events``."""
    out: dict[str, None] = {}
    for ev in events:
        if ev.type in ("action.requested", "action.denied"):
            text = command_text(ev.action)
            if text:
                out[text] = None
    return list(out)


_DEFAULT: dict[str, CommandScorer] = {}
_DEFAULT_LOCK = threading.Lock()


def default_scorer(path: str | os.PathLike[str] | None = None) -> CommandScorer:
    """The model at ``path`` (default: the shipped one), loaded once per file."""
    name = os.fspath(path) if path is not None else str(MODEL_PATH)
    got = _DEFAULT.get(name)
    if got is not None:
        return got
    with _DEFAULT_LOCK:
        got = _DEFAULT.get(name)
        if got is None:
            got = _DEFAULT[name] = CommandScorer.load(name)
    return got


def enabled(packs: Iterable[Any], setting: bool | None = None) -> bool:
    """Whether a monitor of ``packs`` scores command text: ``setting`` when given (a
    policy's ``monitor.scorer``, ``Monitor(scorer=...)``), else :data:`DEFAULT_ON` beside
    the shipped ``default`` pack (a monitor of custom packs only is its rules alone)."""
    if setting is not None:
        return setting
    return DEFAULT_ON and any(
        p == "default" or getattr(p, "name", None) == "default" for p in packs
    )


def describe(on: bool, why: str = "") -> str:
    """One line on the scorer for a person: on or off (``why``), the model's version and
    threshold, or why the model cannot be used."""
    state = f"learned command-text scorer {'on' if on else 'off'}{why}"
    try:
        sc = default_scorer()
    except ScorerError as exc:
        return f"{state}; model unavailable: {exc}"
    return f"{state}: model {sc.version}, threshold {sc.threshold:.2f}, {len(sc.weights):,} weights"


def policy_state(policy: Any) -> tuple[bool, str]:
    """Whether a sandbox under ``policy`` (a loaded policy or its model) scores command
    text, and :func:`describe`'s line on it."""
    model = getattr(policy, "model", policy)
    section = getattr(model, "monitor", None)
    packs = list(getattr(section, "packs", None) or ["default"])
    setting = getattr(section, "scorer", None)
    on = enabled(packs, setting)
    if setting is not None:
        why = f" (the policy's monitor.scorer: {str(setting).lower()})"
    else:
        why = " (the default)" if on or "default" in packs else " (custom rule packs only)"
    return on, describe(on, why)

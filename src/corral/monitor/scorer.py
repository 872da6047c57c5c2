"""The learned command-text scorer: a second signal beside the rules.

A logistic regression over hashed features of a command line, shipped as data
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
  and a length bucket, so an unseen IP address, port or base64 blob looks like known ones;
* ``b:`` token bigrams.

Each feature is hashed with CRC-32 (stable across processes, unlike ``hash()``) into
``2**bits`` slots. A token's features depend on the token alone, so a text's score is
``bias + Σ token weights + Σ bigram weights`` and any run of tokens is scored from
prefix sums. A text of at most :data:`WINDOW` tokens is scored whole (exactly what
training saw); a longer one by its highest window: every run of ``WINDOW`` tokens and
every command between separators (``;``, ``&&``, ``||``, ``&``, newlines) of at most
``WINDOW`` tokens, so an attack padded with thousands of benign commands or arguments
is not diluted. Cost is linear: the text is cut to its first :data:`HEAD` and last
:data:`TAIL` characters (the corral shell reports each command of a longer script as
it runs it, and each is scored too), no regex runs here (normalize's are RE2), token
weights and whole-text scores are cached.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .normalize import deobfuscate

__all__ = [
    "DEFAULT_ON",
    "HEAD",
    "MAX_TOKEN",
    "MODEL_PATH",
    "RULE_ID",
    "TAIL",
    "WINDOW",
    "CommandScorer",
    "Score",
    "ScorerError",
    "command_text",
    "command_texts",
    "default_scorer",
    "feature_name",
    "line_features",
    "prepare",
    "tokens",
]

#: whether a Monitor with the shipped ``default`` pack scores command text when not told
#: (``Monitor(scorer=None)``). Off: in the leave-one-set-out figures (the model's
#: ``loso``, docs/architecture.md) it adds 12.6 points on set 5 at +0.33 % false
#: positives but +1.2 % false positives on set 2 and under a point on set 3, and it
#: costs a monitor about half its events/s on novel command lines; ``Monitor(scorer=True)``
DEFAULT_ON: Final = False
#: the rule id of the scorer's alerts
RULE_ID: Final = "learned-command-text"
#: the shipped model
MODEL_PATH: Final = Path(__file__).with_name("models") / "command_text.json.gz"
#: the model format this code reads
FORMAT: Final = 1
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


def token_features(tok: str, cmd: bool) -> list[bytes]:
    """The names of one token's features (``cmd``: at a command's position), as the
    bytes hashed: the n-grams are of the token's UTF-8 bytes."""
    enc = tok.encode("utf-8", "surrogatepass")
    feats = [b"t:" + enc, b"s:" + _shape(tok).encode("utf-8", "surrogatepass")]
    if cmd:
        feats.append(b"c:" + enc)
    if tok == "\n":
        return feats
    padded = _padded(tok)
    n = len(padded)
    for k in _NGRAMS:
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


def _best_span(toks: list[str], tw: list[float], bw: list[float]) -> tuple[float, tuple[int, int]]:
    """The highest sum of token and bigram weights over the windows of a text: the
    whole text when it has at most :data:`WINDOW` tokens; else every run of ``WINDOW``
    tokens and every command (tokens between separators) of at most ``WINDOW`` tokens,
    so benign commands around an attack, or benign arguments inside it, cannot dilute
    it. Linear: prefix sums."""
    n = len(toks)
    if n <= WINDOW:
        return sum(tw) + sum(bw), (0, n)
    pt = [0.0]
    for w in tw:
        pt.append(pt[-1] + w)
    pb = [0.0]
    for w in bw:
        pb.append(pb[-1] + w)

    def span_sum(a: int, b: int) -> float:  # tokens a..b-1 and the bigrams inside
        return pt[b] - pt[a] + pb[b - 1] - pb[a]

    best, span = -math.inf, (0, WINDOW)
    for a in range(n - WINDOW + 1):
        v = span_sum(a, a + WINDOW)
        if v > best:
            best, span = v, (a, a + WINDOW)
    a = 0
    for i in range(n + 1):
        if i == n or toks[i] in _SEPS:
            if 0 < i - a <= WINDOW:
                v = span_sum(a, i)
                if v > best:
                    best, span = v, (a, i)
            a = i + 1
    return best, span


def line_features(text: str) -> list[bytes]:
    """Every feature of ``text`` (with repeats: counts), as training sees a line."""
    toks = tokens(prepare(text))
    feats: list[bytes] = []
    for tok, cmd in zip(toks, _positions(toks), strict=True):
        feats.extend(token_features(tok, cmd))
    feats.extend(_bigram(a, b) for a, b in itertools.pairwise(toks))
    return feats


def slot(name: bytes | str, bits: int) -> int:
    """The hashed slot of a feature (CRC-32: the same in every process)."""
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogatepass")
    return zlib.crc32(name) & ((1 << bits) - 1)


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


class CommandScorer:
    """A loaded model: ``score(text)`` gives a :class:`Score`."""

    def __init__(
        self,
        weights: dict[int, float],
        bias: float,
        threshold: float,
        *,
        bits: int = 20,
        version: str = "untrained",
        meta: dict[str, Any] | None = None,
        path: str | None = None,
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.bits = bits
        self.version = version
        self.meta = meta or {}
        self.path = path
        self._mask = (1 << bits) - 1
        self._tok: dict[tuple[str, bool], float] = {}
        self._texts: OrderedDict[str, Score] = OrderedDict()
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
        except (UnicodeDecodeError, ValueError) as exc:
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
        bits = data.get("bits")
        if not isinstance(bits, int) or isinstance(bits, bool) or not 8 <= bits <= 24:
            raise bad("'bits' must be an integer from 8 to 24")
        nums = {}
        for key in ("bias", "threshold"):
            v = data.get(key)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise bad(f"{key!r} must be a finite number")
            nums[key] = float(v)
        w = data.get("weights")
        if not isinstance(w, dict):
            raise bad("'weights' must be an object with 'slots' and 'values'")
        slots, values = w.get("slots"), w.get("values")
        if not isinstance(slots, list) or not isinstance(values, list):
            raise bad("'weights' must hold two lists, 'slots' and 'values'")
        if len(slots) != len(values):
            raise bad(f"{len(slots)} slots but {len(values)} values")
        if not set(map(type, slots)) <= {int} or not set(map(type, values)) <= {int, float}:
            raise bad("slots must be integers and values numbers")
        if slots and min(slots) < 0:
            raise bad("slot gaps must not be negative")
        pos = list(itertools.accumulate(slots))  # slots are stored as gaps
        if pos and pos[-1] >= 1 << bits:
            raise bad(f"slot {pos[-1]} outside 2**{bits}")
        if not all(map(math.isfinite, values)):
            raise bad("a weight that is not finite")
        weights = dict(zip(pos, map(float, values), strict=True))
        version = str(data.get("version", "?"))
        meta = {k: data[k] for k in ("trained", "training", "sklearn", "loso") if k in data}
        return cls(weights, nums["bias"], nums["threshold"], bits=bits, version=version,
                   meta=meta, path=name)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        slots = sorted(self.weights)
        gaps = [b - a for a, b in zip([0, *slots], slots, strict=False)]
        return {
            "format": FORMAT,
            "version": self.version,
            "bits": self.bits,
            "bias": self.bias,
            "threshold": self.threshold,
            "features": {
                "ngrams": list(_NGRAMS),
                "window": WINDOW,
                "head": HEAD,
                "tail": TAIL,
                "max_token": MAX_TOKEN,
            },
            **self.meta,
            "weights": {"slots": gaps, "values": [self.weights[s] for s in slots]},
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        import gzip

        text = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=False)
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "wb") as f:
            f.write(gzip.compress(text.encode(), compresslevel=9, mtime=0))
        os.replace(tmp, path)

    # scoring --------------------------------------------------------------------------

    def _w(self, name: bytes) -> float:
        return self.weights.get(zlib.crc32(name) & self._mask, 0.0)

    def _token(self, tok: str, cmd: bool) -> float:
        key = (tok, cmd)
        got = self._tok.get(key)
        if got is None:
            get, mask, crc = self.weights.get, self._mask, zlib.crc32
            got = sum([get(crc(f) & mask, 0.0) for f in token_features(tok, cmd)])
            if len(self._tok) >= 65536:
                self._tok.clear()
            self._tok[key] = got
        return got

    def score(self, text: str) -> Score:
        """The score of ``text``: the highest of its windows (cached by text)."""
        cached = self._texts.get(text)
        if cached is not None:
            return cached
        got = self._score(text)
        with self._lock:
            self._texts[text] = got
            while len(self._texts) > 4096:
                self._texts.popitem(last=False)
        return got

    def _score(self, text: str) -> Score:
        toks = tokens(prepare(text))
        if not toks:
            return Score(self.bias, self.threshold, "")
        pos = _positions(toks)
        tw = [self._token(t, c) for t, c in zip(toks, pos, strict=True)]
        bw = [self._w(_bigram(a, b)) for a, b in itertools.pairwise(toks)]
        best, span = _best_span(toks, tw, bw)
        return Score(self.bias + best, self.threshold, " ".join(toks[span[0] : span[1]]), [],
                     span)  # fmt: skip

    def explain(self, text: str, n: int = 6) -> Score:
        """:meth:`score` with the ``n`` features that raised the worst window most."""
        got = self.score(text)
        toks = tokens(prepare(text))
        pos = _positions(toks)
        a, b = got.span
        win = toks[a:b]
        contrib: dict[bytes, float] = {}
        for tok, cmd in zip(win, pos[a:b], strict=True):
            for f in token_features(tok, cmd):
                contrib[f] = contrib.get(f, 0.0) + self._w(f)
        for x, y in itertools.pairwise(win):
            f = _bigram(x, y)
            contrib[f] = contrib.get(f, 0.0) + self._w(f)
        top = sorted(
            ((feature_name(f), w) for f, w in contrib.items() if w > 0), key=lambda x: -x[1]
        )[:n]
        return Score(got.value, got.threshold, got.window, [(f, round(w, 3)) for f, w in top],
                     got.span)  # fmt: skip


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

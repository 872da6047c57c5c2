"""A disk cache for what loading a shipped rule pack computes.

Loading the default pack (hundreds of rules, about a thousand regular expressions)
costs seconds in a fresh process: the YAML, sre's parse of every pattern, its
translation to RE2 (:mod:`corral.saferegex`) and the literal analyses of the
prefilters (:mod:`corral.monitor.prefilter`). All of it is pure: a function of the
pack's text and corral's code. This module keeps it on disk, as plain JSON, so the next
process builds the pack from the YAML's data, sets each pattern up from its RE2 text
(:data:`corral.saferegex.PLANS`) and reads the literal sets
(:data:`corral.monitor.prefilter.MEMO`) instead of computing them.

The cache decides what the monitor detects, so it is a trust boundary:

- an entry is keyed by sha256 of the pack's text, the sources of the modules that
  computed it, corral's, Python's and RE2's versions: code that changed never reads an
  entry it did not write;
- it is only read from and written to a directory that only this user can write
  (``$CORRAL_HOME/monitor``, mode 0700: owned by the effective user, not writable by
  group or others, not a symbolic link, and every directory above it owned by root or
  the user and writable by others only with the sticky bit), never one beneath a
  sandbox's workspace (:func:`forbid`: a guest could write it);
- a file is opened without following links and must be a regular file of the user,
  not writable by others, of bounded size, with a sha256 of its body that matches; its
  JSON is checked field by field (types, sizes) before anything of it is used. A
  corrupt, truncated, foreign or stale file is ignored (and rewritten), never a crash;
  nothing is unpickled;
- written atomically (a private temporary file, then a rename).

Size: an RE2 translation spells each of Python's Unicode classes out (``\\w`` is ~700
ranges, ~6.5 KB, and a plan holds two translations), so one ``\\w`` in a rule cost ~13 KB
of entry and the default pack's entry grew past 30 MB. A character class of
:data:`CLASS_MIN` characters or more is written once, in the entry's ``classes``
table, and each use refers to it (``NUL index NUL``; a plan whose text holds a NUL is
never written): the entry reads back to exactly the same plans, at a seventh of the
size (the default pack's: 30.9 MB before, 4.2 MB).

``CORRAL_PACK_CACHE=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from .. import saferegex
from ..paths import beneath_guest_writable, corral_home, note_guest_writable
from . import prefilter

__all__ = ["cache_dir", "enabled", "entry_path", "forbid", "load", "recording"]

log = logging.getLogger(__name__)

FORMAT: Final = 2
MAGIC: Final = b"corral-packcache 1 "
#: largest entry read (the default pack's is ~4 MB)
MAX_BYTES: Final = 32 << 20
#: longest string in an entry (a pattern, a pack's text is not stored)
MAX_STR: Final = 1 << 20
#: entries kept in the directory (one per pack and code version)
KEEP: Final = 16
#: shortest character class (its RE2 text) written once in the entry's ``classes``
CLASS_MIN: Final = 48
#: refers to ``classes[N]`` inside a plan's RE2 text: ``\0N\0``
_REF: Final = "\0"


def enabled() -> bool:
    """Whether the cache is on (``CORRAL_PACK_CACHE=0`` turns it off)."""
    flag = os.environ.get("CORRAL_PACK_CACHE", "1").strip().lower()
    return flag not in ("0", "off", "no", "false")


def cache_dir() -> Path:
    return corral_home() / "monitor"


def forbid(path: str | os.PathLike[str]) -> None:
    """A directory a guest may write (a sandbox's workspace): the cache is not used in
    this process if it lies beneath it (:func:`corral.paths.note_guest_writable`)."""
    note_guest_writable(path)


def _usable_dir(create: bool) -> Path | None:
    """The cache directory if only this user can write it (made 0700 when ``create``)."""
    d = cache_dir()
    try:
        if beneath_guest_writable(d):
            return None
        if create and not os.path.lexists(d):
            os.makedirs(d, mode=0o700, exist_ok=True)
        st = os.lstat(d)
        euid = os.geteuid()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != euid or st.st_mode & 0o022:
            return None
        for up in Path(os.path.realpath(d)).parents:
            s = os.stat(up)
            if s.st_uid not in (0, euid):
                return None
            if s.st_mode & 0o022 and not s.st_mode & stat.S_ISVTX:
                return None
    except (OSError, ValueError):
        return None
    return d


@functools.cache
def _code_digest() -> str | None:
    """sha256 of the sources that compute what is cached (None: not readable)."""
    from ..policy import loader as policy_loader
    from . import loader, rules

    h = hashlib.sha256()
    for mod in (saferegex, prefilter, rules, loader, policy_loader, sys.modules[__name__]):
        try:
            h.update(Path(str(mod.__file__)).read_bytes())
        except (OSError, TypeError):
            return None
    return h.hexdigest()


@functools.cache
def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    try:
        re2v = version("google-re2")
    except PackageNotFoundError:
        re2v = "?"
    return f"corral={__version__};python={sys.version};re2={re2v}"


def cache_key(text: str) -> str | None:
    """The key of a pack's entry (None: the code cannot be identified, no cache)."""
    code = _code_digest()
    if code is None:
        return None
    h = hashlib.sha256()
    for part in (f"format={FORMAT}", _versions(), code, text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def entry_path(text: str) -> Path | None:
    key = cache_key(text)
    return None if key is None else cache_dir() / f"pack-{key[:40]}.json"


# ----------------------------------------------------------------------- load and save


#: the (pattern, flags) plans and (function, pattern) analyses an entry being loaded or
#: written holds: an entry recorded around it (:func:`recording`) leaves them out
_claimed_plans: set[tuple[str, int]] = set()
_claimed_memo: set[tuple[str, str]] = set()


@contextlib.contextmanager
def recording(text: str, source: str) -> Iterator[None]:
    """Around the build of something shipped other than a rule pack (a built-in policy,
    ``text`` its YAML): the regex plans and literal analyses the build computes are read
    from its cache entry before, and written to it after when there was none."""
    key = cache_key("recording\0" + text) if enabled() else None
    if key is None:
        yield
        return
    entry = _read(key)
    if entry is not None:
        _install(entry[2], entry[3])
        yield
        return
    plans_before = set(saferegex.PLANS)
    memo_before = set(prefilter.MEMO)
    with saferegex.eager():  # every pattern's plan, for the entry
        yield
    _write(key, source, None, {}, _new_plans(plans_before), _new_memo(memo_before))


def load(
    text: str,
    source: str,
    load_text_data: Callable[[str, str], tuple[Any, Any]],
    parse: Callable[..., Any],
) -> Any:
    """The pack of ``text``: built from its cache entry when there is a good one, else
    loaded by ``load_text_data`` (which raises for a bad pack) and its entry written."""
    key = cache_key(text) if enabled() else None
    if key is not None:
        entry = _read(key)
        if entry is not None:
            data, origins, plans, memo = entry
            _install(plans, memo)
            try:
                return parse(data, source, None, origins)
            except Exception as exc:  # a bad entry is rebuilt, never fatal
                log.debug("pack cache entry for %s not usable: %s", source, exc)
    plans_before = set(saferegex.PLANS)
    memo_before = set(prefilter.MEMO)
    if key is None:
        pack, data = load_text_data(text, source)
    else:
        with saferegex.eager():  # every pattern's plan, for the entry
            pack, data = load_text_data(text, source)
    if key is not None:
        _save(key, source, pack, data, plans_before, memo_before)
    return pack


def _save(
    key: str,
    source: str,
    pack: Any,
    data: Any,
    plans_before: set[tuple[str, int]],
    memo_before: set[tuple[str, str]],
) -> None:
    if not _plain(data, 0):
        return  # the YAML gave something JSON would not give back as it was
    from .rules import RuleIndex

    RuleIndex(pack.rules)  # the monitor's analyses of the pack's screens, into MEMO
    origins = {r.id: r.origin for r in pack.rules}
    _write(key, source, data, origins, _new_plans(plans_before), _new_memo(memo_before))


def _new_plans(before: set[tuple[str, int]]) -> list[list[Any]]:
    out = []
    for k, plan in list(saferegex.PLANS.items()):
        if k not in before and k not in _claimed_plans:
            out.append([*k, *plan])
            _claimed_plans.add(k)
    return out


def _new_memo(before: set[tuple[str, str]]) -> list[list[Any]]:
    out = []
    for k, v in list(prefilter.MEMO.items()):
        if k not in before and k not in _claimed_memo:
            out.append([*k, _to_json(v)])
            _claimed_memo.add(k)
    return out


def _write(
    key: str,
    source: str,
    data: Any,
    origins: dict[str, str],
    plans: list[list[Any]],
    memo: list[list[Any]],
) -> None:
    classes: dict[str, int] = {}
    try:
        # a plan too long to read back is left out (its pattern is compiled when used),
        # not the whole entry refused at every start
        plans = [_share_classes(item, classes) for item in plans if _fits(item)]
    except ValueError:  # a text a reference could not be told from
        return
    body = {
        "format": FORMAT,
        "key": key,
        "data": data,
        "origins": origins,
        "classes": list(classes),
        "plans": plans,
        "memo": memo,
    }
    try:
        raw = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")
    except (TypeError, ValueError):
        return
    d = _usable_dir(create=True)
    if d is None:
        return
    blob = MAGIC + hashlib.sha256(raw).hexdigest().encode() + b"\n" + raw
    final = d / f"pack-{key[:40]}.json"
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".pack-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, final)
        tmp = None
    except OSError as exc:
        log.debug("pack cache not written for %s: %s", source, exc)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _prune(d)


def _prune(d: Path) -> None:
    """Keep the newest :data:`KEEP` entries."""
    try:
        entries = sorted(
            (p for p in d.iterdir() if p.name.startswith("pack-") and p.name.endswith(".json")),
            key=lambda p: p.lstat().st_mtime_ns,
            reverse=True,
        )
        for old in entries[KEEP:]:
            old.unlink()
    except OSError:
        pass


Entry = tuple[Any, dict[str, str], list[tuple[str, int, Any]], list[tuple[str, str, Any]]]


def _read(key: str) -> Entry | None:
    d = _usable_dir(create=False)
    if d is None:
        return None
    path = d / f"pack-{key[:40]}.json"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & 0o022
            or st.st_size > MAX_BYTES
        ):
            log.debug("pack cache entry %s refused (owner, mode or size)", path)
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            blob = f.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return _parse_entry(blob, key)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        log.debug("pack cache entry %s ignored: %s", path, exc)
        return None


def _parse_entry(blob: bytes, key: str) -> Entry:
    """The checked contents of an entry; raises ValueError for anything off."""
    if len(blob) > MAX_BYTES or not blob.startswith(MAGIC):
        raise ValueError("not a pack cache entry")
    head, sep, raw = blob[len(MAGIC) :].partition(b"\n")
    if not sep or head != hashlib.sha256(raw).hexdigest().encode():
        raise ValueError("checksum mismatch (truncated or altered)")
    body = json.loads(raw)
    if not isinstance(body, dict) or body.get("format") != FORMAT or body.get("key") != key:
        raise ValueError("another format or key")
    data = body["data"]
    if not _plain(data, 0):
        raise ValueError("data is not plain")
    origins = body["origins"]
    if not isinstance(origins, dict) or not all(
        _is_str(k) and _is_str(v) for k, v in origins.items()
    ):
        raise ValueError("bad origins")
    classes = [_str(c) for c in _list(body["classes"])]
    plans = [_check_plan(item, classes) for item in _list(body["plans"])]
    memo = [_check_memo(item) for item in _list(body["memo"])]
    return data, origins, plans, memo


def _install(plans: list[tuple[str, int, Any]], memo: list[tuple[str, str, Any]]) -> None:
    for pat, flags, plan in plans:
        saferegex.PLANS.setdefault((pat, flags), plan)
        _claimed_plans.add((pat, flags))
    for fn, pat, value in memo:
        prefilter.MEMO.setdefault((fn, pat), value)
        _claimed_memo.add((fn, pat))


# ------------------------------------------------------------------------------ checks


def _is_str(x: Any) -> bool:
    return isinstance(x, str) and len(x) <= MAX_STR


def _list(x: Any) -> list[Any]:
    if not isinstance(x, list):
        raise ValueError(f"expected a list, got {type(x).__name__}")
    return x


def _int(x: Any, lo: int = 0, hi: int = 1 << 31) -> int:
    if type(x) is not int or not lo <= x <= hi:
        raise ValueError(f"expected a whole number in [{lo}, {hi}], got {x!r:.40}")
    return x


def _bool(x: Any) -> bool:
    if not isinstance(x, bool):
        raise ValueError(f"expected true/false, got {x!r:.40}")
    return x


def _str(x: Any) -> str:
    if not _is_str(x):
        raise ValueError("expected a string")
    return str(x)


#: a character class in RE2 text as saferegex writes it (every character inside is a
#: plain one or a backslash escape; ``\\x{5D}`` for ``]``), or any other token
_RE2_TOKENS: Final = re.compile(r"\[\^?(?:[^\]\\]|\\.)*\]|\\.|[^\\\[]+|.", re.S)


def _fits(item: list[Any]) -> bool:
    """Whether a plan's texts are all short enough to be read back (:data:`MAX_STR`)."""
    strict, relaxed = item[6], item[7]
    return (
        len(item[0]) <= MAX_STR
        and (strict is None or len(strict[0]) <= MAX_STR)
        and (relaxed is None or len(relaxed[0]) <= MAX_STR)
    )


def _share_classes(item: list[Any], classes: dict[str, int]) -> list[Any]:
    """A plan as written: the long character classes of its RE2 texts (strict and
    relaxed) replaced by references to ``classes`` (added to)."""
    pat, flags, pyflags, groups, index, linear, strict, relaxed = item

    def share(text: str) -> str:
        if _REF in text:
            raise ValueError("a NUL in a plan's text")
        out = []
        for m in _RE2_TOKENS.finditer(text):
            tok = m.group()
            if len(tok) >= CLASS_MIN and tok[0] == "[":
                tok = f"{_REF}{classes.setdefault(tok, len(classes))}{_REF}"
            out.append(tok)
        return "".join(out)

    if strict is not None:
        strict = [share(strict[0]), *strict[1:]]
    if relaxed is not None:
        relaxed = [share(relaxed[0]), *relaxed[1:]]
    return [pat, flags, pyflags, groups, index, linear, strict, relaxed]


def _expand(x: Any, classes: list[str]) -> str:
    """A plan's RE2 text with its references to ``classes`` replaced (bounded)."""
    text = _str(x)
    if _REF not in text:
        return text
    parts = text.split(_REF)
    if len(parts) % 2 == 0:
        raise ValueError("unpaired class reference")
    for i in range(1, len(parts), 2):
        n = parts[i]
        if not (n.isascii() and n.isdigit() and len(n) <= 9 and int(n) < len(classes)):
            raise ValueError("bad class reference")
        parts[i] = classes[int(n)]
    if sum(map(len, parts)) > MAX_STR:
        raise ValueError("an expanded plan is too long")
    return "".join(parts)


def _check_plan(item: Any, classes: list[str]) -> tuple[str, int, saferegex.Plan]:
    pat, flags, pyflags, groups, index, linear, strict, relaxed = _list(item)
    gi = tuple((_str(n), _int(g, 1)) for n, g in (_pair(x) for x in _list(index)))
    st = None
    if strict is not None:
        s = _list(strict)
        if len(s) != 4:
            raise ValueError("bad strict plan")
        st = (_expand(s[0], classes), _bool(s[1]), _bool(s[2]), _bool(s[3]))
    rel = None
    if relaxed is not None:
        r = _list(relaxed)
        if len(r) != 2:
            raise ValueError("bad relaxed plan")
        rel = (_expand(r[0], classes), _bool(r[1]))
    plan = (_int(pyflags, 0, 1 << 16), _int(groups, 0, 1 << 16), gi, _bool(linear), st, rel)
    return _str(pat), _int(flags, 0, 1 << 16), plan


def _pair(x: Any) -> tuple[Any, Any]:
    items = _list(x)
    if len(items) != 2:
        raise ValueError("expected a pair")
    return items[0], items[1]


def _lits(x: Any) -> frozenset[str]:
    items = _list(x)
    if not items:
        raise ValueError("an empty literal set")
    return frozenset(_str(s) for s in items)


def _check_memo(item: Any) -> tuple[str, str, Any]:
    fn, pat, value = _list(item)
    pat = _str(pat)
    if fn == "min_width":
        got: Any = _int(value)
    elif fn in ("required", "required_short"):
        got = None if value is None else _lits(value)
    elif fn == "required_all":
        got = tuple(_lits(s) for s in _list(value))
    elif fn == "required_any_all":
        got = tuple(tuple(_lits(s) for s in _list(alt)) for alt in _list(value))
    else:
        raise ValueError(f"unknown analysis {fn!r:.40}")
    return fn, pat, got


def _to_json(v: Any) -> Any:
    """An analysis result as JSON: frozensets as sorted lists, tuples as lists."""
    if isinstance(v, frozenset):
        return sorted(v)
    if isinstance(v, tuple):
        return [_to_json(x) for x in v]
    return v


def _plain(x: Any, depth: int) -> bool:
    """Whether ``x`` is data JSON gives back exactly (str keys, finite floats)."""
    if depth > 64:
        return False
    if x is None or isinstance(x, bool | int):
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, str):
        return len(x) <= MAX_STR
    if isinstance(x, list):
        return all(_plain(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in x.items())
    return False

"""The jq language for the ``jq`` built-in: JSON values, a jq 1.6 compatible
JSON reader and printer, a lexer, a parser and a generator based evaluator.

Values are plain Python objects: ``None``, ``bool``, ``float`` (every number
is a float, as in jq), ``str``, ``list`` and ``dict``. They are never mutated
once built, so they can be shared freely.

Every filter node has ``ev(inp, env)`` returning an iterator of outputs, and
``paths(inp, path, env)`` yielding ``(value, path)`` pairs for path
expressions (``path(f)``, assignments, ``del``); a path of ``None`` marks a
value that is not a path. Nodes that always give exactly one output are
``simple`` and also have ``ev1(inp, env)``, which keeps pipelines flat.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import io
import itertools
import json
import math
import os
import re
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import saferegex

# ---------------------------------------------------------------------------
# Errors


class JQError(Exception):
    """A jq runtime error; ``value`` is the error value (usually a message)."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


class CompileError(Exception):
    """One or more compile errors; ``messages`` are full ``jq: error: ...`` texts."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class JQFatal(Exception):
    """An error no ``try`` catches (resource limits)."""


class BreakEx(Exception):
    def __init__(self, label: object) -> None:
        super().__init__("break")
        self.label = label


class HaltEx(Exception):
    def __init__(self, code: Any, message: Any, has_message: bool) -> None:
        super().__init__("halt")
        self.code = code
        self.message = message
        self.has_message = has_message


# ---------------------------------------------------------------------------
# Values

DBL_MAX = sys.float_info.max
Value = Any


def kind(v: Value) -> str:
    if v is None:
        return "null"
    t = type(v)
    if t is bool:
        return "boolean"
    if t is float or t is int:
        return "number"
    if t is str:
        return "string"
    if t is list:
        return "array"
    if t is dict:
        return "object"
    raise TypeError(f"not a jq value: {v!r}")


def truthy(v: Value) -> bool:
    return not (v is None or v is False)


def is_num(v: Value) -> bool:
    t = type(v)
    return t is float or t is int


def fmt_num(d: float) -> str:
    """Print a number the way jq 1.6 does (17 significant digits, shortest form)."""
    if type(d) is int:
        if -10000000000000000 < d < 10000000000000000:
            return str(d)
        d = float(d)
    if d != d:
        return "null"
    if d == 0:
        return "-0" if math.copysign(1.0, d) < 0 else "0"
    if -1e16 < d < 1e16 and float(d).is_integer():
        return str(int(d))
    if d > DBL_MAX:
        d = DBL_MAX
    elif d < -DBL_MAX:
        d = -DBL_MAX
    r = repr(float(d))
    sign = ""
    if r[0] == "-":
        sign = "-"
        r = r[1:]
    mant, _, ex = r.partition("e")
    e = int(ex) if ex else 0
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    decpt = len(ip) + e
    stripped = digits.lstrip("0")
    decpt -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    n = len(digits)
    if decpt <= -4 or decpt > n + 15:
        x = decpt - 1
        s = digits[0] + ("." + digits[1:] if n > 1 else "") + "e" + ("-" if x < 0 else "+")
        s += f"{abs(x):02d}"
    elif decpt <= 0:
        s = "0." + "0" * (-decpt) + digits
    elif n <= decpt:
        s = digits + "0" * (decpt - n)
    else:
        s = digits[:decpt] + "." + digits[decpt:]
    return sign + s


_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
for _i in range(0x20):
    _ESC.setdefault(chr(_i), f"\\u{_i:04x}")
_ESC["\x7f"] = "\\u007f"
_ESC_RE = re.compile('["\\\\\x00-\x1f\x7f]')
# everything but printable ASCII other than `"` and `\`: the same set as
# `["\\\x00-\x1f\x7f-\U0010ffff]`, which Python's `re` takes ~17 ms to compile
_ESC_ASCII_RE = re.compile(r"[^ !#-\[\]-~]")


def _esc_ascii(m: re.Match[str]) -> str:
    c = m.group()
    e = _ESC.get(c)
    if e is not None:
        return e
    o = ord(c)
    if o >= 0x10000:
        o -= 0x10000
        return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"
    return f"\\u{o:04x}"


def dump_str(s: str, ascii: bool = False) -> str:
    if ascii:
        return '"' + _ESC_ASCII_RE.sub(_esc_ascii, s) + '"'
    return '"' + _ESC_RE.sub(lambda m: _ESC[m.group()], s) + '"'


def dump(v: Value, indent: str | None = None, sort_keys: bool = False, ascii: bool = False) -> str:
    """JSON text of ``v``: compact when ``indent`` is None, else pretty."""
    out: list[str] = []
    _Dumper(out, indent, sort_keys, ascii).rec(v, 0)
    return "".join(out)


_NEEDS_ESC = re.compile('["\\\\\x00-\x1f\x7f]').search
_NEEDS_ESC_ASCII = _ESC_ASCII_RE.search


class _Dumper:
    def __init__(self, out: list[str], ind: str | None, sk: bool, asc: bool) -> None:
        self.out = out
        self.ind = ind
        self.sk = sk
        self.asc = asc
        self.needs = _NEEDS_ESC_ASCII if asc else _NEEDS_ESC

    def s(self, x: str) -> str:
        if self.needs(x) is None:
            return '"' + x + '"'
        return dump_str(x, self.asc)

    def leaf(self, x: Value) -> str | None:
        t = type(x)
        if t is str:
            if self.needs(x) is None:
                return '"' + x + '"'
            return dump_str(x, self.asc)
        if t is int:
            if -10000000000000000 < x < 10000000000000000:
                return str(x)
            return fmt_num(x)
        if t is float:
            return fmt_num(x)
        if x is None:
            return "null"
        if t is bool:
            return "true" if x else "false"
        if t is list or t is dict:
            if not x:
                return "[]" if t is list else "{}"
            return None
        raise TypeError(f"not a jq value: {x!r}")

    def rec(self, v: Value, lvl: int) -> None:
        out = self.out
        leaf = self.leaf
        r = leaf(v)
        if r is not None:
            out.append(r)
            return
        ind = self.ind
        if ind is None:
            if type(v) is list:
                out.append("[")
                first = True
                for x in v:
                    if not first:
                        out.append(",")
                    first = False
                    r = leaf(x)
                    if r is None:
                        self.rec(x, lvl)
                    else:
                        out.append(r)
                out.append("]")
            else:
                out.append("{")
                first = True
                keys = sorted(v) if self.sk else v
                for k in keys:
                    x = v[k]
                    out.append((self.s(k) + ":") if first else ("," + self.s(k) + ":"))
                    first = False
                    r = leaf(x)
                    if r is None:
                        self.rec(x, lvl)
                    else:
                        out.append(r)
                out.append("}")
            return
        pad = "\n" + ind * (lvl + 1)
        if type(v) is list:
            out.append("[")
            first = True
            for x in v:
                out.append(pad if first else "," + pad)
                first = False
                r = leaf(x)
                if r is None:
                    self.rec(x, lvl + 1)
                else:
                    out.append(r)
            out.append("\n" + ind * lvl + "]")
        else:
            out.append("{")
            first = True
            keys = sorted(v) if self.sk else v
            for k in keys:
                x = v[k]
                out.append((pad if first else "," + pad) + self.s(k) + ": ")
                first = False
                r = leaf(x)
                if r is None:
                    self.rec(x, lvl + 1)
                else:
                    out.append(r)
            out.append("\n" + ind * lvl + "}")


def tojson(v: Value) -> str:
    return dump(v)


def tostring(v: Value) -> str:
    return v if type(v) is str else dump(v)


def trunc(v: Value, size: int = 15) -> str:
    """jv_dump_string_trunc: the compact dump cut to ``size - 1`` bytes."""
    s = dump(v)
    b = s.encode("utf-8", "surrogatepass")
    if len(b) > size - 1:
        b = b[: size - 4] + b"..."
    return b.decode("utf-8", "replace")


def kind_val(v: Value, size: int = 15) -> str:
    return f"{kind(v)} ({trunc(v, size)})"


def _sort_rank(v: Value) -> Any:
    if v is None:
        return (0,)
    t = type(v)
    if t is bool:
        return (2,) if v else (1,)
    if t is float or t is int:
        return (3, 1, v) if v == v else (3, 0, 0.0)
    if t is str:
        return (4, v)
    if t is list:
        return (5, tuple([_sort_rank(x) for x in v]))
    ks = sorted(v)
    return (6, tuple(ks), tuple([_sort_rank(v[k]) for k in ks]))


sort_key = _sort_rank


def jcmp(a: Value, b: Value) -> int:
    ka, kb = _sort_rank(a), _sort_rank(b)
    if ka == kb:
        if type(a) is float and a != a:
            return -1  # nan sorts below everything numeric, itself included
        return 0
    return -1 if ka < kb else 1


def jeq(a: Value, b: Value) -> bool:
    ta, tb = type(a), type(b)
    if ta is int:
        ta = float
    if tb is int:
        tb = float
    if ta is not tb:
        return False
    if ta is list:
        return len(a) == len(b) and all(jeq(x, y) for x, y in zip(a, b, strict=False))
    if ta is dict:
        if len(a) != len(b):
            return False
        return all(not (k not in b or not jeq(x, b[k])) for k, x in a.items())
    return bool(a == b)


def c_int(d: float, bits: int = 32) -> int:
    """C's (int)/(intmax_t) conversion of a double, x86 style."""
    lim = 1 << (bits - 1)
    if d != d or d >= lim or d < -lim:
        return -lim
    return int(d)


# ---------------------------------------------------------------------------
# Arithmetic


def op_add(a: Value, b: Value) -> Value:
    if a is None:
        return b
    if b is None:
        return a
    ta, tb = type(a), type(b)
    if ta is float and tb is float:
        return a + b
    if ta is tb and (ta is str or ta is list):
        if ta is str and len(a) + len(b) > MAX_STRING:
            raise JQError("Out of memory: string too long")
        if ta is list and len(a) + len(b) > MAX_ARRAY:
            raise JQError("Out of memory: array too long")
        return a + b
    if ta is dict and tb is dict:
        r = dict(a)
        r.update(b)
        return r
    if is_num(a) and is_num(b):
        return float(a) + float(b)
    raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot be added")


def op_sub(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return float(a) - float(b)
    if type(a) is list and type(b) is list:
        return [x for x in a if not any(jeq(x, y) for y in b)]
    raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot be subtracted")


def _deep_merge(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    r = dict(a)
    for k, v in b.items():
        old = r.get(k)
        if type(v) is dict and type(old) is dict:
            r[k] = _deep_merge(old, v)
        else:
            r[k] = v
    return r


MAX_STRING = 256 * 1024 * 1024
#: Longest array one operation may build (its slots alone take 8 bytes each).
MAX_ARRAY = 8 * 1024 * 1024


def op_mul(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        return float(a) * float(b)
    if (type(a) is str and is_num(b)) or (is_num(a) and type(b) is str):
        s, num = (a, b) if type(a) is str else (b, a)
        n = c_int(num - 1)
        if n < 0:
            return None
        if len(s) * (n + 1) > MAX_STRING:
            raise JQError("Out of memory: string too long")
        return s * (n + 1)
    if type(a) is dict and type(b) is dict:
        return _deep_merge(a, b)
    raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot be multiplied")


def split_str(s: str, sep: str) -> list[str]:
    if s == "":
        return []
    if sep == "":
        return list(s)
    return s.split(sep)


def op_div(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        if b == 0:
            raise JQError(
                f"{kind_val(a)} and {kind_val(b)} cannot be divided because the divisor is zero"
            )
        return float(a) / float(b)
    if type(a) is str and type(b) is str:
        return split_str(a, b)
    raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot be divided")


def op_mod(a: Value, b: Value) -> Value:
    if is_num(a) and is_num(b):
        x, y = c_int(a, 64), c_int(b, 64)
        if y == 0:
            raise JQError(
                f"{kind_val(a)} and {kind_val(b)} cannot be divided (remainder)"
                " because the divisor is zero"
            )
        if y == -1:
            return 0.0
        r = abs(x) % abs(y)
        return float(-r if x < 0 else r)
    raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot be divided (remainder)")


def op_neg(a: Value) -> Value:
    if is_num(a):
        return -float(a)
    raise JQError(f"{kind_val(a)} cannot be negated")


def _cmp_op(op: str) -> Callable[[Value, Value], Value]:
    if op == "==":
        return jeq
    if op == "!=":
        return lambda a, b: not jeq(a, b)
    if op == "<":
        return lambda a, b: jcmp(a, b) < 0
    if op == "<=":
        return lambda a, b: jcmp(a, b) <= 0
    if op == ">":
        return lambda a, b: jcmp(a, b) > 0
    return lambda a, b: jcmp(a, b) >= 0


BINOPS: dict[str, Callable[[Value, Value], Value]] = {
    "+": op_add,
    "-": op_sub,
    "*": op_mul,
    "/": op_div,
    "%": op_mod,
}
for _op in ("==", "!=", "<", "<=", ">", ">="):
    BINOPS[_op] = _cmp_op(_op)


# ---------------------------------------------------------------------------
# Indexing and paths


def _is_int(k: float) -> bool:
    return k == k and -2147483648 <= k <= 2147483647 and k == int(k)


def parse_slice(t: Value, k: dict[str, Value]) -> tuple[int, int] | None:
    start = k.get("start")
    end = k.get("end")
    n = len(t) if t is not None else 0
    if start is None:
        start = 0.0
    if end is None:
        end = float(n)
    if not is_num(start) or not is_num(end):
        return None
    ds, de = float(start), float(end)
    if ds < 0:
        ds += n
    if de < 0:
        de += n
    if ds < 0:
        ds = 0
    if ds > n:
        ds = n
    if de > n:
        de = n
    if de < ds:
        de = ds
    s = int(ds)
    e = int(de) + 1 if de > int(de) else int(de)
    return s, e


def array_indexes(a: list[Value], b: list[Value]) -> list[Value]:
    res: list[Value] = []
    if not b:
        return res
    for i in range(len(a)):
        if i + len(b) <= len(a) and all(jeq(a[i + j], b[j]) for j in range(len(b))):
            res.append(float(i))
    return res


def index_err(t: Value, k: Value) -> JQError:
    if type(k) is str and len(k.encode("utf-8", "surrogateescape")) < 30:
        return JQError(f'Cannot index {kind(t)} with string "{k}"')
    return JQError(f"Cannot index {kind(t)} with {kind(k)}")


def index_value(t: Value, k: Value) -> Value:
    """jv_get: ``t[k]``."""
    tt, tk = type(t), type(k)
    if tt is dict:
        if tk is str:
            return t.get(k)
    elif tt is list:
        if tk is float or tk is int:
            if not _is_int(k):
                return None
            i = int(k)
            if i < 0:
                i += len(t)
            return t[i] if 0 <= i < len(t) else None
        if tk is dict:
            sl = parse_slice(t, k)
            if sl is None:
                raise JQError("Start and end indices of an array slice must be numbers")
            return t[sl[0] : sl[1]]
        if tk is list:
            return array_indexes(t, k)
    elif t is None:
        if tk is str or tk is float or tk is int or tk is dict:
            return None
    elif tt is str and tk is dict:
        sl = parse_slice(t, k)
        if sl is None:
            raise JQError("Start and end indices of an string slice must be numbers")
        return t[sl[0] : sl[1]]
    raise index_err(t, k)


def set_value(t: Value, k: Value, v: Value) -> Value:
    """jv_set: a copy of ``t`` with ``t[k] = v``."""
    tk = type(k)
    if tk is str and (t is None or type(t) is dict):
        r = dict(t) if t is not None else {}
        r[k] = v
        return r
    if (tk is float or tk is int) and (t is None or type(t) is list):
        r = list(t) if t is not None else []
        i = c_int(k)
        if i < 0:
            i += len(r)
            if i < 0:
                raise JQError("Out of bounds negative array index")
        if i >= len(r):
            if i - len(r) > 100_000_000:
                raise JQError("Out of memory: array index too large")
            r.extend([None] * (i - len(r) + 1))
        r[i] = v
        return r
    if tk is dict and (t is None or type(t) is list):
        base = list(t) if t is not None else []
        sl = parse_slice(base, k)
        if sl is None:
            raise JQError("Start and end indices of an array slice must be numbers")
        if type(v) is not list:
            raise JQError("A slice of an array can only be assigned another array")
        return base[: sl[0]] + v + base[sl[1] :]
    raise JQError(f"Cannot update field at object index of {kind(t)}")


def getpath(t: Value, path: Iterable[Value]) -> Value:
    for k in path:
        if t is None:
            return None
        t = index_value(t, k)
    return t


def setpath(t: Value, path: list[Value] | tuple[Value, ...], v: Value, i: int = 0) -> Value:
    if i == len(path):
        return v
    k = path[i]
    sub = index_value(t, k)
    return set_value(t, k, setpath(sub, path, v, i + 1))


def _dels(t: Value, keys: list[Value]) -> Value:
    if t is None or not keys:
        return t
    if type(t) is list:
        n = len(t)
        dele: set[int] = set()
        for k in keys:
            if is_num(k):
                i = c_int(k)
                dele.add(i + n if k < 0 else i)
            elif type(k) is dict:
                sl = parse_slice(t, k)
                if sl is None:
                    raise JQError("Start and end indices of an array slice must be numbers")
                dele.update(range(sl[0], sl[1]))
            else:
                raise JQError(f"Cannot delete {kind(k)} element of array")
        return [x for i, x in enumerate(t) if i not in dele]
    if type(t) is dict:
        r = dict(t)
        for k in keys:
            if type(k) is not str:
                raise JQError(f"Cannot delete {kind(k)} field of object")
            r.pop(k, None)
        return r
    raise JQError(f"Cannot delete fields from {kind(t)}")


def _delpaths_sorted(t: Value, paths: list[list[Value]], start: int) -> Value:
    delkeys: list[Value] = []
    i = 0
    while i < len(paths):
        key = paths[i][start]
        j = i
        while j < len(paths) and jeq(paths[j][start], key):
            j += 1
        if len(paths[i]) == start + 1:
            delkeys.append(key)
        else:
            sub = index_value(t, key)
            if sub is not None:
                t = set_value(t, key, _delpaths_sorted(sub, paths[i:j], start + 1))
        i = j
    return _dels(t, delkeys)


def delpaths(t: Value, paths: Value) -> Value:
    if type(paths) is not list:
        raise JQError("Paths must be specified as an array")
    for p in paths:
        if type(p) is not list:
            raise JQError(f"Path must be specified as array, not {kind(p)}")
    if not paths:
        return t
    ps = sorted(paths, key=sort_key)
    if len(ps[0]) == 0:
        return None
    return _delpaths_sorted(t, ps, 0)


def iter_values(t: Value) -> Iterator[Value]:
    """``.[]``"""
    if type(t) is list:
        return iter(t)
    if type(t) is dict:
        return iter(t.values())
    raise JQError(f"Cannot iterate over {kind_val(t)}")


def keys_of(t: Value, sort: bool = True) -> list[Value]:
    if type(t) is dict:
        return sorted(t) if sort else list(t)
    if type(t) is list:
        return [float(i) for i in range(len(t))]
    raise JQError(f"{kind_val(t)} has no keys")


# ---------------------------------------------------------------------------
# JSON reading (jq's parser: a fast path through the json module, and a port
# of jv_parse.c's scanner for everything the json module refuses)


class JSONParseError(Exception):
    pass


_WS_RE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_SURR_RE = re.compile(r"\\u[dD][89a-fA-F]")
_STRUCT = set('[{,:]}"')
_DELIM = set(' \t\r\n[{,:]}"')
_NUM_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_RE = re.compile(r"[+-]?(?:nan|inf|infinity)\Z", re.I)


def _strtod(tok: str) -> float | None:
    if _NUM_RE.match(tok):
        return float(tok)
    if _SPECIAL_RE.match(tok):
        return float(tok)
    return None


class _SlowParser:
    """Char by char port of jv_parse.c (non-streaming mode)."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column
        self.stack: list[Any] = []
        self.next: Any = _NOTHING
        self.token: list[str] = []
        self.st = 0  # 0 normal, 1 string, 2 string escape

    def _value(self, v: Value) -> None:
        if self.next is not _NOTHING:
            raise JSONParseError("Expected separator between values")
        self.next = v

    def _check_literal(self) -> None:
        if not self.token:
            return
        tok = "".join(self.token)
        pattern = {"t": "true", "f": "false", "n": "null"}.get(tok[0])
        if pattern is not None:
            if tok != pattern:
                raise JSONParseError("Invalid literal")
            self._value({"true": True, "false": False, "null": None}[tok])
        else:
            d = _strtod(tok)
            if d is None:
                raise JSONParseError("Invalid numeric literal")
            self._value(d)
        self.token = []

    def _found_string(self) -> None:
        raw = "".join(self.token)
        out: list[str] = []
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            i += 1
            if c == "\\":
                if i >= n:
                    raise JSONParseError("Expected escape character at end of string")
                c = raw[i]
                i += 1
                if c in '\\"/':
                    out.append(c)
                elif c in "bfntr":
                    out.append({"b": "\b", "f": "\f", "n": "\n", "t": "\t", "r": "\r"}[c])
                elif c == "u":
                    if i + 4 > n:
                        raise JSONParseError("Invalid \\uXXXX escape")
                    h = raw[i : i + 4]
                    if not all(ch in "0123456789abcdefABCDEF" for ch in h):
                        raise JSONParseError("Invalid characters in \\uXXXX escape")
                    cp = int(h, 16)
                    i += 4
                    if 0xD800 <= cp <= 0xDBFF:
                        if i + 6 > n or raw[i] != "\\" or raw[i + 1] != "u":
                            raise JSONParseError("Invalid \\uXXXX\\uXXXX surrogate pair escape")
                        h2 = raw[i + 2 : i + 6]
                        lo = int(h2, 16) if all(ch in "0123456789abcdefABCDEF" for ch in h2) else -1
                        if not 0xDC00 <= lo <= 0xDFFF:
                            raise JSONParseError("Invalid \\uXXXX\\uXXXX surrogate pair escape")
                        i += 6
                        cp = 0x10000 + (((cp - 0xD800) << 10) | (lo - 0xDC00))
                    if 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
                        cp = 0xFFFD
                    out.append(chr(cp))
                else:
                    raise JSONParseError("Invalid escape")
            else:
                if "\x00" < c < "\x1f":
                    raise JSONParseError(
                        "Invalid string: control characters from U+0000 through U+001F "
                        "must be escaped"
                    )
                out.append(c)
        self._value("".join(out))

    def _token(self, ch: str) -> None:
        stack = self.stack
        if ch == "[":
            if self.next is not _NOTHING:
                raise JSONParseError("Expected separator between values")
            stack.append([])
        elif ch == "{":
            if self.next is not _NOTHING:
                raise JSONParseError("Expected separator between values")
            stack.append({})
        elif ch == ":":
            if self.next is _NOTHING:
                raise JSONParseError("Expected string key before ':'")
            if not stack or type(stack[-1]) is not dict:
                raise JSONParseError("':' not as part of an object")
            if type(self.next) is not str:
                raise JSONParseError("Object keys must be strings")
            stack.append(_Key(self.next))
            self.next = _NOTHING
        elif ch == ",":
            if self.next is _NOTHING:
                raise JSONParseError("Expected value before ','")
            if not stack:
                raise JSONParseError("',' not as part of an object or array")
            top = stack[-1]
            if type(top) is list:
                top.append(self.next)
                self.next = _NOTHING
            elif type(top) is _Key:
                stack.pop()
                stack[-1][top.k] = self.next
                self.next = _NOTHING
            else:
                raise JSONParseError("Objects must consist of key:value pairs")
        elif ch == "]":
            if not stack or type(stack[-1]) is not list:
                raise JSONParseError("Unmatched ']'")
            if self.next is not _NOTHING:
                stack[-1].append(self.next)
                self.next = _NOTHING
            elif stack[-1]:
                raise JSONParseError("Expected another array element")
            self.next = stack.pop()
        elif ch == "}":
            if not stack:
                raise JSONParseError("Unmatched '}'")
            top = stack[-1]
            if self.next is not _NOTHING:
                if type(top) is not _Key:
                    raise JSONParseError("Objects must consist of key:value pairs")
                stack.pop()
                stack[-1][top.k] = self.next
                self.next = _NOTHING
            else:
                if type(top) is not dict:
                    raise JSONParseError("Unmatched '}'")
                if top:
                    raise JSONParseError("Expected another key-value pair")
            self.next = stack.pop()

    def _done(self) -> bool:
        return not self.stack and self.next is not _NOTHING

    def feed(self, text: str, pos: int) -> tuple[Any, int]:
        """Scan from ``pos``; returns (value, end) with value _NOTHING when the
        text ran out first. Raises JSONParseError with jq's message."""
        n = len(text)
        while pos < n:
            ch = text[pos]
            pos += 1
            self.column += 1 if ch < "\x80" else len(ch.encode("utf-8", "surrogatepass"))
            if ch == "\n":
                self.line += 1
                self.column = 0
            try:
                if self.st == 0:
                    if ch in " \t\r\n":
                        self._check_literal()
                        if self._done():
                            return self._take(), pos
                    elif ch == '"':
                        self._check_literal()
                        if self._done():
                            return self._take(), pos - 1
                        self.st = 1
                    elif ch in _STRUCT:
                        self._check_literal()
                        if self._done():
                            if ch in "[{":
                                return self._take(), pos - 1
                            self._take()  # jq drops a value the next token rejects
                        self._token(ch)
                        if self._done():
                            return self._take(), pos
                    else:
                        self.token.append(ch)
                else:
                    if ch == '"' and self.st == 1:
                        self._found_string()
                        self.token = []
                        self.st = 0
                        if self._done():
                            return self._take(), pos
                    else:
                        self.token.append(ch)
                        self.st = 2 if (ch == "\\" and self.st == 1) else 1
            except JSONParseError as e:
                raise JSONParseError(f"{e} at line {self.line}, column {self.column}") from None
        return _NOTHING, pos

    def finish(self) -> Any:
        """At EOF: the pending value, _NOTHING, or a JSONParseError."""
        if self.st != 0:
            raise JSONParseError(
                f"Unfinished string at EOF at line {self.line}, column {self.column}"
            )
        try:
            self._check_literal()
        except JSONParseError as e:
            raise JSONParseError(f"{e} at EOF at line {self.line}, column {self.column}") from None
        if self.stack:
            raise JSONParseError(
                f"Unfinished JSON term at EOF at line {self.line}, column {self.column}"
            )
        return self._take()

    def _take(self) -> Any:
        v = self.next
        self.next = _NOTHING
        return v


class _Key:
    __slots__ = ("k",)

    def __init__(self, k: str) -> None:
        self.k = k


class _Nothing:
    def __repr__(self) -> str:
        return "<nothing>"


_NOTHING: Any = _Nothing()


def parse_json_text(text: str) -> Value:
    """jv_parse: exactly one JSON value from ``text`` (for fromjson, tonumber,
    --argjson). Raises JSONParseError with jq's message."""
    try:
        p = _SlowParser(1, 0)
        v, pos = p.feed(text, 0)
        if v is _NOTHING:
            v = p.finish()
            if v is _NOTHING:
                raise JSONParseError("Expected JSON value")
            return v
        p2 = _SlowParser(p.line, p.column)
        v2, _ = p2.feed(text, pos)
        if v2 is _NOTHING:
            v2 = p2.finish()
        if v2 is not _NOTHING:
            raise JSONParseError("Unexpected extra JSON values")
        return v
    except JSONParseError as e:
        raise JSONParseError(f"{e} (while parsing '{text}')") from None


class JSONReader:
    """A stream of JSON values from one binary file, read incrementally."""

    CHUNK = 65536
    #: A regular file up to this size is read in one go; larger ones in chunks.
    WHOLE_MAX = 8 * 1024 * 1024

    def __init__(self, f: Any, check: Callable[[], None] | None = None) -> None:
        self.f = f
        self._read = getattr(f, "read1", None) or f.read
        self.dec = codecs.getincrementaldecoder("utf-8")("replace")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.started = False
        self.lines_before = 0  # newlines in the stream before buf[0]
        self.col_before = 0  # bytes since the last newline, at buf[0]
        self.lpos = 0  # buf index up to which newlines are counted in lcount
        self.lcount = 0
        self.retry_at = 0
        self.check = check
        self.line = 0  # jq's input line of the last value
        self.whole = False  # a regular file: read it in one go
        with contextlib.suppress(AttributeError, OSError, ValueError, io.UnsupportedOperation):
            st = os.fstat(f.fileno())
            self.whole = stat.S_ISREG(st.st_mode) and st.st_size <= self.WHOLE_MAX

    def _more(self) -> None:
        if self.check:
            self.check()
        data = self.f.read() if self.whole else self._read(self.CHUNK)
        if self.whole or not data:
            self.eof = True
            text = self.dec.decode(data, True)
        else:
            text = self.dec.decode(data)
        if not self.started and (text or self.eof):
            self.started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        self.buf += text

    def _compact(self) -> None:
        cut = self.pos
        self._count_to(cut)
        head = self.buf[:cut]
        nl = head.rfind("\n")
        if nl >= 0:
            self.col_before = len(head[nl + 1 :].encode("utf-8", "surrogatepass"))
        else:
            self.col_before += len(head.encode("utf-8", "surrogatepass"))
        self.lines_before += self.lcount
        self.lcount = 0
        self.lpos = 0
        self.buf = self.buf[cut:]
        self.pos = 0
        self.retry_at = max(0, self.retry_at - cut)

    def _count_to(self, i: int) -> None:
        if i > self.lpos:
            self.lcount += self.buf.count("\n", self.lpos, i)
            self.lpos = i

    def _set_line(self, c: int) -> None:
        """Line number as jq reports it for a value completed at buf[c]: jq
        reads whole lines, so it is the number of lines read so far."""
        while self.buf.find("\n", c) < 0 and not self.eof:
            self._more()
        self._count_to(c)
        n = self.lines_before + self.lcount
        if self.buf.find("\n", c) >= 0:
            n += 1
        self.line = n

    def _linecol(self, pos: int) -> tuple[int, int]:
        self._count_to(pos)
        line = 1 + self.lines_before + self.lcount
        head = self.buf[:pos]
        nl = head.rfind("\n")
        if nl >= 0:
            col = len(head[nl + 1 :].encode("utf-8", "surrogatepass"))
        else:
            col = self.col_before + len(head.encode("utf-8", "surrogatepass"))
        return line, col

    def next_value(self) -> Any:
        """The next value, or _NOTHING at the end. Raises JSONParseError."""
        if self.pos > self.CHUNK:
            self._compact()
        while True:
            buf = self.buf
            pos = _WS_RE.match(buf, self.pos).end()  # type: ignore[union-attr]
            self.pos = pos
            if pos >= len(buf) or (not self.eof and len(buf) < self.retry_at):
                if self.eof:
                    return _NOTHING
                self._more()
                continue
            try:
                v, end = _DECODER.raw_decode(buf, pos)
            except (ValueError, RecursionError):
                if self.eof:
                    return self._slow()
                self.retry_at = len(buf) + max(self.CHUNK, 2 * (len(buf) - pos))
                self._more()
                continue
            c = buf[pos]
            if c not in '[{"':
                if end >= len(buf) and not self.eof:
                    self._more()
                    continue
                if end < len(buf) and (buf[end] not in _DELIM or buf[end] in "]},:"):
                    return self._slow()
            elif "\\u" in buf[pos:end] and _SURR_RE.search(buf, pos, end):
                return self._slow()
            self.retry_at = 0
            self.pos = end
            self._set_line(end - 1 if c in '[{"' else end)
            return v

    def _slow(self) -> Any:
        line, col = self._linecol(self.pos)
        p = _SlowParser(line, col)
        while True:
            v, end = p.feed(self.buf, self.pos)
            if v is not _NOTHING:
                self.pos = end
                self._set_line(max(end - 1, 0))
                return v
            self.pos = len(self.buf)
            if self.eof:
                v = p.finish()
                self._set_line(len(self.buf))
                return v
            self._more()


def read_raw_lines(f: Any, check: Callable[[], None] | None = None) -> Iterator[str]:
    for n, line in enumerate(f, 1):
        if check and n % 1000 == 0:
            check()
        s = line.decode("utf-8", "replace")
        yield s[:-1] if s.endswith("\n") else s


# ---------------------------------------------------------------------------
# Lexer

KEYWORDS = {
    "as",
    "def",
    "module",
    "import",
    "include",
    "if",
    "then",
    "elif",
    "else",
    "end",
    "and",
    "or",
    "reduce",
    "foreach",
    "try",
    "catch",
    "label",
    "break",
    "__loc__",
}

_TOK_RE = re.compile(
    r"""
 (?P<ws>[ \t\r\n]+|\#[^\n]*)
|(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
|(?P<field>\.[a-zA-Z_][a-zA-Z_0-9]*)
|(?P<ident>(?:[a-zA-Z_][a-zA-Z_0-9]*::)*[a-zA-Z_][a-zA-Z_0-9]*)
|(?P<fmt>@[a-zA-Z0-9_]+)
|(?P<op>\?//|//=|\|=|\+=|-=|\*=|/=|%=|//|==|!=|<=|>=|\.\.|[.?=;,:|+\-*/%$<>])
|(?P<open>[\[{(])
|(?P<close>[\]})])
|(?P<quote>")
""",
    re.X,
)
_STR_RE = re.compile(
    r'(?P<interp>\\\()|(?P<end>")|(?P<esc>(?:\\[^u(]|\\u[a-zA-Z0-9]{0,4})+)'
    r'|(?P<text>[^\\"]+)|(?P<bad>\\)'
)
_CLOSE = {")": "(", "]": "[", "}": "{"}


class Tok:
    __slots__ = ("kind", "pos", "val")

    def __init__(self, kind: str, val: Any, pos: int) -> None:
        self.kind = kind
        self.val = val
        self.pos = pos

    def is_op(self, *ops: str) -> bool:
        return self.kind == "OP" and self.val in ops

    def is_kw(self, *kws: str) -> bool:
        return self.kind == "KW" and self.val in kws

    def name(self) -> str:
        k = self.kind
        if k == "OP":
            return f"'{self.val}'" if len(self.val) == 1 else self.val
        if k == "KW":
            return self.val
        return {
            "QQSTART": "QQSTRING_START",
            "QQTEXT": "QQSTRING_TEXT",
            "QQINTERP_START": "QQSTRING_INTERP_START",
            "QQINTERP_END": "QQSTRING_INTERP_END",
            "QQEND": "QQSTRING_END",
            "INVALID": "INVALID_CHARACTER",
            "EOF": "$end",
        }.get(k, k)


def lex(text: str, errors: list[tuple[str, int]]) -> list[Tok]:
    toks: list[Tok] = []
    stack: list[str] = []
    pos, n = 0, len(text)
    last = 0
    while pos < n:
        last = pos
        if stack and stack[-1] == "S":
            m = _STR_RE.match(text, pos)
            assert m is not None
            g = m.lastgroup
            if g == "interp":
                toks.append(Tok("QQINTERP_START", None, pos))
                stack.append("I")
            elif g == "end":
                toks.append(Tok("QQEND", None, pos))
                stack.pop()
            elif g == "esc":
                raw = m.group()
                try:
                    val = parse_json_text('"' + raw + '"')
                except JSONParseError as e:
                    errors.append((str(e), pos))
                    val = ""
                toks.append(Tok("QQTEXT", val, pos))
            elif g == "text":
                toks.append(Tok("QQTEXT", m.group(), pos))
            else:
                toks.append(Tok("INVALID", "\\", pos))
            pos = m.end()
            continue
        m = _TOK_RE.match(text, pos)
        if m is None:
            toks.append(Tok("INVALID", text[pos], pos))
            pos += 1
            continue
        g = m.lastgroup
        s = m.group()
        if g == "ws":
            pass
        elif g == "num":
            toks.append(Tok("LITERAL", float(s), pos))
        elif g == "field":
            toks.append(Tok("FIELD", s[1:], pos))
        elif g == "ident":
            toks.append(Tok("KW" if s in KEYWORDS else "IDENT", s, pos))
        elif g == "fmt":
            toks.append(Tok("FORMAT", s[1:], pos))
        elif g == "op":
            toks.append(Tok("OP", s, pos))
        elif g == "open":
            stack.append(s)
            toks.append(Tok("OP", s, pos))
        elif g == "close":
            if stack and stack[-1] == "I" and s == ")":
                stack.pop()
                toks.append(Tok("QQINTERP_END", None, pos))
            elif stack and stack[-1] == _CLOSE[s]:
                stack.pop()
                toks.append(Tok("OP", s, pos))
            else:
                toks.append(Tok("INVALID", s, pos))
        else:  # quote
            stack.append("S")
            toks.append(Tok("QQSTART", None, pos))
        pos = m.end()
    eof = Tok("EOF", None, last)
    eof.val = bool(stack and stack[-1] == "S")
    toks.append(eof)
    return toks


# ---------------------------------------------------------------------------
# Parser

PREC = {
    "|": 1,
    ",": 2,
    "//": 3,
    "=": 4,
    "|=": 4,
    "+=": 4,
    "-=": 4,
    "*=": 4,
    "/=": 4,
    "%=": 4,
    "//=": 4,
    "or": 5,
    "and": 6,
    "==": 7,
    "!=": 7,
    "<": 7,
    "<=": 7,
    ">": 7,
    ">=": 7,
    "+": 8,
    "-": 8,
    "*": 9,
    "/": 9,
    "%": 9,
}
RIGHT_ASSOC = {"|", "//"}
NONASSOC_PREC = {4, 7}
P_OPT = 10  # postfix '?'
P_TRY = 11


class SyntaxErr(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = pos


class Parser:
    def __init__(self, text: str, toks: list[Tok]) -> None:
        self.text = text
        self.toks = toks
        self.i = 0

    # -- helpers
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def error(self, tok: Tok, expecting: str | None = None) -> SyntaxErr:
        if tok.kind == "EOF" and tok.val and expecting is None:
            expecting = "QQSTRING_TEXT or QQSTRING_INTERP_START or QQSTRING_END"
        msg = f"syntax error, unexpected {tok.name()}"
        if expecting:
            msg += f", expecting {expecting}"
        return SyntaxErr(msg + " (Unix shell quoting issues?)", tok.pos)

    def expect_op(self, op: str, expecting: str | None = None) -> Tok:
        t = self.peek()
        if not t.is_op(op):
            raise self.error(t, expecting)
        return self.next()

    def expect_kw(self, kw: str) -> Tok:
        t = self.peek()
        if not t.is_kw(kw):
            raise self.error(t)
        return self.next()

    def ident(self) -> Tok:
        t = self.peek()
        if t.kind != "IDENT":
            raise self.error(t)
        return self.next()

    # -- grammar
    def parse_program(self) -> Node:
        t = self.peek()
        if t.kind == "EOF":
            return IDENTITY
        if not (
            t.kind in ("FIELD", "LITERAL", "QQSTART", "FORMAT", "IDENT")
            or t.is_op(".", "..", "(", "[", "{", "$", "-")
            or t.is_kw("if", "reduce", "foreach", "try", "label", "def", "break")
        ):
            raise self.error(t, "$end")
        e = self.parse_exp(1, top=True)
        t = self.peek()
        if t.kind != "EOF":
            raise self.error(t, "$end")
        return e

    def parse_exp(self, minp: int = 1, top: bool = False) -> Node:
        start = self.peek().pos
        left = self.parse_prefix(top)
        while True:
            t = self.peek()
            if t.is_op("?"):
                if minp > P_OPT:
                    break
                self.next()
                left = Try(left, None)
                continue
            if t.is_op("?//"):  # `.a?//1` lexes as one token; read it as `? //`
                if minp > P_OPT:
                    break
                t.val = "//"
                left = Try(left, None)
                continue
            if t.kind == "OP" or t.is_kw("and", "or"):
                op = t.val
            else:
                break
            p = PREC.get(op)
            if p is None or p < minp:
                break
            self.next()
            right = self.parse_exp(p if op in RIGHT_ASSOC else p + 1)
            left = make_binop(op, left, right, start)
            if p in NONASSOC_PREC:
                t2 = self.peek()
                op2 = t2.val if (t2.kind == "OP" or t2.is_kw("and", "or")) else None
                if op2 is not None and PREC.get(op2) == p:
                    raise self.error(t2)
        return left

    def parse_prefix(self, top: bool = False) -> Node:
        t = self.peek()
        if t.is_kw("def"):
            defs = []
            while self.peek().is_kw("def"):
                defs.append(self.parse_funcdef())
            if top and self.peek().kind == "EOF":
                return FuncDefs(defs, IDENTITY)
            return FuncDefs(defs, self.parse_exp(1, top))
        if t.is_kw("try"):
            self.next()
            body = self.parse_exp(P_TRY)
            handler = None
            if self.peek().is_kw("catch"):
                self.next()
                handler = self.parse_exp(P_TRY)
            return Try(body, handler)
        if t.is_kw("label"):
            self.next()
            self.expect_op("$")
            name = self.ident().val
            self.expect_op("|")
            return Label(name, self.parse_exp(1))
        if t.is_op("-"):
            self.next()
            return Neg(self.parse_exp(9))
        term = self.parse_term()
        if self.peek().is_kw("as"):
            self.next()
            pats = self.parse_patterns()
            self.expect_op("|")
            return Bind(term, pats, self.parse_exp(1))
        return term

    def parse_funcdef(self) -> FuncDef:
        self.expect_kw("def")
        nt = self.peek()
        if nt.kind not in ("IDENT", "KW") or nt.is_kw("__loc__"):
            raise self.error(nt)
        self.next()
        params: list[tuple[str, bool]] = []
        if self.peek().is_op("("):
            self.next()
            while True:
                t = self.peek()
                if t.is_op("$"):
                    self.next()
                    t2 = self.peek()
                    if t2.kind not in ("IDENT", "KW"):
                        raise self.error(t2)
                    self.next()
                    params.append((t2.val, True))
                elif t.kind == "IDENT":
                    self.next()
                    params.append((t.val, False))
                else:
                    raise self.error(t)
                if self.peek().is_op(";"):
                    self.next()
                    continue
                self.expect_op(")")
                break
        self.expect_op(":")
        body = self.parse_exp(1)
        self.expect_op(";")
        return FuncDef(nt.val, params, body)

    def parse_term(self) -> Node:
        t = self.peek()
        node = self.parse_primary()
        while True:
            t = self.peek()
            if t.kind == "FIELD":
                self.next()
                node = self._opt_index(node, Literal(t.val))
            elif t.is_op("."):
                nt = self.peek(1)
                if nt.kind == "QQSTART" or (nt.kind == "FORMAT" and self.peek(2).kind == "QQSTART"):
                    self.next()
                    node = self._opt_index(node, self.parse_string())
                elif nt.is_op("["):
                    self.next()
                else:
                    self.next()
                    raise self.error(self.peek(), "FORMAT or QQSTRING_START")
            elif t.is_op("["):
                self.next()
                node = self.parse_bracket_suffix(node)
            else:
                break
        return node

    def _opt_index(self, target: Node, key: Node) -> Node:
        opt = False
        if self.peek().is_op("?"):
            self.next()
            opt = True
        return Index(target, key, opt)

    def parse_bracket_suffix(self, node: Node) -> Node:
        t = self.peek()
        if t.is_op("]"):
            self.next()
            opt = self.peek().is_op("?")
            if opt:
                self.next()
            return Iterate(node, opt)
        if t.is_op(":"):
            self.next()
            end = self.parse_exp(1)
            self.expect_op("]")
            return self._opt_index(node, SliceKey(None, end))
        e = self.parse_exp(1)
        t = self.peek()
        if t.is_op(":"):
            self.next()
            if self.peek().is_op("]"):
                self.next()
                return self._opt_index(node, SliceKey(e, None))
            end = self.parse_exp(1)
            self.expect_op("]")
            return self._opt_index(node, SliceKey(e, end))
        self.expect_op("]")
        return self._opt_index(node, e)

    def parse_primary(self) -> Node:
        t = self.peek()
        k = t.kind
        if k == "OP":
            v = t.val
            if v == ".":
                self.next()
                nt = self.peek()
                if nt.kind == "QQSTART" or (nt.kind == "FORMAT" and self.peek(1).kind == "QQSTART"):
                    return self._opt_index(IDENTITY, self.parse_string())
                if nt.kind == "IDENT":
                    raise SyntaxErr(
                        'try .["field"] instead of .field for unusually named fields', nt.pos
                    )
                return IDENTITY
            if v == "..":
                self.next()
                return RecurseAll()
            if v == "(":
                self.next()
                e = self.parse_exp(1)
                self.expect_op(")")
                return e
            if v == "[":
                self.next()
                if self.peek().is_op("]"):
                    self.next()
                    return ArrayCons(None)
                e = self.parse_exp(1)
                self.expect_op("]")
                return ArrayCons(e)
            if v == "{":
                self.next()
                return self.parse_object()
            if v == "$":
                self.next()
                nt = self.peek()
                if nt.is_kw("__loc__"):
                    self.next()
                    return Literal({"file": "<top-level>", "line": float(self.line_of(t.pos))})
                if nt.kind not in ("IDENT", "KW"):
                    raise self.error(nt)
                self.next()
                return Var(nt.val, t.pos)
            raise self.error(t)
        if k == "FIELD":
            self.next()
            return self._opt_index(IDENTITY, Literal(t.val))
        if k == "LITERAL":
            self.next()
            return Literal(t.val)
        if k == "QQSTART":
            return self.parse_string()
        if k == "FORMAT":
            if self.peek(1).kind == "QQSTART":
                return self.parse_string()
            self.next()
            return FormatNode(t.val)
        if k == "IDENT":
            self.next()
            name = t.val
            if name in ("true", "false", "null") and not self.peek().is_op("("):
                return Literal({"true": True, "false": False, "null": None}[name])
            args: list[Node] = []
            if self.peek().is_op("("):
                self.next()
                while True:
                    args.append(self.parse_exp(1))
                    if self.peek().is_op(";"):
                        self.next()
                        continue
                    self.expect_op(")")
                    break
            return Call(name, args, t.pos)
        if k == "KW":
            v = t.val
            if v == "if":
                return self.parse_if()
            if v in ("reduce", "foreach"):
                return self.parse_reduce()
            if v == "break":
                self.next()
                self.expect_op("$")
                name = self.ident().val
                return Break(name, t.pos)
            if v in ("def", "try", "label"):
                return self.parse_prefix()
        if k == "OP" and t.val == "-":
            return self.parse_prefix()
        raise self.error(t)

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def parse_if(self) -> Node:
        self.expect_kw("if")
        cond = self.parse_exp(1)
        self.expect_kw("then")
        then = self.parse_exp(1)
        t = self.peek()
        if t.is_kw("elif"):
            return If(cond, then, self.parse_if_elif())
        if t.is_kw("else"):
            self.next()
            other = self.parse_exp(1)
            self.expect_kw("end")
            return If(cond, then, other)
        if t.is_kw("end"):
            self.next()
            return If(cond, then, None)
        raise self.error(t)

    def parse_if_elif(self) -> Node:
        self.expect_kw("elif")
        cond = self.parse_exp(1)
        self.expect_kw("then")
        then = self.parse_exp(1)
        t = self.peek()
        if t.is_kw("elif"):
            return If(cond, then, self.parse_if_elif())
        if t.is_kw("else"):
            self.next()
            other = self.parse_exp(1)
            self.expect_kw("end")
            return If(cond, then, other)
        if t.is_kw("end"):
            self.next()
            return If(cond, then, None)
        raise self.error(t)

    def parse_reduce(self) -> Node:
        kw = self.next().val
        src = self.parse_term()
        if not self.peek().is_kw("as"):
            raise self.error(self.peek(), "FIELD or as or '.' or '['")
        self.next()
        pats = self.parse_patterns()
        self.expect_op("(", "'('")
        init = self.parse_exp(1)
        self.expect_op(";")
        update = self.parse_exp(1)
        if kw == "reduce":
            self.expect_op(")")
            return Reduce(src, pats, init, update)
        extract = None
        if self.peek().is_op(";"):
            self.next()
            extract = self.parse_exp(1)
        self.expect_op(")")
        return Foreach(src, pats, init, update, extract)

    def parse_patterns(self) -> list[Pattern]:
        pats = [self.parse_pattern()]
        while self.peek().is_op("?//"):
            self.next()
            pats.append(self.parse_pattern())
        return pats

    def parse_pattern(self) -> Pattern:
        t = self.peek()
        if t.is_op("$"):
            self.next()
            nt = self.peek()
            if nt.kind not in ("IDENT", "KW") or nt.is_kw("__loc__"):
                raise self.error(nt)
            self.next()
            return Pattern("var", nt.val)
        if t.is_op("["):
            self.next()
            elems = [self.parse_pattern()]
            while self.peek().is_op(","):
                self.next()
                elems.append(self.parse_pattern())
            self.expect_op("]")
            return Pattern("array", elems)
        if t.is_op("{"):
            self.next()
            entries = [self.parse_objpat_entry()]
            while self.peek().is_op(","):
                self.next()
                entries.append(self.parse_objpat_entry())
            self.expect_op("}")
            return Pattern("object", entries)
        raise self.error(t)

    def parse_objpat_entry(self) -> tuple[Node, str | None, Pattern | None]:
        t = self.peek()
        if t.is_op("$"):
            self.next()
            nt = self.peek()
            if nt.kind not in ("IDENT", "KW"):
                raise self.error(nt)
            self.next()
            sub = None
            if self.peek().is_op(":"):
                self.next()
                sub = self.parse_pattern()
            return Literal(nt.val), nt.val, sub
        if t.kind in ("IDENT", "KW"):
            self.next()
            self.expect_op(":")
            return Literal(t.val), None, self.parse_pattern()
        if t.kind == "QQSTART" or t.kind == "FORMAT":
            key = self.parse_string()
            self.expect_op(":")
            return key, None, self.parse_pattern()
        if t.is_op("("):
            self.next()
            key = self.parse_exp(1)
            self.expect_op(")")
            self.expect_op(":")
            return key, None, self.parse_pattern()
        raise self.error(t)

    def parse_object(self) -> Node:
        entries: list[tuple[Node, Node]] = []
        while True:
            t = self.peek()
            if t.is_op("}"):
                self.next()
                break
            entries.append(self.parse_object_entry())
            t = self.peek()
            if t.is_op(","):
                self.next()
                continue
            if t.is_op("}"):
                self.next()
                break
            raise self.error(t, "'}'")
        return ObjectCons(entries)

    def parse_object_entry(self) -> tuple[Node, Node]:
        t = self.peek()
        if t.kind in ("IDENT", "KW") and not t.is_kw("__loc__"):
            self.next()
            if self.peek().is_op(":"):
                self.next()
                return Literal(t.val), self.parse_expd()
            return Literal(t.val), Index(IDENTITY, Literal(t.val), False)
        if t.is_op("$"):
            self.next()
            nt = self.peek()
            if nt.is_kw("__loc__"):
                self.next()
                loc = Literal({"file": "<top-level>", "line": float(self.line_of(t.pos))})
                return Literal("__loc__"), loc
            if nt.kind not in ("IDENT", "KW"):
                raise self.error(nt, "IDENT")
            self.next()
            if self.peek().is_op(":"):
                self.next()
                return Var(nt.val, t.pos), self.parse_expd()
            return Literal(nt.val), Var(nt.val, t.pos)
        if t.kind == "QQSTART" or t.kind == "FORMAT":
            if t.kind == "FORMAT" and self.peek(1).kind != "QQSTART":
                self.next()
                raise self.error(self.peek(), "QQSTRING_START")
            key = self.parse_string()
            if self.peek().is_op(":"):
                self.next()
                return key, self.parse_expd()
            return key, Index(IDENTITY, key, False)
        if t.is_op("("):
            self.next()
            key = self.parse_exp(1)
            self.expect_op(")")
            self.expect_op(":")
            return key, self.parse_expd()
        raise self.error(t)

    def parse_expd(self) -> Node:
        left = self.parse_expd_unary()
        if self.peek().is_op("|"):
            self.next()
            return Pipe(left, self.parse_expd())
        return left

    def parse_expd_unary(self) -> Node:
        if self.peek().is_op("-"):
            self.next()
            return Neg(self.parse_expd_unary())
        node = self.parse_term()
        while self.peek().is_op("?"):
            self.next()
            node = Try(node, None)
        return node

    def parse_string(self) -> Node:
        fmt = None
        t = self.peek()
        if t.kind == "FORMAT":
            fmt = self.next().val
        t = self.peek()
        if t.kind != "QQSTART":
            raise self.error(t, "QQSTRING_START")
        self.next()
        parts: list[str | Node] = []
        while True:
            t = self.peek()
            if t.kind == "QQTEXT":
                self.next()
                if parts and isinstance(parts[-1], str):
                    parts[-1] += t.val
                else:
                    parts.append(t.val)
            elif t.kind == "QQINTERP_START":
                self.next()
                parts.append(self.parse_exp(1))
                t = self.peek()
                if t.kind != "QQINTERP_END":
                    raise self.error(t)
                self.next()
            elif t.kind == "QQEND":
                self.next()
                break
            else:
                raise self.error(t, "QQSTRING_TEXT or QQSTRING_INTERP_START or QQSTRING_END")
        if all(isinstance(p, str) for p in parts):
            return Literal("".join(parts))  # type: ignore[arg-type]
        return StringInterp(parts, fmt)


def make_binop(op: str, left: Node, right: Node, pos: int) -> Node:
    if op == "|":
        return Pipe(left, right)
    if op == ",":
        return Comma(left, right)
    if op == "//":
        return Alt(left, right)
    if op == "and":
        return And(left, right)
    if op == "or":
        return Or(left, right)
    if op in ("=", "|=", "+=", "-=", "*=", "/=", "%=", "//="):
        return Assign(op, left, right)
    if (
        op in ("/", "%")
        and isinstance(left, Literal)
        and isinstance(right, Literal)
        and is_num(left.value)
        and is_num(right.value)
        and (right.value == 0 if op == "/" else c_int(right.value, 64) == 0)
    ):
        raise SyntaxErr("Division by zero?" if op == "/" else "Remainder by zero?", pos)
    return BinOp(op, left, right)


# ---------------------------------------------------------------------------
# Runtime environment


class Env:
    """A linked frame of lexical bindings: ``$name`` variables, ``name/arity``
    functions and ``*label-name`` labels."""

    __slots__ = ("key", "parent", "rt", "value")

    def __init__(self, parent: Env | None, key: str, value: Any, rt: Any = None) -> None:
        self.parent = parent
        self.key = key
        self.value = value
        self.rt = parent.rt if parent is not None else rt


def lookup(env: Env | None, key: str) -> Any:
    e = env
    while e is not None:
        if e.key == key:
            return e.value
        e = e.parent
    raise JQError(f"{key} is not defined")


class UserFn:
    __slots__ = ("defn", "env")

    def __init__(self, defn: FuncDef, env: Env) -> None:
        self.defn = defn
        self.env = env


class ArgFn:
    __slots__ = ("env", "node")

    def __init__(self, node: Node, env: Env) -> None:
        self.node = node
        self.env = env


class Scope:
    """Static scope for the binding pass."""

    __slots__ = ("name", "parent")

    def __init__(self, parent: Scope | None, name: str) -> None:
        self.parent = parent
        self.name = name

    def has(self, name: str) -> bool:
        s: Scope | None = self
        while s is not None:
            if s.name == name:
                return True
            s = s.parent
        return False


class Binder:
    def __init__(self, builtins: set[str], globals_: set[str]) -> None:
        self.builtins = builtins
        self.globals = globals_
        self.errors: list[tuple[str, int]] = []


def _invalid_path(v: Value) -> JQError:
    return JQError(f"Invalid path expression with result {trunc(v, 30)}")


# ---------------------------------------------------------------------------
# AST nodes


class Node:
    simple = False

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        raise NotImplementedError

    def ev1(self, inp: Value, env: Env) -> Value:
        raise NotImplementedError

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        for v in self.ev(inp, env):
            yield v, None

    def bind(self, scope: Scope, b: Binder) -> None:
        pass


class IdentityNode(Node):
    simple = True

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return (inp,)

    def ev1(self, inp: Value, env: Env) -> Value:
        return inp

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        yield inp, path


IDENTITY = IdentityNode()


class Literal(Node):
    simple = True

    def __init__(self, value: Value) -> None:
        self.value = value

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return (self.value,)

    def ev1(self, inp: Value, env: Env) -> Value:
        return self.value


class Var(Node):
    simple = True

    def __init__(self, name: str, pos: int) -> None:
        self.name = name
        self.key = "$" + name
        self.pos = pos

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return (lookup(env, self.key),)

    def ev1(self, inp: Value, env: Env) -> Value:
        return lookup(env, self.key)

    def bind(self, scope: Scope, b: Binder) -> None:
        if not scope.has(self.key) and self.name not in b.globals:
            b.errors.append((f"${self.name} is not defined", self.pos))


class SliceKey(Node):
    def __init__(self, start: Node | None, end: Node | None) -> None:
        self.start = start
        self.end = end
        self.simple = (start is None or start.simple) and (end is None or end.simple)

    def ev1(self, inp: Value, env: Env) -> Value:
        s = self.start.ev1(inp, env) if self.start is not None else None
        e = self.end.ev1(inp, env) if self.end is not None else None
        return {"start": s, "end": e}

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        starts = self.start.ev(inp, env) if self.start is not None else (None,)
        for s in starts:
            ends = self.end.ev(inp, env) if self.end is not None else (None,)
            for e in ends:
                yield {"start": s, "end": e}

    def bind(self, scope: Scope, b: Binder) -> None:
        if self.start is not None:
            self.start.bind(scope, b)
        if self.end is not None:
            self.end.bind(scope, b)
        self.simple = (self.start is None or self.start.simple) and (
            self.end is None or self.end.simple
        )


class Index(Node):
    def __init__(self, target: Node, key: Node, opt: bool) -> None:
        self.target = target
        self.key = key
        self.opt = opt
        self.simple = target.simple and key.simple and not opt
        self.kconst = key.value if isinstance(key, Literal) and type(key.value) is str else None

    def ev1(self, inp: Value, env: Env) -> Value:
        kc = self.kconst
        if kc is not None:
            t = self.target.ev1(inp, env)
            if type(t) is dict:
                return t.get(kc)
            if t is None:
                return None
            raise index_err(t, kc)
        k = self.key.ev1(inp, env)
        return index_value(self.target.ev1(inp, env), k)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        opt = self.opt
        for k in self.key.ev(inp, env):
            for t in self.target.ev(inp, env):
                if opt:
                    try:
                        r = index_value(t, k)
                    except JQError:
                        continue
                    yield r
                else:
                    yield index_value(t, k)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        for k in self.key.ev(inp, env):
            for t, tp in self.target.paths(inp, path, env):
                if tp is None:
                    raise JQError(
                        "Invalid path expression near attempt to access element "
                        f"{trunc(k)} of {trunc(t, 30)}"
                    )
                try:
                    r = index_value(t, k)
                except JQError:
                    if self.opt:
                        continue
                    raise
                yield r, (*tp, k)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.target.bind(scope, b)
        self.key.bind(scope, b)
        self.simple = self.target.simple and self.key.simple and not self.opt


class Iterate(Node):
    def __init__(self, target: Node, opt: bool) -> None:
        self.target = target
        self.opt = opt

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.target is IDENTITY:
            t = type(inp)
            if t is list:
                return inp
            if t is dict:
                return inp.values()
            if self.opt:
                return ()
            raise JQError(f"Cannot iterate over {kind_val(inp)}")
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        for t in self.target.ev(inp, env):
            tt = type(t)
            if tt is list:
                yield from t
            elif tt is dict:
                yield from t.values()
            elif not self.opt:
                raise JQError(f"Cannot iterate over {kind_val(t)}")

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        for t, tp in self.target.paths(inp, path, env):
            if tp is None:
                raise JQError(
                    f"Invalid path expression near attempt to iterate through {trunc(t, 30)}"
                )
            tt = type(t)
            if tt is list:
                for i, x in enumerate(t):
                    yield x, (*tp, float(i))
            elif tt is dict:
                for k, x in t.items():
                    yield x, (*tp, k)
            elif not self.opt:
                raise JQError(f"Cannot iterate over {kind_val(t)}")

    def bind(self, scope: Scope, b: Binder) -> None:
        self.target.bind(scope, b)


class RecurseAll(Node):
    """``..`` = ``recurse(.[]?)``"""

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return recurse_values(inp, env.rt)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        return recurse_paths(inp, path, env.rt)


def recurse_values(v: Value, rt: Any) -> Iterator[Value]:
    stack = [v]
    n = 0
    while stack:
        x = stack.pop()
        yield x
        t = type(x)
        if t is list:
            stack.extend(reversed(x))
        elif t is dict:
            stack.extend(reversed(list(x.values())))
        n += 1
        if n & 1023 == 0:
            rt.check()


def recurse_paths(v: Value, path: Any, rt: Any) -> Iterator[tuple[Value, Any]]:
    if path is None:
        yield v, None
        t = type(v)
        if t is list or t is dict:
            raise JQError(f"Invalid path expression near attempt to iterate through {trunc(v, 30)}")
        return
    stack = [(v, path)]
    n = 0
    while stack:
        x, p = stack.pop()
        yield x, p
        t = type(x)
        if t is list:
            stack.extend(reversed([(c, (*p, float(i))) for i, c in enumerate(x)]))
        elif t is dict:
            stack.extend(reversed([(c, (*p, k)) for k, c in x.items()]))
        n += 1
        if n & 1023 == 0:
            rt.check()


class Pipe(Node):
    def __init__(self, left: Node, right: Node) -> None:
        self.left = left
        self.right = right
        self.simple = left.simple and right.simple

    def ev1(self, inp: Value, env: Env) -> Value:
        return self.right.ev1(self.left.ev1(inp, env), env)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.left.simple:
            return self.right.ev(self.left.ev1(inp, env), env)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        right = self.right
        for v in self.left.ev(inp, env):
            yield from right.ev(v, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        right = self.right
        for v, p in self.left.paths(inp, path, env):
            yield from right.paths(v, p, env)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.left.bind(scope, b)
        self.right.bind(scope, b)
        self.simple = self.left.simple and self.right.simple


class Comma(Node):
    def __init__(self, left: Node, right: Node) -> None:
        self.left = left
        self.right = right

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        yield from self.left.ev(inp, env)
        yield from self.right.ev(inp, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        yield from self.left.paths(inp, path, env)
        yield from self.right.paths(inp, path, env)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.left.bind(scope, b)
        self.right.bind(scope, b)


class Neg(Node):
    def __init__(self, expr: Node) -> None:
        self.expr = expr
        self.simple = expr.simple

    def ev1(self, inp: Value, env: Env) -> Value:
        return op_neg(self.expr.ev1(inp, env))

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return (op_neg(v) for v in self.expr.ev(inp, env))

    def bind(self, scope: Scope, b: Binder) -> None:
        self.expr.bind(scope, b)
        self.simple = self.expr.simple


class BinOp(Node):
    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op = op
        self.fn = BINOPS[op]
        self.left = left
        self.right = right
        self.simple = left.simple and right.simple

    def ev1(self, inp: Value, env: Env) -> Value:
        r = self.right.ev1(inp, env)
        return self.fn(self.left.ev1(inp, env), r)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        fn = self.fn
        for r in self.right.ev(inp, env):
            for v in self.left.ev(inp, env):
                yield fn(v, r)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.left.bind(scope, b)
        self.right.bind(scope, b)
        self.simple = self.left.simple and self.right.simple


class And(Node):
    def __init__(self, left: Node, right: Node) -> None:
        self.left = left
        self.right = right
        self.simple = left.simple and right.simple

    def ev1(self, inp: Value, env: Env) -> Value:
        if not truthy(self.left.ev1(inp, env)):
            return False
        return truthy(self.right.ev1(inp, env))

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        for v in self.left.ev(inp, env):
            if not truthy(v):
                yield False
                continue
            for r in self.right.ev(inp, env):
                yield truthy(r)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.left.bind(scope, b)
        self.right.bind(scope, b)
        self.simple = self.left.simple and self.right.simple


class Or(And):
    def ev1(self, inp: Value, env: Env) -> Value:
        if truthy(self.left.ev1(inp, env)):
            return True
        return truthy(self.right.ev1(inp, env))

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        for v in self.left.ev(inp, env):
            if truthy(v):
                yield True
                continue
            for r in self.right.ev(inp, env):
                yield truthy(r)


class Alt(Node):
    def __init__(self, left: Node, right: Node) -> None:
        self.left = left
        self.right = right

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        found = False
        for v in self.left.ev(inp, env):
            if truthy(v):
                found = True
                yield v
        if not found:
            yield from self.right.ev(inp, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        found = False
        for v, p in self.left.paths(inp, path, env):
            if truthy(v):
                found = True
                yield v, p
        if not found:
            yield from self.right.paths(inp, path, env)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.left.bind(scope, b)
        self.right.bind(scope, b)


class If(Node):
    def __init__(self, cond: Node, then: Node, other: Node | None) -> None:
        self.cond = cond
        self.then = then
        self.other = other if other is not None else IDENTITY
        self.simple = cond.simple and then.simple and self.other.simple

    def ev1(self, inp: Value, env: Env) -> Value:
        if truthy(self.cond.ev1(inp, env)):
            return self.then.ev1(inp, env)
        return self.other.ev1(inp, env)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        if self.cond.simple:
            if truthy(self.cond.ev1(inp, env)):
                return self.then.ev(inp, env)
            return self.other.ev(inp, env)
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        for c in self.cond.ev(inp, env):
            if truthy(c):
                yield from self.then.ev(inp, env)
            else:
                yield from self.other.ev(inp, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        for c in self.cond.ev(inp, env):
            if truthy(c):
                yield from self.then.paths(inp, path, env)
            else:
                yield from self.other.paths(inp, path, env)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.cond.bind(scope, b)
        self.then.bind(scope, b)
        self.other.bind(scope, b)
        self.simple = self.cond.simple and self.then.simple and self.other.simple


class Try(Node):
    def __init__(self, body: Node, handler: Node | None) -> None:
        self.body = body
        self.handler = handler

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        try:
            yield from self.body.ev(inp, env)
        except JQError as e:
            if self.handler is not None:
                yield from self.handler.ev(e.value, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        try:
            for v, p in self.body.paths(inp, path, env):
                yield v, p
        except JQError as e:
            if self.handler is not None:
                for v in self.handler.ev(e.value, env):
                    yield v, None

    def bind(self, scope: Scope, b: Binder) -> None:
        self.body.bind(scope, b)
        if self.handler is not None:
            self.handler.bind(scope, b)


class Label(Node):
    def __init__(self, name: str, body: Node) -> None:
        self.name = name
        self.key = "*label-" + name
        self.body = body

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        lab = object()
        try:
            yield from self.body.ev(inp, Env(env, self.key, lab))
        except BreakEx as b:
            if b.label is not lab:
                raise

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        lab = object()
        try:
            yield from self.body.paths(inp, path, Env(env, self.key, lab))
        except BreakEx as b:
            if b.label is not lab:
                raise

    def bind(self, scope: Scope, b: Binder) -> None:
        self.body.bind(Scope(scope, self.key), b)


class Break(Node):
    def __init__(self, name: str, pos: int) -> None:
        self.name = name
        self.key = "*label-" + name
        self.pos = pos

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        raise BreakEx(lookup(env, self.key))

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        raise BreakEx(lookup(env, self.key))

    def bind(self, scope: Scope, b: Binder) -> None:
        if not scope.has(self.key):
            b.errors.append((f"$*label-{self.name} is not defined", self.pos))


class Pattern:
    def __init__(self, kind: str, data: Any) -> None:
        self.kind = kind
        self.data = data

    def names(self) -> list[str]:
        if self.kind == "var":
            return [self.data]
        if self.kind == "array":
            return [n for p in self.data for n in p.names()]
        out: list[str] = []
        for _key, var, sub in self.data:
            if var is not None:
                out.append(var)
            if sub is not None:
                out.extend(sub.names())
        return out

    def bind(self, scope: Scope, b: Binder) -> Scope:
        if self.kind == "var":
            return Scope(scope, "$" + self.data)
        if self.kind == "array":
            for p in self.data:
                scope = p.bind(scope, b)
            return scope
        for key, var, sub in self.data:
            key.bind(scope, b)
            if var is not None:
                scope = Scope(scope, "$" + var)
            if sub is not None:
                scope = sub.bind(scope, b)
        return scope

    def destructure(self, val: Value, env: Env) -> Iterator[Env]:
        if self.kind == "var":
            yield Env(env, "$" + self.data, val)
        elif self.kind == "array":
            yield from self._arr(val, env, 0)
        else:
            yield from self._obj(val, env, 0)

    def _arr(self, val: Value, env: Env, i: int) -> Iterator[Env]:
        if i == len(self.data):
            yield env
            return
        sub = index_value(val, float(i))
        for e2 in self.data[i].destructure(sub, env):
            yield from self._arr(val, e2, i + 1)

    def _obj(self, val: Value, env: Env, i: int) -> Iterator[Env]:
        if i == len(self.data):
            yield env
            return
        key, var, sub = self.data[i]
        for k in key.ev(val, env):
            if type(k) is not str:
                raise JQError(f"Cannot index {kind(val)} with {kind(k)}")
            v = index_value(val, k)
            e2 = Env(env, "$" + var, v) if var is not None else env
            if sub is not None:
                for e3 in sub.destructure(v, e2):
                    yield from self._obj(val, e3, i + 1)
            else:
                yield from self._obj(val, e2, i + 1)


def _bindings(pats: list[Pattern], val: Value, env: Env) -> Iterator[Env]:
    """Environments for ``val as PATTERNS``; alternatives (``?//``) are handled
    by the callers that run a body."""
    return pats[0].destructure(val, env)


def _all_names(pats: list[Pattern]) -> list[str]:
    names: list[str] = []
    for p in pats:
        for n in p.names():
            if n not in names:
                names.append(n)
    return names


class Bind(Node):
    def __init__(self, source: Node, pats: list[Pattern], body: Node) -> None:
        self.source = source
        self.pats = pats
        self.body = body
        self.var = "$" + pats[0].data if len(pats) == 1 and pats[0].kind == "var" else None

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.var is not None and self.source.simple:
            return self.body.ev(inp, Env(env, self.var, self.source.ev1(inp, env)))
        return self._gen(inp, env)

    def _gen(self, inp: Value, env: Env) -> Iterator[Value]:
        body = self.body
        for x in self.source.ev(inp, env):
            if self.var is not None:
                yield from body.ev(inp, Env(env, self.var, x))
            elif len(self.pats) == 1:
                for e2 in self.pats[0].destructure(x, env):
                    yield from body.ev(inp, e2)
            else:
                yield from self._alts(x, inp, env, lambda e: body.ev(inp, e))

    def _alts(
        self, x: Value, inp: Value, env: Env, run: Callable[[Env], Iterable[Any]]
    ) -> Iterator[Any]:
        names = _all_names(self.pats)
        for i, pat in enumerate(self.pats):
            e0 = env
            for n in names:
                e0 = Env(e0, "$" + n, None)
            try:
                for e2 in pat.destructure(x, e0):
                    yield from run(e2)
                return
            except JQError:
                if i == len(self.pats) - 1:
                    raise

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        body = self.body
        for x in self.source.ev(inp, env):
            if len(self.pats) == 1:
                for e2 in self.pats[0].destructure(x, env):
                    yield from body.paths(inp, path, e2)
            else:
                yield from self._alts(x, inp, env, lambda e: body.paths(inp, path, e))

    def bind(self, scope: Scope, b: Binder) -> None:
        self.source.bind(scope, b)
        s = scope
        if len(self.pats) > 1:
            for n in _all_names(self.pats):
                s = Scope(s, "$" + n)
        for p in self.pats:
            s = p.bind(s, b)
        self.body.bind(s, b)


class Reduce(Node):
    def __init__(self, source: Node, pats: list[Pattern], init: Node, update: Node) -> None:
        self.source = source
        self.pats = pats
        self.init = init
        self.update = update
        self.simple = init.simple

    def _run(self, acc: Value, inp: Value, env: Env) -> Value:
        rt = env.rt
        update = self.update
        pat = self.pats[0]
        var = "$" + pat.data if pat.kind == "var" else None
        fast = None
        if (isinstance(update, Assign) and update.single()) or (
            isinstance(update, BinOp)
            and update.op == "+"
            and update.left is IDENTITY
            and update.right.simple
        ):
            fast = update
        owned = False  # whether acc's root container is ours alone
        for n, x in enumerate(self.source.ev(inp, env), 1):
            envs = (Env(env, var, x),) if var is not None else pat.destructure(x, env)
            for e2 in envs:
                if fast is None:
                    last = _NOTHING
                    for v in update.ev(acc, e2):
                        last = v
                    acc = None if last is _NOTHING else last
                elif type(fast) is Assign:
                    if fast.op == "|=":
                        acc, owned = fast.once(acc, e2, None, owned)
                    else:
                        acc, owned = fast.once(acc, e2, fast.rhs.ev1(acc, e2), owned)
                else:
                    r = fast.right.ev1(acc, e2)  # type: ignore[union-attr]
                    ta = type(acc)
                    if (
                        owned
                        and ta is type(r)
                        and (ta is list or ta is dict)
                        and not _reaches(r, acc)
                    ):
                        if ta is list:
                            acc.extend(r)
                        else:
                            acc.update(r)
                    else:
                        new = op_add(acc, r)
                        owned = new is not acc and new is not r and type(new) in (list, dict)
                        acc = new
            if n & 255 == 0:
                rt.check()
        return acc

    def ev1(self, inp: Value, env: Env) -> Value:
        return self._run(self.init.ev1(inp, env), inp, env)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return (self._run(acc, inp, env) for acc in self.init.ev(inp, env))

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        pat = self.pats[0]
        for acc, accp in self.init.paths(inp, path, env):
            for x in self.source.ev(inp, env):
                for e2 in pat.destructure(x, env):
                    last: Any = _NOTHING
                    for vp in self.update.paths(acc, accp, e2):
                        last = vp
                    acc, accp = (None, None) if last is _NOTHING else last
            yield acc, accp

    def bind(self, scope: Scope, b: Binder) -> None:
        self.source.bind(scope, b)
        self.init.bind(scope, b)
        s = scope
        for p in self.pats:
            s = p.bind(s, b)
        self.update.bind(s, b)
        self.simple = self.init.simple


class Foreach(Node):
    def __init__(
        self,
        source: Node,
        pats: list[Pattern],
        init: Node,
        update: Node,
        extract: Node | None,
    ) -> None:
        self.source = source
        self.pats = pats
        self.init = init
        self.update = update
        self.extract = extract

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        rt = env.rt
        pat = self.pats[0]
        update, extract = self.update, self.extract
        for acc in self.init.ev(inp, env):
            for n, x in enumerate(self.source.ev(inp, env), 1):
                for e2 in pat.destructure(x, env):
                    last = _NOTHING
                    for v in update.ev(acc, e2):
                        last = v
                        if extract is None:
                            yield v
                        else:
                            yield from extract.ev(v, e2)
                    acc = None if last is _NOTHING else last
                if n & 255 == 0:
                    rt.check()

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        pat = self.pats[0]
        for acc, accp in self.init.paths(inp, path, env):
            for x in self.source.ev(inp, env):
                for e2 in pat.destructure(x, env):
                    last: Any = _NOTHING
                    for v, p in self.update.paths(acc, accp, e2):
                        last = (v, p)
                        if self.extract is None:
                            yield v, p
                        else:
                            yield from self.extract.paths(v, p, e2)
                    acc, accp = (None, None) if last is _NOTHING else last

    def bind(self, scope: Scope, b: Binder) -> None:
        self.source.bind(scope, b)
        self.init.bind(scope, b)
        s = scope
        for p in self.pats:
            s = p.bind(s, b)
        self.update.bind(s, b)
        if self.extract is not None:
            self.extract.bind(s, b)


class FuncDef:
    def __init__(self, name: str, params: list[tuple[str, bool]], body: Node) -> None:
        self.name = name
        self.params = params
        self.body = body
        self.key = f"{name}/{len(params)}"

    def bind(self, scope: Scope, b: Binder) -> Scope:
        """Bind the body; returns the scope with this function added."""
        fscope = Scope(scope, self.key)
        s = fscope
        for pname, isvar in self.params:
            s = Scope(s, pname + "/0")
            if isvar:
                s = Scope(s, "$" + pname)
        self.body.bind(s, b)
        return fscope


class FuncDefs(Node):
    def __init__(self, defs: list[FuncDef], body: Node) -> None:
        self.defs = defs
        self.body = body

    def _env(self, env: Env) -> Env:
        for d in self.defs:
            env = Env(env, d.key, None)
            env.value = UserFn(d, env)
        return env

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return self.body.ev(inp, self._env(env))

    def paths(self, inp: Value, path: Any, env: Env) -> Iterator[tuple[Value, Any]]:
        return self.body.paths(inp, path, self._env(env))

    def bind(self, scope: Scope, b: Binder) -> None:
        for d in self.defs:
            scope = d.bind(scope, b)
        self.body.bind(scope, b)


def _call_user(fn: UserFn, args: list[Node], inp: Value, env: Env) -> Iterable[Value]:
    d = fn.defn
    if not args:
        return d.body.ev(inp, fn.env)
    e = fn.env
    vparams: list[tuple[str, Node]] = []
    for (pname, isvar), a in zip(d.params, args, strict=False):
        e = Env(e, pname + "/0", ArgFn(a, env))
        if isvar:
            vparams.append(("$" + pname, a))
    if not vparams:
        return d.body.ev(inp, e)
    return _vparams(d.body, vparams, 0, inp, e, env, False, None)


def _vparams(
    body: Node,
    vparams: list[tuple[str, Node]],
    i: int,
    inp: Value,
    e: Env,
    callenv: Env,
    pathmode: bool,
    path: Any,
) -> Iterator[Any]:
    if i == len(vparams):
        if pathmode:
            yield from body.paths(inp, path, e)
        else:
            yield from body.ev(inp, e)
        return
    key, a = vparams[i]
    for v in a.ev(inp, callenv):
        yield from _vparams(body, vparams, i + 1, inp, Env(e, key, v), callenv, pathmode, path)


def _call_user_paths(
    fn: UserFn, args: list[Node], inp: Value, path: Any, env: Env
) -> Iterator[tuple[Value, Any]]:
    d = fn.defn
    e = fn.env
    vparams: list[tuple[str, Node]] = []
    for (pname, isvar), a in zip(d.params, args, strict=False):
        e = Env(e, pname + "/0", ArgFn(a, env))
        if isvar:
            vparams.append(("$" + pname, a))
    if not vparams:
        return d.body.paths(inp, path, e)
    return _vparams(d.body, vparams, 0, inp, e, env, True, path)


class Native:
    """A built-in written in Python. ``kind`` "v": ``impl(inp, *argvalues)``
    returns one value, arguments are evaluated like jq's C functions (the last
    one varies slowest); "g": ``impl(inp, args, env)`` returns an iterator.
    ``pimpl(inp, path, args, env)`` makes it usable in path expressions."""

    def __init__(
        self,
        name: str,
        nargs: int,
        impl: Callable[..., Any],
        kind: str,
        pimpl: Callable[..., Iterator[tuple[Value, Any]]] | None = None,
    ) -> None:
        self.name = name
        self.nargs = nargs
        self.impl = impl
        self.kind = kind
        self.pimpl = pimpl

    def call(self, inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
        if self.kind == "v":
            if not args:
                return (self.impl(inp),)
            return self._cart(inp, args, env)
        return self.impl(inp, args, env)

    def _cart(self, inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
        n = len(args)
        vals: list[Value] = [None] * n
        impl = self.impl

        def rec(i: int) -> Iterator[Value]:
            if i < 0:
                yield impl(inp, *vals)
                return
            for v in args[i].ev(inp, env):
                vals[i] = v
                yield from rec(i - 1)

        return rec(n - 1)

    def call_paths(
        self, inp: Value, path: Any, args: list[Node], env: Env
    ) -> Iterable[tuple[Value, Any]]:
        if self.pimpl is not None:
            return self.pimpl(inp, path, args, env)
        return ((v, None) for v in self.call(inp, args, env))


NATIVES: dict[str, Native] = {}
PRELUDE: dict[str, FuncDef] = {}


class Call(Node):
    def __init__(self, name: str, args: list[Node], pos: int) -> None:
        self.name = name
        self.args = args
        self.key = f"{name}/{len(args)}"
        self.pos = pos
        self.local = True
        self.native: Native | None = None

    def ev1(self, inp: Value, env: Env) -> Value:
        nat = self.native
        assert nat is not None
        if not self.args:
            return nat.impl(inp)
        vals = [a.ev1(inp, env) for a in self.args]
        return nat.impl(inp, *vals)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        nat = self.native
        if nat is not None:
            if self.simple:
                return (self.ev1(inp, env),)
            return nat.call(inp, self.args, env)
        if self.local:
            fn = lookup(env, self.key)
            if type(fn) is ArgFn:
                return fn.node.ev(inp, fn.env)
        else:
            fn = env.rt.prelude[self.key]
        env.rt.tick()
        return _call_user(fn, self.args, inp, env)

    def paths(self, inp: Value, path: Any, env: Env) -> Iterable[tuple[Value, Any]]:
        nat = self.native
        if nat is not None:
            return nat.call_paths(inp, path, self.args, env)
        if self.local:
            fn = lookup(env, self.key)
            if type(fn) is ArgFn:
                return fn.node.paths(inp, path, fn.env)
        else:
            fn = env.rt.prelude[self.key]
        env.rt.tick()
        return _call_user_paths(fn, self.args, inp, path, env)

    def bind(self, scope: Scope, b: Binder) -> None:
        for a in self.args:
            a.bind(scope, b)
        if scope.has(self.key):
            self.local = True
            return
        if self.key in NATIVES:
            self.local = False
            self.native = NATIVES[self.key]
            self.simple = self.native.kind == "v" and all(a.simple for a in self.args)
            return
        if self.key in PRELUDE and self.key in b.builtins:
            self.local = False
            return
        b.errors.append((f"{self.key} is not defined", self.pos))


class ArrayCons(Node):
    simple = True

    def __init__(self, inner: Node | None) -> None:
        self.inner = inner

    def ev1(self, inp: Value, env: Env) -> Value:
        if self.inner is None:
            return []
        out = list(itertools.islice(self.inner.ev(inp, env), MAX_ARRAY + 1))
        if len(out) > MAX_ARRAY:
            raise JQError("Out of memory: array too long")
        return out

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return (self.ev1(inp, env),)

    def bind(self, scope: Scope, b: Binder) -> None:
        if self.inner is not None:
            self.inner.bind(scope, b)


def _objkey(k: Value) -> str:
    if type(k) is not str:
        raise JQError(f"Cannot use {kind_val(k)} as object key")
    return k


class ObjectCons(Node):
    def __init__(self, entries: list[tuple[Node, Node]]) -> None:
        self.entries = entries
        self.simple = all(k.simple and v.simple for k, v in entries)

    def ev1(self, inp: Value, env: Env) -> Value:
        r: dict[str, Value] = {}
        for k, v in self.entries:
            r[_objkey(k.ev1(inp, env))] = v.ev1(inp, env)
        return r

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        return self._gen(inp, env, 0, {})

    def _gen(self, inp: Value, env: Env, i: int, acc: dict[str, Value]) -> Iterator[Value]:
        if i == len(self.entries):
            yield acc
            return
        kn, vn = self.entries[i]
        for k in kn.ev(inp, env):
            k = _objkey(k)
            for v in vn.ev(inp, env):
                d = dict(acc)
                d[k] = v
                yield from self._gen(inp, env, i + 1, d)

    def bind(self, scope: Scope, b: Binder) -> None:
        for k, v in self.entries:
            k.bind(scope, b)
            v.bind(scope, b)
        self.simple = all(k.simple and v.simple for k, v in self.entries)


class StringInterp(Node):
    def __init__(self, parts: list[str | Node], fmt: str | None) -> None:
        self.parts = parts
        self.fmt = fmt
        self.nodes = [p for p in parts if isinstance(p, Node)]
        self.simple = all(n.simple for n in self.nodes)

    def _conv(self, v: Value) -> str:
        if self.fmt is None:
            return tostring(v)
        return apply_format(self.fmt, v)

    def _build(self, vals: list[str]) -> str:
        out: list[str] = []
        it = iter(vals)
        for p in self.parts:
            out.append(p if isinstance(p, str) else next(it))
        return "".join(out)

    def ev1(self, inp: Value, env: Env) -> Value:
        vals = [self._conv(n.ev1(inp, env)) for n in self.nodes]
        return self._build(vals)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        if self.simple:
            return (self.ev1(inp, env),)
        chosen: list[str] = [""] * len(self.nodes)
        return self._gen(inp, env, len(self.nodes), chosen)

    def _gen(self, inp: Value, env: Env, k: int, chosen: list[str]) -> Iterator[Value]:
        if k == 0:
            yield self._build(chosen)
            return
        for v in self.nodes[k - 1].ev(inp, env):
            chosen[k - 1] = self._conv(v)
            yield from self._gen(inp, env, k - 1, chosen)

    def bind(self, scope: Scope, b: Binder) -> None:
        for n in self.nodes:
            n.bind(scope, b)
        self.simple = all(n.simple for n in self.nodes)


class FormatNode(Node):
    simple = True

    def __init__(self, name: str) -> None:
        self.name = name

    def ev1(self, inp: Value, env: Env) -> Value:
        return apply_format(self.name, inp)

    def ev(self, inp: Value, env: Env) -> Iterable[Value]:
        return (apply_format(self.name, inp),)


def collect_paths(node: Node, inp: Value, env: Env) -> list[tuple[Value, ...]]:
    out = []
    for v, p in node.paths(inp, (), env):
        if p is None:
            raise _invalid_path(v)
        out.append(p)
    return out


class _Owned:
    """Containers this update created itself (so it may change them in place),
    as a trie over path keys; the root node stands for the whole value."""

    __slots__ = ("kids",)

    def __init__(self) -> None:
        self.kids: dict[Any, _Owned] = {}


class _Unowned(Exception):
    pass


def _tkey(container: Value, k: Value) -> Any:
    if type(container) is list:
        if not is_num(k):
            raise _Unowned()
        i = c_int(k)
        return i + len(container) if i < 0 else i
    if type(k) is not str:
        raise _Unowned()
    return k


def _fresh(x: Value, nextkey: Value) -> Value:
    if x is None:
        return {} if type(nextkey) is str else []
    if type(x) is dict:
        return dict(x)
    if type(x) is list:
        return list(x)
    return set_value(x, nextkey, None)  # raises jq's error


def _set_inplace(c: Value, k: Value, v: Value, node: _Owned) -> None:
    tk = type(k)
    if type(c) is dict and tk is str:
        c[k] = v
    elif type(c) is list and (tk is float or tk is int):
        i = c_int(k)
        if i < 0:
            i += len(c)
            if i < 0:
                raise JQError("Out of bounds negative array index")
        if i >= len(c):
            if i - len(c) > 100_000_000:
                raise JQError("Out of memory: array index too large")
            c.extend([None] * (i - len(c) + 1))
        c[i] = v
    elif type(c) is list and tk is dict:
        sl = parse_slice(c, k)
        if sl is None:
            raise JQError("Start and end indices of an array slice must be numbers")
        if type(v) is not list:
            raise JQError("A slice of an array can only be assigned another array")
        c[sl[0] : sl[1]] = v
        node.kids.clear()
    else:
        raise JQError(f"Cannot update field at object index of {kind(c)}")


def _setpath_owned(
    root: Value, rootnode: _Owned | None, path: tuple[Value, ...], value: Value
) -> tuple[Value, _Owned]:
    """setpath, changing the containers we own in place."""
    n = len(path)
    index_value(root, path[0])  # the errors setpath would raise
    if rootnode is None:
        root = _fresh(root, path[0])
        rootnode = _Owned()
    c, node = root, rootnode
    for i in range(n - 1):
        k = path[i]
        child = index_value(c, k)
        index_value(child, path[i + 1])
        tk = _tkey(c, k)
        cnode = node.kids.get(tk)
        if cnode is None:
            child = _fresh(child, path[i + 1])
            cnode = _Owned()
            _set_inplace(c, k, child, node)
            node.kids[tk] = cnode
        c, node = child, cnode
    tk = _tkey(c, path[-1]) if type(path[-1]) is not dict else None
    _set_inplace(c, path[-1], value, node)
    if tk is not None:
        node.kids.pop(tk, None)
    return root, rootnode


def _expose(root: Value, rootnode: _Owned | None, path: tuple[Value, ...]) -> _Owned | None:
    """The value at ``path`` is handed out: forget what we own inside it."""
    if rootnode is None or not path:
        return None
    c, node = root, rootnode
    try:
        for k in path[:-1]:
            tk = _tkey(c, k)
            nxt = node.kids.get(tk)
            if nxt is None:
                return rootnode
            c = index_value(c, k)
            node = nxt
        node.kids.pop(_tkey(c, path[-1]), None)
    except (_Unowned, JQError):
        return None
    return rootnode


def _reaches(x: Value, target: Value) -> bool:
    """Whether the container ``target`` is ``x`` or inside it."""
    stack = [x]
    while stack:
        y = stack.pop()
        if y is target:
            return True
        t = type(y)
        if t is list:
            stack.extend(z for z in y if type(z) is list or type(z) is dict)
        elif t is dict:
            stack.extend(z for z in y.values() if type(z) is list or type(z) is dict)
    return False


def _set_paths(
    v: Value, rootnode: _Owned | None, p: tuple[Value, ...], nv: Value
) -> tuple[Value, _Owned | None]:
    if not p:
        return nv, None
    try:
        return _setpath_owned(v, rootnode, p, nv)
    except _Unowned:
        return setpath(v, p, nv), None


def modify(
    inp: Value,
    lhs: Node,
    env: Env,
    update: Callable[[Value], Iterable[Value]],
    owned: bool = False,
) -> tuple[Value, bool]:
    """jq 1.6's _modify(paths; update); also says whether the result's root
    container is our own (``owned``: the input's root already is)."""
    v = inp
    rootnode = _Owned() if owned and (type(inp) is dict or type(inp) is list) else None
    rt = env.rt
    for n, p in enumerate(collect_paths(lhs, inp, env), 1):
        cur = getpath(v, p)
        rootnode = _expose(v, rootnode, p)
        for nv in update(cur):
            v, rootnode = _set_paths(v, rootnode, p, nv)
            break
        else:
            v = delpaths(v, [list(p)])
            rootnode = None
        if n & 255 == 0:
            rt.check()
    return v, rootnode is not None


def assign(inp: Value, lhs: Node, env: Env, x: Value, owned: bool = False) -> tuple[Value, bool]:
    v = inp
    if owned and _reaches(x, inp):
        owned = False
    rootnode = _Owned() if owned and (type(inp) is dict or type(inp) is list) else None
    for p in collect_paths(lhs, inp, env):
        v, rootnode = _set_paths(v, rootnode, p, x)
    return v, rootnode is not None


class Assign(Node):
    def __init__(self, op: str, lhs: Node, rhs: Node) -> None:
        self.op = op
        self.lhs = lhs
        self.rhs = rhs

    def ev(self, inp: Value, env: Env) -> Iterator[Value]:
        op, rhs = self.op, self.rhs
        if op == "|=":
            yield self.once(inp, env, inp, False)[0]
            return
        for x in rhs.ev(inp, env):
            yield self.once(inp, env, x, False)[0]

    def single(self) -> bool:
        return self.op == "|=" or self.rhs.simple

    def once(self, inp: Value, env: Env, x: Value, owned: bool) -> tuple[Value, bool]:
        """One output: ``x`` is the value of the right-hand side (unused for |=)."""
        op, lhs, rhs = self.op, self.lhs, self.rhs
        if op == "|=":
            return modify(inp, lhs, env, lambda cur: rhs.ev(cur, env), owned)
        if op == "=":
            return assign(inp, lhs, env, x, owned)
        if owned and _reaches(x, inp):
            owned = False
        if op == "//=":
            return modify(inp, lhs, env, lambda cur: (cur if truthy(cur) else x,), owned)
        fn = BINOPS[op[0]]
        return modify(inp, lhs, env, lambda cur: (fn(cur, x),), owned)

    def bind(self, scope: Scope, b: Binder) -> None:
        self.lhs.bind(scope, b)
        self.rhs.bind(scope, b)


# ---------------------------------------------------------------------------
# Formats (@base64, @csv, ...)

_URI_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
_B64_RE = re.compile(r"[A-Za-z0-9+/]*=*\Z")


def _sh_quote(x: Value) -> str:
    if type(x) is str:
        return "'" + x.replace("'", "'\\''") + "'"
    if type(x) is list or type(x) is dict:
        raise JQError(f"{kind_val(x)} can not be escaped for shell")
    return tojson(x)


def apply_format(name: str, v: Value) -> str:
    if name == "text":
        return tostring(v)
    if name == "json":
        return tojson(v)
    if name == "html":
        s = tostring(v)
        return (
            s.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("'", "&apos;")
            .replace('"', "&quot;")
        )
    if name == "uri":
        b = tostring(v).encode("utf-8", "surrogateescape")
        return "".join(chr(c) if c in _URI_SAFE else f"%{c:02X}" for c in b)
    if name == "csv" or name == "tsv":
        if type(v) is not list:
            raise JQError(f"{kind_val(v)} cannot be {name}-formatted, only array")
        out = []
        for x in v:
            t = type(x)
            if t is float or t is int:
                out.append(fmt_num(x))
            elif t is bool:
                out.append("true" if x else "false")
            elif x is None:
                out.append("")
            elif t is str:
                if name == "csv":
                    out.append('"' + x.replace('"', '""') + '"')
                else:
                    out.append(
                        x.replace("\\", "\\\\")
                        .replace("\t", "\\t")
                        .replace("\n", "\\n")
                        .replace("\r", "\\r")
                    )
            else:
                raise JQError(f"{kind_val(x)} is not valid in a csv row")
        return ("," if name == "csv" else "\t").join(out)
    if name == "sh":
        if type(v) is list:
            return " ".join(_sh_quote(x) for x in v)
        return _sh_quote(v)
    if name == "base64":
        return base64.b64encode(tostring(v).encode("utf-8", "surrogateescape")).decode()
    if name == "base64d":
        s = tostring(v)
        if not _B64_RE.match(s):
            raise JQError(f"{kind_val(s)} is not valid base64 data")
        s = s.rstrip("=")
        if len(s) % 4 == 1:
            raise JQError(f"{kind_val(tostring(v))} trailing base64 byte found")
        try:
            data = base64.b64decode(s + "=" * (-len(s) % 4))
        except ValueError:
            raise JQError(f"{kind_val(s)} is not valid base64 data") from None
        return data.decode("utf-8", "replace")
    raise JQError(f"{name} is not a valid format")


# ---------------------------------------------------------------------------
# Built-in functions written in Python


def _nat(
    name: str,
    nargs: int = 0,
    kind: str = "v",
    pimpl: Callable[..., Iterator[tuple[Value, Any]]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        impl = fn
        k = kind
        if kind == "vg":  # value arguments, several outputs: flatten the cartesian product

            def impl(inp: Value, args: list[Node], env: Env, fn: Any = fn) -> Iterator[Value]:
                n = len(args)
                vals: list[Value] = [None] * n

                def rec(i: int) -> Iterator[Value]:
                    if i < 0:
                        yield from fn(inp, *vals)
                        return
                    for v in args[i].ev(inp, env):
                        vals[i] = v
                        yield from rec(i - 1)

                return rec(n - 1)

            k = "g"
        NATIVES[f"{name}/{nargs}"] = Native(name, nargs, impl, k, pimpl)
        return fn

    return deco


def _pairs(node: Node, inp: Value, path: Any, env: Env) -> Iterable[tuple[Value, Any]]:
    """Outputs of ``node`` as (value, path) pairs; ``path`` _NOTHING = value mode."""
    if path is _NOTHING:
        return ((v, _NOTHING) for v in node.ev(inp, env))
    return node.paths(inp, path, env)


def _valuemode(
    pimpl: Callable[..., Iterable[tuple[Value, Any]]],
) -> Callable[[Value, list[Node], Env], Iterator[Value]]:
    def impl(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
        for v, _ in pimpl(inp, _NOTHING, args, env):
            yield v

    return impl


def _pnat(name: str, nargs: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A built-in usable in path expressions, written once over (value, path)."""

    def deco(pimpl: Callable[..., Any]) -> Callable[..., Any]:
        NATIVES[f"{name}/{nargs}"] = Native(name, nargs, _valuemode(pimpl), "g", pimpl)
        return pimpl

    return deco


# -- core


@_nat("empty", 0, "g", pimpl=lambda inp, path, args, env: ())
def _empty(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return ()


def _raise_error(v: Value) -> Iterable[Any]:
    if v is None:
        return ()  # jq 1.6: error(null) is indistinguishable from empty
    raise JQError(v)


@_nat("error", 0, "g", pimpl=lambda inp, path, args, env: _raise_error(inp))
def _error0(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return _raise_error(inp)


def _error1_gen(inp: Value, args: list[Node], env: Env) -> Iterator[Any]:
    for m in args[0].ev(inp, env):
        yield from _raise_error(m)


NATIVES["error/1"] = Native(
    "error", 1, _error1_gen, "g", lambda inp, path, args, env: _error1_gen(inp, args, env)
)


@_nat("not")
def _not(inp: Value) -> Value:
    return not truthy(inp)


@_nat("length")
def _length(v: Value) -> Value:
    t = type(v)
    if t is str or t is list or t is dict:
        return float(len(v))
    if v is None:
        return 0.0
    if t is float or t is int:
        return float(abs(v))
    raise JQError(f"{kind_val(v)} has no length")


@_nat("utf8bytelength")
def _utf8len(v: Value) -> Value:
    if type(v) is not str:
        raise JQError(f"{kind_val(v)} only strings have UTF-8 byte length")
    return float(len(v.encode("utf-8", "surrogateescape")))


@_nat("type")
def _type(v: Value) -> Value:
    return kind(v)


@_nat("keys")
def _keys(v: Value) -> Value:
    return keys_of(v, True)


@_nat("keys_unsorted")
def _keys_unsorted(v: Value) -> Value:
    return keys_of(v, False)


@_nat("has", 1)
def _has(v: Value, k: Value) -> Value:
    if v is None:
        return False
    if type(v) is dict and type(k) is str:
        return k in v
    if type(v) is list and is_num(k):
        return 0 <= k < len(v)
    raise JQError(f"Cannot check whether {kind(v)} has a {kind(k)} key")


def _contains(a: Value, b: Value) -> bool:
    ta = type(a)
    if ta is dict:
        return all(k in a and _contains(a[k], bv) for k, bv in b.items())
    if ta is list:
        return all(any(_contains(x, y) for x in a) for y in b)
    if ta is str:
        return b.split("\x00")[0] in a.split("\x00")[0] if "\x00" in a + b else b in a
    return jeq(a, b)


def _ckind(v: Value) -> str:
    return "true" if v is True else "false" if v is False else kind(v)


@_nat("contains", 1)
def _contains_n(a: Value, b: Value) -> Value:
    if _ckind(a) != _ckind(b):
        raise JQError(f"{kind_val(a)} and {kind_val(b)} cannot have their containment checked")
    return _contains(a, b)


@_nat("tostring")
def _tostring(v: Value) -> Value:
    return tostring(v)


@_nat("tojson")
def _tojson(v: Value) -> Value:
    return tojson(v)


@_nat("fromjson")
def _fromjson(v: Value) -> Value:
    if type(v) is not str:
        raise JQError(f"{kind_val(v)} only strings can be parsed")
    try:
        return parse_json_text(v)
    except JSONParseError as e:
        raise JQError(str(e)) from None


@_nat("tonumber")
def _tonumber(v: Value) -> Value:
    if is_num(v):
        return v
    if type(v) is str:
        try:
            r = parse_json_text(v)
        except JSONParseError as e:
            raise JQError(str(e)) from None
        if is_num(r):
            return r
    raise JQError(f"{kind_val(v)} cannot be parsed as a number")


@_nat("infinite")
def _infinite(v: Value) -> Value:
    return math.inf


@_nat("nan")
def _nan(v: Value) -> Value:
    return math.nan


def _num(v: Value, what: str) -> float:
    if not is_num(v):
        raise JQError(f"{kind_val(v)} number required")
    return float(v)


@_nat("isinfinite")
def _isinfinite(v: Value) -> Value:
    return math.isinf(_num(v, "isinfinite"))


@_nat("isnan")
def _isnan(v: Value) -> Value:
    return math.isnan(_num(v, "isnan"))


@_nat("isnormal")
def _isnormal(v: Value) -> Value:
    x = _num(v, "isnormal")
    return math.isfinite(x) and abs(x) >= sys.float_info.min


@_nat("sort")
def _sort(v: Value) -> Value:
    if type(v) is not list:
        raise JQError(f"{kind_val(v)} cannot be sorted, as it is not an array")
    return sorted(v, key=sort_key)


def _need_array(v: Value, what: str = "sorted") -> list[Value]:
    if type(v) is not list:
        raise JQError(f"{kind_val(v)} cannot be {what}, as it is not an array")
    return v


def _by_keys(
    inp: Value, f: Node, env: Env, what: str = "sorted, as they are not both arrays"
) -> tuple[list[Value], list[Any]]:
    items = list(iter_values(inp))
    raw = [list(f.ev(x, env)) for x in items]
    if type(inp) is not list:
        raise JQError(f"{kind_val(inp)} and {kind_val(raw)} cannot be {what}")
    return items, [sort_key(k) for k in raw]


def _sort_by(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    items, keys = _by_keys(inp, args[0], env)
    order = sorted(range(len(items)), key=keys.__getitem__)
    return ([items[i] for i in order],)


def _group(inp: Value, f: Node, env: Env) -> list[list[Value]]:
    items, keys = _by_keys(inp, f, env)
    order = sorted(range(len(items)), key=keys.__getitem__)
    groups: list[list[Value]] = []
    last: Any = _NOTHING
    for i in order:
        if last is _NOTHING or keys[i] != last:
            groups.append([])
            last = keys[i]
        groups[-1].append(items[i])
    return groups


def _group_by(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return (_group(inp, args[0], env),)


def _unique_by(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return ([g[0] for g in _group(inp, args[0], env)],)


def _minmax(items: list[Value], keys: list[Any], is_min: bool) -> Value:
    if not items:
        return None
    ret, rk = items[0], keys[0]
    for item, k in zip(items[1:], keys[1:], strict=False):
        if (k < rk) == is_min:
            ret, rk = item, k
    return ret


def _min_by(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    items, keys = _by_keys(inp, args[0], env, "iterated over")
    return (_minmax(items, keys, True),)


def _max_by(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    items, keys = _by_keys(inp, args[0], env, "iterated over")
    return (_minmax(items, keys, False),)


for _name, _fn in (
    ("sort_by", _sort_by),
    ("group_by", _group_by),
    ("unique_by", _unique_by),
    ("min_by", _min_by),
    ("max_by", _max_by),
):
    NATIVES[f"{_name}/1"] = Native(_name, 1, _fn, "g")


def _minmax_input(v: Value) -> list[Value]:
    if type(v) is not list:
        raise JQError(f"{kind_val(v)} and {kind_val(v)} cannot be iterated over")
    return v


@_nat("min")
def _min(v: Value) -> Value:
    items = _minmax_input(v)
    return _minmax(items, [sort_key(x) for x in items], True)


@_nat("max")
def _max(v: Value) -> Value:
    items = _minmax_input(v)
    return _minmax(items, [sort_key(x) for x in items], False)


@_nat("unique")
def _unique(v: Value) -> Value:
    items = _need_array(v)
    out: list[Value] = []
    last: Any = _NOTHING
    for k, x in sorted(((sort_key(x), x) for x in items), key=lambda p: p[0]):
        if last is _NOTHING or k != last:
            out.append(x)
            last = k
    return out


@_nat("add")
def _add(v: Value) -> Value:
    items = list(iter_values(v))
    if not items:
        return None
    t0 = type(items[0])
    if all(type(x) is t0 for x in items):
        if t0 is str:
            return "".join(items)
        if t0 is list:
            return list(itertools.chain.from_iterable(items))
        if t0 is dict:
            r: dict[str, Value] = {}
            for x in items:
                r.update(x)
            return r
    acc: Value = None
    for x in items:
        acc = op_add(acc, x)
    return acc


@_nat("reverse")
def _reverse(v: Value) -> Value:
    if type(v) is list:
        return v[::-1]
    if v is None:
        return []
    n = _length(v)
    if n == 0:
        return []
    raise index_err(v, 0.0)


def _mathfn(name: str, fn: Callable[..., float], nargs: int = 0) -> None:
    def impl(inp: Value, *args: Value) -> Value:
        xs = [inp] if nargs == 0 else list(args)
        for x in xs:
            if not is_num(x):
                raise JQError(f"{kind_val(x)} number required")
        try:
            return float(fn(*[float(x) for x in xs]))
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf

    NATIVES[f"{name}/{nargs}"] = Native(name, nargs, impl, "v")


def _c_round(x: float) -> float:
    """C's round(): halfway cases away from zero."""
    if not math.isfinite(x):
        return x
    t = math.trunc(x)
    if abs(x - t) == 0.5:
        return t + math.copysign(1.0, x)
    return float(round(x))


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    if x < 0:
        return math.nan
    return math.log(x)


def _logb(x: float) -> float:
    if x == 0:
        return -math.inf
    if not math.isfinite(x):
        return abs(x)
    return float(math.frexp(x)[1] - 1)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        if a == 0 and b < 0:
            return math.inf
        return math.nan


def _significand(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return math.frexp(x)[0] * 2


def _lgamma(x: float) -> float:
    try:
        return math.lgamma(x)
    except ValueError:
        return math.inf


for _name, _fn in {
    "floor": math.floor,
    "sqrt": lambda x: math.sqrt(x) if x >= 0 else math.nan,
    "ceil": math.ceil,
    "round": _c_round,
    "fabs": math.fabs,
    "trunc": math.trunc,
    "rint": round,
    "nearbyint": round,
    "exp": math.exp,
    "exp2": lambda x: 2.0**x,
    "exp10": lambda x: 10.0**x,
    "pow10": lambda x: 10.0**x,
    "expm1": math.expm1,
    "log": _log,
    "log2": lambda x: _log(x) / math.log(2) if x > 0 else _log(x),
    "log10": lambda x: math.log10(x) if x > 0 else _log(x),
    "log1p": lambda x: math.log1p(x) if x > -1 else _log(x + 1),
    "logb": _logb,
    "significand": _significand,
    "gamma": _lgamma,
    "lgamma": _lgamma,
    "tgamma": math.gamma,
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "erf": math.erf,
    "erfc": math.erfc,
}.items():
    _mathfn(_name, _fn)

for _name, _fn in {
    "pow": _pow,
    "atan2": math.atan2,
    "fmin": lambda a, b: b if a != a else a if b != b else min(a, b),
    "fmax": lambda a, b: b if a != a else a if b != b else max(a, b),
    "fmod": math.fmod,
    "hypot": math.hypot,
    "copysign": math.copysign,
    "fdim": lambda a, b: a - b if a > b else 0.0,
    "drem": math.remainder,
    "remainder": math.remainder,
    "nextafter": math.nextafter,
    "nexttoward": math.nextafter,
    "ldexp": lambda a, b: math.ldexp(a, int(b)),
    "scalb": lambda a, b: a * 2.0**b,
    "scalbln": lambda a, b: math.ldexp(a, int(b)),
}.items():
    _mathfn(_name, _fn, 2)

_mathfn("fma", lambda a, b, c: a * b + c, 3)


@_nat("frexp")
def _frexp(v: Value) -> Value:
    m, e = math.frexp(_num(v, "frexp"))
    return [m, float(e)]


@_nat("modf")
def _modf(v: Value) -> Value:
    f, i = math.modf(_num(v, "modf"))
    return [f, i]


@_nat("lgamma_r")
def _lgamma_r(v: Value) -> Value:
    x = _num(v, "lgamma_r")
    sign = -1.0 if x < 0 and math.floor(x) != x and math.floor(x) % 2 else 1.0
    return [_lgamma(x), sign]


# -- strings


def _need_str(v: Value, what: str) -> str:
    if type(v) is not str:
        raise JQError(what)
    return v


@_nat("ascii_downcase")
def _ascii_downcase(v: Value) -> Value:
    _need_str(v, "explode input must be a string")
    return v.translate(_LOWER)


@_nat("ascii_upcase")
def _ascii_upcase(v: Value) -> Value:
    _need_str(v, "explode input must be a string")
    return v.translate(_UPPER)


_LOWER = {c: c + 32 for c in range(65, 91)}
_UPPER = {c: c - 32 for c in range(97, 123)}


@_nat("explode")
def _explode(v: Value) -> Value:
    _need_str(v, "explode input must be a string")
    return [float(ord(c)) for c in v]


@_nat("implode")
def _implode(v: Value) -> Value:
    if type(v) is not list:
        raise JQError("implode input must be an array")
    out = []
    for c in v:
        if not is_num(c):
            raise JQError("Unicode codepoint must be numeric")
        i = c_int(c)
        if i < 0 or i > 0x10FFFF or 0xD800 <= i <= 0xDFFF:
            i = 0xFFFD
        out.append(chr(i))
    return "".join(out)


@_nat("ltrimstr", 1)
def _ltrimstr(v: Value, x: Value) -> Value:
    if type(v) is str and type(x) is str and v.startswith(x):
        return v[len(x) :]
    return v


@_nat("rtrimstr", 1)
def _rtrimstr(v: Value, x: Value) -> Value:
    if type(v) is str and type(x) is str and v.endswith(x) and x:
        return v[: len(v) - len(x)]
    return v


@_nat("startswith", 1)
def _startswith(v: Value, x: Value) -> Value:
    if type(v) is not str or type(x) is not str:
        raise JQError("startswith() requires string inputs")
    return v.startswith(x)


@_nat("endswith", 1)
def _endswith(v: Value, x: Value) -> Value:
    if type(v) is not str or type(x) is not str:
        raise JQError("endswith() requires string inputs")
    return v.endswith(x)


@_nat("split", 1)
def _split1(v: Value, sep: Value) -> Value:
    if type(v) is not str or type(sep) is not str:
        raise JQError("split input and separator must be strings")
    return split_str(v, sep)


@_nat("join", 1)
def _join(v: Value, sep: Value) -> Value:
    acc: Value = None
    for x in iter_values(v):
        a = "" if acc is None else op_add(acc, sep)
        if x is None:
            b: Value = ""
        elif type(x) is bool or is_num(x):
            b = tojson(x)
        else:
            b = x
        acc = op_add(a, b)
    return acc if truthy(acc) else ""


@_nat("format", 1)
def _format(v: Value, name: Value) -> Value:
    if type(name) is not str:
        raise JQError(f"{kind_val(name)} is not a valid format")
    return apply_format(name, v)


def _strindices(s: str, x: str) -> list[Value]:
    bs = s.encode("utf-8", "surrogateescape")
    bx = x.encode("utf-8", "surrogateescape")
    out: list[Value] = []
    if not bx:
        return out
    i = bs.find(bx)
    while i >= 0:
        out.append(float(i))
        i = bs.find(bx, i + 1)
    return out


@_nat("indices", 1)
def _indices(v: Value, i: Value) -> Value:
    if v is None:
        return None
    if type(v) is list and type(i) is list:
        return array_indexes(v, i)
    if type(v) is list:
        return array_indexes(v, [i])
    if type(v) is str and type(i) is str:
        return _strindices(v, i)
    return index_value(v, i)


@_nat("index", 1)
def _index(v: Value, i: Value) -> Value:
    r = _indices(v, i)
    return index_value(r, 0.0)


@_nat("rindex", 1)
def _rindex(v: Value, i: Value) -> Value:
    r = _indices(v, i)
    if r is None:
        return None
    return index_value(index_value(r, {"start": -1.0, "end": None}), 0.0)


# -- regular expressions (jq uses Oniguruma; translate the common syntax)

_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\r\f\v",
    "blank": r" \t",
    "punct": r"!-/:-@\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}
_POSIX_NEG = {
    "alpha": r"\W\d_",
    "digit": r"\D",
    "alnum": r"\W_",
    "space": r"\S",
    "word": r"\W",
    "upper": r"\x00-@\[-\U0010ffff",
    "lower": r"\x00-`{-\U0010ffff",
}
_UPROPS = {
    "alpha": (r"^\W\d_", r"\W\d_"),
    "l": (r"^\W\d_", r"\W\d_"),
    "letter": (r"^\W\d_", r"\W\d_"),
    "digit": (r"\d", r"\D"),
    "nd": (r"\d", r"\D"),
    "n": (r"\d", r"\D"),
    "alnum": (r"^\W_", r"\W_"),
    "word": (r"\w", r"\W"),
    "space": (r"\s", r"\S"),
    "upper": ("A-Z", r"\x00-@\[-\U0010ffff"),
    "lu": ("A-Z", r"\x00-@\[-\U0010ffff"),
    "lower": ("a-z", r"\x00-`{-\U0010ffff"),
    "ll": ("a-z", r"\x00-`{-\U0010ffff"),
    "punct": (r"!-/:-@\[-`{-~", r"^!-/:-@\[-`{-~"),
    "p": (r"!-/:-@\[-`{-~", r"^!-/:-@\[-`{-~"),
}
_RX_CACHE: dict[tuple[str, str], tuple[re.Pattern[str], bool, bool]] = {}


def _translate_regex(p: str) -> str:
    out: list[str] = []
    i, n = 0, len(p)
    in_class = False
    while i < n:
        c = p[i]
        if c == "\\" and i + 1 < n:
            d = p[i + 1]
            if d == "z":
                out.append(r"\Z")
            elif d == "Z":
                out.append(r"(?=\n?\Z)")
            elif d in "pP" and i + 2 < n and p[i + 2] == "{":
                j = p.find("}", i + 3)
                if j > 0:
                    name = p[i + 3 : j].lower().lstrip("^")
                    neg = (d == "P") != p[i + 3 : j].startswith("^")
                    cls = _UPROPS.get(name)
                    if cls is not None:
                        body = cls[1] if neg else cls[0]
                        out.append(body if in_class else "[" + body + "]")
                        i = j + 1
                        continue
                out.append(p[i : i + 2])
            elif d == "k" and i + 2 < n and p[i + 2] == "<":
                j = p.find(">", i + 3)
                out.append("(?P=" + p[i + 3 : j] + ")" if j > 0 else p[i : i + 2])
                if j > 0:
                    i = j + 1
                    continue
            elif d.isascii() and d.isalpha() and d not in "dDsSwWbBAZnrtfvaxuUN":
                out.append(d)
            else:
                out.append(p[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and p.startswith("[:", i):
                j = p.find(":]", i + 2)
                if j > 0:
                    name = p[i + 2 : j]
                    neg = name.startswith("^")
                    cls = _POSIX.get(name.lstrip("^"))
                    if neg:
                        cls = _POSIX_NEG.get(name[1:])
                    if cls is not None:
                        out.append(cls)
                        i = j + 2
                        continue
            if c == "[":
                out.append("\\[")
                i += 1
                continue
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and p[i] == "^":
                out.append("^")
                i += 1
            if i < n and p[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if p.startswith("(?<", i) and i + 3 < n and p[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _regex(re_: Value, flags: Value) -> tuple[re.Pattern[str], bool, bool]:
    if type(re_) is not str:
        raise JQError(f"{kind_val(re_)} is not a string")
    if flags is None:
        flags = ""
    if type(flags) is not str:
        raise JQError(f"{kind_val(flags)} is not a string")
    key = (re_, flags)
    hit = _RX_CACHE.get(key)
    if hit is not None:
        return hit
    f = 0
    glob = skip_empty = False
    for ch in flags:
        if ch == "g":
            glob = True
        elif ch == "i":
            f |= re.I
        elif ch == "x":
            f |= re.X
        elif ch == "n":
            skip_empty = True
        elif ch == "p":
            f |= re.S
        elif ch in "sl":
            pass
        else:
            raise JQError(f"{flags} is not a valid modifier string")
    try:
        rx = saferegex.compile(_translate_regex(re_), f)
    except re.error as e:
        raise JQError(f"Regex failure: {e.msg}") from None
    if len(_RX_CACHE) > 500:
        _RX_CACHE.clear()
    _RX_CACHE[key] = (rx, glob, skip_empty)
    return rx, glob, skip_empty


def _match_objs(
    s: Value, re_: Value, flags: Value, test: bool = False, force_global: bool = False
) -> Iterator[Value]:
    if type(s) is not str:
        raise JQError(f"{kind_val(s)} cannot be matched, as it is not a string")
    rx, glob, skip_empty = _regex(re_, flags)
    glob = glob or force_global
    names = {i: n for n, i in rx.groupindex.items()}
    start, end = 0, len(s)
    while True:
        if start > end:
            break
        m = rx.search(s, start)
        if m is None:
            break
        if not (skip_empty and m.end() == m.start()):
            if test:
                yield True
                return
            caps = []
            for g in range(1, (rx.groups or 0) + 1):
                if m.start(g) == -1:
                    caps.append(
                        {"offset": -1.0, "string": None, "length": 0.0, "name": names.get(g)}
                    )
                else:
                    caps.append(
                        {
                            "offset": float(m.start(g)),
                            "length": float(m.end(g) - m.start(g)),
                            "string": m.group(g),
                            "name": names.get(g),
                        }
                    )
            yield {
                "offset": float(m.start()),
                "length": float(m.end() - m.start()),
                "string": m.group(),
                "captures": caps,
            }
        start = start + 1 if m.end() == m.start() else m.end()
        if not glob or start == end:
            break


def _re_args(v: Value, *args: Value) -> tuple[Value, Value]:
    if len(args) == 2:
        return args[0], args[1]
    a = args[0]
    if type(a) is str:
        return a, None
    if type(a) is list and len(a) > 1:
        return a[0], a[1]
    if type(a) is list and len(a) > 0:
        return a[0], None
    raise JQError(f"{kind(a)} not a string or array")


def _test(v: Value, *args: Value) -> Value:
    re_, flags = _re_args(v, *args)
    return any(True for _ in _match_objs(v, re_, flags, test=True))


def _match(v: Value, *args: Value) -> Iterator[Value]:
    re_, flags = _re_args(v, *args)
    return _match_objs(v, re_, flags)


def _capture_obj(m: dict[str, Value]) -> dict[str, Value]:
    r: dict[str, Value] = {}
    for c in m["captures"]:
        if c["name"] is not None:
            r[c["name"]] = c["string"]
    return r


def _capture(v: Value, *args: Value) -> Iterator[Value]:
    re_, flags = _re_args(v, *args)
    for m in _match_objs(v, re_, flags):
        yield _capture_obj(m)


def _scan(v: Value, re_: Value) -> Iterator[Value]:
    for m in _match_objs(v, re_, "g"):
        if m["captures"]:
            yield [c["string"] for c in m["captures"]]
        else:
            yield m["string"]


def _splits(v: Value, re_: Value, flags: Value = None) -> Iterator[Value]:
    if type(v) is not str:
        raise JQError(f"{kind_val(v)} cannot be matched, as it is not a string")
    if flags is not None and type(flags) is not str:
        raise JQError(f"{kind_val(flags)} is not a string")
    prev = 0
    for m in _match_objs(v, re_, "g" + (flags or "")):
        off = int(m["offset"])
        yield v[prev:off]
        prev = off + int(m["length"])
    yield v[prev:]


_nat("test", 1)(_test)
_nat("test", 2)(_test)
_nat("match", 1, "vg")(_match)
_nat("match", 2, "vg")(_match)
_nat("capture", 1, "vg")(_capture)
_nat("capture", 2, "vg")(_capture)
_nat("scan", 1, "vg")(_scan)
_nat("splits", 1, "vg")(_splits)
_nat("splits", 2, "vg")(_splits)


@_nat("split", 2)
def _split2(v: Value, re_: Value, flags: Value) -> Value:
    return list(_splits(v, re_, flags))


def _sub_impl(inp: Value, args: list[Node], env: Env, glob: bool) -> Iterator[Value]:
    flag_nodes = args[2].ev(inp, env) if len(args) > 2 else ("",)
    for flags in flag_nodes:
        for re_ in args[0].ev(inp, env):
            yield from _sub_one(inp, re_, args[1], env, flags, glob)


def _sub_one(
    s: Value, re_: Value, repl: Node, env: Env, flags: Value, glob: bool
) -> Iterator[Value]:
    if type(re_) is list and re_:
        re_, flags = re_[0], (re_[1] if len(re_) > 1 and re_[1] is not None else flags)
    elif type(re_) is not str:
        raise JQError(f"{kind(re_)} not a string or array")
    if type(flags) is not str:
        raise JQError(f"{kind_val(flags)} is not a string")
    if "g" in flags:
        glob = True
        flags = flags.replace("g", "")
    if type(s) is not str:
        raise JQError(f"{kind_val(s)} cannot be matched, as it is not a string")
    # each match is searched in what follows the previous one, as jq 1.6 does
    pieces: list[str] = []
    reps: list[list[Value]] = []
    text = s
    while True:
        ms = list(itertools.islice(_match_objs(text, re_, flags), 1))
        if not ms:
            break
        m = ms[0]
        off, ln = int(m["offset"]), int(m["length"])
        pieces.append(text[:off])
        reps.append(list(repl.ev(_capture_obj(m), env)))
        if ln == 0:
            if not glob or off >= len(text):
                text = text[off:]
                break
            pieces.append(text[off])
            reps.append([""])
            text = text[off + 1 :]
        else:
            text = text[off + ln :]
        if not glob or not text:
            break
        env.rt.tick()
    if not reps:
        yield s
        return
    for combo in itertools.product(*reversed(reps)):
        acc: Value = ""
        for piece, r in zip(pieces, reversed(combo), strict=False):
            acc = op_add(op_add(acc, piece), r)
        yield op_add(acc, text)


NATIVES["sub/2"] = Native("sub", 2, lambda i, a, e: _sub_impl(i, a, e, False), "g")
NATIVES["sub/3"] = Native("sub", 3, lambda i, a, e: _sub_impl(i, a, e, False), "g")
NATIVES["gsub/2"] = Native("gsub", 2, lambda i, a, e: _sub_impl(i, a, e, True), "g")
NATIVES["gsub/3"] = Native("gsub", 3, lambda i, a, e: _sub_impl(i, a, e, True), "g")


# -- paths


@_nat("getpath", 1, pimpl=None)
def _getpath(v: Value, p: Value) -> Value:
    if type(p) is not list:
        raise JQError("Path must be specified as an array")
    return getpath(v, p)


def _getpath_paths(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    for p in args[0].ev(inp, env):
        v = _getpath(inp, p)
        yield v, (None if path is None else path + tuple(p))


NATIVES["getpath/1"].pimpl = _getpath_paths


@_nat("setpath", 2)
def _setpath(v: Value, p: Value, x: Value) -> Value:
    if type(p) is not list:
        raise JQError("Path must be specified as an array")
    return setpath(v, p, x)


@_nat("delpaths", 1)
def _delpaths(v: Value, ps: Value) -> Value:
    return delpaths(v, ps)


def _path_gen(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
    for v, p in args[0].paths(inp, (), env):
        if p is None:
            raise _invalid_path(v)
        yield list(p)


NATIVES["path/1"] = Native("path", 1, _path_gen, "g")


def _del_gen(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return (delpaths(inp, [list(p) for p in collect_paths(args[0], inp, env)]),)


NATIVES["del/1"] = Native("del", 1, _del_gen, "g")


def iter_paths(v: Value, rt: Any) -> Iterator[tuple[tuple[Value, ...], Value]]:
    stack: list[tuple[tuple[Value, ...], Value]] = [((), v)]
    n = 0
    while stack:
        p, x = stack.pop()
        if p:
            yield p, x
        t = type(x)
        if t is list:
            stack.extend(reversed([((*p, float(i)), c) for i, c in enumerate(x)]))
        elif t is dict:
            stack.extend(reversed([((*p, k), c) for k, c in x.items()]))
        n += 1
        if n & 1023 == 0:
            rt.check()


NATIVES["paths/0"] = Native(
    "paths", 0, lambda inp, args, env: (list(p) for p, _ in iter_paths(inp, env.rt)), "g"
)


@_nat("to_entries")
def _to_entries(v: Value) -> Value:
    if type(v) is dict:
        return [{"key": k, "value": x} for k, x in v.items()]
    return [{"key": k, "value": index_value(v, k)} for k in keys_of(v, False)]


@_nat("from_entries")
def _from_entries(v: Value) -> Value:
    r: dict[str, Value] = {}
    for e in iter_values(v):
        k: Value = None
        for name in ("key", "Key", "name", "Name"):
            k = index_value(e, name)
            if truthy(k):
                break
        if type(e) is dict and "value" in e:
            val = e["value"]
        elif type(e) is dict or e is None:
            if e is None:
                _has(e, "value")
            val = index_value(e, "Value")
        else:
            val = _has(e, "value")
        r[_objkey(k)] = val
    return r


def _with_entries(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    f = args[0]
    ents = [y for x in _to_entries(inp) for y in f.ev(x, env)]
    return (_from_entries(ents),)


NATIVES["with_entries/1"] = Native("with_entries", 1, _with_entries, "g")


def _map(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    f = args[0]
    if f.simple:
        return ([f.ev1(x, env) for x in iter_values(inp)],)
    return ([y for x in iter_values(inp) for y in f.ev(x, env)],)


NATIVES["map/1"] = Native("map", 1, _map, "g")


def _map_values(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    f = args[0]
    t = type(inp)
    if t is list:
        out = []
        for x in inp:
            for y in f.ev(x, env):
                out.append(y)
                break
        if len(out) == len(inp):
            return (out,)
    elif t is dict:
        r = {}
        for k, x in inp.items():
            for y in f.ev(x, env):
                r[k] = y
                break
        return (r,)
    return (modify(inp, Iterate(IDENTITY, False), env, lambda cur: f.ev(cur, env))[0],)


NATIVES["map_values/1"] = Native("map_values", 1, _map_values, "g")


def _select_p(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    for c in args[0].ev(inp, env):
        if truthy(c):
            yield inp, path


def _select(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    f = args[0]
    if f.simple:
        return (inp,) if truthy(f.ev1(inp, env)) else ()
    return (inp for c in f.ev(inp, env) if truthy(c))


NATIVES["select/1"] = Native("select", 1, _select, "g", _select_p)


def _recurse0(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return recurse_values(inp, env.rt)


NATIVES["recurse/0"] = Native(
    "recurse", 0, _recurse0, "g", lambda inp, path, args, env: recurse_paths(inp, path, env.rt)
)


def _dfs(
    start: Iterable[tuple[bool, Value, Any]],
    step: Callable[[Value, Any], Iterable[tuple[bool, Value, Any]]],
    rt: Any,
) -> Iterator[tuple[Value, Any]]:
    """Depth-first expansion without Python recursion: ``step`` gives items
    (output?, value, path); non-output items are expanded with ``step``."""
    stack = [iter(start)]
    n = 0
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        out, v, p = item
        if out:
            yield v, p
        else:
            stack.append(iter(step(v, p)))
        n += 1
        if n & 1023 == 0:
            rt.check()


@_pnat("recurse", 1)
def _recurse1(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    f = args[0]

    def step(v: Value, p: Any) -> Iterator[tuple[bool, Value, Any]]:
        yield True, v, p
        for w, q in _pairs(f, v, p, env):
            yield False, w, q

    return _dfs(step(inp, path), step, env.rt)


@_pnat("recurse", 2)
def _recurse2(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    f, cond = args

    def step(v: Value, p: Any) -> Iterator[tuple[bool, Value, Any]]:
        yield True, v, p
        for w, q in _pairs(f, v, p, env):
            for c in cond.ev(w, env):
                if truthy(c):
                    yield False, w, q

    return _dfs(step(inp, path), step, env.rt)


@_pnat("until", 2)
def _until(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    cond, nxt = args

    def step(v: Value, p: Any) -> Iterator[tuple[bool, Value, Any]]:
        for c in cond.ev(v, env):
            if truthy(c):
                yield True, v, p
            else:
                for w, q in _pairs(nxt, v, p, env):
                    yield False, w, q

    return _dfs(step(inp, path), step, env.rt)


@_pnat("while", 2)
def _while(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    cond, update = args

    def step(v: Value, p: Any) -> Iterator[tuple[bool, Value, Any]]:
        for c in cond.ev(v, env):
            if truthy(c):
                yield True, v, p
                for w, q in _pairs(update, v, p, env):
                    yield False, w, q

    return _dfs(step(inp, path), step, env.rt)


@_pnat("repeat", 1)
def _repeat(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    rt = env.rt
    while True:
        yield from _pairs(args[0], inp, path, env)
        rt.check()


@_pnat("limit", 2)
def _limit(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    # jq 1.6: if $n < 0 then f else foreach f ($n; .-1; $item, if . <= 0 then break ...)
    for n in args[0].ev(inp, env):
        if jcmp(n, 0.0) < 0:
            yield from _pairs(args[1], inp, path, env)
            continue
        state = n
        for vp in _pairs(args[1], inp, path, env):
            state = op_sub(state, 1.0)
            yield vp
            if jcmp(state, 0.0) <= 0:
                break


@_pnat("first", 1)
def _first(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    for vp in _pairs(args[0], inp, path, env):
        yield vp
        return


@_pnat("last", 1)
def _last(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    last: Any = (None, None)
    for vp in _pairs(args[0], inp, path, env):
        last = vp
    yield last


@_pnat("nth", 2)
def _nth(inp: Value, path: Any, args: list[Node], env: Env) -> Iterator[Any]:
    for n in args[0].ev(inp, env):
        if jcmp(n, 0.0) < 0:
            raise JQError("nth doesn't support negative indices")
        last: Any = (None, None)
        for k, vp in enumerate(_pairs(args[1], inp, path, env), 1):
            last = vp
            if jcmp(op_add(n, 1.0), float(k)) <= 0:
                break
        yield last


def _isempty(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    for _ in args[0].ev(inp, env):
        return (False,)
    return (True,)


NATIVES["isempty/1"] = Native("isempty", 1, _isempty, "g")


def _anyall(is_any: bool, gen: Node | None, cond: Node | None) -> Callable[..., Iterable[Value]]:
    def impl(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
        g = args[0] if gen is None and len(args) == 2 else gen
        c = args[-1] if cond is None else cond
        items = iter_values(inp) if g is None else g.ev(inp, env)
        for x in items:
            for r in c.ev(x, env) if c is not None else (x,):
                if truthy(r) == is_any:
                    return (is_any,)
        return (not is_any,)

    return impl


NATIVES["any/0"] = Native("any", 0, _anyall(True, None, IDENTITY), "g")
NATIVES["all/0"] = Native("all", 0, _anyall(False, None, IDENTITY), "g")
NATIVES["any/1"] = Native("any", 1, _anyall(True, None, None), "g")
NATIVES["all/1"] = Native("all", 1, _anyall(False, None, None), "g")
NATIVES["any/2"] = Native("any", 2, _anyall(True, None, None), "g")
NATIVES["all/2"] = Native("all", 2, _anyall(False, None, None), "g")


def _range_gen(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
    rt = env.rt
    if len(args) == 1:
        pairs: Iterable[tuple[Value, Value]] = ((0.0, u) for u in args[0].ev(inp, env))
    else:
        pairs = ((f, u) for f in args[0].ev(inp, env) for u in args[1].ev(inp, env))
    for f, u in pairs:
        if not is_num(f) or not is_num(u):
            raise JQError("Range bounds must be numeric")
        x = float(f)
        n = 0
        while x < u:
            yield x
            x += 1
            n += 1
            if n & 1023 == 0:
                rt.check()


NATIVES["range/1"] = Native("range", 1, _range_gen, "g")
NATIVES["range/2"] = Native("range", 2, _range_gen, "g")


def _range3(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
    rt = env.rt
    for init in args[0].ev(inp, env):
        for upto in args[1].ev(inp, env):
            for by in args[2].ev(inp, env):
                c = jcmp(by, 0.0)
                if c == 0:
                    continue
                x = init
                n = 0
                while jcmp(x, upto) * c < 0:
                    yield x
                    x = op_add(x, by)
                    n += 1
                    if n & 1023 == 0:
                        rt.check()


NATIVES["range/3"] = Native("range", 3, _range3, "g")


def _flatten(v: Value, depth: Value) -> list[Value]:
    out: list[Value] = []
    for x in iter_values(v):
        if type(x) is list and not jeq(depth, 0.0):
            out.extend(_flatten(x, op_sub(depth, 1.0)))
        else:
            out.append(x)
    return out


@_nat("flatten", 1)
def _flatten1(v: Value, depth: Value) -> Value:
    if jcmp(depth, 0.0) < 0:
        raise JQError("flatten depth must not be negative")
    return _flatten(v, depth)


@_nat("flatten")
def _flatten0(v: Value) -> Value:
    return _flatten(v, -1.0)


# -- input/output and the environment


def _input(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    return (env.rt.next_input(),)


def _inputs(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
    rt = env.rt
    while True:
        try:
            v = rt.next_input()
        except NoMoreInputs:
            return
        yield v


class NoMoreInputs(JQError):
    def __init__(self) -> None:
        super().__init__("No more inputs")


NATIVES["input/0"] = Native("input", 0, _input, "g")
NATIVES["inputs/0"] = Native("inputs", 0, _inputs, "g")


def _debug(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    env.rt.stderr(dump(["DEBUG:", inp]) + "\n")
    return (inp,)


def _stderr(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    env.rt.stderr(dump(inp))
    return (inp,)


NATIVES["debug/0"] = Native("debug", 0, _debug, "g")
NATIVES["stderr/0"] = Native("stderr", 0, _stderr, "g")
NATIVES["input_filename/0"] = Native(
    "input_filename", 0, lambda inp, args, env: (env.rt.input_filename(),), "g"
)
NATIVES["input_line_number/0"] = Native(
    "input_line_number", 0, lambda inp, args, env: (env.rt.input_line_number(),), "g"
)
NATIVES["env/0"] = Native("env", 0, lambda inp, args, env: (env.rt.environ,), "g")
NATIVES["now/0"] = Native("now", 0, lambda inp, args, env: (time.time(),), "g")
NATIVES["builtins/0"] = Native(
    "builtins", 0, lambda inp, args, env: (sorted(set(NATIVES) | set(PRELUDE)),), "g"
)


def _halt(inp: Value, args: list[Node], env: Env) -> Iterable[Value]:
    raise HaltEx(0, None, False)


def _halt_error(inp: Value, args: list[Node], env: Env) -> Iterator[Value]:
    codes = args[0].ev(inp, env) if args else (5.0,)
    for code in codes:
        if not is_num(code):
            raise JQError(f"{kind_val(inp)} halt_error/1: number required")
        raise HaltEx(code, inp, True)
    yield from ()


NATIVES["halt/0"] = Native("halt", 0, _halt, "g")
NATIVES["halt_error/0"] = Native("halt_error", 0, _halt_error, "g")
NATIVES["halt_error/1"] = Native("halt_error", 1, _halt_error, "g")


# -- dates


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _gmtime_list(t: float) -> list[Value]:
    if not math.isfinite(t):
        raise JQError("errror converting number of seconds since epoch to datetime")
    secs = int(t)
    days, rem = divmod(secs, 86400)
    y, m, d = _civil_from_days(days)
    yday = days - _days_from_civil(y, 1, 1)
    wday = (days + 4) % 7
    frac = t - math.floor(t)
    return [
        float(y),
        float(m - 1),
        float(d),
        float(rem // 3600),
        float(rem % 3600 // 60),
        float(rem % 60) + frac,
        float(wday),
        float(yday),
    ]


@_nat("gmtime")
def _gmtime(v: Value) -> Value:
    if not is_num(v):
        raise JQError("gmtime() requires numeric inputs")
    return _gmtime_list(float(v))


@_nat("localtime")
def _localtime(v: Value) -> Value:
    if not is_num(v):
        raise JQError("localtime() requires numeric inputs")
    try:
        tm = time.localtime(int(v))
    except (OverflowError, OSError, ValueError):
        raise JQError("errror converting number of seconds since epoch to datetime") from None
    return [
        float(tm.tm_year),
        float(tm.tm_mon - 1),
        float(tm.tm_mday),
        float(tm.tm_hour),
        float(tm.tm_min),
        float(tm.tm_sec) + (float(v) - math.floor(v)),
        float((tm.tm_wday + 1) % 7),
        float(tm.tm_yday - 1),
    ]


def _tm(v: Value, what: str) -> list[int]:
    if type(v) is not list:
        raise JQError(f"{what} requires array inputs")
    if len(v) < 6 or not all(is_num(x) for x in v[:6]):
        raise JQError(f"{what} requires parsed datetime inputs")
    return [c_int(x) for x in v] + [0] * (8 - len(v))


@_nat("mktime")
def _mktime(v: Value) -> Value:
    y, mo, d, h, mi, s = _tm(v, "mktime")[:6]
    y += mo // 12
    mo %= 12
    days = _days_from_civil(y, mo + 1, 1) + d - 1
    return float(days * 86400 + h * 3600 + mi * 60 + s)


def _strftime_impl(v: Value, fmt: Value, name: str, local: bool) -> Value:
    if is_num(v):
        v = _localtime(v) if local else _gmtime(v)
    elif type(v) is not list:
        raise JQError(f"{name} requires parsed datetime inputs")
    if type(fmt) is not str:
        raise JQError(f"{name} requires a string format")
    tm = _tm(v, name)
    try:
        st = (tm[0], tm[1] + 1, tm[2], tm[3], tm[4], tm[5], (tm[6] - 1) % 7, tm[7] + 1, -1)
        if not local:
            fmt = fmt.replace("%Z", "UTC").replace("%z", "+0000")
        return time.strftime(fmt, st)
    except (ValueError, OverflowError) as e:
        raise JQError(f"{name}: {e}") from None


@_nat("strftime", 1)
def _strftime(v: Value, fmt: Value) -> Value:
    return _strftime_impl(v, fmt, "strftime/1", False)


@_nat("strflocaltime", 1)
def _strflocaltime(v: Value, fmt: Value) -> Value:
    return _strftime_impl(v, fmt, "strflocaltime/1", True)


@_nat("strptime", 1)
def _strptime(v: Value, fmt: Value) -> Value:
    if type(v) is not str:
        raise JQError("strptime/1 requires string inputs and arguments")
    if type(fmt) is not str:
        raise JQError("strptime/1 requires string inputs and arguments")
    try:
        tm = time.strptime(v, fmt)
    except ValueError:
        raise JQError(f'date "{v}" does not match format "{fmt}"') from None
    return [
        float(tm.tm_year),
        float(tm.tm_mon - 1),
        float(tm.tm_mday),
        float(tm.tm_hour),
        float(tm.tm_min),
        float(tm.tm_sec),
        float((tm.tm_wday + 1) % 7),
        float(tm.tm_yday - 1),
    ]


# ---------------------------------------------------------------------------
# Built-ins written in jq (jq 1.6's definitions)

PRELUDE_SRC = r"""
def values: select(. != null);
def nulls: select(. == null);
def booleans: select(type == "boolean");
def numbers: select(type == "number");
def strings: select(type == "string");
def arrays: select(type == "array");
def objects: select(type == "object");
def iterables: select(type|. == "array" or . == "object");
def scalars: select(type|. != "array" and . != "object");
def scalars_or_empty: select(. == null or . == true or . == false or type == "number"
  or type == "string" or ((type=="array" or type=="object") and length==0));
def isfinite: type == "number" and (isinfinite | not);
def finites: select(isfinite);
def normals: select(isnormal);
def paths(node_filter): . as $dot|paths|select(. as $p|$dot|getpath($p) | node_filter);
def leaf_paths: paths(scalars);
def recurse_down: recurse;
def first: .[0];
def last: .[-1];
def nth($n): .[$n];
def in(xs): . as $x | xs | has($x);
def inside(xs): . as $x | xs | contains($x);
def combinations: if length == 0 then [] else .[0][] as $x | (.[1:] | combinations) as $y
  | [$x] + $y end;
def combinations(n): . as $dot | [range(n) | $dot] | combinations;
def walk(f): . as $in | if type == "object" then
    reduce keys_unsorted[] as $key ( {}; . + { ($key): ($in[$key] | walk(f)) } ) | f
  elif type == "array" then map( walk(f) ) | f else f end;
def transpose: if . == [] then [] else . as $in | (map(length) | max) as $max
  | length as $length
  | reduce range(0; $max) as $j
      ([]; . + [reduce range(0;$length) as $i ([]; . + [ $in[$i][$j] ] )] ) end;
def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
def fromdateiso8601: strptime("%Y-%m-%dT%H:%M:%SZ")|mktime;
def todate: todateiso8601;
def fromdate: fromdateiso8601;
def tostream: path(def r: (.[]?|r), .; r) as $p | getpath($p)
  | reduce path(.[]?) as $q ([$p, .]; [$p+$q]);
def fromstream(f): { x: null, e: false } as $init
  | foreach f as $i ($init;
      if .e then $init else . end
      | if $i | length == 2
        then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
        else setpath(["e"]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream): . as $n | null | stream | . as $input
  | if (.[0]|length) > $n then setpath([0];$input[0][$n:]) else empty end;
def INDEX(stream; idx_expr):
  reduce stream as $row ({}; .[$row|idx_expr| if type != "string" then tojson else . end] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def JOIN($idx; idx_expr): [.[] | [., $idx[idx_expr]]];
def JOIN($idx; stream; idx_expr): stream | [., $idx[idx_expr]];
def JOIN($idx; stream; idx_expr; join_expr): stream | [., $idx[idx_expr]] | join_expr;
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);
def bsearch(target):
  if length == 0 then -1
  elif length == 1 then (if target == .[0] then 0 elif target < .[0] then -1 else -2 end)
  else . as $in
    | [0, length-1, null]
    | until( .[0] > .[1] ;
             if .[2] != null then (.[1] = -1)
             else
               ( ( (.[1] + .[0]) / 2 ) | floor ) as $mid
               | $in[$mid] as $monkey
               | if ($monkey == target) then (.[2] = $mid)
                 elif (.[0] == .[1]) then (.[1] = -1)
                 elif ($monkey < target) then (.[0] = ($mid + 1))
                 else (.[1] = ($mid - 1))
                 end
             end )
    | if .[2] == null then
         if ($in[ .[0] ] < target) then (-2 -.[0])
         else (-1 -.[0])
         end
      else .[2]
      end
  end;
"""


_PRELUDE_LOCK = threading.Lock()
_PRELUDE_READY = False


def _load_prelude() -> None:
    """Parse and bind the jq-defined built-ins, once, on the first program compiled
    (not at import: ~15 ms that a shell worker without a jq call never needs)."""
    global _PRELUDE_READY
    if _PRELUDE_READY:
        return
    with _PRELUDE_LOCK:
        if not _PRELUDE_READY:
            _parse_prelude()
            _PRELUDE_READY = True


def _parse_prelude() -> None:
    errors: list[tuple[str, int]] = []
    toks = lex(PRELUDE_SRC, errors)
    p = Parser(PRELUDE_SRC, toks)
    defs: list[FuncDef] = []
    while p.peek().kind != "EOF":
        defs.append(p.parse_funcdef())
    for d in defs:
        PRELUDE[d.key] = d
    b = Binder(set(NATIVES) | set(PRELUDE), set())
    for d in defs:
        d.bind(Scope(None, ""), b)
    assert not errors and not b.errors, (errors, b.errors)


# ---------------------------------------------------------------------------
# Programs


MAX_FRAMES = 50000


class Runtime:
    """What a running program needs from the outside world."""

    def __init__(
        self,
        check: Callable[[], None],
        next_input: Callable[[], Value],
        stderr: Callable[[str], None],
        environ: dict[str, Value],
        input_filename: Callable[[], Value],
        input_line_number: Callable[[], Value],
    ) -> None:
        self.check = check
        self.next_input = next_input
        self.stderr = stderr
        self.environ = environ
        self.input_filename = input_filename
        self.input_line_number = input_line_number
        self.prelude: dict[str, UserFn] = {}
        self.n = 0
        self.max_frames = MAX_FRAMES

    def tick(self) -> None:
        self.n += 1
        if not self.n & 1023:
            self.check()
            try:
                sys._getframe(self.max_frames)
            except ValueError:
                return
            raise RecursionError("jq stack too deep")


def _locate(text: str, msg: str, pos: int) -> str:
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    if le < 0:
        le = len(text)
    return f"jq: error: {msg} at <top-level>, line {line}:\n{text[ls:le]}{' ' * (pos - ls)}"


class Program:
    """A compiled jq filter."""

    def __init__(self, text: str, global_names: Iterable[str] = ()) -> None:
        self.text = text
        _load_prelude()
        errors: list[tuple[str, int]] = []
        toks = lex(text, errors)
        if errors:
            raise CompileError([_locate(text, m, p) for m, p in errors])
        try:
            self.ast = Parser(text, toks).parse_program()
        except SyntaxErr as e:
            raise CompileError([_locate(text, e.msg, e.pos)]) from None
        except RecursionError:
            raise CompileError(["jq: error: program too deeply nested"]) from None
        b = Binder(set(NATIVES) | set(PRELUDE), set(global_names) | {"ENV"})
        try:
            self.ast.bind(Scope(None, ""), b)
        except RecursionError:
            raise CompileError(["jq: error: program too deeply nested"]) from None
        if b.errors:
            raise CompileError([_locate(text, m, p) for m, p in b.errors])

    def run(self, inp: Value, rt: Runtime, globals_: dict[str, Value]) -> Iterator[Value]:
        root = Env(None, "", None, rt)
        if not rt.prelude:
            for key, d in PRELUDE.items():
                e = Env(root, key, None)
                e.value = UserFn(d, e)
                rt.prelude[key] = e.value
        env = Env(root, "$ENV", rt.environ)
        for name, v in globals_.items():
            env = Env(env, "$" + name, v)
        return iter(self.ast.ev(inp, env))


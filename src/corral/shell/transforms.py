"""The ``${NAME@OP}`` transformations that depend on more than the value's text:
``@Q`` (bash's reusable quoting: ``$'…'`` when the value holds a control character),
``@a`` (the attribute letters), ``@A`` (an assignment statement that recreates the
variable) and ``@K`` (keys and values). ``@U @u @L @E`` are in ``expand.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .values import IArray

if TYPE_CHECKING:
    from .interp import Var

_ANSI_ESC = {
    "\a": "\\a", "\b": "\\b", "\x1b": "\\E", "\f": "\\f", "\n": "\\n", "\r": "\\r",
    "\t": "\\t", "\v": "\\v", "\\": "\\\\", "'": "\\'",
}  # fmt: skip


def _needs_ansi(s: str) -> bool:
    return any(c < " " or c == "\x7f" for c in s)


def ansi_quote(s: str) -> str:
    """``$'…'`` with bash's escapes (``ansic_quote``): other control bytes in octal."""
    out = []
    for c in s:
        esc = _ANSI_ESC.get(c)
        if esc is not None:
            out.append(esc)
        elif c < " " or c == "\x7f":
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


def quote(s: str) -> str:
    """``${x@Q}``: single quotes, or ``$'…'`` when ``s`` holds a control character."""
    if _needs_ansi(s):
        return ansi_quote(s)
    return "'" + s.replace("'", "'\\''") + "'"


def attr_flags(v: Var | None) -> str:
    """``${x@a}``: bash's attribute letters in its order (``a A i n r t x c l u``)."""
    if v is None:
        return ""
    flags = ""
    if isinstance(v.value, IArray):
        flags += "a"
    elif isinstance(v.value, dict):  # (an IArray is a dict too: tested first)
        flags += "A"
    flags += "i" if "i" in v.attrs else ""
    flags += "n" if "n" in v.attrs else ""
    flags += "r" if v.readonly else ""
    flags += "x" if v.exported else ""
    flags += "".join(x for x in "lu" if x in v.attrs)
    return flags


def _dq(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")


def _key(k: str) -> str:
    special = set(" \t\n\"'\\$`;&|()<>*?[]{}!#~=")
    return '"' + _dq(k) + '"' if any(c in special for c in k) else k


def _pairs(value: IArray | dict[str, str]) -> list[tuple[str, str]]:
    if isinstance(value, IArray):
        return [(str(k), value[k]) for k in value.indices()]
    return list(value.items())


def assignment(name: str, v: Var | None, whole: bool, element: str | None) -> str:
    """``${x@A}``: the statement that recreates ``x`` (``whole``: ``${a[@]@A}``, the whole
    array; else the element ``element``'s value as a scalar)."""
    if v is None:
        return ""
    flags = attr_flags(v)
    if whole and isinstance(v.value, IArray | dict):
        assoc = not isinstance(v.value, IArray)
        body = " ".join(f'[{_key(k) if assoc else k}]="{_dq(x)}"' for k, x in _pairs(v.value))
        return f"declare -{flags} {name}=({body}{' ' if assoc and body else ''})"
    text = quote(element if element is not None else "")
    if flags:
        return f"declare -{flags} {name}={text}"
    return f"{name}={text}"


def keys_values(v: Var | None, whole: bool, element: str | None) -> list[str]:
    """``${a[@]@K}``: ``key "value"`` pairs of an array as words; a scalar (or one
    element) quoted as ``@Q`` does."""
    if v is not None and whole and isinstance(v.value, IArray | dict):
        words = []
        for k, x in _pairs(v.value):
            words.append(k if isinstance(v.value, IArray) else _key(k))
            words.append('"' + _dq(x) + '"')
        return [" ".join(words)]
    return [quote(element if element is not None else "")]

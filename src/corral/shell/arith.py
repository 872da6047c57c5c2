"""Bash arithmetic: ``$(( ))``, ``(( ))``, ``let`` and array subscripts.

64-bit signed integers with wrap-around, C precedence, ``**``, assignment
operators, pre/post increments, ``a ? b : c``, ``,``, bases (``0x1f``, ``017``,
``2#101``). Variables whose values are not numbers are evaluated as
expressions themselves, as bash does (with a depth limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .memo import BoundedMemo


class ArithError(Exception):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<num>[0-9][0-9A-Za-z_#@]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*=|<<=|>>=|\+\+|--|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%<>=!~&^|?:(),\[\]]))"
)

_BINARY = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
    "**": 11,
}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", "**="}


def _wrap(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def parse_number(text: str) -> int:
    t = text
    try:
        if "#" in t:
            base_s, _, digits = t.partition("#")
            base = int(base_s)
            if not 2 <= base <= 64:
                raise ArithError(f"{text}: invalid arithmetic base")
            alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_"
            if base <= 36:
                digits = digits.lower()
            v = 0
            for ch in digits:
                d = alphabet.find(ch)
                if d < 0 or d >= base:
                    raise ArithError(f'{text}: value too great for base (error token is "{text}")')
                v = v * base + d
            return _wrap(v)
        if t[:2] in ("0x", "0X"):
            return _wrap(int(t[2:], 16))
        if len(t) > 1 and t[0] == "0":
            return _wrap(int(t, 8))
        return _wrap(int(t))
    except ValueError:
        raise ArithError(f'{text}: value too great for base (error token is "{text}")') from None


def _tokenize(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise ArithError(f'syntax error: operand expected (error token is "{text[i:]}")')
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind)))
        i = m.end()
    return tuple(out)


# An expression's tokens depend on its text alone: a loop's `$((i+1))` is cut once
# (a bounded memo; long texts are cut each time). Errors are not kept: they raise again.
_TOKENS_MAX_CHARS = 1024
#: a variable's value read as a decimal number straight away (a leading 0 is octal:
#: those are evaluated as expressions, as bash does)
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")
_TOKENS: BoundedMemo[str, tuple[tuple[str, str], ...]] = BoundedMemo(
    _tokenize, lambda text, toks: 100 + 2 * len(text) + 120 * len(toks), 2048, 4 << 20
)


# The short forms: what an expression of at most three tokens does, worked out once per
# text (a loop's `i<1000`, `i++`, `s + i`) and run by Arith._short; anything else (and
# `&&`/`||`, which skip their right side) goes through the grammar.
_GRAMMAR, _EMPTY, _NUMBER, _NAME_FORM, _STEP, _ASSIGN_FORM, _BINARY_FORM = range(7)
_OPERAND = ("num", "name")


def _short_form(text: str) -> tuple[Any, ...]:
    """``x``, ``x OP y``, ``x++``, ``x OP= y`` (``x``, ``y`` a name or a number) as a
    tuple for :meth:`Arith._short`; ``(_GRAMMAR,)`` for anything else. Raises the
    tokenizer's ``ArithError`` (nothing is kept then)."""
    toks = _TOKENS.get(text)
    assert toks is not None
    n = len(toks)
    if n == 0:
        return (_EMPTY,)
    k0, t0 = toks[0]
    if n == 1:
        if k0 == "num":
            return (_NUMBER, t0)
        return (_NAME_FORM, t0) if k0 == "name" else (_GRAMMAR,)
    if n == 2:
        if k0 != "name" or toks[1][1] not in ("++", "--"):
            return (_GRAMMAR,)
        return (_STEP, t0, 1 if toks[1][1] == "++" else -1)
    if n > 3:
        return (_GRAMMAR,)
    op = toks[1][1]
    k2, t2 = toks[2]
    if toks[1][0] != "op" or k0 not in _OPERAND or k2 not in _OPERAND:
        return (_GRAMMAR,)
    if op in _ASSIGN:
        return (_ASSIGN_FORM, t0, op, k2, t2) if k0 == "name" else (_GRAMMAR,)
    if op not in _BINARY or op in ("&&", "||"):
        return (_GRAMMAR,)
    return (_BINARY_FORM, op, k0, t0, k2, t2)


_SHORT_FORMS: BoundedMemo[str, tuple[Any, ...]] = BoundedMemo(
    _short_form, lambda text, form: 100 + 2 * len(text) + 40 * len(form), 2048, 2 << 20
)


class Arith:
    """Evaluates one expression against variables reached through callbacks."""

    def __init__(
        self,
        get: Callable[[str, str | None], str | None],
        set_: Callable[[str, str | None, int], None],
        depth: int = 0,
        assoc: Callable[[str], bool] | None = None,
    ) -> None:
        self.get = get
        self.set = set_
        self.depth = depth
        #: whether a name is an associative array: its subscript is text, not a number
        self.assoc = assoc

    def eval(self, text: str) -> int:
        if self.depth > 64:
            raise ArithError("expression recursion level exceeded")
        if len(text) <= _TOKENS_MAX_CHARS:
            form = _SHORT_FORMS.get(text)
            assert form is not None
            if form[0] != _GRAMMAR:
                v = self._short(form)
                if v is not None:
                    return v
        self.src = text
        self.toks = toks = self._tokens(text)
        self.pos = 0
        if not toks:
            return 0
        v = self.comma()
        if self.pos < len(self.toks):
            tok = self.toks[self.pos][1]
            raise ArithError(f'syntax error in expression (error token is "{tok}")')
        return v

    def _tokens(self, text: str) -> tuple[tuple[str, str], ...]:
        if len(text) > _TOKENS_MAX_CHARS:
            return _tokenize(text)
        toks = _TOKENS.get(text)
        assert toks is not None
        return toks

    def _short(self, form: tuple[Any, ...]) -> int | None:
        """A short form (:func:`_short_form`) evaluated in the order the grammar
        evaluates it (None: the grammar's turn; a subclass may say so)."""
        kind = form[0]
        if kind == _BINARY_FORM:
            _, op, k0, t0, k2, t2 = form
            left = parse_number(t0) if k0 == "num" else self._var(t0, None)
            right = parse_number(t2) if k2 == "num" else self._var(t2, None)
            return self._binop(op, left, right)
        if kind == _NUMBER:
            return parse_number(form[1])
        if kind == _NAME_FORM:
            return self._var(form[1], None)
        if kind == _STEP:
            v = self._var(form[1], None)
            self.set(form[1], None, _wrap(v + form[2]))
            return v
        if kind == _ASSIGN_FORM:
            _, t0, op, k2, t2 = form
            rhs = parse_number(t2) if k2 == "num" else self._var(t2, None)
            v = rhs if op == "=" else self._binop(op[:-1], self._var(t0, None), rhs)
            self.set(t0, None, v)
            return v
        return 0  # _EMPTY

    def peek(self) -> str | None:
        return self.toks[self.pos][1] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.toks):
            raise ArithError('syntax error: operand expected (error token is "")')
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def expect(self, op: str) -> None:
        if self.peek() != op:
            raise ArithError(
                f'syntax error: `{op}\' expected (error token is "{self.peek() or ""}")'
            )
        self.pos += 1

    # -- grammar ---------------------------------------------------------------

    def comma(self) -> int:
        v = self.assign()
        while self.peek() == ",":
            self.pos += 1
            v = self.assign()
        return v

    def assign(self) -> int:
        save = self.pos
        if self.pos < len(self.toks) and self.toks[self.pos][0] == "name":
            name = self.toks[self.pos][1]
            self.pos += 1
            index = self._subscript(name)
            op = self.peek()
            if op in _ASSIGN:
                self.pos += 1
                rhs = self.assign()
                v = rhs if op == "=" else self._binop(op[:-1], self._var(name, index), rhs)
                self.set(name, index, v)
                return v
            self.pos = save
        return self.ternary()

    def _subscript(self, name: str = "") -> str | None:
        if self.peek() != "[":
            return None
        if self.assoc is not None and name and self.assoc(name):
            return self._key_text()
        self.pos += 1
        depth = 1
        start = self.pos
        while self.pos < len(self.toks):
            t = self.toks[self.pos][1]
            if t == "[":
                depth += 1
            elif t == "]":
                depth -= 1
                if depth == 0:
                    inner = " ".join(tok for _, tok in self.toks[start : self.pos])
                    self.pos += 1
                    return str(self._sub(inner))
            self.pos += 1
        raise ArithError("syntax error: missing `]'")

    def _key_text(self) -> str:
        """An associative array's subscript as written (``c[$w]`` after expansion):
        the source between this ``[`` and its ``]``, found by counting brackets."""
        nth = sum(1 for _, t in self.toks[: self.pos] if t == "[")
        src = self.src
        at = -1
        for _ in range(nth + 1):
            at = src.find("[", at + 1)
            if at < 0:
                raise ArithError("syntax error: missing `]'")
        depth, end = 0, at
        while end < len(src):
            if src[end] == "[":
                depth += 1
            elif src[end] == "]":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        else:
            raise ArithError("syntax error: missing `]'")
        # step over the subscript's tokens
        depth = 0
        while self.pos < len(self.toks):
            t = self.toks[self.pos][1]
            self.pos += 1
            if t == "[":
                depth += 1
            elif t == "]":
                depth -= 1
                if depth == 0:
                    break
        return src[at + 1 : end].strip()

    def _sub(self, text: str) -> int:
        return Arith(self.get, self.set, self.depth + 1, self.assoc).eval(text)

    def ternary(self) -> int:
        cond = self.binary(1)
        if self.peek() != "?":
            return cond
        self.pos += 1
        # evaluate both branches' syntax, but only the chosen one's effects
        if cond:
            a = self.assign()
            self.expect(":")
            self._skip_ternary_branch()
            return a
        self._skip_until_colon()
        self.expect(":")
        return self.assign()

    def _skip_until_colon(self) -> None:
        depth = 0
        while self.pos < len(self.toks):
            t = self.toks[self.pos][1]
            if t in ("(", "?"):
                depth += 1
            elif t == ")":
                depth -= 1
            elif t == ":":
                if depth == 0:
                    return
                depth -= 1
            self.pos += 1

    def _skip_ternary_branch(self) -> None:
        depth = 0
        while self.pos < len(self.toks):
            t = self.toks[self.pos][1]
            if t == "(":
                depth += 1
            elif t == ")":
                if depth == 0:
                    return
                depth -= 1
            elif t == "," and depth == 0:
                return
            self.pos += 1

    def binary(self, min_prec: int) -> int:
        left = self.unary()
        while True:
            op = self.peek()
            prec = _BINARY.get(op or "")
            if prec is None or prec < min_prec:
                return left
            self.pos += 1
            if op == "&&":
                if not left:
                    self._skip_operand(prec + 1)
                    left = 0
                    continue
                left = int(bool(self.binary(prec + 1)))
                continue
            if op == "||":
                if left:
                    self._skip_operand(prec + 1)
                    left = 1
                    continue
                left = int(bool(self.binary(prec + 1)))
                continue
            right = self.binary(prec if op == "**" else prec + 1)
            left = self._binop(op, left, right)  # type: ignore[arg-type]

    def _skip_operand(self, prec: int) -> None:
        # parse for syntax without side effects: evaluate with no-op setters
        saved = self.set
        self.set = lambda *a: None
        try:
            self.binary(prec)
        finally:
            self.set = saved

    def _binop(self, op: str, a: int, b: int) -> int:
        if op == "+":
            return _wrap(a + b)
        if op == "-":
            return _wrap(a - b)
        if op == "*":
            return _wrap(a * b)
        if op in ("/", "%"):
            if b == 0:
                raise ArithError(f'division by 0 (error token is "{b}")')
            q = abs(a) // abs(b)
            if (a < 0) != (b < 0):
                q = -q
            return _wrap(q) if op == "/" else _wrap(a - q * b)
        if op == "**":
            if b < 0:
                raise ArithError(f'exponent less than 0 (error token is "{b}")')
            return _wrap(pow(a, b, 1 << 64))
        if op == "<<":
            return _wrap(a << (b & 63))
        if op == ">>":
            return a >> (b & 63)
        if op == "&":
            return a & b
        if op == "|":
            return a | b
        if op == "^":
            return a ^ b
        if op == "==":
            return int(a == b)
        if op == "!=":
            return int(a != b)
        if op == "<":
            return int(a < b)
        if op == ">":
            return int(a > b)
        if op == "<=":
            return int(a <= b)
        if op == ">=":
            return int(a >= b)
        raise ArithError(f"unknown operator {op}")

    def unary(self) -> int:
        op = self.peek()
        if op in ("+", "-", "!", "~"):
            self.pos += 1
            v = self.unary()
            return {"+": v, "-": _wrap(-v), "!": int(not v), "~": ~v}[op]  # type: ignore[index]
        if op in ("++", "--"):
            self.pos += 1
            kind, name = self.take()
            if kind != "name":
                raise ArithError(f'syntax error: operand expected (error token is "{name}")')
            index = self._subscript(name)
            v = _wrap(self._var(name, index) + (1 if op == "++" else -1))
            self.set(name, index, v)
            return v
        return self.postfix()

    def postfix(self) -> int:
        kind, tok = self.take()
        if tok == "(":
            v = self.comma()
            self.expect(")")
            return v
        if kind == "num":
            return parse_number(tok)
        if kind == "name":
            index = self._subscript(tok)
            v = self._var(tok, index)
            if self.peek() in ("++", "--"):
                op = self.take()[1]
                self.set(tok, index, _wrap(v + (1 if op == "++" else -1)))
            return v
        raise ArithError(f'syntax error: operand expected (error token is "{tok}")')

    def _var(self, name: str, index: str | None) -> int:
        raw = self.get(name, index)
        if raw is not None and raw.isdigit() and raw.isascii() and (raw[0] != "0" or raw == "0"):
            # `i` in a loop: a decimal number
            return _wrap(int(raw)) if len(raw) > 18 else int(raw)
        if raw is None or raw.strip() == "":
            return 0
        raw = raw.strip()
        if _DECIMAL.fullmatch(raw):
            return _wrap(int(raw))
        return Arith(self.get, self.set, self.depth + 1, self.assoc).eval(raw)

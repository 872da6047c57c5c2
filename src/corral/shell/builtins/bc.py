"""``bc``: GNU bc's language on exact decimal fixed-point numbers.

Numbers are ``(n, s)``: the integer ``n`` scaled by ``10**s``, so every result is
exact and then cut to the scale bc gives it (``+ -``: the larger; ``*``:
``min(sa+sb, max(scale, sa, sb))``; ``/``: ``scale``; ``%``: ``max(scale+sb, sa)``;
``^``: ``min(sa*e, max(scale, sa))``; ``sqrt``: ``max(scale, sa)``), truncated
toward zero as bc truncates. Output as bc prints it: ``.5`` without a leading
zero, lines cut at 70 characters with a backslash, ``obase`` 2..16 in digits and
past 16 in space-separated decimal groups. ``-l`` sets ``scale=20`` and defines
``s c a l e j`` (worked out with ``decimal`` to more digits than asked and cut).

The program is read a top-level line at a time and that line run (as bc compiles
and runs it): a syntax error or a runtime error (division by zero, the square root
of a negative number, an undefined function) skips the rest of its line with bc's
message on stderr; the status stays 0, as bc's. ``quit`` ends bc where it is read,
``halt`` where it runs.

Bounded: a number may have at most ``MAX_DIGITS`` digits (a power, a product or a
scale past it is a runtime error, found before the work is done), function calls
nest at most ``MAX_CALL_DEPTH`` deep, parentheses ``MAX_NESTING``, every loop
iteration and call checks the wall budget, and the input is capped at the one-value
memory share.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any

from ..command import CommandContext, CommandError, command
from ..limits import max_string

MAX_DIGITS = 200_000
MAX_CALL_DEPTH = 100
MAX_NESTING = 100
LINE_LENGTH = 70
MATH_DIGITS = 5_000  # the math library's working precision at most

Num = tuple[int, int]  # (n, s): n / 10**s

_KEYWORDS = {
    "if", "else", "while", "for", "break", "continue", "quit", "halt", "return", "define",
    "auto", "print", "sqrt", "length", "scale", "ibase", "obase", "last", "read", "limits",
}  # fmt: skip
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=", "^=")
_REL_OPS = ("==", "!=", "<=", ">=", "<", ">")
_BIN_PREC = {
    "||": 1, "&&": 2, "==": 4, "!=": 4, "<": 4, ">": 4, "<=": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "^": 7,
}  # fmt: skip
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "q": '"', "\\": "\\"}


class BcSyntaxError(Exception):
    pass


class BcRuntimeError(Exception):
    pass


class _Quit(Exception):
    pass


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Num) -> None:
        self.value = value


# -- numbers ------------------------------------------------------------------------------


def _istr(n: int) -> str:
    """``str(n)`` without Python's 4,300-digit cap: halves converted apart."""
    if n < 0:
        return "-" + _istr(-n)
    if n.bit_length() < 13_000:
        return str(n)
    k = int(n.bit_length() * 0.30103) // 2
    hi, lo = divmod(n, 10**k)
    return _istr(hi) + _istr(lo).rjust(k, "0")


def _iparse(s: str) -> int:
    """``int(s)`` of decimal digits, past Python's 4,300-digit cap."""
    if len(s) <= 4000:
        return int(s)
    k = len(s) // 2
    return _iparse(s[:-k]) * 10**k + _iparse(s[-k:])


def _digits(n: int) -> int:
    return len(_istr(abs(n))) if n else 1


def _check_size(n: int, s: int) -> None:
    if s > MAX_DIGITS or abs(n).bit_length() > MAX_DIGITS * 3.33:
        raise BcRuntimeError(f"number too large (the corral shell's bc keeps {MAX_DIGITS} digits)")


def _rescale(x: Num, s: int) -> Num:
    """``x`` at scale ``s``, truncated toward zero."""
    n, xs = x
    if s >= xs:
        return n * 10 ** (s - xs), s
    q = abs(n) // 10 ** (xs - s)
    return (q if n >= 0 else -q), s


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _cmp(a: Num, b: Num) -> int:
    s = max(a[1], b[1])
    x, y = _rescale(a, s)[0], _rescale(b, s)[0]
    return (x > y) - (x < y)


def _is_zero(a: Num) -> bool:
    return a[0] == 0


def _to_int(a: Num) -> int:
    return _rescale(a, 0)[0]


def _from_int(n: int) -> Num:
    return n, 0


def _add(a: Num, b: Num) -> Num:
    s = max(a[1], b[1])
    return _rescale(a, s)[0] + _rescale(b, s)[0], s


def _neg(a: Num) -> Num:
    return -a[0], a[1]


def _mul(a: Num, b: Num, scale: int) -> Num:
    full = a[1] + b[1]
    r = min(full, max(scale, a[1], b[1]))
    _check_size(0, r)
    return _rescale((a[0] * b[0], full), r)


def _div(a: Num, b: Num, scale: int) -> Num:
    if b[0] == 0:
        raise BcRuntimeError("Divide by zero")
    _check_size(0, scale)
    # a/b = (na/10^sa) / (nb/10^sb); result * 10^scale = na * 10^(scale+sb-sa) / nb
    e = scale + b[1] - a[1]
    num = a[0] * 10**e if e >= 0 else a[0]
    den = b[0] if e >= 0 else b[0] * 10 ** (-e)
    return _trunc_div(num, den), scale


def _mod(a: Num, b: Num, scale: int) -> Num:
    if b[0] == 0:
        raise BcRuntimeError("Modulo by zero")
    q = _div(a, b, scale)
    rs = max(scale + b[1], a[1])
    return _rescale(_add(a, _neg(_mul(q, b, rs))), rs)


def _power(a: Num, b: Num, scale: int) -> tuple[Num, bool]:
    """``a ^ b`` and whether the exponent had a fraction (bc warns)."""
    warn = b[1] > 0 and b[0] % 10 ** b[1] != 0
    e = _to_int(b)
    if e == 0:
        return (1, 0), warn
    if a[0] == 0:
        if e < 0:
            raise BcRuntimeError("Divide by zero")
        return (0, 0), warn
    mag = abs(e) * max(_digits(a[0]) - a[1], 1)
    if mag > MAX_DIGITS and not (abs(a[0]) == 10 ** a[1]):
        raise BcRuntimeError(f"exponent too large (the corral shell's bc keeps {MAX_DIGITS})")
    if abs(a[0]) == 10 ** a[1]:  # a is 1 or -1
        sign = -1 if a[0] < 0 and e % 2 else 1
        return _rescale((sign, 0), 0 if e > 0 else scale), warn
    if e > 0:
        r = min(a[1] * e, max(scale, a[1]))
        _check_size(0, a[1] * e)
        return _rescale((a[0] ** e, a[1] * e), r), warn
    p = (a[0] ** -e, a[1] * -e)
    return _div((1, 0), p, scale), warn


def _sqrt(a: Num, scale: int) -> Num:
    if a[0] < 0:
        raise BcRuntimeError("Square root of a negative number")
    r = max(scale, a[1])
    _check_size(0, r)
    # sqrt(n / 10^s) * 10^r = isqrt(n * 10^(2r - s))
    from math import isqrt

    e = 2 * r - a[1]
    return isqrt(a[0] * 10**e), r


def _length(a: Num) -> int:
    n, s = a
    if n == 0:
        return 1 if s == 0 else s
    return max(_digits(n), s)


def _parse_number(text: str, ibase: int) -> Num:
    whole, _, frac = text.partition(".")
    if ibase == 10:
        return _iparse((whole or "0") + frac), len(frac)
    val = 0
    for c in whole:
        val = val * ibase + _digit(c)
    if not frac:
        return val, 0
    # the fraction in ibase, cut to as many decimal digits as the literal has
    num, den = 0, 1
    for c in frac:
        num = num * ibase + _digit(c)
        den *= ibase
    s = len(frac)
    return val * 10**s + num * 10**s // den, s


def _digit(c: str) -> int:
    return ord(c) - 48 if c.isdigit() else ord(c) - 55


def format_num(x: Num, obase: int) -> str:
    """``x`` as bc prints it (before line cutting)."""
    n, s = x
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    ip, fp = divmod(n, 10**s)
    if obase == 10:
        text = _istr(ip) if ip else ""
        if s:
            text += "." + _istr(fp).rjust(s, "0")
        return sign + text
    if n.bit_length() > 33_000:
        raise BcRuntimeError("over 10000 digits to print in an obase other than 10")
    big = obase > 16
    width = len(str(obase - 1))

    def dig(d: int) -> str:
        return f" {d:0{width}d}" if big else "0123456789ABCDEF"[d]

    parts: list[str] = []
    if ip == 0:
        parts.append(dig(0) if big else "")
    else:
        digs = []
        while ip:
            ip, d = divmod(ip, obase)
            digs.append(dig(d))
        parts.extend(reversed(digs))
    if s:
        parts.append(".")
        t = 1
        num, den = fp, 10**s
        while t < 10**s:  # as many digits as bc gives: until obase^k has more than s
            num *= obase
            d, num = divmod(num, den)
            parts.append(dig(d))
            t *= obase
    return sign + "".join(parts)


def cut_lines(text: str, width: int = LINE_LENGTH) -> str:
    """bc's output of one number: ``width - 2`` characters and a backslash a line."""
    if width < 3 or len(text) <= width - 2:
        return text
    step = width - 2
    pieces = [text[i : i + step] for i in range(0, len(text), step)]
    return "\\\n".join(pieces)


# -- the math library (-l) -------------------------------------------------------------------


def _dec(x: Num) -> decimal.Decimal:
    # exact: the digits with the exponent (scaleb would round to the context's precision)
    n, s = x
    sign, digits, _ = decimal.Decimal(n).as_tuple()
    return decimal.Decimal((sign, digits, -s))


def _from_dec(d: decimal.Decimal, scale: int) -> Num:
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    n = _iparse("".join(map(str, digits)) or "0")
    shift = exp + scale  # d * 10^scale = n * 10^shift
    n = n * 10**shift if shift >= 0 else n // 10 ** (-shift)
    return (-n if sign else n), scale


def _mathlib(name: str, args: list[Num], scale: int) -> Num:
    if len(args) != (2 if name == "j" else 1):
        raise BcRuntimeError(f"Parameter count mismatch in function {name}")
    x = args[-1]
    ip_digits = _digits(_to_int(x))
    if name == "e" and _to_int(x) > MAX_DIGITS * 2:
        raise BcRuntimeError(f"e({_to_int(x)}): too large for the corral shell's bc")
    if name == "l" and x[0] <= 0:  # bc's library: (1 - 10^scale) / 1
        return (1 - 10**scale) * 10**scale, scale
    prec = scale + ip_digits + 20
    if prec > MATH_DIGITS:
        raise BcRuntimeError(f"{name}(): more than {MATH_DIGITS} digits for the corral shell's bc")
    if name == "e":
        prec += int(abs(_to_int(x)) * 0.4343) + 2
    ctx = decimal.Context(prec=prec, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
    d = _dec(x)
    if name == "e":
        r = ctx.exp(d)
    elif name == "l":
        r = ctx.ln(d)
    elif name in ("s", "c"):
        r = _sin_cos(d, ctx, name == "c")
    elif name == "a":
        r = _atan(d, ctx)
    else:
        r = _bessel(_to_int(args[0]), d, ctx)
    return _from_dec(r, scale)


def _sin_cos(x: decimal.Decimal, ctx: decimal.Context, cos: bool) -> decimal.Decimal:
    pi = _pi(ctx)
    two_pi = 2 * pi
    x = x - two_pi * (x / two_pi).to_integral_value(rounding=decimal.ROUND_FLOOR)
    term = decimal.Decimal(1) if cos else x
    total = term
    k = 0 if cos else 1
    eps = decimal.Decimal(10) ** -(ctx.prec + 2)
    with decimal.localcontext(ctx):
        while abs(term) > eps:
            term = -term * x * x / ((k + 1) * (k + 2))
            total += term
            k += 2
    return total


def _atan(x: decimal.Decimal, ctx: decimal.Context) -> decimal.Decimal:
    with decimal.localcontext(ctx):
        if x < 0:
            return -_atan(-x, ctx)
        if x > 1:
            return _pi(ctx) / 2 - _atan(1 / x, ctx)
        if x > decimal.Decimal("0.5"):  # atan(x) = 2 atan(x / (1 + sqrt(1 + x^2)))
            return 2 * _atan(x / (1 + (1 + x * x).sqrt()), ctx)
        term, total, k = x, x, 1
        eps = decimal.Decimal(10) ** -(ctx.prec + 2)
        while abs(term) > eps:
            term = -term * x * x
            k += 2
            total += term / k
        return total


def _pi(ctx: decimal.Context) -> decimal.Decimal:
    # Machin: pi = 16 atan(1/5) - 4 atan(1/239), the series directly
    with decimal.localcontext(ctx):
        eps = decimal.Decimal(10) ** -(ctx.prec + 2)

        def at(inv: int) -> decimal.Decimal:
            x = decimal.Decimal(1) / inv
            term, total, k = x, x, 1
            while abs(term) > eps:
                term = -term / (inv * inv)
                k += 2
                total += term / k
            return total

        return 16 * at(5) - 4 * at(239)


def _bessel(n: int, x: decimal.Decimal, ctx: decimal.Context) -> decimal.Decimal:
    with decimal.localcontext(ctx):
        sign = 1
        if n < 0:
            n = -n
            sign = -1 if n % 2 else 1
        if n > 10_000:
            raise BcRuntimeError("j(): order too large for the corral shell's bc")
        half = x / 2
        term = decimal.Decimal(1)
        for k in range(1, n + 1):
            term = term * half / k
        total, k = term, 0
        eps = decimal.Decimal(10) ** -(ctx.prec + 2)
        while abs(term) > eps or k < 2:
            k += 1
            term = -term * half * half / (k * (n + k))
            total += term
        return sign * total


# -- lexing -----------------------------------------------------------------------------------


@dataclass
class Tok:
    kind: str  # num, name, str, op, nl, eof
    text: str
    line: int


def tokenize(src: str) -> list[Tok]:
    out: list[Tok] = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c == "\n":
            out.append(Tok("nl", "\n", line))
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "\\" and i + 1 < n and src[i + 1] == "\n":
            i += 2
            line += 1
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c == "/" and src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise BcSyntaxError(f"(standard_in) {line}: comment end not found")
            line += src.count("\n", i, end)
            i = end + 2
        elif c == '"':
            end = src.find('"', i + 1)
            if end < 0:
                raise BcSyntaxError(f"(standard_in) {line}: string end not found")
            out.append(Tok("str", src[i + 1 : end], line))
            line += src.count("\n", i, end)
            i = end + 1
        elif c.isdigit() or c in "ABCDEF" or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = i
            while j < n and (src[j].isdigit() or src[j] in "ABCDEF" or src[j] == "\\"):
                if src[j] == "\\":
                    if j + 1 < n and src[j + 1] == "\n":
                        j += 2
                        line += 1
                        continue
                    break
                j += 1
            if j < n and src[j] == ".":
                j += 1
                while j < n and (src[j].isdigit() or src[j] in "ABCDEF"):
                    j += 1
            out.append(Tok("num", src[i:j].replace("\\\n", ""), line))
            i = j
        elif c == ".":
            out.append(Tok("name", "last", line))
            i += 1
        elif (c.isalpha() and c.islower()) or c == "_":
            j = i
            while j < n and (src[j].islower() or src[j].isdigit() or src[j] == "_"):
                j += 1
            out.append(Tok("name", src[i:j], line))
            i = j
        else:
            two = src[i : i + 2]
            if two in ("++", "--", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=",
                       "/=", "%=", "^="):  # fmt: skip
                out.append(Tok("op", two, line))
                i += 2
            elif c in "+-*/%^=<>!(){}[],;":
                out.append(Tok("op", c, line))
                i += 1
            else:
                raise BcSyntaxError(f"(standard_in) {line}: illegal character: {c}")
    out.append(Tok("eof", "", line))
    return out


# -- parsing (to tuples) ----------------------------------------------------------------------

Node = tuple[Any, ...]


@dataclass
class FuncDef:
    params: list[tuple[str, bool]]  # (name, is_array)
    autos: list[tuple[str, bool]]
    body: list[Node]


class Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def err(self) -> BcSyntaxError:
        return BcSyntaxError(f"(standard_in) {self.tok.line}: syntax error")

    def take(self, text: str) -> bool:
        t = self.tok
        if t.kind in ("op", "name") and t.text == text:
            self.i += 1
            return True
        return False

    def need(self, text: str) -> None:
        if not self.take(text):
            raise self.err()

    def skip_nl(self) -> None:
        while self.tok.kind == "nl" or (self.tok.kind == "op" and self.tok.text == ";"):
            self.i += 1

    def top_line(self) -> list[Node] | None:
        """The statements up to the next top-level newline; None at the end."""
        while self.tok.kind == "nl" or (self.tok.text == ";" and self.tok.kind == "op"):
            self.i += 1
        if self.tok.kind == "eof":
            return None
        stmts: list[Node] = []
        while True:
            stmts.append(self.statement())
            if self.tok.kind == "op" and self.tok.text == ";":
                self.i += 1
                if self.tok.kind in ("nl", "eof"):
                    break
                continue
            if self.tok.kind in ("nl", "eof"):
                break
            if stmts[-1][0] in ("block", "if", "while", "for", "define"):
                continue
            raise self.err()
        return stmts

    def recover(self) -> None:
        """After a syntax error: on past the next newline."""
        while self.tok.kind not in ("nl", "eof"):
            self.i += 1

    def statement(self) -> Node:
        t = self.tok
        if (t.kind == "op" and t.text in (";",)) or t.kind in ("nl", "eof"):
            return ("empty",)
        if t.kind == "str":
            self.i += 1
            return ("str", t.text)
        if t.kind == "op" and t.text == "{":
            self.i += 1
            body = self.block_body()
            return ("block", body)
        if t.kind == "name":
            w = t.text
            if w == "quit":
                raise _Quit()
            if w == "halt":
                self.i += 1
                return ("halt",)
            if w in ("break", "continue"):
                self.i += 1
                return (w,)
            if w == "return":
                self.i += 1
                if self.tok.kind in ("nl", "eof") or self.tok.text in (";", "}"):
                    return ("return", None)
                return ("return", self.expr())
            if w == "print":
                self.i += 1
                items: list[Node] = []
                while True:
                    if self.tok.kind == "str":
                        items.append(("str", self.tok.text))
                        self.i += 1
                    else:
                        items.append(self.expr())
                    if not self.take(","):
                        break
                return ("print", items)
            if w == "if":
                self.i += 1
                self.need("(")
                cond = self.expr()
                self.need(")")
                self.skip_newlines_only()
                then = self.statement()
                orelse = None
                save = self.i
                while self.tok.kind == "nl":
                    self.i += 1
                if self.take("else"):
                    self.skip_newlines_only()
                    orelse = self.statement()
                else:
                    self.i = save
                return ("if", cond, then, orelse)
            if w == "while":
                self.i += 1
                self.need("(")
                cond = self.expr()
                self.need(")")
                self.skip_newlines_only()
                return ("while", cond, self.statement())
            if w == "for":
                self.i += 1
                self.need("(")
                init = None if self.tok.text == ";" else self.expr()
                self.need(";")
                cond = None if self.tok.text == ";" else self.expr()
                self.need(";")
                step = None if self.tok.text == ")" else self.expr()
                self.need(")")
                self.skip_newlines_only()
                return ("for", init, cond, step, self.statement())
            if w == "define":
                return self.define()
        return ("expr", self.expr())

    def skip_newlines_only(self) -> None:
        while self.tok.kind == "nl":
            self.i += 1

    def block_body(self) -> list[Node]:
        body: list[Node] = []
        while True:
            self.skip_nl()
            if self.take("}"):
                return body
            if self.tok.kind == "eof":
                raise self.err()
            body.append(self.statement())
            if not (self.tok.kind == "nl" or self.tok.text in (";", "}")) and body[-1][0] not in (
                "block", "if", "while", "for",
            ):  # fmt: skip
                raise self.err()

    def define(self) -> Node:
        self.i += 1
        if self.tok.kind != "name" or self.tok.text in _KEYWORDS:
            raise self.err()
        name = self.tok.text
        self.i += 1
        self.need("(")
        params = self.name_list(")")
        self.need(")")
        self.skip_newlines_only()
        self.need("{")
        self.skip_nl()
        autos: list[tuple[str, bool]] = []
        if self.take("auto"):
            autos = self.name_list(";")
            if not self.take(";") and self.tok.kind != "nl":
                raise self.err()
        body = self.block_body()
        return ("define", name, FuncDef(params, autos, body))

    def name_list(self, end: str) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        if self.tok.text == end or self.tok.kind == "nl":
            return out
        while True:
            self.take("*")
            if self.tok.kind != "name" or self.tok.text in _KEYWORDS:
                raise self.err()
            name = self.tok.text
            self.i += 1
            arr = False
            if self.take("["):
                self.need("]")
                arr = True
            out.append((name, arr))
            if not self.take(","):
                return out

    # expressions: precedence climbing
    def expr(self, min_prec: int = 1) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise BcSyntaxError(f"(standard_in) {self.tok.line}: expression nested too deeply")
        try:
            left = self.unary()
            while True:
                t = self.tok
                if t.kind != "op" or t.text not in _BIN_PREC:
                    return left
                prec = _BIN_PREC[t.text]
                if prec < min_prec:
                    return left
                self.i += 1
                # ^ is right-associative; the others left
                right = self.expr(prec if t.text == "^" else prec + 1)
                left = ("bin", t.text, left, right)
        finally:
            self.depth -= 1

    def unary(self) -> Node:
        t = self.tok
        if t.kind == "op" and t.text == "!":
            self.i += 1
            return ("not", self.expr(3))
        if t.kind == "op" and t.text == "-":
            self.i += 1
            return ("neg", self.unary())
        if t.kind == "op" and t.text == "+":
            raise self.err()
        if t.kind == "op" and t.text in ("++", "--"):
            self.i += 1
            target = self.lvalue()
            return ("pre", t.text, target)
        return self.postfix()

    def lvalue(self) -> Node:
        t = self.tok
        if t.kind != "name":
            raise self.err()
        if t.text in ("scale", "ibase", "obase", "last"):
            self.i += 1
            if t.text == "scale" and self.tok.text == "(":
                raise self.err()
            return ("special", t.text)
        if t.text in _KEYWORDS:
            raise self.err()
        self.i += 1
        if self.take("["):
            idx = self.expr()
            self.need("]")
            return ("elem", t.text, idx)
        return ("var", t.text)

    def postfix(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            return ("num", t.text)
        if t.kind == "op" and t.text == "(":
            self.i += 1
            e = self.expr()
            self.need(")")
            return ("paren", e)
        if t.kind != "name":
            raise self.err()
        w = t.text
        if w in ("sqrt", "length") or (w == "scale" and self.toks[self.i + 1].text == "("):
            self.i += 1
            self.need("(")
            e = self.expr()
            self.need(")")
            return ("fn1", w, e)
        if w == "read":
            self.i += 1
            self.need("(")
            self.need(")")
            return ("read",)
        if w not in _KEYWORDS and self.toks[self.i + 1].text == "(":
            self.i += 2
            args: list[Node] = []
            if not self.take(")"):
                while True:
                    if (
                        self.tok.kind == "name"
                        and self.toks[self.i + 1].text == "["
                        and self.toks[self.i + 2].text == "]"
                    ):
                        args.append(("arrayref", self.tok.text))
                        self.i += 3
                    else:
                        args.append(self.expr())
                    if self.take(")"):
                        break
                    self.need(",")
            return ("call", w, args)
        target = self.lvalue()
        nt = self.tok
        if nt.kind == "op" and nt.text in _ASSIGN_OPS:
            self.i += 1
            # bc binds `=` tighter than comparisons: `x = 3 < 2` is `(x = 3) < 2`
            return ("assign", nt.text, target, self.expr(_BIN_PREC["+"]))
        if nt.kind == "op" and nt.text in ("++", "--"):
            self.i += 1
            return ("post", nt.text, target)
        return target


# -- running ----------------------------------------------------------------------------------


@dataclass
class Interp:
    ctx: CommandContext
    mathlib: bool
    scale: int = 0
    ibase: int = 10
    obase: int = 10
    last: Num = (0, 0)
    vars: dict[str, Num] = field(default_factory=dict)
    arrays: dict[str, dict[int, Num]] = field(default_factory=dict)
    funcs: dict[str, FuncDef] = field(default_factory=dict)
    depth: int = 0
    out: list[str] = field(default_factory=list)
    line_length: int = LINE_LENGTH

    def warn(self, msg: str) -> None:
        _say(self.ctx, f"Runtime warning (func=(main), adr=0): {msg}\n")

    def emit(self, text: str) -> None:
        self.ctx.out(text)

    # statements
    def run(self, stmt: Node) -> None:
        kind = stmt[0]
        if kind == "expr":
            e = stmt[1]
            v = self.eval(e)
            if e[0] != "assign":
                self.emit(cut_lines(format_num(v, self.obase), self.line_length) + "\n")
                self.last = v
        elif kind == "str":
            self.emit(stmt[1])
        elif kind == "print":
            for item in stmt[1]:
                if item[0] == "str":
                    self.emit(_unescape(item[1]))
                else:
                    v = self.eval(item)
                    self.last = v
                    self.emit(cut_lines(format_num(v, self.obase), self.line_length))
        elif kind == "block":
            for s in stmt[1]:
                self.run(s)
        elif kind == "if":
            if not _is_zero(self.eval(stmt[1])):
                self.run(stmt[2])
            elif stmt[3] is not None:
                self.run(stmt[3])
        elif kind == "while":
            while not _is_zero(self.eval(stmt[1])):
                self.ctx.check()
                try:
                    self.run(stmt[2])
                except _Break:
                    break
                except _Continue:
                    continue
        elif kind == "for":
            _, init, cond, step, body = stmt
            if init is not None:
                self.eval(init)
            while cond is None or not _is_zero(self.eval(cond)):
                self.ctx.check()
                try:
                    self.run(body)
                except _Break:
                    break
                except _Continue:
                    pass
                if step is not None:
                    self.eval(step)
        elif kind == "break":
            raise _Break()
        elif kind == "continue":
            raise _Continue()
        elif kind == "halt":
            raise _Quit()
        elif kind == "return":
            if self.depth == 0:
                raise BcRuntimeError("Return outside of a function")
            raise _Return((0, 0) if stmt[1] is None else self.eval(stmt[1]))
        elif kind == "define":
            self.funcs[stmt[1]] = stmt[2]

    # expressions
    def eval(self, e: Node) -> Num:
        kind = e[0]
        if kind == "num":
            return _parse_number(e[1], self.ibase)
        if kind == "paren":
            return self.eval(e[1])
        if kind == "bin":
            return self.binop(e[1], e[2], e[3])
        if kind == "neg":
            return _neg(self.eval(e[1]))
        if kind == "not":
            return (1 if _is_zero(self.eval(e[1])) else 0), 0
        if kind in ("var", "elem", "special"):
            return self.get(e)
        if kind == "assign":
            op, target, rhs = e[1], e[2], e[3]
            v = self.eval(rhs)
            if op != "=":
                v = self.arith(op[0], self.get(target), v)
            return self.set(target, v)
        if kind in ("pre", "post"):
            old = self.get(e[2])
            new = _add(old, (1 if e[1] == "++" else -1, 0))
            self.set(e[2], new)
            return new if kind == "pre" else old
        if kind == "fn1":
            v = self.eval(e[2])
            if e[1] == "sqrt":
                return _sqrt(v, self.scale)
            if e[1] == "length":
                return _from_int(_length(v))
            return _from_int(v[1])
        if kind == "call":
            return self.call(e[1], e[2])
        if kind == "read":
            raise BcRuntimeError("read() is not supported by the corral shell's bc")
        raise BcRuntimeError(f"cannot evaluate {kind}")

    def binop(self, op: str, a_node: Node, b_node: Node) -> Num:
        if op == "&&":
            a = self.eval(a_node)
            return (0 if _is_zero(a) or _is_zero(self.eval(b_node)) else 1), 0
        if op == "||":
            a = self.eval(a_node)
            return (1 if not _is_zero(a) or not _is_zero(self.eval(b_node)) else 0), 0
        a, b = self.eval(a_node), self.eval(b_node)
        if op in _REL_OPS:
            c = _cmp(a, b)
            ok = {"==": c == 0, "!=": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}
            return (1 if ok[op] else 0), 0
        return self.arith(op, a, b)

    def arith(self, op: str, a: Num, b: Num) -> Num:
        if op == "+":
            return _add(a, b)
        if op == "-":
            return _add(a, _neg(b))
        if op == "*":
            return _mul(a, b, self.scale)
        if op == "/":
            return _div(a, b, self.scale)
        if op == "%":
            return _mod(a, b, self.scale)
        r, warned = _power(a, b, self.scale)
        if warned:
            self.warn("non-zero scale in exponent")
        return r

    def get(self, target: Node) -> Num:
        kind = target[0]
        if kind == "special":
            name = target[1]
            if name == "last":
                return self.last
            return _from_int(getattr(self, name))
        if kind == "var":
            return self.vars.get(target[1], (0, 0))
        idx = self.index(target[2])
        return self.arrays.get(target[1], {}).get(idx, (0, 0))

    def index(self, node: Node) -> int:
        idx = _to_int(self.eval(node))
        if idx < 0 or idx > 16_777_215:
            raise BcRuntimeError("Array index out of bounds")
        return idx

    def set(self, target: Node, v: Num) -> Num:
        kind = target[0]
        _check_size(v[0], v[1])
        if kind == "special":
            name = target[1]
            if name == "last":
                self.last = v
                return v
            n = _to_int(v)
            if name == "scale":
                if n < 0 or n > MAX_DIGITS:
                    raise BcRuntimeError(f"scale must be 0..{MAX_DIGITS} in the corral shell's bc")
                self.scale = n
            elif name == "ibase":
                if n < 2:
                    self.warn("ibase too small, set to 2")
                    n = 2
                elif n > 16:
                    self.warn("ibase too large, set to 16")
                    n = 16
                self.ibase = n
            else:
                if n < 2:
                    self.warn("obase too small, set to 2")
                    n = 2
                elif n > 999:
                    self.warn("obase too large, set to 999")
                    n = 999
                self.obase = n
            return v
        if kind == "var":
            self.vars[target[1]] = v
            return v
        self.arrays.setdefault(target[1], {})[self.index(target[2])] = v
        return v

    def call(self, name: str, args: list[Node]) -> Num:
        fn = self.funcs.get(name)
        if fn is None:
            if self.mathlib and name in ("s", "c", "a", "l", "e", "j"):
                vals = [self.eval(a) for a in args if a[0] != "arrayref"]
                return _mathlib(name, vals, self.scale)
            raise BcRuntimeError(f"Function {name} not defined.")
        if len(args) != len(fn.params):
            raise BcRuntimeError(f"Parameter count mismatch in function {name}")
        if self.depth >= MAX_CALL_DEPTH:
            raise BcRuntimeError(f"function calls nested too deeply ({MAX_CALL_DEPTH})")
        self.ctx.check()
        values: list[Any] = []
        for (_pname, is_arr), a in zip(fn.params, args, strict=True):
            if is_arr:
                if a[0] != "arrayref":
                    raise BcRuntimeError(f"Parameter type mismatch in function {name}")
                values.append(dict(self.arrays.get(a[1], {})))
            else:
                if a[0] == "arrayref":
                    raise BcRuntimeError(f"Parameter type mismatch in function {name}")
                values.append(self.eval(a))
        saved_vars: dict[str, Num | None] = {}
        saved_arrs: dict[str, dict[int, Num] | None] = {}
        for (pname, is_arr), val in [*zip(fn.params, values, strict=True),
                                     *((p, None) for p in fn.autos)]:  # fmt: skip
            if is_arr:
                if pname not in saved_arrs:
                    saved_arrs[pname] = self.arrays.get(pname)
                self.arrays[pname] = val if val is not None else {}
            else:
                if pname not in saved_vars:
                    saved_vars[pname] = self.vars.get(pname)
                self.vars[pname] = val if val is not None else (0, 0)
        self.depth += 1
        result: Num = (0, 0)
        try:
            for s in fn.body:
                self.run(s)
        except _Return as r:
            result = r.value
        except (_Break, _Continue):
            pass
        finally:
            self.depth -= 1
            for k, old in saved_vars.items():
                if old is None:
                    self.vars.pop(k, None)
                else:
                    self.vars[k] = old
            for k, olda in saved_arrs.items():
                if olda is None:
                    self.arrays.pop(k, None)
                else:
                    self.arrays[k] = olda
        return result


def _say(ctx: CommandContext, text: str) -> None:
    """bc's messages, which carry no ``bc:`` prefix."""
    ctx.stderr.write(text.encode("utf-8", "surrogateescape"))


def _unescape(s: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(_ESCAPES.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@command("bc")
def bc_cmd(ctx: CommandContext) -> int:
    """Usage: bc [-lqsw] [FILE]...
An arbitrary precision calculator language (GNU bc's): reads each FILE, then
standard input. -l: scale=20 and the math library (s c a l e j). Numbers past
200,000 digits and calls nested past 100 deep are refused."""
    mathlib = False
    files: list[str] = []
    args = ctx.args
    k = 0
    while k < len(args):
        a = args[k]
        if a == "--":
            files.extend(args[k + 1 :])
            break
        if a.startswith("--"):
            if a == "--mathlib":
                mathlib = True
            elif a not in ("--quiet", "--standard", "--warn", "--interactive"):
                raise CommandError(f"unrecognized option '{a}'", 1)
        elif a.startswith("-") and len(a) > 1:
            for c in a[1:]:
                if c == "l":
                    mathlib = True
                elif c not in "qswi":
                    raise CommandError(f"invalid option -- '{c}'", 1)
        else:
            files.append(a)
        k += 1
    limit = max_string(ctx.ws.budget)
    sources: list[str] = []
    for f in files:
        try:
            with ctx.open_read(f) as fh:
                data = fh.read(limit + 1)
        except (CommandError, OSError):
            _say(ctx, f"File {f} is unavailable.\n")
            return 1
        if len(data) > limit:
            raise CommandError(f"{f}: too large (over {limit} bytes)", 1)
        sources.append(data.decode("utf-8", "surrogateescape"))
    sources.append("")  # stdin, read when its turn comes
    it = Interp(ctx, mathlib, scale=20 if mathlib else 0)
    env_len = ctx.env.get("BC_LINE_LENGTH", "") if ctx.env else ""
    if env_len.isdigit():
        n = int(env_len)
        it.line_length = n if n >= 3 else (1 << 62 if n == 0 else LINE_LENGTH)
    for idx, src in enumerate(sources):
        if idx == len(sources) - 1:
            data = ctx.stdin.read(limit + 1)
            if len(data) > limit:
                raise CommandError(f"standard input too large (over {limit} bytes)", 1)
            src = data.decode("utf-8", "surrogateescape")
        if _run_source(it, src):
            break
    return 0


def _run_source(it: Interp, src: str) -> bool:
    """Run one input; True when bc is to stop (quit, halt)."""
    try:
        toks = tokenize(src)
    except BcSyntaxError as e:
        _say(it.ctx, f"{e}\n")
        return False
    p = Parser(toks)
    while True:
        try:
            line = p.top_line()
        except _Quit:
            return True
        except BcSyntaxError as e:
            _say(it.ctx, f"{e}\n")
            p.recover()
            continue
        if line is None:
            return False
        try:
            for stmt in line:
                it.run(stmt)
        except _Quit:
            return True
        except BcRuntimeError as e:
            _say(it.ctx, f"Runtime error (func=(main), adr=0): {e}\n")
        except (_Break, _Continue, _Return):
            _say(it.ctx, "Runtime error (func=(main), adr=0): break or return out of place\n")
        except RecursionError:
            _say(it.ctx, "Runtime error (func=(main), adr=0): nested too deeply\n")


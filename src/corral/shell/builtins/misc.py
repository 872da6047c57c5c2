"""Small built-ins: echo, printf, date, seq, yes, true/false, sleep, uname,
whoami, hostname, id, nproc, printenv, env, mktemp, du, df.

Also the time and size helpers other built-ins share: the time zone from the
environment (:func:`tz_from_env`), a C-locale ``strftime`` with GNU extensions
(:func:`strftime_c`), GNU ``date -d`` parsing (:func:`parse_date`) and GNU
human-readable sizes (:func:`human_size`).
"""

from __future__ import annotations

import contextlib
import getopt
import math
import os
import posixpath
import re
import secrets
import stat as statmod
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from zoneinfo import ZoneInfo

from ...budget import MB
from ..command import CommandContext, CommandError, command, decode, encode
from ..limits import STREAM_FILL

# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def try_help(name: str) -> str:
    return f"Try '{name} --help' for more information."


def getopt_message(e: getopt.GetoptError) -> str:
    """GNU getopt's wording for a Python getopt error."""
    msg, opt = e.msg, e.opt
    if opt and len(opt) == 1 and not msg.startswith("option --"):
        if "requires argument" in msg:
            return f"option requires an argument -- '{opt}'"
        return f"invalid option -- '{opt}'"
    if "not a unique prefix" in msg:
        return f"option '--{opt}' is ambiguous"
    if "must not have an argument" in msg:
        return f"option '--{opt}' doesn't allow an argument"
    if "requires argument" in msg:
        return f"option '--{opt}' requires an argument"
    return f"unrecognized option '--{opt}'"


def parse_opts(
    ctx: CommandContext,
    short: str,
    long: Iterable[str] = (),
    status: int = 1,
    args: list[str] | None = None,
) -> tuple[list[tuple[str, str]], list[str]]:
    """GNU-style option parsing (permuting, ``--`` ends options)."""
    try:
        return getopt.gnu_getopt(ctx.args if args is None else args, short, list(long))
    except getopt.GetoptError as e:
        raise CommandError(f"{getopt_message(e)}\n{try_help(ctx.name)}", status) from None


def tz_from_env(env: Mapping[str, str]) -> tzinfo:
    """The time zone named by ``TZ`` in the command's environment (UTC if unset)."""
    name = env.get("TZ", "")
    if name.startswith(":"):
        name = name[1:]
    if not name or name in ("UTC", "UTC0", "GMT", "GMT0", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:
        pass
    # A POSIX TZ string without DST rules, like "EST5" or "JST-9".
    m = re.fullmatch(r"([A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,2})(?::(\d\d))?", name)
    if m:
        secs = int(m.group(3)) * 3600 + int(m.group(4) or 0) * 60
        if m.group(2) != "-":
            secs = -secs  # POSIX offsets are west-positive
        return timezone(timedelta(seconds=secs), m.group(1).strip("<>"))
    return UTC


def _tzname(dt: datetime) -> str:
    name = dt.tzname() or ""
    if name.startswith("UTC") and name not in ("UTC",) and dt.utcoffset() == timedelta(0):
        return "UTC"
    if name.startswith("UTC") and len(name) > 3:  # datetime.timezone's "UTC+05:30"
        off = _fmt_offset(dt, 0)
        return off
    return name


def _fmt_offset(dt: datetime, colons: int) -> str:
    off = dt.utcoffset() or timedelta(0)
    total = int(off.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    if colons == 0:
        return f"{sign}{h:02d}{m:02d}"
    if colons == 1:
        return f"{sign}{h:02d}:{m:02d}"
    if colons == 2:
        return f"{sign}{h:02d}:{m:02d}:{s:02d}"
    # %:::z - minimal precision
    if s:
        return f"{sign}{h:02d}:{m:02d}:{s:02d}"
    if m:
        return f"{sign}{h:02d}:{m:02d}"
    return f"{sign}{h:02d}"


_STRF_RE = re.compile(r"%([-_0^#]*)(\d*)([EO]?)(:{0,3})(.)", re.S)


def strftime_c(fmt: str, dt: datetime, ns: int | None = None) -> str:
    """GNU ``date``-style strftime in the C locale (flags ``-_0^#``, widths, %N...)."""
    if ns is None:
        ns = dt.microsecond * 1000

    def conv(m: re.Match[str]) -> str:
        flags, width_s, _mod, colons, c = m.groups()
        width = int(width_s) if width_s else None
        num: int | None = None
        ndig = 2
        pad = "0"
        text: str
        if c == "%":
            text = "%"
        elif c == "a":
            text = DAYS[dt.weekday()][:3]
        elif c == "A":
            text = DAYS[dt.weekday()]
        elif c in "bh":
            text = MONTHS[dt.month - 1][:3]
        elif c == "B":
            text = MONTHS[dt.month - 1]
        elif c == "c":
            text = strftime_c("%a %b %e %H:%M:%S %Y", dt, ns)
        elif c == "C":
            num, ndig = dt.year // 100, 2
        elif c == "d":
            num = dt.day
        elif c == "D" or c == "x":
            text = strftime_c("%m/%d/%y", dt, ns)
        elif c == "e":
            num, pad = dt.day, " "
        elif c == "F":
            text = strftime_c("%Y-%m-%d", dt, ns)
        elif c == "g":
            num = dt.isocalendar()[0] % 100
        elif c == "G":
            num, ndig = dt.isocalendar()[0], 4
        elif c == "H":
            num = dt.hour
        elif c == "I":
            num = dt.hour % 12 or 12
        elif c == "j":
            num, ndig = dt.timetuple().tm_yday, 3
        elif c == "k":
            num, pad = dt.hour, " "
        elif c == "l":
            num, pad = dt.hour % 12 or 12, " "
        elif c == "m":
            num = dt.month
        elif c == "M":
            num = dt.minute
        elif c == "n":
            text = "\n"
        elif c == "N":
            digits = f"{ns % 1_000_000_000:09d}"
            if width:
                digits = (digits + "0" * width)[:width]
            return digits
        elif c == "p":
            text = "AM" if dt.hour < 12 else "PM"
        elif c == "P":
            text = "am" if dt.hour < 12 else "pm"
        elif c == "q":
            num, ndig = (dt.month - 1) // 3 + 1, 1
        elif c == "r":
            text = strftime_c("%I:%M:%S %p", dt, ns)
        elif c == "R":
            text = strftime_c("%H:%M", dt, ns)
        elif c == "s":
            num, ndig = math.floor(dt.timestamp()), 1
        elif c == "S":
            num = dt.second
        elif c == "t":
            text = "\t"
        elif c == "T" or c == "X":
            text = strftime_c("%H:%M:%S", dt, ns)
        elif c == "u":
            num, ndig = dt.isoweekday(), 1
        elif c == "U":
            num = (dt.timetuple().tm_yday + 6 - (dt.isoweekday() % 7)) // 7
        elif c == "V":
            num = dt.isocalendar()[1]
        elif c == "w":
            num, ndig = dt.isoweekday() % 7, 1
        elif c == "W":
            num = (dt.timetuple().tm_yday + 6 - dt.weekday()) // 7
        elif c == "y":
            num = dt.year % 100
        elif c == "Y":
            num, ndig = dt.year, 1
        elif c == "z":
            text = _fmt_offset(dt, len(colons))
        elif c == "Z":
            text = _tzname(dt)
        else:
            return m.group(0)
        if num is not None:
            if "-" in flags:
                text = str(num)
            else:
                if "_" in flags:
                    pad = " "
                elif "0" in flags:
                    pad = "0"
                w = max(ndig, width or 0)
                text = str(abs(num)).rjust(w - (1 if num < 0 else 0), pad)
                if num < 0:
                    text = "-" + text
            return text
        if "^" in flags:
            text = text.upper()
        elif "#" in flags:
            text = text.lower() if c in "Zp" else text.upper()
        if width and len(text) < width and "-" not in flags:
            text = text.rjust(width, "0" if "0" in flags else " ")
        return text

    return _STRF_RE.sub(conv, fmt)


_REL_UNITS = {
    "year": ("months", 12),
    "month": ("months", 1),
    "fortnight": ("days", 14),
    "week": ("days", 7),
    "day": ("days", 1),
    "hour": ("seconds", 3600),
    "minute": ("seconds", 60),
    "min": ("seconds", 60),
    "second": ("seconds", 1),
    "sec": ("seconds", 1),
}
_MONTH_ABBR = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
_DAY_ABBR = {d[:3].lower(): i for i, d in enumerate(DAYS)}


def _month_num(word: str) -> int | None:
    w = word.lower().rstrip(".")
    if len(w) >= 3:
        for i, name in enumerate(MONTHS):
            if name.lower().startswith(w):
                return i + 1
        if w == "sept":
            return 9
    return None


def _day_num(word: str) -> int | None:
    w = word.lower().rstrip(".")
    if len(w) >= 3:
        for i, name in enumerate(DAYS):
            if name.lower().startswith(w) or w in (name.lower()[:3], name.lower()[:4]):
                return i
        if w in ("tues", "wednes", "thur", "thurs"):
            return {"tues": 1, "wednes": 2, "thur": 3, "thurs": 3}[w]
    return None


_TOKEN_RE = re.compile(
    r"\s*(?:"
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})(?:T(?=\d))?"
    r"|(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"|(?P<ampm>am|pm|a\.m\.|p\.m\.)(?![a-z])"
    r"|(?P<slash>\d{1,2}/\d{1,2}(?:/\d{1,4})?)"
    r"|(?P<zone>z|utc|gmt|ut)(?![a-z])"
    r"|(?P<offset>[+-]\d{2}:?\d{2})(?!\d)"
    r"|(?P<num>[+-]?[ \t]*\d+)"  # GNU reads "+ 1 day" as "+1 day"
    r"|(?P<word>[a-z]+\.?)"
    r"|(?P<comma>,)"
    r")",
    re.I,
)


class _DateParse:
    def __init__(self) -> None:
        self.ymd: tuple[int | None, int, int] | None = None
        self.hms: tuple[int, int, int, int] | None = None  # h, m, s, ns
        self.zone: int | None = None  # offset seconds
        self.months = 0
        self.days = 0
        self.seconds = 0
        self.weekday: tuple[int, int] | None = None  # (ordinal, weekday)
        self.epoch: float | None = None


def parse_date(text: str, now: datetime, tz: tzinfo) -> tuple[datetime, int]:
    """Parse a GNU ``date -d`` string. Returns (aware datetime, nanoseconds).
    Raises ValueError for what GNU calls an invalid date."""
    s = text.strip()
    if s.startswith("@"):
        try:
            val = Decimal(s[1:].strip())
        except InvalidOperation:
            raise ValueError(text) from None
        secs = int(val.to_integral_value(rounding="ROUND_FLOOR"))
        ns = int((val - secs) * 1_000_000_000)
        return datetime.fromtimestamp(secs, tz), ns
    p = _DateParse()
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN_RE.match(s, pos)
        if not m or m.end() == pos:
            if s[pos:].strip() == "":
                break
            raise ValueError(text)
        pos = m.end()
        kind = m.lastgroup or ""
        val = m.group(kind)
        tokens.append((kind, val.replace(" ", "").replace("\t", "") if kind == "num" else val))
    i = 0
    while i < len(tokens):
        kind, val = tokens[i]
        low = val.lower()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "iso":
            y, mo, d = (int(x) for x in val.split("-"))
            p.ymd = (y, mo, d)
        elif kind == "time":
            parts = re.split(r"[:.,]", val)
            h, mi = int(parts[0]), int(parts[1])
            sec = int(parts[2]) if len(parts) > 2 else 0
            frac = parts[3] if len(parts) > 3 else ""
            ns = int((frac + "000000000")[:9]) if frac else 0
            if nxt[0] == "ampm":
                h = _ampm(h, nxt[1])
                i += 1
            p.hms = (h, mi, sec, ns)
        elif kind == "slash":
            nums = [int(x) for x in val.split("/")]
            yy = nums[2] if len(nums) == 3 else None
            if yy is not None and yy < 100:
                yy += 2000 if yy < 69 else 1900
            p.ymd = (yy, nums[0], nums[1])
        elif kind == "zone":
            p.zone = 0
        elif kind == "offset":
            sign = -1 if val[0] == "-" else 1
            digits = val[1:].replace(":", "")
            p.zone = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        elif kind == "num":
            unit = _rel_unit(nxt[1]) if nxt[0] == "word" else None
            if val[0] in "+-" and i > 0 and tokens[i - 1][0] == "time":
                # GNU: a signed number right after a time is its zone ("12:00 +1 day"
                # is 12:00+01:00 plus a day); 1-2 digits are hours, 3-4 hhmm
                n = int(val[1:])
                hh, mm = (n, 0) if len(val) <= 3 else divmod(n, 100)
                if len(val) > 5 or hh > 24 or mm > 59:
                    raise ValueError(text)
                p.zone = (-1 if val[0] == "-" else 1) * (hh * 3600 + mm * 60)
            elif unit:
                amount = int(val)
                i += 1
                if i + 1 < len(tokens) and tokens[i + 1][1].lower() == "ago":
                    amount = -amount
                    i += 1
                _add_rel(p, unit, amount)
            elif nxt[0] == "ampm" and not val.startswith(("+", "-")):
                p.hms = (_ampm(int(val), nxt[1]), 0, 0, 0)
                i += 1
            elif nxt[0] == "word" and _month_num(nxt[1]) and not val.startswith(("+", "-")):
                # "2 January 2024"
                day, mon = int(val), _month_num(nxt[1]) or 1
                i += 1
                year = None
                if i + 1 < len(tokens) and tokens[i + 1][0] == "num":
                    year = int(tokens[i + 1][1])
                    i += 1
                p.ymd = (year, mon, day)
            elif len(val) == 8 and val.isdigit():
                p.ymd = (int(val[:4]), int(val[4:6]), int(val[6:]))
            elif len(val) == 4 and val.isdigit() and p.ymd and p.ymd[0] is None:
                p.ymd = (int(val), p.ymd[1], p.ymd[2])
            elif val.startswith(("+", "-")) and p.hms is not None and len(val) in (3, 5):
                sign = -1 if val[0] == "-" else 1
                digits = val[1:]
                hh = int(digits[:2]) if len(digits) == 4 else int(digits)
                mm = int(digits[2:]) if len(digits) == 4 else 0
                p.zone = sign * (hh * 3600 + mm * 60)
            else:
                raise ValueError(text)
        elif kind == "word":
            word = low.rstrip(".")
            unit = _rel_unit(word)
            if word in ("now", "today"):
                pass
            elif word == "yesterday":
                p.days -= 1
            elif word == "tomorrow":
                p.days += 1
            elif word in ("next", "last", "this"):
                ordinal = {"next": 1, "last": -1, "this": 0}[word]
                if nxt[0] != "word":
                    raise ValueError(text)
                i += 1
                wd = _day_num(nxt[1])
                u = _rel_unit(nxt[1])
                if wd is not None:
                    p.weekday = (ordinal, wd)
                elif u:
                    _add_rel(p, u, ordinal)
                else:
                    raise ValueError(text)
            elif word == "ago":
                raise ValueError(text)
            elif unit:
                amount = 1
                if nxt[1].lower() == "ago":
                    amount = -1
                    i += 1
                _add_rel(p, unit, amount)
            elif _day_num(word) is not None:
                p.weekday = (0, _day_num(word) or 0)
                if nxt[0] == "comma":
                    i += 1
            elif _month_num(word) is not None:
                mon = _month_num(word) or 1
                day = 1
                year = None
                if nxt[0] == "num":
                    day = int(nxt[1])
                    i += 1
                    if i + 1 < len(tokens) and tokens[i + 1][0] == "comma":
                        i += 1
                    if (
                        i + 1 < len(tokens)
                        and tokens[i + 1][0] == "num"
                        and not (i + 2 < len(tokens) and tokens[i + 2][0] == "ampm")
                    ):
                        year = int(tokens[i + 1][1])
                        i += 1
                p.ymd = (year, mon, day)
            elif word in ("utc", "gmt", "z", "ut"):
                p.zone = 0
            else:
                raise ValueError(text)
        elif kind == "comma":
            pass
        else:
            raise ValueError(text)
        i += 1
    return _build_date(p, now, tz, text)


def _ampm(h: int, word: str) -> int:
    pm = word.lower().startswith("p")
    if h < 1 or h > 12:
        raise ValueError(word)
    return (h % 12) + (12 if pm else 0)


def _rel_unit(word: str) -> str | None:
    w = word.lower()
    if w in _REL_UNITS:
        return w
    if w.endswith("s") and w[:-1] in _REL_UNITS:
        return w[:-1]
    if w in ("mins", "secs"):
        return w[:-1]
    return None


def _add_rel(p: _DateParse, unit: str, amount: int) -> None:
    field, mult = _REL_UNITS[unit]
    setattr(p, field, getattr(p, field) + amount * mult)


def _build_date(p: _DateParse, now: datetime, tz: tzinfo, text: str) -> tuple[datetime, int]:
    local_now = now.astimezone(tz)
    ns = local_now.microsecond * 1000
    if p.ymd is not None:
        y, mo, d = p.ymd
        year = local_now.year if y is None else y
        try:
            base = datetime(year, mo, d)
        except ValueError:
            raise ValueError(text) from None
        h = mi = sec = 0
        ns = 0
    else:
        base = local_now.replace(tzinfo=None, microsecond=0)
        h, mi, sec = base.hour, base.minute, base.second
    if p.hms is not None:
        h, mi, sec, ns = p.hms
        if h > 23 or mi > 59 or sec > 60:
            raise ValueError(text)
        sec = min(sec, 59)
    elif p.weekday is not None and p.ymd is None:
        h = mi = sec = ns = 0
    base = base.replace(hour=h, minute=mi, second=sec, microsecond=0)
    if p.weekday is not None and p.ymd is None:  # GNU: a day name moves no given date
        ordinal, wd = p.weekday
        cur = base.weekday()
        if ordinal > 0:
            delta = (wd - cur) % 7 or 7
            delta += 7 * (ordinal - 1)
        elif ordinal < 0:
            delta = -((cur - wd) % 7 or 7)
        else:
            delta = (wd - cur) % 7
        base += timedelta(days=delta)
    if p.months:
        total = base.year * 12 + (base.month - 1) + p.months
        ny, nm = divmod(total, 12)
        day = base.day
        try:
            base = base.replace(year=ny, month=nm + 1, day=1) + timedelta(days=day - 1)
        except (ValueError, OverflowError):
            raise ValueError(text) from None
    if p.days:
        base += timedelta(days=p.days)
    if p.zone is not None:
        aware = base.replace(tzinfo=timezone(timedelta(seconds=p.zone)))
    else:
        aware = base.replace(tzinfo=tz)
    ts = aware.timestamp() + p.seconds
    return datetime.fromtimestamp(ts, tz), ns


def human_size(n: int | float) -> str:
    """GNU ``-h`` size: powers of 1024, rounded up, one decimal below 10."""
    n = math.ceil(n)
    if n < 1024:
        return str(n)
    units = "KMGTPEZY"
    div = 1
    for idx, u in enumerate(units):
        div *= 1024
        if n < div * 1024 or idx == len(units) - 1:
            tenths = -(-n * 10 // div)
            if tenths < 100:
                return f"{tenths // 10}.{tenths % 10}{u}"
            whole = -(-n // div)
            if whole >= 1024 and idx < len(units) - 1:
                return f"1.0{units[idx + 1]}"
            return f"{whole}{u}"
    return str(n)  # pragma: no cover


def read_escape(s: str, i: int, *, mode: str) -> tuple[bytes | None, int]:
    """Interpret the backslash escape at ``s[i] == '\\'``. Returns (bytes, or None
    for ``\\c``; index after). ``mode``: "echo" (octal only as \\0NNN), "b" (printf
    %b: \\0NNN and \\NNN) or "fmt" (printf formats: \\NNN)."""
    n = len(s)
    if i + 1 >= n:
        return b"\\", i + 1
    c = s[i + 1]
    simple = {
        "a": b"\a",
        "b": b"\b",
        "e": b"\x1b",
        "E": b"\x1b",
        "f": b"\f",
        "n": b"\n",
        "r": b"\r",
        "t": b"\t",
        "v": b"\v",
        "\\": b"\\",
    }
    if c in simple:
        return simple[c], i + 2
    if c == "c" and mode != "fmt":
        return None, i + 2
    if c in "01234567" and (mode != "echo" or c == "0"):
        j = i + 1
        if mode != "fmt" and c == "0":
            j += 1  # \0NNN: up to three digits after the 0
        digits = ""
        while j < n and len(digits) < 3 and s[j] in "01234567":
            digits += s[j]
            j += 1
        return bytes([int(digits or "0", 8) & 0xFF]), j
    if c in "xuU":
        maxlen = {"x": 2, "u": 4, "U": 8}[c]
        j = i + 2
        digits = ""
        while j < n and len(digits) < maxlen and s[j] in "0123456789abcdefABCDEF":
            digits += s[j]
            j += 1
        if not digits:
            return b"\\" + encode(c), i + 2
        v = int(digits, 16)
        if c == "x":
            return bytes([v]), j
        try:
            return chr(v).encode("utf-8"), j
        except (ValueError, UnicodeEncodeError):
            return b"?", j
    if mode == "fmt" and c in "\"'?":
        return encode(c), i + 2
    return b"\\" + encode(c), i + 2


def expand_escapes(s: str, *, mode: str) -> tuple[bytes, bool]:
    """Expand all escapes. Returns (bytes, stopped_by_backslash_c)."""
    out = bytearray()
    i = 0
    n = len(s)
    while i < n:
        j = s.find("\\", i)
        if j < 0:
            out += encode(s[i:])
            break
        out += encode(s[i:j])
        b, i = read_escape(s, j, mode=mode)
        if b is None:
            return bytes(out), True
        out += b
    return bytes(out), False


# ---------------------------------------------------------------------------
# echo, printf
# ---------------------------------------------------------------------------


_ECHO_OPTIONS = re.compile(r"-[neE]+")


@command("echo")
def echo(ctx: CommandContext) -> int:
    """Usage: echo [-neE] [ARG]...
    Write the ARGs separated by spaces, then a newline (bash's built-in echo).

      -n  do not output the trailing newline
      -e  interpret backslash escapes (\\n \\t \\\\ \\a \\b \\c \\e \\f \\r \\v \\0NNN \\xHH
          \\uHHHH \\UHHHHHHHH); \\c stops all further output
      -E  do not interpret backslash escapes (the default)
    """
    args = ctx.args
    newline = True
    escapes = False
    i = 0
    while i < len(args) and args[i][:1] == "-" and _ECHO_OPTIONS.fullmatch(args[i]):
        for c in args[i][1:]:
            if c == "n":
                newline = False
            elif c == "e":
                escapes = True
            else:
                escapes = False
        i += 1
    text = " ".join(args[i:])
    if escapes:
        data, stopped = expand_escapes(text, mode="echo")
        if stopped:
            ctx.stdout.write(data)
            return 0
    else:
        data = encode(text)
    ctx.stdout.write(data + (b"\n" if newline else b""))
    return 0


_INT64_MAX = 2**63 - 1
_INT_MAX = 2**31 - 1
_INT64_MIN = -(2**63)


class _PrintfState:
    def __init__(self, ctx: CommandContext, args: list[str]) -> None:
        self.ctx = ctx
        self.args = args
        self.pos = 0
        self.status = 0
        self.may_flush = True

    def next(self) -> str | None:
        if self.pos < len(self.args):
            self.pos += 1
            return self.args[self.pos - 1]
        return None

    def warn(self, msg: str) -> None:
        self.ctx.err(msg)

    def fill(self, out: bytearray, n: int, byte: bytes = b" ") -> None:
        """Append ``n`` fill bytes: in memory when small, else written straight
        to stdout in blocks (a 2-GB field never sits in memory)."""
        if n <= STREAM_FILL:
            out += byte * n
            return
        self.ctx.stdout.write(bytes(out))
        out.clear()
        block = byte * STREAM_FILL
        while n > 0:
            self.ctx.check()
            k = min(n, STREAM_FILL)
            self.ctx.stdout.write(block if k == STREAM_FILL else block[:k])
            n -= k

    def integer(self, arg: str | None) -> int:
        if arg is None or arg == "":
            return 0
        if arg.isdigit() and arg.isascii() and (arg[0] != "0" or arg == "0") and len(arg) < 19:
            return int(arg)  # plain decimal digits: below 2**63, nothing to warn about
        if arg[:1] in ("'", '"'):
            rest = encode(arg[1:])
            if not rest:
                return 0
            try:
                return ord(rest.decode("utf-8")[0])
            except UnicodeDecodeError:
                return rest[0]
        m = re.match(r"\s*([+-]?)(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)", arg)
        if not m:
            self.warn(f"{arg}: invalid number")
            self.status = 1
            return 0
        sign, body = m.group(1), m.group(2)
        if body[:2].lower() == "0x":
            if len(body) == 2:
                self.warn(f"{arg}: invalid hex number")
                self.status = 1
                return 0
            v = int(body, 16)
        elif body.startswith("0") and len(body) > 1:
            v = int(body, 8)
        else:
            v = int(body)
        if sign == "-":
            v = -v
        rest = arg[m.end() :]
        if rest:
            if body.startswith("0") and rest[0] in "89" and body[:2].lower() != "0x":
                self.warn(f"{arg}: invalid octal number")
                self.status = 1
                return 0
            self.warn(f"{arg}: invalid number")
            self.status = 1
        if v > _INT64_MAX or v < _INT64_MIN:
            self.warn(f"warning: {arg}: Numerical result out of range")
            v = _INT64_MAX if v > 0 else _INT64_MIN
        return v

    def floating(self, arg: str | None) -> float:
        if arg is None or arg == "":
            return 0.0
        if arg[:1] in ("'", '"'):
            return float(self.integer(arg))
        a = arg.strip()
        try:
            return float.fromhex(a) if re.match(r"[+-]?0[xX]", a) else float(a)
        except ValueError:
            pass
        m = re.match(r"\s*[+-]?(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)", arg)
        self.warn(f"{arg}: invalid number")
        self.status = 1
        if m:
            return float(m.group(0))
        return 0.0


def shell_quote_bash(s: str) -> str:
    """bash's ``printf %q``."""
    if s == "":
        return "''"
    data = encode(s)
    if any(b < 0x20 or b >= 0x7F for b in data):
        out = "$'"
        esc = {7: "\\a", 8: "\\b", 27: "\\E", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t"}
        esc.update({11: "\\v", 92: "\\\\", 39: "\\'"})
        for b in data:
            if b in esc:
                out += esc[b]
            elif b < 0x20 or b >= 0x7F:
                out += f"\\{b:03o}"
            else:
                out += chr(b)
        return out + "'"
    out = []
    for i, c in enumerate(s):
        if c in " \t\n'\"\\|&;()<>!{}*[?]^$`,":
            out.append("\\" + c)
        elif c == "~" and (i == 0 or s[i - 1] in "=:"):
            out.append("\\~")
        elif c == "#" and i == 0:
            out.append("\\#")
        else:
            out.append(c)
    return "".join(out)


_LDBL_MAX_EXP = 16384  # x87 extended precision: 2**16384 overflows
#: a decimal number's text (group 1: its exponent); exponents past this are out of a
#: long double's range and never expanded into an exact fraction
_DECIMAL_EXP = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?")
_MAX_DEC_EXP = 6000
_LDBL_DENORMAL_EXP = -16385  # the exponent glibc writes a denormal long double with


def _long_double_hex(
    arg: str | None, v: float, flags: str, width: str, prec: str | None, upper: bool
) -> str:
    """``%a`` as bash's printf writes it: the argument read as an x87 long double (64
    mantissa bits, the first hex digit 8-f: ``1`` is ``0x8p-3``), rounded half to even
    to the precision, a carry past ``f`` written ``0x1p+(e+4)``."""
    x: Fraction | None = None
    text = (arg or "").strip()  # no argument left: 0
    m = _DECIMAL_EXP.fullmatch(text)
    if m is not None and abs(int(m.group(1) or "0")) <= _MAX_DEC_EXP:
        with contextlib.suppress(ValueError, ZeroDivisionError):  # > 4,300 digits: float
            x = Fraction(text)
    elif m is not None:  # 1e999999999: past a long double either way, not worked out
        x = Fraction(0) if m.group(1).startswith("-") else None
        v = 0.0 if x is not None else math.copysign(math.inf, -1 if text.startswith("-") else 1)
    if x is None and math.isfinite(v):
        x = Fraction(v)
    negative = text.startswith("-") if x is not None and x == 0 else math.copysign(1, v) < 0
    sign = "-" if (x is not None and x < 0) or negative else ""
    if not sign and "+" in flags:
        sign = "+"
    elif not sign and " " in flags:
        sign = " "
    digits = None if prec is None else int(prec or "0")
    if x is None or abs(x) >= Fraction(2) ** _LDBL_MAX_EXP:
        body = "nan" if x is None and math.isnan(v) else "inf"
        prefix = ""
    else:
        prefix = "0x"
        ax = abs(x)
        if ax == 0:
            lead, frac, exp = 0, "", 0
            if digits:
                frac = "0" * digits
        else:
            e = ax.numerator.bit_length() - ax.denominator.bit_length()
            if Fraction(2) ** e > ax:
                e -= 1
            k = max(e - 63, _LDBL_DENORMAL_EXP - 60)  # below the normal range: 0x0.…p-16385
            mant = round(ax / Fraction(2) ** k)
            if mant >> 64:
                mant, k = mant >> 1, k + 1
            exp = k + 60
            if mant == 0:
                lead, frac, exp = 0, "0" * (digits or 0), 0
            elif digits is not None and digits < 15:
                mant = round(Fraction(mant, 1 << (60 - 4 * digits)))
                if mant >> (4 * digits) >= 16:  # 0xf.f… rounded up: 0x1p+(e+4)
                    mant, exp = 1 << (4 * digits), exp + 4
                lead, rest = mant >> (4 * digits), mant & ((1 << (4 * digits)) - 1)
                frac = f"{rest:0{digits}x}" if digits else ""
            else:
                lead, rest = mant >> 60, mant & ((1 << 60) - 1)
                frac = f"{rest:015x}"
                frac = frac.rstrip("0") if digits is None else frac + "0" * (digits - 15)
        point = "." if frac or "#" in flags else ""
        body = f"{lead:x}{point}{frac}p{exp:+d}"
    if upper:
        prefix, body = prefix.upper(), body.upper()
    w = int(width or "0")
    if "-" in flags:
        return (sign + prefix + body).ljust(w)
    if "0" in flags and prefix:
        return sign + prefix + body.rjust(w - len(sign) - len(prefix), "0")
    return (sign + prefix + body).rjust(w)


def _c_float(spec: str, conv: str, v: float) -> str:
    if conv in "aA":
        if math.isinf(v) or math.isnan(v):
            t = ("-" if v < 0 else "") + ("inf" if math.isinf(v) else "nan")
        else:
            h = v.hex()  # like 0x1.8000000000000p+1
            mant, exp = h.split("p")
            if "." in mant:
                mant = mant.rstrip("0").rstrip(".")
            t = f"{mant}p{int(exp):+d}"
        t = t.upper().replace("0X", "0X") if conv == "A" else t
        m = re.match(r"%([-+ #0]*)(\d*)", spec)
        flags, width = (m.group(1), int(m.group(2) or 0)) if m else ("", 0)
        if "+" in flags and not t.startswith("-"):
            t = "+" + t
        return t.ljust(width) if "-" in flags else t.rjust(width)
    return (spec + conv) % v


def _printf_once(st: _PrintfState, fmt: str, out: bytearray) -> tuple[bool, bool]:
    """Run the format once. Returns (stop_everything, consumed_any)."""
    i = 0
    n = len(fmt)
    consumed_before = st.pos
    while i < n:
        if st.may_flush and len(out) > STREAM_FILL:  # many fields in one format
            st.ctx.stdout.write(bytes(out))
            out.clear()
            st.ctx.check()
        c = fmt[i]
        if c == "\\":
            b, i = read_escape(fmt, i, mode="fmt")
            out += b if b is not None else b"\\c"
            continue
        if c != "%":
            j = i
            while j < n and fmt[j] not in "\\%":
                j += 1
            out += encode(fmt[i:j])
            i = j
            continue
        if i + 1 < n and fmt[i + 1] == "%":
            out += b"%"
            i += 2
            continue
        j = i + 1
        flags = ""
        while j < n and fmt[j] in "-+ #0'":
            flags += fmt[j]
            j += 1
        width = ""
        if j < n and fmt[j] == "*":
            width = str(st.integer(st.next()))
            if width.startswith("-"):
                flags += "-"
                width = width[1:]
            j += 1
        else:
            while j < n and fmt[j].isdigit():
                width += fmt[j]
                j += 1
        prec: str | None = None
        if j < n and fmt[j] == ".":
            j += 1
            if j < n and fmt[j] == "*":
                pv = st.integer(st.next())
                prec = str(pv) if pv >= 0 else None
                j += 1
            else:
                prec = ""
                while j < n and fmt[j].isdigit():
                    prec += fmt[j]
                    j += 1
        while j < n and fmt[j] in "hlLjzt":
            j += 1
        if (width and int(width) > _INT_MAX) or (prec and int(prec) > _INT_MAX):
            st.warn(f"{width if width and int(width) > _INT_MAX else prec}: "
                    "field width or precision too large")
            st.status = 1
            return True, st.pos > consumed_before
        if j >= n:
            st.warn("`%': missing format character")
            st.status = 1
            return True, st.pos > consumed_before
        conv = fmt[j]
        if conv == "(":
            k = fmt.find(")", j)
            if k < 0 or k + 1 >= n or fmt[k + 1] != "T":
                st.warn("`(': invalid format character")
                st.status = 1
                return True, st.pos > consumed_before
            tfmt = fmt[j + 1 : k]
            arg = st.next()
            v = -1 if arg is None or arg == "" else st.integer(arg)
            when = time.time() if v in (-1, -2) else v
            dt = datetime.fromtimestamp(when, tz_from_env(st.ctx.env))
            text = encode(strftime_c(tfmt, dt))
            if prec:
                text = text[: int(prec)]
            _pad_out(st, out, text, flags, width)
            i = k + 2
            continue
        i = j + 1
        pflags = flags.replace("'", "")
        if conv in "sbqc":
            arg = st.next()
            if conv == "s":
                text = encode(arg or "")
            elif conv == "b":
                text, stopped = expand_escapes(arg or "", mode="b")
                if stopped:
                    if prec:
                        text = text[: int(prec)]
                    _pad_out(st, out, text, flags, width)
                    return True, True
            elif conv == "q":
                text = encode(shell_quote_bash(arg or ""))
            else:
                text = encode(arg)[:1] if arg else b"\0"
            if prec is not None and conv != "c":
                text = text[: int(prec or 0)]
            _pad_out(st, out, text, flags, width)
        elif conv in "diouxX" or conv in "eEfFgGaA":
            if prec and int(prec) > STREAM_FILL:
                st.warn(f"{prec}: precision too large (corral allows {STREAM_FILL})")
                st.status = 1
                return True, st.pos > consumed_before
            if width and int(width) > STREAM_FILL:
                # Format without the width, then stream the padding.
                mark = len(out)
                sub = _printf_once(_PrintfOne(st), "%" + flags + _prec_spec(prec) + conv, out)
                body = bytes(out[mark:])
                del out[mark:]
                _pad_number(st, out, body, flags, int(width), conv, prec)
                if sub[0]:
                    return True, True
                continue
        if conv in "sbqc":
            pass
        elif conv in "diouxX":
            v = st.integer(st.next())
            spec = (
                "%"
                + pflags.replace("#", "")
                + width
                + ("." + (prec or "0") if prec is not None else "")
            )
            if conv in "di":
                out += encode((spec + "d") % v)
            else:
                if v < 0:
                    v += 2**64
                if conv == "u":
                    out += encode((spec + "d") % v)
                elif conv == "o":
                    body = f"{v:o}"
                    if "#" in pflags and not body.startswith("0"):
                        body = "0" + body
                    out += encode(_num_pad(body, pflags, width, prec))
                else:
                    body = f"{v:x}" if conv == "x" else f"{v:X}"
                    prefix = ("0x" if conv == "x" else "0X") if "#" in pflags and v else ""
                    out += encode(_num_pad(body, pflags, width, prec, prefix))
        elif conv in "aA":  # bash reads the number as a long double
            arg = st.next()
            v = st.floating(arg)
            out += encode(_long_double_hex(arg, v, pflags, width, prec, conv == "A"))
        elif conv in "eEfFgG":
            v = st.floating(st.next())
            spec = "%" + pflags + width + ("." + (prec or "0") if prec is not None else "")
            out += encode(_c_float(spec, conv, v))
        else:
            st.warn(f"`{conv}': invalid format character")
            st.status = 1
            return True, st.pos > consumed_before
    return False, st.pos > consumed_before


class _PrintfOne(_PrintfState):
    """One conversion of a streamed wide field: shares the argument cursor."""

    def __init__(self, outer: _PrintfState) -> None:
        super().__init__(outer.ctx, outer.args)
        self.outer = outer
        self.pos = outer.pos
        self.may_flush = False

    def next(self) -> str | None:
        v = super().next()
        self.outer.pos = self.pos
        return v

    def warn(self, msg: str) -> None:
        self.outer.warn(msg)
        self.outer.status = 1


def _prec_spec(prec: str | None) -> str:
    return "" if prec is None else "." + prec


def _pad_out(st: _PrintfState, out: bytearray, text: bytes, flags: str, width: str) -> None:
    w = int(width) if width else 0
    if w - len(text) <= STREAM_FILL:
        out += _pad(text, flags, width)
    elif "-" in flags:
        out += text
        st.fill(out, w - len(text))
    else:
        st.fill(out, w - len(text))
        out += text


def _pad_number(
    st: _PrintfState,
    out: bytearray,
    body: bytes,
    flags: str,
    width: int,
    conv: str,
    prec: str | None,
) -> None:
    """A number formatted without its (huge) width, padded as C's printf pads."""
    n = width - len(body)
    if n <= 0:
        out += body
        return
    finite = not re.search(rb"(?i)inf|nan", body)
    zero = "0" in flags and "-" not in flags and finite and (conv in "eEfFgGaA" or prec is None)
    if zero:
        m = re.match(rb"[-+ ]?(?:0[xX])?", body)
        head = m.group(0) if m else b""
        out += head
        st.fill(out, n, b"0")
        out += body[len(head) :]
    elif "-" in flags:
        out += body
        st.fill(out, n)
    else:
        st.fill(out, n)
        out += body


def _pad(text: bytes, flags: str, width: str) -> bytes:
    w = int(width) if width else 0
    if len(text) >= w:
        return text
    fill = b" " * (w - len(text))
    return text + fill if "-" in flags else fill + text


def _num_pad(body: str, flags: str, width: str, prec: str | None, prefix: str = "") -> str:
    if prec is not None:
        body = body.rjust(int(prec or 0), "0") if prec else ("" if body == "0" else body)
    w = int(width) if width else 0
    total = len(prefix) + len(body)
    if total >= w:
        return prefix + body
    if "-" in flags:
        return (prefix + body).ljust(w)
    if "0" in flags and prec is None:
        return prefix + body.rjust(w - len(prefix), "0")
    return (prefix + body).rjust(w)


@command("printf")
def printf(ctx: CommandContext) -> int:
    """Usage: printf FORMAT [ARGUMENT]...
    Write the ARGUMENTs according to FORMAT (bash's built-in printf).

    Conversions: %s %b %q %c %d %i %u %o %x %X %f %F %e %E %g %G %a %A %(FMT)T %%,
    with flags -+ #0, a width, a .precision, and * for either. The format is reused
    while arguments remain. Numeric arguments may be 0x1F (hex), 017 (octal) or 'c
    (the character's code). `-v VAR` is handled by the shell.
    """
    args = list(ctx.args)
    if args and args[0] == "--":
        args = args[1:]
    elif args and args[0].startswith("-") and len(args[0]) > 1:
        raise CommandError(
            f"{args[0][:2]}: invalid option\nprintf: usage: printf [-v var] format [arguments]", 2
        )
    if not args:
        raise CommandError("usage: printf [-v var] format [arguments]", 2)
    fmt, rest = args[0], args[1:]
    st = _PrintfState(ctx, rest)
    out = bytearray()
    while True:
        stop, consumed = _printf_once(st, fmt, out)
        if len(out) > 65536:
            ctx.stdout.write(bytes(out))
            out.clear()
        if stop or not consumed or st.pos >= len(rest):
            break
        ctx.check()
    ctx.stdout.write(bytes(out))
    return st.status


# ---------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------

_ISO_FORMATS = {
    "date": "%Y-%m-%d",
    "hours": "%Y-%m-%dT%H%:z",
    "minutes": "%Y-%m-%dT%H:%M%:z",
    "seconds": "%Y-%m-%dT%H:%M:%S%:z",
    "ns": "%Y-%m-%dT%H:%M:%S,%N%:z",
}
_RFC3339_FORMATS = {
    "date": "%Y-%m-%d",
    "seconds": "%Y-%m-%d %H:%M:%S%:z",
    "ns": "%Y-%m-%d %H:%M:%S.%N%:z",
}


def _pick(arg: str, choices: dict[str, str], opt: str) -> str:
    hits = [k for k in choices if k.startswith(arg)] if arg else []
    if arg in choices:
        return choices[arg]
    if len(hits) == 1:
        return choices[hits[0]]
    valid = "\n".join(f"  - '{k}'" for k in choices)
    raise CommandError(
        f"invalid argument '{arg}' for '{opt}'\nValid arguments are:\n{valid}\n{try_help('date')}"
    )


@command("date")
def date(ctx: CommandContext) -> int:
    """Usage: date [OPTION]... [+FORMAT]
    Display the date and time (C locale; the time zone is $TZ, UTC when unset).

      -d, --date=STRING      show the time described by STRING: @EPOCH, 2024-01-02,
                             '2024-01-02 03:04:05', now, yesterday, tomorrow,
                             '3 days ago', '+2 hours', 'next monday', 'Jan 2 2024'...
      -r, --reference=FILE   show FILE's modification time
      -u, --utc              use UTC
      -I[FMT], --iso-8601[=FMT]  ISO 8601 (FMT: date, hours, minutes, seconds, ns)
      -R, --rfc-email        RFC 5322 format: Mon, 14 Aug 2006 02:34:56 -0600
          --rfc-3339=FMT     RFC 3339 format (FMT: date, seconds, ns)
    FORMAT takes %Y %m %d %H %M %S %s %N %j %a %A %b %B %Z %z %:z %F %T %D %e %u %w %p
    %I %y %C %U %W %V %G %c %x %X %r %R %n %t %% with the flags - _ 0 ^ #.
    """
    raw = list(ctx.args)
    iso: str | None = None
    args: list[str] = []
    for idx, a in enumerate(raw):
        if a == "--":
            args.extend(raw[idx:])
            break
        if a.startswith("-I") and not a.startswith("--"):
            iso = _pick(a[2:] or "date", _ISO_FORMATS, "--iso-8601")
        elif a == "--iso-8601" or a.startswith("--iso-8601="):
            iso = _pick(a.partition("=")[2] or "date", _ISO_FORMATS, "--iso-8601")
        else:
            args.append(a)
    opts, operands = parse_opts(
        ctx,
        "d:ur:Rs:f:",
        [
            "date=",
            "utc",
            "universal",
            "reference=",
            "rfc-email",
            "rfc-2822",
            "rfc-3339=",
            "set=",
            "file=",
            "debug",
        ],
        args=args,
    )
    tz = tz_from_env(ctx.env)
    when: str | None = None
    dates_file: str | None = None
    ref: str | None = None
    fmt: str | None = iso
    for o, v in opts:
        if o in ("-d", "--date"):
            when = v
        elif o in ("-u", "--utc", "--universal"):
            tz = UTC
        elif o in ("-r", "--reference"):
            ref = v
        elif o in ("-R", "--rfc-email", "--rfc-2822"):
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif o == "--rfc-3339":
            fmt = _pick(v, _RFC3339_FORMATS, "--rfc-3339")
        elif o in ("-s", "--set"):
            raise CommandError("cannot set date: Operation not permitted")
        elif o in ("-f", "--file"):
            dates_file = v
    for op in operands:
        if op.startswith("+"):
            if fmt is not None and fmt is not iso:
                raise CommandError(f"multiple output formats specified\n{try_help('date')}")
            if len([o for o in operands if o.startswith("+")]) > 1:
                raise CommandError(f"extra operand '{operands[1]}'\n{try_help('date')}")
            fmt = op[1:]
        elif len(operands) > 1:
            raise CommandError(f"extra operand '{operands[1]}'\n{try_help('date')}")
        else:
            raise CommandError(f"invalid date '{op}'")
    if fmt is None:
        fmt = "%a %b %e %H:%M:%S %Z %Y"
    ns_now = time.time_ns()
    now = datetime.fromtimestamp(ns_now // 1_000_000_000, tz)
    ns = ns_now % 1_000_000_000
    dt = now
    if ref is not None:
        host = ctx.resolve(ref)
        try:
            st = os.stat(host)
        except OSError as e:
            raise CommandError(f"{ref}: {e.strerror}") from None
        dt = datetime.fromtimestamp(st.st_mtime_ns // 1_000_000_000, tz)
        ns = st.st_mtime_ns % 1_000_000_000
    if dates_file is not None:  # -f FILE: one date a line, each printed (or refused)
        status = 0
        f = ctx.open_read(dates_file)
        try:
            for raw in f:
                ctx.check()
                line = decode(raw).rstrip("\n")
                try:
                    got, got_ns = parse_date(line, now.replace(microsecond=ns // 1000), tz)
                except (ValueError, OverflowError):
                    ctx.err(f"invalid date '{line}'")
                    status = 1
                    continue
                ctx.out(strftime_c(fmt, got.astimezone(tz), got_ns) + "\n")
        finally:
            if f is not ctx.stdin:
                f.close()
        return status
    if when is not None:
        try:
            dt, ns = parse_date(when, now.replace(microsecond=ns // 1000), tz)
        except (ValueError, OverflowError):
            raise CommandError(f"invalid date '{when}'") from None
        dt = dt.astimezone(tz)
    ctx.out(strftime_c(fmt, dt, ns) + "\n")
    return 0


# ---------------------------------------------------------------------------
# seq, yes, true, false, sleep
# ---------------------------------------------------------------------------


class _SeqNum:
    def __init__(self, text: str) -> None:
        self.text = text
        t = text.strip()
        self.value: Decimal | float
        try:
            if re.match(r"[+-]?0[xX]", t):
                self.value = float.fromhex(t)
            elif t.lower().lstrip("+-") in ("inf", "infinity"):
                self.value = float(t)
            elif t.lower().lstrip("+-") == "nan":
                raise ValueError
            else:
                self.value = Decimal(t)
                if not self.value.is_finite():
                    raise ValueError
        except (ValueError, InvalidOperation):
            raise CommandError(
                f"invalid floating point argument: '{text}'\n{try_help('seq')}"
            ) from None
        frac = 0
        m = re.fullmatch(r"\s*[+-]?\d*(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*", t)
        if m:
            frac = len(m.group(1) or "")
            if m.group(2):
                frac = max(0, frac - int(m.group(2)))
        self.precision = frac
        self.is_int = isinstance(self.value, Decimal) and m is not None and "." not in t
        if m and m.group(2):
            self.is_int = frac == 0 and self.value == self.value.to_integral_value()


def _seq_format(fmt: str) -> str:
    specs = [m for m in re.finditer(r"%(%|[-+ #0']*\d*(?:\.\d*)?[a-zA-Z]?)", fmt)]
    real = [m for m in specs if m.group(1) != "%"]
    if not real:
        raise CommandError(f"format '{fmt}' has no % directive")
    if len(real) > 1:
        raise CommandError(f"format '{fmt}' has too many % directives")
    conv = real[0].group(1)[-1:]
    if conv not in "eEfFgGaA" or not conv:
        raise CommandError(f"format '{fmt}' has unknown %{real[0].group(1)} directive")
    return fmt


@command("seq")
def seq(ctx: CommandContext) -> int:
    """Usage: seq [OPTION]... [FIRST [INCREMENT]] LAST
    Print numbers from FIRST (default 1) to LAST, by INCREMENT (default 1).

      -f, --format=FORMAT     use printf style floating-point FORMAT (%g %f %e)
      -s, --separator=STRING  use STRING to separate numbers (default: \\n)
      -w, --equal-width       equalize width by padding with leading zeroes
    """
    args = ctx.args
    sep = "\n"
    fmt: str | None = None
    width = False
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if operands or re.match(r"-[\d.]", a) or not a.startswith("-") or a == "-":
            operands.append(a)  # GNU seq: options end at the first operand ("+" getopt)
        elif a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            full = [x for x in ("separator", "format", "equal-width") if x.startswith(name)]
            if not name or len(full) != 1:
                raise CommandError(f"unrecognized option '{a}'\n{try_help('seq')}")
            if full[0] == "equal-width":
                width = True
            else:
                if not eq:
                    i += 1
                    if i >= len(args):
                        raise CommandError(
                            f"option '--{full[0]}' requires an argument\n{try_help('seq')}"
                        )
                    val = args[i]
                if full[0] == "separator":
                    sep = val
                else:
                    fmt = val
        else:
            j = 1
            while j < len(a):
                c = a[j]
                if c == "w":
                    width = True
                    j += 1
                elif c in "sf":
                    val = a[j + 1 :]
                    if not val:
                        i += 1
                        if i >= len(args):
                            raise CommandError(
                                f"option requires an argument -- '{c}'\n{try_help('seq')}"
                            )
                        val = args[i]
                    if c == "s":
                        sep = val
                    else:
                        fmt = val
                    break
                else:
                    raise CommandError(f"invalid option -- '{c}'\n{try_help('seq')}")
        i += 1
    if not operands:
        raise CommandError(f"missing operand\n{try_help('seq')}")
    if len(operands) > 3:
        raise CommandError(f"extra operand '{operands[3]}'\n{try_help('seq')}")
    nums = [_SeqNum(o) for o in operands]
    if len(nums) == 1:
        first, step, last = _SeqNum("1"), _SeqNum("1"), nums[0]
    elif len(nums) == 2:
        first, step, last = nums[0], _SeqNum("1"), nums[1]
    else:
        first, step, last = nums
    if step.value == 0:
        raise CommandError(f"invalid Zero increment value: '{step.text}'\n{try_help('seq')}")
    if fmt is not None and width:
        raise CommandError(
            "format string may not be specified when printing equal width strings\n"
            + try_help("seq")
        )
    if fmt is not None:
        _seq_format(fmt)
    all_int = first.is_int and step.is_int and last.is_int and fmt is None
    prec = max(first.precision, step.precision)

    def render(v: Decimal | float) -> str:
        if fmt is not None:
            return fmt.replace("%%", "\0") % float(v) if "%%" in fmt else fmt % float(v)
        if all_int:
            return str(int(v))
        return (
            f"{Decimal(v) if isinstance(v, float) else v:.{prec}f}"
            if math.isfinite(float(v))
            else ("-inf" if float(v) < 0 else "inf")
        )

    pad = 0
    if width:
        lastv = last.value
        pad = max(len(render(first.value)), len(render(lastv)) if math.isfinite(lastv) else 0)

    a, d, z = first.value, step.value, last.value
    if any(isinstance(x, float) for x in (a, d, z)):
        a, d, z = float(a), float(d), float(z)
    buf: list[str] = []
    count = 0
    k = 0
    first_item = True
    while True:
        v = a + d * k
        if (d > 0 and v > z) or (d < 0 and v < z):
            break
        s = render(v)
        if fmt is not None and "\0" in s:
            s = s.replace("\0", "%")
        if pad:
            s = s.rjust(pad, "0") if not s.startswith("-") else "-" + s[1:].rjust(pad - 1, "0")
        buf.append(s if first_item else sep + s)
        first_item = False
        k += 1
        count += 1
        if count % 1000 == 0:
            ctx.stdout.write(encode("".join(buf)))
            buf.clear()
            ctx.check()
    if not first_item:
        buf.append("\n")
    ctx.stdout.write(encode("".join(buf)))
    return 0


@command("yes")
def yes(ctx: CommandContext) -> int:
    """Usage: yes [STRING]...
    Repeatedly output a line with all specified STRING(s), or 'y'.
    """
    line = encode(" ".join(ctx.args) if ctx.args else "y") + b"\n"
    block = line * max(1, 65536 // len(line))
    while True:
        ctx.stdout.write(block)
        ctx.check()


@command("true")
def true(ctx: CommandContext) -> int:
    """Usage: true [ignored command line arguments]
    Exit with a status code indicating success.
    """
    return 0


@command("false")
def false(ctx: CommandContext) -> int:
    """Usage: false [ignored command line arguments]
    Exit with a status code indicating failure.
    """
    return 1


@command("sleep")
def sleep(ctx: CommandContext) -> int:
    """Usage: sleep NUMBER[SUFFIX]...
    Pause for NUMBER seconds (the sum of all operands). SUFFIX may be 's' for
    seconds (the default), 'm' for minutes, 'h' for hours or 'd' for days. NUMBER may
    be a floating-point number or 'inf'. The call's wall budget still applies.
    """
    args = [a for a in ctx.args if a != "--"]
    if not args:
        raise CommandError(f"missing operand\n{try_help('sleep')}")
    total = 0.0
    bad = False
    for a in args:
        m = re.fullmatch(r"\s*([+]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+|inf(?:inity)?))([smhd]?)", a)
        if not m:
            ctx.err(f"invalid time interval '{a}'")
            bad = True
            continue
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    if bad:
        ctx.stderr.write(encode(try_help("sleep") + "\n"))
        return 1
    end = time.monotonic() + total
    while True:
        ctx.check()
        remaining = end - time.monotonic()
        if remaining <= 0:
            return 0
        time.sleep(min(0.05, remaining))


# ---------------------------------------------------------------------------
# system identity
# ---------------------------------------------------------------------------

UNAME = {
    "s": "Linux",
    "n": "corral",
    "r": "corral-wasm",
    "v": "#1 corral",
    "m": "wasm32",
    "p": "unknown",
    "i": "unknown",
    "o": "GNU/Linux",
}


@command("uname")
def uname(ctx: CommandContext) -> int:
    """Usage: uname [OPTION]...
    Print system information (with no OPTION, same as -s).

      -a, --all                print all information, except -p and -i when unknown
      -s, --kernel-name        Linux
      -n, --nodename           corral
      -r, --kernel-release     corral-wasm
      -v, --kernel-version     the kernel version
      -m, --machine            wasm32
      -p, --processor          unknown
      -i, --hardware-platform  unknown
      -o, --operating-system   GNU/Linux
    """
    longs = {
        "--all": "a",
        "--kernel-name": "s",
        "--nodename": "n",
        "--kernel-release": "r",
        "--kernel-version": "v",
        "--machine": "m",
        "--processor": "p",
        "--hardware-platform": "i",
        "--operating-system": "o",
    }
    opts, operands = parse_opts(ctx, "asnrvmpio", [k[2:] for k in longs])
    if operands:
        raise CommandError(f"extra operand '{operands[0]}'\n{try_help('uname')}")
    want: set[str] = set()
    for o, _ in opts:
        k = longs.get(o, o[1:])
        if k == "a":
            want.update("snrvmo")
        else:
            want.add(k)
    if not want:
        want.add("s")
    ctx.out(" ".join(UNAME[k] for k in "snrvmpio" if k in want) + "\n")
    return 0


@command("whoami")
def whoami(ctx: CommandContext) -> int:
    """Usage: whoami
    Print the user name of the sandbox's one user: user.
    """
    if ctx.args:
        raise CommandError(f"extra operand '{ctx.args[0]}'\n{try_help('whoami')}")
    ctx.out("user\n")
    return 0


@command("hostname")
def hostname(ctx: CommandContext) -> int:
    """Usage: hostname [-s|-f|-i|-I]
    Print the host name: corral. Setting it is not allowed.

      -s, --short  -f, --fqdn, --long   the name (corral)
      -i, --ip-address, -I, --all-ip-addresses   127.0.0.1
    """
    opts, operands = parse_opts(
        ctx, "sfiIdA", ["short", "fqdn", "long", "ip-address", "all-ip-addresses", "domain"]
    )
    if operands:
        raise CommandError("you must be root to change the host name")
    kinds = {o for o, _ in opts}
    if kinds & {"-i", "-I", "--ip-address", "--all-ip-addresses"}:
        ctx.out("127.0.0.1\n")
    elif kinds & {"-d", "--domain"}:
        ctx.out("\n")
    else:
        ctx.out("corral\n")
    return 0


@command("id")
def id_(ctx: CommandContext) -> int:
    """Usage: id [OPTION]... [USER]
    Print user and group information for the sandbox's one user
    (uid=1000(user) gid=1000(user) groups=1000(user)).

      -u, --user    only the user ID     -g, --group   only the group ID
      -G, --groups  all group IDs        -n, --name    a name instead of a number
      -r, --real    real ID (the same)   -z, --zero    NUL instead of newline
    """
    opts, operands = parse_opts(ctx, "ugGnrz", ["user", "group", "groups", "name", "real", "zero"])
    if len(operands) > 1:
        raise CommandError(f"extra operand '{operands[1]}'\n{try_help('id')}")
    if operands and operands[0] not in ("user", "1000"):
        raise CommandError(f"'{operands[0]}': no such user")
    kinds = {o for o, _ in opts}
    name = bool(kinds & {"-n", "--name"})
    end = "\0" if kinds & {"-z", "--zero"} else "\n"
    which = [
        k
        for k in ("u", "g", "G")
        if kinds & {f"-{k}", {"u": "--user", "g": "--group", "G": "--groups"}[k]}
    ]
    if len(which) > 1:
        raise CommandError('cannot print "only" of more than one choice')
    if not which:
        if name or kinds & {"-r", "--real"}:
            raise CommandError("cannot print only names or real IDs in default format")
        ctx.out("uid=1000(user) gid=1000(user) groups=1000(user)\n")
        return 0
    ctx.out(("user" if name else "1000") + end)
    return 0


@command("nproc")
def nproc(ctx: CommandContext) -> int:
    """Usage: nproc [--all] [--ignore=N]
    Print the number of processing units available: 1.
    """
    parse_opts(ctx, "", ["all", "ignore="])
    ctx.out("1\n")
    return 0


@command("printenv")
def printenv(ctx: CommandContext) -> int:
    """Usage: printenv [OPTION]... [VARIABLE]...
    Print the values of the named environment VARIABLEs, or NAME=value for all of
    them. Exit status 1 if a named variable is not set.

      -0, --null  end each output line with NUL, not newline
    """
    opts, names = parse_opts(ctx, "0", ["null"], status=2)
    end = "\0" if opts else "\n"
    if not names:
        ctx.out("".join(f"{k}={v}{end}" for k, v in ctx.env.items()))
        return 0
    status = 0
    for n in names:
        if "=" not in n and n in ctx.env:
            ctx.out(ctx.env[n] + end)
        else:
            status = 1
    return status


@command("env")
def env(ctx: CommandContext) -> int:
    """Usage: env [-0] [-u NAME]... [NAME=VALUE]...
    Print the environment as NAME=value lines. Running a command under a changed
    environment (env [NAME=VALUE]... COMMAND [ARG]...) is done by the shell itself;
    this built-in only prints.

      -0, --null             end each output line with NUL, not newline
      -i, --ignore-environment  start with an empty environment
      -u, --unset=NAME       remove NAME from the environment
    """
    opts, operands = parse_opts(ctx, "+0iu:", ["null", "ignore-environment", "unset="], status=125)
    values = dict(ctx.env)
    end = "\n"
    for o, v in opts:
        if o in ("-0", "--null"):
            end = "\0"
        elif o in ("-i", "--ignore-environment"):
            values = {}
        else:
            values.pop(v, None)
    for i, op in enumerate(operands):
        if op == "-" and i == 0:
            values = {}
            continue
        if "=" not in op or op.startswith("="):
            raise CommandError(
                f"'{op}': running a command is done by the shell, not by this built-in", 125
            )
        k, _, v = op.partition("=")
        values[k] = v
    ctx.out("".join(f"{k}={v}{end}" for k, v in values.items()))
    return 0


# ---------------------------------------------------------------------------
# mktemp, du, df
# ---------------------------------------------------------------------------

_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@command("mktemp")
def mktemp(ctx: CommandContext) -> int:
    """Usage: mktemp [OPTION]... [TEMPLATE]
    Create a temporary file or directory, safely, and print its name. TEMPLATE must
    contain at least 3 consecutive 'X's in its last component; without TEMPLATE,
    tmp.XXXXXXXXXX is used in $TMPDIR (if inside /workspace) or /workspace/.tmp.

      -d, --directory     create a directory, not a file
      -u, --dry-run       do not create anything; merely print a name
      -q, --quiet         suppress diagnostics about file/dir-creation failure
      -p DIR, --tmpdir[=DIR]  interpret TEMPLATE relative to DIR
      -t                  interpret TEMPLATE relative to the temporary directory
          --suffix=SUFF   append SUFF to TEMPLATE
    """
    args = []
    tmpdir_opt: str | None = None
    for a in ctx.args:
        if a == "--tmpdir":
            tmpdir_opt = ""
        elif a.startswith("--tmpdir="):
            tmpdir_opt = a.partition("=")[2]
        else:
            args.append(a)
    opts, operands = parse_opts(
        ctx, "dqup:t", ["directory", "quiet", "dry-run", "suffix="], args=args
    )
    make_dir = dry = quiet = use_t = False
    suffix = ""
    for o, v in opts:
        if o in ("-d", "--directory"):
            make_dir = True
        elif o in ("-u", "--dry-run"):
            dry = True
        elif o in ("-q", "--quiet"):
            quiet = True
        elif o == "-p":
            tmpdir_opt = v
        elif o == "-t":
            use_t = True
        elif o == "--suffix":
            suffix = v
    if len(operands) > 1:
        raise CommandError(f"too many templates\n{try_help('mktemp')}")
    template = operands[0] if operands else "tmp.XXXXXXXXXX"
    if not operands:
        use_t = True
    if suffix and "/" in suffix:
        raise CommandError(f"invalid suffix '{suffix}', contains directory separator")
    if not re.search(r"XXX$", template):
        raise CommandError(f"too few X's in template '{template + suffix}'")
    if (use_t or tmpdir_opt is not None) and "/" in template and use_t and tmpdir_opt is None:
        raise CommandError(f"invalid template, '{template}', contains directory separator")
    base: str | None = None
    if tmpdir_opt is not None or use_t:
        base = tmpdir_opt or ""
        if not base:
            envdir = ctx.env.get("TMPDIR", "")
            if envdir:
                try:
                    ctx.ws.guest_path(envdir, ctx.cwd)
                    base = envdir
                except Exception:
                    base = ""
            if not base:
                base = "/workspace/.tmp"
                host = ctx.resolve(base)
                if not host.exists():
                    host.mkdir(parents=True, exist_ok=True)
        if template.startswith("/"):
            raise CommandError(
                f"invalid template, '{template}'; with --tmpdir, it may not be absolute"
            )
    m = re.search(r"X+$", template)
    assert m
    nx = m.end() - m.start()
    stem = template[: m.start()]
    for _attempt in range(100):
        name = stem + "".join(secrets.choice(_TEMP_CHARS) for _ in range(nx)) + suffix
        path = posixpath.join(base, name) if base is not None else name
        try:
            host = ctx.resolve(path, follow_last=False)
        except CommandError:
            if quiet:
                return 1
            raise
        if dry:
            if not host.exists() and not host.is_symlink():
                ctx.out(path + "\n")
                return 0
            continue
        try:
            if make_dir:
                os.mkdir(host, 0o700)
            else:
                fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                os.close(fd)
        except FileExistsError:
            continue
        except OSError as e:
            if quiet:
                return 1
            what = "directory" if make_dir else "file"
            raise CommandError(
                f"failed to create {what} via template '{path[: len(path) - len(suffix) - nx]}"
                f"{'X' * nx}{suffix}': {e.strerror}"
            ) from None
        ctx.out(path + "\n")
        return 0
    raise CommandError("failed to create a unique name")


def _du_walk(
    ctx: CommandContext,
    host: str,
    disp: str,
    depth: int,
    st: os.stat_result,
    o: dict[str, object],
    seen: set[tuple[int, int]],
    lines: list[tuple[int, str]],
    counter: list[int],
) -> int:
    apparent = bool(o["apparent"])
    max_depth = o["max_depth"]

    def size_of(s: os.stat_result) -> int | None:
        if s.st_nlink > 1 or statmod.S_ISDIR(s.st_mode):
            key = (s.st_dev, s.st_ino)
            if key in seen:
                return None
            seen.add(key)
        return s.st_size if apparent else s.st_blocks * 512

    own = size_of(st)
    if own is None:
        return 0
    total = own
    if statmod.S_ISDIR(st.st_mode):
        try:
            with os.scandir(host) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            ctx.err(f"cannot read directory '{disp}': {e.strerror}")
            o["status"] = 1
            entries = []
        for e in entries:
            counter[0] += 1
            if counter[0] % 500 == 0:
                ctx.check()
            child_disp = disp + ("" if disp.endswith("/") else "/") + e.name
            try:
                cst = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if statmod.S_ISDIR(cst.st_mode):
                total += _du_walk(ctx, e.path, child_disp, depth + 1, cst, o, seen, lines, counter)
            else:
                sz = size_of(cst)
                if sz is None:
                    continue
                total += sz
                if o["all"] and (max_depth is None or depth + 1 <= max_depth):  # type: ignore[operator]
                    lines.append((sz, child_disp))
        if max_depth is None or depth <= max_depth:  # type: ignore[operator]
            lines.append((total, disp))
    elif depth == 0:
        lines.append((total, disp))
    return total


@command("du")
def du(ctx: CommandContext) -> int:
    """Usage: du [OPTION]... [FILE]...
    Summarize disk usage of each FILE, recursively for directories (in 1K blocks).

      -a, --all             write counts for all files, not just directories
      -b, --bytes           apparent sizes in bytes (--apparent-size --block-size=1)
          --apparent-size   print apparent sizes rather than disk usage
      -c, --total           produce a grand total
      -d, --max-depth=N     print the total for a directory only if N or fewer levels
                            below the command line argument
      -h, --human-readable  print sizes in human readable format (e.g., 1K 234M 2G)
      -k                    1K blocks (default);  -m  1M blocks
      -s, --summarize       display only a total for each argument
      -x, --one-file-system (ignored: the workspace is one file system)
    """
    opts, operands = parse_opts(
        ctx,
        "abcd:hkmsxLPS0",
        [
            "all",
            "bytes",
            "apparent-size",
            "total",
            "max-depth=",
            "human-readable",
            "summarize",
            "one-file-system",
            "null",
        ],
    )
    o: dict[str, object] = {"all": False, "apparent": False, "max_depth": None, "status": 0}
    unit = 1024
    human = total = summarize = False
    end = "\n"
    for k, v in opts:
        if k in ("-a", "--all"):
            o["all"] = True
        elif k in ("-b", "--bytes"):
            o["apparent"] = True
            unit = 1
        elif k == "--apparent-size":
            o["apparent"] = True
        elif k in ("-c", "--total"):
            total = True
        elif k in ("-d", "--max-depth"):
            if not v.isdigit():
                raise CommandError(f"invalid maximum depth '{v}'\n{try_help('du')}")
            o["max_depth"] = int(v)
        elif k in ("-h", "--human-readable"):
            human = True
        elif k == "-k":
            unit = 1024
        elif k == "-m":
            unit = MB
        elif k in ("-s", "--summarize"):
            summarize = True
        elif k in ("-0", "--null"):
            end = "\0"
    if summarize:
        if o["max_depth"] not in (None, 0):
            raise CommandError(
                f"cannot both summarize and show all entries\n{try_help('du')}"
                if o["all"]
                else f"warning: summarizing conflicts with --max-depth={o['max_depth']}"
            )
        if o["all"]:
            raise CommandError(f"cannot both summarize and show all entries\n{try_help('du')}")
        o["max_depth"] = 0

    def fmt(n: int) -> str:
        if human:
            return human_size(n)
        return str(-(-n // unit))

    seen: set[tuple[int, int]] = set()
    grand = 0
    counter = [0]
    for path in operands or ["."]:
        try:
            host = ctx.resolve(path, follow_last=False)
            st = os.lstat(host)
        except CommandError as e:
            ctx.err(f"cannot access '{path}': {str(e).partition(': ')[2]}")
            o["status"] = 1
            continue
        except OSError as e:
            ctx.err(f"cannot access '{path}': {e.strerror}")
            o["status"] = 1
            continue
        lines: list[tuple[int, str]] = []
        grand += _du_walk(ctx, str(host), path, 0, st, o, seen, lines, counter)
        ctx.out("".join(f"{fmt(sz)}\t{p}{end}" for sz, p in lines))
    if total:
        ctx.out(f"{fmt(grand)}\ttotal{end}")
    return int(o["status"])  # type: ignore[call-overload]


@command("df")
def df(ctx: CommandContext) -> int:
    """Usage: df [OPTION]... [FILE]...
    Show the workspace's disk use against the sandbox's disk budget (one line,
    mounted on /workspace).

      -h, --human-readable  sizes in powers of 1024 (e.g., 1023M)
      -k  1K blocks (default);  -m  1M blocks
      -i, --inodes          list file-count usage (the budget's file limit) instead
      -P, --portability     use the POSIX output format
      -T, --print-type      print the file system type (corral)
    """
    opts, operands = parse_opts(
        ctx,
        "hkmiPTa",
        ["human-readable", "inodes", "portability", "print-type", "all", "total"],
    )
    kinds = {k for k, _ in opts}
    human = bool(kinds & {"-h", "--human-readable"})
    inodes = bool(kinds & {"-i", "--inodes"})
    posix = bool(kinds & {"-P", "--portability"})
    show_type = bool(kinds & {"-T", "--print-type"})
    unit = MB if "-m" in kinds else 1024
    status = 0
    for path in operands:
        try:
            if not ctx.resolve(path).exists():
                ctx.err(f"{path}: No such file or directory")
                status = 1
        except CommandError as e:
            ctx.err(str(e))
            status = 1
    if operands and status:
        return status
    used_bytes, files = ctx.ws.disk_usage()
    budget = ctx.ws.budget
    limit = int(budget.disk_mb * MB)
    if inodes:
        headers = ["Inodes", "IUsed", "IFree", "IUse%"]
        tot, used = budget.disk_files, files
        avail = max(tot - used, 0)
        vals = [str(tot), str(used), str(avail)]
    else:
        if human:
            headers = ["Size", "Used", "Avail", "Use%"]
            vals = [
                human_size(limit),
                human_size(used_bytes),
                human_size(max(limit - used_bytes, 0)),
            ]
        else:
            label = "1K-blocks" if unit == 1024 else "1M-blocks"
            if posix:
                label = "1024-blocks" if unit == 1024 else "1048576-blocks"
            headers = [label, "Used", "Available", "Capacity" if posix else "Use%"]
            tb = limit // unit
            ub = -(-used_bytes // unit)
            vals = [str(tb), str(ub), str(max(tb - ub, 0))]
        tot, used = limit, used_bytes
        avail = max(limit - used_bytes, 0)
    pct = "-" if used + avail == 0 else f"{-(-used * 100 // (used + avail))}%"
    vals.append(pct)
    if posix and headers[-1] == "Use%":
        headers[-1] = "Capacity"
    cols_h = ["Filesystem"] + (["Type"] if show_type else []) + headers + ["Mounted on"]
    cols_v = ["corral"] + (["corral"] if show_type else []) + vals + ["/workspace"]
    widths = []
    for idx, (h, v) in enumerate(zip(cols_h, cols_v, strict=True)):
        minw = 14 if idx == 0 else (len(h) if h in ("Type", "Use%", "IUse%", "Capacity") else 5)
        widths.append(max(len(h), len(v), minw if idx < len(cols_h) - 1 else 0))
    left = {0, len(cols_h) - 1} | ({1} if show_type else set())

    def line(cells: list[str]) -> str:
        parts = []
        for idx, c in enumerate(cells):
            if idx == len(cells) - 1:
                parts.append(c)
            elif idx in left:
                parts.append(c.ljust(widths[idx]))
            else:
                parts.append(c.rjust(widths[idx]))
        return " ".join(parts) + "\n"

    ctx.out(line(cols_h) + line(cols_v))
    return status

"""Word expansion, in bash's order: brace, tilde, parameter / command /
arithmetic, word splitting, pathname expansion, quote removal.

A word is first cut into *segments* ``(text, quoted, split)``: ``quoted`` text
is never split or globbed; ``split`` marks the results of unquoted expansions
(subject to IFS splitting). ``BREAK`` separates the fields that ``"$@"`` and
``"${a[@]}"`` produce.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import pattern as P
from . import transforms as T
from .arith import Arith, ArithError
from .lexer import ShellSyntaxError, find_close, skip_backtick, skip_dollar, skip_dquote
from .limits import max_string, too_large
from .memo import BoundedMemo
from .values import IArray

if TYPE_CHECKING:
    from .interp import Shell

BREAK = ("\x00BREAK", True, False)
Seg = tuple[str, bool, bool]


class ExpansionError(Exception):
    """``${x:?msg}``, a bad substitution, an unset variable under ``set -u``."""

    def __init__(
        self, message: str, status: int = 1, arith: bool = False, soft: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.arith = arith  # abandons the current top-level command
        self.soft = soft  # only the command fails (e.g. assigning a readonly)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = set("@*#?-$!0123456789")


class Expander:
    def __init__(self, sh: Shell) -> None:
        self.sh = sh
        #: inside :meth:`word` (one word is made: lists are joined, not split)
        self._one_word = False

    # -- public entry points -----------------------------------------------------

    def words(self, raws: list[str]) -> list[str]:
        """Full expansion of command words into argv."""
        out: list[str] = []
        for raw in raws:
            if "{" not in raw or "}" not in raw:  # no brace expansion
                plan = _plan(raw, True, False, False)
                if plan is not None:
                    if plan.argv is not None:
                        out.extend(plan.argv)  # a literal word: its fields are fixed
                        continue
                    if plan.var is not None:
                        # `$i`, `"$x"`: a set variable's value is the one field when it
                        # is quoted, or has nothing to split at and nothing to glob
                        val = self.sh.get_var(plan.var)
                        if val is not None and (plan.var_quoted or self._one_field(val)):
                            out.append(val)
                            continue
            for b in brace_expand(raw):
                segs = self.segments(b, tilde=True)
                for field in self.split(segs):
                    out.extend(self.glob(field))
        return out

    def _one_field(self, val: str) -> bool:
        """An unquoted expansion's value that IFS splitting and globbing leave whole
        (and not empty: that is no field at all)."""
        if not val or "*" in val or "?" in val or "[" in val:
            return False
        if "(" in val and "shopt:extglob" in self.sh.state.options and _EXTGLOB_OPEN.search(val):
            return False
        ifs = self.sh.get_var("IFS")
        if ifs is None:
            ifs = " \t\n"
        return not ifs or _ifs_info(ifs)[1](val) is None

    def word(self, raw: str, tilde: bool = True) -> str:
        """Expansion without splitting or globbing (assignments, redirections): ``$@``
        and ``${a[@]}`` joined with spaces, ``$*`` and ``${a[*]}`` with IFS's first
        character, as bash joins them there."""
        plan = _plan(raw, tilde, tilde, False)
        if plan is not None:  # one expansion alone: its text, without segments
            if plan.arith is not None:
                return str(self.arith(plan.arith))
            if plan.var is not None:
                val = self.sh.get_var(plan.var)
                if val is not None:
                    return val
        before, self._one_word = self._one_word, True
        try:
            segs = self.segments(raw, tilde=tilde, assignment=tilde)
        finally:
            self._one_word = before
        if len(segs) == 1 and segs[0][0] not in ("\x00BREAK", "\x00EMPTY"):
            return segs[0][0]
        ifs = self.sh.get_var("IFS")
        sep = " " if ifs is None else ifs[:1]
        return "".join(sep if s == BREAK else s[0] for s in segs if s[0] != "\x00EMPTY")

    def pattern(self, raw: str) -> str:
        """Expansion into a glob pattern: quoted parts are escaped."""
        segs = self.segments(raw, tilde=True)
        return "".join(
            P.escape(t) if q else t for t, q, _ in segs if (t, q, _) != BREAK and t != "\x00EMPTY"
        )

    def heredoc(self, body: str) -> str:
        segs = self.segments(body, tilde=False, heredoc=True)
        return "".join(" " if s == BREAK else s[0] for s in segs if s[0] != "\x00EMPTY")

    # -- segments ------------------------------------------------------------------

    def segments(
        self, raw: str, tilde: bool = False, assignment: bool = False, heredoc: bool = False
    ) -> list[Seg]:
        plan = _plan(raw, tilde, assignment, heredoc)
        if plan is None:  # a word the plan refuses: expanded step by step, raising in order
            return self._segments_slow(raw, tilde, assignment, heredoc)
        if plan.literal is not None:
            if plan.size > _LITERAL_CHECK and len(plan.literal) > 1:
                limit = self._limit()
                if plan.size > limit:
                    raise ExpansionError(too_large("xrealloc", plan.size, limit))
            return list(plan.literal)
        segs: list[Seg] = []
        for op in plan.ops:
            kind = op[0]
            if kind == _SEG:
                segs.append(op[1])
            elif kind == _PARAM:
                self._param(op[1], None, segs, op[2])
            elif kind == _BRACE:
                self._brace_param(op[1], segs, op[2])
            elif kind == _ARITH:
                quoted = op[2]
                segs.append((str(self.arith(op[1])), quoted, not quoted))
            elif kind == _CMD:
                quoted = op[2]
                segs.append((self.sh.command_subst(op[1]), quoted, not quoted))
            elif kind == _PROC:
                segs.append((self.sh.process_subst(op[1], op[2]), True, False))
            else:  # _TILDE
                segs.append((self.sh.get_var("HOME") or "/workspace", True, False))
        if len(segs) > 1:  # the word joins its pieces: refuse a join past the cap
            size = sum(len(t[0]) for t in segs)
            limit = self._limit()
            if size > limit:
                raise ExpansionError(too_large("xrealloc", size, limit))
        return segs

    def _segments_slow(
        self, raw: str, tilde: bool = False, assignment: bool = False, heredoc: bool = False
    ) -> list[Seg]:
        """The interpretive expansion, for words ``_plan`` refuses (an unterminated
        quote or substitution): what comes before the error is expanded first."""
        segs: list[Seg] = []
        i = 0
        n = len(raw)
        if tilde and raw.startswith("~"):
            m = re.match(r"~([A-Za-z0-9_]*)(?=/|$|:)", raw)
            if m:
                if m.group(1) == "":
                    segs.append((self.sh.get_var("HOME") or "/workspace", True, False))
                    i = m.end()
                elif m.group(1) in ("+", "-"):
                    pass
        lit: list[str] = []

        def flush() -> None:
            if lit:
                segs.append(("".join(lit), False, False))
                lit.clear()

        while i < n:
            c = raw[i]
            if heredoc:
                if c == "\\" and i + 1 < n and raw[i + 1] in "$`\\\n":
                    if raw[i + 1] != "\n":
                        lit.append(raw[i + 1])
                    i += 2
                    continue
                if c == "$" or c == "`":
                    flush()
                    i = self._dollar(raw, i, segs, quoted=True)
                    continue
                lit.append(c)
                i += 1
                continue
            if c == "\\":
                flush()
                if i + 1 < n:
                    if raw[i + 1] != "\n":
                        segs.append((raw[i + 1], True, False))
                    i += 2
                else:
                    segs.append(("\\", True, False))
                    i += 1
                continue
            if c == "'":
                flush()
                k = raw.find("'", i + 1)
                if k < 0:
                    raise ExpansionError("unexpected EOF while looking for matching `''", 2)
                segs.append((raw[i + 1 : k], True, False))
                i = k + 1
                continue
            if c == '"':
                flush()
                end = skip_dquote(raw, i)
                inner = raw[i + 1 : end - 1]
                segs.extend(self._dquote(inner))
                if inner == "":
                    segs.append(("", True, False))
                i = end
                continue
            if c == "$" and raw.startswith("$'", i):
                flush()
                j = i + 2
                while j < n and raw[j] != "'":
                    j += 2 if raw[j] == "\\" else 1
                segs.append((ansi_c(raw[i + 2 : j]), True, False))
                i = j + 1
                continue
            if c == "$" and raw.startswith('$"', i):
                i += 1
                continue
            if c == "$" or c == "`":
                flush()
                i = self._dollar(raw, i, segs, quoted=False)
                continue
            if c in "<>" and raw.startswith("(", i + 1):
                flush()
                end = find_close(raw, i + 2, "(", ")")
                segs.append((self.sh.process_subst(raw[i + 2 : end - 1], c), True, False))
                i = end
                continue
            if assignment and c == ":" and raw.startswith(":~", i):
                lit.append(":")
                i += 1
                m = re.match(r"~(?=/|$|:)", raw[i:])
                if m:
                    flush()
                    segs.append((self.sh.get_var("HOME") or "/workspace", True, False))
                    i += 1
                continue
            lit.append(c)
            i += 1
        flush()
        if len(segs) > 1:  # the word joins its pieces: refuse a join past the cap
            size = sum(len(t[0]) for t in segs)
            limit = self._limit()
            if size > limit:
                raise ExpansionError(too_large("xrealloc", size, limit))
        return segs

    def _limit(self) -> int:
        ws = getattr(self.sh, "ws", None)
        return max_string(ws.budget if ws is not None else None)

    def _dquote(self, inner: str) -> list[Seg]:
        segs: list[Seg] = []
        lit: list[str] = []
        i = 0
        n = len(inner)
        while i < n:
            c = inner[i]
            if c == "\\" and i + 1 < n and inner[i + 1] in '$`"\\\n':
                if inner[i + 1] != "\n":
                    lit.append(inner[i + 1])
                i += 2
                continue
            if c == "$" or c == "`":
                if c == "$" and (
                    i + 1 >= n or not (inner[i + 1] in "({" or _starts_param(inner, i + 1))
                ):
                    lit.append(c)
                    i += 1
                    continue
                if lit:
                    segs.append(("".join(lit), True, False))
                    lit.clear()
                i = self._dollar(inner, i, segs, quoted=True)
                continue
            lit.append(c)
            i += 1
        if lit:
            segs.append(("".join(lit), True, False))
        return segs

    def _dollar(self, raw: str, i: int, segs: list[Seg], quoted: bool) -> int:
        n = len(raw)
        if raw[i] == "`":
            end = skip_backtick(raw, i)
            inner = re.sub(r"\\([$`\\])", r"\1", raw[i + 1 : end - 1])
            segs.append((self.sh.command_subst(inner), quoted, not quoted))
            return end
        if raw.startswith("$((", i):
            try:
                end = find_close(raw, i + 3, "((", "))")
            except ShellSyntaxError:
                end = -1
            if end > 0:
                expr = raw[i + 3 : end - 2]
                segs.append((str(self.arith(expr)), quoted, not quoted))
                return end
        if raw.startswith("$[", i):
            end = raw.find("]", i)
            if end > 0:
                segs.append((str(self.arith(raw[i + 2 : end])), quoted, not quoted))
                return end + 1
        if raw.startswith("$(", i):
            end = find_close(raw, i + 2, "(", ")")
            segs.append((self.sh.command_subst(raw[i + 2 : end - 1]), quoted, not quoted))
            return end
        if raw.startswith("${", i):
            end = find_close(raw, i + 2, "{", "}")
            self._brace_param(raw[i + 2 : end - 1], segs, quoted)
            return end
        if i + 1 < n and raw[i + 1] in _SPECIAL:
            self._param(raw[i + 1], None, segs, quoted)
            return i + 2
        m = _NAME.match(raw, i + 1)
        if m:
            self._param(m.group(0), None, segs, quoted)
            return m.end()
        segs.append(("$", quoted, False))
        return i + 1

    # -- parameters ---------------------------------------------------------------

    def _values(self, name: str, index: str | None) -> tuple[list[str] | None, bool]:
        """(values, is_list) for a parameter; values None when unset."""
        sh = self.sh
        if name in ("@", "*"):
            return list(sh.state.positional), True
        if index in ("@", "*"):
            v = sh.get_array(name)
            return (None, True) if v is None else (v, True)
        if index is not None:
            val = sh.get_var(name, self.word(index, tilde=False))
            return (None if val is None else [val]), False
        val = sh.get_special(name) if not _NAME.fullmatch(name) else sh.get_var(name)
        return (None if val is None else [val]), False

    def _param(self, name: str, index: str | None, segs: list[Seg], quoted: bool) -> None:
        vals, is_list = self._values(name, index)
        if vals is None:
            if self.sh.opt("nounset") and name not in ("@", "*"):
                raise ExpansionError(f"{name}: unbound variable", 1)
            vals = []
            if not is_list:
                vals = [""]
        self._emit(vals, is_list and (name == "@" or index == "@"), segs, quoted)

    def _emit(self, vals: list[str], separate: bool, segs: list[Seg], quoted: bool) -> None:
        if separate and self._one_word:  # "$@" where one word is made: joined by spaces
            segs.append((" ".join(vals), quoted, False) if vals else ("\x00EMPTY", True, False))
            return
        if separate and quoted:
            for k, v in enumerate(vals):
                if k:
                    segs.append(BREAK)
                segs.append((v, True, False))
            if not vals:
                segs.append(("\x00EMPTY", True, False))
            return
        if separate or len(vals) > 1:
            if quoted:
                sep = (self.sh.get_var("IFS") or " ")[:1] if self.sh.get_var("IFS") != "" else ""
                segs.append((sep.join(vals), True, False))
            else:
                for k, v in enumerate(vals):
                    if k:
                        segs.append(BREAK)
                    segs.append((v, False, True))
            return
        segs.append((vals[0] if vals else "", quoted, not quoted))

    def _brace_param(self, inner: str, segs: list[Seg], quoted: bool) -> None:
        sh = self.sh
        if inner.startswith("#") and len(inner) > 1:
            name, index, rest = _parse_name(inner[1:])
            if rest:
                raise ExpansionError(f"${{{inner}}}: bad substitution")
            vals, is_list = self._values(name, index)
            if is_list:
                segs.append((str(len(vals or [])), quoted, not quoted))
            else:
                if vals is None and sh.opt("nounset"):
                    raise ExpansionError(f"{name}: unbound variable", 1)
                segs.append((str(len((vals or [""])[0])), quoted, not quoted))
            return
        indirect = False
        if inner.startswith("!") and len(inner) > 1:
            indirect = True
            inner = inner[1:]
        name, index, rest = _parse_name(inner)
        if not name:
            raise ExpansionError(f"${{{inner}}}: bad substitution")
        if indirect:
            if rest in ("*", "@") and index is None and _NAME.fullmatch(name):
                # ${!prefix*} / ${!prefix@}: the names of the set variables beginning so
                names = sorted(
                    k for k in sh.state.vars if k.startswith(name) and sh.is_set(k)
                )
                self._emit(names, rest == "@", segs, quoted)
                return
            if index in ("@", "*"):
                arr = sh.get_var_obj(name)
                if isinstance(arr, IArray):
                    keys = [str(k) for k in arr.indices()]
                elif isinstance(arr, dict):
                    keys = list(arr.keys())
                else:
                    keys = [] if arr is None else ["0"]
                self._emit(keys, index == "@", segs, quoted)
                return
            ref = sh.state.vars.get(name) if index is None else None
            if ref is not None and "n" in ref.attrs and isinstance(ref.value, str) and not rest:
                self._emit([ref.value], False, segs, quoted)  # a name reference: its target
                return
            target = sh.get_var(name, index) if _NAME.fullmatch(name) else sh.get_special(name)
            if target is None:
                raise ExpansionError(f"{name}: invalid indirect expansion")
            name, index, extra = _parse_name(target)
            if extra:
                raise ExpansionError(f"{target}: invalid variable name")
        vals, is_list = self._values(name, index)
        separate = is_list and (name == "@" or index == "@")
        if not rest:
            if vals is None:
                if sh.opt("nounset") and name not in ("@", "*"):
                    raise ExpansionError(f"{name}: unbound variable", 1)
                vals = [] if is_list else [""]
            self._emit(vals, separate, segs, quoted)
            return
        op, arg = _split_op(rest)
        if op is None:
            raise ExpansionError(f"${{{inner}}}: bad substitution")
        joined = None if vals is None else (" ".join(vals) if is_list else vals[0])
        if op in (":-", "-", ":=", "=", ":+", "+", ":?", "?"):
            unset = vals is None or (is_list and not vals)
            empty = unset or (joined == "" if not is_list else all(v == "" for v in vals or []))
            use_alt = empty if op.startswith(":") else unset
            base = op.lstrip(":")
            if base == "-":
                if use_alt:
                    segs.extend(self._operand(arg, quoted))
                else:
                    self._emit(vals or [], separate, segs, quoted)
            elif base == "=":
                if use_alt:
                    if quoted:
                        value = "".join(t for t, _q, _s in self._operand(arg, True))
                    else:
                        value = self.word(arg, tilde=True)
                    if not _NAME.fullmatch(name):
                        raise ExpansionError(f"${name}: cannot assign in this way")
                    sh.set_var(name, value, index)
                    segs.append((value, quoted, not quoted))
                else:
                    self._emit(vals or [], separate, segs, quoted)
            elif base == "+":
                if not use_alt:
                    segs.extend(self._operand(arg, quoted))
                elif quoted:
                    segs.append(("", True, False))
            else:  # ?
                if use_alt:
                    msg = (
                        self.word(arg)
                        if arg
                        else ("parameter null or not set" if op == ":?" else "parameter not set")
                    )
                    raise ExpansionError(f"{name}: {msg}", 1)
                self._emit(vals or [], separate, segs, quoted)
            return
        if vals is None:
            if sh.opt("nounset"):
                raise ExpansionError(f"{name}: unbound variable", 1)
            if op == "@" and arg in ("Q", "A", "K", "a") and (
                arg == "Q" or sh.state.vars.get(sh.deref(name)) is None
            ):  # nothing for an unset name
                self._emit([], separate, segs, quoted)
                return
            vals = [] if is_list else [""]
        items = vals if is_list else [vals[0]]
        if op == "@" and arg in ("a", "A", "K") and _NAME.fullmatch(name):
            var = sh.state.vars.get(sh.deref(name))
            whole = index in ("@", "*")
            if arg == "a":
                result = [T.attr_flags(var)] * len(items)
            elif arg == "A":
                result = [T.assignment(name, var, whole, items[0] if items else None)]
            else:
                result = T.keys_values(var, whole, items[0] if items else None)
            self._emit(result, False, segs, quoted)
            return
        result = [self._transform(op, arg, v) for v in items]
        if op == ":" and is_list:  # ${@:1:2} slices the list itself
            result = self._slice_list(arg, vals, positional=name in ("@", "*"))
        self._emit(result, separate, segs, quoted)

    def _operand(self, arg: str, quoted: bool) -> list[Seg]:
        if quoted:
            # inside "${x:-...}" the operand is double-quoted text: nested double
            # quotes are removed; single quotes, `~` and a backslash before anything
            # but $ ` " \ are literal
            text = _dquoted_operand(arg) if "'" in arg or "\\" in arg or "~" in arg else arg
            segs = [(t, True, False) for t, _q, _s in self.segments(text, tilde=True)]
            return segs or [("", True, False)]
        return self.segments(arg, tilde=True)

    def _transform(self, op: str, arg: str, value: str) -> str:
        if op in ("#", "##"):
            return P.strip_prefix(value, self.pattern(arg), op == "##")
        if op in ("%", "%%"):
            return P.strip_suffix(value, self.pattern(arg), op == "%%")
        if op in ("/", "//", "/#", "/%"):
            pat, _, repl = _split_unescaped(arg, "/")
            mode = {"/": "", "//": "/", "/#": "#", "/%": "%"}[op]
            gpat = self.pattern(pat)
            rep = self._replacement(repl)
            limit = self._limit()
            if gpat and not P.has_magic(gpat) and isinstance(rep, str):
                return _replace_literal(value, P.unescape(gpat), rep, mode, limit)
            try:
                return P.replace(value, gpat, rep, mode, check=self.sh.check, limit=limit)
            except OverflowError:
                raise ExpansionError(too_large("xrealloc", limit + 1, limit)) from None
        if op in ("^^", ",,", "~~") and not arg:  # every character: no per-character list
            if op == "~~":
                return value.swapcase()
            return "".join(map(str.upper if op == "^^" else str.lower, value))
        if op in ("^", "^^", ",", ",,", "~", "~~"):
            pat = self.pattern(arg) if arg else "?"
            chars = list(value)
            for k, ch in enumerate(chars):
                if P.match(pat, ch):
                    kind = op[0]
                    chars[k] = (
                        ch.swapcase() if kind == "~" else ch.upper() if kind == "^" else ch.lower()
                    )
                    if len(op) == 1:
                        break
                elif len(op) == 1:
                    break
            return "".join(chars)
        if op == ":":
            off_s, sep, len_s = _split_unescaped(arg, ":")
            off = self.arith(off_s) if off_s.strip() else 0
            if off < 0:
                off += len(value)
                if off < 0:  # before the start: nothing
                    return ""
            if sep:
                ln = self.arith(len_s) if len_s.strip() else 0
                if ln < 0:
                    end = len(value) + ln
                    if end < off:
                        raise ExpansionError(f"{len_s}: substring expression < 0", arith=True)
                    return value[off:end]
                return value[off : off + ln]
            return value[off:]
        if op == "@":
            if arg == "Q":
                return T.quote(value)
            if arg == "E":
                return ansi_c(value)
            if arg in ("U", "u", "L"):
                return (
                    value.upper()
                    if arg == "U"
                    else (value[:1].upper() + value[1:] if arg == "u" else value.lower())
                )
            return value
        raise ExpansionError("bad substitution")

    def _replacement(self, repl: str) -> str | Callable[[str], str]:
        """The ``rep`` of ``${v/pat/rep}``: its text, or (``patsub_replacement``, on by
        default) a function of the matched text when an unquoted ``&`` — written or from
        an expansion — stands for it."""
        if ("&" not in repl and "$" not in repl and "`" not in repl) or (
            "shopt-off:patsub_replacement" in self.sh.state.options
        ):
            # bash expands a tilde that begins the replacement, in double quotes too
            return self.word(repl, tilde=repl.startswith("~"))
        segs = [
            sg for sg in self.segments(repl, tilde=repl.startswith("~")) if sg[0] != "\x00BREAK"
        ]
        if not any(not q and "&" in t for t, q, _ in segs):
            return "".join(t for t, _, _ in segs)
        parts: list[str | None] = []  # None: the matched text
        for t, q, _ in segs:
            if q:
                parts.append(t)
                continue
            for k, piece in enumerate(t.split("&")):
                if k:
                    parts.append(None)
                parts.append(piece)
        return lambda matched: "".join(matched if p is None else p for p in parts)

    def _slice_list(self, arg: str, vals: list[str], positional: bool) -> list[str]:
        off_s, sep, len_s = _split_unescaped(arg, ":")
        off = self.arith(off_s) if off_s.strip() else 0
        items = vals
        if off > 0:
            start = off - 1 if positional else off  # $@ counts $0 as position 0
            items = vals[start:]
        elif off < 0:
            if positional:  # counted from the end, $0 before $1
                vals = [self.sh.get_special("0") or "", *vals]
            items = vals[off:] if -off <= len(vals) else []
        if sep:
            items = items[: max(self.arith(len_s), 0)]
        return items

    def arith(self, expr: str) -> int:
        text = self.word(expr, tilde=False) if ("$" in expr or "`" in expr) else expr
        try:
            # (a name token is never a special parameter: get_var is arith_get there)
            return Arith(self.sh.get_var, self.sh.arith_set, 0, self.sh.is_assoc).eval(text)
        except ArithError as e:
            raise ExpansionError(f"{text.strip()}: {e}", 1, arith=True) from None

    # -- splitting and globbing -----------------------------------------------------

    def split(self, segs: list[Seg]) -> list[list[tuple[str, bool]]]:
        if not any(seg[2] or seg[0] == "\x00BREAK" or seg[0] == "\x00EMPTY" for seg in segs):
            # nothing to split (literals, quoted text): one field, or none when empty
            cur = [(seg[0], seg[1]) for seg in segs]
            return [cur] if any(q or t for t, q in cur) else []
        ifs = self.sh.get_var("IFS")
        if ifs is None:
            ifs = " \t\n"
        ws, has_ifs = _ifs_info(ifs) if ifs else ("", _no_ifs)
        fields: list[list[tuple[str, bool]]] = []
        cur: list[tuple[str, bool]] = []
        has = False  # current field has content or a quoted part
        for seg in segs:
            if seg is BREAK or seg == BREAK:
                fields.append(cur)
                cur, has = [], False
                continue
            text, quoted, split = seg
            if text == "\x00EMPTY":
                has = has or False
                continue
            if not split or not ifs:
                cur.append((text, quoted))
                has = has or quoted or text != ""
                continue
            if has_ifs(text) is None:  # nothing to split at: one piece
                if text:
                    cur.append((text, False))
                    has = True
                continue
            i = 0
            n = len(text)
            while i < n:
                ch = text[i]
                if ch in ifs:
                    hard = ch not in ws  # the delimiter holds a non-whitespace IFS character
                    if not hard:
                        j = i
                        while j < n and text[j] in ws:
                            j += 1
                        if j < n and text[j] in ifs and text[j] not in ws:
                            hard = True
                            j += 1
                            while j < n and text[j] in ws:
                                j += 1
                        i = j
                    else:
                        i += 1
                        j = i
                        while j < n and text[j] in ws:
                            j += 1
                        i = j
                    if has or cur:
                        fields.append(cur)
                    elif hard:
                        fields.append([("", True)])
                    cur, has = [], False
                    continue
                j = i
                while j < n and text[j] not in ifs:
                    j += 1
                cur.append((text[i:j], False))
                has = True
                i = j
        if has or any(q for _, q in cur):
            fields.append(cur)
        return fields

    def glob(self, field: list[tuple[str, bool]]) -> list[str]:
        plain = "".join(t for t, _ in field)
        # an extglob group is magic by itself (`src/@(lib)`, `!(x)`): no `*?[` needed
        ext = "(" in plain and "shopt:extglob" in self.sh.state.options
        if not ext and "*" not in plain and "?" not in plain and "[" not in plain:
            return [plain]
        if self.sh.opt("noglob") or not any(
            not q and ("*" in t or "?" in t or "[" in t or (ext and _EXTGLOB_OPEN.search(t)))
            for t, q in field
        ):
            return [plain]
        pat = "".join(P.escape(t) if q else t for t, q in field)
        if not P.glob_magic(pat):
            return [plain]
        matches = self.sh.glob_paths(pat)
        if not matches and "shopt:failglob" in self.sh.state.options:
            # bash: the command does not run and the rest of its line is abandoned
            raise ExpansionError(f"no match: {plain}", arith=True)
        if not matches and "shopt:nullglob" in self.sh.state.options:
            return []
        return matches if matches else [plain]


# -- word plans -------------------------------------------------------------------
#
# A word's structure (where its quotes, literals and expansions are) depends only
# on its raw text, so it is worked out once per distinct word and kept (bounded
# LRU); what the expansions give is computed every time, from the shell's state.

_SEG, _PARAM, _BRACE, _ARITH, _CMD, _PROC, _TILDE = range(7)
_PLAN_CACHE_SIZE = 4096
_PLAN_CACHE_BYTES = 8 << 20  # estimated (see _plan_cost)
_PLAN_MAX_CHARS = 2048  # longer words (here-document bodies) are planned each time
_LITERAL_CHECK = 1 << 20  # a literal word this short is always under the join cap


def _dquoted_operand(arg: str) -> str:
    """The word of a ``${x:-word}`` that stands inside double quotes, rewritten as
    unquoted text that means what bash reads there: its ``"`` removed, its ``'``,
    ``~`` and backslashes that do not escape ``$ ` " \\ }`` or a newline made literal;
    expansions (``$(…)``, ``${…}``, ``$((…))``, backquotes) copied unchanged."""
    out: list[str] = []
    i, n = 0, len(arg)
    while i < n:
        c = arg[i]
        if c == "$":
            j = skip_dollar(arg, i)
            # a nested `${…}` stands inside the double quotes too
            out.append(f'"{arg[i:j]}"' if arg.startswith("${", i) else arg[i:j])
            i = j
        elif c == "`":
            j = skip_backtick(arg, i)
            out.append(arg[i:j])
            i = j
        elif c == "\\":
            nxt = arg[i + 1 : i + 2]
            if nxt and nxt in '$`"\\}\n':  # `\}`: the brace, not the end
                out.append(arg[i : i + 2])
                i += 2
            else:
                out.append("\\\\")
                i += 1
        elif c == '"':
            i += 1
        else:
            out.append("\\" + c if c in "'~" else c)
            i += 1
    return "".join(out)


_EXTGLOB_OPEN = re.compile(r"[!@+]\(")
_TILDE_RE = re.compile(r"~([A-Za-z0-9_]*)(?=/|$|:)")
_TILDE_AFTER_COLON = re.compile(r"~(?=/|$|:)")
_BACKTICK_ESC = re.compile(r"\\([$`\\])")
Op = tuple  # (_SEG, seg) | (_PARAM, name, quoted) | (_BRACE, inner, quoted) | ...


class _Plan:
    """How to expand one raw word: ``ops`` in order; ``literal`` when the word
    has no expansion at all (its segments are then fixed)."""

    __slots__ = ("argv", "arith", "literal", "ops", "size", "var", "var_quoted")

    def __init__(self, ops: list[Op]) -> None:
        self.ops = tuple(ops)
        #: the word is one ``$name`` (``var_quoted``: ``"$name"``), a named variable's
        #: value: Expander.words/word take it without building segments
        self.var: str | None = None
        self.var_quoted = False
        #: the word is one ``$((expr))``, unquoted: its text is the number
        self.arith: str | None = None
        if len(ops) == 1:
            op = ops[0]
            if op[0] == _PARAM and _NAME.fullmatch(op[1]):
                self.var, self.var_quoted = op[1], op[2]
            elif op[0] == _ARITH and not op[2]:
                self.arith = op[1]
        #: the word's fields as a command word, when they never change: a literal
        #: with nothing to split and no unquoted glob character
        self.argv: tuple[str, ...] | None = None
        if all(op[0] == _SEG for op in ops):
            segs = tuple(op[1] for op in ops)
            self.literal: tuple[Seg, ...] | None = segs
            self.size = sum(len(seg[0]) for seg in segs)
            if self.size <= _LITERAL_CHECK and not any(
                seg[2] or seg[0] in ("\x00BREAK", "\x00EMPTY") for seg in segs
            ):
                # the pattern Expander.glob would look at: no magic, no globbing
                pat = "".join(P.escape(t) if q else t for t, q, _ in segs)
                if not P.glob_magic(pat):
                    keep = any(q or t for t, q, _ in segs)
                    self.argv = ("".join(t for t, _, _ in segs),) if keep else ()
        else:
            self.literal, self.size = None, 0


def _plan(raw: str, tilde: bool, assignment: bool, heredoc: bool) -> _Plan | None:
    if len(raw) > _PLAN_MAX_CHARS:
        return _make_plan((raw, tilde, assignment, heredoc))
    return _PLANS.get((raw, tilde, assignment, heredoc))


def _make_plan(key: tuple[str, bool, bool, bool]) -> _Plan | None:
    try:
        return _Plan(_plan_ops(*key))
    except (ExpansionError, ShellSyntaxError):
        return None


def _plan_cost(key: tuple[str, bool, bool, bool], plan: _Plan) -> int:
    """About the bytes a kept plan holds: its key's text, its steps and texts."""
    return 200 + 2 * len(key[0]) + 150 * len(plan.ops)


_PLANS: BoundedMemo[tuple[str, bool, bool, bool], _Plan] = BoundedMemo(
    _make_plan, _plan_cost, _PLAN_CACHE_SIZE, _PLAN_CACHE_BYTES
)


def _plan_ops(raw: str, tilde: bool, assignment: bool, heredoc: bool) -> list[Op]:
    """The steps of ``Expander._segments_slow`` for ``raw``, without running any."""
    ops: list[Op] = []
    i = 0
    n = len(raw)
    if tilde and raw.startswith("~"):
        m = _TILDE_RE.match(raw)
        if m and m.group(1) == "":
            ops.append((_TILDE,))
            i = m.end()
    lit: list[str] = []

    def flush() -> None:
        if lit:
            ops.append((_SEG, ("".join(lit), False, False)))
            lit.clear()

    while i < n:
        c = raw[i]
        if heredoc:
            if c == "\\" and i + 1 < n and raw[i + 1] in "$`\\\n":
                if raw[i + 1] != "\n":
                    lit.append(raw[i + 1])
                i += 2
                continue
            if c == "$" or c == "`":
                flush()
                i = _plan_dollar(raw, i, ops, quoted=True)
                continue
            lit.append(c)
            i += 1
            continue
        if c == "\\":
            flush()
            if i + 1 < n:
                if raw[i + 1] != "\n":
                    ops.append((_SEG, (raw[i + 1], True, False)))
                i += 2
            else:
                ops.append((_SEG, ("\\", True, False)))
                i += 1
            continue
        if c == "'":
            flush()
            k = raw.find("'", i + 1)
            if k < 0:
                raise ExpansionError("unexpected EOF while looking for matching `''", 2)
            ops.append((_SEG, (raw[i + 1 : k], True, False)))
            i = k + 1
            continue
        if c == '"':
            flush()
            end = skip_dquote(raw, i)
            inner = raw[i + 1 : end - 1]
            _plan_dquote(inner, ops)
            if inner == "":
                ops.append((_SEG, ("", True, False)))
            i = end
            continue
        if c == "$" and raw.startswith("$'", i):
            flush()
            j = i + 2
            while j < n and raw[j] != "'":
                j += 2 if raw[j] == "\\" else 1
            ops.append((_SEG, (ansi_c(raw[i + 2 : j]), True, False)))
            i = j + 1
            continue
        if c == "$" and raw.startswith('$"', i):
            i += 1
            continue
        if c == "$" or c == "`":
            flush()
            i = _plan_dollar(raw, i, ops, quoted=False)
            continue
        if c in "<>" and raw.startswith("(", i + 1):
            flush()
            end = find_close(raw, i + 2, "(", ")")
            ops.append((_PROC, raw[i + 2 : end - 1], c))
            i = end
            continue
        if assignment and c == ":" and raw.startswith(":~", i):
            lit.append(":")
            i += 1
            if _TILDE_AFTER_COLON.match(raw, i):
                flush()
                ops.append((_TILDE,))
                i += 1
            continue
        lit.append(c)
        i += 1
    flush()
    return ops


def _plan_dquote(inner: str, ops: list[Op]) -> None:
    lit: list[str] = []
    i = 0
    n = len(inner)
    while i < n:
        c = inner[i]
        if c == "\\" and i + 1 < n and inner[i + 1] in '$`"\\\n':
            if inner[i + 1] != "\n":
                lit.append(inner[i + 1])
            i += 2
            continue
        if c == "$" or c == "`":
            if c == "$" and (
                i + 1 >= n or not (inner[i + 1] in "({" or _starts_param(inner, i + 1))
            ):
                lit.append(c)
                i += 1
                continue
            if lit:
                ops.append((_SEG, ("".join(lit), True, False)))
                lit.clear()
            i = _plan_dollar(inner, i, ops, quoted=True)
            continue
        lit.append(c)
        i += 1
    if lit:
        ops.append((_SEG, ("".join(lit), True, False)))


def _plan_dollar(raw: str, i: int, ops: list[Op], quoted: bool) -> int:
    n = len(raw)
    if raw[i] == "`":
        end = skip_backtick(raw, i)
        ops.append((_CMD, _BACKTICK_ESC.sub(r"\1", raw[i + 1 : end - 1]), quoted))
        return end
    if raw.startswith("$((", i):
        try:
            end = find_close(raw, i + 3, "((", "))")
        except ShellSyntaxError:
            end = -1
        if end > 0:
            ops.append((_ARITH, raw[i + 3 : end - 2], quoted))
            return end
    if raw.startswith("$[", i):
        end = raw.find("]", i)
        if end > 0:
            ops.append((_ARITH, raw[i + 2 : end], quoted))
            return end + 1
    if raw.startswith("$(", i):
        end = find_close(raw, i + 2, "(", ")")
        ops.append((_CMD, raw[i + 2 : end - 1], quoted))
        return end
    if raw.startswith("${", i):
        end = find_close(raw, i + 2, "{", "}")
        ops.append((_BRACE, raw[i + 2 : end - 1], quoted))
        return end
    if i + 1 < n and raw[i + 1] in _SPECIAL:
        ops.append((_PARAM, raw[i + 1], quoted))
        return i + 2
    m = _NAME.match(raw, i + 1)
    if m:
        ops.append((_PARAM, m.group(0), quoted))
        return m.end()
    ops.append((_SEG, ("$", quoted, False)))
    return i + 1


def _no_ifs(text: str) -> None:
    return None


def _ifs_info(ifs: str) -> tuple[str, Callable[[str], object]]:
    """IFS's whitespace characters, and a test for any IFS character in a text
    (None when there is none)."""
    if len(ifs) <= 16:
        return _short_ifs_info(ifs)
    ws = "".join(ch for ch in ifs if ch in " \t\n")
    return ws, lambda text: True if any(ch in text for ch in ifs) else None


@functools.lru_cache(maxsize=64)
def _short_ifs_info(ifs: str) -> tuple[str, Callable[[str], object]]:
    ws = "".join(ch for ch in ifs if ch in " \t\n")
    return ws, re.compile("[" + re.escape(ifs) + "]").search


def _starts_param(text: str, i: int) -> bool:
    c = text[i]
    return c in _SPECIAL or c.isalpha() or c == "_"


def _parse_name(text: str) -> tuple[str, str | None, str]:
    if not text:
        return "", None, ""
    if text[0] in _SPECIAL and not text[0].isdigit():
        name, rest = text[0], text[1:]
    else:
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+", text)
        if not m:
            return "", None, text
        name, rest = m.group(0), text[m.end() :]
    index = None
    if rest.startswith("["):
        depth = 0
        for k, ch in enumerate(rest):
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    index = rest[1:k]
                    rest = rest[k + 1 :]
                    break
    return name, index, rest


_OPS = (
    ":-",
    ":=",
    ":+",
    ":?",
    "##",
    "%%",
    "//",
    "/#",
    "/%",
    ",,",
    "^^",
    "~~",
    "-",
    "=",
    "+",
    "?",
    "#",
    "%",
    "/",
    "^",
    ",",
    "~",
    ":",
    "@",
)


def _split_op(rest: str) -> tuple[str | None, str]:
    for op in _OPS:
        if rest.startswith(op):
            return op, rest[len(op) :]
    return None, rest


def _split_unescaped(text: str, sep: str) -> tuple[str, str, str]:
    i = 0
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == sep and depth == 0:
            return text[:i], sep, text[i + 1 :]
        i += 1
    return text, "", ""


def _code_point(cp: int) -> str:
    """``\\u``/``\\U`` of ``$'...'``: the character, or for a value that is not one (a
    surrogate, past U+10FFFF) the bytes bash writes (UTF-8's old form, up to 6 bytes;
    nothing past 0x7FFFFFFF) as the shell's raw bytes (surrogateescape)."""
    if cp < 0x110000 and not 0xD800 <= cp <= 0xDFFF:
        return chr(cp)
    if cp > 0x7FFFFFFF:
        return ""
    n = 3 if cp < 0x10000 else 4 if cp < 0x200000 else 5 if cp < 0x4000000 else 6
    lead = (0xE0, 0xF0, 0xF8, 0xFC)[n - 3]
    raw = [lead | (cp >> (6 * (n - 1)))]
    raw += [0x80 | ((cp >> (6 * k)) & 0x3F) for k in range(n - 2, -1, -1)]
    return bytes(raw).decode("utf-8", "surrogateescape")


def ansi_c(text: str) -> str:
    """Contents of ``$'...'``."""
    out: list[str] = []
    i = 0
    n = len(text)
    simple = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
        "e": "\x1b",
        "E": "\x1b",
        "\\": "\\",
        "'": "'",
        '"': '"',
        "?": "?",
    }
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = text[i + 1]
        if d in simple:
            out.append(simple[d])
            i += 2
        elif d in "01234567" or (d == "x" and re.match(r"[0-9A-Fa-f]", text[i + 2 : i + 3])):
            if d == "x":
                m = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2 : i + 4])
                assert m
                byte, i = int(m.group(0), 16), i + 2 + m.end()
            else:
                m = re.match(r"[0-7]{1,3}", text[i + 1 : i + 4])
                assert m
                byte, i = int(m.group(0), 8) & 0xFF, i + 1 + m.end()
            if byte == 0:  # a NUL ends the string, as in bash
                break
            # a byte, not a character: past ASCII it is the byte itself (surrogateescape)
            out.append(chr(byte) if byte < 0x80 else chr(0xDC00 + byte))
        elif d == "x":
            out.append("\\x")
            i += 2
        elif d in "uU":
            width = 4 if d == "u" else 8
            m = re.match(rf"[0-9A-Fa-f]{{1,{width}}}", text[i + 2 : i + 2 + width])
            if m:
                out.append(_code_point(int(m.group(0), 16)))
                i += 2 + m.end()
            else:
                out.append("\\" + d)
                i += 2
        elif d == "c" and i + 2 < n:
            out.append(chr(ord(text[i + 2]) & 0x1F))
            i += 3
        else:
            out.append("\\" + d)
            i += 2
    return "".join(out)


# -- brace expansion -------------------------------------------------------------


def _units(raw: str) -> list[str]:
    """Cut a raw word into units: single unquoted chars, or opaque quoted /
    expansion chunks (which brace expansion must not look inside)."""
    units: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            units.append(raw[i : i + 2])
            i += 2
        elif c == "'":
            k = raw.find("'", i + 1)
            k = n - 1 if k < 0 else k
            units.append(raw[i : k + 1])
            i = k + 1
        elif c == '"':
            try:
                end = skip_dquote(raw, i)
            except ShellSyntaxError:
                end = n
            units.append(raw[i:end])
            i = end
        elif c == "$" and i + 1 < n and raw[i + 1] in "({":
            try:
                end = find_close(raw, i + 2, raw[i + 1], ")" if raw[i + 1] == "(" else "}")
            except ShellSyntaxError:
                end = n
            units.append(raw[i:end])
            i = end
        elif c == "`":
            try:
                end = skip_backtick(raw, i)
            except ShellSyntaxError:
                end = n
            units.append(raw[i:end])
            i = end
        else:
            units.append(c)
            i += 1
    return units


def _replace_literal(value: str, lit: str, rep: str, mode: str, limit: int) -> str:
    """``${v/lit/rep}`` for a pattern without glob characters: ``str.replace``
    scans left to right taking non-overlapping matches, as bash does."""
    if mode == "#":
        return rep + value[len(lit) :] if value.startswith(lit) else value
    if mode == "%":
        return value[: len(value) - len(lit)] + rep if value.endswith(lit) else value
    count = value.count(lit) if mode == "/" else min(1, value.count(lit))
    size = len(value) + count * (len(rep) - len(lit))
    if size > limit:
        raise ExpansionError(too_large("xrealloc", size, limit))
    return value.replace(lit, rep) if mode == "/" else value.replace(lit, rep, 1)


#: the words one brace expansion may make, and the pieces of text they hold in all
BRACE_MAX_WORDS = 100_000
BRACE_MAX_UNITS = 4_000_000


def brace_expand(raw: str) -> list[str]:
    if "{" not in raw or "}" not in raw:
        return [raw]
    results = _brace(_units(raw), 0)
    return ["".join(r) for r in results]


def _brace(units: list[str], depth: int) -> list[list[str]]:
    if depth > 20:
        return [units]
    for start, u in enumerate(units):
        if u != "{" or (start > 0 and units[start - 1] == "$"):
            continue
        level = 0
        commas: list[int] = []
        end = -1
        for j in range(start, len(units)):
            v = units[j]
            if v == "{":
                level += 1
            elif v == "}":
                level -= 1
                if level == 0:
                    end = j
                    break
            elif v == "," and level == 1:
                commas.append(j)
        if end < 0:
            return [units]
        pre, body, post = units[:start], units[start + 1 : end], units[end + 1 :]
        alts: list[list[str]] | None = None
        if commas:
            bounds = [start, *commas, end]
            alts = [units[bounds[k] + 1 : bounds[k + 1]] for k in range(len(bounds) - 1)]
        else:
            seq = _sequence("".join(body))
            if seq is not None:
                alts = [list(s) for s in seq]
        if alts is None:
            # not an expansion: keep the braces literal, look further right
            rest = _brace(units[start + 1 :], depth + 1)
            return [units[: start + 1] + r for r in rest]
        out: list[list[str]] = []
        posts = _brace(post, depth + 1)
        post_units = sum(map(len, posts))
        units = 0
        for alt in alts:
            subs = _brace(alt, depth + 1)
            # counted before they are made: `{a,b}{a,b}…` doubles with each brace
            words = len(subs) * len(posts)
            units += words * len(pre) + len(posts) * sum(map(len, subs)) + len(subs) * post_units
            if len(out) + words > BRACE_MAX_WORDS or units > BRACE_MAX_UNITS:
                raise ExpansionError("brace expansion: too many words")
            for a in subs:
                for p in posts:
                    out.append(pre + a + p)
        return out
    return [units]


def _sequence(text: str) -> list[str] | None:
    m = re.fullmatch(r"(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        step = abs(int(m.group(3))) if m.group(3) else 1
        step = step or 1
        width = 0
        if any(len(s.lstrip("-")) > 1 and s.lstrip("-").startswith("0") for s in m.group(1, 2)):
            width = max(len(m.group(1)), len(m.group(2)))
        rng = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
        if len(rng) > BRACE_MAX_WORDS:
            raise ExpansionError("brace expansion: too many words")
        return [
            str(v).zfill(width)
            if width and v >= 0
            else ("-" + str(-v).zfill(width - 1) if width else str(v))
            for v in rng
        ]
    m = re.fullmatch(r"([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?", text)
    if m:
        a, b = ord(m.group(1)), ord(m.group(2))
        step = abs(int(m.group(3))) if m.group(3) else 1
        step = step or 1
        rng = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
        # the words are read again as shell text: quote what is special there
        # (bash turns the lone backslash of {Z..a} into an empty word)
        return [
            chr(v) if chr(v).isalnum() else ('""' if v == 92 else "\\" + chr(v)) for v in rng
        ]
    return None


__all__ = ["BREAK", "Expander", "ExpansionError", "ansi_c", "brace_expand"]

"""Commands printed back as bash prints them: ``declare -f``, ``type``, ``export -f``.

bash does not keep a function's source: it re-prints the parse tree in its own
layout (``print_cmd.c``). This module is a port of that printer over corral's tree
(``syntax.py``), state machine and all, so the quirks come out the same: a function
is ``name () `` then ``{ `` on their own lines, commands indented by 4 and ended by
``;`` (not after a here-document), ``then``/``do`` placement, case arms with their
terminators on their own lines, here-document bodies after the line that opens
them, ``elif`` as a nested ``if``, ``|&`` as ``2>&1 |``, ``[[ $x ]]`` as
``[[ -n $x ]]``, redirections in bash's canonical spelling (``>&2`` is ``1>&2``),
``$(…)`` re-printed, ``$'…'`` turned into single quotes, comments dropped. Words
otherwise keep their quoting as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import syntax as A
from .lexer import ShellSyntaxError, skip_backtick, skip_dollar, skip_dquote, split_words

#: reserved words: a function with one of these names prints as ``function NAME``
RESERVED = frozenset(
    {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until"}
    | {"do", "done", "in", "function", "time", "{", "}", "!", "[[", "]]", "coproc"}
)

_UNARY = frozenset(f"-{c}" for c in "abcdefghkprstuwxGLNOSznovR")
_BINARY = frozenset(["==", "=", "!=", "<", ">", "=~", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"])
_BINARY |= {"-nt", "-ot", "-ef"}
_CONNECTIVES = frozenset(["(", ")", "&&", "||", "!"])
_ARRAY_WORD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=)\((.*)\)$", re.S)


@dataclass
class _Conn:
    """bash's ``connection``: ``first CONNECTOR second`` (second None: a trailing ``&``)."""

    first: A.Node | _Conn
    second: A.Node | _Conn | None
    connector: str  # ; & | && ||


@dataclass
class _With:
    """A command with redirections bash adds itself (``a |& b`` is ``a 2>&1 | b``)."""

    node: A.Node
    redirects: list[A.Redirect]


def function_text(name: str, body: A.Node) -> str:
    """A function as ``declare -f NAME`` and ``type NAME`` print it (no final newline)."""
    p = _Printer()
    return p.named_function(name, body)


def command_text(node: A.Node) -> str:
    """A command as bash prints it outside a function (the text of a ``$(…)``)."""
    p = _Printer(comsub=True)
    p.cmd(node)
    p.deferred_if_any("")
    return "".join(p.out)


def single_quote(s: str) -> str:
    """bash's ``sh_single_quote``."""
    return "'" + s.replace("'", "'\\''") + "'"


class _Printer:
    def __init__(self, comsub: bool = False) -> None:
        self.out: list[str] = []
        self.indentation = 0
        self.amount = 4
        self.inside_function_def = 0
        self.skip_this_indent = 0
        self.was_heredoc = False
        self.printing_connection = 0
        self.printing_comsub = comsub
        self.deferred: list[A.Redirect] = []

    # -- output primitives (cprintf, indent, newline, semicolon) -----------------------

    def w(self, s: str) -> None:
        if s:
            self.out.append(s)

    def indent(self, n: int) -> None:
        self.w(" " * n)

    def newline(self, s: str) -> None:
        self.w("\n")
        self.indent(self.indentation)
        self.w(s)

    def semicolon(self) -> None:
        if self.out and self.out[-1][-1] in "&\n":
            return
        self.w(";")

    # -- commands -------------------------------------------------------------------------

    def named_function(self, name: str, body: A.Node) -> str:
        if name in RESERVED:
            self.w("function ")
        self.w(f"{name} () \n")
        self.indentation += self.amount
        self.inside_function_def += 1
        self.w("{ \n")
        inner, func_redirects = _function_body(body)
        self.cmd(inner)
        self.deferred_if_any("")
        self.indentation = 0
        self.inside_function_def -= 1
        if func_redirects:
            self.newline("} ")
            self.redirection_list(func_redirects)
        else:
            self.newline("}")
        return "".join(self.out)

    def cmd(self, node: A.Node | _Conn | _With | None, invert: bool = False) -> None:
        if node is None:
            return
        if isinstance(node, A.Seq):
            node = _seq_conn(node)
            if node is None:
                return
        if isinstance(node, A.Pipeline):
            invert = invert or node.negated
            node = _pipe_conn(node)
        elif isinstance(node, A.AndOr):
            node = _andor_conn(node)
        if self.skip_this_indent:
            self.skip_this_indent -= 1
        else:
            self.indent(self.indentation)
        if invert:
            self.w("! ")
        redirects: list[A.Redirect] = []
        while isinstance(node, A.Redirected | _With):
            redirects = [*node.redirects, *redirects]
            node = node.node
        if isinstance(node, _Conn):
            self.connection(node)
        elif isinstance(node, A.Simple):
            self.simple(node)
        elif isinstance(node, A.Seq | A.Pipeline):
            self.skip_this_indent += 1
            self.cmd(node)
        elif isinstance(node, A.For):
            self.for_(node)
        elif isinstance(node, A.ArithFor):
            self.arith_for(node)
        elif isinstance(node, A.While):
            self.while_(node)
        elif isinstance(node, A.If):
            self.if_(node.clauses, node.orelse)
        elif isinstance(node, A.Case):
            self.case(node)
        elif isinstance(node, A.Subshell):
            self.w("( ")
            self.skip_this_indent += 1
            self.cmd(node.body)
            self.deferred_if_any("")
            self.w(" )")
        elif isinstance(node, A.Group):
            self.group(node)
        elif isinstance(node, A.FuncDef):
            self.function_def(node)
        elif isinstance(node, A.Arith):
            self.w(f"(({node.expr}))")
        elif isinstance(node, A.Cond):
            self.w("[[ " + " ".join(_cond_words(node.words)) + " ]]")
        elif isinstance(node, A.Coproc):
            self.w(f"coproc {node.name} ")
            self.skip_this_indent += 1
            self.cmd(node.body)
        if redirects:
            self.w(" ")
            self.redirection_list(redirects)

    def connection(self, c: _Conn) -> None:
        # bash's chains lean left (((a ; b) ; c) ; d); walked as a loop, so a function
        # of thousands of commands does not recurse thousands deep
        rest: list[_Conn] = []
        node: A.Node | _Conn = c
        while isinstance(node, _Conn):
            rest.append(node)
            node = node.first
        self.skip_this_indent += 1
        self.printing_connection += len(rest)
        self.cmd(node)
        for link in reversed(rest):
            self.connector(link)

    def connector(self, c: _Conn) -> None:
        k = c.connector
        if k in ("&", "|"):
            self.print_deferred(" " + k)
            if k != "&" or c.second is not None:
                self.w(" ")
                self.skip_this_indent += 1
        elif k in ("&&", "||"):
            self.print_deferred(f" {k} ")
            if c.second is not None:
                self.skip_this_indent += 1
        else:  # ; and newline
            if not self.deferred:
                if not self.was_heredoc:
                    self.w(k if self.printing_comsub else ";")
                else:
                    self.was_heredoc = False
            else:
                self.print_deferred("" if self.inside_function_def else ";")
            if self.inside_function_def:
                self.w("\n")
            else:
                if k == ";":
                    self.w(" ")
                self.skip_this_indent += 1
        self.cmd(c.second)
        self.deferred_if_any("")
        self.printing_connection -= 1

    def simple(self, node: A.Simple) -> None:
        parts = [_assign_text(a) for a in node.assigns]
        parts += [_word(w) for w in node.words]
        self.w(" ".join(parts))
        if node.redirects:
            if parts:
                self.w(" ")
            self.redirection_list(node.redirects)

    def for_(self, node: A.For) -> None:
        words = '"$@"' if node.words is None else " ".join(_word(w) for w in node.words)
        self.w(f"{'select' if node.select else 'for'} {node.var} in {words};")
        self.newline("do\n")
        self.indentation += self.amount
        self.cmd(node.body)
        self.deferred_if_any("")
        self.semicolon()
        self.indentation -= self.amount
        self.newline("done")

    def arith_for(self, node: A.ArithFor) -> None:
        parts = [p.lstrip(" \t\n") or "1" for p in (node.init, node.cond, node.update)]
        self.w("for ((" + "; ".join(parts) + "))")
        self.newline("do\n")
        self.indentation += self.amount
        self.cmd(node.body)
        self.deferred_if_any("")
        self.semicolon()
        self.indentation -= self.amount
        self.newline("done")

    def while_(self, node: A.While) -> None:
        self.w("until " if node.until else "while ")
        self.skip_this_indent += 1
        self.cmd(node.cond)
        self.deferred_if_any("")
        self.semicolon()
        self.w(" do\n")
        self.indentation += self.amount
        self.cmd(node.body)
        self.deferred_if_any("")
        self.indentation -= self.amount
        self.semicolon()
        self.newline("done")

    def if_(self, clauses: list[tuple[A.Seq, A.Seq]], orelse: A.Seq | None) -> None:
        test, body = clauses[0]
        self.w("if ")
        self.skip_this_indent += 1
        self.cmd(test)
        self.semicolon()
        self.w(" then\n")
        self.indentation += self.amount
        self.cmd(body)
        self.deferred_if_any("")
        self.indentation -= self.amount
        if len(clauses) > 1 or orelse is not None:
            self.semicolon()
            self.newline("else\n")
            self.indentation += self.amount
            if len(clauses) > 1:  # elif: an `if` in the else branch
                self.cmd(A.If(clauses[1:], orelse))
            else:
                self.cmd(orelse)
            self.deferred_if_any("")
            self.indentation -= self.amount
        self.semicolon()
        self.newline("fi")

    def case(self, node: A.Case) -> None:
        self.w(f"case {_word(node.word)} in ")
        self.indentation += self.amount
        for item in node.items:
            self.newline("")
            self.w(" | ".join(_word(p) for p in item.patterns))
            self.w(")\n")
            self.indentation += self.amount
            self.cmd(item.body)
            self.indentation -= self.amount
            self.deferred_if_any("")
            self.newline(item.term)
        self.indentation -= self.amount
        self.newline("esac")

    def group(self, node: A.Group) -> None:
        self.w("{ ")
        if not self.inside_function_def:
            self.skip_this_indent += 1
        else:
            self.w("\n")
            self.indentation += self.amount
        self.cmd(node.body)
        self.deferred_if_any("")
        if self.inside_function_def:
            self.w("\n")
            self.indentation -= self.amount
            self.indent(self.indentation)
        else:
            self.semicolon()
            self.w(" ")
        self.w("}")

    def function_def(self, node: A.FuncDef) -> None:
        self.w(f"function {node.name} () \n")
        self.indent(self.indentation)
        self.w("{ \n")
        self.inside_function_def += 1
        self.indentation += self.amount
        inner, func_redirects = _function_body(node.body)
        self.cmd(inner)
        self.deferred_if_any("")
        self.indentation -= self.amount
        self.inside_function_def -= 1
        if func_redirects:
            self.newline("} ")
            self.redirection_list(func_redirects)
        else:
            self.newline("}")

    # -- redirections and here-documents ------------------------------------------------

    def redirection_list(self, redirects: list[A.Redirect]) -> None:
        heredocs: list[A.Redirect] = []
        self.was_heredoc = False
        for k, r in enumerate(redirects):
            if r.op == "heredoc":
                self.w(_heredoc_header(r))
                heredocs.append(r)
            else:
                self.w(_redirection(r))
            if k < len(redirects) - 1:
                self.w(" ")
        if heredocs and self.printing_connection:
            self.deferred = heredocs
        elif heredocs:
            self.heredoc_bodies(heredocs)

    def heredoc_bodies(self, heredocs: list[A.Redirect]) -> None:
        self.w("\n")
        for r in heredocs:
            doc = r.heredoc
            assert doc is not None
            self.w(doc.body + doc.delim)
            self.w("\n")
        self.was_heredoc = True

    def print_deferred(self, cstring: str) -> None:
        show = bool(cstring) and (cstring[0] != ";" or len(cstring) > 1)
        if show:
            self.w(cstring)
        if self.deferred:
            self.heredoc_bodies(self.deferred)
            if show:
                self.w(" ")
            self.was_heredoc = True
        self.deferred = []

    def deferred_if_any(self, cstring: str) -> None:
        if self.deferred:
            self.print_deferred(cstring)


# -- tree shapes ----------------------------------------------------------------------------


def _function_body(body: A.Node) -> tuple[A.Node, list[A.Redirect]]:
    """What goes between a function's braces, and the redirections after its ``}``."""
    if isinstance(body, A.Redirected) and isinstance(body.node, A.Group):
        return body.node.body, body.redirects
    if isinstance(body, A.Group):
        return body.body, []
    return body, []


def _seq_conn(seq: A.Seq) -> A.Node | _Conn | None:
    """A list as bash's left-leaning chain of connections."""
    if not seq.items:
        return None
    acc: A.Node | _Conn = seq.items[0][0]
    after_newline = set(seq.newlines)
    for k, ((_, bg), (node, _)) in enumerate(zip(seq.items, seq.items[1:], strict=False)):
        acc = _Conn(acc, node, "&" if bg else "\n" if k + 1 in after_newline else ";")
    if seq.items[-1][1]:
        acc = _Conn(acc, None, "&")
    return acc


def _pipe_conn(p: A.Pipeline) -> A.Node | _Conn:
    def stage(k: int) -> A.Node:
        cmd = p.cmds[k]
        if k < len(p.pipe_stderr) and p.pipe_stderr[k] and k < len(p.cmds) - 1:
            return _With(cmd, [A.Redirect(">&", "1", 2)])  # type: ignore[return-value]
        return cmd

    acc: A.Node | _Conn = stage(0)
    for k in range(1, len(p.cmds)):
        acc = _Conn(acc, stage(k), "|")
    return acc


def _andor_conn(node: A.AndOr) -> _Conn:
    chain: list[A.AndOr] = []
    cur: A.Node = node
    while isinstance(cur, A.AndOr):
        chain.append(cur)
        cur = cur.left
    acc: A.Node | _Conn = cur
    for link in reversed(chain):
        acc = _Conn(acc, link.right, link.op)
    assert isinstance(acc, _Conn)
    return acc


def _cond_words(words: list[str]) -> list[str]:
    """``[[ ]]``'s words as bash prints its tree: a lone word is ``-n WORD``."""
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        t = words[i]
        if t in _CONNECTIVES:
            out.append(t)
            i += 1
        elif t in _UNARY and i + 1 < n and words[i + 1] not in _CONNECTIVES:
            out += [t, _word(words[i + 1])]
            i += 2
        elif i + 2 < n and words[i + 1] in _BINARY:
            out += [_word(t), words[i + 1], _word(words[i + 2])]
            i += 3
        else:
            out += ["-n", _word(t)]
            i += 1
    return out


# -- words and redirections -------------------------------------------------------------


def _assign_text(a: A.Assign) -> str:
    head = a.name + (f"[{a.index}]" if a.index is not None else "") + ("+=" if a.append else "=")
    if a.array is not None:
        return head + "(" + " ".join(_word(w) for w in a.array) + ")"
    return head + _word(a.value or "")


def _word(raw: str) -> str:
    """A word as bash keeps it in its tree: as written, except ``$(…)`` re-printed,
    ``$'…'`` as a single-quoted string, ``$"…"`` as a double-quoted one, and a
    compound assignment's list with single spaces."""
    m = _ARRAY_WORD.match(raw)
    if m is not None and "\n" not in m.group(2):
        try:
            inner = split_words(m.group(2))
        except ShellSyntaxError:
            return raw
        return m.group(1) + "(" + " ".join(_word(w) for w in inner) + ")"
    if "$" not in raw:
        return raw
    try:
        return _rewrite(raw, 0, len(raw), False)
    except (ShellSyntaxError, IndexError, RecursionError):
        return raw  # as written: bash would have refused it at definition


def _rewrite(raw: str, i: int, end: int, in_dq: bool) -> str:
    from .expand import ansi_c

    out: list[str] = []
    while i < end:
        c = raw[i]
        if c == "\\":
            out.append(raw[i : i + 2])
            i += 2
        elif c == "'" and not in_dq:
            j = raw.find("'", i + 1)
            j = end if j < 0 else j + 1
            out.append(raw[i:j])
            i = j
        elif c == '"' and not in_dq:
            j = skip_dquote(raw, i)
            out.append('"' + _rewrite(raw, i + 1, j - 1, True) + '"')
            i = j
        elif c == "`":
            j = skip_backtick(raw, i)
            out.append(raw[i:j])
            i = j
        elif c == "$" and not in_dq and raw.startswith("$'", i):
            j = skip_dollar(raw, i)
            out.append(single_quote(ansi_c(raw[i + 2 : j - 1])))
            i = j
        elif c == "$" and not in_dq and raw.startswith('$"', i):
            j = skip_dollar(raw, i)
            out.append(raw[i + 1 : j])
            i = j
        elif c == "$" and raw.startswith("$(", i) and not raw.startswith("$((", i):
            j = skip_dollar(raw, i)
            out.append("$(" + _comsub(raw[i + 2 : j - 1]) + ")")
            i = j
        elif c == "$":
            j = max(skip_dollar(raw, i), i + 1)
            out.append(raw[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _comsub(script: str) -> str:
    from .parser import parse

    try:
        tree = parse(script)
    except ShellSyntaxError:
        return script
    text = command_text(tree)
    return " " + text if text.startswith("(") else text  # not `$((`


def _heredoc_header(r: A.Redirect) -> str:
    doc = r.heredoc
    assert doc is not None
    pre = "{" + r.var + "}" if r.var is not None else str(r.fd or "")
    delim = single_quote(doc.delim) if not doc.expand else doc.delim
    return f"{pre}<<{'-' if doc.strip else ''}{delim}"


def _redirection(r: A.Redirect) -> str:
    op = r.op
    var = "{" + r.var + "}" if r.var is not None else None
    target = r.target
    if op in (">&-", "<&-") or (op in (">&", "<&") and target == "-"):
        fd = r.fd if r.fd is not None else (1 if op.startswith(">") else 0)
        return f"{var or fd}>&-"
    if op in (">&", "<&"):
        default = 1 if op == ">&" else 0
        fd = r.fd if r.fd is not None else default
        bare = target[:-1] if target.endswith("-") else target
        if bare.isdigit():  # N>&M, N<&M, N<&M- (move)
            return f"{var or fd}{op}{target}"
        if var is not None:
            return f"{var}{op}{_word(target)}"
        return f"{'' if fd == default else fd}{op}{_word(target)}"
    if op in ("&>", "&>>"):
        return f"{op} {_word(target)}"
    default = {"<": 0, "<<<": 0, "<>": 1}.get(op, 1)
    if var is not None:
        pre = var
    else:
        fd = r.fd if r.fd is not None else (0 if op == "<>" else default)
        pre = "" if fd == default else str(fd)
    return f"{pre}{op} {_word(target)}"

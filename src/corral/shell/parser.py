"""tree-sitter-bash → corral's syntax tree.

tree-sitter-bash gives a concrete tree with a few quirks for our purpose; this
module fixes them while converting: redirections that tree-sitter attaches to
a whole list or pipeline belong to its last command, ``! a | b`` negates the
whole pipeline, and here-documents are lifted out of the source beforehand
(see ``lexer.extract_heredocs``).
"""

from __future__ import annotations

import functools
import itertools
import re
import resource
import threading
import time

import tree_sitter
import tree_sitter_bash

from . import parse_gaps
from . import syntax as A
from .lexer import (
    HEREDOCS,
    ShellSyntaxError,
    extract_heredocs,
    join_continuations,
    split_words,
)
from .limits import address_space
from .rewrite import (
    close_paren,
    drop_holes,
    hole,
    restore_holes,
    rewrite_outside_quotes,
)

_lang = tree_sitter.Language(tree_sitter_bash.language())
_local = threading.local()


def _parser() -> tree_sitter.Parser:
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = tree_sitter.Parser(_lang)
    return p


#: CPU seconds tree-sitter-bash may spend on one script (its alternates included):
#: some malformed shapes (nested ``a=(``) cost it time and memory growing with the
#: square of their length (8,000 ``a=(``: 1.4 s, 370 MB); a real script of 512 KiB
#: takes well under a second
MAX_PARSE_CPU_S = 2.0
#: the most address space one parse may add, and what it leaves below the process's
#: RLIMIT_AS (the shell worker's memory budget): past either it is stopped
MAX_PARSE_GROWTH = 1 << 30
_PARSE_HEADROOM = 64 << 20
#: shorter texts are parsed without these checks (they cannot take long)
_TIMED_PARSE_CHARS = 4096
#: a parse is only watched for memory once it has run this long
_WATCH_AFTER_S = 0.05
_CHUNK = 1 << 16


class ParseTooCostly(ShellSyntaxError):
    """tree-sitter-bash was stopped on a script: past MAX_PARSE_CPU_S, or near the
    memory it may use."""


def _tree(text: str, until: float) -> tree_sitter.Tree:
    """tree-sitter-bash's tree of ``text``, stopped past ``until`` (``time.thread_time``)
    or near the memory it may use."""
    data = text.encode("utf-8", "surrogateescape")
    why: list[str] = []
    if len(text) < _TIMED_PARSE_CHARS:
        return _parser().parse(data)

    def read(offset: int, _point: object) -> bytes:
        return data[offset : offset + _CHUNK]

    start = time.thread_time()
    size0 = address_space()
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    cap = None if size0 is None else size0 + MAX_PARSE_GROWTH
    if cap is not None and soft != resource.RLIM_INFINITY:
        cap = min(cap, soft - _PARSE_HEADROOM)

    def stop(*_: object) -> bool:
        now = time.thread_time()
        if now > until:
            why.append(f"more than {MAX_PARSE_CPU_S:g} s of CPU")
            return True
        if cap is None or now - start < _WATCH_AFTER_S:
            return False
        size = address_space()
        if size is not None and size > cap:
            why.append(f"more than {(size - (size0 or 0)) >> 20} MB of memory")
            return True
        return False

    parser = _parser()
    try:
        return parser.parse(read, progress_callback=stop)
    except ValueError:  # the callback stopped it
        parser.reset()  # or the next parse would go on with this one
        raise ParseTooCostly(
            f"the script takes the shell's parser {why[0] if why else 'too long'} to read "
            "(corral stops there)"
        ) from None


#: the most commands one pipeline may hold. tree-sitter-bash's error recovery on a long
#: pipeline that ends in a syntax error (``a|a|…|``) takes memory growing with the square
#: of its stages (4,000: ~240 MB; 16,000: ~4 GB), inside the C library where nothing can
#: stop it; bash would start a process per stage. Past this, the script is refused
#: before tree-sitter reads it.
MAX_PIPELINE = 2048
#: a script with fewer ``|`` than this holds no pipeline that long: not scanned
_PIPES_SCANNED = MAX_PIPELINE
#: in code: a quoted string, an escape, a comment, or an operator that ends, opens or
#: closes a pipeline; in double quotes: what opens code there, or the closing quote
_CODE_TOKEN = re.compile(
    r"'[^']*'?|\\.|(?:^|(?<=[ \t\n;&|()]))#[^\n]*|\|\||&&|\|&?|[$<>]?\(|[;&\n)`\"]",
    re.S,
)
_DQ_TOKEN = re.compile(r"\\.|\$\(|[`\"]", re.S)


def _check_pipelines(text: str) -> None:
    """Refuse a pipeline of more than MAX_PIPELINE commands: one linear scan, only for a
    script with that many ``|``. ``(``, ``$(``, ``<(`` and a backquote (in code or in
    double quotes) open a pipeline of their own inside the command they are in; the
    outer pipeline's count goes on after them."""
    if text.count("|") < _PIPES_SCANNED:
        return
    stages = 1
    outer: list[tuple[str, int]] = []  # (what opened a level, its outer count)
    pos, n = 0, len(text)
    while pos < n:
        in_dq = bool(outer) and outer[-1][0] == '"'
        m = (_DQ_TOKEN if in_dq else _CODE_TOKEN).search(text, pos)
        if m is None:
            return
        pos, tok = m.end(), m.group()
        if in_dq:
            if tok == '"':
                stages = outer.pop()[1]
            elif tok[0] != "\\":  # `$(` or a backquote: code inside the quotes
                outer.append((tok[-1], stages))
                stages = 1
            continue
        if tok in ("|", "|&"):
            stages += 1
            if stages > MAX_PIPELINE:
                raise ShellSyntaxError(
                    f"a pipeline of more than {MAX_PIPELINE} commands (corral runs at most "
                    f"{MAX_PIPELINE} in one pipeline)",
                    text.count("\n", 0, m.start()) + 1,
                )
        elif tok in ("||", "&&", ";", "&", "\n"):
            stages = 1
        elif tok == '"' or tok[-1] == "(":
            outer.append((tok[-1], stages))
            stages = 1
        elif tok == "`":
            if outer and outer[-1][0] == "`":
                stages = outer.pop()[1]
            else:
                outer.append(("`", stages))
                stages = 1
        elif tok == ")" and outer and outer[-1][0] == "(":
            stages = outer.pop()[1]


@functools.lru_cache(maxsize=512)
def parse(src: str) -> A.Seq:
    """Parse a script. Raises ShellSyntaxError with bash-like text and position."""
    text, docs = extract_heredocs(src)
    text = join_continuations(text)
    _check_pipelines(text)
    until = time.thread_time() + MAX_PARSE_CPU_S
    tree = _tree(text, until)
    root = tree.root_node
    first_root, first_text = root, text
    if root.has_error or parse_gaps.MISREAD.search(text):
        # valid bash that tree-sitter-bash refuses (`f() for …`, `} fi`, …) or reads as
        # something else without an error (`! { a; }`: a command named `{`)
        alt = parse_gaps.fill(text)
        if alt != text:
            alt_root = _tree(alt, until).root_node
            if root.has_error or not alt_root.has_error:
                text, root = alt, alt_root
    if root.has_error and "`" in text and _BACKQUOTE_IN_BRACES.search(text):
        # `${x:-`echo }`}`: tree-sitter-bash ends the expansion at the `}` inside the
        # backquotes; the same command substitution written `$(…)` it reads whole (only
        # for backquoted text without `\`, `(` or `)`, where both forms mean the same)
        alt = _BACKQUOTE_IN_BRACES.sub(lambda m: f"{m.group(1)}$({m.group(2)})", text)
        alt_root = _tree(alt, until).root_node
        if not alt_root.has_error:
            text, root = alt, alt_root
    if root.has_error and _DECL_SUBSCRIPT.search(text):
        # tree-sitter-bash takes `NAME[…]` after declare/local/typeset/readonly only as an
        # assignment: `declare -a b[256]` (an array of that name) is quoted for it
        alt = _DECL_SUBSCRIPT.sub(_quote_decl_subscripts, text)
        alt_root = _tree(alt, until).root_node
        if not alt_root.has_error or _first_error(alt_root) is None:
            text, root = alt, alt_root
    if root.has_error and "((" in text:
        # tree-sitter-bash's arithmetic grammar refuses some valid forms (`0x$b-0x$a`,
        # `1$b`): corral evaluates the expression's text itself, so tree-sitter only needs
        # to see that there is one (kept for the rewrites below: a line may need several)
        alt = _hide_arith(text)
        if alt != text:
            text, root = alt, _tree(alt, until).root_node
    if root.has_error and _EMPTY_FOR.search(text):
        alt = _EMPTY_FOR.sub(lambda m: m.group(1) + " " + EMPTY_LIST + m.group(2), text)
        alt_root = _tree(alt, until).root_node
        if not alt_root.has_error:
            text, root = alt, alt_root
    if root.has_error and _EXTGLOB.search(text):
        alt = _hide_extglob(text)
        alt_root = _tree(alt, until).root_node
        if not alt_root.has_error or _first_error(alt_root) is None:
            text, root = alt, alt_root
    if root.has_error and "[" in text:
        # tree-sitter-bash parses `[ ... ]` as an expression and fails on some
        # valid contents (`[ a \< b ]`); `[` is only a command, so retry as one
        alt = _hide_brackets(text)
        if alt != text:
            alt_root = _tree(alt, until).root_node
            if not alt_root.has_error:
                text, root = alt, alt_root
    if "time" in text:
        # `time { ...; }`, `time for ...`: tree-sitter-bash knows `time` only before a
        # simple command; run the compound command (the timing is not reported)
        alt = _drop_time_before_compound(text)
        if alt != text:
            alt_root = _tree(alt, until).root_node
            if not alt_root.has_error or _first_error(alt_root) is None:
                text, root = alt, alt_root
    if "coproc" in text:
        # tree-sitter-bash has no `coproc`: a compound one becomes a function definition
        # under a marked name (converted back to a Coproc node); `coproc cmd args` parses
        # as a command named coproc, converted in n_command
        alt = rewrite_outside_quotes(text, "c", _coproc_at)
        if alt != text:
            text, root = alt, _tree(alt, until).root_node
    if root.has_error and "~" in text and "${" in text:
        alt = _hide_case_toggle(text)
        if alt != text:
            alt_root = _tree(alt, until).root_node
            if not alt_root.has_error or _first_error(alt_root) is None:
                text, root = alt, alt_root
    if root.has_error and "<>" in text:
        # tree-sitter-bash has no `<>` (open read-write): parse it as `<&` to a marked word
        alt = _hide_rw(text)
        if alt != text:
            alt_root = _tree(alt, until).root_node
            if not alt_root.has_error or _first_error(alt_root) is None:
                text, root = alt, alt_root
    if not root.has_error and "\n" in text:
        # tree-sitter-bash reads `a | b | c⏎d && e` as one command `c d` (a newline
        # inside a pipeline's last command, before a line with && or ||): where a
        # command's words are apart by a newline, bash ends the command there
        kept_root, kept_text = root, text
        for _ in range(_NEWLINE_FIX_ROUNDS):
            cuts = _newline_gaps(root)
            if not cuts:
                break
            data = text.encode("utf-8", "surrogateescape")
            for at in reversed(cuts):
                data = data[:at] + b";" + data[at:]
            text = data.decode("utf-8", "surrogateescape")
            root = _tree(text, until).root_node
            if root.has_error:  # not the misreading thought: as it was
                root, text = kept_root, kept_text
                break
    if root.has_error and _first_error(root) is not None:
        bad = _first_error(root)
        if bad is not None and "__corral_" in bad.text.decode("utf-8", "replace"):
            root, text = first_root, first_text  # report the error in the script's words
        _raise_syntax_error(root, text)
    conv = _Converter(text.encode("utf-8", "surrogateescape"), docs)
    try:
        return conv.seq(root.children)
    finally:
        drop_holes(text)


#: how many shorter prefixes :func:`parse_until_error` tries before giving up on running any
_PREFIX_TRIES = 400
_PREFIX_BYTES = 32 << 20


def parse_until_error(src: str) -> tuple[A.Seq | None, ShellSyntaxError | None]:
    """A script as bash runs it: the complete commands before a syntax error run, then
    the error ends the script. Returns (the tree of the lines that parse, the error or
    None); the tree is None when nothing before the error parses."""
    try:
        return parse(src), None
    except ParseTooCostly as e:
        return None, e  # its prefixes would each take as long
    except ShellSyntaxError as e:
        err = e
    lines = src.split("\n")
    uncached = parse.__wrapped__  # prefixes are not worth keeping
    tries = 0
    parsed = 0
    for k in range(len(lines) - 1, 0, -1):
        if tries >= _PREFIX_TRIES or parsed > _PREFIX_BYTES:
            break
        head = lines[:k]
        if head[-1].endswith("\\"):
            continue
        tries += 1
        text = "\n".join(head) + "\n"
        parsed += len(text)
        try:
            tree = uncached(text)
        except ShellSyntaxError:
            continue
        try:
            uncached("\n".join(lines[k:]))
        except ShellSyntaxError as rest:
            err = ShellSyntaxError(str(rest), rest.line + k, rest.col)
        return tree, err
    return None, err


LBRACKET = "__corral_lbracket__"
RW_MARK = "__corral_rw__"
_FD_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\[[A-Za-z0-9_$@*#]+\])?)\}")
_TIME_COMPOUND = re.compile(
    r"time(?:\s+-p)?\s+(?=[{(!]|\[\[|(?:for|while|until|if|case|select)\b)"
)
_COMMAND_START = re.compile(r"(?:^|[;&|\n({]|\b(?:then|do|else))\s*$")
EMPTY_LIST = "__corral_empty_list__"
#: a backquoted command substitution inside `${…}` (each class run stops at the next
#: `{` or backquote: linear)
_BACKQUOTE_IN_BRACES = re.compile(r"(\$\{[^`{}'\"\\]*)`([^`\\()]*)`")
_EMPTY_FOR = re.compile(r"(\b(?:for|select)\s+[A-Za-z_][A-Za-z0-9_]*\s+in)(\s*[;\n])")
_EXTGLOB = re.compile(r"[!@*+?]\(")


def _time_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    m = _TIME_COMPOUND.match(text, i)
    if m and _COMMAND_START.search(text[max(0, i - 8) : i]):
        return "", m.end()
    return None


def _drop_time_before_compound(text: str) -> str:
    """``time`` (at a command's place, outside quotes) before a compound command, dropped."""
    return rewrite_outside_quotes(text, "t", _time_at)


COPROC_MARK = "__corral_coproc_"
_COPROC = re.compile(
    r"coproc[ \t]+(?:(?!(?:if|while|until|for|case|select|do|then|function)\b)"
    r"([A-Za-z0-9_]+)[ \t]+)?"
    r"(?=\{[ \t\n]|\(|\[\[[ \t]|(?:if|while|until|for|case|select)\b)"
)


def _coproc_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    m = _COPROC.match(text, i)
    if m is None or (i and (text[i - 1].isalnum() or text[i - 1] in "_-")):
        return None
    if not _COMMAND_START.search(text[max(0, i - 8) : i]):
        return None
    rest = text[m.end() : m.end() + 6]
    if re.match(r"(?:while|until|for|case|select)\b", rest):
        line = text.count("\n", 0, i) + 1
        raise ShellSyntaxError(
            "coproc: a loop or case as the coprocess is not supported here; "
            "wrap it in braces: coproc NAME { ...; }",
            line,
        )
    return f"{COPROC_MARK}{m.group(1) or 'COPROC'}__ () ", m.end()


def _rw_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    if text.startswith("<>", i) and not text.startswith("<", i + 2):
        j = i + 2
        while j < len(text) and text[j] in " \t":
            j += 1
        return "<&" + RW_MARK, j
    return None


def _hide_rw(text: str) -> str:
    """``N<>file`` → ``N<&__corral_rw__file`` outside quotes (see ``Converter.redirects``)."""
    return rewrite_outside_quotes(text, "<", _rw_at)


def _extglob_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    c, n = text[i], len(text)
    if text[i + 1 : i + 2] != "(" or (
        c == "!" and (i == 0 or text[i - 1].isspace()) and (i + 2 >= n or text[i + 2] == " ")
    ):
        return None
    j = close_paren(text, i + 1)
    if j is None:
        return None
    return hole(text[i : j + 1]), j + 1


def _case_toggle_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    # `${NAME~}`, `${NAME~~PAT}` (bash's case toggle, unknown to tree-sitter-bash)
    if not text.startswith("${", i):
        return None
    j = i + 2
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    if j == i + 2 or not text.startswith("~", j):
        return None
    end = text.find("}", j)
    if end < 0 or "{" in text[j:end] or "\n" in text[j:end]:
        return None
    return hole(text[i : end + 1]), end + 1


def _hide_case_toggle(text: str) -> str:
    return rewrite_outside_quotes(text, "$", _case_toggle_at, enter_dq=True)


def _hide_extglob(text: str) -> str:
    return rewrite_outside_quotes(text, "!@*+?", _extglob_at)


def _arith_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    # an arithmetic expansion's or command's "((" (in double quotes only after a "$")
    if not text.startswith("((", i) or (in_dq and (i == 0 or text[i - 1] != "$")):
        return None
    end = close_paren(text, i + 1, line=True)
    if end is None or not text.startswith("))", end):
        return None
    return "((" + hole(text[i + 2 : end]) + "))", end + 2


_DECL_SUBSCRIPT = re.compile(
    r"(?m)(?:^|(?<=[;&|({\s]))(declare|typeset|local|readonly)((?:[ \t]+[^\s;&|()<>]+)+)"
)
_BARE_SUBSCRIPT = re.compile(r"(?<=[ \t])([A-Za-z_][A-Za-z0-9_]*\[[A-Za-z0-9_@*+-]*\])(?=[ \t]|$)")


def _quote_decl_subscripts(m: re.Match[str]) -> str:
    return m.group(1) + _BARE_SUBSCRIPT.sub(r"'\1'", m.group(2))


def _hide_arith(text: str) -> str:
    """``$(( … ))`` and ``(( … ))`` (outside single quotes, inside double quotes after a
    ``$``) with the expression replaced by a placeholder name, restored with the extglob
    placeholders (:func:`restore_holes`): corral evaluates the text itself, so what
    tree-sitter's grammar refuses (``0x$b-0x$a``, ``x=9 y=41``) is the evaluator's to
    judge at run time, as in bash."""
    return rewrite_outside_quotes(text, "(", _arith_at, enter_dq=True)


_CMD_START = re.compile(r"(^|[;&|(){!\n]|\b(?:if|then|elif|else|do|while|until)\b)\s*$")


def _bracket_at(text: str, i: int, in_dq: bool) -> tuple[str, int] | None:
    if text[i + 1 : i + 2] in (" ", "\t") and _CMD_START.search(text[max(0, i - 40) : i]):
        return LBRACKET, i + 1
    return None


def _hide_brackets(text: str) -> str:
    """Rename a command-position ``[`` (outside quotes) to a plain word."""
    return rewrite_outside_quotes(text, "[", _bracket_at)


def _raise_syntax_error(root: tree_sitter.Node, text: str) -> None:
    bad = _first_error(root)
    if bad is None:
        raise ShellSyntaxError("syntax error", 1, 1)
    line, col = bad.start_point[0] + 1, bad.start_point[1] + 1
    if bad.is_missing:
        raise ShellSyntaxError(f"syntax error: missing `{bad.type}'", line, col)
    tok = bad.text.decode("utf-8", "replace").strip().split()
    first = tok[0] if tok else ""
    if first.startswith('"') or first.startswith("'"):
        q = first[0]
        raise ShellSyntaxError(f"unexpected EOF while looking for matching `{q}'", line, col)
    if not first or bad.end_byte >= len(text.rstrip()):
        raise ShellSyntaxError("syntax error: unexpected end of file", line, col)
    raise ShellSyntaxError(f"syntax error near unexpected token `{first}'", line, col)


# Words are interpreted from their raw text, so tree-sitter's trouble inside
# them (``${m[key with space]}``) is not a syntax error for us; a broken
# ``$(...)`` is re-parsed, and reported, when it runs.
_WORD_NODES = {
    "expansion",
    "simple_expansion",
    "string",
    "arithmetic_expansion",
    "subscript",
    "command_substitution",
    "raw_string",
    "ansi_c_string",
    "translated_string",
}


def _chain_onto(left: A.Node, op: str, right: A.AndOr) -> A.AndOr:
    """``left op right`` with the and-or list ``right`` read as bash does, one chain from
    left to right: its operands and operators in order, folded onto ``left``."""
    parts: list[tuple[str, A.Node]] = []  # (operator before it, operand), in order
    stack: list[tuple[str, A.Node]] = [(op, right)]
    while stack:
        before, node = stack.pop()
        if isinstance(node, A.AndOr):
            stack.append((node.op, node.right))
            stack.append((before, node.left))
        else:
            parts.append((before, node))
    acc: A.Node = left
    for before, node in parts:
        acc = A.AndOr(acc, before, node)
    assert isinstance(acc, A.AndOr)
    return acc


_NEWLINE_FIX_ROUNDS = 4


def _newline_gaps(root: tree_sitter.Node) -> list[int]:
    """Byte offsets (ascending) where a simple command's parts are apart by a newline:
    the end of the part before it (a ``;`` there ends the command, as bash reads it)."""
    cuts: list[int] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command":
            last = None  # the last part that is not a comment
            for kid in node.children:
                if kid.type == "comment":
                    continue
                if last is not None and kid.start_point[0] > last.end_point[0]:
                    cuts.append(last.end_byte)  # before any comment on that line
                    break
                last = kid
        if node.type not in _WORD_NODES:
            stack.extend(node.children)
    return sorted(set(cuts))


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type in _WORD_NODES:
        return None
    if node.type == "ERROR" or node.is_missing:
        # report the first leaf inside the error, which is where bash would stop
        leaf = node
        while leaf.child_count and leaf.type == "ERROR":
            kids = [c for c in leaf.children if c.type != "comment"]
            if not kids:
                break
            leaf = kids[0]
        return leaf if leaf.type != "ERROR" or not leaf.child_count else node
    for c in node.children:
        if c.has_error or c.is_missing or c.type == "ERROR":
            found = _first_error(c)
            if found is not None:
                return found
    return None


#: reserved words that close or continue a compound command: never a command's name
_CLOSING_WORDS = frozenset(("}", "fi", "done", "esac", "then", "do", "else", "elif"))
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?)=", re.S)


class _Converter:
    def __init__(self, src: bytes, docs: dict[str, A.Heredoc]) -> None:
        self.src = src
        self.docs = docs
        self._next_fd: int | None = None  # a descriptor tree-sitter put before its redirection
        self._next_var: str | None = None  # the same for {name}
        self._split: set[int] = set()  # Seqs made by n_command from one joined command

    def t(self, node: tree_sitter.Node) -> str:
        return restore_holes(node.text.decode("utf-8", "surrogateescape"))

    # -- sequences -----------------------------------------------------------

    def seq(self, nodes: list[tree_sitter.Node]) -> A.Seq:
        items: list[tuple[A.Node, bool]] = []
        newlines: list[int] = []  # items that follow a newline, not `;` or `&` (printing)
        sep = True
        for n in nodes:
            if not n.is_named:
                if n.type in (";;", ";&", ";;&"):  # a case arm's end outside a case
                    raise ShellSyntaxError(
                        f"syntax error near unexpected token `{n.type}'", n.start_point[0] + 1
                    )
                if n.type == "&" and items:
                    items[-1] = (items[-1][0], True)
                sep = sep or n.type in ("&", ";")
                continue
            if n.type in ("comment", "heredoc_body", "heredoc_end", "heredoc_start"):
                continue
            node = self.node(n)
            if self._split:
                heads, node = self._hoist(node)
                items.extend((h, False) for h in heads)
            if not sep:
                newlines.append(len(items))
            items.append((node, False))
            sep = False
        return A.Seq(items, newlines) if newlines else A.Seq(items)

    def _hoist(self, node: A.Node) -> tuple[list[A.Node], A.Node]:
        """Assignment lines that tree-sitter-bash joined to the first command of a
        pipeline or list (see ``n_command``): they run before it, in this shell."""
        if isinstance(node, A.Seq) and id(node) in self._split:
            return [h for h, _ in node.items[:-1]], node.items[-1][0]
        if isinstance(node, A.Pipeline) and node.cmds:
            heads, first = self._hoist(node.cmds[0])
            if heads:
                node.cmds[0] = first
            return heads, node
        if isinstance(node, A.AndOr):
            heads, left = self._hoist(node.left)
            if heads:
                node.left = left
            return heads, node
        if isinstance(node, A.Redirected):
            heads, inner = self._hoist(node.node)
            if heads:
                node.node = inner
            return heads, node
        return [], node

    def body_of(self, node: tree_sitter.Node) -> A.Seq:
        """do_group / compound_statement / else bodies → Seq of their statements."""
        return self.seq(
            [c for c in node.children if c.type not in ("do", "done", "{", "}", "then")]
        )

    # -- statements ------------------------------------------------------------

    def node(self, n: tree_sitter.Node) -> A.Node:
        m = getattr(self, "n_" + n.type, None)
        if m is None:
            raise ShellSyntaxError(
                f"unsupported syntax ({n.type}): {self.t(n)[:40]!r}",
                n.start_point[0] + 1,
                n.start_point[1] + 1,
            )
        return m(n)

    def n_command(self, n: tree_sitter.Node) -> A.Node:
        sub = [c for c in n.children if c.type == "subshell"]
        name = n.child_by_field_name("name")
        if sub and name is not None and self.t(name) == "time":
            return self.node(sub[0])  # `time ( ... )`: run it (the timing is not reported)
        words: list[str] = []
        assigns: list[A.Assign] = []
        redirects: list[A.Redirect] = []
        heads: list[A.Node] = []  # `a=1 b=2<newline>cmd`, which tree-sitter-bash joins
        start = prev_end = n.start_byte
        line = n.start_point[0] + 1
        for c in n.children:
            if not words and assigns and b"\n" in self.src[prev_end : c.start_byte]:
                text = self.src[start:prev_end].decode("utf-8", "surrogateescape")
                heads.append(A.Simple([], assigns, redirects, line, text))
                assigns, redirects = [], []
                start, line = c.start_byte, c.start_point[0] + 1
            prev_end = c.end_byte
            if c.type == "variable_assignment" and not words:
                assigns.append(self.assign(c))
            elif c.type in ("file_redirect", "herestring_redirect", "heredoc_redirect"):
                redirects.extend(self.redirects(c))
            elif (
                c.type == "number"
                and words
                and (nxt := c.next_sibling) is not None
                and nxt.type == "herestring_redirect"
                and nxt.start_byte == c.end_byte
                and self.t(c).isdigit()
            ):
                # `cat 0<<<x`: tree-sitter-bash reads the fd as an argument
                self._next_fd = int(self.t(c))
            elif c.type == "command_name" or c.is_named:
                if c.type == "comment":
                    continue
                word = self.t(c)
                words.append("[" if word == LBRACKET else word)
            elif c.type in ("=~", "=="):
                words.append(c.type)
        if words and not assigns and words[0] in _CLOSING_WORDS:
            # tree-sitter-bash takes `( a ) done` or `{ a; } }` as a command named done/}
            raise ShellSyntaxError(f"syntax error near unexpected token `{words[0]}'", line)
        text = self.src[start : n.end_byte].decode("utf-8", "surrogateescape")
        if len(words) > 1 and words[0] == "coproc" and not assigns:
            # `coproc cmd args`: the default name; a NAME comes only before a compound
            inner = A.Simple(words[1:], [], redirects, line, text[6:].lstrip())
            cmd: A.Node = A.Coproc("COPROC", inner)
        else:
            cmd = A.Simple(words, assigns, redirects, line, text)
        if heads:
            split = A.Seq([(h, False) for h in [*heads, cmd]])
            self._split.add(id(split))
            return split
        return cmd

    def n_variable_assignment(self, n: tree_sitter.Node) -> A.Node:
        return A.Simple([], [self.assign(n)], [], n.start_point[0] + 1, self.t(n))

    def n_variable_assignments(self, n: tree_sitter.Node) -> A.Node:
        assigns = [self.assign(c) for c in n.children if c.type == "variable_assignment"]
        return A.Simple([], assigns, [], n.start_point[0] + 1, self.t(n))

    def assign(self, n: tree_sitter.Node) -> A.Assign:
        text = self.t(n)
        m = _ASSIGN_RE.match(text)
        if not m:
            raise ShellSyntaxError(f"bad assignment: {text!r}", n.start_point[0] + 1)
        name, index, plus = m.group(1), m.group(2), m.group(3)
        rest = text[m.end() :]
        value = n.child_by_field_name("value")
        if value is not None and value.type == "array":
            inner = self.t(value)[1:-1]
            return A.Assign(name, None, None, split_words(inner), bool(plus))
        return A.Assign(name, rest, index[1:-1] if index else None, None, bool(plus))

    def n_declaration_command(self, n: tree_sitter.Node) -> A.Node:
        words = [self.t(c) for c in n.children if c.type != "comment"]
        return A.Simple(words, [], [], n.start_point[0] + 1, self.t(n))

    n_unset_command = n_declaration_command

    def n_redirected_statement(self, n: tree_sitter.Node) -> A.Node:
        body_node = n.child_by_field_name("body")
        redirects: list[A.Redirect] = []
        extra: list[tuple[str, A.Node]] = []  # pipeline / && continuations in heredocs
        kinds = ("file_redirect", "herestring_redirect", "heredoc_redirect")
        reds = [c for c in n.children if c is not body_node and c.type in kinds]
        # tree-sitter-bash reads the `0` of `cmd 0<file` as an argument of cmd (and the `0`
        # of `cmd <a 0<b` as part of the first target): an unspaced number is the next
        # redirection's descriptor
        self._next_fd = self._next_var = None
        drop_last = False
        fd_var: str | None = None
        if body_node is not None and body_node.type == "command" and reds:
            args = body_node.named_children
            if (
                args
                and args[-1].end_byte == reds[0].start_byte
                and args[-1] is not body_node.child_by_field_name("name")
                and not any(k.type == "file_descriptor" for k in reds[0].children)
            ):
                last = self.t(args[-1])
                if args[-1].type == "number":
                    self._next_fd = int(last)
                    drop_last = True
                elif m := _FD_VAR.fullmatch(last):
                    fd_var = m.group(1)  # {name}>file
                    drop_last = True
        for c in reds:
            redirects.extend(self.redirects(c, extra))
        if fd_var is not None and redirects:
            first = redirects[0]
            redirects[0] = A.Redirect(first.op, first.target, None, first.heredoc, fd_var)
        body = self.node(body_node) if body_node is not None else A.Simple([])
        if drop_last and isinstance(body, A.Simple) and body.words:
            body.words.pop()
        target = _last_command(body)
        if isinstance(target, A.FuncDef | A.Coproc) and target is body:
            # `f() { ...; } >file`: applied at every call, printed after the `}`
            if isinstance(target.body, A.Redirected):
                target.body.redirects.extend(redirects)
            else:
                target.body = A.Redirected(target.body, redirects)
            result = body
        elif isinstance(target, A.Simple):
            target.redirects.extend(redirects)
            result = body
        elif body is target:
            result = A.Redirected(body, redirects)
        else:
            result = _replace_last(body, A.Redirected(target, redirects))
        for kind, cont in extra:
            if kind == "|":
                cmds = cont.cmds if isinstance(cont, A.Pipeline) else [cont]
                result = _join_pipeline(result, cmds)
            else:
                result = A.AndOr(result, kind, cont)
        return result

    def redirects(
        self, n: tree_sitter.Node, extra: list[tuple[str, A.Node]] | None = None
    ) -> list[A.Redirect]:
        out: list[A.Redirect] = []
        fd: int | None = self._next_fd
        var: str | None = self._next_var
        self._next_fd = self._next_var = None
        op = ""
        target = ""
        prev_end = -1
        for c in n.children:
            if (
                target
                and c.start_byte > prev_end
                and c.next_sibling is None
                and n.next_sibling is not None
                and n.next_sibling.start_byte == c.end_byte
            ):
                # `<a 0<b`, `<a {v}<b`: the 0 or {v} belongs to the next redirection
                if c.type == "number":
                    self._next_fd = int(self.t(c))
                    continue
                if m := _FD_VAR.fullmatch(self.t(c)):
                    self._next_var = m.group(1)
                    continue
            if c.is_named:
                prev_end = c.end_byte
            if c.type == "file_descriptor":
                fd = int(self.t(c))
            elif not c.is_named and c.type not in ("(", ")"):
                if c.type in ("&&", "||") and extra is not None:
                    op = op or ""
                    extra.append((c.type, A.Simple([])))  # placeholder, filled below
                    continue
                op = op if op else c.type
            elif c.type in ("file_redirect", "herestring_redirect", "heredoc_redirect"):
                out.extend(self.redirects(c, extra))
            elif c.type == "pipeline" and extra is not None:
                cmds = [self.node(k) for k in c.children if k.is_named and k.type != "comment"]
                extra.append(("|", A.Pipeline(cmds)))
            elif extra is not None and extra and extra[-1][1] == A.Simple([]) and c.is_named:
                extra[-1] = (extra[-1][0], self.node(c))
            elif c.is_named:
                target = self.t(c) if not target else target + self.t(c)
        if n.type == "herestring_redirect":
            out.insert(0, A.Redirect("<<<", target, fd))
            return out
        if n.type == "heredoc_redirect":
            out.insert(0, A.Redirect("<", target, fd))
            return out
        doc = self.docs.get(target) or HEREDOCS.get(target)
        if op == "<" and doc is not None:
            out.insert(0, A.Redirect("heredoc", "", fd, doc))
            return out
        if op == "<&" and target.startswith(RW_MARK):
            op, target = "<>", target[len(RW_MARK) :]
        elif op == "<&" and target.startswith(parse_gaps.HERESTRING_MARK):
            op, target = "<<<", target[len(parse_gaps.HERESTRING_MARK) :]
        out.insert(0, A.Redirect(op, target, fd, None, var))
        return out

    def n_pipeline(self, n: tree_sitter.Node) -> A.Node:
        cmds: list[A.Node] = []
        stderr: list[bool] = []
        negated = False
        tail: list[tuple[str, A.Node]] = []
        for c in n.children:
            if c.type == "|&":
                stderr.append(True)
            elif c.type == "|":
                stderr.append(False)
            elif c.is_named and c.type != "comment":
                node = self.node(c)
                if c.type == "negated_command":
                    if cmds:  # `a | ! b`: bash takes `!` only before a whole pipeline
                        raise ShellSyntaxError(
                            "syntax error near unexpected token `!'", c.start_point[0] + 1
                        )
                    negated = not negated
                    node = node.cmds[0] if isinstance(node, A.Pipeline) else node
                if (
                    isinstance(node, A.Redirected) and isinstance(node.node, A.Pipeline)
                    and not cmds
                ):  # fmt: skip
                    # `! a | b >f | c` came as pipeline(redirected(!(a | b), >f), c): the
                    # redirection is b's and the `!` the whole pipeline's
                    inner = node.node
                    negated = negated != inner.negated
                    cmds.extend(inner.cmds[:-1])
                    cmds.append(A.Redirected(inner.cmds[-1], node.redirects))
                    stderr.extend(inner.pipe_stderr[: len(inner.cmds) - 1])
                    continue
                cmds.append(node)
        # tree-sitter may put `a | b && c` as pipeline(a, list(b, c)): re-associate
        last = cmds[-1]
        while isinstance(last, A.AndOr):
            tail.insert(0, (last.op, last.right))
            last = last.left
        cmds[-1] = last
        # and `a || b >f | c` (a redirection on b) as pipeline(list(a, b), c): `|` binds
        # tighter, so that is a || (b >f | c)
        before: list[tuple[A.Node, str]] = []
        while len(cmds) > 1 and not negated and isinstance(cmds[0], A.AndOr):
            first = cmds[0]
            before.append((first.left, first.op))
            cmds[0] = first.right
        head = cmds[0]
        if len(cmds) > 1 and isinstance(head, A.Simple) and not head.redirects:
            # parse_gaps' rewrites: `! { a; }` and `f() for …` came as marked pipelines
            if head.words == [parse_gaps.NOT_MARK] and not head.assigns:
                negated = not negated
                del cmds[0], stderr[0]
            elif len(head.words) == 2 and head.words[1] == parse_gaps.FN_MARK:
                cmds[:2] = [A.FuncDef(head.words[0], cmds[1])]
                del stderr[0]
        flat: list[A.Node] = []
        for c in cmds:
            if isinstance(c, A.Pipeline) and not c.negated:
                flat.extend(c.cmds)
            else:
                flat.append(c)
        result: A.Node = A.Pipeline(flat, negated, stderr + [False] * (len(flat) - len(stderr)))
        if len(flat) == 1 and isinstance(flat[0], A.FuncDef) and not negated:
            result = flat[0]  # `f() for …` alone: a definition, not a pipeline of one
        if before:  # left to right: a1 op1 a2 op2 … (pipeline)
            acc: A.Node = before[0][0]
            for (_, op), (nxt, _) in itertools.pairwise(before):
                acc = A.AndOr(acc, op, nxt)
            result = A.AndOr(acc, before[-1][1], result)
        for op, right in tail:
            result = A.AndOr(result, op, right)
        return result

    def n_negated_command(self, n: tree_sitter.Node) -> A.Node:
        inner = [c for c in n.children if c.is_named and c.type != "comment"]
        node = self.node(inner[0])
        if isinstance(node, A.Pipeline):
            node.negated = not node.negated
            return node
        return A.Pipeline([node], True, [False])

    def n_list(self, n: tree_sitter.Node) -> A.Node:
        # tree-sitter nests `a && b && c` to the left, list(list(a, b), c): walked down as a
        # loop, so a line of thousands of `&&` does not recurse once per operator
        spine = [n]
        while True:
            first = next((c for c in spine[-1].children if c.type != "comment"), None)
            if first is None or first.type != "list":
                break
            spine.append(first)
        left: A.Node | None = None
        for i in range(len(spine) - 1, -1, -1):
            inner = spine[i + 1] if i + 1 < len(spine) else None
            op = ""
            for c in spine[i].children:
                if c.type == "comment" or c == inner:
                    continue
                if c.type in ("&&", "||"):
                    op = c.type
                elif c.is_named:
                    item = self.node(c)
                    if left is None:
                        left = item
                    elif isinstance(item, A.AndOr):
                        # `a && b | c | d && e` may come as list(a, pipeline(…, list(d, e)))
                        # whose item is an and-or list itself: && and || are one left-to-
                        # right chain in bash, so its parts are chained on, not nested
                        left = _chain_onto(left, op, item)
                    else:
                        left = A.AndOr(left, op, item)
        assert left is not None
        return left

    def n_subshell(self, n: tree_sitter.Node) -> A.Node:
        return A.Subshell(self.seq([c for c in n.children if c.type not in ("(", ")")]))

    def n_compound_statement(self, n: tree_sitter.Node) -> A.Node:
        if n.children and n.children[0].type == "((":
            return A.Arith(self.t(n)[2:-2])
        return A.Group(self.body_of(n))

    def n_if_statement(self, n: tree_sitter.Node) -> A.Node:
        clauses: list[tuple[A.Seq, A.Seq]] = []
        orelse: A.Seq | None = None
        cond: list[tree_sitter.Node] = []
        body: list[tree_sitter.Node] = []
        state = "cond"
        for c in n.children:
            if c.type in ("if", "fi"):
                continue
            if c.type == "then":
                state = "body"
                continue
            if c.type == "elif_clause":
                clauses.append((self.seq(cond), self.seq(body)))
                cond, body = self._elif(c)
                continue
            if c.type == "else_clause":
                orelse = self.seq([k for k in c.children if k.type != "else"])
                continue
            (cond if state == "cond" else body).append(c)
        clauses.append((self.seq(cond), self.seq(body)))
        return A.If(clauses, orelse)

    def _elif(self, n: tree_sitter.Node) -> tuple[list, list]:
        cond: list[tree_sitter.Node] = []
        body: list[tree_sitter.Node] = []
        state = "cond"
        for c in n.children:
            if c.type == "elif":
                continue
            if c.type == "then":
                state = "body"
                continue
            (cond if state == "cond" else body).append(c)
        return cond, body

    def n_while_statement(self, n: tree_sitter.Node) -> A.Node:
        until = any(c.type == "until" for c in n.children)
        cond = [c for c in n.children if n.field_name_for_child(n.children.index(c)) == "condition"]
        body = n.child_by_field_name("body")
        assert body is not None
        return A.While(self.seq(cond), self.body_of(body), until)

    def n_for_statement(self, n: tree_sitter.Node) -> A.Node:
        var = n.child_by_field_name("variable")
        body = n.child_by_field_name("body")
        assert var is not None and body is not None
        has_in = any(c.type == "in" for c in n.children)
        values = [self.t(c) for c in n.children_by_field_name("value")]
        values = [v for v in values if v != EMPTY_LIST]
        select = any(c.type == "select" for c in n.children)
        return A.For(self.t(var), values if has_in else None, self.body_of(body), select)

    def n_c_style_for_statement(self, n: tree_sitter.Node) -> A.Node:
        text = self.t(n)
        start = text.index("((") + 2
        end = text.index("))", start)
        inner = text[start:end]
        parts = inner.split(";")
        if len(parts) != 3:
            raise ShellSyntaxError("syntax error in for (( ; ; )) loop", n.start_point[0] + 1)
        body = n.child_by_field_name("body")
        assert body is not None
        return A.ArithFor(parts[0], parts[1], parts[2], self.body_of(body))

    def n_case_statement(self, n: tree_sitter.Node) -> A.Node:
        value = n.child_by_field_name("value")
        assert value is not None
        items: list[A.CaseItem] = []
        for c in n.children:
            if c.type != "case_item":
                continue
            pats = [self.t(v) for v in c.children_by_field_name("value")]
            body_nodes = []
            term = ";;"
            seen_paren = False
            for k in c.children:
                if k.type == ")" and not seen_paren:
                    seen_paren = True
                    continue
                if not seen_paren:
                    continue
                if k.type in (";;", ";&", ";;&"):
                    term = k.type
                    continue
                body_nodes.append(k)
            if pats == [parse_gaps.ARM_MARK]:
                continue  # put after a last arm ending in ;& or ;;&
            items.append(A.CaseItem(pats, self.seq(body_nodes) if body_nodes else None, term))
        last = n.children[-1] if n.children else None
        arm = last.prev_sibling if last is not None else None
        if (
            last is not None
            and last.type == "esac"
            and arm is not None
            and arm.type == "case_item"
            and arm.children[-1].type == "command"
            and not self.src[arm.end_byte : last.start_byte].strip(b" \t")
        ):
            # `a) echo x esac`: bash reads that `esac` as an argument of echo
            raise ShellSyntaxError("syntax error: unexpected end of file", last.end_point[0] + 1)
        return A.Case(self.t(value), items)

    def n_function_definition(self, n: tree_sitter.Node) -> A.Node:
        name = n.child_by_field_name("name")
        body = n.child_by_field_name("body")
        assert name is not None and body is not None
        fname = self.t(name)
        node = self.node(body)
        kinds = ("file_redirect", "herestring_redirect", "heredoc_redirect")
        reds = [r for c in n.children if c.type in kinds for r in self.redirects(c)]
        if reds:  # `f() { ...; } >file`: applied at every call
            node = A.Redirected(node, reds)
        if fname.startswith(COPROC_MARK) and fname.endswith("__"):
            return A.Coproc(fname[len(COPROC_MARK) : -2], node)
        return A.FuncDef(fname, node)

    def n_test_command(self, n: tree_sitter.Node) -> A.Node:
        text = self.t(n)
        if text.startswith("[["):
            return A.Cond(split_words(text[2:-2], operators=True))
        if text.startswith("(("):
            return A.Arith(text[2:-2])
        return A.Simple(split_words(text), [], [], n.start_point[0] + 1, text)

    def n_arithmetic_expansion(self, n: tree_sitter.Node) -> A.Node:
        return A.Simple([self.t(n)], [], [], n.start_point[0] + 1, self.t(n))


def _last_command(node: A.Node) -> A.Node:
    while True:
        if isinstance(node, A.AndOr):
            node = node.right
        elif isinstance(node, A.Pipeline) and not node.negated and len(node.cmds) > 1:
            node = node.cmds[-1]
        elif isinstance(node, A.Coproc) and isinstance(node.body, A.Simple):
            node = node.body
        else:
            return node


def _replace_last(node: A.Node, new: A.Node) -> A.Node:
    if isinstance(node, A.AndOr):
        return A.AndOr(node.left, node.op, _replace_last(node.right, new))
    if isinstance(node, A.Pipeline) and len(node.cmds) > 1:
        return A.Pipeline(
            [*node.cmds[:-1], _replace_last(node.cmds[-1], new)], node.negated, node.pipe_stderr
        )
    return new


def _join_pipeline(left: A.Node, cmds: list[A.Node]) -> A.Node:
    if isinstance(left, A.Pipeline) and not left.negated:
        return A.Pipeline(left.cmds + cmds, False, left.pipe_stderr + [False] * len(cmds))
    return A.Pipeline([left, *cmds], False, [False] * (len(cmds) + 1))

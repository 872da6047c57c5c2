"""The shell's syntax tree, built from tree-sitter-bash's concrete tree.

Words are kept as their raw source text; ``expand.py`` interprets quoting and
expansions itself, which sidesteps tree-sitter-bash's quirks inside words.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Heredoc:
    body: str
    expand: bool  # False when the delimiter was quoted
    delim: str = ""  # the delimiter, quotes removed (for printing)
    strip: bool = False  # <<-: leading tabs were removed


@dataclass
class Redirect:
    op: str  # > >> < <> >& <& &> &>> >| <<< heredoc
    target: str  # raw word text ("" for heredocs)
    fd: int | None = None
    heredoc: Heredoc | None = None
    var: str | None = None  # {name}>file: the shell picks the descriptor, stored in name


@dataclass
class Assign:
    name: str
    value: str | None  # raw text; None with ``array``
    index: str | None = None
    array: list[str] | None = None
    append: bool = False


@dataclass
class Simple:
    words: list[str]
    assigns: list[Assign] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    line: int = 1
    text: str = ""


@dataclass
class Pipeline:
    cmds: list[Node]
    negated: bool = False
    pipe_stderr: list[bool] = field(default_factory=list)  # |& after cmds[i]


@dataclass
class AndOr:
    left: Node
    op: str  # && or ||
    right: Node


@dataclass
class Seq:
    items: list[tuple[Node, bool]]  # (node, run in background)
    newlines: list[int] = field(default_factory=list)  # items after a newline (printing)


@dataclass
class If:
    clauses: list[tuple[Seq, Seq]]
    orelse: Seq | None = None


@dataclass
class While:
    cond: Seq
    body: Seq
    until: bool = False


@dataclass
class For:
    var: str
    words: list[str] | None  # None: "$@"
    body: Seq
    select: bool = False  # `select NAME in …` (shell/selectloop.py)


@dataclass
class ArithFor:
    init: str
    cond: str
    update: str
    body: Seq


@dataclass
class CaseItem:
    patterns: list[str]
    body: Seq | None
    term: str = ";;"


@dataclass
class Case:
    word: str
    items: list[CaseItem]


@dataclass
class Subshell:
    body: Seq


@dataclass
class Group:
    body: Seq


@dataclass
class FuncDef:
    name: str
    body: Node


@dataclass
class Coproc:
    """``coproc [NAME] command``: ``command`` runs concurrently, joined to the shell
    by two pipes whose ends are ``${NAME[0]}`` (read) and ``${NAME[1]}`` (write)."""

    name: str
    body: Node


@dataclass
class Arith:
    expr: str


@dataclass
class Cond:
    words: list[str]  # the raw words between [[ and ]]


@dataclass
class Redirected:
    node: Node
    redirects: list[Redirect]


Node = (
    Simple
    | Pipeline
    | AndOr
    | Seq
    | If
    | While
    | For
    | ArithFor
    | Case
    | Subshell
    | Group
    | FuncDef
    | Coproc
    | Arith
    | Cond
    | Redirected
)

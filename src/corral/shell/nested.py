"""A shell started from the shell: ``bash -c '…' a b``, ``sh script.sh``,
``./script.sh`` (a workspace file with a ``#!/bin/bash`` line or none).

Nothing is executed on the host: the script runs in a *child* of the current
corral shell, on the same thread, the way a child bash would see the world:
only exported variables (no functions, aliases, traps, shell options, locals),
its own positional parameters and ``$0``, the same directory and descriptors.
Every simple command inside still goes through the gate (``hooks.on_exec``),
as at the top level. Nesting is bounded (``MAX_DEPTH``) like functions and
``source``.

A workspace file run by path must be executable (else ``Permission denied``,
status 126, as bash). A ``#!`` line naming python or node hands the file to
that bridge (asking the gate about that command first); any other interpreter
is refused with bash's ``bad interpreter`` message.
"""

from __future__ import annotations

import os
import stat as statmod
from typing import TYPE_CHECKING

from ..errors import PathEscape
from .interp import (
    MAX_DEPTH,
    BreakLoop,
    ContinueLoop,
    ExitShell,
    ReturnFn,
    ShellState,
    Var,
)
from .lexer import ShellSyntaxError
from .limits import max_string
from .parser import parse, parse_until_error
from .specials import SPECIAL, special

if TYPE_CHECKING:
    from .interp import Shell

#: Interpreters a ``#!`` line may name that are this shell.
_SHELLS = {"bash", "sh", "dash", "ash", "ksh", "zsh"}
_GUESTS = {"python": "python3", "python3": "python3", "node": "node", "nodejs": "node"}

_USAGE = "Usage: bash [-euxv] [-o option] [-c command_string [name [arg ...]]] | [file [arg ...]]"


def child(sh: Shell, arg0: str, args: list[str]) -> Shell:
    """A fresh child shell of ``sh``: exported variables only, new ``$0``/``$@``."""
    sub = sh.fork()
    st = ShellState()
    for k, v in sh.state.vars.items():
        if v.exported and isinstance(v.value, str):
            st.vars[k] = Var(v.value, exported=True)
    for key in sh.state.options:
        fn = sh.state.functions.get(key[8:]) if key.startswith("fexport:") else None
        if fn is not None:  # export -f
            st.functions[key[8:]] = fn
            st.options.add(key)
    st.vars.setdefault("IFS", Var(" \t\n"))
    st.vars["PS4"] = Var("+ ")
    st.vars["OPTIND"] = Var("1")
    for name in ("BASH_VERSION", "BASH_VERSINFO"):  # a new bash has them too
        if name in sh.state.vars and name not in st.vars:
            st.vars[name] = sh.state.vars[name]
    st.cwd = sh.state.cwd
    st.positional = list(args)
    sub.state = st
    sub.arg0 = arg0
    sub.depth = sh.depth + 1
    sub.subshell_level = 0
    sub.errexit_off = 0
    for key in ("_local_stack", "_sourcing", "_trap_depth", "_getopts_sub"):
        sub.__dict__.pop(key, None)
    sub.fd_names = dict(sh.fd_names)
    return sub


def run_script(
    sh: Shell, text: str, arg0: str, args: list[str], opts: list[str], dash_c: bool = False
) -> int:
    """Run ``text`` in a child shell; its exit status."""
    if sh.depth >= MAX_DEPTH:
        sh.error(f"{arg0}: maximum shell nesting level exceeded ({MAX_DEPTH})")
        return 1
    sub = child(sh, arg0, args)
    if dash_c:
        sub.expansion_exit = 127
    if opts:
        status = SPECIAL["set"](sub, ["set", *opts])
        if status:
            return status
    tree, syntax = parse_until_error(text)
    status = 0
    if tree is not None:
        try:
            status = sub._run_tree(tree)
        except (BreakLoop, ContinueLoop, ReturnFn):
            status = sub.state.last_status
    if syntax is not None and not sub._exited:
        where = "-c" if arg0 == "bash" else arg0
        sh.write_err(f"corral: {where}: line {syntax.line}: {syntax}\n")
        status = 2
    return sub._run_exit_trap(status)


def _read_script(sh: Shell, name: str, path: str) -> tuple[str | None, int]:
    """(text, 0) of a workspace script, or (None, status) after an error."""
    try:
        fd = sh.ws.open(path, os.O_RDONLY, 0, sh.state.cwd)
    except PathEscape:
        sh.error(f"{path}: Permission denied (outside /workspace)")
        return None, 126
    except OSError as e:
        sh.error(f"{path}: {e.strerror or e}")
        return None, 127
    with os.fdopen(fd, "rb") as f:
        if statmod.S_ISDIR(os.fstat(f.fileno()).st_mode):
            sh.error(f"{path}: Is a directory")
            return None, 126
        limit = max_string(sh.ws.budget)
        data = f.read(limit + 1)
    if len(data) > limit:
        sh.error(f"{path}: script too large (over {limit} bytes)")
        return None, 126
    return data.decode("utf-8", "surrogateescape"), 0


@special("bash", "sh")
def b_bash(sh: Shell, argv: list[str]) -> int:
    """bash/sh: -c STRING [NAME [ARG…]], FILE [ARG…], or a script on stdin."""
    name = argv[0]
    args = argv[1:]
    opts: list[str] = []
    command: str | None = None
    from_stdin = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--" or a == "-":
            i += 1
            break
        if a in ("--norc", "--noprofile", "--posix", "-l", "--login", "-i", "-s", "-p"):
            from_stdin = from_stdin or a == "-s"
            i += 1
            continue
        if a == "--help":
            sh.io[1].write((_USAGE + "\n").encode())
            return 0
        if a == "--version":
            sh.io[1].write(b"GNU bash, version 5.2.15(1)-release (the corral shell)\n")
            return 0
        if a in ("-o", "+o"):
            if i + 1 >= len(args):
                sh.error(f"{name}: {a}: option requires an argument")
                return 2
            opts += [a, args[i + 1]]
            i += 2
            continue
        if len(a) > 1 and a[0] in "-+" and not a.startswith("--"):
            letters = a[1:]
            if "o" in letters:
                if i + 1 >= len(args):
                    sh.error(f"{name}: -o: option requires an argument")
                    return 2
                opts += [f"{a[0]}o", args[i + 1]]
                letters = letters.replace("o", "")
                args = args[: i + 1] + args[i + 2 :]
            if "c" in letters and a[0] == "-":
                letters = letters.replace("c", "")
                if i + 1 >= len(args):
                    sh.error(f"{name}: -c: option requires an argument")
                    return 2
                command = args[i + 1]
                args = args[: i + 1] + args[i + 2 :]
            for ch in letters:
                if ch == "s" and a[0] == "-":  # the script is stdin; operands are $1…
                    from_stdin = True
                if ch in "lis":
                    continue
                if ch not in "euxvfnCabhmBHPT":
                    sh.error(f"{name}: {a[0]}{ch}: invalid option")
                    sh.write_err(_USAGE + "\n")
                    return 2
                if ch == "n":  # syntax check only
                    opts.append(f"{a[0]}n")
                    continue
                opts.append(f"{a[0]}{ch}")
            i += 1
            continue
        if a.startswith("--"):
            sh.error(f"{name}: {a}: invalid option")
            sh.write_err(_USAGE + "\n")
            return 2
        break
    rest = args[i:]
    noexec = "-n" in opts
    opts = [o for o in opts if o not in ("-n", "+n", "-v", "+v", "-h", "-B", "-H", "-P")]
    if command is not None:
        arg0 = rest[0] if rest else name
        if noexec:
            return _syntax_only(sh, command)
        return run_script(sh, command, arg0, rest[1:], opts, dash_c=True)
    if rest and not from_stdin:
        text, status = _read_script(sh, name, rest[0])
        if text is None:
            return status
        if noexec:
            return _syntax_only(sh, text)
        return run_script(sh, _drop_shebang(text), rest[0], rest[1:], opts)
    stdin = sh.io.get(0)
    limit = max_string(sh.ws.budget)
    data = stdin.read(limit + 1) if stdin is not None else b""
    if len(data) > limit:
        sh.error(f"{name}: script on standard input too large (over {limit} bytes)")
        return 2
    text = data.decode("utf-8", "surrogateescape")
    if noexec:
        return _syntax_only(sh, text)
    return run_script(sh, text, name, rest if from_stdin else [], opts)


def _syntax_only(sh: Shell, text: str) -> int:
    try:
        parse(text)
    except ShellSyntaxError as e:
        sh.write_err(f"corral: line {e.line}: {e}\n")
        return 2
    return 0


def _drop_shebang(text: str) -> str:
    return text  # a '#!' line is a comment to the shell


def run_path(sh: Shell, argv: list[str]) -> int | None:
    """``./script.sh ARG…``: run a workspace file by path. None when ``argv[0]``
    names no file (the caller says ``No such file or directory``)."""
    path = argv[0]
    try:
        host = sh.ws.resolve(path, sh.state.cwd)
    except PathEscape:
        return None
    try:
        st = host.stat()
    except OSError:
        return None
    if statmod.S_ISDIR(st.st_mode):
        sh.error(f"{path}: Is a directory")
        return 126
    if not st.st_mode & 0o111:
        sh.error(f"{path}: Permission denied")
        return 126
    text, status = _read_script(sh, path, path)
    if text is None:
        return status
    first = text.split("\n", 1)[0]
    if "\0" in text[:4096] or text.startswith("\x7fELF"):
        sh.error(f"{path}: cannot execute binary file: Exec format error")
        return 126
    if first.startswith("#!"):
        words = first[2:].split()
        interp = os.path.basename(words[0]) if words else ""
        rest = words[1:]
        if interp == "env":
            rest = [w for w in rest if not w.startswith("-")]
            interp = os.path.basename(rest[0]) if rest else ""
            rest = rest[1:]
        if interp in _GUESTS:
            return _run_guest(sh, [_GUESTS[interp], *rest, path, *argv[1:]])
        if interp not in _SHELLS:
            shown = first[2:].strip()
            sh.error(f"{path}: {shown}: bad interpreter: No such file or directory")
            return 126
        opts = [w for w in rest if w.startswith(("-", "+")) and w not in ("-", "--")]
        bad = [o for o in opts if o.lstrip("-+").strip("euxo") or o in ("-o", "+o")]
        if bad:
            opts = []
        return run_script(sh, text, path, argv[1:], opts)
    return run_script(sh, text, path, argv[1:], [])


def _run_guest(sh: Shell, argv: list[str]) -> int:
    """Hand a ``#!…python3`` file to the python/node bridge, through the gate."""
    if sh.hooks is not None:
        allowed, reason = sh.hooks.on_exec(argv, sh.state.cwd, " ".join(argv))
        if not allowed:
            return sh._denied(argv[0], reason)
    try:
        return sh.run_command(argv)
    except ExitShell as e:
        return e.status


__all__ = ["b_bash", "child", "run_path", "run_script"]

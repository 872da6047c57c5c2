"""Shell built-ins that read or change the shell's own state: cd, export,
set, local, read, trap, eval, source, test, ... (the text and file tools live
in ``builtins/``)."""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import re
import stat
import time
from collections.abc import Callable
from typing import IO

from ..errors import PathEscape
from . import funclist, procsub
from .command import CommandError
from .cond import CondError, test_builtin
from .expand import ExpansionError
from .interp import (
    BRIDGES,
    SPECIAL,
    BreakLoop,
    ContinueLoop,
    ExitShell,
    ReturnFn,
    Shell,
    Var,
)
from .lexer import ShellSyntaxError
from .limits import CappedBuffer, max_string, too_large
from .parser import parse
from .records import record_batches
from .values import IArray

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def special(*names: str) -> Callable[[Callable[[Shell, list[str]], int]], Callable]:
    def deco(fn: Callable[[Shell, list[str]], int]) -> Callable[[Shell, list[str]], int]:
        for n in names:
            SPECIAL[n] = fn
        return fn

    return deco


def _out(sh: Shell, text: str) -> None:
    sh.io[1].write(text.encode("utf-8", "surrogateescape"))


def _err(sh: Shell, name: str, msg: str) -> None:
    sh.write_err(f"corral: {name}: {msg}\n")


@special(":", "true")
def b_true(sh: Shell, argv: list[str]) -> int:
    return 0


@special("false")
def b_false(sh: Shell, argv: list[str]) -> int:
    return 1


@special("cd")
def b_cd(sh: Shell, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a not in ("-L", "-P", "--")]
    if len(args) > 1:
        _err(sh, "cd", "too many arguments")
        return 1
    if not args:
        target = sh.get_var("HOME") or "/workspace"
    elif args[0] == "-":
        old_pwd = sh.get_var("OLDPWD")
        if old_pwd is None:
            _err(sh, "cd", "OLDPWD not set")
            return 1
        if old_pwd == "":  # `cd ""`: stays, prints the empty name
            _out(sh, "\n")
            return 0
        target = old_pwd
        _out(sh, target + "\n")
    else:
        target = args[0]
    try:
        guest = sh.ws.guest_path(target, sh.state.cwd)
        host = sh.ws.resolve(guest)
    except PathEscape:
        _err(sh, "cd", f"{target}: Permission denied (outside /workspace)")
        return 1
    try:
        is_dir = stat.S_ISDIR(os.stat(host).st_mode)
    except OSError as e:  # missing, too long a name (ENAMETOOLONG), a symlink loop, ...
        _err(sh, "cd", f"{target}: {e.strerror or 'No such file or directory'}")
        return 1
    if not is_dir:
        _err(sh, "cd", f"{target}: Not a directory")
        return 1
    sh.set_var("OLDPWD", sh.state.cwd)
    sh.state.cwd = guest
    sh.state.vars["PWD"] = Var(guest, True)
    return 0


@special("pwd")
def b_pwd(sh: Shell, argv: list[str]) -> int:
    _out(sh, sh.state.cwd + "\n")
    return 0


def _parse_assign(word: str) -> tuple[str, str | None, bool]:
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=(.*)$", word, re.S)
    if m:
        return m.group(1), m.group(3), bool(m.group(2))
    return word, None, False


@special("export")
def b_export(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    unexport = False
    functions = False
    while args and args[0].startswith("-") and args[0] != "-":
        if args[0] == "--":
            args = args[1:]
            break
        if "n" in args[0]:
            unexport = True
        if "f" in args[0]:
            functions = True
        args = args[1:]
    if functions:  # export -f NAME: child shells (bash -c, scripts) get the function
        status = 0
        if not args:
            funclist.export_listing(sh)
        for name in args:
            if name not in sh.state.functions:
                _err(sh, "export", f"{name}: not a function")
                status = 1
            elif unexport:
                sh.state.options.discard("fexport:" + name)
            else:
                sh.state.options.add("fexport:" + name)
        return status
    if not args:
        for k in sorted(sh.state.vars):
            v = sh.state.vars[k]
            if v.exported and isinstance(v.value, str):
                _out(sh, f'declare -x {k}="{_dq(v.value)}"\n')
        return 0
    status = 0
    for a in args:
        name, value, append = _parse_assign(a)
        if not _NAME.match(name):
            _err(sh, "export", f"`{a}': not a valid identifier")
            status = 1
            continue
        if value is not None:
            sh.set_var(name, value, append=append)
        v = sh.state.vars.get(name)
        if v is None:
            v = sh.state.vars[name] = Var("")
            if not unexport:
                v.exported = True
                v.value = ""
                sh.state.vars[name] = v
                # bash marks it exported but unset; we keep it empty
            continue
        v.exported = not unexport
    return status


def _dq(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")


@special("unset")
def b_unset(sh: Shell, argv: list[str]) -> int:
    mode = "v"
    status = 0
    for a in argv[1:]:
        if a in ("-v", "-f", "-n"):
            mode = a[1]
            continue
        if mode == "f":
            status |= funclist.unset_function(sh, a)
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]$", a)
        try:
            if m:
                obj = sh.get_var_obj(m.group(1))
                if isinstance(obj, IArray):
                    k = sh.expander.arith(m.group(2))
                    obj.pop(k + obj.next_index() if k < 0 else k, None)
                elif isinstance(obj, dict):
                    obj.pop(sh.expander.word(m.group(2)), None)
                continue
            if a in sh.state.vars:
                sh.unset_var(a, ref=mode == "n")
            elif a in sh.state.functions:
                status |= funclist.unset_function(sh, a)
        except ExpansionError as e:
            _err(sh, "unset", str(e))
            status = 1
    return status


_SET_LONG = {
    "errexit": "e",
    "nounset": "u",
    "pipefail": "",
    "xtrace": "x",
    "noglob": "f",
    "allexport": "a",
    "noclobber": "C",
    "verbose": "v",
    # accepted and remembered; they change nothing the corral shell does
    "posix": "",
    "emacs": "",
    "vi": "",
    "monitor": "m",
    "hashall": "h",
    "braceexpand": "B",
    "histexpand": "H",
    "history": "",
    "interactive-comments": "",
    "errtrace": "E",
    "functrace": "T",
    "physical": "P",
    "ignoreeof": "",
    "notify": "b",
    "noexec": "n",  # commands after it are read, not run (Shell.exec_seq)
}
_SET_SHORT = {v: k for k, v in _SET_LONG.items() if v}


@special("set")
def b_set(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        for k in sorted(sh.state.vars):
            v = sh.state.vars[k]
            if isinstance(v.value, str):
                _out(sh, f"{k}={_quote(v.value)}\n")
        _out(sh, funclist.all_definitions(sh))
        return 0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            sh.state.positional = args[i + 1 :]
            return 0
        if a in ("-o", "+o"):
            if i + 1 >= len(args):
                for name in sorted(_SET_LONG):
                    on = "on" if name in sh.state.options else "off"
                    _out(sh, f"{name:<15}\t{on}\n")
                return 0
            name = args[i + 1]
            if name not in _SET_LONG:
                _err(sh, "set", f"{name}: invalid option name")
                return 2
            (sh.state.options.add if a == "-o" else sh.state.options.discard)(name)
            i += 2
            continue
        if a[:1] in "-+" and len(a) > 1:
            if "o" in a[1:]:
                if i + 1 >= len(args) or args[i + 1] not in _SET_LONG:
                    _err(
                        sh,
                        "set",
                        f"{args[i + 1] if i + 1 < len(args) else ''}: invalid option name",
                    )
                    return 2
                (sh.state.options.add if a[0] == "-" else sh.state.options.discard)(args[i + 1])
                a = a.replace("o", "")
                args = args[: i + 1] + args[i + 2 :]
            for ch in a[1:]:
                name = _SET_SHORT.get(ch)
                if name is None:
                    _err(sh, "set", f"{a[0]}{ch}: invalid option")
                    return 2
                (sh.state.options.add if a[0] == "-" else sh.state.options.discard)(name)
            i += 1
            continue
        sh.state.positional = args[i:]
        return 0
    return 0


def _quote(s: str) -> str:
    if s and re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


@special("shift")
def b_shift(sh: Shell, argv: list[str]) -> int:
    n = 1
    if len(argv) > 1:
        try:
            n = int(argv[1])
        except ValueError:
            _err(sh, "shift", f"{argv[1]}: numeric argument required")
            return 1
    if n > len(sh.state.positional) or n < 0:
        return 1
    sh.state.positional = sh.state.positional[n:]
    return 0


def _declare_one(sh: Shell, word: str, flags: set[str], local: bool, cmd: str) -> int:
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?)=(.*)$", word, re.S)
    if m:
        name, index, append, raw = m.group(1), m.group(2), bool(m.group(3)), m.group(4)
    else:
        name, index, append, raw = word, None, False, None
        sub = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[[^\]]*\]", word)
        if sub is not None and "A" not in flags:
            # `declare -a b[256]`, `local z[3]`: an indexed array (bash ignores the size)
            name, flags = sub.group(1), flags | {"a"}
        elif sub is not None:
            name = sub.group(1)
    if not _NAME.match(name):
        _err(sh, cmd, f"`{word}': not a valid identifier")
        return 1
    if "n" in flags:  # a name reference: its value is a variable's name
        if raw is not None and (raw == name or not _NAME.match(raw)):
            _err(sh, cmd, f"`{raw}': invalid variable name for name reference")
            return 1
        if local:
            sh.make_local(name)
        old = sh.state.vars.get(name)
        ref = Var(raw if raw is not None else "", old.exported if old else False)
        ref.attrs = "n"
        sh.state.vars[name] = ref
        return 0
    if local:
        try:
            sh.make_local(name)
        except ExpansionError as e:
            _err(sh, cmd, str(e).split(": ", 1)[-1])
            return 1
        if raw is None:
            sh.state.vars.pop(name, None)
    cur_obj = sh.get_var_obj(name)
    if "A" in flags and isinstance(cur_obj, IArray):
        _err(sh, cmd, f"{name}: cannot convert indexed to associative array")
        return 1
    if "a" in flags and isinstance(cur_obj, dict) and not isinstance(cur_obj, IArray):
        _err(sh, cmd, f"{name}: cannot convert associative to indexed array")
        return 1
    if "A" in flags and not isinstance(cur_obj, dict):
        sh.state.vars[name] = Var({} if cur_obj is None else {"0": cur_obj})
    elif "a" in flags and not isinstance(sh.get_var_obj(name), IArray):
        cur = sh.get_var_obj(name)
        sh.state.vars[name] = Var(IArray.of([cur]) if isinstance(cur, str) else IArray())
    if raw is not None and (flags & set("iul")):
        existing = sh.state.vars.get(name)
        if existing is None:
            sh.state.vars[name] = existing = Var("")
        for a in "iul":
            if a in flags and a not in existing.attrs:
                existing.attrs += a
    if raw is not None:
        if raw.startswith("(") and raw.endswith(")") and index is None:
            from . import syntax as A
            from .lexer import split_words

            sh._assign(A.Assign(name, None, None, split_words(raw[1:-1]), append))
        else:
            value = raw  # already expanded by the interpreter
            sh.set_var(name, value, index[1:-1] if index else None, append)
    elif name not in sh.state.vars and not local and "a" not in flags and "A" not in flags:
        sh.state.vars[name] = Var("")
        if "x" not in flags:
            # declared but unset: bash keeps it unset; approximate with removal
            sh.state.vars.pop(name)
    v = sh.state.vars.get(name)
    if v is None and (flags & set("iul")):
        v = sh.state.vars[name] = Var("")  # bash keeps it unset; we keep it empty
    if v is not None:
        if "x" in flags:
            v.exported = True
        if "r" in flags:
            v.readonly = True
        for a in "iul":
            if a in flags and a not in v.attrs:
                v.attrs += a
    elif "x" in flags:
        sh.state.vars[name] = Var("", exported=True)
    return 0


def _declare(sh: Shell, argv: list[str], local: bool) -> int:
    cmd = argv[0]
    flags: set[str] = set()
    unset: set[str] = set()
    words = []
    for a in argv[1:]:
        if a == "--" and not words:
            words = [""]  # marks the end of the options; dropped below
            continue
        if a.startswith(("-", "+")) and len(a) > 1 and not words:
            flags.update(a[1:])
            if a[0] == "+":
                unset.update(a[1:])
            continue
        words.append(a)
    words = words[1:] if words[:1] == [""] else words
    if cmd == "readonly":
        flags.add("r")
    if cmd == "export":
        flags.add("x")
    if flags & {"f", "F"}:
        return funclist.declare_functions(sh, cmd, flags - unset, unset, words)
    if not words:
        for k in sorted(sh.state.vars):
            v = sh.state.vars[k]
            if "x" in flags and not v.exported:
                continue
            if "r" in flags and not v.readonly:
                continue
            _out(sh, _declare_line(k, v))
        if not flags and cmd in ("declare", "typeset"):
            _out(sh, funclist.all_definitions(sh))
        return 0
    if "p" in flags:
        status = 0
        for w in words:
            v = sh.state.vars.get(w)
            if v is None:
                _err(sh, cmd, f"{w}: not found")
                status = 1
            else:
                _out(sh, _declare_line(w, v))
        return status
    status = 0
    for w in words:
        # words arrive raw (unexpanded) from the parser: expand all but the value
        expanded = w
        try:
            status |= _declare_one(sh, expanded, flags, local, cmd)
        except ExpansionError as e:
            _err(sh, cmd, str(e))
            status = 1
    return status


def _quote_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_.@%+,:/-]+", k) else '"' + _dq(k) + '"'


def _declare_line(name: str, v: Var) -> str:
    flags = ""
    if isinstance(v.value, IArray):
        flags += "a"
    elif isinstance(v.value, dict):
        flags += "A"
    # bash's order (variables.c, var_attribute_string): a A i n r t x c l u
    flags += "i" if "i" in v.attrs else ""
    flags += "n" if "n" in v.attrs else ""
    if v.readonly:
        flags += "r"
    if v.exported:
        flags += "x"
    flags += "".join(x for x in "lu" if x in v.attrs)
    flag = f"-{flags}" if flags else "--"
    if isinstance(v.value, IArray):
        body = " ".join(f'[{k}]="{_dq(v.value[k])}"' for k in v.value.indices())
        return f"declare {flag} {name}=({body})\n"
    if isinstance(v.value, dict):
        body = "".join(f'[{_quote_key(k)}]="{_dq(x)}" ' for k, x in v.value.items())
        return f"declare {flag} {name}=({body})\n"
    return f'declare {flag} {name}="{_dq(v.value)}"\n'


@special("local")
def b_local(sh: Shell, argv: list[str]) -> int:
    return _declare(sh, argv, local=True)


@special("declare", "typeset", "readonly")
def b_declare(sh: Shell, argv: list[str]) -> int:
    return _declare(sh, argv, local=bool(sh._locals) and "-g" not in argv)


@special("return")
def b_return(sh: Shell, argv: list[str]) -> int:
    status = sh.state.last_status
    if len(argv) > 1:
        try:
            status = int(argv[1]) & 0xFF
        except ValueError:
            _err(sh, "return", f"{argv[1]}: numeric argument required")
            status = 2
    if not sh._locals and not sh.__dict__.get("_sourcing"):
        _err(sh, "return", "can only `return' from a function or sourced script")
        return 2
    raise ReturnFn(status)


@special("exit")
def b_exit(sh: Shell, argv: list[str]) -> int:
    status = sh.state.last_status
    if len(argv) > 1:
        try:
            status = int(argv[1]) & 0xFF
        except ValueError:
            _err(sh, "exit", f"{argv[1]}: numeric argument required")
            status = 2
    raise ExitShell(status)


def _loop_n(sh: Shell, argv: list[str], name: str) -> int:
    n = 1
    if len(argv) > 1:
        try:
            n = int(argv[1])
        except ValueError:
            _err(sh, name, f"{argv[1]}: numeric argument required")
            return 1
        if n < 1:
            _err(sh, name, f"{argv[1]}: loop count out of range")
            return 1
    return n


def _outside_loop(sh: Shell, name: str) -> bool:
    if sh.loop_depth > 0:
        return False
    _err(sh, name, "only meaningful in a `for', `while', or `until' loop")
    return True


@special("break")
def b_break(sh: Shell, argv: list[str]) -> int:
    n = _loop_n(sh, argv, "break")
    if _outside_loop(sh, "break"):
        return 0
    raise BreakLoop(min(n, sh.loop_depth))


@special("continue")
def b_continue(sh: Shell, argv: list[str]) -> int:
    n = _loop_n(sh, argv, "continue")
    if _outside_loop(sh, "continue"):
        return 0
    raise ContinueLoop(min(n, sh.loop_depth))


@special("source", ".")
def b_source(sh: Shell, argv: list[str]) -> int:
    if len(argv) < 2:
        _err(sh, argv[0], "filename argument required")
        return 2
    try:
        named = procsub.open_name(sh.fd_names, argv[1])
        if named is not None:  # source <(cmd)
            with os.fdopen(named, "rb") as f:
                text = f.read(max_string(sh.ws.budget)).decode("utf-8", "surrogateescape")
        else:
            host = sh.ws.resolve(argv[1], sh.state.cwd)
            text = host.read_text("utf-8", "surrogateescape")
    except PathEscape:
        _err(sh, argv[0], f"{argv[1]}: Permission denied (outside /workspace)")
        return 1
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        _err(sh, argv[0], f"{argv[1]}: No such file or directory")
        return 1
    if sh.depth >= 100:
        _err(sh, argv[0], "maximum source nesting level exceeded")
        return 1
    saved = sh.state.positional
    if len(argv) > 2:
        sh.state.positional = argv[2:]
    sh.depth += 1
    was = sh.__dict__.get("_sourcing", False)
    sh.__dict__["_sourcing"] = True
    try:
        return sh.exec_seq(parse(text))
    except ReturnFn as e:
        return e.status
    except ShellSyntaxError as e:
        sh.write_err(f"corral: {argv[1]}: line {e.line}: {e}\n")
        return 2
    finally:
        sh.depth -= 1
        sh.__dict__["_sourcing"] = was
        if len(argv) > 2:
            sh.state.positional = saved


@special("eval")
def b_eval(sh: Shell, argv: list[str]) -> int:
    text = " ".join(argv[1:])
    if not text.strip():
        return 0
    return sh.eval_text(text)


@special("alias")
def b_alias(sh: Shell, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "-p"]
    if not args:
        for k in sorted(sh.state.aliases):
            _out(sh, f"alias {k}={_quote_alias(sh.state.aliases[k])}\n")
        return 0
    status = 0
    for a in args:
        if "=" in a:
            name, _, value = a.partition("=")
            sh.state.aliases[name] = value
        elif a in sh.state.aliases:
            _out(sh, f"alias {a}={_quote_alias(sh.state.aliases[a])}\n")
        else:
            _err(sh, "alias", f"{a}: not found")
            status = 1
    return status


def _quote_alias(v: str) -> str:
    return "'" + v.replace("'", "'\\''") + "'"


@special("unalias")
def b_unalias(sh: Shell, argv: list[str]) -> int:
    if "-a" in argv:
        sh.state.aliases.clear()
        return 0
    status = 0
    for a in argv[1:]:
        if sh.state.aliases.pop(a, None) is None:
            _err(sh, "unalias", f"{a}: not found")
            status = 1
    return status


@special("read")
def b_read(sh: Shell, argv: list[str]) -> int:
    raw = False
    delim = "\n"
    array = None
    nchars = None
    exact = False  # -N: exactly that many, the delimiter included
    prompt = None
    fd = 0
    names: list[str] = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and len(a) > 1 and not names:
            opts = a[1:]
            k = 0
            while k < len(opts):
                ch = opts[k]
                if ch == "r":
                    raw = True
                elif ch == "s":
                    pass
                elif ch in "dapnNtu":
                    val = opts[k + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    if not opts[k + 1 :]:
                        i += 1
                    if ch == "d":
                        delim = val[:1] if val else "\x00"
                    elif ch == "a":
                        array = val
                    elif ch == "p":
                        prompt = val
                    elif ch in "nN":
                        if not val.isdigit():
                            _err(sh, "read", f"{val}: invalid number")
                            return 1
                        nchars = int(val)
                        exact = ch == "N"
                    elif ch == "u":
                        if not val.isdigit() or int(val) not in sh.io:
                            _err(sh, "read", f"{val}: invalid file descriptor: Bad file descriptor")
                            return 1
                        fd = int(val)
                    break
                else:
                    _err(sh, "read", f"-{ch}: invalid option")
                    return 2
                k += 1
            i += 1
            continue
        names.append(a)
        i += 1
    del prompt
    stream = sh.io.get(fd) or io.BytesIO()
    data = bytearray()
    eof = False
    dbyte = delim.encode()
    limit = max_string(sh.ws.budget)
    got = 0  # characters kept (an escaped one is marked by more bytes in ``data``)
    while True:
        if nchars is not None and got >= nchars:
            break
        if not len(data) & 0xFFFF and data:
            sh.check()
            if len(data) > limit:
                _err(sh, "read", too_large("line", len(data), limit))
                return 1
        ch = stream.read(1)
        if not ch:
            eof = True
            break
        if ch == dbyte and not exact:
            break
        if not raw and ch == b"\\":
            nxt = stream.read(1)
            if nxt == b"\n":
                continue
            if nxt:
                data += b"\x00ESC" + nxt
                got += 1
            continue
        data += ch
        got += 1
    text = data.decode("utf-8", "surrogateescape")
    ifs = sh.get_var("IFS")
    if ifs is None:
        ifs = " \t\n"
    if array is not None:
        fields = _ifs_split(text, ifs, None)
        sh.set_array(array, [f.replace("\x00ESC", "") for f in fields])
        return 1 if eof and not data else 0
    if not names:
        names = ["REPLY"]
        sh.set_var("REPLY", text.replace("\x00ESC", ""))
        return 1 if eof and not data else 0
    # -N: the text whole in the first name, neither split nor trimmed
    fields = [text] if exact else _ifs_split(text, ifs, len(names))
    for k, name in enumerate(names):
        value = fields[k] if k < len(fields) else ""
        sh.set_var(name, value.replace("\x00ESC", ""))
    return 1 if eof and (not data or nchars is None) and not (nchars and data) else 0


def _ifs_split(text: str, ifs: str, maxn: int | None) -> list[str]:
    ws = "".join(c for c in ifs if c in " \t\n")
    text = text.strip(ws) if ws else text
    if not ifs:
        return [text]
    fields: list[str] = []
    i = 0
    n = len(text)
    cur: list[str] = []
    while i < n:
        if maxn is not None and len(fields) == maxn - 1:
            rest = text[i:]
            # trailing IFS whitespace is stripped from the last field
            fields.append("".join(cur) + rest.rstrip(ws) if ws else "".join(cur) + rest)
            return fields
        c = text[i]
        if c == "\x00" and text.startswith("\x00ESC", i):
            cur.append(text[i : i + 5])
            i += 5
            continue
        if c in ifs:
            fields.append("".join(cur))
            cur = []
            j = i + 1
            while j < n and text[j] in ws:
                j += 1
            if c in ws and j < n and text[j] in ifs and text[j] not in ws:
                j += 1
                while j < n and text[j] in ws:
                    j += 1
            i = j
            continue
        cur.append(c)
        i += 1
    if cur or (fields and text and text[-1] in ifs and text[-1] not in ws):
        fields.append("".join(cur))
    return fields


_PSEUDO_SIGNALS = ("DEBUG", "ERR", "RETURN")


def _trap_key(spec: str) -> str | None:
    """The trap table's key for a signal spec (``EXIT``, ``INT``, ``ERR``), or None."""
    up = spec.upper()
    if up in ("0", "EXIT", "SIGEXIT"):
        return "EXIT"
    if up in _PSEUDO_SIGNALS:
        return up
    n = _sig_number(spec)
    if n is None or n == 0:
        return None
    return _sig_name(n)


def _trap_order(key: str) -> tuple[int, int]:
    if key == "EXIT":
        return (0, 0)
    if key in _PSEUDO_SIGNALS:
        return (2, _PSEUDO_SIGNALS.index(key))
    return (1, _sig_number(key) or 99)


def _signal_table() -> str:
    """``kill -l`` and ``trap -l``: every signal by number, five to a line."""
    cells = [f"{n:2d}) SIG{_sig_name(n)}" for n in range(1, 65) if _sig_name(n)]
    text = "".join(c + ("\n" if i % 5 == 4 else "\t") for i, c in enumerate(cells))
    return text if text.endswith("\n") else text + "\n"


@special("trap")
def b_trap(sh: Shell, argv: list[str]) -> int:
    """bash's ``trap``: ``trap [-p] [SIG…]`` lists (EXIT first, then by signal number,
    then DEBUG ERR RETURN), ``trap [--] ACTION SIG…`` sets (``-`` or a lone signal
    resets, ``''`` ignores)."""
    args = argv[1:]
    show = False
    if args and args[0] == "-l":  # bash's `kill -l` table
        _out(sh, _signal_table())
        return 0
    if args and args[0] == "-p":
        show, args = True, args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if show or not args:
        status = 0
        traps = sh.state.traps if sh.listed_traps is None else sh.listed_traps
        keys = sorted(traps, key=_trap_order)
        if args:
            keys = []
            for a in args:
                k = _trap_key(a)
                if k is None:
                    _err(sh, "trap", f"{a}: invalid signal specification")
                    status = 1
                elif k in traps:
                    keys.append(k)
        for k in keys:
            label = k if k == "EXIT" or k in _PSEUDO_SIGNALS else "SIG" + k
            _out(sh, f"trap -- {_quote_alias(traps[k])} {label}\n")
        return status
    sh.listed_traps = None
    action, sigs = args[0], args[1:]
    if not sigs or (action.isdigit() and _trap_key(action) is not None):
        sigs, action = args, "-"  # `trap SIG…` resets
    status = 0
    for sig in sigs:
        key = _trap_key(sig)
        if key is None:
            _err(sh, "trap", f"{sig}: invalid signal specification")
            status = 1
        elif action == "-":
            sh.state.traps.pop(key, None)
        else:
            sh.state.traps[key] = action
            if key == "ERR":  # functions called from here on do not run it (without set -E)
                sh.err_trap_level = len(sh._locals)
            elif key == "DEBUG":  # nor this one (without set -T)
                sh.debug_trap_level = len(sh._locals)
    return status


@special("test", "[")
def b_test(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            _err(sh, "[", "missing `]'")
            return 2
        args = args[:-1]
    try:
        return 0 if test_builtin(args, sh.resolve_or_none, sh.is_set) else 1
    except CondError as e:
        _err(sh, argv[0], str(e))
        return 2


@special("let")
def b_let(sh: Shell, argv: list[str]) -> int:
    if len(argv) < 2:
        _err(sh, "let", "expression expected")
        return 1
    v = 0
    for expr in argv[1:]:
        try:
            v = sh.expander.arith(expr)
        except ExpansionError as e:
            _err(sh, "let", str(e))
            return 1
    return 0 if v != 0 else 1


#: bash 5.2's shopt options in the order it lists them, and their defaults in `bash -c`
#: (expand_aliases: corral expands aliases in a command string, as an interactive
#: shell does)
_SHOPTS = {
    "autocd": False, "assoc_expand_once": False, "cdable_vars": False, "cdspell": False,
    "checkhash": False, "checkjobs": False, "checkwinsize": True, "cmdhist": True,
    "compat31": False, "compat32": False, "compat40": False, "compat41": False,
    "compat42": False, "compat43": False, "compat44": False, "complete_fullquote": True,
    "direxpand": False, "dirspell": False, "dotglob": False, "execfail": False,
    "expand_aliases": True, "extdebug": False, "extglob": False, "extquote": True,
    "failglob": False, "force_fignore": True, "globasciiranges": True, "globskipdots": True,
    "globstar": False, "gnu_errfmt": False, "histappend": False, "histreedit": False,
    "histverify": False, "hostcomplete": True, "huponexit": False, "inherit_errexit": False,
    "interactive_comments": True, "lastpipe": False, "lithist": False,
    "localvar_inherit": False, "localvar_unset": False, "login_shell": False,
    "mailwarn": False, "no_empty_cmd_completion": False, "nocaseglob": False,
    "nocasematch": False, "noexpand_translation": False, "nullglob": False,
    "patsub_replacement": True, "progcomp": True, "progcomp_alias": False,
    "promptvars": True, "restricted_shell": False, "shift_verbose": False,
    "sourcepath": True, "varredir_close": False, "xpg_echo": False,
}  # fmt: skip


def shopt_on(sh: Shell, name: str) -> bool:
    """Whether shopt option ``name`` is on (its default unless set or unset)."""
    key = "shopt:" + name
    return key in sh.state.options or (
        _SHOPTS[name] and ("shopt-off:" + name) not in sh.state.options
    )


@special("shopt")
def b_shopt(sh: Shell, argv: list[str]) -> int:
    """``shopt [-pqsuo] [NAME…]``: set, unset, query or print (``-p``: as commands that
    restore them) shell options; ``-o``: the ``set -o`` ones."""
    args = argv[1:]
    mode = None
    quiet = reusable = set_o = False
    names = []
    for k, a in enumerate(args):
        if a == "--":
            names.extend(args[k + 1 :])
            break
        if a[:1] == "-" and len(a) > 1 and not names:
            for c in a[1:]:
                if c in "su":
                    mode = "-" + c
                elif c == "q":
                    quiet = True
                elif c == "p":
                    reusable = True
                elif c == "o":
                    set_o = True
                else:
                    _err(sh, "shopt", f"-{c}: invalid option")
                    sh.write_err("shopt: usage: shopt [-pqsu] [-o] [optname ...]\n")
                    return 2
        else:
            names.append(a)
    table: dict[str, bool] = dict.fromkeys(_SET_LONG, False) if set_o else _SHOPTS

    def is_on(n: str) -> bool:
        return n in sh.state.options if set_o else shopt_on(sh, n)

    def show(n: str) -> None:
        on = is_on(n)
        if reusable:
            line = (f"set {'-' if on else '+'}o {n}" if set_o
                    else f"shopt {'-s' if on else '-u'} {n}")  # fmt: skip
            _out(sh, line + "\n")
        else:
            _out(sh, f"{n:<15}\t{'on' if on else 'off'}\n")

    status = 0
    if not names:
        order = sorted(table) if set_o else list(table)  # shopt: bash's own order
        if mode is None:
            for n in order:
                show(n)
        elif not quiet:  # `shopt -s`: the options that are on (-u: off)
            for n in order:
                if is_on(n) == (mode == "-s"):
                    show(n)
        return 0
    for n in names:
        if n not in table:
            what = "invalid option name" if set_o else "invalid shell option name"
            _err(sh, "shopt", f"{n}: {what}")
            status = 1
            continue
        if mode is None:
            if not is_on(n):
                status = 1
            if not quiet:
                show(n)
            continue
        if set_o:
            (sh.state.options.add if mode == "-s" else sh.state.options.discard)(n)
            continue
        key = "shopt:" + n
        if mode == "-s":
            sh.state.options.add(key)
            sh.state.options.discard("shopt-off:" + n)
        else:
            sh.state.options.discard(key)
            if _SHOPTS[n]:
                sh.state.options.add("shopt-off:" + n)
    return status


@special("ulimit", "disown")
def b_noop(sh: Shell, argv: list[str]) -> int:
    return 0


@special("hash")
def b_hash(sh: Shell, argv: list[str]) -> int:
    """``hash [-r] [-t] [-d] [NAME…]``: remember where commands are (``hash NAME`` fails
    for a command that is nowhere: the idiom that tests for one); without names, list
    them (``hits`` stay 0: corral runs its built-ins, there is no path search to save)."""
    from .command import REGISTRY

    args = argv[1:]
    opts: set[str] = set()
    while args and args[0][:1] == "-" and len(args[0]) > 1:
        if args[0] == "--":
            args = args[1:]
            break
        opts.update(args[0][1:])
        args = args[1:]
    table: dict[str, str] = sh.__dict__.setdefault("hashed", {})
    if "r" in opts:
        table.clear()
    status = 0
    for name in args:
        if "t" in opts:
            if name in table:
                _out(sh, (f"{name}\t" if len(args) > 1 else "") + table[name] + "\n")
            else:
                _err(sh, "hash", f"{name}: not found")
                status = 1
        elif "d" in opts:
            if table.pop(name, None) is None:
                _err(sh, "hash", f"{name}: not found")
                status = 1
        elif name in SPECIAL or name in _BASH_BUILTINS or name in sh.state.functions:
            continue  # bash hashes only programs found on PATH
        elif "/" in name or name in REGISTRY or name in BRIDGES:
            table[name] = name if "/" in name else f"/usr/bin/{name}"
        else:
            _err(sh, "hash", f"{name}: not found")
            status = 1
    if not args and "r" not in opts:
        if not table:
            _err(sh, "hash", "hash table empty")
        else:
            _out(sh, "hits\tcommand\n")
            for path in table.values():
                _out(sh, f"   0\t{path}\n")
    return status


def _umask_symbolic(mask: int) -> str:
    allowed = ~mask & 0o777
    parts = []
    for who, shift in (("u", 6), ("g", 3), ("o", 0)):
        bits = (allowed >> shift) & 7
        parts.append(who + "=" + "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if bits & b))
    return ",".join(parts)


@special("umask")
def b_umask(sh: Shell, argv: list[str]) -> int:
    """``umask [-p] [-S] [MODE]``: the mask shown (``0022``, ``u=rwx,g=rx,o=rx`` with
    ``-S``, ``umask 0022`` with ``-p``) or set from octal or chmod-style symbols."""
    from .builtins.files import _apply_mode, _parse_mode

    args = argv[1:]
    symbolic = posix = False
    while args and args[0].startswith("-") and len(args[0]) > 1 and args[0] != "--":
        for c in args[0][1:]:
            if c == "S":
                symbolic = True
            elif c == "p":
                posix = True
            else:
                _err(sh, "umask", f"-{c}: invalid option")
                sh.write_err("umask: usage: umask [-p] [-S] [mode]\n")
                return 2
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        shown = _umask_symbolic(sh.state.umask) if symbolic else f"{sh.state.umask:04o}"
        _out(sh, ("umask -S " if symbolic else "umask ") + shown + "\n" if posix else shown + "\n")
        return 0
    spec = args[0]
    if spec.isdigit():
        if any(c not in "01234567" for c in spec):
            _err(sh, "umask", f"{spec}: octal number out of range")
            return 1
        sh.state.umask = int(spec, 8) & 0o777
    else:
        changes = _parse_mode(spec)
        if not isinstance(changes, list):
            _err(sh, "umask", f"`{spec[-1:]}': invalid symbolic mode operator")
            return 1
        allowed, _ = _apply_mode(changes, ~sh.state.umask & 0o777, False, umask=0)
        sh.state.umask = ~allowed & 0o777
    if symbolic:
        _out(sh, _umask_symbolic(sh.state.umask) + "\n")
    return 0


@special("wait")
def b_wait(sh: Shell, argv: list[str]) -> int:
    ids = []
    status = 0
    any_one = False  # -n: the next job to end
    pid_var = None  # -p VAR: its $! there
    args = argv[1:]
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0)
        if a == "--":
            break
        if a == "-p" or a.startswith("-p") or a.startswith("-np"):
            if a in ("-p", "-np"):
                if not args:
                    _err(sh, "wait", "-p: option requires an argument")
                    return 2
                pid_var = args.pop(0)
            else:
                pid_var = a[a.index("p") + 1 :]
            any_one = any_one or "n" in a[1 : a.index("p")]
            continue
        if a.strip("-nf") or not a[1:]:
            _err(sh, "wait", f"{a}: invalid option")
            sh.write_err("wait: usage: wait [-fn] [-p var] [id ...]\n")
            return 2
        any_one = any_one or "n" in a
    for a in args:
        jid = _job_id(sh, a)
        if jid is None:
            if a.startswith("%"):
                _err(sh, "wait", f"{a}: no such job")
            elif not a.isdigit():
                _err(sh, "wait", f"`{a}': not a pid or valid job spec")
            else:
                _err(sh, "wait", f"pid {a} is not a child of this shell")
            status = 127
            continue
        ids.append(jid)
    if args and not ids:
        return status
    if any_one:
        got = sh.wait_any(ids or None)
        if got is None:
            return 127
        if pid_var is not None:
            sh.set_var(pid_var, str(got[1].pid))
        return got[0]
    if not ids:
        sh.wait_jobs(None)
        return 0  # bash: waiting for all of them returns 0
    return sh.wait_jobs(ids)


@special("type")
def b_type(sh: Shell, argv: list[str]) -> int:
    return _describe(sh, argv[1:], verbose=True)


_KEYWORD_NAMES = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case"}
    | {"esac", "function", "in", "{", "}", "!", "[[", "]]", "time", "coproc", "select"}
)


def _kinds(sh: Shell, name: str) -> list[str]:
    """Everything ``name`` is, in bash's lookup order: alias, keyword, function,
    builtin, file (``type -a`` lists them all, the others only the first)."""
    from .command import REGISTRY

    kinds = []
    if name in sh.state.aliases:
        kinds.append("alias")
    if name in _KEYWORD_NAMES:
        kinds.append("keyword")
    if name in sh.state.functions:
        kinds.append("function")
    if name in SPECIAL or name in _BASH_BUILTINS:
        kinds.append("builtin")
    if name in REGISTRY or name in BRIDGES:
        kinds.append("file")
    return kinds


def _kind(sh: Shell, name: str) -> str | None:
    kinds = _kinds(sh, name)
    return kinds[0] if kinds else None


_BASH_BUILTINS = {"echo", "printf", "kill", "true", "false", "pwd", "test", "[", "read"}


def _describe(sh: Shell, names: list[str], verbose: bool) -> int:
    """``type [-afptP] NAME...`` (verbose) and ``command -v/-V NAME...``."""
    opts: set[str] = set()
    while names and names[0].startswith("-") and len(names[0]) > 1:
        if names[0] == "--":
            names = names[1:]
            break
        opts.update(names[0][1:])
        names = names[1:]
    status = 0
    for name in names:
        kinds = _kinds(sh, name)
        if "f" in opts:
            kinds = [k for k in kinds if k != "function"]
        if "P" in opts:
            kinds = [k for k in kinds if k == "file"]
        if "a" not in opts:
            kinds = kinds[:1]
        if not kinds:
            if verbose and not opts & {"t", "p", "P"}:
                _err(sh, "type", f"{name}: not found")
            status = 1
            continue
        for kind in kinds:
            if "t" in opts:
                _out(sh, kind + "\n")
            elif opts & {"p", "P"}:
                if kind == "file":
                    _out(sh, f"/usr/bin/{name}\n")
            elif not verbose:
                shown = name if kind != "alias" else f"alias {name}='{sh.state.aliases[name]}'"
                _out(sh, (f"/usr/bin/{name}" if kind == "file" else shown) + "\n")
            elif kind == "alias":
                _out(sh, f"{name} is aliased to `{sh.state.aliases[name]}'\n")
            elif kind == "function":
                _out(sh, funclist.describe(sh, name))
            elif kind == "file":
                _out(sh, f"{name} is /usr/bin/{name}\n")
            else:
                _out(sh, f"{name} is a shell {kind}\n")
    return status


@special("command")
def b_command(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if args and args[0] in ("-v", "-V"):
        return _describe(sh, args[1:], verbose=args[0] == "-V")
    if args and args[0] == "-p":
        args = args[1:]
    if not args:
        return 0
    if args[0] in SPECIAL:
        return SPECIAL[args[0]](sh, args)
    # a built-in or a program, never a function: an unknown name is 127 (not found)
    return sh.run_builtin(args, {})


@special("builtin")
def b_builtin(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        return 0
    if args[0] in SPECIAL:
        return SPECIAL[args[0]](sh, args)
    if args[0] not in _BASH_BUILTINS:
        _err(sh, "builtin", f"{args[0]}: not a shell builtin")
        return 1
    return sh.run_builtin(args, {})


_SIGNALS = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
]  # fmt: skip
_SIG_NAMES = {n: i for i, n in enumerate(_SIGNALS, 1)} | {"IOT": 6, "POLL": 29, "CLD": 17}


def _sig_name(n: int) -> str | None:
    if 1 <= n <= 31:
        return _SIGNALS[n - 1]
    if n == 34:
        return "RTMIN"
    if 35 <= n <= 49:
        return f"RTMIN+{n - 34}"
    if 50 <= n <= 63:
        return f"RTMAX-{64 - n}"
    return "RTMAX" if n == 64 else None


def _sig_number(spec: str) -> int | None:
    if spec.isdigit():
        n = int(spec)
        return n if n == 0 or _sig_name(n) else None
    name = spec.upper().removeprefix("SIG")
    if name in _SIG_NAMES:
        return _SIG_NAMES[name]
    for n in range(34, 65):
        if _sig_name(n) == name:
            return n
    return None


def _job_id(sh: Shell, spec: str) -> int | None:
    """``%N``, ``%%``/``%+``, ``%-``, ``%name`` or a job's ``$!``: its job id."""
    live = sorted(sh.jobs)
    if spec.startswith("%"):
        ref = spec[1:]
        if ref in ("", "%", "+"):
            return live[-1] if live else None
        if ref == "-":
            return live[-2] if len(live) > 1 else (live[-1] if live else None)
        if ref.isdigit():
            return int(ref) if int(ref) in sh.jobs else None
        hits = [j for j in live if sh.jobs[j].text.startswith(ref.lstrip("?"))]
        return hits[-1] if hits else None
    if spec.isdigit():
        hits = [j for j in live if str(sh.jobs[j].pid) == spec]
        return hits[0] if hits else None
    return None


@special("kill")
def b_kill(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    usage = ("kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... "
             "or kill -l [sigspec]")  # fmt: skip
    if not args:
        _err(sh, "kill", usage[6:])
        return 2
    sig = 15
    if args[0] in ("-l", "-L"):
        if len(args) == 1:
            _out(sh, _signal_table())
            return 0
        status = 0
        for a in args[1:]:
            if a.isdigit():
                n = int(a)
                name = _sig_name(n - 128 if n > 128 else n)
                if name is None:
                    _err(sh, "kill", f"{a}: invalid signal specification")
                    status = 1
                else:
                    _out(sh, name + "\n")
            else:
                num = _sig_number(a)
                if num is None:
                    _err(sh, "kill", f"{a}: invalid signal specification")
                    status = 1
                else:
                    _out(sh, f"{num}\n")
        return status
    if args[0] in ("-s", "-n"):
        if len(args) < 2:
            _err(sh, "kill", f"{args[0]}: option requires an argument")
            return 2
        num = _sig_number(args[1])
        if num is None:
            _err(sh, "kill", f"{args[1]}: invalid signal specification")
            return 1
        sig, args = num, args[2:]
    elif args[0].startswith("-") and args[0] != "-" and args[0] != "--":
        num = _sig_number(args[0][1:])
        if num is None:
            _err(sh, "kill", f"{args[0][1:]}: invalid signal specification")
            return 1
        sig, args = num, args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        _err(sh, "kill", usage[6:])
        return 2
    status = 0
    for a in args:
        jid = _job_id(sh, a)
        if jid is not None and sh.kill_job(jid, sig):
            continue
        if a.startswith("%"):
            _err(sh, "kill", f"{a}: no such job")
            status = 1
        elif a == sh.get_special("$"):
            # (in a subshell `$$` is the parent's, whose traps this copy does not hold)
            trapped = _sig_name(sig) if sig not in (0, 9, 19) and not sh.subshell_level else None
            if trapped is not None and trapped in sh.state.traps:
                # a trapped signal runs its action (an ignored one: nothing), as bash
                # does when the command that sent it has finished
                sh._run_trap(trapped, 0)
            elif sig not in (0, 17, 18, 23, 28):  # the shell itself: it ends
                raise ExitShell(128 + sig)
        elif a.lstrip("-").isdigit():
            _err(sh, "kill", f"({a}) - No such process")
            status = 1
        else:
            _err(sh, "kill", f"{a}: arguments must be process or job IDs")
            status = 1
    return status


@special("jobs")
def b_jobs(sh: Shell, argv: list[str]) -> int:
    opts = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    names = [a for a in argv[1:] if not a.startswith("-")]
    ids = sorted(sh.jobs)
    if names:
        picked = []
        for n in names:
            jid = _job_id(sh, n if n.startswith("%") else "%" + n)
            if jid is None:
                _err(sh, "jobs", f"{n}: no such job")
                return 1
            picked.append(jid)
        ids = picked
    live = sorted(sh.jobs)
    current = live[-1] if live else None
    previous = live[-2] if len(live) > 1 else None
    for jid in ids:
        job = sh.jobs[jid]
        running = job.thread.is_alive()
        if not running:
            job.reported = True  # a shell without job control does not list finished jobs
            continue
        if ("r" in opts and not running) or "s" in opts:
            continue
        if "p" in opts:
            _out(sh, f"{job.pid}\n")
            continue
        state, text = "Running", job.text + " &"
        mark = "+" if jid == current else "-" if jid == previous else " "
        pid = f" {job.pid} " if "l" in opts else "  "
        _out(sh, f"[{jid}]{mark}{pid}{state:<24}{text}\n")
    for jid in [j for j in ids if sh.jobs[j].reported]:
        del sh.jobs[jid]
    return 0


@special("time")
def b_time(sh: Shell, argv: list[str]) -> int:
    """The ``time`` keyword: run the command, then real/user/sys on standard error."""
    args = argv[1:]
    posix = False
    while args and args[0] in ("-p", "--"):
        posix = posix or args[0] == "-p"
        args = args[1:]
    t0 = time.monotonic()
    c0 = os.times()
    try:
        status = sh.run_command(args) if args else 0
    finally:
        real = time.monotonic() - t0
        c1 = os.times()
        user = c1.user - c0.user + c1.children_user - c0.children_user
        sys_ = c1.system - c0.system + c1.children_system - c0.children_system
        if posix:
            text = f"real {real:.2f}\nuser {user:.2f}\nsys {sys_:.2f}\n"
        else:
            text = "\n" + "".join(
                f"{k}\t{int(v // 60)}m{v % 60:.3f}s\n"
                for k, v in (("real", real), ("user", user), ("sys", sys_))
            )
        with contextlib.suppress(OSError, ValueError):
            sh.io[2].write(text.encode())
    return status


@special("which")
def b_which(sh: Shell, argv: list[str]) -> int:
    status = 0
    for name in argv[1:]:
        if name.startswith("-"):
            continue
        kind = _kind(sh, name)
        if kind in ("file", "builtin"):
            _out(sh, f"/usr/bin/{name}\n")
        else:
            status = 1
    return status


@special("env")
def b_env(sh: Shell, argv: list[str]) -> int:
    args = argv[1:]
    env_over: dict[str, str] = {}
    clear = False
    unset: list[str] = []
    while args:
        a = args[0]
        if a in ("-i", "-", "--ignore-environment"):
            clear = True
            args = args[1:]
        elif a == "-u" and len(args) > 1:
            unset.append(args[1])
            args = args[2:]
        elif "=" in a and _NAME.match(a.split("=", 1)[0]):
            k, _, v = a.partition("=")
            env_over[k] = v
            args = args[1:]
        elif a == "--":
            args = args[1:]
            break
        else:
            break
    if not args:
        env = {} if clear else sh.env()
        for k in unset:
            env.pop(k, None)
        env.update(env_over)
        for k, v in env.items():
            _out(sh, f"{k}={v}\n")
        return 0
    sub = sh.fork()
    if clear:
        for v in sub.state.vars.values():
            v.exported = False
    for k in unset:
        sub.state.vars.pop(k, None)
    for k, v in env_over.items():
        sub.state.vars[k] = Var(v, True)
    if args[0] in sh.state.functions:
        return sub.run_builtin(args, {})
    try:
        return sub.run_command(args)
    except ExitShell as e:
        return e.status


@special("exec")
def b_exec(sh: Shell, argv: list[str]) -> int:
    if len(argv) == 1:
        return 0  # redirections were applied by the caller for this command only
    status = sh.run_command(argv[1:])
    sh.state.traps.pop("EXIT", None)  # the shell was replaced: its EXIT trap never runs
    raise ExitShell(status)


@special("printf")
def b_printf(sh: Shell, argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "-v":
        var = argv[2]
        buf = CappedBuffer(max_string(sh.ws.budget), "-v")
        saved = sh.io.get(1)
        sh.io[1] = buf
        try:
            status = sh.run_builtin(["printf", *argv[3:]], {})
        finally:
            if saved is not None:
                sh.io[1] = saved
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(.*)\])?$", var)
        if not m:
            _err(sh, "printf", f"`{var}': not a valid identifier")
            return 2
        if buf.overflowed:  # bash leaves the variable alone when printf fails
            return status or 1
        sh.set_var(m.group(1), buf.getvalue().decode("utf-8", "surrogateescape"), m.group(2))
        return status
    return sh.run_builtin(argv, {})


@special("getopts")
def b_getopts(sh: Shell, argv: list[str]) -> int:
    if len(argv) < 3:
        _err(sh, "getopts", "usage: getopts optstring name [arg ...]")
        return 2
    optstring, name = argv[1], argv[2]
    args = argv[3:] if len(argv) > 3 else list(sh.state.positional)
    silent = optstring.startswith(":")
    optind = int(sh.get_var("OPTIND") or "1")
    sub = int(sh.__dict__.get("_getopts_sub", 0))
    # bash unsets OPTARG on every call that does not set it (an option without an
    # argument, the end of the options, an error reported on stderr)
    sh.unset_var("OPTARG")
    if optind > len(args):
        sh.set_var(name, "?")
        return 1
    cur = args[optind - 1]
    if sub == 0:
        if cur == "--":
            sh.set_var("OPTIND", str(optind + 1))
            sh.set_var(name, "?")
            return 1
        if not cur.startswith("-") or cur == "-":
            sh.set_var(name, "?")
            return 1
        sub = 1
    ch = cur[sub]
    sub += 1
    idx = optstring.find(ch)
    if idx < 0 or ch == ":":
        if not silent:
            _err(sh, "getopts", f"illegal option -- {ch}")
        sh.set_var(name, "?")
        if silent:
            sh.set_var("OPTARG", ch)
    elif idx + 1 < len(optstring) and optstring[idx + 1] == ":":
        if sub < len(cur):
            sh.set_var("OPTARG", cur[sub:])
            sub = len(cur)
        elif optind < len(args):
            sh.set_var("OPTARG", args[optind])
            optind += 1
        else:
            sh.set_var(name, ":" if silent else "?")
            if silent:
                sh.set_var("OPTARG", ch)
            else:
                _err(sh, "getopts", f"option requires an argument -- {ch}")
            sh.set_var("OPTIND", str(optind + 1))
            sh.__dict__["_getopts_sub"] = 0
            return 0
        sh.set_var(name, ch)
    else:
        sh.set_var(name, ch)
    if sub >= len(cur):
        optind += 1
        sub = 0
    sh.set_var("OPTIND", str(optind))
    sh.__dict__["_getopts_sub"] = sub
    return 0


def _dirstack(sh: Shell) -> list[str]:
    stack = sh.get_array("DIRSTACK_CORRAL")
    return stack or []


@special("pushd")
def b_pushd(sh: Shell, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "-n"]
    stack = _dirstack(sh)
    old = sh.state.cwd
    if not args:
        if not stack:
            _err(sh, "pushd", "no other directory")
            return 1
        target = stack[0]
        stack = [old, *stack[1:]]
    else:
        target = args[0]
        stack = [old, *stack]
    status = b_cd(sh, ["cd", target])
    if status:
        return status
    sh.set_array("DIRSTACK_CORRAL", stack)
    _out(sh, " ".join([sh.state.cwd, *stack]) + "\n")
    return 0


@special("popd")
def b_popd(sh: Shell, argv: list[str]) -> int:
    stack = _dirstack(sh)
    if not stack:
        _err(sh, "popd", "directory stack empty")
        return 1
    status = b_cd(sh, ["cd", stack[0]])
    if status:
        return status
    sh.set_array("DIRSTACK_CORRAL", stack[1:])
    _out(sh, " ".join([sh.state.cwd, *stack[1:]]) + "\n")
    return 0


@special("dirs")
def b_dirs(sh: Shell, argv: list[str]) -> int:
    _out(sh, " ".join([sh.state.cwd, *_dirstack(sh)]) + "\n")
    return 0


@special("mapfile", "readarray")
def b_mapfile(sh: Shell, argv: list[str]) -> int:
    strip = False
    delim = "\n"
    count = 0
    skip = 0
    args = argv[1:]
    name = "MAPFILE"
    origin: int | None = None  # -O N: assigned from index N, the array not cleared
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-t":
            strip = True
        elif a in ("-d", "-n", "-s", "-u", "-O", "-C", "-c") and i + 1 < len(args):
            val = args[i + 1]
            if a == "-d":
                delim = val[:1] or "\x00"
            elif a == "-n":
                count = int(val)
            elif a == "-s":
                skip = int(val)
            elif a == "-O":
                if not val.isdigit():
                    _err(sh, argv[0], f"{val}: invalid array origin")
                    return 1
                origin = int(val)
            i += 1
        elif a.startswith("-"):
            _err(sh, argv[0], f"{a}: invalid option")
            return 2
        else:
            name = a
        i += 1
    try:
        items = _read_items(sh, sh.io.get(0) or io.BytesIO(), delim.encode(), skip, count)
    except ExpansionError as e:
        _err(sh, argv[0], str(e))
        return 1
    if strip:
        items = [x[:-1] if x.endswith(delim) else x for x in items]
    if origin is None:
        sh.set_array(name, items)
        return 0
    old = sh.state.vars.get(name)
    if old is not None and old.readonly:
        _err(sh, argv[0], f"{name}: readonly variable")
        return 1
    cells: dict[int, str] = {}
    if old is not None and isinstance(old.value, IArray):
        cells = {k: old.value[k] for k in old.value.indices()}
    elif old is not None and isinstance(old.value, str):
        cells = {0: old.value}
    cells.update((origin + k, item) for k, item in enumerate(items))
    sh.state.vars[name] = Var(IArray(cells), old.exported if old else False)
    return 0


#: Estimated bytes an array element costs besides its text (str object, dict slot, index).
_ITEM_OVERHEAD = 128


def _read_items(sh: Shell, stream: IO[bytes], delim: bytes, skip: int, count: int) -> list[str]:
    """mapfile's lines (terminators kept), streamed: stops after ``skip + count``
    lines, and refuses an array larger than the memory cap for one value."""
    limit = max_string(sh.ws.budget)
    items: list[str] = []
    held = 0
    seen = 0
    want = skip + count if count else None
    try:
        for batch in record_batches(sh.check, stream, delim, limit, "line", keep_sep=True):
            for p in batch:
                seen += 1
                if seen > skip and (want is None or seen <= want):
                    items.append(p.decode("utf-8", "surrogateescape"))
                    held += len(p) + _ITEM_OVERHEAD
            if held > limit:
                raise ExpansionError(too_large("array", held, limit))
            if want is not None and seen >= want:
                break
    except CommandError as e:
        raise ExpansionError(str(e)) from None
    return items


@special("help")
def b_help(sh: Shell, argv: list[str]) -> int:
    from .command import REGISTRY

    names = sorted(set(REGISTRY) | set(SPECIAL) | set(BRIDGES))
    _out(sh, "corral shell: bash interpreted by corral inside the sandbox.\n")
    _out(sh, "Commands: " + " ".join(names) + "\n")
    _out(sh, "Use `CMD --help` for a command's options.\n")
    return 0


_ = posixpath


# ---------------------------------------------------------------- completion, enable

_KEYWORDS = (
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until",
    "do", "done", "in", "function", "time", "{", "}", "!", "[[", "]]", "coproc",
)  # fmt: skip
#: compgen's one-letter actions and their -A names
_ACTIONS = {
    "a": "alias", "b": "builtin", "c": "command", "d": "directory", "e": "export",
    "f": "file", "k": "keyword", "v": "variable", "j": "job", "u": "user", "g": "group",
    "s": "service",
}  # fmt: skip
_ACTION_NAMES = {*_ACTIONS.values(), "function", "enabled", "disabled", "setopt", "shopt",
                 "signal", "arrayvar", "binding", "helptopic", "hostname", "running",
                 "stopped"}  # fmt: skip


def _builtins_of(sh: Shell) -> list[str]:
    from .interp import _BASH_BUILTINS

    return sorted(_BASH_BUILTINS)


def _compgen_words(sh: Shell, action: str) -> list[str]:
    st = sh.state
    if action == "alias":
        return sorted(st.aliases)
    if action in ("builtin", "enabled"):
        return [b for b in _builtins_of(sh) if action == "builtin" or b not in st.disabled]
    if action == "disabled":
        return sorted(st.disabled)
    if action == "keyword":
        return list(_KEYWORDS)
    if action == "function":
        return sorted(st.functions)
    if action in ("variable", "arrayvar", "export"):
        out = []
        for k in sorted(st.vars):
            v = st.vars[k]
            if action == "export" and not v.exported:
                continue
            if action == "arrayvar" and not isinstance(v.value, (IArray, dict)):
                continue
            out.append(k)
        return out
    if action == "command":
        from .command import REGISTRY

        names = {*st.aliases, *st.functions, *_builtins_of(sh), *_KEYWORDS, *REGISTRY}
        return sorted(names)
    if action in ("file", "directory"):
        try:
            entries = sorted(sh.ws.listdir(st.cwd))
        except (OSError, PathEscape, ValueError):
            return []
        if action == "directory":
            entries = [e for e in entries if os.path.isdir(sh._host(posixpath.join(st.cwd, e)))]
        return entries
    if action == "setopt":
        return sorted(st.options)
    if action == "signal":
        import signal as _signal

        return sorted(f"SIG{s.name[3:]}" for s in _signal.Signals if not s.name.startswith("SIG_"))
    return []  # jobs, users, groups, services, hosts: none in a sandbox


def _compgen_parse(argv: list[str], cmd: str) -> tuple[dict[str, list[str]], list[str]] | str:
    """(options -> values, the rest) of compgen/complete, or the error text."""
    opts: dict[str, list[str]] = {}
    i = 0
    takes = set("WAGFCXPSoE") if cmd == "compgen" else set("WAGFCXPSoD")
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        j = 1
        while j < len(a):
            c = a[j]
            if c in takes:
                val = a[j + 1 :] or (argv[i + 1] if i + 1 < len(argv) else None)
                if val is None:
                    return f"-{c}: option requires an argument"
                if not a[j + 1 :]:
                    i += 1
                opts.setdefault(c, []).append(val)
                break
            if c not in "abcdefgjksuvpr" and not (cmd == "complete" and c in "EI"):
                return f"-{c}: invalid option"
            opts.setdefault(c, []).append("")
            j += 1
        i += 1
    return opts, argv[i:]


@special("compgen")
def b_compgen(sh: Shell, argv: list[str]) -> int:
    """The words a completion would offer, from word lists and actions (-W, -A, -b …),
    that start with the word given."""
    got = _compgen_parse(argv[1:], "compgen")
    if isinstance(got, str):
        _err(sh, "compgen", got)
        _out_err(sh, "compgen: usage: compgen [-abcdefgjksuv] [-o option] [-A action] "
                     "[-G globpat] [-W wordlist] [-F function] [-C command] [-X filterpat] "
                     "[-P prefix] [-S suffix] [word]\n")  # fmt: skip
        return 2
    opts, rest = got
    prefix = rest[0] if rest else ""
    words: list[str] = []
    for c, name in _ACTIONS.items():
        if c in opts:
            words += _compgen_words(sh, name)
    for action in opts.get("A", []):
        if action not in _ACTION_NAMES:
            _err(sh, "compgen", f"{action}: invalid action name")
            return 2
        words += _compgen_words(sh, action)
    for wl in opts.get("W", []):
        ifs = sh.get_var("IFS")
        sep = " \t\n" if ifs is None else ifs
        words += [w for w in re.split("[" + re.escape(sep) + "]+", wl) if w] if sep else [wl]
    for pat in opts.get("G", []):
        words += sh.glob_paths(pat)
    out = [w for w in words if w.startswith(prefix)]
    if "X" in opts:
        from . import pattern as P

        for pat in opts["X"]:  # drop what matches (with a leading !: keep only that)
            neg = pat.startswith("!")
            rx = P.to_regex(pat[1:] if neg else pat)
            out = [w for w in out if bool(rx.match(w)) == neg]
    pre = "".join(opts.get("P", [])[-1:])
    suf = "".join(opts.get("S", [])[-1:])
    if not out:
        return 1
    _out(sh, "".join(f"{pre}{w}{suf}\n" for w in out))
    return 0


def _out_err(sh: Shell, text: str) -> None:
    sh.write_err(text)


def _spec_line(name: str, spec: list[str]) -> str:
    parts = []
    for opt in spec:
        c, _, val = opt.partition("=")
        parts.append(f"-{c} {_shell_quote(val)}" if val else f"-{c}")
    return f"complete {' '.join(parts)} {name}".replace("  ", " ") + "\n"


def _shell_quote(v: str) -> str:
    return "'" + v.replace("'", "'\\''") + "'"


@special("complete")
def b_complete(sh: Shell, argv: list[str]) -> int:
    """Completion specs: stored (there is no interactive completion in a sandbox),
    printed with -p, removed with -r."""
    got = _compgen_parse(argv[1:], "complete")
    if isinstance(got, str):
        _err(sh, "complete", got)
        return 2
    opts, names = got
    st = sh.state
    if "r" in opts:
        if not names:
            st.completions.clear()
            return 0
        status = 0
        for n in names:
            if st.completions.pop(n, None) is None:
                _err(sh, "complete", f"{n}: no completion specification")
                status = 1
        return status
    if "p" in opts or not opts:
        status = 0
        for n in names or sorted(st.completions):
            spec = st.completions.get(n)
            if spec is None:
                _err(sh, "complete", f"{n}: no completion specification")
                status = 1
            else:
                _out(sh, _spec_line(n, spec))
        return status
    if not names:
        _err(sh, "complete", "usage: complete [-abcdefgjksuv] [-pr] [-DEI] [-o option] "
             "[-A action] [-G globpat] [-W wordlist] [-F function] [-C command] "
             "[-X filterpat] [-P prefix] [-S suffix] [name ...]")  # fmt: skip
        return 2
    spec = [f"{c}={v}" if v else c for c, vals in opts.items() for v in vals]
    for n in names:
        st.completions[n] = list(spec)
    return 0


@special("compopt")
def b_compopt(sh: Shell, argv: list[str]) -> int:
    if len(argv) == 1 or all(a.startswith(("-", "+")) for a in argv[1:]):
        _err(sh, "compopt", "not currently executing completion function")
        return 1
    return 0


@special("enable")
def b_enable(sh: Shell, argv: list[str]) -> int:
    """List built-ins (``enable``, ``-a``, ``-n``), turn them off (``-n NAME``: the
    name then runs the command of that name) and on again."""
    flags = set()
    names = []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not names:
            flags.update(a[1:])
        else:
            names.append(a)
    bad = flags - set("anps")
    if bad:
        _err(sh, "enable", f"-{sorted(bad)[0]}: invalid option")
        return 2
    st = sh.state
    builtins = _builtins_of(sh)
    if not names:
        for b in builtins:
            off = b in st.disabled
            if "a" in flags or (off if "n" in flags else not off):
                _out(sh, f"enable {'-n ' if off else ''}{b}\n")
        return 0
    status = 0
    for n in names:
        if n not in builtins:
            _err(sh, "enable", f"{n}: not a shell builtin")
            status = 1
        elif "n" in flags:
            st.disabled.add(n)
        else:
            st.disabled.discard(n)
    return status

"""What bash prints about shell functions: ``declare -f``/``-F``/``-pf`` (and ``typeset``),
``export -f`` without names, the functions after the variables of ``set`` and ``declare``,
and ``type``/``command -V`` for a function. The text of a function comes from
``printer.function_text`` (bash's own layout); a function's attributes (exported,
readonly) live in the shell's option set as ``fexport:NAME`` / ``freadonly:NAME``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .printer import function_text

if TYPE_CHECKING:
    from .interp import Shell

EXPORT = "fexport:"
READONLY = "freadonly:"


def _out(sh: Shell, text: str) -> None:
    sh.io[1].write(text.encode("utf-8", "surrogateescape"))


def _err(sh: Shell, cmd: str, msg: str) -> None:
    sh.write_err(f"corral: {cmd}: {msg}\n")


def definition(sh: Shell, name: str) -> str:
    """``NAME () \\n{ …}\\n`` as bash prints the function ``name``."""
    fn = sh.state.functions[name]
    return function_text(name, fn.body) + "\n"


def attributes(sh: Shell, name: str) -> str:
    """The function's ``declare`` flags: ``f`` then ``r`` (readonly) and ``x`` (exported)."""
    opts = sh.state.options
    return "f" + ("r" if READONLY + name in opts else "") + ("x" if EXPORT + name in opts else "")


def all_definitions(sh: Shell) -> str:
    """Every function's text, sorted by name (the tail of ``set`` and ``declare``)."""
    return "".join(definition(sh, n) for n in sorted(sh.state.functions))


def declare_functions(
    sh: Shell, cmd: str, flags: set[str], unset: set[str], words: list[str]
) -> int:
    """``declare``/``typeset``/``local`` with ``-f`` or ``-F``: list, print or set attributes."""
    names_only = "F" in flags
    if not words:
        picked = sorted(sh.state.functions)
        if "x" in flags:
            picked = [n for n in picked if EXPORT + n in sh.state.options]
        if "r" in flags:
            picked = [n for n in picked if READONLY + n in sh.state.options]
        for name in picked:
            attrs = attributes(sh, name)
            if names_only:
                _out(sh, f"declare -{attrs} {name}\n")
                continue
            _out(sh, definition(sh, name))
            if attrs != "f":
                _out(sh, f"declare -{attrs} {name}\n")
        return 0
    status = 0
    setting = bool((flags | unset) & {"x", "r"}) and "p" not in flags
    for name in words:
        if name not in sh.state.functions:
            if "p" in flags or setting:
                _err(sh, cmd, f"{name}: not found")
            status = 1
            continue
        if setting:
            for flag, key in (("x", EXPORT), ("r", READONLY)):
                if flag in flags:
                    sh.state.options.add(key + name)
                elif flag in unset and key == EXPORT:
                    sh.state.options.discard(key + name)
                elif flag in unset:
                    _err(sh, cmd, f"{name}: readonly function")
                    status = 1
            continue
        if names_only:
            _out(sh, name + "\n")
            continue
        _out(sh, definition(sh, name))
        attrs = attributes(sh, name)
        if "p" in flags and attrs != "f":
            _out(sh, f"declare -{attrs} {name}\n")
    return status


def unset_function(sh: Shell, name: str) -> int:
    """``unset -f NAME``: the function and its attributes go, unless it is readonly."""
    if READONLY + name in sh.state.options and name in sh.state.functions:
        _err(sh, "unset", f"{name}: cannot unset: readonly function")
        return 1
    sh.state.functions.pop(name, None)
    sh.state.options.discard(EXPORT + name)
    return 0


def export_listing(sh: Shell) -> None:
    """``export -f`` without names: each exported function, then ``declare -fx NAME``."""
    for name in sorted(sh.state.functions):
        if EXPORT + name in sh.state.options:
            _out(sh, definition(sh, name))
            _out(sh, f"declare -{attributes(sh, name)} {name}\n")


def describe(sh: Shell, name: str) -> str:
    """``type NAME`` for a function."""
    return f"{name} is a function\n" + definition(sh, name)

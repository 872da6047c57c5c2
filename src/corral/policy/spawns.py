"""The commands interpreter code runs: the effect behind ``python3 -c "os.system('git
push')"``, ``node -e "execSync('sudo id')"`` or ``ruby -e '`crontab -r`'``.

A one-liner that hands a command to a shell or starts a program has that command's effect:
the policy decides it as if it were on the line (its rules, paths, writes and hosts), with
the rule that decides it named. Found, as string literals written in the code:

* shell lines: Python ``os.system``/``os.popen``/``subprocess.getoutput``/the
  ``subprocess`` calls given a string, Node ``exec``/``execSync`` of ``child_process``,
  Ruby/Perl/PHP backticks, ``%x(...)``, ``qx(...)``, ``system``/``exec``/``shell_exec``/
  ``passthru``/``popen``/``proc_open`` given one string, Lua ``os.execute``/``io.popen``;
* program and arguments: a list of literals given to the ``subprocess`` calls,
  ``os.exec*``/``os.spawn*``/``pty.spawn``, Node ``spawn``/``execFile`` (``'prog', [args]``)
  and ``system``/``exec`` given several strings (Ruby, Perl).

A command assembled at run time (concatenation, a variable, decoding) is not seen: the
native tiers decide each program as it starts, and the monitor watches.
"""

from __future__ import annotations

from typing import Final

from .. import saferegex

__all__ = ["code_commands"]

_MAX_CODE: Final = 65536
_MAX_FOUND: Final = 16
_STR: Final = r"""(?:'([^'\\\n]+)'|"([^"\\\n]+)")"""
_LITERAL: Final = saferegex.compile(_STR)
#: two or more string literals, comma-separated (``system("prog", "arg")``)
_STRS: Final = _STR + r"(?:\s*,\s*" + _STR + r")+"

#: calls whose first argument, a string, is run by a shell (or names the program)
_SHELL_CALLS: Final[dict[str, saferegex.Pattern[str]]] = {
    "python": saferegex.compile(
        r"\b(?:os\.system|os\.popen|subprocess\.(?:getoutput|getstatusoutput|run|call|"
        r"check_call|check_output|Popen)|commands\.getoutput)\s*\(\s*" + _STR
    ),
    "node": saferegex.compile(r"\b(?:execSync|exec)\s*\(\s*" + _STR),
    "ruby": saferegex.compile(
        r"(?:\bsystem|\bexec|\bspawn|%x\(|IO\.popen|Open3\.\w+)\s*\(?\s*" + _STR
    ),
    "perl": saferegex.compile(r"(?:\bsystem|\bexec|\bqx)\s*[\(\{]?\s*" + _STR),
    "php": saferegex.compile(
        r"\b(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(\s*" + _STR
    ),
    "lua": saferegex.compile(r"\b(?:os\.execute|io\.popen)\s*\(?\s*" + _STR),
}
#: backticks: a shell line in Ruby, Perl and PHP (and Perl's ``qx{}``/Ruby's ``%x{}``)
_BACKTICKS: Final = saferegex.compile(r"`([^`\n]+)`|\bqx\{([^}\n]+)\}|%x\{([^}\n]+)\}")
#: a list of literals given to a call that starts a program
_ARGV_CALLS: Final[dict[str, saferegex.Pattern[str]]] = {
    "python": saferegex.compile(
        r"\b(?:subprocess\.(?:run|call|check_call|check_output|Popen)|os\.(?:exec|spawn)\w*"
        r"|pty\.spawn)\s*\(\s*(?:(?:[\w.]+|'[^'\n]*'|\"[^\"\n]*\")\s*,\s*)?[\[\(]([^\]\)]+)[\]\)]"
    ),
    "node": saferegex.compile(
        r"\b(?:spawn|spawnSync|execFile|execFileSync)\s*\(\s*" + _STR + r"\s*(?:,\s*\[([^\]]*)\])?"
    ),
    "ruby": saferegex.compile(r"\b(?:system|exec|spawn)\s*\(?\s*(" + _STRS + ")"),
    "perl": saferegex.compile(r"\b(?:system|exec)\s*\(?\s*(" + _STRS + ")"),
}
_LANGUAGES: Final[dict[str, str]] = {
    "node": "node", "nodejs": "node", "bun": "node", "deno": "node", "ruby": "ruby",
    "perl": "perl", "php": "php", "lua": "lua", "luajit": "lua",
}  # fmt: skip


#: words one of which every call above contains (a cheap screen before the regexes)
_TRIGGERS: Final = ("system", "popen", "subprocess", "exec", "spawn", "`", "qx", "%x",
                    "passthru", "getoutput", "Open3", "proc_open")  # fmt: skip


def _language(prog: str) -> str | None:
    if prog.startswith("python"):
        return "python"
    return _LANGUAGES.get(prog)


def _literals(text: str) -> list[str]:
    return [m.group(1) or m.group(2) or "" for m in _LITERAL.finditer(text)]


def code_commands(prog: str, code: str) -> tuple[list[str], list[list[str]]]:
    """``(shell lines, argvs)`` that ``prog``'s ``code`` runs (see the module docstring)."""
    language = _language(prog)
    if language is None:
        return [], []
    code = code[:_MAX_CODE]
    if not any(word in code for word in _TRIGGERS):
        return [], []  # nothing here starts a program (most one-liners)
    scripts: list[str] = []
    argvs: list[list[str]] = []
    shell = _SHELL_CALLS[language]
    for m in shell.finditer(code):
        line = m.group(1) or m.group(2)
        if line and len(scripts) < _MAX_FOUND:
            scripts.append(line)
    if language in ("ruby", "perl", "php") and ("`" in code or "qx" in code or "%x" in code):
        for m in _BACKTICKS.finditer(code):
            line = m.group(1) or m.group(2) or m.group(3)
            if line and len(scripts) < _MAX_FOUND:
                scripts.append(line)
    listed = _ARGV_CALLS.get(language)
    if listed is not None:
        for m in listed.finditer(code):
            if language == "node":
                argv = [m.group(1) or m.group(2) or "", *_literals(m.group(3) or "")]
            else:
                inner = m.group(1)
                first = inner.lstrip()[:1]
                if first not in ("'", '"'):
                    continue  # the program is not written here
                argv = _literals(inner)
            if argv and argv[0] and len(argvs) < _MAX_FOUND:
                argvs.append(argv)
    return scripts, argvs

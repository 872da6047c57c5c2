"""awk / gawk: the pattern scanning language (the interpreter is in
``corral.shell.awk_lang``)."""

from __future__ import annotations

from ..awk_lang import Source, run_awk, unescape_string
from ..command import CommandContext, CommandError, command

_USAGE = (
    "Usage: {0} [POSIX or GNU style options] -f progfile [--] file ...\n"
    "Usage: {0} [POSIX or GNU style options] [--] 'program' file ...\n"
)

# long options: name -> (takes an argument, short equivalent)
_LONG = {
    "field-separator": (True, "F"),
    "assign": (True, "v"),
    "file": (True, "f"),
    "source": (True, "e"),
    "version": (False, "V"),
    "posix": (False, ""),
    "traditional": (False, ""),
    "compat": (False, ""),
    "re-interval": (False, ""),
    "lint": (False, ""),
    "sandbox": (False, ""),
    "characters-as-bytes": (False, ""),
    "use-lc-numeric": (False, ""),
}
_IGNORED_SHORT = {"P", "c", "r", "S", "b", "N", "s"}


def _usage_error(ctx: CommandContext, msg: str) -> int:
    ctx.stderr.write(f"{ctx.name}: {msg}\n{_USAGE.format(ctx.name)}".encode())
    return 1


def _fs_value(arg: str) -> str:
    """-F's argument as gawk reads it: escapes processed."""
    return unescape_string(arg)


@command("awk", "gawk")
def awk(ctx: CommandContext) -> int:
    """Usage: awk [-F fs] [-v var=value]... ['program' | -f progfile]... [file | var=value]...
    Scan files (or stdin) for patterns and run actions: the awk language as
    GNU awk runs it (POSIX awk plus gensub, asort/asorti, strftime/systime,
    strtonum, length(array), match(s, re, arr), PROCINFO["sorted_in"], bit
    functions). Not here: IGNORECASE, FPAT, FIELDWIDTHS, BEGINFILE/ENDFILE,
    switch, @include.

      -F fs, --field-separator=fs   input field separator (a regex if longer
                                    than one character)
      -v var=value, --assign=var=value
                                    set a variable before the program starts
      -f progfile, --file=progfile  read the program from a file (repeatable)
      -e text, --source=text        program text (repeatable, mixes with -f)
      --                            end of options
      -V, --version                 print version information

    Operands are files ('-' is stdin) or var=value assignments made when
    they are reached. print > "file", >> "file" and getline < "file" work in
    /workspace; system(), "cmd" | getline and print | "cmd" need the shell.
    """
    args = ctx.args
    fs: str | None = None
    assigns: list[str] = []
    sources: list[Source] = []
    have_program_option = False
    i = 0

    def read_progfile(path: str) -> None:
        try:
            with ctx.open_read(path) as f:
                data = f.read()
        except CommandError as e:
            msg = str(e)
            reason = msg[len(path) + 2 :] if msg.startswith(path + ": ") else msg
            raise CommandError(
                f"fatal: cannot open source file `{path}' for reading: {reason}", 2
            ) from None
        sources.append(Source(path, data.decode("utf-8", "surrogateescape")))

    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        i += 1
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            matches = [k for k in _LONG if k.startswith(name)] if name else []
            if name in _LONG:
                matches = [name]
            if len(matches) != 1:
                what = "unrecognized" if not matches else "ambiguous"
                return _usage_error(ctx, f"{what} option '{a}'")
            name = matches[0]
            takes, short = _LONG[name]
            if takes and not eq:
                if i >= len(args):
                    return _usage_error(ctx, f"option '--{name}' requires an argument")
                val = args[i]
                i += 1
            opts = [(short, val)] if short else []
        else:
            opts = []
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c in "Fvfe":
                    if j < len(a):
                        val = a[j:]
                    elif i < len(args):
                        val = args[i]
                        i += 1
                    else:
                        return _usage_error(ctx, f"option requires an argument -- {c}")
                    opts.append((c, val))
                    break
                if c == "V":
                    opts.append(("V", ""))
                elif c in _IGNORED_SHORT:
                    continue
                else:
                    return _usage_error(ctx, f"invalid option -- '{c}'")
        for c, val in opts:
            if c == "F":
                fs = _fs_value(val)
            elif c == "v":
                assigns.append(val)
            elif c == "f":
                have_program_option = True
                read_progfile(val)
            elif c == "e":
                have_program_option = True
                sources.append(Source("cmd. line", val))
            elif c == "V":
                ctx.stdout.write(
                    b"GNU Awk 5.2.1 compatible awk (corral built-in: POSIX awk and common "
                    b"gawk extensions)\n"
                )
                return 0
    if not have_program_option:
        if i >= len(args):
            ctx.stderr.write(_USAGE.format(ctx.name).encode())
            return 1
        sources.append(Source("cmd. line", args[i]))
        i += 1
    operands = args[i:]
    return run_awk(ctx, sources, assigns, operands, fs)

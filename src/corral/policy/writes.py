"""The files a command writes, read from its argv: the effect behind ``cp x /etc/passwd``.

A redirection (``> /etc/rc.local``) is a file write the policy's ``filesystem`` section
decides; a program given the path as an argument writes it just the same. For the programs
whose job is writing, copying, creating or changing files, :func:`write_targets` names the
arguments they write (the destination of ``cp``/``mv``/``install``/``ln``/``rsync`` and
the sources ``mv`` takes away, every file of
``tee``/``touch``/``mkdir``/``truncate``/``fallocate``/``chmod``/``chown``, the files of
an in-place ``sed -i``/``perl -i``/``yq -i``, ``dd of=``, ``curl -o``/``wget -O``), so the
policy decides each as a write; ``find`` writes under its start points when it deletes or
changes what it finds (``-delete``, ``-exec rm {} +``) and the file of
``-fprint``/``-fprintf``/``-fls``; any other program writes the value of
``--output``/``--output-file``/``--log-file`` (and compilers' and ``sort``'s ``-o``, X
servers' ``-logfile``). Only paths the policy can place are returned (absolute,
``~``/``$HOME`` and relative without ``..``): another ``$VAR`` is left to the kernel and
the monitor. Options that take a value are skipped with their value; an unknown option is
taken as a flag.
"""

from __future__ import annotations

from typing import Final

__all__ = ["WRITE_PROGRAMS", "write_targets"]

#: programs whose last operand is the destination: value-taking short/long options
_DEST_LAST: Final[dict[str, frozenset[str]]] = {
    "cp": frozenset({"-S", "--suffix", "--backup", "--sparse", "--reflink"}),
    "mv": frozenset({"-S", "--suffix", "--backup"}),
    "install": frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix",
                          "--backup", "-Z", "--context", "--strip-program"}),
    "ln": frozenset({"-S", "--suffix", "--backup"}),
    "rsync": frozenset({"-e", "--rsh", "--exclude", "--include", "--filter", "-f",
                        "--exclude-from", "--include-from", "--files-from", "--chmod",
                        "--chown", "--rsync-path", "--log-file", "--password-file",
                        "--partial-dir", "--temp-dir", "-T", "--compare-dest", "--copy-dest",
                        "--link-dest", "--max-size", "--min-size", "--bwlimit", "--timeout",
                        "--port", "-B", "--block-size", "--backup-dir", "--suffix",
                        "--usermap", "--groupmap", "--iconv", "--out-format", "--info",
                        "--debug", "-M", "--remote-option"}),
}  # fmt: skip
#: vim's value-taking options
_VIM_VALUES: Final = frozenset({"-c", "--cmd", "-S", "-s", "-u", "-U", "-i", "-T", "-w", "-W",
                                "-t", "-q", "--servername", "--remote", "--remote-silent",
                                "--remote-send", "--remote-expr", "--startuptime", "-V"})
#: interactive editors open their operands for writing (`nano /etc/x` is an edit of
#: /etc/x, `sudo vim F` too: corral's sudo runs the editor as the sandbox's user): their
#: value-taking options
_EDITOR_VALUES: Final[dict[str, tuple[frozenset[str], int]]] = {
    "vi": (_VIM_VALUES, 0),
    "vim": (_VIM_VALUES, 0),
    "nvim": (_VIM_VALUES, 0),
    "vimdiff": (_VIM_VALUES, 0),
    "rvim": (_VIM_VALUES, 0),
    "ex": (_VIM_VALUES, 0),
    "nano": (frozenset({"-s", "--speller", "-o", "--operatingdir", "-Y", "--syntax", "-T",
                        "--tabsize", "-r", "--fill", "-X", "--wordchars", "-Q", "--quotestr",
                        "-f", "--rcfile", "-C", "--backupdir", "-J", "--guidestripe"}), 0),
    "pico": (frozenset({"-o", "-r", "-n", "-s", "-T"}), 0),
    "emacs": (frozenset({"--eval", "-f", "--funcall", "-l", "--load", "-L", "--directory",
                         "-t", "--terminal", "-d", "--display", "--chdir", "--insert",
                         "-u", "--user", "--execute"}), 0),
    "micro": (frozenset({"-config-dir", "-plugin", "-options"}), 0),
    "joe": (frozenset(), 0),
    "jed": (frozenset({"-f", "-g", "-l", "-i"}), 0),
    "mcedit": (frozenset(), 0),
    "kak": (frozenset({"-c", "-s", "-e", "-E", "-f", "-i", "-ui", "-debug"}), 0),
    "hx": (frozenset({"-c", "--config", "--log", "-w", "--working-dir"}), 0),
    "ed": (frozenset({"-p", "--prompt"}), 0),
}  # fmt: skip
_EDITORS: Final = frozenset(_EDITOR_VALUES)
#: programs all of whose operands are written, and how many leading operands are not
#: files (chmod's mode, chown's owner)
_ALL_OPERANDS: Final[dict[str, tuple[frozenset[str], int]]] = {
    "tee": (frozenset(), 0),
    "sponge": (frozenset(), 0),  # cmd | sponge FILE: FILE rewritten
    # sudoedit (sudo -e) edits its operands as root
    "sudoedit": (frozenset({"-u", "--user", "-g", "--group", "-h", "--host", "-p", "--prompt",
                            "-C", "--close-from", "-D", "--chdir", "-R", "--chroot"}), 0),
    "touch": (frozenset({"-d", "--date", "-r", "--reference", "-t"}), 0),
    "mkdir": (frozenset({"-m", "--mode", "-Z", "--context"}), 0),
    "rmdir": (frozenset(), 0),
    "truncate": (frozenset({"-s", "--size", "-r", "--reference"}), 0),
    "fallocate": (frozenset({"-l", "--length", "-o", "--offset"}), 0),
    "shred": (frozenset({"-n", "--iterations", "-s", "--size", "--random-source"}), 0),
    "unlink": (frozenset(), 0),
    "rm": (frozenset(), 0),
    "chmod": (frozenset({"--reference"}), 1),
    "chown": (frozenset({"--reference", "--from"}), 1),
    "chgrp": (frozenset({"--reference"}), 1),
    "setfacl": (frozenset({"-m", "--modify", "-x", "--remove", "-M", "--modify-file",
                           "-X", "--remove-file", "--set", "--set-file"}), 0),
    "mkfifo": (frozenset({"-m", "--mode", "-Z", "--context"}), 0),
    **_EDITOR_VALUES,
}  # fmt: skip
#: editors in place: value-taking options; the first operand is the script unless an
#: option gave it (``-e``/``-f``/``--expression``/``--file``)
_IN_PLACE: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "sed": (frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"}),
            frozenset({"-e", "--expression", "-f", "--file"})),
    "perl": (frozenset({"-e", "-E", "-M", "-I", "-m", "-x", "-0", "-l"}),
             frozenset({"-e", "-E"})),
    "yq": (frozenset({"-o", "--output-format", "-p", "--input-format", "-I", "--indent",
                      "--from-file", "--front-matter", "--expression"}),
           frozenset({"--from-file", "--expression"})),
}  # fmt: skip
#: downloaders' output options
_OUTPUT_OPTS: Final[dict[str, frozenset[str]]] = {
    "curl": frozenset({"-o", "--output"}),
    "wget": frozenset({"-O", "--output-document"}),
}
#: compilers and sorters whose ``-o FILE`` is the file they write
_DASH_O: Final = frozenset(
    {"sort", "gcc", "g++", "cc", "c++", "clang", "clang++", "ld", "go", "rustc", "nvcc", "zig"}
)
#: long options that name the file any program writes (``git log --output=F``,
#: ``--log-file F``); a relative value stays where the command runs
_LONG_OUTPUT: Final = frozenset(
    {"--output", "--output-file", "--outfile", "--out-file", "--log-file", "--logfile", "-logfile"}
)
#: find's actions that write a file given by name
_FIND_WRITES: Final = frozenset({"-fprint", "-fprint0", "-fprintf", "-fls"})
#: a short option cluster that gives the target directory (``cp -t DIR``, ``cp -vt DIR``)
_TARGET_DIR: Final = ("-t", "--target-directory")


#: archivers told to delete what they archive (``zip -m``, ``tar --remove-files``,
#: ``7z a -sdel``): value-taking options, and how they say it
_ARCHIVERS: Final[dict[str, frozenset[str]]] = {
    "zip": frozenset({"-P", "--password", "-b", "--temp-path", "-n", "--suffixes", "-t",
                      "--from-date", "-tt", "--before-date", "-O", "--output-file", "-s",
                      "--split-size", "-Z", "--compression-method", "-x", "--exclude", "-i",
                      "--include"}),
    "tar": frozenset({"-f", "--file", "-C", "--directory", "-T", "--files-from", "-X",
                      "--exclude-from", "-b", "--blocking-factor", "-H", "--format",
                      "-I", "--use-compress-program", "-K", "-L", "-N", "-V", "--label"}),
    "7z": frozenset(),
    "7za": frozenset(),
}  # fmt: skip

#: INI editors whose modes write the first operand (``crudini --set FILE SECTION KEY V``;
#: ``--get`` only reads)
_INI_WRITES: Final = frozenset({"--set", "--del", "--merge"})

#: every program :func:`write_targets` knows
WRITE_PROGRAMS: Final = frozenset(
    {*_DEST_LAST, *_ALL_OPERANDS, *_IN_PLACE, *_OUTPUT_OPTS, *_ARCHIVERS, "dd", "find", "crudini"}
)


def _literal_path(arg: str) -> str | None:
    """``arg`` when the policy knows where it points: an absolute path, a home path
    (``~/x``, ``~user/x``, ``$HOME/x``) or a relative path without ``..`` (under the
    command's directory, wherever that is), an absolute one whose last component only is
    expanded (``/usr/local/bin/$(…)``: a file of that directory); not one with another
    expansion."""
    if arg.startswith(("$HOME/", "${HOME}/")) or arg in ("$HOME", "${HOME}"):
        rest = arg.split("}", 1)[1] if arg.startswith("${") else arg[5:]
        arg = "~" + rest
    if not arg or arg == "-":
        return None
    cut = min((i for i in (arg.find("$"), arg.find("`")) if i >= 0), default=-1)
    if cut >= 0:
        # /usr/local/bin/$(printf …): a file of that directory, whatever the name
        # expands to (a variable or a substitution before the last slash: unknown)
        if not arg.startswith(("/", "~")) or "/" in arg[cut:] or "/" not in arg[:cut]:
            return None
        return arg
    if not arg.startswith(("/", "~")) and ".." in arg.split("/"):
        return None  # the policy may not know the real directory: the kernel decides
    return arg


def _operands(args: list[str], value_opts: frozenset[str]) -> tuple[list[str], list[str]]:
    """(operands, values of ``-t``/``--target-directory``) of ``args``."""
    operands: list[str] = []
    targets: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name == _TARGET_DIR[1]:
                if eq:
                    targets.append(value)
                elif i + 1 < len(args):
                    targets.append(args[i + 1])
                    i += 1
            elif not eq and name in value_opts:
                i += 1
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            flags = a[1:]
            for j, c in enumerate(flags):
                opt = "-" + c
                if opt == _TARGET_DIR[0] or opt in value_opts:
                    rest = flags[j + 1 :]
                    if rest:
                        value = rest
                    elif i + 1 < len(args):
                        value = args[i + 1]
                        i += 1
                    else:
                        value = ""
                    if opt == _TARGET_DIR[0]:
                        targets.append(value)
                    break
            i += 1
            continue
        operands.append(a)
        i += 1
    return operands, targets


def _in_place(prog: str, args: list[str]) -> list[str]:
    value_opts, script_opts = _IN_PLACE[prog]
    in_place = False
    script_given = False
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, _ = a.partition("=")
            if name in ("--in-place", "--inplace"):
                in_place = True
            elif name in script_opts:
                script_given = True
            if not eq and name in value_opts:
                i += 1
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            flags = a[1:]
            for j, c in enumerate(flags):
                opt = "-" + c
                if c == "i":
                    in_place = True
                    break  # -i.bak: the rest is the backup suffix
                if opt in value_opts:
                    script_given = script_given or opt in script_opts
                    if not flags[j + 1 :]:
                        i += 1
                    break
            i += 1
            continue
        operands.append(a)
        i += 1
    if not in_place:
        return []
    return operands if script_given else operands[1:]


#: programs that, run by ``find -exec`` on each file found (``{}``), change or delete it
_CHANGES_FOUND: Final = frozenset(
    {"rm", "shred", "unlink", "truncate", "dd", "mv", "chmod", "chown", "chgrp", "sed", "perl",
     "tee", "cp", "openssl", "gpg", "setfacl", "touch"}
)  # fmt: skip
_FIND_VALUE_OPTS: Final = frozenset({"-D", "-O"})


def _find_changes(args: list[str]) -> list[str]:
    r"""The directories ``find`` changes files under: its start points, when it deletes
    what it finds (``-delete``) or runs a program that changes each file on it
    (``-exec rm {} +``, ``-exec dd of={} …``, ``-exec shred -u {} \;``)."""
    starts: list[str] = []
    i = 0
    while i < len(args) and args[i] in ("-H", "-L", "-P", *_FIND_VALUE_OPTS):
        i += 2 if args[i] in _FIND_VALUE_OPTS else 1
    while i < len(args) and not args[i].startswith(("-", "(", "!", "\\(")):
        starts.append(args[i])
        i += 1
    changes = False
    written: list[str] = []
    rest = args[i:]
    for j, a in enumerate(rest):
        if a in _FIND_WRITES and j + 1 < len(rest):
            written.append(rest[j + 1])  # find / -fprintf /etc/cron.d/x FMT
        elif a == "-delete":
            changes = True
        elif a in ("-exec", "-execdir", "-ok", "-okdir") and j + 1 < len(rest):
            inner = rest[j + 1 :]
            end = next((k for k, w in enumerate(inner) if w in (";", "+", "\\;")), len(inner))
            inner = inner[:end]
            prog = inner[0].rsplit("/", 1)[-1] if inner else ""
            if prog in _CHANGES_FOUND and any("{}" in w for w in inner[1:]):
                changes = True
    return ((starts or ["."]) if changes else []) + written


def write_targets(argv: list[str]) -> list[str]:
    """The literal paths ``argv`` writes (empty for programs not known to write)."""
    if len(argv) < 2:
        return []
    prog = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    found: list[str] = []
    if prog in _DEST_LAST:
        operands, targets = _operands(args, _DEST_LAST[prog])
        if targets:
            found = targets + (operands if prog == "mv" else [])
        elif prog == "install" and any(a in ("-d", "--directory") for a in args):
            found = operands
        elif len(operands) >= 2:
            # mv (and rsync --remove-source-files) takes its sources away: each is a
            # write where it was
            moves = prog == "mv" or (prog == "rsync" and "--remove-source-files" in args)
            found = operands if moves else [operands[-1]]
            if prog == "rsync" and ":" in found[0].split("/", 1)[0]:
                found = []  # host:path: another machine (the remote-copy rules decide)
    elif prog in _ALL_OPERANDS:
        value_opts, skip = _ALL_OPERANDS[prog]
        operands, _ = _operands(args, value_opts)
        if prog in ("chmod", "chown", "chgrp") and any(a.startswith("--reference") for a in args):
            skip = 0
        found = operands[skip:]
        if prog in _EDITORS:  # `+42`/`+/re`/`+cmd` (a position or command) and `-` (stdin)
            found = [a for a in found if a[:1] != "+" and a != "-"]
    elif prog in _IN_PLACE:
        found = _in_place(prog, args)
    elif prog == "find":
        found = _find_changes(args)
    elif prog in _ARCHIVERS:
        found = _archived_away(prog, args)
    elif prog == "dd":
        found = [a[3:] for a in args if a.startswith("of=")]
    elif prog == "crudini":
        if any(a.split("=", 1)[0] in _INI_WRITES for a in args):
            operands, _ = _operands(args, frozenset({"--ini-options", "--format"}))
            found = operands[:1]
    elif prog in _OUTPUT_OPTS:
        opts = _OUTPUT_OPTS[prog]
        for i, a in enumerate(args):
            name, eq, value = a.partition("=")
            if eq and name in opts:
                found.append(value)
            elif i + 1 < len(args) and (
                a in opts or (prog == "curl" and a[:1] == "-" and a[1:2] != "-" and a[-1] == "o")
            ):
                found.append(args[i + 1])
    else:
        found = _output_options(prog, args)
    return [p for p in (_literal_path(a) for a in found) if p is not None]


def _archived_away(prog: str, args: list[str]) -> list[str]:
    """The files an archiver deletes once archived: ``zip -m``/``--move``'s inputs,
    ``tar --remove-files``'s, ``7z a -sdel``'s (the archive itself is not among them)."""
    if prog in ("7z", "7za"):
        if "-sdel" not in args:
            return []
        words = [a for a in args if not a.startswith("-")]
        return words[2:]  # 7z a ARCHIVE FILES...
    operands, _ = _operands(args, _ARCHIVERS[prog])
    if prog == "zip":
        short = [a for a in args if a[:1] == "-" and a[1:2] != "-" and a not in _ARCHIVERS[prog]]
        moves = "--move" in args or any("m" in a[1:] for a in short)
        return operands[1:] if moves else []
    if "--remove-files" not in args:
        return []
    if args and not args[0].startswith("-") and "f" in args[0]:
        return operands[2:]  # tar czf ARCHIVE FILES... (old-style options)
    return operands


def _output_options(prog: str, args: list[str]) -> list[str]:
    """The files any other program is told to write: ``--output=F``/``--log-file F``,
    and ``-o F`` of compilers and ``sort``."""
    found: list[str] = []
    for i, a in enumerate(args):
        if a == "--":
            break
        name, eq, value = a.partition("=")
        if name in _LONG_OUTPUT:
            if eq:
                found.append(value)
            elif i + 1 < len(args) and not args[i + 1].startswith("-"):
                found.append(args[i + 1])
        elif prog in _DASH_O and a.startswith("-o"):
            if len(a) > 2:
                found.append(a[2:])
            elif i + 1 < len(args):
                found.append(args[i + 1])
    return found

"""The policy engine: ``Policy.decide(action, session) -> Decision`` for every action kind.

:class:`Policy` implements :class:`corral.events.Gate`. Every :class:`Decision` carries the
deciding ``rule`` (a stable id such as ``commands.deny[0]``, ``network.deny_cidrs[2]``,
``tools[1]``, ``filesystem.read[0]`` or a ``*.default`` id), the rule's ``principle`` and a
human ``reason`` that quotes the rule. Pattern semantics (globs, regexes, specificity, line
rules) are in :mod:`corral.policy.patterns`.

Commands (``exec``, ``spawn``, ``code`` in the shell)
----------------------------------------------------

* Each **simple command** is decided on its own; its command line is its argv joined with
  spaces (program reduced to its base name). The most specific matching rule decides; at
  equal specificity ``deny`` > ``ask`` > ``allow``. No match: ``commands.default``.
* **Wrappers are looked through**: ``env``, ``nohup``, ``timeout``, ``nice``, ``xargs``,
  ``sudo``, ``exec``, ``command``, ``find -exec``, ``python -m MODULE`` and others also
  yield the inner command; ``sh -c SCRIPT``, ``bash -c``, ``eval``, ``env -S`` and
  ``script -c`` have their script split and decided. A command's verdict is the most
  restrictive over all these views of the rules that matched explicitly (so ``sudo mount``
  is denied by ``mount`` and ``nohup xmrig`` by ``xmrig``, while ``xargs grep x`` is allowed by
  ``grep`` even if ``xargs`` has no rule); ``commands.default`` applies only when no view
  matched a rule.
  Wrappers that change privileges, namespaces or routing (``sudo``, ``doas``, ``pkexec``,
  ``run0``, ``chroot``, ``nsenter``, ``unshare``, ``firejail``, ``strace``, ``ltrace``,
  ``torsocks``, ``proxychains``) are looked through too but are not transparent: without a
  rule of their own, ``commands.default`` applies to them as well.
  A script inside the command (``bash -c '...'``) is decided in full, default included.
* **Anywhere rules** (``deny``/``ask`` patterns without a literal prefix, such as the
  regex ``stratum\\+tcp://``) apply whenever they match, outside specificity.
* A **shell line** (``decide_command``, ``CodeAction(language="shell")``) is split
  statically (:mod:`corral.policy.shellsplit`): every simple command, and those inside
  ``$(...)``, backquotes and ``<(...)``, must pass; line rules (patterns with ``|``, ``;``,
  ``&``, ``<``, ``>``) are matched against every pipeline and every line that combines
  commands; redirection targets are file reads (``<``) and writes (``>``, ``>>``, ...)
  decided by the ``filesystem`` section (``/dev/null`` and friends excepted). The most
  restrictive verdict wins. An ``ExecAction`` whose ``line`` holds operators has the line
  rules matched against that line too.
* **Path arguments are cross-checked**: an argument that looks like a path (contains
  ``/``, or starts with ``~`` or ``.``; ``--opt=VALUE`` is split; URLs are skipped) is
  resolved against the command's cwd and denied when it matches ``filesystem.deny``
  (``cat ~/.ssh/id_rsa``, ``ls /dev/tcp/...``).
* **Files written by argument are file writes**: the literal absolute paths a program writes
  (:mod:`corral.policy.writes`: ``cp``/``mv``/``install``/``ln``/``rsync`` destinations,
  ``tee``/``touch``/``mkdir``/``chmod`` operands, ``sed -i`` files, ``dd of=``, ``curl -o``)
  are decided by the ``filesystem`` section as a redirection's target is (``/dev/null`` and
  friends excepted).
* Decisions are cached per policy (bounded); a policy never changes once built.

Code runs (``CodeAction``)
--------------------------

Python and JavaScript runs are allowed unless a command rule that matches the command
line ``python`` or ``python3`` (Python) or ``node`` or ``js`` (JavaScript) denies or asks;
``commands.default`` does not apply to them. Shell code is decided as a shell line.

Files (``FileAction``)
----------------------

``read``, ``list`` and ``stat`` are reads; ``write``, ``mkdir``, ``chmod`` and ``delete``
are writes. The path is normalised (relative paths are under ``/workspace``). Then:
``filesystem.deny`` (always wins, except for files ``filesystem.deny_except`` names, such
as ``**/.env.example`` next to a denied ``**/.env.*``, outside a denied directory) >
``filesystem.ask`` > ``read`` (reads: ``read`` or ``write`` patterns) / ``write`` (writes)
> ``filesystem.default`` (``deny`` once the section exists). Without a ``filesystem``
section every path is allowed.

Network (``NetAction``)
-----------------------

The host is normalised (case, trailing dot, brackets, IPv4-mapped IPv6, legacy numeric
IPv4 such as ``2852039166``). Names are not resolved here (the proxy resolves them and
calls :meth:`Policy.decide_net` with ``ip=``). The matching entries of ``network.allow``,
``network.ask``, ``network.deny`` and ``network.deny_cidrs`` compete by specificity (exact
host or single IP > CIDR by prefix length / ``*.suffix`` by length > ``*``), ties going to
the more restrictive. **Protected destinations** are denied unless the winning rule names
them exactly (cloud metadata: only an exact IP or host entry) or, for private and
loopback addresses, an ``allow`` CIDR contains them: cloud metadata addresses and names
(``169.254.169.254``, ``fd00:ec2::254``, ``metadata.google.internal``, ...), loopback
(``localhost``, ``127.0.0.0/8``, ``::1``) and private, link-local, shared and reserved
ranges. No winning rule: ``network.default`` (``deny`` unless set). With a resolved
address (``decide_net(host, ip=...)``) the address is checked as well (see there), so a
name cannot rebind to a denied range or to cloud metadata.

Tools (``ToolAction``)
----------------------

Without a ``tools`` section every tool is allowed. With one, the matching tool rules are
tried from the most specific method pattern (most literal characters; ties: deny > ask >
allow): a ``deny`` rule denies, an ``allow``/``ask`` rule whose constraints hold decides,
one whose constraints fail is skipped. Nothing left: denied, with the first constraint
violation as the reason, or ``tools.default`` when no rule matched. ``max_calls`` is
counted by the :class:`~corral.capabilities.Capabilities` from :meth:`tools_capabilities`.
"""

from __future__ import annotations

import functools
import posixpath
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from .. import saferegex
from ..budget import Budget
from ..capabilities import Capabilities, CapabilityError, MethodCapability
from ..events import (
    CodeAction,
    Decision,
    ExecAction,
    FileAction,
    NetAction,
    SpawnAction,
    ToolAction,
)
from ..net.address import embedded_ipv4, parse_ip
from ..net.address import protected as _protected
from .accounts import (
    ACCOUNT_PROGRAMS,
    PACKAGE_RUNNERS,
    account_hosts,
    account_program,
    package_command,
)
from .containers import CLIENTS as CONTAINER_CLIENTS
from .containers import container_commands, host_words
from .diskquery import asks_the_disk, is_raw_disk
from .encoded import decoded_commands, shell_variants
from .hosts import (
    CODE_PROGRAMS,
    HOST_PROGRAMS,
    code_hosts,
    command_hosts,
    interpreter_code,
    piped_hosts,
    written_addresses,
    written_file_kind,
    written_hosts,
)
from .mining import pool_endpoints
from .options import skip_options
from .patterns import (
    EXACT,
    GLOB,
    PROGRAM,
    REGEX,
    CommandPattern,
    HostPattern,
    PathPattern,
    compile_cidr,
    compile_host,
    normalize_host,
)
from .schema import REGISTRY_HOSTS, CommandRule, PolicyModel, ToolRule
from .shellsplit import Analysis, SimpleCommand, analyze, printed_text
from .spawns import code_commands
from .writes import WRITE_PROGRAMS, write_targets

__all__ = ["Policy"]

SEVERITY: Final = {"allow": 0, "ask": 1, "deny": 2}
VERDICTS: Final = ("allow", "ask", "deny")
GUEST_ROOT: Final = "/workspace"
MAX_DEPTH: Final = 6
#: at most this many commands are read in one decision, counting those a line runs
#: through ``eval``, ``sh -c``, decoders and interpreters (each costs tens of µs: a
#: 500 KB line of ``a;a;…`` took 20 s of the host's time); past it the line is refused
MAX_COMMANDS: Final = 10_000
_SUBJECT_LIMIT: Final = 160
_CACHE_LIMIT: Final = 4096


_READ_OPS: Final = frozenset({"read", "list", "stat"})
_SHELLS: Final = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "busybox", "fish", "tcsh", "csh", "yash"}
)
#: programs that rewrite text into a file (in place, or redirected): what they write is
#: configuration or code something runs later
_EDITORS: Final = frozenset({"sed", "perl", "jq", "yq", "awk", "gawk"})
#: programs that write text into a file without a redirection (the editors, ``tee``)
_WRITERS: Final = _EDITORS | {"tee"}
#: programs that search text: a pool address they are given is looked for, not reached
_SEARCHERS: Final = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep", "git"})
#: wrapper -> (options that take a value, positional arguments before the command)
WRAPPERS: Final[dict[str, tuple[frozenset[str], int]]] = {
    "nohup": (frozenset(), 0),
    "setsid": (frozenset(), 0),
    "exec": (frozenset({"-a"}), 0),
    "command": (frozenset(), 0),
    "builtin": (frozenset(), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "ionice": (frozenset({"-c", "-n", "-p", "--class", "--classdata"}), 0),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0),
    "xargs": (
        frozenset({"-n", "-I", "-P", "-d", "-a", "-L", "-s", "-E", "--max-args", "--delimiter"}),
        0,
    ),
    "watch": (frozenset({"-n", "-d", "--interval"}), 0),
    "sudo": (
        frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-R", "-T", "--user",
                   "--group", "--host", "--prompt", "--close-from", "--chdir", "--role",
                   "--type", "--other-user", "--chroot", "--command-timeout"}),
        0,
    ),
    "doas": (frozenset({"-u", "-C"}), 0),
    "pkexec": (frozenset({"--user"}), 0),
    "run0": (
        frozenset({"-u", "--user", "-g", "--group", "-D", "--chdir", "--setenv", "--property",
                   "--description", "--slice", "--unit", "--nice", "--machine",
                   "--background", "--shell-prompt-prefix"}),
        0,
    ),
    "taskset": (frozenset(), 1),
    "chrt": (frozenset(), 1),
    "strace": (frozenset({"-o", "-e", "-p", "-s", "-u", "-P"}), 0),
    "ltrace": (frozenset({"-o", "-e", "-p", "-s", "-u"}), 0),
    "torsocks": (frozenset(), 0),
    "proxychains": (frozenset({"-f"}), 0),
    "proxychains4": (frozenset({"-f"}), 0),
    "unbuffer": (frozenset(), 0),
    "flock": (frozenset({"-w", "-E", "--timeout"}), 1),
    "caffeinate": (frozenset(), 0),
    "xvfb-run": (frozenset({"-a", "-n", "-s", "-e", "-f"}), 0),
    "chroot": (frozenset({"--userspec", "--groups"}), 1),
    "nsenter": (frozenset({"-t", "--target"}), 0),
    "unshare": (frozenset(), 0),
    "firejail": (frozenset(), 0),
}
#: wrappers that change privileges, namespaces or routing, and container clients: looked
#: through, but they need a rule of their own (without one, commands.default applies to them)
_OPAQUE: Final = frozenset(
    {"sudo", "doas", "pkexec", "run0", "chroot", "nsenter", "unshare", "firejail", "strace",
     "ltrace", "torsocks", "proxychains", "proxychains4", *CONTAINER_CLIENTS}
)  # fmt: skip
#: wrappers that run their command as another user (root by default): inside corral's tiers
#: they gain nothing (no setuid, ``no_new_privs``, an unprivileged user), so the command is
#: decided as what it runs; ``NAME=value`` words before it are its environment (as ``env``'s)
#: and ``sudo -e FILE`` is ``sudoedit FILE`` (a write of FILE)
_PRIVILEGE_WRAPPERS: Final = frozenset({"sudo", "doas", "pkexec", "run0"})
#: options whose value is a command line the program runs in a shell (argument injection:
#: ``tar --to-command='sh -c …'``, ``rsync -e 'sh -c …'``, ``zip -TT cmd``, ``git
#: --upload-pack=cmd``): program -> those options (``--opt=value`` or ``--opt value``)
_COMMAND_OPTIONS: Final[dict[str, frozenset[str]]] = {
    "tar": frozenset({"--to-command", "--use-compress-program", "-I", "--rsh-command",
                      "--info-script", "--new-volume-script", "-F"}),
    "rsync": frozenset({"-e", "--rsh", "--rsync-path"}),
    "zip": frozenset({"-TT", "--unzip-command"}),
    "wget": frozenset({"--use-askpass"}),
    "git": frozenset({"--upload-pack", "--receive-pack", "--exec"}),
    "entr": frozenset({"-s"}),
    # build and search tools' shell lines: ``fd -x``, ``go test -exec``, ``rg --pre``
    # (package runners' ``npx -c``/``npm exec --call``: :func:`_embedded_scripts`)
    "fd": frozenset({"-x", "--exec", "-X", "--exec-batch"}),
    "fdfind": frozenset({"-x", "--exec", "-X", "--exec-batch"}),
    "go": frozenset({"-exec", "--exec", "-toolexec"}),
    "rg": frozenset({"--pre"}),
}  # fmt: skip
#: git settings whose value is a program git runs (``git -c core.sshCommand='…' fetch``)
_GIT_PROGRAM_KEY: Final = re.compile(
    r"(?i)^(?:core\.(?:sshcommand|fsmonitor|pager|editor|askpass|gitproxy)|sequence\.editor|"
    r"diff\.external|gpg\.(?:\w+\.)?program|credential\.(?:\S+\.)?helper|pager\.\S+|"
    r"(?:filter|diff|merge)\.\S+\.(?:clean|smudge|process|textconv|command|driver)|"
    r"uploadpack\.packobjectshook|alias\.\S+)="
)
#: meta-commands of database shells and debuggers that run a shell line (``\\! cmd``,
#: ``.shell cmd``, ``\\o |cmd``, ``system cmd``, gdb's ``shell cmd``/``!cmd``)
_META_SHELL: Final = saferegex.compile(
    r"^\s*(?:\\!|\\o\s*\||\.shell\s|\.system\s|system\s|shell\s|!)\s*(.+)$", re.S
)
_META_PROGRAMS: Final = frozenset({"psql", "sqlite3", "mysql", "mariadb", "gdb", "lldb"})
#: tmux commands whose operand is a shell line (``tmux new -d 'cmd'``, ``send-keys``)
_TMUX_RUNS: Final = frozenset(
    {"new", "new-session", "new-window", "neww", "split-window", "splitw", "respawn-pane",
     "respawnp", "respawn-window", "respawnw", "run-shell", "run", "send-keys", "send"}
)  # fmt: skip
_TMUX_VALUE_OPTS: Final = frozenset(
    {"-s", "-n", "-t", "-c", "-e", "-x", "-y", "-F", "-l", "-p", "-f", "-L", "-S", "-N"}
)
_SCREEN_VALUE_OPTS: Final = frozenset(
    {"-S", "-L", "-Logfile", "-c", "-t", "-e", "-h", "-p", "-s", "-T", "-X"}
)
_UNWRAPS: Final = frozenset(
    {*_SHELLS, *WRAPPERS, *PACKAGE_RUNNERS, *_COMMAND_OPTIONS, *_META_PROGRAMS, *CONTAINER_CLIENTS,
     "eval", "env", "find", "script", "parallel", "tmux", "screen", "npm"}
)  # fmt: skip
#: GNU parallel's options that take a value (the command template follows them)
_PARALLEL_VALUE_OPTS: Final = frozenset(
    {"-j", "--jobs", "-P", "--max-procs", "-S", "--sshlogin", "--sshloginfile", "-n",
     "--max-args", "-N", "-L", "--max-lines", "-l", "--delay", "--timeout", "--joblog",
     "--results", "--res", "-a", "--arg-file", "--colsep", "-C", "-d", "--delimiter", "-I",
     "--replace", "-E", "--eof", "--tagstring", "--workdir", "--wd", "--basefile", "--bf",
     "--retries", "--memfree", "--load", "--nice", "--tmpdir", "--env", "--shebang-wrap",
     "--termseq", "--halt", "--sshdelay", "--block", "--blocksize", "--header", "--limit"}
)  # fmt: skip
_NOTHING: Final[tuple[list[list[str]], list[str]]] = ([], [])
_ENV_VALUE_OPTS: Final = frozenset({"-u", "--unset", "-C", "--chdir"})
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON: Final = re.compile(r"^python[0-9.]*$")
_NOT_PATH_REDIRECTS: Final = frozenset({"<<", "<<-", "<<<", "<&"})
_DEVICE_OK: Final = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty"})
_MAYBE_PATH_SOURCE: Final = r" [^ ]*/| [~.]|=[~.]"
_MAYBE_PATH: Final = re.compile(_MAYBE_PATH_SOURCE).search
#: an argument that may be an IPv4 address (a host :mod:`corral.policy.hosts` names)
_MAYBE_ADDRESS_SOURCE: Final = r"|[ =]\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
_OPERATOR_IN_LINE: Final = re.compile(r"[|;&<>`]|\$\(")
#: string literals in interpreter code (the paths it names)
_CODE_STRING: Final = re.compile(r"'([^'\\\n]{1,4096})'|\"([^\"\\\n]{1,4096})\"")


#: code that writes files (Python, Node, Ruby, Perl, PHP primitives)
_CODE_WRITES: Final = re.compile(
    r"open\([^)]{0,300}['\"][wax]\+?b?['\"]|write_text|write_bytes|writeFile|appendFile|"
    r"createWriteStream|\.dump\(|safe_dump|File\.write|file_put_contents|shutil\.(copy|move)|"
    r"os\.(replace|rename)|\.rename\(|copyFile|>>?\s*['\"]"
)
#: a string that can be a file name (a dot or a slash, no spaces)
#: a file interpreter code writes, changes or deletes, named by the literal first argument
#: of the call (``writeFileSync('/etc/x', …)``, ``utimesSync('/etc/profile.d/x', …)``,
#: ``os.chmod('/usr/bin/x', …)``, ``open('/etc/cron.d/x', 'w')``, ``Path('/x').write_text``)
_CODE_WRITE_PATH: Final = saferegex.compile(
    r"(?:\b(?:writeFileSync|appendFileSync|utimesSync|lutimesSync|chmodSync|chownSync|"
    r"lchownSync|unlinkSync|rmSync|rmdirSync|truncateSync|writeFile|appendFile|utimes|"
    r"os\.(?:utime|chmod|chown|lchown|remove|unlink|truncate|rmdir|removedirs)|"
    r"shutil\.rmtree|File\.(?:write|delete|unlink|chmod|utime|truncate)|"
    r"FileUtils\.(?:rm\w*|touch|chmod\w*)|file_put_contents|touch|unlink)\(\s*"
    r"['\"]([/~][^'\"\n]{0,4095})['\"]"
    r"|\bopen\(\s*['\"]([/~][^'\"\n]{0,4095})['\"]\s*,\s*['\"][rb]?[wax+]"
    r"|\bPath\(\s*['\"]([/~][^'\"\n]{0,4095})['\"]\s*\)\s*\.(?:write_text|write_bytes|"
    r"touch|unlink|chmod|rename|symlink_to|mkdir|rmdir))"
)
_FILE_NAME: Final = re.compile(r"^[\w.~/-]*[./][\w.~/-]*$")
#: code that takes its files from its arguments (``sys.argv``, ``process.argv``, ``ARGV``)
#: and writes, changes or deletes files: the paths given after the code are its targets
#: (``python3 -c "…os.utime(…) for … in os.walk(sys.argv[1])" /etc/systemd/system``)
_CODE_ARGV: Final = saferegex.compile(
    r"\bsys\.argv\b|\bprocess\.argv\b|@?\bARGV\b|\$ARGV\b|commandArgs\("
)
_CODE_CHANGES: Final = saferegex.compile(
    r"\b(?:writeFileSync|appendFileSync|utimesSync|chmodSync|chownSync|unlinkSync|rmSync|"
    r"truncateSync|os\.(?:utime|chmod|chown|lchown|remove|unlink|truncate|rmdir|removedirs|"
    r"replace|rename)|shutil\.(?:rmtree|copy\w*|move)|File\.(?:write|delete|unlink|chmod|"
    r"utime|truncate)|FileUtils\.\w+|file_put_contents|write_text|write_bytes|unlink|"
    r"touch)\s*\(|\bopen\([^)]{0,300}['\"][rb]?[wax]\+?b?['\"]"
)
_MAX_CODE: Final = 65536
_ASK_WRITE_WHY: Final = (
    " (a file of the agents' control plane: their instructions and settings, the grader's "
    "files, startup files; changing it changes what an agent, the grader, a later session "
    "or git on the host is allowed or made to do)"
)


# ----------------------------------------------------------------------------- internals


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    verdict: str
    severity: int
    pattern: CommandPattern
    principle: str | None
    reason: str | None
    origin: str
    sort_key: tuple[int, int, int, int]
    test: Callable[[str, str], bool]


def _tester(pat: CommandPattern) -> Callable[[str, str], bool]:
    """A fast ``(base line, full line) -> bool`` for a pattern (see ``CommandPattern.matches``).

    Program rules are only ever tried on lines of their own program (they sit in that
    program's bucket), so without a path they match at once.
    """
    if pat.kind == PROGRAM and not pat.full_path:
        return lambda base, full: True
    if pat.kind in (PROGRAM, EXACT) or pat.full_path:
        return pat.matches
    rx = pat.regex
    assert rx is not None
    if pat.kind == GLOB:
        fullmatch = rx.fullmatch
        prefix = pat.glob_prefix
        if prefix:  # most lines fail on their first characters: no regex for them
            return lambda base, full: base.startswith(prefix) and fullmatch(base) is not None
        return lambda base, full: fullmatch(base) is not None
    search = rx.search
    return lambda base, full: (
        search(base) is not None or (full is not base and search(full) is not None)
    )


@dataclass(frozen=True, slots=True)
class _Result:
    """One finding: severity, what decided (a rule, a default, a path check) and on what."""

    severity: int
    kind: str  # "rule", "default", "path", "write", "file", "net", "empty"
    rule: _Rule | None
    subject: str
    extra: Any = None


@dataclass(frozen=True, slots=True)
class _HostRule:
    id: str
    verdict: str
    severity: int
    pattern: HostPattern
    sort_key: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _ToolRule:
    id: str
    rule: ToolRule
    severity: int
    sort_key: tuple[int, int, int]


@dataclass(frozen=True)
class RuleInfo:
    """What ``corral policy explain`` shows about a rule."""

    id: str
    text: str
    verdict: str
    principle: str | None
    principle_text: str | None
    reason: str | None
    origin: str


_construct = Decision.model_construct


def _decision(
    *, verdict: str, rule: str | None = None, principle: str | None = None, reason: str = ""
) -> Decision:
    """A :class:`Decision` without re-validating what the engine built itself."""
    return _construct(verdict=verdict, rule=rule, principle=principle, reason=reason)


def _worse(a: _Result | None, b: _Result | None) -> _Result | None:
    if b is None:
        return a
    if a is None or b.severity > a.severity:
        return b
    return a


#: a pattern longer than this is cut in a decision's reason (``corral policy explain`` shows
#: it whole): the reason is what an agent reads, and the effect named after it matters
_SHOWN_LIMIT: Final = 120


def _shown(pattern: CommandPattern) -> str:
    """``pattern`` as a reason quotes it, cut when long."""
    shown = pattern.shown
    return shown if len(shown) <= _SHOWN_LIMIT else shown[: _SHOWN_LIMIT - 20] + "…'"


def _short(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= _SUBJECT_LIMIT else text[: _SUBJECT_LIMIT - 3] + "..."


def _view(argv: list[str]) -> tuple[str, str, str]:
    """(program base name, line with base name, line with the program as given)."""
    first = argv[0]
    if "/" in first and " " not in first:
        prog = first.rsplit("/", 1)[1] or first
        full = " ".join(argv)
        base = prog if len(argv) == 1 else prog + " " + " ".join(argv[1:])
        return prog, base, full
    line = " ".join(argv)
    return first, line, line


def _unwrap(argv: list[str]) -> tuple[list[list[str]], list[str]]:
    """Inner commands and scripts that ``argv`` runs (see the module docstring)."""
    prog = argv[0].rsplit("/", 1)[-1]
    if prog not in _UNWRAPS and not prog.startswith("python"):
        return _NOTHING
    args = argv[1:]
    if prog in _SHELLS:
        if prog == "busybox":
            return ([args] if args else []), []
        for j, a in enumerate(args):
            if a == "--" or not a.startswith("-"):
                break
            if not a.startswith("--") and "c" in a[1:]:
                rest = [x for x in args[j + 1 :]]
                return [], ([rest[0]] if rest else [])
        return [], []
    if prog == "eval":
        return [], ([" ".join(args)] if args else [])
    if prog == "env":
        i = 0
        scripts: list[str] = []
        while i < len(args):
            a = args[i]
            if a in ("-S", "--split-string") and i + 1 < len(args):
                scripts.append(" ".join(args[i + 1 :]))
                return [], scripts
            if a.startswith("-S") and len(a) > 2:
                scripts.append(" ".join([a[2:], *args[i + 1 :]]))
                return [], scripts
            if a == "--":
                i += 1
                break
            if a.startswith("-") and len(a) > 1:
                i += 2 if a in _ENV_VALUE_OPTS else 1
                continue
            if _ASSIGNMENT.match(a):
                i += 1
                continue
            break
        rest = args[i:]
        return ([rest] if rest else []), []
    if prog == "script":  # script -c CMD [FILE]: CMD runs in a shell under a new terminal
        for j, a in enumerate(args):
            if a.startswith("--command="):
                return [], [a.split("=", 1)[1]]
            if (a == "--command" or (a[:1] == "-" and a[1:2] != "-" and a.endswith("c"))) and (
                j + 1 < len(args)
            ):
                return [], [args[j + 1]]
        return [], []
    if prog == "command" and args[:1] and args[0] in ("-v", "-V"):
        return [], []
    if prog in _COMMAND_OPTIONS or prog in _META_PROGRAMS:
        return [], _option_commands(prog, args)
    if prog == "tmux":  # tmux new -d 'curl … | sh', send-keys -t x 'cmd' Enter
        j = next((k for k, a in enumerate(args) if a in _TMUX_RUNS), None)
        if j is None:
            return [], []
        rest = skip_options(args[j + 1 :], _TMUX_VALUE_OPTS, 0)
        words = [w for w in rest if w not in ("Enter", "C-m", "KPEnter")]
        return [], ([" ".join(words)] if words else [])
    if prog == "screen":  # screen -dmS name cmd args: cmd runs in a new session
        k = 0
        while k < len(args) and args[k].startswith("-") and args[k] != "--":
            a = args[k]
            k += 2 if a in _SCREEN_VALUE_OPTS or "-" + a[-1:] in _SCREEN_VALUE_OPTS else 1
        rest = args[k + (args[k : k + 1] == ["--"]) :]
        return ([rest] if rest else []), []
    if prog == "npm":  # npm pkg set scripts.postinstall='cmd': runs at the next install
        if args[:2] != ["pkg", "set"]:
            return [], []
        return [], [a.split("=", 1)[1] for a in args[2:] if a.startswith("scripts.") and "=" in a]
    if prog == "parallel":  # parallel [opts] 'CMD {}' ::: args: CMD runs in a shell
        rest = skip_options(args, _PARALLEL_VALUE_OPTS, 0)
        end = next((k for k, a in enumerate(rest) if a in (":::", "::::", ":::+", "::::+")),
                   len(rest))  # fmt: skip
        return [], ([" ".join(rest[:end])] if end else [])
    if prog == "watch" and args:  # watch 'curl … | sh': one word is a shell line
        rest = skip_options(args, WRAPPERS["watch"][0], 0)
        if len(rest) == 1 and " " in rest[0]:
            return [], rest
    if prog in CONTAINER_CLIENTS:  # docker run IMAGE CMD, docker exec CTR CMD: what runs
        return container_commands(prog, args), []
    if prog in PACKAGE_RUNNERS:  # npx wrangler@3 deploy, uvx twine upload, pnpm dlx x
        inner = package_command(argv)
        return ([inner] if inner else []), []
    if prog == "find":
        inner: list[list[str]] = []
        i = 0
        while i < len(args):
            if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
                j = i + 1
                while j < len(args) and args[j] not in (";", "+", "\\;"):
                    j += 1
                if j > i + 1:
                    inner.append(args[i + 1 : j])
                i = j
            i += 1
        return inner, []
    if _PYTHON.match(prog):
        for j, a in enumerate(args):
            if a == "-m" and j + 1 < len(args):
                return [args[j + 1 :]], []
            if a == "-c" or not a.startswith("-"):
                break
        return [], []
    spec = WRAPPERS.get(prog)
    if spec is None:
        return [], []
    rest = skip_options(args, *spec)
    if prog in _PRIVILEGE_WRAPPERS:
        return _privileged(prog, args, rest), []
    return ([rest] if rest else []), []


def _sudo_edits(opts: list[str]) -> bool:
    """Whether sudo's options ``opts`` hold ``-e``/``--edit`` (in a cluster, before an
    option whose value the rest of the word is)."""
    values = WRAPPERS["sudo"][0]
    for o in opts:
        if o == "--edit":
            return True
        if o[:1] != "-" or o[1:2] == "-":
            continue
        for ch in o[1:]:
            if ch == "e":
                return True
            if "-" + ch in values:
                break
    return False


def _innermost(argv: list[str]) -> list[str]:
    """The command ``argv`` runs through wrappers (``sudo``, ``env``, ``nice``, ...) when
    it runs exactly one; ``argv`` itself otherwise."""
    for _ in range(MAX_DEPTH):
        inner, scripts = _unwrap(argv)
        if len(inner) != 1 or scripts:
            break
        argv = inner[0]
    return argv


def _privileged(prog: str, args: list[str], rest: list[str]) -> list[list[str]]:
    """What ``sudo``/``doas``/``pkexec``/``run0`` with options ``args[:-len(rest)]`` run:
    ``rest`` itself, ``env``'s view of it when it starts with assignments (``sudo
    LD_PRELOAD=x.so cmd``), ``sudoedit`` of its operands for ``sudo -e``."""
    if prog == "sudo" and _sudo_edits(args[: len(args) - len(rest)]):
        return [["sudoedit", *rest]] if rest else []
    if rest and _ASSIGNMENT.match(rest[0]):
        return [["env", *rest]]
    return [rest] if rest else []


#: rules per combined screen regex: past about this many, RE2's lazily built DFA for one
#: alternation of them outgrows its memory and restarts, and two scans cost less than one
#: (round 13: 71 rules in chunks of 24 left a last chunk that searched ~10x slower)
_SCREEN_CHUNK: Final = 18


def _screen(
    rules: tuple[_Rule, ...],
) -> tuple[tuple[Callable[[str], Any], tuple[_Rule, ...]], ...] | None:
    """Combined regexes that say quickly which of ``rules`` could match a line: one per
    :data:`_SCREEN_CHUNK` rules, each with the rules it screens (a rule is tried only when
    its chunk's regex matches).

    ``None`` (always try every rule) when a pattern cannot be combined (back-references,
    inline flags).
    """
    if _screen_source(rules) is None:
        return None
    screens = []
    for i in range(0, len(rules), _SCREEN_CHUNK):
        chunk = rules[i : i + _SCREEN_CHUNK]
        source = _screen_source(chunk)
        if source is None:
            return None
        screens.append((saferegex.compile(source, re.DOTALL).search, chunk))
    return tuple(screens)


#: a pattern's leading global inline flags (``(?i)``), scoped in a combined screen
_LEADING_FLAGS: Final = re.compile(r"^\(\?([ims]+)\)")


def _screen_source(rules: tuple[_Rule, ...]) -> str | None:
    """The source of :func:`_screen`'s regex (compiled with ``re.DOTALL``), or ``None``."""
    if not rules:
        return None
    parts = []
    for rule in rules:
        pat = rule.pattern
        if pat.kind not in (GLOB, REGEX) or pat.full_path or pat.regex is None:
            return None
        source = pat.regex.pattern
        if pat.kind == GLOB:
            source = f"^(?:{source})\\Z"
        flags = _LEADING_FLAGS.match(source)
        if flags is not None:  # (?i)x -> (?i:x): a global flag cannot sit mid-pattern
            source = f"(?{flags.group(1)}:{source[flags.end():]})"
        parts.append(f"(?:{_without_lookaround(source)})")
    source = "|".join(parts)
    try:
        combined = saferegex.compile(source, re.DOTALL)
        groups = sum(saferegex.compile(part, re.DOTALL).groups for part in parts)
    except re.error:
        return None
    if combined.groups != groups:
        return None
    return source


def _without_lookaround(source: str) -> str:
    """``source`` with its lookaround groups (``(?!…)``, ``(?=…)``, ``(?<!…)``,
    ``(?<=…)``) left out: a pattern that matches wherever ``source`` does (a screen may
    say yes too often, never too rarely), and one RE2 can run, so the screen of many rules
    stays one linear scan. A source it cannot read safely is returned as it is."""
    if "(?" not in source:
        return source
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        if c == "[":  # a class: copied whole (a "(" in it is a character)
            j = i + 1
            if j < n and source[j] == "^":
                j += 1
            if j < n and source[j] == "]":
                j += 1
            while j < n and source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            out.append(source[i : j + 1])
            i = j + 1
            continue
        if source.startswith(("(?!", "(?=", "(?<!", "(?<="), i):
            depth, j = 0, i
            while j < n:
                if source[j] == "\\":
                    j += 2
                    continue
                if source[j] == "[":
                    j += 1
                    while j < n and source[j] != "]":
                        j += 2 if source[j] == "\\" else 1
                elif source[j] == "(":
                    depth += 1
                elif source[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                return source
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _catches_all(pat: CommandPattern, prog: str) -> bool:
    """Whether ``pat`` matches every line of the program ``prog`` (``prog``, ``prog *``)."""
    if pat.full_path or pat.line_rule:
        return False
    if pat.kind == PROGRAM:
        return True
    return pat.kind == GLOB and pat.words == (prog, "*")


#: options whose value is a pattern of files left out, not a file used
_EXCLUDE_OPTIONS: Final = ("--exclude", "--ignore", "--skip")


def _path_like(arg: str) -> str | None:
    if arg.startswith("-") and "=" in arg:
        name, arg = arg.split("=", 1)
        if name.startswith(_EXCLUDE_OPTIONS):
            return None
    elif "=" in arg and arg[:1].isalpha():  # dd if=/dev/sda, KUBECONFIG=/home/u/.kube/x
        name, value = arg.split("=", 1)
        if value[:1] in ("/", "~") and name.replace("_", "").isalnum():
            arg = value
    if not arg or "://" in arg:
        return None
    if "/" in arg or arg.startswith(("~", ".")):
        return arg
    return None


def _option_commands(prog: str, args: list[str]) -> list[str]:
    """The shell lines ``prog`` is told to run by an option (:data:`_COMMAND_OPTIONS`) or
    a meta-command (``psql -c '\\! cmd'``, ``sqlite3 db '.shell cmd'``, ``gdb -ex 'shell
    cmd'``)."""
    found: list[str] = []
    opts = _COMMAND_OPTIONS.get(prog, frozenset())
    for j, a in enumerate(args[:256]):
        name, eq, value = a.partition("=")
        if eq and name in opts and name.startswith("--"):
            found.append(value)
        elif a in opts and j + 1 < len(args):
            found.append(args[j + 1])
        elif prog == "tar" and name == "--checkpoint-action" and value.startswith("exec="):
            found.append(value[5:])
        elif prog == "git" and a == "-c" and j + 1 < len(args):
            m = _GIT_PROGRAM_KEY.match(args[j + 1])
            if m is not None:
                value = args[j + 1][m.end() :]
                if not args[j + 1].lower().startswith("alias.") or value.startswith("!"):
                    found.append(value.lstrip("!"))
        if prog in _META_PROGRAMS and ("!" in a or "shell" in a or "system" in a or "|" in a):
            m = _META_SHELL.match(a)
            if m is not None:
                found.append(m.group(1))
    return found


def _embedded_scripts(prog: str, args: list[str]) -> list[str]:
    """The shell lines a program's arguments hand to a shell (:func:`_embedded_shell`),
    whatever the program: ``rg --pre``, ``fd -x``, ``go test -exec``, ``npx -c``, ``make
    SHELL=``, ``GIT_EXTERNAL_DIFF=``, ``LESSOPEN='|…'``, a hook written into a config."""
    if prog in _PRINTERS:
        return []
    found: list[str] = []
    runner = _RUNNER_SCRIPT_OPTIONS.get(prog, frozenset())
    for j, a in enumerate(args[:256]):
        if j and args[j - 1] in _MESSAGE_OPTIONS:
            continue
        if j and args[j - 1] in runner:  # npx -c 'cmd', npm exec --call 'cmd'
            found.append(a)
            continue
        name, eq, value = a.partition("=")
        if eq and name in runner:  # npm run x --script-shell=/tmp/.sh
            found.append(value)
            continue
        embedded = _embedded_shell(a)
        if embedded and embedded not in found:
            found.append(embedded)
    return found[:8]


#: package runners' options whose value is a shell line or the shell scripts run with
_RUNNER_SCRIPT_OPTIONS: Final = {
    "npx": frozenset({"-c", "--call"}),
    "npm": frozenset({"-c", "--call", "--script-shell"}),
    "pnpm": frozenset({"--shell-mode", "--script-shell"}),
    "yarn": frozenset({"--script-shell"}),
}
#: programs whose arguments are text they print (a shell line in them is data)
_PRINTERS: Final = frozenset({"echo", "printf", "logger", "wall", "notify-send"})
#: options whose value is a message (``git commit -m "use sh -c …"``)
_MESSAGE_OPTIONS: Final = frozenset({"-m", "--message", "--title", "--body", "--subject"})
#: a shell told to run a line inside one argument (``rg --pre 'sh -c "…"'``, ``make
#: SHELL='/bin/sh -c "…" #'``, ``GIT_EXTERNAL_DIFF='bash -c …'``, a hook list's item)
_EMBEDDED_SHELL: Final = saferegex.compile(
    r"(?:^|[\s'\"=\[(,:])(?:/usr)?(?:/bin/)?(?:ba|da|z|k)?sh\s+(?:-[a-z]*\s+)*-[a-z]*c\s+(.+)"
)


def _embedded_shell(arg: str) -> str | None:
    """The shell line one argument makes a shell run: after a ``sh -c`` inside it (one
    layer of quotes taken off), or after a leading ``|`` (``LESSOPEN='|curl …|sh'``, an
    ``open`` pipe); ``None`` for any other argument."""
    if len(arg) < 6 or len(arg) > _MAX_CODE:
        return None
    value = arg.split("=", 1)[1] if "=" in arg[:64] and arg[:1] != "|" else arg
    if value.startswith("|") and " " in value:
        return value[1:].strip() or None
    if "sh" not in arg or "-" not in arg:
        return None
    m = _EMBEDDED_SHELL.search(arg)
    if m is None:
        return None
    rest = m.group(1).strip()
    if rest[:1] in ("'", '"'):
        end = rest.rfind(rest[0])
        rest = rest[1:end] if end > 0 else rest[1:]
    return rest.strip() or None


def _changed_dir(target: str, cwd: str) -> str:
    """The directory ``cd target`` moves to when the policy can place it (a literal path,
    ``~``); otherwise ``cwd`` (a variable or ``-``: the kernel decides later writes)."""
    if not target or target == "-" or any(c in target for c in "$`*?[{"):
        return cwd
    if target.startswith("/") or target.startswith("~"):
        return _normalize_path(target, cwd)
    if ".." in target.split("/"):
        return cwd
    return _normalize_path(target, cwd)


def _interpreter(prog: str) -> bool:
    """Whether ``prog`` runs code given on its command line (``python3 -c``, ``node -e``)."""
    return prog in CODE_PROGRAMS or _PYTHON.match(prog) is not None


def _expand_home(path: str) -> str:
    """``$HOME/x`` and ``${HOME}/x`` written as ``~/x`` (kept so that patterns can name
    the home; :func:`_home_placed` gives the place, ``/workspace``);
    ``~user/x`` under that user's home (``/root`` for root, ``/home/user`` otherwise).
    Other paths are returned as given."""
    for var in ("${HOME}", "$HOME"):
        if path == var or path.startswith(var + "/"):
            path = "~" + path[len(var) :]
    if not path.startswith("~"):
        return path
    if path.startswith("~/") and ".." in path.split("/"):
        return GUEST_ROOT + path[1:]  # ~/../bob: out of the home (HOME is /workspace)
    user, sep, rest = path[1:].partition("/")
    if not user or not sep:
        return path  # ~ and ~/x: the home; ~word alone is often not a path (sbt ~test)
    if not re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", user):
        return path
    home = "/root" if user == "root" else "/home/" + user
    return home + sep + rest


def _home_placed(norm: str) -> str:
    """A normalized ``~``/``~/x`` where it is: the sandbox's ``HOME`` is ``/workspace``
    in every tier (the wasm shell's, bwrap's and gVisor's environment); any other path
    as given."""
    if norm == "~":
        return GUEST_ROOT
    if norm.startswith("~/"):
        return posixpath.normpath(GUEST_ROOT + norm[1:])
    return norm


def _normalize_path(path: str, cwd: str = GUEST_ROOT) -> str:
    path = _expand_home(path)
    if path.startswith("~"):
        return path
    if not path.startswith("/"):
        path = posixpath.join(cwd or GUEST_ROOT, path)
    norm = posixpath.normpath(path)
    return "/" + norm.lstrip("/") if norm.startswith("//") else norm


@lru_cache(maxsize=2048)
def _analyze_memo(text: str) -> Analysis:
    return analyze(text, max_commands=MAX_COMMANDS)


def _analyze_cached(text: str) -> Analysis:
    """The static split of a script (read up to :data:`MAX_COMMANDS` commands), memoized
    for short scripts (results are not mutated)."""
    if len(text) <= 4096:
        return _analyze_memo(text)
    return analyze(text, max_commands=MAX_COMMANDS)


class _Work(threading.local):
    """How many more commands the decision this thread is making may read (None: no
    decision under way)."""

    left: int | None = None


def _bounded(method: Callable[..., _Result]) -> Callable[..., _Result]:
    """The outermost evaluation of a decision gives it :data:`MAX_COMMANDS` to spend;
    the evaluations it makes spend from the same count."""

    @functools.wraps(method)
    def run(self: Policy, *args: Any, **kwargs: Any) -> _Result:
        work = self._work
        if work.left is not None:
            return method(self, *args, **kwargs)
        work.left = MAX_COMMANDS
        try:
            return method(self, *args, **kwargs)
        finally:
            work.left = None

    return run


# --------------------------------------------------------------------------------- Policy


class Policy:
    """A validated, compiled policy. Implements :class:`corral.events.Gate`.

    Build one with :meth:`load`, :meth:`from_yaml`, :meth:`from_dict`, :meth:`builtin` or
    :meth:`layer`; the constructor takes an already validated :class:`PolicyModel`.
    Policies are immutable and thread-safe; decisions are cached (bounded).
    """

    def __init__(self, model: PolicyModel, *, source: str = "<policy>", cache: bool = True) -> None:
        self.model = model
        self.source = source
        self._work = _Work()
        self._cache: dict[Any, Decision] = {}
        self._cache_on = cache
        self._compile_commands()
        self._compile_files()
        self._compile_network()
        self._compile_tools()
        from .lint import lint

        self.warnings: list[str] = lint(self)

    # -- constructors ---------------------------------------------------------------

    @classmethod
    def load(cls, path: Any) -> Policy:
        """Load from a path (or anything :func:`corral.policy.load` accepts)."""
        from .loader import load

        return load(path)

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> Policy:
        from .loader import from_yaml

        return from_yaml(text, source=source)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Policy:
        from .loader import from_dict

        return from_dict(data, source=source)

    @classmethod
    def builtin(cls, name: str) -> Policy:
        """``default``, ``strict`` or ``permissive``."""
        from .loader import builtin

        return builtin(name)

    @classmethod
    def layer(cls, base: Policy, override: Policy) -> Policy:
        """``override`` layered over ``base`` (see :mod:`corral.policy.loader`)."""
        from .loader import layer

        return layer(base, override)

    def __repr__(self) -> str:
        return f"<Policy {self.source} {self.rule_counts()}>"

    # -- compiled sections --------------------------------------------------------------

    def _compile_commands(self) -> None:
        cmds = self.model.commands
        self.has_commands = cmds is not None
        if cmds is None:
            self.commands_default = "allow"
        else:
            self.commands_default = cmds.default or "deny"
        rules: list[_Rule] = []
        self._rules_by_id: dict[str, _Rule] = {}
        order = 0
        for verdict in ("deny", "ask", "allow"):
            items: list[CommandRule] = getattr(cmds, verdict) if cmds is not None else []
            for i, item in enumerate(items):
                pat = item.pattern
                sev = SEVERITY[verdict]
                rule = _Rule(
                    id=f"commands.{verdict}[{i}]",
                    verdict=verdict,
                    severity=sev,
                    pattern=pat,
                    principle=item.principle,
                    reason=item.reason,
                    origin=item.origin,
                    sort_key=(-pat.prefix_len, -pat.level, -sev, order),
                    test=_tester(pat),
                )
                order += 1
                rules.append(rule)
                self._rules_by_id[rule.id] = rule
        self._command_rules = rules
        # deny/ask rules without a literal prefix match anywhere, outside specificity
        anywhere = [r for r in rules if r.pattern.prefix_len == 0 and r.severity > 0]
        ranked = [r for r in rules if not (r.pattern.prefix_len == 0 and r.severity > 0)]
        anywhere.sort(key=lambda r: (-r.severity, r.sort_key))
        self._cmd_index, self._cmd_wild = self._index(
            [r for r in ranked if not r.pattern.line_rule]
        )
        self._line_index, self._line_wild = self._index([r for r in ranked if r.pattern.line_rule])
        self._cmd_anywhere = tuple(r for r in anywhere if not r.pattern.line_rule)
        self._line_anywhere = tuple(r for r in anywhere if r.pattern.line_rule)
        self._cmd_screen = _screen(self._cmd_anywhere)
        self._line_screen = _screen(self._line_anywhere)
        self._default_result_severity = SEVERITY[self.commands_default]
        progs = cmds.programs if cmds is not None else None
        self.programs_memory: str = (progs.memory if progs else None) or (
            "deny" if cmds is not None else "allow"
        )
        self.programs_user: str = (progs.user if progs else None) or "allow"

    @staticmethod
    def _index(rules: list[_Rule]) -> tuple[dict[str, tuple[_Rule, ...]], tuple[_Rule, ...]]:
        buckets: dict[str, list[_Rule]] = {}
        wild: list[_Rule] = []
        for r in rules:
            if r.pattern.program:
                buckets.setdefault(r.pattern.program, []).append(r)
            else:
                wild.append(r)
        index = {
            prog: tuple(sorted(lst + wild, key=lambda r: r.sort_key))
            for prog, lst in buckets.items()
        }
        return index, tuple(sorted(wild, key=lambda r: r.sort_key))

    def _compile_files(self) -> None:
        fs = self.model.filesystem
        self.has_filesystem = fs is not None
        self.filesystem_default = (fs.default or "deny") if fs is not None else "allow"
        self._fs: dict[str, list[PathPattern]] = {
            key: (fs.compiled(key) if fs is not None else [])
            for key in ("read", "write", "ask", "ask_write", "deny", "deny_except")
        }
        # one combined regex per list: most paths match none, and one search says so
        self._fs_any = {
            key: saferegex.compile("|".join(f"(?:{p.regex.pattern})" for p in pats), re.DOTALL)
            for key, pats in self._fs.items()
            if pats
        }
        self._fs_deny_any = self._fs_any.get("deny")

    def _compile_network(self) -> None:
        net = self.model.network
        self.has_network = net is not None
        self.network_default = (net.default if net is not None else None) or "deny"
        rules: list[_HostRule] = []
        if net is not None:
            for key, verdict in (
                ("deny", "deny"),
                ("deny_cidrs", "deny"),
                ("ask", "ask"),
                ("allow", "allow"),
            ):
                texts = getattr(net, key)
                pats = (
                    [compile_cidr(t) for t in texts] if key == "deny_cidrs" else net.compiled(key)
                )
                for i, pat in enumerate(pats):
                    sev = SEVERITY[verdict]
                    rules.append(
                        _HostRule(
                            id=f"network.{key}[{i}]",
                            verdict=verdict,
                            severity=sev,
                            pattern=pat,
                            sort_key=(-pat.specificity[0], -pat.specificity[1], -sev),
                        )
                    )
            if net.registries:
                for i, host in enumerate(REGISTRY_HOSTS):
                    pat = compile_host(host)
                    rules.append(
                        _HostRule(
                            id=f"network.registries[{i}]",
                            verdict="allow",
                            severity=0,
                            pattern=pat,
                            sort_key=(-pat.specificity[0], -pat.specificity[1], 0),
                        )
                    )
        rules.sort(key=lambda r: r.sort_key)
        self._host_rules = rules
        self._host_by_id = {r.id: r for r in rules}

    def _compile_tools(self) -> None:
        tools = self.model.tools
        self.has_tools = tools is not None
        compiled: list[_ToolRule] = []
        for i, rule in enumerate(tools or []):
            sev = SEVERITY[rule.verdict]
            literal = len(rule.method.replace("*", ""))
            compiled.append(_ToolRule(f"tools[{i}]", rule, sev, (-literal, -sev, i)))
        compiled.sort(key=lambda r: r.sort_key)
        self._tool_rules = compiled

    # -- public information -------------------------------------------------------------

    @property
    def principles(self) -> dict[str, str]:
        return dict(self.model.principles)

    @property
    def approval_timeout_s(self) -> float:
        return self.model.approvals.timeout_s if self.model.approvals else 120.0

    @property
    def approval_default(self) -> str:
        """What an unanswered question becomes: ``deny`` unless the policy says ``allow``."""
        return self.model.approvals.default if self.model.approvals else "deny"

    @property
    def approval_webhook(self) -> str | None:
        """Where ``corral serve`` posts each question (``approvals.webhook``), if anywhere."""
        return self.model.approvals.webhook if self.model.approvals else None

    def rule_counts(self) -> dict[str, int]:
        """How many rules each section holds (for ``corral policy check``)."""
        m = self.model
        counts = {
            f"commands.{v}": len(getattr(m.commands, v)) if m.commands else 0 for v in VERDICTS
        }
        for key in ("read", "write", "ask", "ask_write", "deny"):
            counts[f"filesystem.{key}"] = len(getattr(m.filesystem, key)) if m.filesystem else 0
        for key in ("allow", "ask", "deny", "deny_cidrs"):
            counts[f"network.{key}"] = len(getattr(m.network, key)) if m.network else 0
        counts["tools"] = len(m.tools or [])
        counts["principles"] = len(m.principles)
        return counts

    def rule_info(self, rule_id: str) -> RuleInfo | None:
        """Details of a rule by id (``None`` for ``*.default`` and protection ids)."""
        r = self._rules_by_id.get(rule_id)
        if r is not None:
            return RuleInfo(
                r.id,
                r.pattern.text,
                r.verdict,
                r.principle,
                self.model.principles.get(r.principle) if r.principle else None,
                r.reason,
                r.origin,
            )
        m = re.fullmatch(r"(filesystem|network)\.(\w+)\[(\d+)\]", rule_id)
        if m is not None:
            section, key, index = m.group(1), m.group(2), int(m.group(3))
            part = getattr(self.model, section)
            items = getattr(part, key, None) if part is not None else None
            if not isinstance(items, list) or index >= len(items):
                return None
            verdicts = {"read": "allow", "write": "allow", "allow": "allow", "ask": "ask"}
            verdict = verdicts.get(key, "ask" if key == "ask_write" else "deny")
            text = items[index]
            origin = self.model.origin_of(section, key, text)
            return RuleInfo(rule_id, text, verdict, None, None, None, origin)
        for t in self._tool_rules:
            if t.id == rule_id:
                rule = t.rule
                return RuleInfo(
                    t.id,
                    rule.method,
                    rule.verdict,
                    rule.principle,
                    self.model.principles.get(rule.principle) if rule.principle else None,
                    rule.reason,
                    rule.origin,
                )
        return None

    def budget(self) -> Budget:
        """A :class:`corral.budget.Budget` from the ``budgets`` section (defaults elsewhere)."""
        b = self.model.budgets
        if b is None:
            return Budget()
        fields = (
            "wall_s",
            "fuel",
            "memory_mb",
            "output_chars",
            "disk_mb",
            "disk_files",
            "tool_calls",
        )
        values = {k: getattr(b, k) for k in fields if getattr(b, k) is not None}
        return Budget(**values)

    @property
    def extra_budgets(self) -> dict[str, float]:
        """Budgets that :class:`~corral.budget.Budget` does not hold (``cpu_s``,
        ``net_out_mb``, ``gpu_memory_mb``)."""
        b = self.model.budgets
        if b is None:
            return {}
        keys = ("cpu_s", "net_out_mb", "gpu_memory_mb")
        return {k: getattr(b, k) for k in keys if getattr(b, k) is not None}

    @property
    def gpu(self) -> bool:
        """Whether a native sandbox gets the host's GPU devices (``devices.gpu``)."""
        return bool(self.model.devices and self.model.devices.gpu)

    def tools_capabilities(self) -> Capabilities:
        """:class:`~corral.capabilities.Capabilities` for the tools section.

        Allow and ask rules become grants (with their constraints and ``max_calls``); deny
        rules are left out (:meth:`decide` refuses them first). Without a ``tools``
        section every method is granted. ``budgets.tool_calls`` is the total limit.
        """
        total = self.model.budgets.tool_calls if self.model.budgets else None
        if self.model.tools is None:
            return Capabilities([MethodCapability("**")], max_total_calls=total)
        caps = [r.capability for r in self.model.tools if r.verdict != "deny"]
        return Capabilities(caps, max_total_calls=total)

    # -- deciding -------------------------------------------------------------------------

    def decide(self, action: Any, session: str | None = None) -> Decision:
        """Decide on an action (the :class:`~corral.events.Gate` protocol).

        ``action`` is any :data:`corral.events.Action`; a plain string is taken as a
        shell command line. ``session`` is not used by the policy itself.
        """
        if isinstance(action, ExecAction):
            key: Any = ("exec", tuple(action.argv), action.line, action.cwd)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            return self._remember(key, self._decide_exec(action.argv, action.cwd, action.line))
        if isinstance(action, str):
            return self.decide_command(action)
        if isinstance(action, NetAction):
            return self.decide_net(
                action.host or _host_from_url(action.url), action.port, action.ip
            )
        if isinstance(action, FileAction):
            return self.decide_file(action.op, action.path)
        if isinstance(action, ToolAction):
            return self.decide_tool(action.name, action.args)
        if isinstance(action, CodeAction):
            return self.decide_code(action.language, action.code)
        if isinstance(action, SpawnAction):
            key = ("spawn", tuple(action.argv), action.exe, action.origin, action.path)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            return self._remember(key, self._decide_spawn(action))
        raise TypeError(f"a policy cannot decide on {type(action).__name__}")

    def _remember(self, key: Any, decision: Decision) -> Decision:
        if not self._cache_on:
            return decision
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = decision
        return decision

    def clear_cache(self) -> None:
        """Forget cached decisions (only needed for benchmarks)."""
        self._cache.clear()

    def uncached(self) -> Policy:
        """The same policy without a decision cache (for benchmarks)."""
        return Policy(self.model, source=self.source, cache=False)

    # commands ------------------------------------------------------------------------

    def decide_command(self, line: str, cwd: str = GUEST_ROOT) -> Decision:
        """Decide on a whole shell line (every command in it must pass)."""
        key = ("line", line, cwd)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        return self._remember(key, self._finish(self._eval_script(line, cwd, 0), "command"))

    def _decide_exec(self, argv: list[str], cwd: str, line: str | None) -> Decision:
        if not argv:
            return _decision(verdict="allow", rule=None, reason="empty command")
        res = self._eval_argv(argv, cwd, 0)
        if line and res.severity < 2 and _OPERATOR_IN_LINE.search(line):
            for text in _analyze_cached(line).lines:
                res = _worse(res, self._line_result(text))
        return self._finish(res, "command")

    def _decide_spawn(self, action: SpawnAction) -> Decision:
        """A real program start: its argv as asked, and the real program (``exe``: the
        system binary it is, or a copy of) with the same arguments; the worse decides.
        Where it comes from (``origin``) adds ``commands.programs``."""
        if not action.argv:
            return _decision(verdict="allow", rule=None, reason="empty command")
        res = self._eval_argv(action.argv, GUEST_ROOT, 0)
        exe = action.exe
        by_exe = False
        if exe and exe.rsplit("/", 1)[-1] != action.argv[0].rsplit("/", 1)[-1]:
            real = self._eval_argv([exe, *action.argv[1:]], GUEST_ROOT, 0)
            by_exe = real.severity > res.severity
            # the program that really runs decides ties: a question names it, not argv[0]
            res = _worse(real, res)
        decision = self._finish(res, "command")
        origin = action.origin
        if origin in ("memory", "user"):
            verdict = self.programs_memory if origin == "memory" else self.programs_user
            if SEVERITY[verdict] > SEVERITY[decision.verdict]:
                shown = action.path or exe or action.argv[0]
                what = (
                    "runs from memory (a memfd, a deleted file or a file descriptor), with "
                    "no file to name"
                    if origin == "memory"
                    else "is not a system binary"
                )
                return _decision(
                    verdict=verdict,
                    rule=f"commands.programs.{origin}",
                    reason=f"program {shown!r} {what}; commands.programs.{origin} is {verdict}",
                )
        if by_exe and decision.verdict != "allow":
            shown = action.path or action.argv[0]
            what = f"is a copy of {exe} (same sha256)" if origin == "copy" else f"runs {exe}"
            return _decision(
                verdict=decision.verdict,
                rule=decision.rule,
                principle=decision.principle,
                reason=f"{shown!r} {what}: {decision.reason}",
            )
        return decision

    def named_programs(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The programs that deny and ask command rules name: (literal base names, glob
        patterns of names such as ``mkfs*``). A native tier recognises copies of these
        system binaries by content."""
        names: set[str] = set()
        globs: list[str] = []
        for rule in self._command_rules:
            if rule.severity == 0 or rule.pattern.line_rule:
                continue
            pat = rule.pattern
            if pat.program:
                names.add(pat.program)
            elif pat.kind == GLOB and pat.words and "/" not in pat.words[0]:
                first = pat.words[0]
                if first.strip("*"):
                    globs.append(first)
        return frozenset(names), tuple(dict.fromkeys(globs))

    def exec_shortcuts(self, never: Iterable[str] = ()) -> dict[str, Any] | None:
        """What a shell worker may decide itself, exactly as :meth:`decide` would, for an
        ``ExecAction`` whose program is a plain name (no ``/``): a JSON-able table, or
        ``None`` when this policy's command rules cannot be put in one.

        A program's command is allowed without asking when all of these hold (anything
        else still goes to :meth:`decide`):

        * the program is in ``free``, or is not in ``indexed`` and ``others_free`` holds:
          every command rule of its own allows, and a line that no rule matches cannot
          fall to a non-allowing ``commands.default`` (an own ``program`` rule catches it);
          wrappers (they run inner commands), ``python*`` (``never_prefix``) and the
          programs in ``never`` are never free;
        * none of the rules that could deny or ask about any program (anywhere rules and
          wildcard-program rules) matches ``" ".join(argv)``: ``screen`` (one combined
          regex, searched) and ``rules`` (``[kind, regex]``, ``glob`` fullmatched, ``regex``
          searched), all compiled with ``re.DOTALL``;
        * no argument looks like a path (``paths``, searched; set when ``filesystem.deny``
          exists) and the line has no operator (``operators``; set when line rules exist).

        ``corral.wasm.predecided`` applies the table in the shell worker.
        """
        blocking = [
            r for r in (*self._cmd_anywhere, *self._cmd_wild) if r.severity > 0
        ]  # fmt: skip
        combined: list[_Rule] = []
        single: list[list[str]] = []
        for r in blocking:
            pat = r.pattern
            if pat.kind not in (GLOB, REGEX) or pat.full_path or pat.regex is None:
                return None
            if _screen_source((*combined, r)) is not None:
                combined.append(r)
            else:
                single.append(["glob" if pat.kind == GLOB else "regex", pat.regex.pattern])
        default_ok = self._default_result_severity == 0

        def free(prog: str) -> bool:
            own = [r for r in self._cmd_index[prog] if r.pattern.program == prog]
            if any(r.severity for r in own):
                return False
            return default_ok or any(_catches_all(r.pattern, prog) for r in own)

        blocked = {*_UNWRAPS, *_OPAQUE, *never}
        if self.has_network:  # their hosts need no "/" (ftpget 1.2.3.4, 10.0.0.5)
            blocked |= HOST_PROGRAMS | ACCOUNT_PROGRAMS
        # node -e "…": hosts, files and the commands code runs (spawns.py) are decided
        blocked |= CODE_PROGRAMS
        if self._fs["ask_write"]:  # a file they write needs no "/" (tee AGENTS.md)
            blocked |= WRITE_PROGRAMS
        has_lines = bool(self._line_index or self._line_wild or self._line_anywhere)
        return {
            "free": sorted(p for p in self._cmd_index if p not in blocked and free(p)),
            "indexed": sorted(self._cmd_index),
            "others_free": default_ok,
            "never": sorted(blocked),
            "never_prefix": "python",
            "screen": _screen_source(tuple(combined)),
            "rules": single,
            "paths": (
                _MAYBE_PATH_SOURCE + (_MAYBE_ADDRESS_SOURCE if self.has_network else "")
                if self._fs_deny_any is not None or self.has_filesystem or self.has_network
                else None
            ),
            "operators": _OPERATOR_IN_LINE.pattern if has_lines else None,
        }

    def _match(self, prog: str, base: str, full: str, line: bool = False) -> _Rule | None:
        """The deciding rule for one view: the most specific ranked rule, unless an
        anywhere rule that matches is more restrictive."""
        if line:
            index, wild, anywhere = self._line_index, self._line_wild, self._line_anywhere
        else:
            index, wild, anywhere = self._cmd_index, self._cmd_wild, self._cmd_anywhere
        found: _Rule | None = None
        for rule in index.get(prog, wild):
            if rule.test(base, full):
                found = rule
                break
        if anywhere and (found is None or found.severity < 2):
            screens = self._line_screen if line else self._cmd_screen
            if screens is not None:
                anywhere = tuple(
                    rule
                    for search, chunk in screens
                    if search(base) or (full is not base and search(full))
                    for rule in chunk
                )
            for rule in anywhere:
                if found is not None and rule.severity <= found.severity:
                    break
                if rule.test(base, full):
                    return rule
        return found

    @_bounded
    def _eval_argv(
        self, argv: list[str], cwd: str, depth: int, defaults: bool = True
    ) -> _Result:
        """``argv``'s result: its rules, paths, writes and hosts and those of the commands
        it runs. Without ``defaults`` (a command interpreter code runs) only what rules
        and effects say counts: ``commands.default`` is the interpreter's to give."""
        explicit: _Result | None = None
        extra: _Result | None = None
        subject = _view(argv)[1]
        # (argv, depth, in a container: its paths are the container's, not the host's)
        pending = [(argv, depth, False)]
        while pending:
            a, d, boxed = pending.pop()
            if not a:
                continue
            if a is not argv and self._spent(1):  # (argv itself: its script counted it)
                return _Result(2, "limit", None, subject)
            prog, base, full = _view(a)
            rule = self._match(prog, base, full)
            if rule is not None and (explicit is None or rule.severity > explicit.severity):
                explicit = _Result(rule.severity, "rule", rule, base)
            elif rule is None and prog in _OPAQUE and defaults:
                extra = _worse(extra, _Result(self._default_result_severity, "default", None, base))
            if self._fs_deny_any is not None and len(a) > 1 and not boxed and _MAYBE_PATH(full):
                own = host_words(prog, a[1:]) if prog in CONTAINER_CLIENTS else a[1:]
                found = self._path_check(own, cwd, base)
                if found is not None and is_raw_disk(found.extra[2]) and asks_the_disk(
                    _innermost(a)
                ):  # smartctl -a /dev/sda: the drive asked about itself, no block read
                    found = self._path_check([x for x in a[1:] if not is_raw_disk(x)], cwd, base)
                extra = _worse(extra, found)
            if len(a) > 2 and _interpreter(prog):
                for code in interpreter_code(a):
                    if self.has_filesystem:
                        extra = _worse(extra, self._code_files(code, cwd, base))
                        extra = _worse(extra, self._code_operands(a, code, cwd, base))
                    if d < MAX_DEPTH:  # os.system('git push'), execSync('sudo id')
                        extra = _worse(extra, self._spawned(prog, code, cwd, d))
            if self.has_filesystem and len(a) > 1 and not boxed:
                extra = _worse(extra, self._write_check(a, cwd, base))
            if self.has_network:
                account = account_program(a)
                if account is not None:  # ``vercel`` alone deploys
                    extra = _worse(extra, self._net_check(account_hosts(a), base, account[0]))
                if len(a) > 1:
                    extra = _worse(extra, self._net_check(command_hosts(a), base))
            if d < MAX_DEPTH and len(a) > 1:  # echo 'exec sh -c [… base64 Y3Vy…]' | tclsh
                extra = _worse(extra, self._decoded(" ".join(a[1:]), cwd, d, prog))
                for script in _embedded_scripts(prog, a[1:]):  # rg --pre 'sh -c "…"'
                    extra = _worse(extra, self._eval_script(script, cwd, d + 1, False))
            if d < MAX_DEPTH:
                inner, scripts = _unwrap(a)
                boxed_inner = boxed or prog in CONTAINER_CLIENTS
                for ia in inner:
                    pending.append((ia, d + 1, boxed_inner))
                for script in scripts:
                    extra = _worse(extra, self._eval_script(script, cwd, d + 1, defaults))
            if (explicit is not None and explicit.severity == 2) or (
                extra is not None and extra.severity == 2
            ):
                break
        if explicit is None:
            severity = self._default_result_severity if defaults else 0
            explicit = _Result(severity, "default" if defaults else "empty", None, subject)
        result = _worse(explicit, extra)
        assert result is not None
        return result

    def _deny_excepted(self, path: str) -> bool:
        """Whether ``filesystem.deny_except`` takes ``path`` out of the deny patterns.

        Only a file denied by its name is excepted: inside a denied directory
        (``**/.ssh/**``) an excepted name stays denied. The test is on the directory with
        a name no name pattern can expect (NUL, never in a real path).
        """
        combined = self._fs_any.get("deny_except")
        if combined is None or combined.fullmatch(path) is None:
            return False
        probe = path.rsplit("/", 1)[0] + "/\x00"
        return not any(pat.matches(probe) for pat in self._fs["deny"])

    def _path_check(self, args: Iterable[str], cwd: str, subject: str) -> _Result | None:
        rx = self._fs_deny_any
        if rx is None:
            return None
        previous = ""
        for arg in args:
            p = None if previous.startswith(_EXCLUDE_OPTIONS) else _path_like(arg)
            previous = arg
            if p is None:
                continue
            norm = _normalize_path(p, cwd)
            placed = _home_placed(norm)
            candidates = (p,) if norm == p else (p, norm)
            if placed != norm:
                candidates += (placed,)
            for candidate in candidates:
                if rx.fullmatch(candidate) and not self._deny_excepted(candidate):
                    for i, pat in enumerate(self._fs["deny"]):
                        if pat.matches(candidate):
                            return _Result(2, "path", None, subject, (i, pat.text, candidate))
        return None

    def _writes_decided(
        self, targets: Iterable[str], cwd: str, subject: str
    ) -> _Result | None:
        """The worst decision over writes to ``targets`` (a device or a descriptor of the
        process itself is no file write)."""
        worst: _Result | None = None
        for target in targets:
            path = _normalize_path(target, cwd)
            if path in _DEVICE_OK or path.startswith(("/dev/fd/", "/proc/self/fd/")):
                continue
            decision = self.decide_file("write", path)
            if decision.verdict != "allow":
                worst = _worse(
                    worst, _Result(SEVERITY[decision.verdict], "write", None, subject, decision)
                )
        return worst

    def _write_check(self, argv: list[str], cwd: str, subject: str) -> _Result | None:
        """The files a program writes by argument (``cp x /etc/passwd``, ``sed -i … /etc/f``,
        :mod:`corral.policy.writes`) are file writes, decided as a redirection's are."""
        return self._writes_decided(write_targets(argv), cwd, subject)

    def _code_operands(
        self, argv: list[str], code: str, cwd: str, subject: str
    ) -> _Result | None:
        """The paths given after interpreter code that reads its arguments and changes
        files (:data:`_CODE_ARGV`, :data:`_CODE_CHANGES`) are file writes."""
        if code not in argv or not _CODE_ARGV.search(code[:_MAX_CODE]):
            return None
        operands = [x for x in argv[argv.index(code) + 1 :] if x[:1] in ("/", "~", "$")]
        if not operands or not _CODE_CHANGES.search(code[:_MAX_CODE]):
            return None
        return self._writes_decided(operands, cwd, subject)

    def _code_files(self, code: str, cwd: str, subject: str) -> _Result | None:
        """The files interpreter code names in its string literals: a denied one is denied
        as a path argument is (``readFileSync(HOME+'/.npmrc')``); when the code writes
        files, a control-plane file it names (``filesystem.ask_write``) is a write asked
        about (``open('AGENTS.md','a')``)."""
        strings = [m.group(1) or m.group(2) for m in _CODE_STRING.finditer(code[:_MAX_CODE])]
        worst = self._path_check(strings, cwd, subject) if self._fs_deny_any else None
        if worst is None and ("/" in code or "~" in code):
            for m in _CODE_WRITE_PATH.finditer(code[:_MAX_CODE]):
                path = _normalize_path(m.group(1) or m.group(2) or m.group(3), cwd)
                if path in _DEVICE_OK or path.startswith(("/dev/fd/", "/proc/self/fd/")):
                    continue
                decision = self.decide_file("write", path)
                if decision.verdict != "allow":
                    return _Result(SEVERITY[decision.verdict], "write", None, subject, decision)
        if worst is not None or not self._fs["ask_write"] or not _CODE_WRITES.search(code):
            return worst
        for text in strings:
            if not _FILE_NAME.match(text):
                continue
            decision = self.decide_file("write", _normalize_path(text, cwd))
            if decision.rule and decision.rule.startswith("filesystem.ask_write"):
                return _Result(1, "write", None, subject, decision)
        return None

    def _net_check(
        self,
        hosts: Iterable[str],
        subject: str,
        account: str | None = None,
        effect: str | None = None,
    ) -> _Result | None:
        """The hosts a command names (:mod:`corral.policy.hosts`) and the API host of a
        remote-account CLI (``account``, :mod:`corral.policy.accounts`) are network
        actions, decided as the proxy decides the connection: a host not allowed is the
        command's effect outside the sandbox, named in the reason."""
        worst: _Result | None = None
        for host in hosts:
            decision = self.decide_net(host)
            if decision.verdict != "allow":
                worst = _worse(
                    worst,
                    _Result(
                        SEVERITY[decision.verdict],
                        "net",
                        None,
                        subject,
                        (host, decision, account, effect),
                    ),
                )
                if worst is not None and worst.severity == 2:
                    break
        return worst

    def _redirect_check(
        self, argv: list[str], redirects: list[tuple[str, str]], cwd: str
    ) -> _Result | None:
        """Redirection targets are file reads (``<``) and writes (``>``, ``>>``, ...)."""
        worst: _Result | None = None
        subject = " ".join(argv) or "redirection"
        for op, target in redirects:
            if op in _NOT_PATH_REDIRECTS or not target or target.isdigit() or target == "-":
                continue
            path = _normalize_path(target, cwd)
            if path in _DEVICE_OK or path.startswith("/dev/fd/"):
                continue
            decision = self.decide_file("read" if op == "<" else "write", path)
            if decision.verdict != "allow":
                worst = _worse(
                    worst, _Result(SEVERITY[decision.verdict], "file", None, subject, decision)
                )
        return worst

    def _line_result(self, text: str) -> _Result | None:
        if not self._line_index and not self._line_wild and not self._line_anywhere:
            return None
        first = text.split(" ", 1)[0]
        prog = first.rsplit("/", 1)[-1] or first
        base = text if prog == first else prog + text[len(first) :]
        rule = self._match(prog, base, text, line=True)
        if rule is None or rule.severity == 0:
            return None
        return _Result(rule.severity, "rule", rule, text)

    def _spent(self, n: int) -> bool:
        """Spend ``n`` of this decision's :data:`MAX_COMMANDS`; True when none is left."""
        work = self._work
        if work.left is None:
            return False
        work.left -= n
        return work.left < 0

    @_bounded
    def _eval_script(
        self, script: str, cwd: str, depth: int, defaults: bool = True, expand: bool = True
    ) -> _Result:
        """``script``'s result. With ``expand``, also as the shell will see it once it has
        expanded a disguise (:func:`~corral.policy.encoded.shell_variants`); a script the
        shell worker runs (:meth:`decide_code`) is not expanded here: the worker decides
        each command as it runs, expanded."""
        analysis = _analyze_cached(script)
        if self._spent(len(analysis.commands)) or analysis.cut:
            return _Result(2, "limit", None, script)
        result: _Result | None = None
        allowed = 0
        if expand and depth < MAX_DEPTH:  # curl${IFS}-s${IFS}h|sh, {wget,-qO-,h}|{bash,-s}
            for variant in shell_variants(script):
                result = _worse(result, self._eval_script(variant, cwd, depth + 1, False))
        for cmd in analysis.commands:
            if cmd.argv[:1] in (["cd"], ["pushd"]) and len(cmd.argv) == 2:
                cwd = _changed_dir(cmd.argv[1], cwd)  # cd /etc && echo x > hosts
            if self.has_network:  # first: a pool is named as one, not as a host
                result = _worse(result, self._pool_check(cmd))
            if cmd.argv:
                r = self._eval_argv(cmd.argv, cwd, depth, defaults)
                if r.severity == 0:
                    allowed += 1
                result = _worse(result, r) if result is not None else r
            if cmd.assignments and cmd.argv:  # ``URL=http://h cmd`` is ``env URL=http://h cmd``
                # (with the command when it runs it as root: ``PERL5LIB=/tmp/x sudo -E cmd``)
                tail = cmd.argv if cmd.argv[0].rsplit("/", 1)[-1] in _PRIVILEGE_WRAPPERS else []
                result = _worse(
                    result, self._eval_argv(["env", *cmd.assignments, *tail], cwd, depth, False)
                )
            elif cmd.assignments:  # ``X=v`` alone runs nothing: only rules on it (tracing off)
                shown = "env " + " ".join(cmd.assignments)
                rule = self._match("env", shown, shown)
                if rule is not None and rule.severity > 0:
                    result = _worse(result, _Result(rule.severity, "rule", rule, shown))
            if (
                self.has_network
                and cmd.argv
                and (cmd.redirects or cmd.argv[0].rsplit("/", 1)[-1] in _WRITERS)
            ):
                result = _worse(result, self._written_check(cmd))
            if cmd.stdin is not None and cmd.argv and depth < MAX_DEPTH:
                result = _worse(result, self._piped_code(cmd.argv, cmd.stdin, cwd, depth))
            if cmd.argv[:1] == ["rev"] and depth < MAX_DEPTH:  # rev <<< 'hs | x//:ptth lruc'
                for text in (cmd.stdin, *(t for op, t in cmd.redirects if op == "<<<")):
                    if text:
                        back = text.strip()[::-1]
                        result = _worse(result, self._eval_script(back, cwd, depth + 1, False))
                        result = _worse(result, self._decoded(back, cwd, depth))
            if cmd.redirects and depth < MAX_DEPTH:  # python3 - <<< "exec(b64decode('…'))"
                for op, text in cmd.redirects:
                    if op == "<<<":
                        prog = cmd.argv[0].rsplit("/", 1)[-1] if cmd.argv else None
                        result = _worse(result, self._decoded(text, cwd, depth, prog))
            if cmd.redirects and self.has_filesystem:
                result = _worse(result, self._redirect_check(cmd.argv, cmd.redirects, cwd))
            if cmd.redirects and cmd.argv and self.has_network:
                prog = cmd.argv[0].rsplit("/", 1)[-1]
                if _interpreter(prog):  # python3 - <<<'code'
                    subject = " ".join(cmd.argv)
                    for op, text in cmd.redirects:
                        if op == "<<<":
                            hosts = code_hosts(text)
                            result = _worse(result, self._net_check(hosts, subject))
                            if self.has_filesystem:
                                result = _worse(result, self._code_files(text, cwd, subject))
                            if depth < MAX_DEPTH:
                                result = _worse(result, self._spawned(prog, text, cwd, depth))
            if result is not None and result.severity == 2:
                return result
        for text in analysis.lines:
            result = _worse(result, self._line_result(text))
        if analysis.loop_words and self._fs_deny_any is not None:  # for s in /tmp/tmux-*/x
            result = _worse(result, self._path_check(analysis.loop_words, cwd, "for ... in"))
        if result is None:
            return _Result(0, "empty", None, script)
        if result.severity == 0 and allowed > 1:
            return _Result(0, result.kind, result.rule, result.subject, ("count", allowed, script))
        return result

    def _decoded(
        self, text: str, cwd: str, depth: int, prog: str | None = None
    ) -> _Result | None:
        """The command lines ``text`` hides in an encoding (:mod:`corral.policy.encoded`:
        base64, hex, character codes), decided as the commands they are (their rules and
        effects; ``commands.default`` is not theirs to give); given to an interpreter
        (``prog``), as its code too (the hosts it names, the commands it runs)."""
        worst: _Result | None = None
        for payload in decoded_commands(text):
            worst = _worse(worst, self._eval_script(payload, cwd, depth + 1, defaults=False))
            if self.has_network:
                worst = _worse(worst, self._net_check(code_hosts(payload), "decoded text"))
            if prog is not None and _interpreter(prog):
                worst = _worse(worst, self._spawned(prog, payload, cwd, depth))
            if worst is not None and worst.severity == 2:
                break
        return worst

    def _written_check(self, cmd: SimpleCommand) -> _Result | None:
        """Addresses in text ``echo``/``printf`` write into a file
        (:func:`~corral.policy.hosts.written_addresses`) are hosts the file will make
        something reach (CI, a build, a tool's config): decided as network actions."""
        prog = cmd.argv[0].rsplit("/", 1)[-1]
        files = [t for op, t in cmd.redirects
                 if op in (">", ">>", ">|", "&>", "&>>") and t != "/dev/null"]  # fmt: skip
        if prog in _EDITORS:  # sed -i 's#x#curl http://203.0.113.62#' f, jq … | sponge f
            text = "\n".join(cmd.argv[1:])
            files += write_targets(cmd.argv)
            # the file an editor reads is the one its output goes back to (``jq … f |
            # sponge f``, ``yq … f > t && mv t f``): its kind is what is written
            files += [a for a in cmd.argv[2:] if a[:1] != "-" and written_file_kind(a)]
        elif prog in ("cat", "tee") and (files or (prog == "tee" and len(cmd.argv) > 1)):
            text = "\n".join(t for op, t in cmd.redirects if op == "<<<")  # cat > f <<EOF
            if prog == "tee":  # printf 'import socket…' | tee -a x.py
                files += [a for a in cmd.argv[1:] if not a.startswith("-")]
                text = "\n".join(filter(None, (text, cmd.stdin)))
        elif files:
            text = printed_text(cmd.argv) or ""
        else:
            return None
        if not text:
            return None
        kinds = {k for k in map(written_file_kind, files) if k is not None}
        if "code" not in kinds and "://" not in text and ":" not in text:
            return None
        return self._net_check(
            written_hosts(text, kinds), " ".join(cmd.argv), effect="written address"
        )

    def _pool_check(self, cmd: SimpleCommand) -> _Result | None:
        """A mining pool named anywhere in ``cmd`` (:mod:`corral.policy.mining`): an
        option's value, a config file's text written by ``echo``/``printf``/``sed``, an
        assignment, code) is a host the command makes the sandbox reach, decided as one."""
        words = [*cmd.assignments, *cmd.argv]
        if cmd.argv and cmd.argv[0].rsplit("/", 1)[-1] in _SEARCHERS:
            words = list(cmd.assignments)
        words += [text for op, text in cmd.redirects if op == "<<<"]
        text = "\n".join(words)
        if ":" not in text:
            return None
        pools = pool_endpoints(text)
        if not pools:
            return None
        return self._net_check(pools, " ".join(cmd.argv) or text, effect="mining pool")

    def _piped_code(self, argv: list[str], text: str, cwd: str, depth: int) -> _Result | None:
        """Text ``echo``/``printf`` pipe into an interpreter is its code (``echo 'socket h
        4444 …' | tclsh``, ``printf 'import os…' | python3``) and into a shell its script,
        decided as a here-string's or ``sh -c``'s."""
        prog = argv[0].rsplit("/", 1)[-1]
        subject = " ".join(argv)
        reads_stdin = all(a.startswith("-") and "c" not in a.lstrip("-") for a in argv[1:])
        if prog in _SHELLS and prog != "busybox" and reads_stdin:
            return self._eval_script(text, cwd, depth + 1)
        if prog in ("make", "gmake") and any(a in ("-", "/dev/stdin") for a in argv[1:]):
            return self._eval_script(text, cwd, depth + 1)  # recipes are shell lines
        if not (_interpreter(prog) and (len(argv) == 1 or argv[1:] == ["-"])):
            if not self.has_network:
                return None
            # data a program reads: the addresses it names (config), the targets it is
            # given (``echo 10.0.0.0/16 | tlsx``)
            result = self._net_check(piped_hosts(prog, text), subject)
            if "://" in text:
                result = _worse(
                    result,
                    self._net_check(written_addresses(text), subject, effect="written address"),
                )
            return result
        result: _Result | None = None
        if self.has_network:
            result = self._net_check(code_hosts(text), subject)
        if self.has_filesystem:
            result = _worse(result, self._code_files(text, cwd, subject))
        return _worse(result, self._spawned(prog, text, cwd, depth))

    def _spawned(self, prog: str, code: str, cwd: str, depth: int) -> _Result | None:
        """The commands ``code`` runs (:mod:`corral.policy.spawns`), decided as commands."""
        scripts, argvs = code_commands(prog, code)
        worst: _Result | None = None
        for argv in argvs:
            worst = _worse(worst, self._eval_argv(argv, cwd, depth + 1, defaults=False))
        for script in scripts:
            worst = _worse(worst, self._eval_script(script, cwd, depth + 1, defaults=False))
        return worst

    def _finish(self, res: _Result, what: str) -> Decision:
        verdict = VERDICTS[res.severity]
        subject = _short(res.subject)
        if res.kind == "rule":
            rule = res.rule
            assert rule is not None
            reason = f"{what} {subject!r} matches {rule.id} {_shown(rule.pattern)}"
            if rule.reason:
                reason += f": {rule.reason}"
            reason += self._principle_note(rule.principle)
            if isinstance(res.extra, tuple) and res.extra[0] == "count":
                reason = (
                    f"all {res.extra[1]} commands in {_short(res.extra[2])!r} are allowed "
                    f"(first: {reason})"
                )
            return _decision(verdict=verdict, rule=rule.id, principle=rule.principle, reason=reason)
        if res.kind == "default":
            if self.has_commands:
                reason = (
                    f"{what} {subject!r} matches no command rule; "
                    f"commands.default is {self.commands_default}"
                )
            else:
                reason = f"{what} {subject!r}: the policy has no commands section (allowed)"
            if isinstance(res.extra, tuple) and res.extra[0] == "count":
                count, line = res.extra[1], _short(res.extra[2])
                reason = f"all {count} commands in {line!r} are allowed ({reason})"
            return _decision(verdict=verdict, rule="commands.default", reason=reason)
        if res.kind == "path":
            i, text, path = res.extra
            return _decision(
                verdict="deny",
                rule=f"filesystem.deny[{i}]",
                reason=f"{what} {subject!r} names the path {path!r}, which matches "
                f"filesystem.deny[{i}] {text!r}",
            )
        if res.kind == "net":
            host, decision, account, what_host = res.extra
            if what_host == "mining pool":
                effect = (
                    f"names a mining pool ({host!r}, outside the sandbox: the sandbox's "
                    "compute would mine for someone)"
                )
            elif what_host == "written address":
                effect = (
                    f"writes the address {host!r} into a file (what reads the file connects "
                    "to it, outside the sandbox)"
                )
            elif account is None:
                effect = f"connects to the network (host {host!r}, outside the sandbox)"
            else:
                effect = (
                    f"uses a remote service ({account} talks to {host!r}, outside the sandbox)"
                )
            return _decision(
                verdict=decision.verdict,
                rule=decision.rule,
                principle=decision.principle,
                reason=f"{what} {subject!r} {effect}: {decision.reason}",
            )
        if res.kind in ("file", "write"):
            decision: Decision = res.extra
            how = "redirects" if res.kind == "file" else "writes a file it names"
            return _decision(
                verdict=decision.verdict,
                rule=decision.rule,
                principle=decision.principle,
                reason=f"{what} {subject!r} {how}: {decision.reason}",
            )
        if res.kind == "limit":
            return _decision(
                verdict="deny",
                rule=None,
                reason=f"{what} {subject!r} holds more than {MAX_COMMANDS} commands (with "
                "those it runs through eval, sh -c, decoders and interpreters): too many to "
                "decide in one line; split it",
            )
        return _decision(verdict="allow", rule=None, reason=f"{what} runs nothing")

    def _principle_note(self, principle: str | None) -> str:
        if not principle:
            return ""
        text = self.model.principles.get(principle)
        return f" [principle {principle}: {text}]" if text else f" [principle {principle}]"

    # code ------------------------------------------------------------------------------

    def decide_lines(self, code: str) -> Decision | None:
        """The worst rule about a whole line (a pattern with a shell operator, such as
        ``… | sh``) that shell ``code`` matches, None when none does. The commands of a
        running script are decided one by one, each without the line around it, so such
        a rule can only be applied to the script before it runs."""
        if not self._line_index and not self._line_wild and not self._line_anywhere:
            return None
        result: _Result | None = None
        for text in _analyze_cached(code).lines:
            result = _worse(result, self._line_result(text))
        if result is None:
            return None
        return self._finish(result, "shell code")

    def decide_code(self, language: str, code: str) -> Decision:
        """Decide on a code run (see the module docstring)."""
        if language == "shell":
            key = ("code", code)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            decision = self._finish(
                self._eval_script(code, GUEST_ROOT, 0, expand=False), "shell code"
            )
            return self._remember(key, decision) if len(code) < 4096 else decision
        names = ("python", "python3") if language == "python" else ("node", "js")
        best: _Rule | None = None
        for name in names:
            rule = self._match(name, name, name)
            if rule is not None and (best is None or rule.severity > best.severity):
                best = rule
        label = "Python" if language == "python" else "JavaScript" if language == "js" else language
        if best is None:
            return _decision(
                verdict="allow",
                rule="code.default",
                reason=f"{label} code runs are allowed unless a command rule for "
                f"{' or '.join(repr(n) for n in names)} denies or asks",
            )
        reason = f"{label} code (command {names[0]!r}) matches {best.id} {_shown(best.pattern)}"
        if best.reason:
            reason += f": {best.reason}"
        reason += self._principle_note(best.principle)
        return _decision(
            verdict=best.verdict, rule=best.id, principle=best.principle, reason=reason
        )  # type: ignore[arg-type]

    # files -----------------------------------------------------------------------------

    def file_screen(self) -> dict[str, Any] | None:
        """Which workspace paths a shell worker must ask about before it opens, writes,
        moves or removes them (:mod:`corral.wasm.filescreen`): a JSON-able table, None
        when this policy has no filesystem section (every file operation is allowed).

        For each kind (``read``, ``write``): ``ask`` is one regex fullmatching every path a
        ``deny``/``ask`` (and for writes ``ask_write``) pattern names, ``allow`` one
        fullmatching the paths the ``read``/``write`` lists allow; ``default_allows`` says
        whether a path neither names is allowed. A path the table does not send to the
        host is one :meth:`decide_file` allows; the host decides the rest."""
        if not self.has_filesystem:
            return None

        def union(keys: tuple[str, ...]) -> str | None:
            pats = [p.regex.pattern for key in keys for p in self._fs[key]]
            return "|".join(f"(?:{x})" for x in pats) if pats else None

        return {
            "read": {"ask": union(("deny", "ask")), "allow": union(("read", "write"))},
            "write": {"ask": union(("deny", "ask", "ask_write")), "allow": union(("write",))},
            "default_allows": self.filesystem_default == "allow",
        }

    def decide_file(self, op: str, path: str) -> Decision:
        """Decide on a file operation on a guest path."""
        norm = _normalize_path(path)
        kind = "read" if op in _READ_OPS else "write"
        what = f"{op} of {_short(norm)!r}"
        if not self.has_filesystem:
            return _decision(
                verdict="allow",
                rule="filesystem.default",
                reason=f"{what}: the policy has no filesystem section (allowed)",
            )
        # ~ is the sandbox's HOME, /workspace in every tier: ~/x is decided as written
        # (credential and startup-file patterns name the home) and as /workspace/x
        placed = _home_placed(norm)
        forms = (norm,) if placed == norm else (norm, placed)
        asked = ("deny", "ask", "ask_write") if kind == "write" else ("deny", "ask")
        for form in forms:
            excepted = self._deny_excepted(form)
            for key in asked:
                verdict = "deny" if key == "deny" else "ask"
                if key == "deny" and excepted:
                    continue
                combined = self._fs_any.get(key)
                if combined is None or combined.fullmatch(form) is None:
                    continue
                for i, pat in enumerate(self._fs[key]):
                    if pat.matches(form):
                        why = _ASK_WRITE_WHY if key == "ask_write" else ""
                        return _decision(
                            verdict=verdict,  # type: ignore[arg-type]
                            rule=f"filesystem.{key}[{i}]",
                            reason=f"{what} matches filesystem.{key}[{i}] {pat.text!r}{why}",
                        )
        keys = ("read", "write") if kind == "read" else ("write",)
        for key in keys:
            combined = self._fs_any.get(key)
            if combined is None or combined.fullmatch(placed) is None:
                continue
            for i, pat in enumerate(self._fs[key]):
                if pat.matches(placed):
                    return _decision(
                        verdict="allow",
                        rule=f"filesystem.{key}[{i}]",
                        reason=f"{what} matches filesystem.{key}[{i}] {pat.text!r}",
                    )
        return _decision(
            verdict=self.filesystem_default,  # type: ignore[arg-type]
            rule="filesystem.default",
            reason=f"{what} matches no filesystem {kind} rule; "
            f"filesystem.default is {self.filesystem_default}",
        )

    # network ---------------------------------------------------------------------------

    def decide_net(self, host: str, port: int | None = None, ip: str | None = None) -> Decision:
        """Decide on a connection to ``host`` (and, when the proxy resolved it, ``ip``).

        With ``ip`` the resolved address is checked too: the address entries (IPs and
        CIDRs in ``allow``/``ask``/``deny``/``deny_cidrs``) and the protected ranges, and
        the more restrictive verdict wins, so a name cannot rebind to a denied range or
        to cloud metadata. A host allowed by an entry that names it exactly may resolve
        to a private or loopback address (``internal.corp`` -> ``10.1.2.3``), unless an
        explicit address entry denies it.
        """
        key = ("net", host, port, ip)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        decision = self._decide_host(host)
        if ip is not None and decision.verdict != "deny":
            named = self._host_by_id.get(decision.rule or "")
            addresses = [ip]
            literal = parse_ip(ip)
            inner = embedded_ipv4(literal) if literal is not None else None
            if inner is not None:  # NAT64, 6to4, Teredo: the IPv4 address it reaches
                addresses.append(str(inner))
            worst = decision
            for address in addresses:
                resolved = self._decide_host(address, resolved_from=host)
                by = self._host_by_id.get(resolved.rule or "")
                exempt = (
                    resolved.rule == "network.default"  # only address rules count here
                    or (by is not None and by.pattern.kind in ("any", "exact", "suffix"))
                    or (
                        named is not None
                        and named.pattern.kind == "exact"
                        and resolved.rule in ("network.private", "network.loopback")
                    )
                )
                if not exempt and SEVERITY[resolved.verdict] > SEVERITY[worst.verdict]:
                    worst = resolved
            decision = worst
        return self._remember(key, decision)

    def _decide_host(self, host: str, resolved_from: str | None = None) -> Decision:
        name, ip = normalize_host(host or "")
        shown = f"{name!r} (resolved from {resolved_from!r})" if resolved_from else repr(name)
        if not name:
            return _decision(verdict="deny", rule="network.default", reason="no host given")
        winner: _HostRule | None = None
        for rule in self._host_rules:
            if rule.pattern.matches(name, ip):
                winner = rule
                break
        protected = _protected(name, ip)
        if winner is not None:
            if winner.verdict != "deny" and protected is not None:
                kind, _ = protected
                pat = winner.pattern
                exempt = pat.names_exactly or (kind != "metadata" and pat.kind == "cidr")
                if not exempt:
                    return self._protected_decision(shown, protected, winner)
            return _decision(
                verdict=winner.verdict,  # type: ignore[arg-type]
                rule=winner.id,
                reason=f"host {shown} matches {winner.id} {winner.pattern.text!r}",
            )
        if protected is not None:
            return self._protected_decision(shown, protected, None)
        return _decision(
            verdict=self.network_default,  # type: ignore[arg-type]
            rule="network.default",
            reason=f"host {shown} matches no network rule; network.default is "
            f"{self.network_default}",
        )

    @staticmethod
    def _protected_decision(
        shown: str, protected: tuple[str, str], winner: _HostRule | None
    ) -> Decision:
        kind, what = protected
        how = (
            "list the exact address in network.allow"
            if kind == "metadata"
            else "list it (or a CIDR containing it) in network.allow"
        )
        beaten = f" ({winner.id} {winner.pattern.text!r} is not specific enough)" if winner else ""
        return _decision(
            verdict="deny",
            rule=f"network.{kind}",
            reason=f"host {shown} is {what}: denied unless explicitly allowed ({how}){beaten}",
        )

    # tools -----------------------------------------------------------------------------

    def decide_tool(self, name: str, args: dict[str, Any] | None = None) -> Decision:
        """Decide on a tool call (constraints checked; ``max_calls`` is not counted here)."""
        if not self.has_tools:
            return _decision(
                verdict="allow",
                rule="tools.default",
                reason=f"tool {name!r}: the policy has no tools section (allowed)",
            )
        violation: tuple[_ToolRule, CapabilityError] | None = None
        for t in self._tool_rules:
            rule = t.rule
            if not rule.capability.matches(name):
                continue
            if rule.verdict == "deny":
                reason = f"tool {name!r} matches {t.id} {rule.method!r}"
                if rule.reason:
                    reason += f": {rule.reason}"
                reason += self._principle_note(rule.principle)
                return _decision(verdict="deny", rule=t.id, principle=rule.principle, reason=reason)
            try:
                rule.capability.check(name, args or {})
            except CapabilityError as exc:
                if violation is None:
                    violation = (t, exc)
                continue
            reason = f"tool {name!r} matches {t.id} {rule.method!r}"
            if rule.reason:
                reason += f": {rule.reason}"
            reason += self._principle_note(rule.principle)
            return _decision(
                verdict=rule.verdict,
                rule=t.id,
                principle=rule.principle,
                reason=reason,  # type: ignore[arg-type]
            )
        if violation is not None:
            t, exc = violation
            return _decision(
                verdict="deny",
                rule=t.id,
                principle=t.rule.principle,
                reason=f"{exc} ({t.id} {t.rule.method!r})",
            )
        return _decision(
            verdict="deny",
            rule="tools.default",
            reason=f"tool {name!r} matches no tool rule; with a tools section only listed "
            "tools are allowed",
        )

    # -- helpers for the CLI and tests -----------------------------------------------------

    def iter_command_rules(self) -> Iterator[tuple[str, str, CommandRule]]:
        """(rule id, verdict, rule) for every command rule, in file order."""
        cmds = self.model.commands
        if cmds is None:
            return
        for verdict in VERDICTS:
            for i, rule in enumerate(getattr(cmds, verdict)):
                yield f"commands.{verdict}[{i}]", verdict, rule


def _host_from_url(url: str | None) -> str:
    if not url:
        return ""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""

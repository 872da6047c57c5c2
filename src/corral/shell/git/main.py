"""``git``: global options (``-C``, ``-c``, ``--version``), the subcommand table,
and every failure as git prints it (``fatal: …`` exit 128, ``error: …``,
``git: 'x' is not a git command``) rather than a traceback."""

from __future__ import annotations

import dataclasses
import errno

from ...errors import PathEscape
from .. import hostfs
from ..command import Cancelled, CommandContext, CommandError
from . import clone, extra, history, merging, reading, rebasing, refplumbing, remotes  # noqa: F401
from . import commands as C
from .porcelain import LocalChanges
from .repo import GitFatal
from .usage import USAGE

#: real git commands corral's git does not have (a clearer answer than "not a git command")
UNSUPPORTED = frozenset({
    "push", "pull", "fetch", "revert", "submodule",
    "worktree", "bisect", "gc", "fsck", "hash-object", "update-index", "am",
    "format-patch", "notes", "reflog", "archive", "bundle", "send-email",
    "credential", "filter-branch", "sparse-checkout",
})  # fmt: skip


def version() -> str:
    try:
        import dulwich

        dv = ".".join(str(x) for x in dulwich.__version__)
    except Exception:
        dv = "?"
    return f"git version 2.39.5 (corral shell, dulwich {dv})\n"


def run(ctx: CommandContext) -> int:
    args = list(ctx.args)
    env = dict(ctx.env)
    cwd = ctx.cwd
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if a in ("--version", "-v"):
            ctx.out(version())
            return 0
        if a in ("-h", "--help"):
            ctx.out(USAGE)
            return 0
        if a in ("--no-pager", "-P", "--no-replace-objects", "--literal-pathspecs"):
            continue
        if a == "-C" and args:
            where = args.pop(0)
            try:
                cwd = ctx.ws.guest_path(where, cwd)
                ok = hostfs.is_dir(ctx.ws, ctx.ws.resolve(cwd))
            except PathEscape:
                ctx.stderr.write(f"fatal: cannot change to '{where}': Permission denied "
                                 "(outside /workspace)\n".encode())  # fmt: skip
                return 128
            if not ok:
                ctx.stderr.write(f"fatal: cannot change to '{where}': No such file or "
                                 "directory\n".encode())  # fmt: skip
                return 128
            continue
        if a == "-c" and args:
            key, _, val = args.pop(0).partition("=")
            low = key.lower()
            if low == "user.name":
                env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = val
            elif low == "user.email":
                env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = val
            continue
        ctx.stderr.write(f"unknown option: {a}\n{USAGE}".encode())
        return 129
    if not args:
        ctx.out(USAGE)
        return 1
    name, rest = args[0], args[1:]
    if name == "help":
        if rest and rest[0] in C.COMMANDS:
            ctx.out((C.COMMANDS[rest[0]].__doc__ or "") + "\n")
            return 0
        ctx.out(USAGE)
        return 0
    if name == "version":
        ctx.out(version())
        return 0
    fn = C.COMMANDS.get(name)
    if fn is None and name in UNSUPPORTED:
        ctx.stderr.write(f"git: '{name}' is not supported by corral's git (the WebAssembly "
                         "tier's git, on dulwich); a native tier (bwrap, gVisor) runs the real "
                         "git\n".encode())  # fmt: skip
        return 1
    if fn is None:
        ctx.stderr.write(f"git: '{name}' is not a git command. See 'git --help'.\n".encode())
        return 1
    if rest == ["-h"] or (rest and rest[0] == "--help"):  # (git grep -h PATTERN is not help)
        ctx.out((fn.__doc__ or f"usage: git {name}") + "\n")
        return 129 if rest[0] == "-h" else 0
    sub = dataclasses.replace(ctx, env=env, cwd=cwd) if (env != ctx.env or cwd != ctx.cwd) \
        else ctx
    try:
        return fn(sub, rest)
    except LocalChanges as e:
        return C._local_changes_error(ctx, e, name)
    except C.BadOption as e:
        ctx.stderr.write(f"error: {e}\n{fn.__doc__ or ''}\n".encode())
        return e.status
    except GitFatal as e:
        ctx.stderr.write(f"{e.prefix}{e}\n".encode("utf-8", "surrogateescape"))
        return e.status
    except (Cancelled, CommandError):
        raise
    except PathEscape as e:
        ctx.stderr.write(f"fatal: {e}\n".encode("utf-8", "surrogateescape"))
        return 128
    except MemoryError:
        ctx.stderr.write(b"fatal: out of memory (the sandbox's memory budget)\n")
        return 128
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        where = f"{e.filename}: " if e.filename else ""
        ctx.stderr.write(f"fatal: {where}{e.strerror or e}\n".encode("utf-8", "surrogateescape"))
        return 128
    except Exception as e:  # dulwich on a damaged or hostile repository
        ctx.stderr.write(
            f"fatal: {type(e).__name__}: {e}\n".encode("utf-8", "surrogateescape")
        )
        return 128

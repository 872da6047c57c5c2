"""The ``git`` subcommands, each ``def cmd(ctx, args) -> int`` with its usage as
docstring (``git CMD -h`` prints it)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

from dulwich.objects import Commit, Tag, Tree
from dulwich.repo import Repo

from .. import hostfs
from ..command import CommandContext, CommandError
from . import diff as D
from .porcelain import (
    LocalChanges,
    State,
    Unknown,
    cleanup_message,
    log_header,
    quote_path,
    relative,
    subject,
    walk,
)
from .repo import GitFatal, GitRepo, global_config_path, read_global_config

Cmd = Callable[[CommandContext, list[str]], int]
COMMANDS: dict[str, Cmd] = {}


def sub(*names: str) -> Callable[[Cmd], Cmd]:
    def deco(fn: Cmd) -> Cmd:
        for n in names:
            COMMANDS[n] = fn
        return fn

    return deco


class BadOption(GitFatal):
    """``error: unknown option `x'`` and the usage, status 129."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=129, prefix="error: ")


#: options that change nothing here (no colour, no pager, no external diff)
_NO_OPS = frozenset({"--no-color", "--color=never", "--no-ext-diff", "--no-pager"})


class Opts:
    """A small getopt for git's options: flags, options with a value (``-m X``,
    ``-mX``, ``--message=X``, ``--message X``), ``--`` and operands."""

    def __init__(self, args: list[str], flags: set[str], valued: set[str],
                 numeric_n: bool = False, revlist: bool = False) -> None:  # fmt: skip
        self.revlist = revlist
        self.flags: list[str] = []
        self.values: dict[str, list[str]] = {}
        self.operands: list[str] = []
        self.paths: list[str] | None = None
        i = 0
        while i < len(args):
            a = args[i]
            i += 1
            if a == "--":
                self.paths = args[i:]
                break
            if a in _NO_OPS:
                continue
            if a.startswith("--") and len(a) > 2:
                name, eq, val = a.partition("=")
                if name in valued:
                    if not eq:
                        if i >= len(args):
                            raise GitFatal(f"option `{name[2:]}' requires a value", 129,
                                           "error: ")  # fmt: skip
                        val = args[i]
                        i += 1
                    self.values.setdefault(name, []).append(val)
                elif a in flags:
                    self.flags.append(a)
                else:
                    self._bad(a, f"unknown option `{a[2:]}'")
                continue
            if a.startswith("-") and len(a) > 1:
                if numeric_n and a[1:].isdigit():
                    self.values.setdefault("-n", []).append(a[1:])
                    continue
                j = 1
                while j < len(a):
                    o = "-" + a[j]
                    if o in valued:
                        val = a[j + 1:]
                        if not val:
                            if i >= len(args):
                                raise GitFatal(f"switch `{a[j]}' requires a value", 129,
                                               "error: ")  # fmt: skip
                            val = args[i]
                            i += 1
                        self.values.setdefault(o, []).append(val)
                        break
                    if o not in flags:
                        self._bad(a, f"unknown switch `{a[j]}'")
                    self.flags.append(o)
                    j += 1
                continue
            self.operands.append(a)

    def _bad(self, arg: str, message: str) -> None:
        if self.revlist:  # log, show, diff: rev-list's wording
            raise GitFatal(f"unrecognized argument: {arg}")
        raise BadOption(message)

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def get(self, *names: str) -> str | None:
        for n in names:
            if n in self.values:
                return self.values[n][-1]
        return None

    def all(self, *names: str) -> list[str]:
        out: list[str] = []
        for n in names:
            out += self.values.get(n, [])
        return out


def _path_arg(g: GitRepo, state: State, arg: str) -> bytes:
    """A pathspec operand to a path from the top (refused outside the repository)."""
    import posixpath

    prefix = g.prefix()
    joined = posixpath.normpath(prefix + arg) if arg not in (".", "") else prefix.rstrip("/")
    if joined in (".", ""):
        return b""
    if joined.startswith("../") or joined == "..":
        raise GitFatal(f"{arg}: '{arg}' is outside repository at '{g.ctx.display(g.top)}'")
    return joined.encode("utf-8", "surrogateescape")


def _under(path: bytes, spec: bytes) -> bool:
    return not spec or path == spec or path.startswith(spec + b"/")


def _matches(path: bytes, specs: list[bytes] | None) -> bool:
    if specs is None:
        return True
    return any(_under(path, s) for s in specs)


# -- init, config ----------------------------------------------------------------------


@sub("init")
def git_init(ctx: CommandContext, args: list[str]) -> int:
    """usage: git init [-q | --quiet] [-b <branch-name> | --initial-branch=<name>] [<directory>]"""
    o = Opts(args, {"-q", "--quiet", "--bare"}, {"-b", "--initial-branch"})
    if o.has("--bare"):
        raise GitFatal("--bare repositories are not supported by corral's git", 128)
    target = o.operands[0] if o.operands else "."
    host = ctx.resolve(target)
    if not hostfs.lexists(ctx.ws, host):
        for parent in reversed([host, *host.parents]):
            inside = parent == ctx.ws.root or ctx.ws.root in parent.parents
            if inside and not hostfs.lexists(ctx.ws, parent):
                hostfs.mkdir(ctx.ws, parent, 0o755)
    gitdir = host / ".git"
    shown = ctx.display(gitdir) + "/"
    if hostfs.lexists(ctx.ws, gitdir):
        GitRepo(ctx, host)  # checks it
        if not o.has("-q", "--quiet"):
            ctx.out(f"Reinitialized existing Git repository in {shown}\n")
        return 0
    branch = o.get("-b", "--initial-branch") or _default_branch(ctx)
    _check_branch_name(branch)
    from dulwich.config import StackedConfig

    repo = Repo.init(str(host), mkdir=False, config=StackedConfig([]),
                     default_branch=branch.encode(), symlinks=True)  # fmt: skip
    repo.close()
    if not o.has("-q", "--quiet"):
        ctx.out(f"Initialized empty Git repository in {shown}\n")
    return 0


def _default_branch(ctx: CommandContext) -> str:
    cfg = read_global_config(ctx)
    if cfg is not None:
        try:
            return cfg.get((b"init",), b"defaultBranch").decode()
        except KeyError:
            pass
    return "master"


def _check_branch_name(name: str) -> None:
    from dulwich.refs import check_ref_format

    if not name or name.startswith("-") or not check_ref_format(b"refs/heads/" + name.encode()):
        raise GitFatal(f"'{name}' is not a valid branch name")


@sub("config")
def git_config(ctx: CommandContext, args: list[str]) -> int:
    """usage: git config [--global] [--get | --unset | --list | -l] <name> [<value>]"""
    o = Opts(args, {"--global", "--local", "--get", "--unset", "--list", "-l"}, set())
    if o.has("--global"):
        path = global_config_path(ctx)
        cfg = read_global_config(ctx)
        if cfg is None:
            from dulwich.config import ConfigFile

            cfg = ConfigFile()
        g = None
    else:
        g = GitRepo.find(ctx)
        cfg = g.repo.get_config()
        path = ""
    if o.has("--list", "-l"):
        sources = [cfg] if g is None else [read_global_config(ctx), cfg]
        for c in sources:
            if c is None:
                continue
            for section in c.sections():
                for k, v in c.items(section):
                    name = b".".join([section[0], *section[1:]]).decode() + "." + k.decode().lower()
                    ctx.out(f"{name.lower() if len(section) == 1 else name}={v.decode()}\n")
        return 0
    if not o.operands:
        raise GitFatal("usage: git config [--global] <name> [<value>]", 129, "error: ")
    key = o.operands[0]
    if "." not in key:
        raise GitFatal(f"key does not contain a section: {key}", 1, "error: ")
    section_name, name = key.rsplit(".", 1)
    head, _, subsec = section_name.partition(".")
    section = (head.encode(), subsec.encode()) if subsec else (head.encode(),)
    if o.has("--unset"):
        try:
            del cfg[section][name.encode()]
        except KeyError:
            return 5
    elif len(o.operands) == 1 or o.has("--get"):
        stack = [cfg] if g is None else [cfg, read_global_config(ctx)]
        for c in stack:
            if c is None:
                continue
            try:
                ctx.out(c.get(section, name.encode()).decode() + "\n")
                return 0
            except KeyError:
                continue
        return 1
    else:
        cfg.set(section, name.encode(), o.operands[1].encode("utf-8", "surrogateescape"))
    if g is None:
        buf = io.BytesIO()
        cfg.write_to_file(buf)
        with ctx.open_write(path) as f:
            f.write(buf.getvalue())
    else:
        cfg.write_to_path()
    return 0


# -- add, rm, commit -------------------------------------------------------------------


@sub("add")
def git_add(ctx: CommandContext, args: list[str]) -> int:
    """usage: git add [-A | --all | -u | --update] [--] [<pathspec>...]"""
    o = Opts(args, {"-A", "--all", "-u", "--update", "-v", "--verbose", "-f", "--force"}, set())
    g = GitRepo.find(ctx)
    s = State(g)
    specs_in = o.operands + (o.paths or [])
    if not specs_in and not o.has("-A", "--all", "-u", "--update"):
        ctx.stderr.write(b"Nothing specified, nothing added.\n")
        ctx.stderr.write(b"hint: Maybe you wanted to say 'git add .'?\n")
        return 0
    specs = [_path_arg(g, s, a) for a in specs_in] if specs_in else None
    touched: list[bytes] = []
    if specs is not None:
        for raw, spec in zip(specs_in, specs, strict=True):
            known = any(_under(p, spec) for p in s.index) or (
                spec == b"" or s.wt.lstat(spec) is not None
            )
            if not known:
                raise GitFatal(f"pathspec '{raw}' did not match any files")
    for path in list(s.index):
        if _matches(path, specs) and s.stage(path):
            touched.append(path)
    refused: list[str] = []
    if not o.has("-u", "--update"):
        force = o.has("-f", "--force")
        for rel in s.untracked(collapse=False, ignored_too=force):
            if _matches(rel, specs):
                s.stage(rel)
                touched.append(rel)
        if specs is not None and not force:  # naming an ignored path is an error
            ignored = s.ignored_untracked()
            for raw, spec in zip(specs_in, specs, strict=True):
                if spec and any(_under(p, spec) for p in ignored) and not any(
                    _under(p, spec) for p in s.index
                ):
                    refused.append(raw)
    s.index.write()
    if refused:
        ctx.stderr.write(b"The following paths are ignored by one of your .gitignore files:\n"
                         + "".join(r + "\n" for r in refused).encode()
                         + b"hint: Use -f if you really want to add them.\n"
                         b"hint: Turn this message off by running\n"
                         b"hint: \"git config advice.addIgnoredFile false\"\n")  # fmt: skip
        return 1
    if o.has("-v", "--verbose"):
        for p in touched:
            ctx.out(f"add '{p.decode()}'\n")
    return 0


@sub("rm")
def git_rm(ctx: CommandContext, args: list[str]) -> int:
    """usage: git rm [--cached] [-r] [-q] [--] <pathspec>..."""
    o = Opts(args, {"--cached", "-r", "-q", "--quiet", "-f", "--force"}, set())
    g = GitRepo.find(ctx)
    s = State(g)
    raw = o.operands + (o.paths or [])
    if not raw:
        raise GitFatal("No pathspec was given. Which files should I remove?")
    gone: list[bytes] = []
    for a in raw:
        spec = _path_arg(g, s, a)
        hit = [p for p in s.index if _under(p, spec)]
        if not hit:
            raise GitFatal(f"pathspec '{a}' did not match any files")
        if any(p != spec for p in hit) and not o.has("-r"):
            raise GitFatal(f"not removing '{a}' recursively without -r")
        gone += hit
    for p in gone:
        del s.index[p]
        if not o.has("--cached"):
            s.wt.remove(p)
        if not o.has("-q", "--quiet"):
            ctx.out(f"rm '{p.decode()}'\n")
    s.index.write()
    return 0


@sub("commit")
def git_commit(ctx: CommandContext, args: list[str]) -> int:
    """usage: git commit [-a | --all] [-q] [--allow-empty] [--amend] (-m <msg> | -F <file>)"""
    o = Opts(args, {"-a", "--all", "-q", "--quiet", "--allow-empty", "--amend",
                    "--allow-empty-message", "--no-verify", "-n", "--no-edit"},
             {"-m", "--message", "-F", "--file", "--author", "--date"})  # fmt: skip
    from . import merging

    g = GitRepo.find(ctx)
    s = State(g)
    merging_in = merging.merge_head(s)
    picking = merging.pick_head(s)
    if merging_in is not None and o.has("--amend"):
        raise GitFatal("You are in the middle of a merge -- cannot amend.")
    msgs = o.all("-m", "--message")
    msg_file = o.get("-F", "--file")
    if msg_file is not None:
        with ctx.open_read(msg_file) as f:
            text = f.read(1 << 20).decode("utf-8", "surrogateescape")
    elif msgs:
        text = "\n\n".join(msgs)
    elif o.has("--amend") and s.head():
        text = s.commit(s.head()).message.decode("utf-8", "surrogateescape")  # type: ignore[arg-type]
    elif (merging_in is not None or picking is not None
          or merging.read_state(s, "SQUASH_MSG", 1) is not None):  # fmt: skip
        # MERGE_MSG (SQUASH_MSG after merge --squash) as git's editor would save it
        # (--no-edit keeps its # lines)
        raw = merging.read_state(s, "MERGE_MSG") or merging.read_state(s, "SQUASH_MSG") or b""
        text = raw.decode("utf-8", "surrogateescape")
        if not o.has("--no-edit"):
            text = "".join(ln for ln in text.splitlines(True) if not ln.startswith("#"))
    else:
        raise GitFatal("no commit message given: use -m <msg> or -F <file> "
                       "(there is no editor in the sandbox)")  # fmt: skip
    if o.has("-a", "--all"):
        for path in list(s.index):
            s.stage(path)
    if (merging_in is not None or picking is not None) and merging.unmerged(s):
        ctx.out("".join(f"U\t{quote_path(relative(p, g.prefix()))}\n"
                        for p in sorted(merging.unmerged(s))))  # fmt: skip
        ctx.stderr.write(b"error: Committing is not possible because you have unmerged "
                         b"files.\nhint: Fix them up in the work tree, and then use 'git "
                         b"add/rm <file>'\nhint: as appropriate to mark resolution and make "
                         b"a commit.\n")  # fmt: skip
        raise GitFatal("Exiting because of an unresolved conflict.")
    head = s.head()
    parents = [head] if head else []
    if merging_in is not None and head:
        parents.append(merging_in)
    if o.has("--amend"):
        if not head:
            raise GitFatal("You have nothing to amend.")
        parents = list(s.commit(head).parents)
    tree = s.tree_from_index()
    parent_tree = s.commit(parents[0]).tree if parents else None
    nothing = parent_tree == tree or (not parents and not s.index_items())
    if nothing and not o.has("--amend") and not o.has("--allow-empty") and merging_in is None:
        s.index.write()
        _long_status(ctx, g, s, committing=True)
        return 1
    message = cleanup_message(text)
    if not message and not o.has("--allow-empty-message"):
        ctx.stderr.write(b"Aborting commit due to empty commit message.\n")
        return 1
    author = g.ident("AUTHOR")
    committer = g.ident("COMMITTER")
    if picking is not None and not o.get("--author"):
        author = merging.author_of(g, s.commit(picking))
    if o.has("--amend") and head:
        old = s.commit(head)
        name, _, mail = old.author.decode().rpartition(" <")
        author.name, author.email = name, mail.rstrip(">")
        author.when, author.tz = old.author_time, old.author_timezone
    if o.get("--date"):
        from .repo import parse_date

        author.when, author.tz = parse_date(o.get("--date") or "")
    if o.get("--author"):
        who = o.get("--author") or ""
        name, _, mail = who.rpartition(" <")
        if not mail.endswith(">") or not name:
            raise GitFatal(f"--author '{who}' is not 'Name <email>' and matches no existing author")
        author.name, author.email = name, mail[:-1]
    c = s.make_commit(tree, parents, message, author, committer)
    kind = "commit (amend)" if o.has("--amend") else "commit (merge)" if len(parents) > 1 else (
        "commit" if parents else "commit (initial)")
    s.set_head(c.id, f"{kind}: ".encode() + subject(c))
    s.index.write()
    if merging_in is not None:
        merging.clear_state(s)
    if picking is not None:
        merging.clear_pick(s)
    for name in ("SQUASH_MSG", "MERGE_MSG", "AUTO_MERGE"):
        with contextlib.suppress(FileNotFoundError):
            (g.gitdir / name).unlink()
    if not o.has("-q", "--quiet"):
        commit_summary(ctx, s, c, parent_tree, show_date=o.has("--amend"))
    return 0


def commit_summary(ctx: CommandContext, s: State, c: Commit, parent_tree: bytes | None,
                   show_date: bool) -> None:  # fmt: skip
    """What ``git commit`` prints after committing ``c``: ``[branch id] subject``, the
    author when not the committer, the date (amend, cherry-pick), the stat (not for a
    merge)."""
    branch = s.branch()
    where = branch if branch else "detached HEAD"
    root = " (root-commit)" if not c.parents else ""
    ctx.out(f"[{where}{root} {c.id[:7].decode()}] ".encode() + subject(c) + b"\n")
    if c.author != c.committer:
        ctx.out(b" Author: " + c.author + b"\n")
    if show_date:
        ctx.out(" Date: " + _fmt_date(c) + "\n")
    if len(c.parents) > 1:
        return  # a merge commit: no stat
    chs = D.changes(s.items(parent_tree), s.items(c.tree), read=_reader(s))
    sts = D.stats(chs, _reader(s))
    ctx.out(D.summary_line(sts))
    summary_lines(ctx, chs)


def summary_lines(ctx: CommandContext, chs: list[D.Change], *, mode_changes: bool = True) -> None:
    """git's ``--summary`` lines of ``chs``: renames, created and deleted files (and mode
    changes: the commit summary has them, the merge summary here does not)."""
    for ch in chs:
        if ch.old_path is not None:
            shown = D.pprint_rename(ch.old_path, ch.path).decode("utf-8", "surrogateescape")
            ctx.out(f" rename {shown} ({ch.similarity}%)\n")
        elif ch.old is None:
            ctx.out(f" create mode {ch.new[0]:06o} {ch.path.decode()}\n")  # type: ignore[index]
        elif ch.new is None:
            ctx.out(f" delete mode {ch.old[0]:06o} {ch.path.decode()}\n")
        elif mode_changes and ch.old[0] != ch.new[0]:
            ctx.out(f" mode change {ch.old[0]:06o} => {ch.new[0]:06o} {ch.path.decode()}\n")


def _fmt_date(c: Commit) -> str:
    from .porcelain import format_date

    return format_date(c.author_time, c.author_timezone)


def _reader(s: State) -> Callable[[bytes], bytes]:
    def read(sha: bytes) -> bytes:
        try:
            return s.repo[sha].as_raw_string()
        except KeyError:
            raise GitFatal(f"bad object {sha.decode()}") from None

    return read


# -- status --------------------------------------------------------------------------


_LABEL = {"A": "new file:", "M": "modified:", "D": "deleted:", "T": "typechange:",
          "R": "renamed:"}  # fmt: skip


def _shown(ch: D.Change, pre: str, quote_sp: bool = False) -> str:
    """A change's path for status: ``old -> new`` for a rename."""
    name = quote_path(relative(ch.path, pre), quote_sp)
    if ch.old_path is not None:
        return quote_path(relative(ch.old_path, pre), quote_sp) + " -> " + name
    return name


def _long_status(ctx: CommandContext, g: GitRepo, s: State, committing: bool = False,
                 ignored: list[bytes] | None = None) -> None:  # fmt: skip
    pre = g.prefix()
    out: list[str] = []
    branch = s.branch()
    from . import merging, rebasing

    conflicts = merging.unmerged(s)
    rebase_text = rebasing.status_lines(s, bool(conflicts))
    if rebase_text is not None:
        out.append(rebase_text)
    elif branch is not None:
        out.append(f"On branch {branch}\n")
    else:
        h = s.head()
        out.append(f"HEAD detached at {h[:7].decode() if h else '?'}\n")
    initial = s.head() is None
    track = _tracking(s)
    if track is not None and not initial and rebase_text is None:
        out.append(_tracking_text(*track))
    if initial:
        out.append("\nInitial commit\n\n" if committing else "\nNo commits yet\n\n")
    staged = s.staged()
    unstaged = s.unstaged()
    untracked = s.untracked()
    in_merge = merging.merge_head(s) is not None

    def name(p: bytes) -> str:
        return quote_path(relative(p, pre))

    picking = merging.pick_head(s)
    if picking is not None:
        what = "fix conflicts and run" if conflicts else "all conflicts fixed: run"
        out.append(f"You are currently cherry-picking commit {picking[:7].decode()}.\n"
                   f'  ({what} "git cherry-pick --continue")\n'
                   '  (use "git cherry-pick --skip" to skip this patch)\n'
                   '  (use "git cherry-pick --abort" to cancel the cherry-pick operation)\n\n')
    elif in_merge and conflicts:
        out.append('You have unmerged paths.\n  (fix conflicts and run "git commit")\n'
                   '  (use "git merge --abort" to abort the merge)\n\n')  # fmt: skip
    elif in_merge:
        out.append('All conflicts fixed but you are still merging.\n'
                   '  (use "git commit" to conclude merge)\n\n')  # fmt: skip
    if staged:
        out.append("Changes to be committed:\n")
        if in_merge or picking is not None:
            pass  # git gives no hint while merging
        elif initial:
            out.append('  (use "git rm --cached <file>..." to unstage)\n')
        else:
            out.append('  (use "git restore --staged <file>..." to unstage)\n')
        for ch in staged:
            out.append(f"\t{_LABEL[ch.status]:<12}{_shown(ch, pre)}\n")
        out.append("\n")
    if conflicts:
        kinds = {p: merging.unmerged_kind(e) for p, e in conflicts.items()}
        out.append("Unmerged paths:\n")
        if not in_merge and picking is None:
            out.append('  (use "git restore --staged <file>..." to unstage)\n')
        if all(k[0] in ("UU", "AA") for k in kinds.values()):
            out.append('  (use "git add <file>..." to mark resolution)\n')
        else:
            out.append('  (use "git add/rm <file>..." as appropriate to mark resolution)\n')
        for p in sorted(kinds):
            out.append(f"\t{kinds[p][1]:<17}{name(p)}\n")
        out.append("\n")
    if unstaged:
        out.append("Changes not staged for commit:\n")
        if any(ch.new is None for ch in unstaged):
            out.append('  (use "git add/rm <file>..." to update what will be committed)\n')
        else:
            out.append('  (use "git add <file>..." to update what will be committed)\n')
        out.append('  (use "git restore <file>..." to discard changes in working directory)\n')
        for ch in unstaged:
            st = "D" if ch.new is None else ("T" if _typechange(ch) else "M")
            out.append(f"\t{_LABEL[st]:<12}{name(ch.path)}\n")
        out.append("\n")
    if untracked:
        out.append("Untracked files:\n")
        out.append('  (use "git add <file>..." to include in what will be committed)\n')
        for p in untracked:
            out.append(f"\t{name(p)}\n")
        out.append("\n")
    if ignored:
        out.append("Ignored files:\n")
        out.append('  (use "git add -f <file>..." to include in what will be committed)\n')
        for p in ignored:
            out.append(f"\t{name(p)}\n")
        out.append("\n")
    if not staged:
        if unstaged or conflicts:
            out.append('no changes added to commit (use "git add" and/or "git commit -a")\n')
        elif untracked:
            out.append('nothing added to commit but untracked files present '
                       '(use "git add" to track)\n')  # fmt: skip
        elif initial:
            out.append('nothing to commit (create/copy files and use "git add" to track)\n')
        else:
            out.append("nothing to commit, working tree clean\n")
    text = "".join(out)
    ctx.out(text)


def _tracking(s: State) -> tuple[str, int, int] | None:
    """(upstream name, ahead, behind) of the current branch, None without one."""
    b = s.branch()
    if b is None:
        return None
    cfg = s.g.repo.get_config()
    try:
        remote = cfg.get((b"branch", b.encode()), b"remote").decode()
        merge = cfg.get((b"branch", b.encode()), b"merge").decode()
    except KeyError:
        return None
    short = merge.removeprefix("refs/heads/")
    name = f"{remote}/{short}" if remote != "." else short
    try:
        up = s.repo.refs[f"refs/remotes/{name}".encode()]
    except KeyError:
        return name, -1, -1
    head = s.head()
    if head is None:
        return name, 0, 0
    mine = {c.id for c in walk(s.g, [head])}
    theirs = {c.id for c in walk(s.g, [up])}
    return name, len(mine - theirs), len(theirs - mine)


def _tracking_text(name: str, ahead: int, behind: int) -> str:
    if ahead < 0:
        return (f"Your branch is based on '{name}', but the upstream is gone.\n"
                '  (use "git branch --unset-upstream" to fixup)\n\n')  # fmt: skip
    if not ahead and not behind:
        return f"Your branch is up to date with '{name}'.\n\n"
    if ahead and not behind:
        n = "commit" if ahead == 1 else "commits"
        return (f"Your branch is ahead of '{name}' by {ahead} {n}.\n"
                '  (use "git push" to publish your local commits)\n\n')  # fmt: skip
    if behind and not ahead:
        n = "commit" if behind == 1 else "commits"
        return (f"Your branch is behind '{name}' by {behind} {n}, and can be fast-forwarded.\n"
                '  (use "git pull" to update your local branch)\n\n')  # fmt: skip
    return (f"Your branch and '{name}' have diverged,\n"
            f"and have {ahead} and {behind} different commits each, respectively.\n"
            '  (use "git pull" to merge the remote branch into yours)\n\n')  # fmt: skip


def _typechange(ch: D.Change) -> bool:
    return bool(ch.old and ch.new and (ch.old[0] == 0o120000) != (ch.new[0] == 0o120000))


@sub("status")
def git_status(ctx: CommandContext, args: list[str]) -> int:
    """usage: git status [-s | --short] [-b | --branch] [--porcelain] [-u[no]] [--ignored]"""
    o = Opts(args, {"-s", "--short", "-b", "--branch", "--porcelain", "--long",
                    "-uno", "-u", "--untracked-files=no", "--untracked-files=all",
                    "--ignored", "--ignored=traditional", "--ignored=no"},
             set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    ignored: list[bytes] = []
    if o.has("--ignored", "--ignored=traditional") and not o.has("--ignored=no"):
        ignored = s.ignored(collapse=not o.has("--untracked-files=all"))
    if not o.has("-s", "--short", "--porcelain"):
        _long_status(ctx, g, s, ignored=ignored)
        return 0
    pre = "" if o.has("--porcelain") else g.prefix()
    if o.has("-b", "--branch"):
        b = s.branch()
        track = _tracking(s)
        if s.head() is None:
            ctx.out(f"## No commits yet on {b}\n")
        elif track is not None:
            name, ahead, behind = track
            extra = []
            if ahead < 0:
                extra.append("gone")
            else:
                if ahead:
                    extra.append(f"ahead {ahead}")
                if behind:
                    extra.append(f"behind {behind}")
            ctx.out(f"## {b}...{name}" + (f" [{', '.join(extra)}]" if extra else "") + "\n")
        else:
            ctx.out(f"## {b}\n" if b else "## HEAD (no branch)\n")
    staged = {ch.path: ch for ch in s.staged()}
    unstaged = {ch.path: ch for ch in s.unstaged()}
    from . import merging

    conflicts = merging.unmerged(s)
    for p in sorted(set(staged) | set(unstaged) | set(conflicts)):
        if p in conflicts:
            xy = merging.unmerged_kind(conflicts[p])[0]
            ctx.out(f"{xy} {quote_path(relative(p, pre), True)}\n")
            continue
        x = staged[p].status if p in staged else " "
        y = " "
        if p in unstaged:
            y = "D" if unstaged[p].new is None else ("T" if _typechange(unstaged[p]) else "M")
        shown = _shown(staged[p] if p in staged else unstaged[p], pre, True)
        ctx.out(f"{x}{y} {shown}\n")
    if not o.has("-uno", "--untracked-files=no"):
        collapse = not o.has("--untracked-files=all")
        for p in s.untracked(collapse=collapse):
            ctx.out(f"?? {quote_path(relative(p, pre), True)}\n")
    for p in ignored:
        ctx.out(f"!! {quote_path(relative(p, pre), True)}\n")
    return 0


# -- diff, log, show ----------------------------------------------------------------


def _split_revs_paths(s: State, g: GitRepo, o: Opts) -> tuple[list[bytes], list[bytes] | None]:
    """Operands to revisions (those first: what resolves) and paths (before ``--`` a
    path must exist; after it, anything is a path)."""
    revs: list[bytes] = []
    paths: list[str] = []
    for a in o.operands:
        if not paths:
            sha = s.try_resolve(a)
            if sha is not None:
                revs.append(sha)
                continue
        if o.paths is not None:  # before "--": revisions only
            raise Unknown(a)
        spec = _path_arg(g, s, a)
        if s.wt.lstat(spec) is None and not any(_under(p, spec) for p in s.index):
            raise Unknown(a)
        paths.append(a)
    paths += o.paths or []
    specs = [_path_arg(g, s, p) for p in paths] if paths else None
    return revs, specs


def _emit_changes(ctx: CommandContext, s: State, chs: list[D.Change], o: Opts,
                  read: Callable[[bytes], bytes]) -> None:  # fmt: skip
    if o.has("--name-only"):
        for ch in chs:
            ctx.out(quote_path(ch.path) + "\n")
        return
    if o.has("--name-status"):
        for ch in chs:
            ctx.out(_name_status(ch))
        return
    if o.has("--stat"):
        ctx.out(D.stat_block(D.stats(chs, read), 80))
        return
    if o.has("--shortstat"):
        if chs:
            ctx.out(D.summary_line(D.stats(chs, read)))
        return
    words = None
    for flag in o.flags:
        if flag.startswith("--word-diff"):
            words = flag.partition("=")[2] or "plain"
    if words == "none":
        words = None
    for ch in chs:
        ctx.check()
        ctx.out(D.patch(ch, read, words=words))


def _name_status(ch: D.Change) -> str:
    if ch.old_path is not None:
        return f"R{ch.similarity:03d}\t{quote_path(ch.old_path)}\t{quote_path(ch.path)}\n"
    return f"{ch.status}\t{quote_path(ch.path)}\n"


_DIFF_FLAGS = {"--cached", "--staged", "--stat", "--name-only", "--name-status", "--shortstat",
               "--no-color", "--quiet", "--exit-code", "-p", "--patch", "--word-diff",
               "--word-diff=plain", "--word-diff=porcelain", "--word-diff=none"}


@sub("diff")
def git_diff(ctx: CommandContext, args: list[str]) -> int:
    """usage: git diff [--cached | --staged] [--stat | --name-only | --name-status]
                [--word-diff[=plain|porcelain]] [<commit> [<commit>]] [--] [<path>...]"""
    o = Opts(args, _DIFF_FLAGS | {"--no-index"}, set(), revlist=True)
    if o.has("--no-index"):
        return _diff_no_index(ctx, o)
    g = GitRepo.find(ctx)
    s = State(g)
    operands = []
    for a in o.operands:  # A..B
        if ".." in a and not a.startswith("..") and s.wt.lstat(a.encode()) is None:
            left, right = a.split("..", 1)
            operands += [left or "HEAD", right or "HEAD"]
        else:
            operands.append(a)
    o.operands = operands
    revs, specs = _split_revs_paths(s, g, o)
    wt_blobs: dict[bytes, bytes] = {}
    if len(revs) >= 2:
        old = s.items(s.commit(revs[0]).tree)
        new = s.items(s.commit(revs[1]).tree)
    elif o.has("--cached", "--staged"):
        base = revs[0] if revs else s.head()
        old = s.items(s.commit(base).tree) if base else {}
        new = s.index_items()
    else:
        if revs:
            old = s.items(s.commit(revs[0]).tree)
            paths = set(old) | set(s.index)
        else:
            old = s.index_items()
            paths = set(old)
        new = {}
        for p in sorted(paths):
            entry = s.entry(p)
            item = s.worktree_item(p, entry)
            if item is None:
                continue
            new[p] = item
            if item[1] not in s.repo.object_store:
                st = s.wt.lstat(p)
                if st is not None:
                    wt_blobs[item[1]] = s.wt.read_blob(p, st).as_raw_string()
    base_read = _reader(s)

    def read(sha: bytes) -> bytes:
        if sha in wt_blobs:
            return wt_blobs[sha]
        return base_read(sha)

    chs = [ch for ch in D.changes(old, new, read=read) if _matches(ch.path, specs)]

    if not o.has("--quiet"):
        _emit_changes(ctx, s, chs, o, read)
    if o.has("--quiet", "--exit-code"):
        return 1 if chs else 0
    return 0


def _diff_no_index(ctx: CommandContext, o: Opts) -> int:
    """``git diff --no-index A B``: two files of the workspace, no repository."""
    import os
    import stat as statmod

    from dulwich.objects import Blob

    names = o.operands + (o.paths or [])
    if len(names) != 2:
        raise GitFatal("usage: git diff --no-index [<options>] <path> <path>", 129, "")
    datas, modes = [], []
    for n in names:
        fd = ctx.open_fd(n, os.O_RDONLY)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if statmod.S_ISDIR(st.st_mode):
                raise GitFatal("corral's git diff --no-index compares two files, not directories")
            datas.append(f.read(1 << 28))
        modes.append(0o100755 if st.st_mode & 0o100 else 0o100644)
    ids = [Blob.from_string(d).id for d in datas]
    a, b = (n.lstrip("/").encode("utf-8", "surrogateescape") for n in names)
    if ids[0] == ids[1] and modes[0] == modes[1]:
        return 0
    blobs = dict(zip(ids, datas, strict=True))
    ch = D.Change(b, (modes[0], ids[0]), (modes[1], ids[1]))
    if o.has("--stat"):  # two names: shown as git shows a rename, ``x => y``
        shown = D.Change(b, ch.old, ch.new, old_path=a if a != b else None)
        ctx.out(D.stat_block(D.stats([shown], blobs.__getitem__)))
    elif o.has("--name-only", "--name-status", "--shortstat"):
        _emit_changes(ctx, None, [ch], o, blobs.__getitem__)  # type: ignore[arg-type]
    elif not o.has("--quiet"):
        text = D.patch(ch, blobs.__getitem__)
        if a != b:  # two names: git shows each
            first = b"diff --git " + D._q(b"a/" + a) + b" " + D._q(b"b/" + b) + b"\n"
            text = first + text.split(b"\n", 1)[1].replace(
                b"--- " + D._q(b"a/" + b), b"--- " + D._q(b"a/" + a), 1)
        ctx.out(text)
    return 1


def _parse_n(o: Opts) -> int | None:
    n = o.get("-n", "--max-count")
    if n is None:
        return None
    if not n.lstrip("-").isdigit():
        raise GitFatal(f"'{n}': not an integer")
    return int(n) if int(n) >= 0 else None


def _format(c: Commit, fmt: str, date: str = "default", abbrev: int = 7) -> bytes:
    """``--format``'s placeholders for commit ``c`` (``date``: the ``--date`` mode)."""
    from .porcelain import format_date

    name, _, mail = c.author.decode("utf-8", "surrogateescape").rpartition(" <")
    cname, _, cmail = c.committer.decode("utf-8", "surrogateescape").rpartition(" <")
    body = c.message.decode("utf-8", "surrogateescape")
    subj = subject(c).decode("utf-8", "surrogateescape")
    rest = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    vals = {
        "H": c.id.decode(), "h": c.id[:abbrev].decode(), "s": subj, "an": name,
        "ae": mail.rstrip(">"), "B": body, "b": rest, "n": "\n", "%": "%",
        "T": c.tree.decode(), "t": c.tree[:abbrev].decode(),
        "P": " ".join(p.decode() for p in c.parents),
        "p": " ".join(p[:abbrev].decode() for p in c.parents), "cn": cname,
        "ce": cmail.rstrip(">"),
    }  # fmt: skip
    for k, when, tz in (("a", c.author_time, c.author_timezone),
                        ("c", c.commit_time, c.commit_timezone)):  # fmt: skip
        for ch, mode in (("d", date), ("D", "rfc"), ("i", "iso"), ("I", "iso-strict"),
                         ("s", "short"), ("t", "unix"), ("r", "relative")):  # fmt: skip
            vals[k + ch] = format_date(when, tz, mode)
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            hexa = fmt[i + 2:i + 4] if fmt[i + 1] == "x" else ""
            if len(hexa) == 2 and all(ch in "0123456789abcdefABCDEF" for ch in hexa):
                out.append(chr(int(hexa, 16)))
                i += 4
                continue
            for key in (fmt[i + 1:i + 3], fmt[i + 1]):
                if key in vals:
                    out.append(vals[key])
                    i += 1 + len(key)
                    break
            else:
                out.append(fmt[i])
                i += 1
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out).encode("utf-8", "surrogateescape")


def _log_entry(buf: io.BytesIO, s: State, c: Commit, o: Opts, fmt: str | None,
               read: Callable[[bytes], bytes], date: str = "default",
               abbrev: bool = False) -> None:  # fmt: skip
    """One commit of ``git log``: its header or line, then its changes if asked."""
    if o.has("--oneline", "--oneline-full"):
        sha = c.id if o.has("--oneline-full") else c.id[:7]
        buf.write(sha + b" " + subject(c) + b"\n")
    elif fmt is not None:
        buf.write(_format(c, fmt, date) + b"\n")
    else:
        buf.write(log_header(c, date=date, abbrev=abbrev))
    if not o.has("--stat", "-p", "--patch", "--name-only", "--name-status"):
        return
    chs = D.changes(s.items(_parent_tree(s, c)), s.items(c.tree), read=read)
    if not o.has("--oneline") and fmt is None:
        buf.write(b"\n")
    if o.has("--stat"):
        buf.write(D.stat_block(D.stats(chs, read)).encode("utf-8", "surrogateescape"))
    elif o.has("--name-only", "--name-status"):
        for ch in chs:
            if o.has("--name-only"):
                buf.write(quote_path(ch.path).encode() + b"\n")
            else:
                buf.write(_name_status(ch).encode("utf-8", "surrogateescape"))
    else:
        for ch in chs:
            buf.write(D.patch(ch, read))


def _parent_tree(s: State, c: Commit) -> bytes | None:
    if not c.parents or c.parents[0] not in s.repo.object_store:  # a root, or shallow
        return None
    return s.commit(c.parents[0]).tree


#: what ``log``, ``rev-list`` and ``shortlog`` take to choose commits
LOG_FLAGS = {"--all", "--reverse", "--follow", "--all-match", "--invert-grep", "-i",
             "--regexp-ignore-case", "-E", "--extended-regexp", "-F", "--fixed-strings",
             "--merges", "--no-merges", "--first-parent"}  # fmt: skip
LOG_VALUED = {"-n", "--max-count", "--author", "--committer", "--grep", "--since", "--after",
              "--until", "--before", "--skip"}  # fmt: skip


def select_commits(ctx: CommandContext, s: State, g: GitRepo, o: Opts) -> list[Commit]:
    """The commits a ``log`` shows, in its order: revisions, ranges (``A..B``, ``^A``),
    ``--all``, paths, ``--follow``, the filters of :class:`history.CommitFilter`, ``-n``,
    ``--skip``, ``--reverse``."""
    from .history import CommitFilter, follow

    excludes: list[bytes] = []
    kept_ops: list[str] = []
    ranged = False
    for a in o.operands:
        if a.startswith("^") and len(a) > 1:
            excludes.append(s.resolve(a[1:]))
        elif ".." in a and "..." not in a and s.wt.lstat(a.encode()) is None:
            left, right = a.split("..", 1)
            excludes.append(s.resolve(left or "HEAD"))
            kept_ops.append(right or "HEAD")
            ranged = True
        else:
            kept_ops.append(a)
    o.operands = kept_ops
    revs, specs = _split_revs_paths(s, g, o)
    if ranged and not revs:
        revs = [s.resolve("HEAD")]
    if o.has("--all"):
        refs = s.repo.refs
        revs += [refs[k] for k in sorted(refs.allkeys()) if k.startswith(b"refs/heads/")
                 or k.startswith(b"refs/remotes/") or k.startswith(b"refs/tags/") or k == b"HEAD"
                 if k in refs]  # fmt: skip
        revs = [s.commit(r).id for r in revs]
    if not revs:
        h = s.head()
        if h is None:
            b = s.branch() or "HEAD"
            raise GitFatal(f"your current branch '{b}' does not have any commits yet")
        revs = [h]
    limit = _parse_n(o)
    skip = o.get("--skip")
    if skip is not None and not skip.isdigit():
        raise GitFatal(f"'{skip}': not an integer")
    flt = CommitFilter(o)
    hidden = {c.id for c in walk(g, excludes)} if excludes else set()
    lazy = not (specs or hidden or flt.active or skip)
    commits = [c for c in walk(g, revs, limit if lazy else None) if c.id not in hidden]
    if o.has("--follow"):
        if specs is None or len(specs) != 1:
            raise GitFatal("--follow requires exactly one pathspec")
        commits = follow(s, commits, specs[0])
    elif specs is not None:
        kept = []
        for c in commits:
            ctx.check()
            chs = D.changes(s.items(_parent_tree(s, c)), s.items(c.tree))
            if any(_matches(ch.path, specs) for ch in chs):
                kept.append(c)
        commits = kept
    if flt.active:
        commits = [c for c in commits if flt.keep(c)]
    if skip:
        commits = commits[int(skip):]
    if limit is not None:
        commits = commits[:limit]
    if o.has("--reverse"):
        commits.reverse()
    return commits


@sub("log")
def git_log(ctx: CommandContext, args: list[str]) -> int:
    """usage: git log [--oneline] [-n <number> | -<number>] [--stat] [-p]
               [--format=<fmt> | --pretty=<fmt>] [--date=<mode>] [--abbrev-commit]
               [--author=<p>] [--grep=<p>] [--since=<date>] [--until=<date>] [--follow]
               [<revision>...] [--] [<path>...]"""
    from .porcelain import check_date_mode

    o = Opts(args, LOG_FLAGS | {"--oneline", "--stat", "-p", "--patch", "--no-decorate",
                                "--name-only", "--name-status", "--graph", "--abbrev-commit",
                                "--no-abbrev-commit"},
             LOG_VALUED | {"--format", "--pretty", "--date"}, numeric_n=True,
             revlist=True)  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    date = check_date_mode(o.get("--date") or "default")
    commits = select_commits(ctx, s, g, o)
    fmt = o.get("--format", "--pretty")
    # `format:` separates the entries (nothing after the last), `tformat:` (and a bare
    # format with a %) ends each one
    separator = (fmt is not None and fmt.startswith("format:")
                 and not o.has("--stat", "-p", "--patch", "--name-only", "--name-status"))
    if fmt is not None and fmt.startswith(("format:", "tformat:")):
        fmt = fmt.split(":", 1)[1]
    abbrev = o.has("--abbrev-commit") and not o.has("--no-abbrev-commit")
    if fmt == "oneline":
        fmt, o.flags = None, [*o.flags, "--oneline" if abbrev else "--oneline-full"]
    elif fmt in ("medium", "short", "full", "fuller", "raw", "email", "reference"):
        if fmt != "medium":
            raise GitFatal(f"--pretty={fmt} is not supported by corral's git")
        fmt = None
    read = _reader(s)
    graph = o.has("--graph")
    if graph and any(len(c.parents) > 1 for c in commits):
        raise GitFatal("--graph of a history with merges is not supported by corral's git")
    blocks: list[bytes] = []
    for c in commits:
        ctx.check()
        buf = io.BytesIO()
        _log_entry(buf, s, c, o, fmt, read, date, abbrev)
        blocks.append(buf.getvalue())
    default = not o.has("--oneline", "--oneline-full") and fmt is None
    for i, block in enumerate(blocks):
        last = i == len(blocks) - 1
        if default and not last:
            block += b"\n"
        if separator and last and block.endswith(b"\n"):
            block = block[:-1]
        if graph:
            lines = block.split(b"\n")[:-1]
            pad = b"| " if commits[i].parents else b"  "
            block = b"".join((b"* " if n == 0 else pad) + ln + b"\n" for n, ln in enumerate(lines))
        ctx.out(block)
    return 0


@sub("show")
def git_show(ctx: CommandContext, args: list[str]) -> int:
    """usage: git show [--stat] [--oneline] [--name-only] [<object>...]"""
    o = Opts(args, {"--stat", "--oneline", "--name-only", "--name-status", "-s",
                    "--no-patch", "--quiet"}, {"--format", "--pretty"}, revlist=True)  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    specs = o.operands or ["HEAD"]
    read = _reader(s)
    for n, spec in enumerate(specs):
        obj = _show_object(s, spec)
        if n:
            ctx.out("\n")
        while isinstance(obj, Tag):
            from .porcelain import format_date

            ctx.out(b"tag " + obj.name + b"\nTagger: " + obj.tagger + b"\nDate:   "
                    + format_date(obj.tag_time, obj.tag_timezone).encode() + b"\n\n"
                    + obj.message + b"\n")  # fmt: skip
            obj = s.repo[obj.object[1]]
        if isinstance(obj, Tree):
            ctx.out(f"tree {spec}\n\n")
            for name, mode, _sha in obj.iteritems():
                ctx.out(name + (b"/" if mode & 0o040000 and not mode & 0o100000 else b"") + b"\n")
            continue
        if not isinstance(obj, Commit):
            ctx.out(obj.as_raw_string())
            continue
        fmt = o.get("--format", "--pretty")
        if o.has("--oneline"):
            ctx.out(obj.id[:7] + b" " + subject(obj) + b"\n")
        elif fmt is not None:
            ctx.out(_format(obj, fmt.split(":", 1)[-1]) + b"\n")
        else:
            ctx.out(log_header(obj))
        if o.has("-s", "--no-patch", "--quiet"):
            continue
        chs = D.changes(s.items(_parent_tree(s, obj)), s.items(obj.tree), read=read)
        if len(obj.parents) > 1:
            continue  # a merge: no combined diff
        if o.has("--stat"):
            if not o.has("--oneline"):
                ctx.out("\n")
            ctx.out(D.stat_block(D.stats(chs, read)))
        elif o.has("--name-only", "--name-status"):
            if not o.has("--oneline"):
                ctx.out("\n")
            _emit_changes(ctx, s, chs, o, read)
        else:
            if chs and not o.has("--oneline"):
                ctx.out("\n")
            for ch in chs:
                ctx.out(D.patch(ch, read))
    return 0


def _show_object(s: State, spec: str):
    if ":" in spec:
        rev, _, path = spec.partition(":")
        tree_items = s.items(s.commit(s.resolve(rev or "HEAD")).tree) if rev else s.index_items()
        item = tree_items.get(path.encode())
        if item is None:
            raise GitFatal(f"path '{path}' does not exist in '{rev or 'the index'}'")
        return s.repo[item[1]]
    sha = s.try_resolve(spec, peel=False)
    if sha is None:
        raise Unknown(spec)
    return s.repo[sha]


# -- rev-parse -----------------------------------------------------------------------


@sub("rev-parse")
def git_rev_parse(ctx: CommandContext, args: list[str]) -> int:
    """usage: git rev-parse [--short[=N]] [--abbrev-ref] [--verify] [--show-toplevel]
                     [--git-dir] [--is-inside-work-tree] [--show-prefix] <rev>..."""
    flags = {"--abbrev-ref", "--verify", "-q", "--quiet", "--show-toplevel", "--git-dir",
             "--is-inside-work-tree", "--show-prefix", "--short", "--absolute-git-dir",
             "--is-inside-git-dir", "--show-cdup"}  # fmt: skip
    short_n = None
    rest = []
    for a in args:
        if a.startswith("--short="):
            short_n = a.split("=", 1)[1]
            rest.append("--short")
        else:
            rest.append(a)
    o = Opts(rest, flags, set())
    g = GitRepo.find(ctx)
    s = State(g)
    if o.has("--show-toplevel"):
        ctx.out(ctx.display(g.top) + "\n")
    if o.has("--git-dir"):
        ctx.out((".git" if g.prefix() == "" else ctx.display(g.gitdir)) + "\n")
    if o.has("--absolute-git-dir"):
        ctx.out(ctx.display(g.gitdir) + "\n")
    if o.has("--is-inside-work-tree"):
        ctx.out("true\n")
    if o.has("--is-inside-git-dir"):
        ctx.out("false\n")
    if o.has("--show-prefix"):
        ctx.out(g.prefix() + "\n")
    if o.has("--show-cdup"):
        ctx.out("../" * g.prefix().count("/") + "\n")
    n = 7
    if short_n is not None:
        if not short_n.isdigit():
            raise GitFatal(f"--short: '{short_n}' is not a number")
        n = max(4, min(40, int(short_n)))
    for a in o.operands:
        sha = _rev_parse_one(s, a)
        if sha is None:
            if o.has("--verify"):
                if o.has("-q", "--quiet"):
                    return 1
                raise GitFatal("Needed a single revision")
            ctx.out(a + "\n")
            raise Unknown(a)
        if o.has("--abbrev-ref"):
            name = a
            if a in ("HEAD", "@"):
                name = s.branch() or "HEAD"
            ctx.out(name + "\n")
        elif o.has("--short"):
            ctx.out(sha[:n].decode() + "\n")
        else:
            ctx.out(sha.decode() + "\n")
    return 0


def _rev_parse_one(s: State, spec: str) -> bytes | None:
    """A revision's object id for rev-parse, with a peeling suffix: ``REV^{}`` and
    ``REV^{commit}`` (the commit), ``REV^{tree}`` (its tree)."""
    base, brace, kind = spec.partition("^{")
    if not brace:
        return s.try_resolve(spec, peel=False)
    if not kind.endswith("}") or not base:
        return None
    kind = kind[:-1]
    sha = s.try_resolve(base)
    if sha is None or kind not in ("", "commit", "tree"):
        return None
    return s.commit(sha).tree if kind == "tree" else sha


# -- branch, checkout, switch, reset ----------------------------------------------


@sub("branch")
def git_branch(ctx: CommandContext, args: list[str]) -> int:
    """usage: git branch [--list] [-a] [-v]
       git branch <name> [<start-point>]
       git branch (-d | -D) <name>...
       git branch (-m | -M) [<old>] <new>
       git branch --show-current"""
    o = Opts(args, {"-d", "-D", "--delete", "-m", "-M", "--move", "-a", "--all", "-v",
                    "--list", "--show-current", "-f", "--force", "-r", "--remotes"},
             set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    refs = s.repo.refs
    cur = s.branch() if s.head_ref() else None
    if o.has("--show-current"):
        if cur:
            ctx.out(cur + "\n")
        return 0
    if o.has("-d", "-D", "--delete"):
        if not o.operands:
            raise GitFatal("branch name required")
        status = 0
        for name in o.operands:
            ref = b"refs/heads/" + name.encode()
            if name == cur:
                ctx.stderr.write(
                    f"error: Cannot delete branch '{name}' checked out at "
                    f"'{ctx.display(g.top)}'\n".encode()
                )
                status = 1
                continue
            try:
                sha = refs[ref]
            except KeyError:
                ctx.stderr.write(f"error: branch '{name}' not found.\n".encode())
                status = 1
                continue
            if not o.has("-D", "-f", "--force"):
                head = s.head()
                merged = head is not None and any(c.id == sha for c in walk(g, [head]))
                if not merged:
                    ctx.stderr.write(
                        f"error: The branch '{name}' is not fully merged.\n"
                        f"If you are sure you want to delete it, run 'git branch -D {name}'.\n"
                        .encode()
                    )
                    status = 1
                    continue
            refs.remove_if_equals(ref, None)
            ctx.out(f"Deleted branch {name} (was {sha[:7].decode()}).\n")
        return status
    if o.has("-m", "-M", "--move"):
        if len(o.operands) == 1:
            if cur is None:
                raise GitFatal("cannot rename the current branch while not on any.")
            old, new = cur, o.operands[0]
        elif len(o.operands) == 2:
            old, new = o.operands
        else:
            raise GitFatal("too many arguments for a rename operation")
        _check_branch_name(new)
        oref, nref = b"refs/heads/" + old.encode(), b"refs/heads/" + new.encode()
        if nref in refs and not o.has("-M", "-f"):
            raise GitFatal(f"a branch named '{new}' already exists")
        if oref not in refs:
            if old == cur and s.head() is None:
                refs.set_symbolic_ref(b"HEAD", nref)
                return 0
            raise GitFatal(f"no branch named '{old}'")
        refs[nref] = refs[oref]
        refs.remove_if_equals(oref, None)
        if old == cur:
            refs.set_symbolic_ref(b"HEAD", nref)
        return 0
    if o.operands and not o.has("--list"):
        name = o.operands[0]
        _check_branch_name(name)
        ref = b"refs/heads/" + name.encode()
        if ref in refs and not o.has("-f", "--force"):
            raise GitFatal(f"a branch named '{name}' already exists")
        start = o.operands[1] if len(o.operands) > 1 else "HEAD"
        sha = s.try_resolve(start)
        if sha is None:
            if start == "HEAD":
                raise GitFatal(f"not a valid object name: '{cur or 'HEAD'}'")
            raise GitFatal(f"not a valid object name: '{start}'")
        s.update_ref(ref, sha, f"branch: Created from {start}".encode())
        return 0
    names = sorted(k.decode() for k in refs.keys(base=b"refs/heads/"))
    lines = []
    if cur is None and s.head() is not None:
        lines.append((f"(HEAD detached at {s.head()[:7].decode()})", True, s.head()))  # type: ignore[index]
    for n in names:
        lines.append((n, n == cur, refs[b"refs/heads/" + n.encode()]))
    if o.has("-a", "--all", "-r", "--remotes"):
        remotes = sorted(k.decode() for k in refs.keys(base=b"refs/remotes/"))
        if o.has("-r", "--remotes"):
            lines = []
        for n in remotes:
            full = b"refs/remotes/" + n.encode()
            shown = ("remotes/" if not o.has("-r", "--remotes") else "") + n
            sym = refs.get_symrefs().get(full)
            if sym is not None:
                target = sym.decode().removeprefix("refs/remotes/")
                lines.append((f"{shown} -> {target}", False, None))
            else:
                lines.append((shown, False, refs[full]))
    width = max((len(n) for n, _, _ in lines), default=0)
    for n, current, sha in lines:
        mark = "* " if current else "  "
        if o.has("-v") and sha is not None:
            c = s.commit(sha)
            ctx.out(f"{mark}{n:<{width}} {sha[:7].decode()} ".encode() + subject(c) + b"\n")
        else:
            ctx.out(f"{mark}{n}\n")
    return 0


def _local_changes_error(ctx: CommandContext, e: LocalChanges, what: str) -> int:
    ctx.stderr.write(
        f"error: Your local changes to the following files would be overwritten by {what}:\n"
        .encode()
    )
    for p in e.paths:
        ctx.stderr.write(b"\t" + p + b"\n")
    ctx.stderr.write(b"Please commit your changes or stash them before you switch branches.\n"
                     b"Aborting\n")  # fmt: skip
    return 1


def _switch_to(ctx: CommandContext, s: State, target: str, create: str | None, detach: bool,
               what: str, force: bool = False, quiet: bool = False) -> int:  # fmt: skip
    rc = _switch(ctx, s, target, create, detach, what, force, quiet)
    if rc == 0:  # git forgets a merge or cherry-pick in progress on another branch
        from . import merging

        merging.clear_state(s)
        merging.clear_pick(s)
    return rc


def _switch(ctx: CommandContext, s: State, target: str, create: str | None, detach: bool,
            what: str, force: bool = False, quiet: bool = False) -> int:  # fmt: skip
    refs = s.repo.refs

    def note(msg: bytes) -> None:
        if not quiet:
            ctx.stderr.write(msg)

    from .merging import unmerged

    if not force and (conflicted := unmerged(s)):
        ctx.out("".join(f"{quote_path(relative(p, s.g.prefix()))}: needs merge\n"
                        for p in sorted(conflicted)))  # fmt: skip
        ctx.stderr.write(b"error: you need to resolve your current index first\n")
        return 1
    if create is not None:
        _check_branch_name(create)
        ref = b"refs/heads/" + create.encode()
        if ref in refs:
            raise GitFatal(f"a branch named '{create}' already exists")
        sha = s.try_resolve(target) if target else s.head()
        if target and sha is None:
            raise GitFatal(f"'{target}' is not a commit and a branch '{create}' cannot be "
                           "created from it")  # fmt: skip
        if sha is not None:
            try:
                s.checkout_tree(s.commit(sha).tree, force=force)
            except LocalChanges as e:
                return _local_changes_error(ctx, e, what)
            s.update_ref(ref, sha, f"branch: Created from {target or 'HEAD'}".encode())
        refs.set_symbolic_ref(b"HEAD", ref)
        note(f"Switched to a new branch '{create}'\n".encode())
        return 0
    ref = b"refs/heads/" + target.encode()
    if ref in refs and not detach:
        if s.head_ref() == ref:
            note(f"Already on '{target}'\n".encode())
            return 0
        sha = refs[ref]
        try:
            s.checkout_tree(s.commit(sha).tree, force=force)
        except LocalChanges as e:
            return _local_changes_error(ctx, e, what)
        refs.set_symbolic_ref(b"HEAD", ref)
        note(f"Switched to branch '{target}'\n".encode())
        return 0
    remote = b"refs/remotes/origin/" + target.encode()
    if remote in refs and not detach:
        return _switch_to(ctx, s, "origin/" + target, target, False, what, force, quiet)
    sha = s.try_resolve(target)
    if sha is None:
        if what == "switch":
            raise GitFatal(f"invalid reference: {target}")
        raise GitFatal(f"pathspec '{target}' did not match any file(s) known to git", 1,
                       "error: ")  # fmt: skip
    if what == "switch" and not detach:
        raise GitFatal("a branch is expected, got commit '" + target + "'")
    try:
        s.checkout_tree(s.commit(sha).tree, force=force)
    except LocalChanges as e:
        return _local_changes_error(ctx, e, what)
    _detach(s, sha)
    c = s.commit(sha)
    note(f"HEAD is now at {sha[:7].decode()} ".encode() + subject(c) + b"\n")
    return 0


def _orphan(ctx: CommandContext, s: State, name: str, start: str | None, empty: bool,
            quiet: bool) -> int:  # fmt: skip
    """``checkout --orphan NAME [START]`` (index and files kept, or START's) and
    ``switch --orphan NAME`` (tracked files removed): HEAD on an unborn branch."""
    _check_branch_name(name)
    ref = b"refs/heads/" + name.encode()
    if ref in s.repo.refs:
        raise GitFatal(f"a branch named '{name}' already exists")
    try:
        if empty:
            s.checkout_tree(None)
        elif start is not None:
            sha = s.try_resolve(start)
            if sha is None:
                raise GitFatal(f"'{start}' is not a commit and a branch '{name}' cannot be "
                               "created from it")  # fmt: skip
            s.checkout_tree(s.commit(sha).tree)
    except LocalChanges as e:
        return _local_changes_error(ctx, e, "checkout")  # (git says so for switch too)
    s.repo.refs.set_symbolic_ref(b"HEAD", ref)
    if not quiet:
        ctx.stderr.write(f"Switched to a new branch '{name}'\n".encode())
    return 0


def _detach(s: State, sha: bytes) -> None:
    """Point HEAD at ``sha`` itself (a detached HEAD)."""
    from dulwich.file import GitFile

    with GitFile(str(s.g.gitdir / "HEAD"), "wb") as f:
        f.write(sha + b"\n")


@sub("checkout")
def git_checkout(ctx: CommandContext, args: list[str]) -> int:
    """usage: git checkout [-b <new-branch>] [--detach] [-f] <branch | commit>
       git checkout --orphan <new-branch> [<start-point>]
       git checkout [<tree-ish>] -- <pathspec>..."""
    o = Opts(args, {"--detach", "-f", "--force", "-q", "--quiet"}, {"-b", "-B", "--orphan"})
    g = GitRepo.find(ctx)
    s = State(g)
    if (orphan := o.get("--orphan")) is not None:
        start = o.operands[0] if o.operands else None
        return _orphan(ctx, s, orphan, start, empty=False, quiet=o.has("-q", "--quiet"))
    create = o.get("-b", "-B")
    if o.paths is not None or (len(o.operands) > 1 and create is None):
        tree_ish = o.operands[0] if o.operands else None
        paths = o.paths if o.paths is not None else o.operands[1:]
        return _restore_paths(ctx, g, s, tree_ish, paths)
    if not o.operands and create is None:
        return 0
    target = o.operands[0] if o.operands else ""
    if create is None and s.try_resolve(target) is None and target.encode() not in [
        k.split(b"/", 1)[-1] for k in s.repo.refs.keys(base=b"refs/remotes/")
    ]:
        spec = _path_arg(g, s, target)
        if any(_under(p, spec) for p in s.index):
            return _restore_paths(ctx, g, s, None, [target])
    return _switch_to(ctx, s, target, create, o.has("--detach"), "checkout",
                      o.has("-f", "--force"), o.has("-q", "--quiet"))  # fmt: skip


def _restore_paths(ctx: CommandContext, g: GitRepo, s: State, tree_ish: str | None,
                   paths: list[str]) -> int:  # fmt: skip
    items = s.items(s.commit(s.resolve(tree_ish)).tree) if tree_ish is not None else s.index_items()
    for a in paths:
        spec = _path_arg(g, s, a)
        hit = [p for p in items if _under(p, spec)]
        if not hit:
            raise GitFatal(f"pathspec '{a}' did not match any file(s) known to git", 1,
                           "error: ")  # fmt: skip
        for p in hit:
            mode, sha = items[p]
            st = s.wt.write(p, mode, s.repo[sha].as_raw_string())
            from .porcelain import _entry

            if tree_ish is not None or p in s.index:
                s.index[p] = _entry(st, sha, mode)
    s.index.write()
    return 0


@sub("switch")
def git_switch(ctx: CommandContext, args: list[str]) -> int:
    """usage: git switch [-c <new-branch>] [--detach] [-f] <branch>
       git switch --orphan <new-branch>"""
    o = Opts(args, {"--detach", "-f", "--force", "--discard-changes", "-q", "--quiet"},
             {"-c", "-C", "--create", "--orphan"})  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    if (orphan := o.get("--orphan")) is not None:
        if o.operands:
            raise GitFatal("'--orphan' cannot take <start-point>")
        return _orphan(ctx, s, orphan, None, empty=True, quiet=o.has("-q", "--quiet"))
    create = o.get("-c", "-C", "--create")
    if not o.operands and create is None:
        raise GitFatal("missing branch or commit argument")
    target = o.operands[0] if o.operands else ""
    return _switch_to(ctx, s, target, create, o.has("--detach"), "switch",
                      o.has("-f", "--force", "--discard-changes"), o.has("-q"))  # fmt: skip


@sub("restore")
def git_restore(ctx: CommandContext, args: list[str]) -> int:
    """usage: git restore [--staged] [--source=<tree>] [--] <pathspec>..."""
    o = Opts(args, {"--staged", "-S", "--worktree", "-W"}, {"--source", "-s"})
    g = GitRepo.find(ctx)
    s = State(g)
    paths = o.operands + (o.paths or [])
    if not paths:
        raise GitFatal("you must specify path(s) to restore")
    if o.has("--staged", "-S"):
        head = s.head_tree()
        items = s.items(head)
        for a in paths:
            spec = _path_arg(g, s, a)
            for p in [p for p in set(s.index) | set(items) if _under(p, spec)]:
                _reset_index_path(s, items, p)
        s.index.write()
        return 0
    return _restore_paths(ctx, g, s, o.get("--source", "-s"), paths)


def _reset_index_path(s: State, items: dict[bytes, tuple[int, bytes]], p: bytes) -> None:
    from dulwich.index import IndexEntry

    if p not in items:
        if p in s.index:
            del s.index[p]
        return
    mode, sha = items[p]
    s.index[p] = IndexEntry(ctime=(0, 0), mtime=(0, 0), dev=0, ino=0, mode=mode, uid=0,
                            gid=0, size=0, sha=sha)  # fmt: skip


@sub("reset")
def git_reset(ctx: CommandContext, args: list[str]) -> int:
    """usage: git reset [--soft | --mixed | --hard] [-q] [<commit>]
       git reset [<tree-ish>] [--] <pathspec>..."""
    o = Opts(args, {"--soft", "--mixed", "--hard", "-q", "--quiet"}, set())
    g = GitRepo.find(ctx)
    s = State(g)
    rev = "HEAD"
    paths = list(o.paths or [])
    ops = list(o.operands)
    if ops and s.try_resolve(ops[0]) is not None:
        rev = ops.pop(0)
    for a in ops:  # without `--`, a path must be in the working tree
        rel = _path_arg(g, s, a)
        if rel and s.wt.lstat(rel) is None:
            raise Unknown(a)
    paths += ops
    sha = s.try_resolve(rev)
    if sha is None and rev != "HEAD":
        raise Unknown(rev)
    if paths and o.has("--hard", "--soft"):
        raise GitFatal(f"Cannot do {'hard' if o.has('--hard') else 'soft'} reset with paths.")
    if paths:
        items = s.items(s.commit(sha).tree) if sha else {}
        for a in paths:
            spec = _path_arg(g, s, a)
            for p in [p for p in set(s.index) | set(items) if _under(p, spec)]:
                _reset_index_path(s, items, p)
        s.index.write()
        return 0
    if sha is None:
        return 0
    commit = s.commit(sha)
    if o.has("--hard"):
        s.checkout_tree(commit.tree, force=True)
        s.set_head(sha, f"reset: moving to {rev}".encode())
        if not o.has("-q", "--quiet"):
            ctx.out(f"HEAD is now at {sha[:7].decode()} ".encode() + subject(commit) + b"\n")
        return 0
    s.set_head(sha, f"reset: moving to {rev}".encode())
    if o.has("--soft"):
        return 0
    items = s.items(commit.tree)
    for p in set(s.index) | set(items):
        cur = s.entry(p)
        if cur is not None and p in items and (cur.mode, cur.sha) == items[p]:
            continue
        _reset_index_path(s, items, p)
    s.index.write()
    unstaged = s.unstaged()
    if unstaged and not o.has("-q", "--quiet"):
        ctx.out("Unstaged changes after reset:\n")
        for ch in unstaged:
            ctx.out(f"{'D' if ch.new is None else 'M'}\t{quote_path(ch.path)}\n")
    return 0


def git_error(ctx: CommandContext, e: CommandError) -> int:
    ctx.stderr.write(f"git: {e}\n".encode())
    return e.status

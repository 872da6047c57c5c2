"""The commands that read a repository: ``ls-files``, ``ls-tree``, ``cat-file`` and
``grep``.

``git grep`` picks the files as git does (tracked ones, the index's or a revision's
blobs with ``--cached`` / a revision, untracked ones too with ``--untracked``) and has
the shell's own ``grep`` search them (through ``ctx.run_command``: the same gate and
budgets as any command), so the patterns mean what they mean to ``grep``. A file
whose first 8,000 bytes hold a NUL is binary to git: ``Binary file X matches``.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import stat as statmod
from collections.abc import Iterator
from typing import Any

from dulwich.index import ConflictedIndexEntry, IndexEntry
from dulwich.objects import Blob, Commit, ShaFile, Tag, Tree

from .. import hostfs
from ..command import CommandContext, CommandError
from . import diff as D
from .commands import Opts, _path_arg, sub
from .porcelain import State, Unknown, quote_path, relative
from .repo import GitFatal, GitRepo

_GLOB = re.compile(r"[*?[]")
#: git looks at this many first bytes for a NUL to call a file binary
_BINARY_PROBE = 8000
#: files per ``grep`` call
_BATCH = 256
_TYPE_NAMES = {Blob: "blob", Tree: "tree", Commit: "commit", Tag: "tag"}


def _text(p: bytes) -> str:
    return p.decode("utf-8", "surrogateescape")


# -- pathspecs -------------------------------------------------------------------------


class Pathspec:
    """Pathspec operands as git reads them: relative to the cwd, a directory covers
    what is below it, a glob (``*``, ``?``, ``[``) matches across ``/``. Without
    operands, in a subdirectory: what is below the cwd."""

    def __init__(self, g: GitRepo, raw: list[str], cwd_default: bool = True) -> None:
        prefix = g.prefix()
        self.items: list[tuple[str | None, bytes, bool]] = []
        for a in raw:
            if _GLOB.search(a):
                full = posixpath.normpath(prefix + a)
                if full.startswith("../") or full == "..":
                    raise GitFatal(f"{a}: '{a}' is outside repository at "
                                   f"'{g.ctx.display(g.top)}'")  # fmt: skip
                self.items.append((a, full.encode("utf-8", "surrogateescape"), True))
            else:
                self.items.append((a, _path_arg(g, None, a), False))  # type: ignore[arg-type]
        if not raw and cwd_default and prefix:
            self.items.append((None, prefix.rstrip("/").encode(), False))
        self.hit = [False] * len(self.items)

    def match(self, path: bytes) -> bool:
        if not self.items:
            return True
        found = False
        for i, (_raw, spec, glob) in enumerate(self.items):
            if glob:
                ok = fnmatch.fnmatchcase(_text(path), _text(spec))
            else:
                ok = not spec or path == spec or path.startswith(spec + b"/")
            if ok:
                self.hit[i] = True
                found = True
        return found

    def unmatched(self) -> list[str]:
        return [raw for (raw, _s, _g), hit in zip(self.items, self.hit, strict=True)
                if raw is not None and not hit]  # fmt: skip


# -- objects -----------------------------------------------------------------------------


def _peel(s: State, obj: ShaFile, want: type | None = None) -> ShaFile:
    """An annotated tag to what it names (and a commit to its tree when ``want`` is
    Tree), until ``obj`` is a ``want`` (any non-tag when None)."""
    for _ in range(64):
        if want is not None and isinstance(obj, want):
            return obj
        if isinstance(obj, Tag):
            obj = s.repo[obj.object[1]]
        elif want is Tree and isinstance(obj, Commit):
            obj = s.repo[obj.tree]
        elif want is None:
            return obj
        else:
            break
    raise GitFatal("not a " + _TYPE_NAMES.get(want, "valid") + " object")  # type: ignore[arg-type]


def _object(s: State, spec: str) -> ShaFile:
    """The object ``spec`` names: a revision, ``REV:PATH`` (a blob or a tree),
    ``:PATH`` (the index), ``REV^{tree}`` / ``^{commit}`` / ``^{}``."""
    if ":" in spec and not spec.startswith(":/"):
        rev, _, path = spec.partition(":")
        if not rev:
            entry = s.entry(path.encode("utf-8", "surrogateescape"))
            if entry is None:
                raise GitFatal(f"path '{path}' does not exist (neither on disk nor in the index)"
                               if s.wt.lstat(path.encode()) is None
                               else f"path '{path}' exists on disk, but not in the index")
            return s.repo[entry.sha]
        tree = _peel(s, _object(s, rev), Tree)
        sha = tree.id
        for part in [p for p in path.split("/") if p]:
            t = s.repo[sha]
            if not isinstance(t, Tree):
                raise GitFatal(f"path '{path}' does not exist in '{rev}'")
            try:
                _mode, sha = t[part.encode("utf-8", "surrogateescape")]
            except KeyError:
                raise GitFatal(f"path '{path}' does not exist in '{rev}'") from None
        return s.repo[sha]
    m = re.fullmatch(r"(.+)\^\{(tree|commit|blob|tag|)\}", spec)
    if m:
        obj = _object(s, m.group(1))
        want = {"tree": Tree, "commit": Commit, "blob": Blob, "tag": Tag, "": None}[m.group(2)]
        return _peel(s, obj, want)
    sha = s.try_resolve(spec, peel=False)
    if sha is None:
        raise Unknown(spec)
    return s.repo[sha]


def _find(s: State, spec: str) -> ShaFile:
    """:func:`_object`, or git's ``Not a valid object name`` (status 128)."""
    try:
        return _object(s, spec)
    except Unknown:
        raise GitFatal(f"Not a valid object name {spec}") from None
    except KeyError:  # a ref to an object the store does not have
        raise GitFatal(f"Not a valid object name {spec}") from None


def _type(obj: ShaFile) -> str:
    return obj.type_name.decode()


# -- ls-files --------------------------------------------------------------------------


@sub("ls-files")
def git_ls_files(ctx: CommandContext, args: list[str]) -> int:
    """usage: git ls-files [-c | --cached] [-d | --deleted] [-m | --modified] [-o | --others]
       [-i | --ignored] [-s | --stage] [-t] [-z] [--exclude-standard] [--directory]
       [--full-name] [--error-unmatch] [--] [<file>...]"""
    o = Opts(args, {
        "-c", "--cached", "-d", "--deleted", "-m", "--modified", "-o", "--others", "-i",
        "--ignored", "-s", "--stage", "-t", "-z", "--exclude-standard", "--directory",
        "--no-empty-directory", "--full-name", "--error-unmatch",
    }, set())  # fmt: skip
    g = GitRepo.find(ctx)
    s = State(g)
    stage, deleted, modified = o.has("-s", "--stage"), o.has("-d", "--deleted"), \
        o.has("-m", "--modified")
    others, ignored = o.has("-o", "--others"), o.has("-i", "--ignored")
    cached = o.has("-c", "--cached") or not (stage or deleted or modified or others)
    if ignored and not (others or o.has("-c", "--cached")):
        raise GitFatal("ls-files -i must be used with either -o or -c")
    if ignored and not o.has("--exclude-standard"):
        raise GitFatal("ls-files --ignored needs some exclude pattern")
    if ignored and not others:
        raise GitFatal("ls-files -c -i is not supported by corral's git")
    specs = Pathspec(g, o.operands + (o.paths or []))
    prefix = "" if o.has("--full-name") else g.prefix()
    term, z, tags = ("\0" if o.has("-z") else "\n"), o.has("-z"), o.has("-t")

    def show(path: bytes, tag: str, entry: Any = None, n: int = 0) -> None:
        name = relative(path, prefix)
        shown = _text(name) if z else quote_path(name)
        head = tag if tags else ""
        if stage and entry is not None:
            head += f"{entry.mode:06o} {entry.sha.decode()} {n}\t"
        ctx.out(head + shown + term)

    if others:
        if ignored:
            paths = sorted(s.ignored_untracked())
        else:
            paths = s.untracked(collapse=o.has("--directory"),
                                ignored_too=not o.has("--exclude-standard"))  # fmt: skip
        for p in paths:
            if specs.match(p.rstrip(b"/")):
                show(p, "? ")
    if cached or stage or deleted or modified:
        for path, entry in sorted(s.index.items()):
            ctx.check()
            if not specs.match(path):
                continue
            if isinstance(entry, ConflictedIndexEntry):
                if cached or stage:
                    for n, e in ((1, entry.ancestor), (2, entry.this), (3, entry.other)):
                        if e is not None:
                            show(path, "M ", e, n)
                continue
            if not isinstance(entry, IndexEntry):
                continue
            if cached or stage:
                show(path, "H ", entry)
            if not (deleted or modified):
                continue
            st = s.wt.lstat(path)
            gone = st is None or statmod.S_ISDIR(st.st_mode)
            if gone and deleted:
                show(path, "R ", entry)
            if modified and (gone or s.worktree_item(path, entry) != (entry.mode, entry.sha)):
                show(path, "C ", entry)
    if o.has("--error-unmatch"):
        missing = specs.unmatched()
        if missing:
            for raw in missing:
                ctx.stderr.write(f"error: pathspec '{raw}' did not match any file(s) known "
                                 "to git\n".encode("utf-8", "surrogateescape"))  # fmt: skip
            ctx.stderr.write(b"Did you forget to 'git add'?\n")
            return 1
    return 0


# -- ls-tree ----------------------------------------------------------------------------


@sub("ls-tree")
def git_ls_tree(ctx: CommandContext, args: list[str]) -> int:
    """usage: git ls-tree [-d] [-r] [-t] [-l | --long] [-z] [--name-only] [--object-only]
       [--full-name] [--full-tree] <tree-ish> [<path>...]"""
    o = Opts(args, {
        "-d", "-r", "-t", "-l", "--long", "-z", "--name-only", "--name-status",
        "--object-only", "--full-name", "--full-tree",
    }, set())  # fmt: skip
    operands = o.operands + (o.paths or [])
    if not operands:
        raise GitFatal("usage: git ls-tree [<options>] <tree-ish> [<path>...]", 129, "")
    g = GitRepo.find(ctx)
    s = State(g)
    tree = _peel(s, _find(s, operands[0]), Tree)
    full_tree = o.has("--full-tree")
    prefix = "" if full_tree else g.prefix()
    specs: list[bytes] = []
    for a in operands[1:]:
        full = posixpath.normpath(prefix + a) + ("/" if a.endswith("/") else "")
        if full.startswith("../") or full == "..":
            raise GitFatal(f"{a}: '{a}' is outside repository at '{g.ctx.display(g.top)}'")
        specs.append(b"" if full in (".", "./") else full.encode("utf-8", "surrogateescape"))
    if not operands[1:] and prefix:
        specs = [prefix.encode()]
    shown_prefix = "" if (o.has("--full-name") or full_tree) else g.prefix()
    recursive, trees_too, trees_only = o.has("-r"), o.has("-t"), o.has("-d")
    long = o.has("-l", "--long")
    names_only = o.has("--name-only", "--name-status")
    z = o.has("-z")

    def interesting(path: bytes, is_dir: bool) -> bool:
        if not specs:
            return True
        for spec in specs:
            bare = spec.rstrip(b"/")
            if not bare or path == bare or path.startswith(bare + b"/"):
                return True
            if is_dir and bare.startswith(path + b"/"):
                return True
        return False

    def descend(base: bytes, name: bytes) -> bool:
        if recursive:
            return True
        for spec in specs:
            if not spec.startswith(base):
                continue
            rest = spec[len(base):]
            if len(rest) <= len(name) or rest[len(name)] != ord("/"):
                continue
            if rest[: len(name)] == name:
                return True
        return False

    def show(path: bytes, mode: int, kind: str, sha: bytes) -> None:
        name = relative(path, shown_prefix)
        shown = _text(name) if z else quote_path(name)
        if o.has("--object-only"):
            line = sha.decode()
        elif names_only:
            line = shown
        else:
            line = f"{mode:06o} {kind} {sha.decode()}"
            if long:
                size = "-" if kind != "blob" else str(len(s.repo[sha].as_raw_string()))
                line += f" {size:>7}"
            line += "\t" + shown
        ctx.out(line + ("\0" if z else "\n"))

    def walk(tid: bytes, base: bytes) -> None:
        t = s.repo[tid]
        if not isinstance(t, Tree):
            raise GitFatal(f"corrupt tree object {tid.decode()}")
        for entry in t.iteritems():
            ctx.check()
            name, mode, sha = entry.path, entry.mode, entry.sha
            path = base + name
            is_dir = statmod.S_ISDIR(mode)
            if not interesting(path, is_dir):
                continue
            if is_dir:
                if descend(base, name):
                    if trees_too or (trees_only and recursive):
                        show(path, mode, "tree", sha)
                    walk(sha, path + b"/")
                    continue
                show(path, mode, "tree", sha)
            elif not trees_only:
                show(path, mode, "commit" if mode == 0o160000 else "blob", sha)

    walk(tree.id, b"")
    return 0


# -- cat-file -----------------------------------------------------------------------------

_CAT_USAGE = """usage: git cat-file <type> <object>
   or: git cat-file (-e | -p) <object>
   or: git cat-file (-t | -s) <object>
   or: git cat-file (--batch | --batch-check)[=<format>]"""


def _pretty(s: State, obj: ShaFile) -> bytes:
    if isinstance(obj, Tree):
        lines = []
        for e in obj.iteritems():
            kind = "tree" if statmod.S_ISDIR(e.mode) else \
                "commit" if e.mode == 0o160000 else "blob"
            lines.append(f"{e.mode:06o} {kind} {e.sha.decode()}\t{quote_path(e.path)}\n"
                         .encode("utf-8", "surrogateescape"))  # fmt: skip
        return b"".join(lines)
    return obj.as_raw_string()


@sub("cat-file")
def git_cat_file(ctx: CommandContext, args: list[str]) -> int:
    """usage: git cat-file <type> <object>
   or: git cat-file (-e | -p) <object>
   or: git cat-file (-t | -s) <object>
   or: git cat-file (--batch | --batch-check)[=<format>]"""
    batch: tuple[bool, str] | None = None
    mode: str | None = None
    rest: list[str] = []
    for a in args:
        if a in ("-t", "-s", "-e", "-p"):
            mode = a
        elif a.startswith("--batch-check") or a.startswith("--batch"):
            name, eq, fmt = a.partition("=")
            if name not in ("--batch", "--batch-check"):
                raise GitFatal(f"unknown option `{a[2:]}'\n{_CAT_USAGE}", 129, "error: ")
            batch = (name == "--batch", fmt if eq else "")
        elif a.startswith("-") and a != "-":
            raise GitFatal(f"unknown switch `{a.lstrip('-')[:1]}'\n{_CAT_USAGE}", 129, "error: ")
        else:
            rest.append(a)
    g = GitRepo.find(ctx)
    s = State(g)
    if batch is not None:
        if rest or mode:
            raise GitFatal(_CAT_USAGE, 129, "")
        return _cat_batch(ctx, s, *batch)
    if mode is None and len(rest) == 2:
        want = {"blob": Blob, "tree": Tree, "commit": Commit, "tag": Tag}.get(rest[0])
        if want is None:
            raise GitFatal(f"invalid object type \"{rest[0]}\"")
        obj = _find(s, rest[1])
        try:
            obj = _peel(s, obj, want)
        except GitFatal:
            raise GitFatal(f"git cat-file {rest[1]}: bad file") from None
        ctx.stdout.write(obj.as_raw_string())
        return 0
    if mode is None or len(rest) != 1:
        raise GitFatal(_CAT_USAGE, 129, "")
    spec = rest[0]
    if mode == "-e":
        if re.fullmatch(r"[0-9a-fA-F]{40}", spec):
            return 0 if spec.lower().encode() in s.repo.object_store else 1
        _find(s, spec)
        return 0
    obj = _find(s, spec)
    if mode == "-t":
        ctx.out(_type(obj) + "\n")
    elif mode == "-s":
        ctx.out(f"{len(obj.as_raw_string())}\n")
    else:
        ctx.stdout.write(_pretty(s, obj))
    return 0


def _cat_batch(ctx: CommandContext, s: State, contents: bool, fmt: str) -> int:
    fmt = fmt or "%(objectname) %(objecttype) %(objectsize)"
    data = ctx.stdin.read() if ctx.stdin is not None else b""
    for raw in data.decode("utf-8", "surrogateescape").splitlines():
        ctx.check()
        spec, _, rest = raw.strip().partition(" ") if "%(rest)" in fmt else (raw.strip(), "", "")
        try:
            obj = _object(s, spec)
        except (Unknown, GitFatal, KeyError):
            ctx.out(f"{spec} missing\n")
            continue
        body = obj.as_raw_string()
        line = (fmt.replace("%(objectname)", obj.id.decode())
                .replace("%(objecttype)", _type(obj))
                .replace("%(objectsize)", str(len(body)))
                .replace("%(rest)", rest))  # fmt: skip
        ctx.out(line + "\n")
        if contents:
            ctx.stdout.write(body + b"\n")
    return 0


# -- grep ---------------------------------------------------------------------------------

#: git grep flags passed to grep as they are
_GREP_FLAGS = {
    "-i": "-i", "--ignore-case": "-i", "-w": "-w", "--word-regexp": "-w", "-v": "-v",
    "--invert-match": "-v", "-n": "-n", "--line-number": "-n", "-c": "-c", "--count": "-c",
    "-l": "-l", "--files-with-matches": "-l", "--name-only": "-l", "-L": "-L",
    "--files-without-match": "-L", "-h": "-h", "-H": "-H", "-o": "-o",
    "--only-matching": "-o", "-q": "-q", "--quiet": "-q", "-E": "-E",
    "--extended-regexp": "-E", "-F": "-F", "--fixed-strings": "-F", "-G": "-G",
    "--basic-regexp": "-G", "-P": "-P", "--perl-regexp": "-P", "-x": "-x",
    "--line-regexp": "-x",
}  # fmt: skip
_GREP_VALUED = {"-e", "--regexp", "-f", "--file", "-A", "--after-context", "-B",
                "--before-context", "-C", "--context", "-m", "--max-count"}  # fmt: skip
_GREP_UNSUPPORTED = ("--and", "--or", "--not", "(", ")", "--no-index", "--heading",
                     "--break", "--column", "-p", "--show-function", "-W",
                     "--function-context", "--threads", "--recurse-submodules")  # fmt: skip


@sub("grep")
def git_grep(ctx: CommandContext, args: list[str]) -> int:
    """usage: git grep [-i] [-w] [-v] [-n] [-c] [-l | -L] [-h | -H] [-o] [-q] [-x]
       [-E | -F | -G | -P] [-I] [-a] [-A <n>] [-B <n>] [-C <n>] [-m <n>]
       [--cached | --untracked] [-e] <pattern> [<rev>...] [[--] <path>...]"""
    for a in args:
        if a == "--":
            break
        if a in _GREP_UNSUPPORTED:
            raise GitFatal(f"git grep {a} is not supported by corral's git")
    o = Opts(args, set(_GREP_FLAGS) | {"-I", "-a", "--text", "--cached", "--untracked",
                                        "--no-color", "--color=never"}, _GREP_VALUED)  # fmt: skip
    if ctx.run_command is None:
        raise CommandError("git grep cannot run grep here")
    patterns = o.all("-e", "--regexp")
    pattern_files = o.all("-f", "--file")
    operands = list(o.operands)
    if not patterns and not pattern_files:
        if not operands:
            raise GitFatal("no pattern given")
        patterns = [operands.pop(0)]
    g = GitRepo.find(ctx)
    s = State(g)
    revs: list[str] = []
    paths: list[str] = []
    for a in operands:  # revisions first, then paths (as git: what resolves is a revision)
        if not paths and s.try_resolve(a, peel=False) is not None:
            revs.append(a)
            continue
        if not _GLOB.search(a) and s.wt.lstat(_path_arg(g, s, a)) is None:
            raise Unknown(a)
        paths.append(a)
    paths += o.paths or []
    flags = [_GREP_FLAGS[f] for f in o.flags if f in _GREP_FLAGS]
    for opt, short in (("-A", "-A"), ("--after-context", "-A"), ("-B", "-B"),
                       ("--before-context", "-B"), ("-C", "-C"), ("--context", "-C"),
                       ("-m", "-m"), ("--max-count", "-m")):  # fmt: skip
        for v in o.values.get(opt, []):
            flags += [short, v]
    for p in patterns:
        flags += ["-e", p]
    for f in pattern_files:
        flags += ["-f", f]
    if "-h" not in flags:
        flags.insert(0, "-H")
    summary = {"-l", "-L", "-c", "-q"} & set(flags)
    text_all = o.has("-a", "--text")
    skip_binary = o.has("-I")
    specs = Pathspec(g, paths)
    prefix = g.prefix()
    grep = _Grep(ctx, flags, "-c" in flags, "-q" in flags)
    if revs or o.has("--cached"):
        sources = [(f"{r}:", _tree_blobs(s, r)) for r in revs] if revs else \
            [("", _index_blobs(s))]
        for label_head, blobs in sources:
            for path, sha in blobs:
                if not specs.match(path):
                    continue
                data = s.repo[sha].as_raw_string()
                label = label_head + quote_path(relative(path, prefix))
                binary = D.is_binary(data) and not text_all
                if binary and skip_binary:
                    continue
                if grep.blob(label, data, binary and not summary):
                    return 0
        return grep.status()
    files = [p for p, e in sorted(s.index.items()) if isinstance(e, IndexEntry)]
    if o.has("--untracked"):
        files = sorted(set(files) | set(s.untracked(collapse=False)))
    for path in files:
        ctx.check()
        if not specs.match(path):
            continue
        st = s.wt.lstat(path)
        if st is None or not statmod.S_ISREG(st.st_mode):
            continue  # gone, a directory (a submodule) or a link
        rel = relative(path, prefix)
        name, shown = _text(rel), quote_path(rel)
        with hostfs.open_read(ctx.ws, s.wt.host(path)) as f:
            head = f.read(_BINARY_PROBE)
            binary = D.is_binary(head) and not text_all
            if binary and skip_binary:
                continue
            if name != shown:  # git quotes an unusual name: grep reads it as a labelled stdin
                grep.flush()
                found = grep.blob(shown, head + f.read(), binary and not summary)
            else:
                found = grep.file(name, binary and not summary)
        if found:
            return 0
    grep.flush()
    return grep.status()


class _Grep:
    """Runs the shell's ``grep`` over batches of files (and single blobs on stdin),
    writing what it prints in order; ``Binary file X matches`` for a binary file."""

    def __init__(self, ctx: CommandContext, flags: list[str], counting: bool, quiet: bool
                 ) -> None:  # fmt: skip
        self.ctx, self.flags, self.counting, self.quiet = ctx, flags, counting, quiet
        self.batch: list[str] = []
        self.statuses: list[int] = []

    def _run(self, argv: list[str], stdin: bytes = b"") -> tuple[int, bytes]:
        run = self.ctx.run_command
        assert run is not None
        # in git's working directory (`git -C DIR grep`), where the names are relative
        status, out, err = run(["grep", "-a", *argv], stdin, cwd=self.ctx.cwd)
        if err:
            self.ctx.stderr.write(err)
        self.statuses.append(status)
        return status, out

    def _write(self, names: list[str], out: bytes) -> None:
        if self.counting:  # git leaves out the files with no match
            lines = out.split(b"\n")
            out = b"".join(
                ln + b"\n" for ln in lines
                if ln and not (ln.endswith(b":0") and ln[:-2].decode("utf-8", "surrogateescape")
                               in names)
            )  # fmt: skip
        self.ctx.stdout.write(out)

    def flush(self) -> None:
        if self.batch:
            names, self.batch = self.batch, []
            _status, out = self._run([*self.flags, "--", *names])
            self._write(names, out)

    def file(self, name: str, binary: bool) -> bool:
        """Queue (or, binary, search now) one file; True once ``-q`` found a match."""
        if binary:
            self.flush()
            status, _ = self._run(["-q", *self.flags, "--", name])
            if status == 0:
                self.ctx.out(f"Binary file {name} matches\n")
            return False
        self.batch.append(name)
        if len(self.batch) >= _BATCH or self.quiet:
            self.flush()
            return self.quiet and self.statuses[-1] == 0
        return False

    def blob(self, label: str, data: bytes, binary: bool) -> bool:
        if binary:
            status, _ = self._run(["-q", *self.flags, "-"], data)
            if status == 0:
                self.ctx.out(f"Binary file {label} matches\n")
            return False
        status, out = self._run([f"--label={label}", *self.flags, "-"], data)
        self._write([label], out)
        return self.quiet and status == 0

    def status(self) -> int:
        if any(st == 0 for st in self.statuses):
            return 0
        return 2 if any(st > 1 for st in self.statuses) else 1


def _index_blobs(s: State) -> Iterator[tuple[bytes, bytes]]:
    for path, e in sorted(s.index.items()):
        if isinstance(e, IndexEntry) and not statmod.S_ISDIR(e.mode) and e.mode != 0o160000:
            yield path, e.sha


def _tree_blobs(s: State, rev: str) -> Iterator[tuple[bytes, bytes]]:
    tree = _peel(s, _find(s, rev), Tree)
    for path, (mode, sha) in sorted(s.items(tree.id).items()):
        if not statmod.S_ISLNK(mode):
            yield path, sha

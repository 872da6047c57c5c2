"""``git clone`` over http(s): the worker has no network, so the host fetches the pack
(:mod:`corral.gitfetch`, every connection a ``net`` action decided by the gate) into
the new repository's ``.git``; the worker indexes it, sets the refs and checks out."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import posixpath
import secrets
import urllib.parse

from dulwich.config import StackedConfig
from dulwich.repo import Repo

from .. import hostfs
from ..command import CommandContext
from .commands import Opts, _check_branch_name, sub
from .porcelain import State
from .repo import GitFatal, GitRepo


def _default_dir(url: str) -> str:
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    name = posixpath.basename(path) or urllib.parse.urlsplit(url).hostname or "repo"
    if name.endswith(".git"):
        name = name[:-4]
    return name or "repo"


@sub("clone")
def git_clone(ctx: CommandContext, args: list[str]) -> int:
    """usage: git clone [-q] [-b <branch>] [--depth <n>] <https-url> [<directory>]

Only http and https, only to hosts the sandbox's network policy allows; the host
fetches on the sandbox's behalf."""
    o = Opts(args, {"-q", "--quiet", "--no-checkout", "-n", "--single-branch", "--progress",
                    "--no-progress"}, {"-b", "--branch", "--depth", "-o", "--origin"})  # fmt: skip
    if not o.operands:
        raise GitFatal("You must specify a repository to clone.", 129)
    url = o.operands[0]
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise GitFatal(f"cannot clone '{url}': corral's git clones over http and https only "
                       "(the sandbox has no other way out)")  # fmt: skip
    target = o.operands[1] if len(o.operands) > 1 else _default_dir(url)
    depth = o.get("--depth")
    if depth is not None and (not depth.isdigit() or int(depth) < 1):
        raise GitFatal(f"depth {depth} is not a positive number")
    remote = o.get("-o", "--origin") or "origin"
    host = ctx.resolve(target)
    ws = ctx.ws
    if hostfs.lexists(ws, host):
        if not hostfs.is_dir(ws, host, follow=False) or hostfs.listdir(ws, host):
            raise GitFatal(f"destination path '{target}' already exists and is not an "
                           "empty directory.")  # fmt: skip
        made = False
    else:
        hostfs.mkdir(ws, host, 0o755)
        made = True
    if not o.has("-q", "--quiet"):
        ctx.stderr.write(f"Cloning into '{target}'...\n".encode())
    try:
        return _clone(ctx, o, url, host, remote, depth)
    except BaseException:
        _rmtree(ctx, host, keep_top=not made)
        raise


def _rmtree(ctx: CommandContext, host: os.PathLike[str], keep_top: bool) -> None:
    import stat as statmod
    from pathlib import Path

    ws = ctx.ws

    def rm(p: Path, top: bool) -> None:
        try:
            st = hostfs.lstat(ws, p)
        except (OSError, ValueError):
            return
        if statmod.S_ISDIR(st.st_mode):
            for name in hostfs.listdir(ws, p):
                rm(p / name, False)
            if not top:
                hostfs.rmdir(ws, p)
        else:
            hostfs.unlink(ws, p)

    try:
        rm(Path(host), True)
        if not keep_top:
            hostfs.rmdir(ws, host)
    except OSError:
        pass


def _clone(ctx: CommandContext, o: Opts, url: str, host, remote: str,
           depth: str | None) -> int:  # fmt: skip
    shell = ctx.extra.get("shell")
    hooks = getattr(shell, "hooks", None)
    if hooks is None or not hasattr(hooks, "fetch"):
        raise GitFatal("git clone needs the sandbox's network gate (not available here)")
    repo = Repo.init(str(host), mkdir=False, config=StackedConfig([]), symlinks=True)
    repo.close()
    pack_host = host / ".git" / "objects" / "pack" / f"tmp_corral_{secrets.token_hex(6)}.pack"
    pack_guest = ctx.display(pack_host)
    sub_ctx = dataclasses.replace(ctx, stdout=io.BytesIO(), stderr=io.BytesIO())
    argv = ["git-upload-pack", url, pack_guest] + ([depth] if depth else [])
    status = hooks.fetch(argv, sub_ctx)
    err = sub_ctx.stderr.getvalue().decode("utf-8", "replace").strip()  # type: ignore[attr-defined]
    if status != 0:
        err = err.removeprefix("git-upload-pack: ")
        if "denied" in err:
            raise GitFatal(f"unable to access '{url}': {err}")
        raise GitFatal(err or f"unable to access '{url}'")
    try:
        info = json.loads(sub_ctx.stdout.getvalue() or b"{}")  # type: ignore[attr-defined]
        refs = {str(k): str(v).encode() for k, v in dict(info.get("refs", {})).items()}
        head = info.get("head")
        shallow = [str(x).encode() for x in info.get("shallow") or []]
    except (ValueError, TypeError, AttributeError):
        raise GitFatal("the host's answer to the fetch was not understood") from None
    g = GitRepo(ctx, host)
    store = g.repo.object_store
    size = hostfs.lstat(ctx.ws, pack_host).st_size if hostfs.lexists(ctx.ws, pack_host) else 0
    if size:
        f, commit, abort = store.add_pack()
        try:
            with hostfs.open_read(ctx.ws, pack_host) as src:
                while chunk := src.read(1 << 20):
                    ctx.check()
                    f.write(chunk)
            commit()
        except BaseException:
            abort()
            raise
    if hostfs.lexists(ctx.ws, pack_host):
        hostfs.unlink(ctx.ws, pack_host)
    if shallow:
        if not all(len(x) == 40 and all(c in b"0123456789abcdef" for c in x) for x in shallow):
            raise GitFatal("the host's answer named a bad shallow commit")
        from dulwich.file import GitFile

        with GitFile(str(g.gitdir / "shallow"), "wb") as f:
            f.write(b"".join(x + b"\n" for x in shallow))
    rrefs = g.repo.refs
    for name, sha in refs.items():
        if sha not in store:
            raise GitFatal(f"the fetched pack lacks {name} ({sha.decode()})")
        b = name.encode()
        if b.startswith(b"refs/heads/"):
            rrefs[b"refs/remotes/" + remote.encode() + b"/" + b[len(b"refs/heads/"):]] = sha
        elif b.startswith(b"refs/tags/"):
            rrefs[b] = sha
    cfg = g.repo.get_config()
    cfg.set((b"remote", remote.encode()), b"url", url.encode())
    cfg.set((b"remote", remote.encode()), b"fetch",
            f"+refs/heads/*:refs/remotes/{remote}/*".encode())  # fmt: skip
    branch = o.get("-b", "--branch")
    if branch is None and isinstance(head, str) and head.startswith("refs/heads/"):
        branch = head[len("refs/heads/"):]
    if branch is None and refs:
        heads = sorted(n for n in refs if n.startswith("refs/heads/"))
        branch = heads[0][len("refs/heads/"):] if heads else None
    if isinstance(head, str) and head.startswith("refs/heads/"):
        rrefs.set_symbolic_ref(f"refs/remotes/{remote}/HEAD".encode(),
                               f"refs/remotes/{remote}/{head[11:]}".encode())  # fmt: skip
    if branch is None:
        cfg.write_to_path()
        ctx.stderr.write(b"warning: You appear to have cloned an empty repository.\n")
        return 0
    _check_branch_name(branch)
    sha = refs.get(f"refs/heads/{branch}")
    if sha is None:
        raise GitFatal(f"Remote branch {branch} not found in upstream {remote}")
    cfg.set((b"branch", branch.encode()), b"remote", remote.encode())
    cfg.set((b"branch", branch.encode()), b"merge", f"refs/heads/{branch}".encode())
    cfg.write_to_path()
    rrefs[f"refs/heads/{branch}".encode()] = sha
    rrefs.set_symbolic_ref(b"HEAD", f"refs/heads/{branch}".encode())
    if not o.has("-n", "--no-checkout"):
        s = State(g)
        s.index.clear()
        s.checkout_tree(s.commit(sha).tree, force=True)
    return 0

"""``git remote``: the remotes in the repository's configuration (``clone`` makes
``origin``). Nothing here reaches the network: ``show``/``prune``/``update`` need a
fetch, which corral's git does not do."""

from __future__ import annotations

import re

from dulwich.config import ConfigFile

from ..command import CommandContext
from .commands import Opts, sub
from .repo import GitFatal, GitRepo

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def _remotes(cfg: ConfigFile) -> list[str]:
    return [sec[1].decode("utf-8", "surrogateescape") for sec in cfg.sections()
            if len(sec) == 2 and sec[0] == b"remote"]  # fmt: skip


def _url(cfg: ConfigFile, name: str, key: bytes = b"url") -> str | None:
    try:
        return cfg.get((b"remote", name.encode()), key).decode("utf-8", "surrogateescape")
    except KeyError:
        return None


@sub("remote")
def git_remote(ctx: CommandContext, args: list[str]) -> int:
    """usage: git remote [-v | --verbose]
   or: git remote add <name> <url>
   or: git remote rename <old> <new>
   or: git remote remove <name>
   or: git remote set-url <name> <newurl>
   or: git remote get-url <name>"""
    o = Opts(args, {"-v", "--verbose", "--push", "--all"}, set())
    g = GitRepo.find(ctx)
    cfg = g.repo.get_config()
    ops = o.operands
    if not ops:
        for name in _remotes(cfg):
            if o.has("-v", "--verbose"):
                url = _url(cfg, name) or ""
                push = _url(cfg, name, b"pushurl") or url
                ctx.out(f"{name}\t{url} (fetch)\n{name}\t{push} (push)\n")
            else:
                ctx.out(name + "\n")
        return 0
    verb, rest = ops[0], ops[1:]
    if verb == "add":
        if len(rest) != 2:
            raise GitFatal("usage: git remote add <name> <url>", 129, "")
        name, url = rest
        if not _NAME.match(name) or ".." in name:
            raise GitFatal(f"'{name}' is not a valid remote name", 128)
        if name in _remotes(cfg):
            raise GitFatal(f"remote {name} already exists.", 3, "error: ")
        sec = (b"remote", name.encode())
        cfg.set(sec, b"url", url.encode("utf-8", "surrogateescape"))
        cfg.set(sec, b"fetch", f"+refs/heads/*:refs/remotes/{name}/*".encode())
    elif verb in ("remove", "rm"):
        if len(rest) != 1:
            raise GitFatal("usage: git remote remove <name>", 129, "")
        name = rest[0]
        if name not in _remotes(cfg):
            raise GitFatal(f"No such remote: '{name}'", 2, "error: ")
        del cfg[(b"remote", name.encode())]
        refs = g.repo.refs
        for ref in list(refs.keys(base=f"refs/remotes/{name}/".encode())):
            del refs[f"refs/remotes/{name}/".encode() + ref]
    elif verb == "rename":
        if len(rest) != 2:
            raise GitFatal("usage: git remote rename <old> <new>", 129, "")
        old, new = rest
        if old not in _remotes(cfg):
            raise GitFatal(f"No such remote: '{old}'", 2, "error: ")
        if new in _remotes(cfg):
            raise GitFatal(f"remote {new} already exists.", 3, "error: ")
        if not _NAME.match(new) or ".." in new:
            raise GitFatal(f"'{new}' is not a valid remote name", 128)
        items = list(cfg[(b"remote", old.encode())].items())
        del cfg[(b"remote", old.encode())]
        for k, v in items:
            if k == b"fetch":
                v = v.replace(f"refs/remotes/{old}/".encode(), f"refs/remotes/{new}/".encode())
            cfg.set((b"remote", new.encode()), k, v)
        refs = g.repo.refs
        base = f"refs/remotes/{old}/".encode()
        for ref in list(refs.keys(base=base)):
            refs[f"refs/remotes/{new}/".encode() + ref] = refs[base + ref]
            del refs[base + ref]
    elif verb in ("get-url", "set-url"):
        want = 2 if verb == "set-url" else 1
        if len(rest) != want:
            raise GitFatal(f"usage: git remote {verb} <name>" + (" <newurl>" if want == 2 else ""),
                           129, "")  # fmt: skip
        name = rest[0]
        if name not in _remotes(cfg):
            raise GitFatal(f"No such remote '{name}'", 2, "error: ")
        if verb == "get-url":
            key = b"pushurl" if o.has("--push") and _url(cfg, name, b"pushurl") else b"url"
            ctx.out((_url(cfg, name, key) or "") + "\n")
            return 0
        cfg.set((b"remote", name.encode()), b"pushurl" if o.has("--push") else b"url",
                rest[1].encode("utf-8", "surrogateescape"))  # fmt: skip
    elif verb in ("show", "prune", "update", "set-head", "set-branches"):
        raise GitFatal(f"git remote {verb} needs a fetch, which corral's git does not do "
                       "(a native tier runs the real git)")  # fmt: skip
    else:
        raise GitFatal(f"unknown subcommand: `{verb}'", 129, "error: ")
    cfg.write_to_path()
    return 0

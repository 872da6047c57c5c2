"""The repository a ``git`` command works on: found from the shell's cwd, opened
with dulwich after its ``.git`` directory was checked, and the identity, dates and
configuration git would use.

Walls: in the sandbox the worker's Landlock domain keeps every file dulwich opens
beneath the workspace. On top of that (and for in-process use) a repository whose
``.git`` holds a symbolic link anywhere is refused before dulwich reads it, so a
``.git/refs/heads/main -> /etc/shadow`` cannot turn git into a reader of anything
``cat`` could not read. The working tree is read and written only through
``shell/hostfs`` (kernel-checked beneath the root).
"""

from __future__ import annotations

import calendar
import email.utils
import re
import stat as statmod
import time
from dataclasses import dataclass
from pathlib import Path

from dulwich.config import ConfigFile, StackedConfig
from dulwich.repo import Repo

from .. import hostfs
from ..command import CommandContext

#: how many entries of a ``.git`` directory are checked for links before giving up
GUARD_MAX_ENTRIES = 200_000


class GitFatal(Exception):
    """``fatal: MESSAGE`` and exit 128 (or another status)."""

    def __init__(self, message: str, status: int = 128, prefix: str = "fatal: ") -> None:
        super().__init__(message)
        self.status = status
        self.prefix = prefix


def bad_path_element(name: bytes) -> bool:
    """Whether a tree entry name may not be written to a working tree (git's rule:
    no empty name, ``.``, ``..``, any case of ``.git``, no ``/`` or NUL)."""
    if name in (b"", b".", b".."):
        return True
    if b"/" in name or b"\0" in name or b"\\" in name:
        return True
    low = name.lower().rstrip(b". ")
    return low == b".git" or low.startswith(b"git~")


def guard_gitdir(ctx: CommandContext, gitdir: Path) -> None:
    """Refuse a ``.git`` that is a link or holds one (kernel-checked listing)."""
    ws = ctx.ws
    st = hostfs.lstat(ws, gitdir)
    if not statmod.S_ISDIR(st.st_mode):
        raise GitFatal(f"{ctx.display(gitdir)}: not a git directory (a link or a file)")
    todo = [gitdir]
    seen = 0
    while todo:
        d = todo.pop()
        with hostfs.scandir(ws, d) as it:
            for e in it:
                seen += 1
                if seen > GUARD_MAX_ENTRIES:
                    raise GitFatal("repository too large: .git has more than "
                                   f"{GUARD_MAX_ENTRIES} entries")  # fmt: skip
                mode = e.stat(follow_symlinks=False).st_mode
                if statmod.S_ISLNK(mode):
                    raise GitFatal(
                        f"refusing a repository whose .git holds a symbolic link: "
                        f"{ctx.display(d / e.name)}"
                    )
                if statmod.S_ISDIR(mode):
                    todo.append(d / e.name)
                elif not statmod.S_ISREG(mode):
                    raise GitFatal(f"{ctx.display(d / e.name)}: not a regular file")


def _check_head(ctx: CommandContext, gitdir: Path) -> None:
    """HEAD names a branch under ``refs/`` or holds an object id; nothing else."""
    from dulwich.refs import check_ref_format

    try:
        with hostfs.open_read(ctx.ws, gitdir / "HEAD") as f:
            raw = f.read(4096).strip()
    except (OSError, ValueError):
        raise GitFatal("not a git repository: .git/HEAD is missing") from None
    if raw.startswith(b"ref: "):
        target = raw[5:].strip()
        if target.startswith(b"refs/") and check_ref_format(target):
            return
    elif re.fullmatch(rb"[0-9a-f]{40}", raw):
        return
    raise GitFatal(f"invalid HEAD in {ctx.display(gitdir)}: "
                   f"{raw[:80].decode('utf-8', 'replace')!r}")  # fmt: skip


@dataclass
class Ident:
    name: str
    email: str
    when: int
    tz: int  # seconds east of UTC

    def raw(self) -> bytes:
        return f"{self.name} <{self.email}>".encode("utf-8", "surrogateescape")


_ISO = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?$"
)


def _tz(text: str) -> int:
    if text in ("Z", "z"):
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def local_tz(when: float) -> int:
    return time.localtime(when).tm_gmtoff or 0


def parse_date(text: str) -> tuple[int, int]:
    """GIT_*_DATE / ``--date``: ``@EPOCH [+HHMM]``, ``EPOCH +HHMM``, ISO 8601,
    RFC 2822. Returns (epoch, tz offset seconds). GitFatal when unreadable."""
    s = text.strip()
    m = re.fullmatch(r"@?(\d+)(?:\s+([+-]\d{4}))?", s)
    if m and (s.startswith("@") or m.group(2)):
        when = int(m.group(1))
        return when, _tz(m.group(2)) if m.group(2) else 0
    m = _ISO.match(s)
    if m:
        y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
        sec = int(m.group(6) or 0)
        tz = _tz(m.group(7)) if m.group(7) else None
        naive = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
        if tz is None:
            tz = local_tz(naive)
        return naive - tz, tz
    try:
        parsed = email.utils.parsedate_tz(s)
    except (TypeError, ValueError):
        parsed = None
    if parsed is not None:
        tz = parsed[9] or 0
        return calendar.timegm(parsed[:9]) - tz, tz
    raise GitFatal(f"invalid date format: {text}")


_IDENT_HELP = """
*** Please tell me who you are.

Run

  git config --global user.email "you@example.com"
  git config --global user.name "Your Name"

to set your account's default identity.
Omit --global to set the identity only in this repository.

"""


class _Repo(Repo):
    """dulwich's Repo without the host's configuration: its config stack is the
    repository's and the sandbox user's ``$HOME/.gitconfig`` only (dulwich would read
    the host's ``/etc/gitconfig`` and ``~/.gitconfig``)."""

    extra_config: ConfigFile | None = None

    def get_config_stack(self) -> StackedConfig:
        repo_cfg = self.get_config()
        backends = [repo_cfg] + ([self.extra_config] if self.extra_config is not None else [])
        return StackedConfig(backends, writable=repo_cfg)


class GitRepo:
    """An open repository: its top (host path), ``.git`` and dulwich ``Repo``."""

    def __init__(self, ctx: CommandContext, top: Path) -> None:
        self.ctx = ctx
        self.top = top
        self.gitdir = top / ".git"
        guard_gitdir(ctx, self.gitdir)
        _check_head(ctx, self.gitdir)
        try:
            self.repo = _Repo(str(top))
            self.repo.extra_config = read_global_config(ctx)
        except Exception as e:  # a damaged repository
            raise GitFatal(f"not a usable git repository: {e}") from None

    @classmethod
    def find(cls, ctx: CommandContext) -> GitRepo:
        """The repository around the shell's cwd (as git: the nearest ``.git``)."""
        host = ctx.resolve(ctx.cwd)
        root = ctx.ws.root
        d = host
        while True:
            if hostfs.lexists(ctx.ws, d / ".git"):
                return cls(ctx, d)
            if d == root or root not in d.parents:
                break
            d = d.parent
        raise GitFatal(
            "not a git repository (or any of the parent directories): .git"
        )

    # -- paths -----------------------------------------------------------------

    def prefix(self) -> str:
        """The cwd relative to the top ('' at the top, else ending in '/')."""
        rel = self.ctx.resolve(self.ctx.cwd).relative_to(self.top).as_posix()
        return "" if rel == "." else rel + "/"

    def config(self) -> StackedConfig:
        """The repository's config over the user's (``$HOME/.gitconfig``)."""
        return self.repo.get_config_stack()

    def ident(self, role: str) -> Ident:
        """The author or committer (``role``: AUTHOR/COMMITTER) as git finds it."""
        env = self.ctx.env
        cfg = self.config()

        def get(key: bytes) -> str | None:
            try:
                return cfg.get((b"user",), key).decode("utf-8", "surrogateescape")
            except KeyError:
                return None

        name = env.get(f"GIT_{role}_NAME") or get(b"name")
        mail = env.get(f"GIT_{role}_EMAIL") or get(b"email") or env.get("EMAIL")
        if not mail:
            raise GitFatal(
                "unable to auto-detect email address (got 'user@sandbox.(none)')",
                prefix="Author identity unknown\n" + _IDENT_HELP + "fatal: ",
            )
        if not name:
            name = mail.split("@", 1)[0]
        date = env.get(f"GIT_{role}_DATE")
        if date:
            when, tz = parse_date(date)
        else:
            when = int(time.time())
            tz = local_tz(when)
        return Ident(name, mail, when, tz)


def global_config_path(ctx: CommandContext) -> str:
    home = ctx.env.get("HOME") or "/workspace"
    return home.rstrip("/") + "/.gitconfig"


def read_global_config(ctx: CommandContext) -> ConfigFile | None:
    """``$HOME/.gitconfig`` when it is in the workspace (read through the opener)."""
    path = global_config_path(ctx)
    try:
        with ctx.open_read(path) as f:
            data = f.read(1 << 20)
    except Exception:
        return None
    import io

    try:
        return ConfigFile.from_file(io.BytesIO(data))
    except Exception:
        return None

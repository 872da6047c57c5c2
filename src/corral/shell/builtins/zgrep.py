"""``zgrep``/``zegrep``/``zfgrep``: the shell's own ``grep`` over each file's uncompressed
text (gzip data is inflated, anything else read as it is), as gzip's ``zgrep`` script
does: with more than one file (or ``-H``) each output line is prefixed ``FILE:``, ``-l``
and ``-L`` name the file, the status is 0 when a file matched, 1 when none did, 2 on
trouble. The text of one file is held in memory up to :func:`limits.max_string`; grep
runs through ``ctx.run_command`` (the same gate as any command).
"""

from __future__ import annotations

import io

from ..command import CommandContext, CommandError, command
from ..limits import max_string, too_large
from .files import _gz_decompress, _GzipError

#: grep's options that take the next word as their argument
_WITH_ARG = {"-e", "-f", "-m", "-A", "-B", "-C", "-d", "-D", "--regexp", "--file",
             "--max-count", "--after-context", "--before-context", "--context",
             "--devices", "--directories", "--label", "--color", "--colour"}  # fmt: skip


class _Capped(io.BytesIO):
    """A buffer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int, name: str) -> None:
        super().__init__()
        self.limit, self.name = limit, name

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.limit:
            raise CommandError(too_large(self.name, self.tell() + len(data), self.limit), 2)
        return super().write(data)


@command("zgrep", "zegrep", "zfgrep")
def zgrep(ctx: CommandContext) -> int:
    """Usage: zgrep [GREP-OPTION]... PATTERN [FILE]...
    Search possibly gzip-compressed FILEs for PATTERN with grep's options."""
    if ctx.run_command is None:
        raise CommandError("zgrep is not available here", 2)
    opts: list[str] = []
    operands: list[str] = []
    have_pattern = False
    args = list(ctx.args)
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            operands += args[i + 1 :]
            break
        if a.startswith("-") and a != "-":
            opts.append(a)
            if a in _WITH_ARG and i + 1 < len(args):
                opts.append(args[i + 1])
                i += 1
            if (
                a in ("-e", "-f", "--regexp", "--file")
                or a.startswith(("--regexp=", "--file="))
                or (a[:2] in ("-e", "-f") and len(a) > 2 and not a.startswith("--"))
            ):
                have_pattern = True
            i += 1
            continue
        operands.append(a)
        i += 1
    if ctx.name != "zgrep":
        opts.insert(0, "-E" if ctx.name == "zegrep" else "-F")
    if not have_pattern:
        if not operands:
            raise CommandError("Usage: zgrep [OPTION]... [-e] PATTERN [FILE]...", 2)
        opts += ["-e", operands.pop(0)]
    files = operands or ["-"]
    flags = {c for o in opts if o.startswith("-") and not o.startswith("--") for c in o[1:]}
    names = ("H" in flags or len(files) > 1) and "h" not in flags
    list_names = bool(flags & {"l", "L"}) or "--files-with-matches" in opts
    grep_opts = [o for o in opts if o not in ("-H", "-h")]
    limit = max_string(ctx.ws.budget)
    status = 1
    for name in files:
        ctx.check()
        try:
            data = _uncompressed(ctx, name, limit)
        except (CommandError, _GzipError) as e:
            ctx.err(f"{name}: {e}")
            status = 2
            continue
        st, out, err = ctx.run_command(["grep", *grep_opts], data)
        ctx.stderr.write(err)
        if st == 0 and status != 2:
            status = 0
        elif st >= 2:
            status = 2
        shown = "(standard input)" if name == "-" else name
        if list_names:
            out = out.replace(b"(standard input)", shown.encode("utf-8", "surrogateescape"))
        elif names and out:
            prefix = shown.encode("utf-8", "surrogateescape") + b":"
            lines = out.split(b"\n")
            tail = lines.pop() if lines and lines[-1] == b"" else None
            out = b"\n".join(prefix + ln for ln in lines) + (b"\n" if tail is not None else b"")
        ctx.stdout.write(out)
    return status


def _uncompressed(ctx: CommandContext, name: str, limit: int) -> bytes:
    src = ctx.stdin if name == "-" else ctx.open_read(name)
    try:
        head = src.read(limit + 1)
        if len(head) > limit:
            raise CommandError(too_large(name, len(head), limit), 2)
        if head[:2] != b"\x1f\x8b":
            return head
        dst = _Capped(limit, name)
        _gz_decompress(ctx, io.BytesIO(head), dst)
        return dst.getvalue()
    finally:
        if src is not ctx.stdin:
            src.close()

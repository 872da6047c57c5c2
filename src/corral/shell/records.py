"""Reading records (lines, or NUL/other-delimited) in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from .command import CommandError
from .limits import too_large

_READ = 1 << 20


def record_batches(
    check: Callable[[], None],
    f: IO[bytes],
    sep: bytes,
    limit: int,
    what: str = "line",
    keep_sep: bool = False,
    block: int = _READ,
) -> Iterator[list[bytes]]:
    """Records of ``f`` split on ``sep``, in batches (one per block read).

    Terminators are removed (``keep_sep``: kept; a final record may lack one).
    A long record is gathered as a list of pieces, so it costs its size, not
    its size squared; one longer than ``limit`` is a :class:`CommandError`.
    ``check`` (the call's deadline) runs once per block.
    """
    read = getattr(f, "read1", None) or f.read
    carry: list[bytes] = []
    carry_len = 0
    tail = sep if keep_sep else b""
    while True:
        check()
        chunk = read(block)
        if not chunk:
            break
        idx = chunk.find(sep)
        if idx < 0:
            carry.append(chunk)
            carry_len += len(chunk)
            if carry_len > limit:
                raise CommandError(too_large(what, carry_len, limit))
            continue
        batch: list[bytes] = []
        if carry:
            if carry_len + idx > limit:
                raise CommandError(too_large(what, carry_len + idx, limit))
            carry.append(chunk[: idx + len(tail)])
            batch.append(b"".join(carry))
            carry = []
            carry_len = 0
            chunk = chunk[idx + len(sep) :]
        parts = chunk.split(sep)
        last = parts.pop()
        if keep_sep:
            parts = [p + sep for p in parts]
        batch.extend(parts)
        if last:
            carry = [last]
            carry_len = len(last)
        if batch:
            yield batch
    if carry:
        yield [b"".join(carry)]


__all__ = ["record_batches"]

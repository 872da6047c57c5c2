"""Bounded-memory sorting for ``sort``: sorted runs spilled to disk, then a heap merge.

Input is read in batches of records; once the records held in memory would
take more than :data:`RUN_BYTES` (counting Python's per-object overhead and the
decorated keys), they are sorted and written to a temp file in
``/workspace/.corral-tmp`` (charged to the disk budget, removed afterwards).
The runs are then merged with :func:`heapq.merge`, which is stable across its
inputs, so ``-s`` / ``-u`` keep the first of equal lines exactly as an
in-memory stable sort does. More than :data:`MERGE_FAN_IN` runs are merged in
rounds so the number of open files stays small.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from ..command import CommandContext
from ..records import record_batches
from ..spill import SpillDir, SpillFile

#: Estimated in-memory size of the records of one run.
RUN_BYTES = 48 * 1024 * 1024
#: besides, a run may hold up to this share of the memory budget
RUN_SHARE = 4


def run_bytes(memory_mb: float) -> int:
    """How much one sorted run may hold: everyday inputs sort in one pass."""
    return max(RUN_BYTES, int(memory_mb * 1024 * 1024) // RUN_SHARE)
#: Bytes read from each run at a time while merging.
_MERGE_READ = 1 << 16
#: Runs merged at once.
MERGE_FAN_IN = 32
_WRITE = 1 << 16


def dedup(lines: Iterable[bytes], keyfunc: Callable[[bytes], Any] | None) -> Iterator[bytes]:
    """The first line of each run of equal keys (``sort -u``)."""
    prev: Any = None
    first = True
    for line in lines:
        k = keyfunc(line) if keyfunc is not None else line
        if first or k != prev:
            yield line
        prev = k
        first = False


class ExternalSorter:
    """Collects records, spilling sorted runs; yields them all in order.

    ``sort_run(lines)`` sorts one list in place exactly as an in-memory sort
    would; ``merge_key`` / ``reverse`` give :func:`heapq.merge` the same order;
    ``unique_key`` (``-u``) drops later lines with an equal key.
    ``ties_identical``: lines that compare equal are byte-identical (the
    last-resort comparison is on), so the faster block merge may be used.
    """

    def __init__(
        self,
        ctx: CommandContext,
        spill: SpillDir,
        sep: bytes,
        per_line: int,
        sort_run: Callable[[list[bytes]], None],
        merge_key: Callable[[bytes], Any] | None,
        reverse: bool,
        unique_key: Callable[[bytes], Any] | None,
        unique: bool,
        line_limit: int,
        ties_identical: bool,
        run_bytes: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.spill = spill
        self.sep = sep
        self.per_line = per_line
        self.sort_run = sort_run
        self.merge_key = merge_key
        self.reverse = reverse
        self.unique_key = unique_key
        self.unique = unique
        self.line_limit = line_limit
        self.ties_identical = ties_identical
        self.run_bytes = RUN_BYTES if run_bytes is None else run_bytes
        #: ``-u`` on whole lines: equal lines are identical, so a set holds the run (a
        #: file of few distinct lines sorts only those)
        self.distinct: set[bytes] | None = set() if unique and unique_key is None else None
        self.taken = 0  # lines put in the set
        self.lines: list[bytes] = []
        self.held = 0
        self.runs: list[SpillFile] = []

    def add_file(self, f: IO[bytes]) -> None:
        for batch in record_batches(self.ctx.check, f, self.sep, self.line_limit):
            distinct = self.distinct
            if distinct is not None:
                before = len(distinct)
                distinct.update(batch)
                added = len(distinct) - before
                self.taken += len(batch)
                if self.taken >= 4096 and len(distinct) * 2 > self.taken:
                    # mostly distinct lines: the set costs more than it saves; sorted
                    # runs of equal lines are dropped at the end instead
                    self.lines = list(distinct)
                    self.distinct = None
                if not added:
                    continue
                # the new lines' share of the batch's bytes (an estimate, as for lists)
                self.held += sum(map(len, batch)) * added // len(batch) + self.per_line * added
            else:
                self.lines.extend(batch)
                self.held += sum(map(len, batch)) + self.per_line * len(batch)
            if self.held > self.run_bytes:
                self._spill_run()

    def _sorted_memory(self) -> Iterable[bytes]:
        self.ctx.check()
        if self.distinct is not None:
            self.lines = list(self.distinct)
            self.distinct.clear()
            self.sort_run(self.lines)
            lines, self.lines, self.held = self.lines, [], 0
            return lines
        self.sort_run(self.lines)
        self.ctx.check()
        lines = self.lines
        self.lines = []
        self.held = 0
        if self.unique and self.unique_key is None:  # whole lines: runs of equal ones, in C
            return first_of_runs(lines)
        return dedup(lines, self.unique_key) if self.unique else lines

    def _write_run(self, lines: Iterable[bytes]) -> SpillFile:
        sf = self.spill.new()
        write_lines(self.ctx, lines, self.sep, sf.write)
        return sf

    def _spill_run(self) -> None:
        self.runs.append(self._write_run(self._sorted_memory()))

    def _run_batches(self, sf: SpillFile) -> Iterator[list[bytes]]:
        return record_batches(
            self.ctx.check, sf.reader(), self.sep, self.line_limit, block=_MERGE_READ
        )

    def _merge(self, runs: list[SpillFile]) -> Iterator[bytes]:
        sources = [self._run_batches(sf) for sf in runs]
        if self.ties_identical:
            merged = _block_merge(self.ctx, sources, self.merge_key, self.reverse)
        else:
            merged = heapq.merge(
                *(itertools.chain.from_iterable(s) for s in sources),
                key=self.merge_key,
                reverse=self.reverse,
            )
        return dedup(merged, self.unique_key) if self.unique else merged

    def result(self) -> Iterable[bytes]:
        """All records in order. Reading the input is over once this returns."""
        if not self.runs:
            return self._sorted_memory()
        if self.lines or self.distinct:
            self._spill_run()
        runs = self.runs
        while len(runs) > MERGE_FAN_IN:
            nxt: list[SpillFile] = []
            for i in range(0, len(runs), MERGE_FAN_IN):
                group = runs[i : i + MERGE_FAN_IN]
                nxt.append(self._write_run(self._merge(group)))
                for sf in group:
                    self.spill.discard(sf)
            runs = nxt
        self.runs = runs
        return self._merge(runs)


def first_of_runs(lines: list[bytes]) -> list[bytes]:
    """The first line of each run of equal ones (a sorted list's distinct lines): each
    line compared with the one before it by C loops (``map``, ``compress``), no
    statement and no group object per line."""
    out = lines[:1]
    rest = itertools.islice(lines, 1, None)
    out.extend(itertools.compress(rest, map(operator.ne, lines, itertools.islice(lines, 1, None))))
    return out


def _block_merge(
    ctx: CommandContext,
    sources: list[Iterator[list[bytes]]],
    key: Callable[[bytes], Any] | None,
    reverse: bool,
) -> Iterator[bytes]:
    """Merge sorted sources block by block: each round takes, from every
    source's current block, the lines that sort no later than the smallest
    block-final line, and sorts them with ``list.sort`` (which merges the
    pre-sorted pieces in C). Only for orders where equal lines are identical:
    the pieces are not interleaved stably."""

    def after(a: bytes, b: bytes) -> bool:
        """``a`` sorts strictly after ``b``."""
        if key is not None:
            return bool(key(b) < key(a))
        return a < b if reverse else b < a

    def taken(block: list[bytes], cutoff: bytes) -> int:
        """How many leading lines of ``block`` do not sort after ``cutoff``."""
        lo, hi = 0, len(block)
        while lo < hi:
            mid = (lo + hi) // 2
            if after(block[mid], cutoff):
                hi = mid
            else:
                lo = mid + 1
        return lo

    blocks: list[list[bytes]] = []
    live: list[Iterator[list[bytes]]] = []
    for src in sources:
        first = next(src, None)
        if first:
            blocks.append(first)
            live.append(src)
    while blocks:
        ctx.check()
        cutoff = blocks[0][-1]
        for b in blocks[1:]:
            if after(cutoff, b[-1]):
                cutoff = b[-1]
        out: list[bytes] = []
        for i, b in enumerate(blocks):
            n = taken(b, cutoff)
            if n:
                out.extend(b[:n])
                blocks[i] = b[n:]
        if key is None:
            out.sort(reverse=reverse)
        else:
            out.sort(key=key)
        yield from out
        keep_blocks: list[list[bytes]] = []
        keep_live: list[Iterator[list[bytes]]] = []
        for b, src in zip(blocks, live, strict=True):
            if not b:
                b = next(src, None) or []
            if b:
                keep_blocks.append(b)
                keep_live.append(src)
        blocks, live = keep_blocks, keep_live


def write_lines(
    ctx: CommandContext,
    lines: Iterable[bytes],
    sep: bytes,
    write: Callable[[bytes], Any],
) -> None:
    """Write ``lines`` each followed by ``sep``, in blocks of about 64 KB."""
    if isinstance(lines, list):  # sorted in memory: blocks are slices, joined in C
        step = 1024
        for i in range(0, len(lines), step):
            if i and not i & 4095:
                ctx.check()
            block = lines[i : i + step]
            block.append(b"")
            write(sep.join(block))
        return
    buf: list[bytes] = []
    size = 0
    n = 0
    for line in lines:
        buf.append(line)
        size += len(line) + 1
        n += 1
        if size >= _WRITE:
            buf.append(b"")
            write(sep.join(buf))
            buf.clear()
            size = 0
            if n >= 4096:
                ctx.check()
                n = 0
    if buf:
        buf.append(b"")
        write(sep.join(buf))


__all__ = ["ExternalSorter", "dedup", "run_bytes", "write_lines"]

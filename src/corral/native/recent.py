"""An append-only log that keeps only its last items, indexed as if it kept them all.

A warm session lives for thousands of calls and a call may start a program a million
times (``while :; do /bin/true; done``): every program start and connection the
supervisor decides was appended to a list for the session's life (1.5 KB each: 30 MB of
host memory per 20,000 starts, without end). The events carry every start; the backend
only needs the recent ones (this call's denied starts for its error message) and the
count (where the call began)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Final, Generic, TypeVar, overload

__all__ = ["KEEP", "RecentLog"]

T = TypeVar("T")

#: how many items a log keeps by default
KEEP: Final = 1024


class RecentLog(Generic[T]):
    """The last ``keep`` items appended; ``len()`` counts every item ever appended and
    ``log[i]`` / ``log[i:j]`` use those absolute positions (items no longer kept are
    left out of a slice; reading one alone raises ``IndexError``)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._items: deque[T] = deque(maxlen=keep)
        self._total = 0

    def append(self, item: T) -> None:
        self._items.append(item)
        self._total += 1

    def __len__(self) -> int:
        return self._total

    def __bool__(self) -> bool:
        return self._total > 0

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def _pos(self, i: int) -> int:
        idx = i + self._total if i < 0 else i
        pos = idx - (self._total - len(self._items))
        if not 0 <= pos < len(self._items):
            raise IndexError("log position not kept")
        return pos

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            first = self._total - len(self._items)
            start, stop, step = i.indices(self._total)
            kept = list(self._items)
            return [kept[k - first] for k in range(start, stop, step) if k >= first]
        return self._items[self._pos(i)]

    def __setitem__(self, i: int, item: T) -> None:
        self._items[self._pos(i)] = item

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecentLog):
            return self._total == other._total and list(self._items) == list(other._items)
        if isinstance(other, list):
            return self._total == len(other) and list(self._items) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecentLog({self._total} appended, {len(self._items)} kept)"

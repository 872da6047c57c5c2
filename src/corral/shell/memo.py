"""A bounded memo for what the shell works out from text alone (word plans,
arithmetic tokens): bounded in entries and in an estimated size, so a hostile
script of many distinct long words cannot make it hold more than a few MB."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """``get(key)`` → the value ``make(key)`` gave, kept while the memo holds at
    most ``max_entries`` values of total ``cost`` at most ``max_cost`` (the oldest
    go first). ``make`` raising, or returning None, keeps nothing."""

    def __init__(
        self,
        make: Callable[[K], V | None],
        cost: Callable[[K, V], int],
        max_entries: int,
        max_cost: int,
    ) -> None:
        self._make = make
        self._cost = cost
        self.max_entries = max_entries
        self.max_cost = max_cost
        self._data: dict[K, tuple[V, int]] = {}
        self._total = 0
        self._lock = threading.Lock()  # pipeline stages are threads

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is not None:
            return hit[0]
        value = self._make(key)
        if value is None:
            return None
        c = self._cost(key, value)
        if c > self.max_cost // 16:  # one value may not crowd out the rest
            return value
        with self._lock:
            if key not in self._data:
                self._data[key] = (value, c)
                self._total += c
                while len(self._data) > self.max_entries or self._total > self.max_cost:
                    _old, (_v, oc) = next(iter(self._data.items()))
                    del self._data[_old]
                    self._total -= oc
        return value

    def __len__(self) -> int:
        return len(self._data)

    @property
    def total_cost(self) -> int:
        return self._total

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._total = 0

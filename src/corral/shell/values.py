"""Shell variable values that are not plain strings."""

from __future__ import annotations


class IArray(dict[int, str]):
    """A bash indexed array: sparse, ordered by index."""

    @classmethod
    def of(cls, values: list[str], start: int = 0) -> IArray:
        return cls((start + k, v) for k, v in enumerate(values))

    def ordered(self) -> list[str]:
        return [self[k] for k in sorted(self)]

    def indices(self) -> list[int]:
        return sorted(self)

    def next_index(self) -> int:
        return max(self) + 1 if self else 0

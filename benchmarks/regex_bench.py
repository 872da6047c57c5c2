"""Python re vs saferegex (RE2) on ordinary grep/sed-like work; baseline measured in the same run.

Run: PYTHONPATH=src python3 benchmarks/regex_bench.py
"""

from __future__ import annotations

import re
import time

from corral import saferegex

LINES = [f"{i} INFO user{i % 97}@example.com GET /api/v1/items/{i} 200 {i * 7 % 1000}ms"
         for i in range(50_000)]
CASES = [
    ("grep literal", r"items/4\d\d ", "search"),
    ("grep -E alternation", r"(GET|POST) /api/v[0-9]+/(items|users)/1[0-9]+ ", "search"),
    ("grep -iw (as grep wraps)", r"(?i)(?-i:(?<![A-Za-z0-9_]))user(?-i:(?![A-Za-z0-9_]))",
     "search"),
    ("sed s///g", r"[0-9]+", "sub"),
]


def run(rx: object, how: str) -> float:
    t = time.perf_counter()
    for line in LINES:
        if how == "search":
            rx.search(line)  # type: ignore[attr-defined]
        else:
            rx.sub("N", line)  # type: ignore[attr-defined]
    return time.perf_counter() - t


def main() -> None:
    print(f"{'case':24} {'re (s)':>8} {'saferegex (s)':>14} {'ratio':>6}  engine")
    for name, pat, how in CASES:
        a = min(run(re.compile(pat), how) for _ in range(3))
        s = saferegex.compile(pat)
        b = min(run(s, how) for _ in range(3))
        print(f"{name:24} {a:8.3f} {b:14.3f} {b / a:6.2f}  {s.engine}")


if __name__ == "__main__":
    main()

"""corral's own module-level regexes compile to small RE2 programs.

Every process that imports corral compiles them (the CLI, each sandbox worker, each
test's subprocess). A bounded repeat of a Unicode class (``[\\w./:-]{1,256}``) is that
class written out hundreds of times: four such patterns in ``monitor/normalize.py`` were
RE2 programs of ~300,000 instructions and cost 3 s of every import. The bound here is a
size, not a time, so it holds on any machine."""

from __future__ import annotations

import importlib
import pkgutil

import corral
from corral import saferegex

#: RE2 instructions; the largest module-level program today is ~25,000
MAX_PROGRAM = 100_000
#: modules that need optional packages or run something when imported
SKIP = ("__main__", ".fleet", ".integrations", ".guest")


def test_module_level_patterns_are_small_programs() -> None:
    seen = 0
    for info in pkgutil.walk_packages(corral.__path__, "corral."):
        if any(part in info.name for part in SKIP):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not isinstance(value, saferegex.Pattern):
                continue
            seen += 1
            for attr in ("_prog", "_longest", "_relaxed"):
                prog = getattr(value, attr, None)
                if prog is not None:
                    size = prog.ProgramSize()
                    assert size <= MAX_PROGRAM, f"{info.name}.{name} ({attr}): {size}"
    assert seen > 20  # the walk found corral's patterns

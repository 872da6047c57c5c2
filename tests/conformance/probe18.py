#!/usr/bin/env python3
"""Probe set 18: one-liners in classes probe sets 13-15 left thin — build and CI
scripts' shell (``set -euo pipefail``, ``trap`` clean-up on EXIT/ERR/RETURN/signals,
``getopts`` loops with silent error reporting, ``case`` on ``$1``, ``read -r -d ''``
loops over ``find -print0``, ``printf '%s\\0'``, ``xargs -0 -P``, Makefile recipes'
one-liners); log and text munging (awk with ``-F`` regexes, ``split``/``gsub``/``match``,
``FNR==NR`` over two files, output redirection; sed with hold space, ranges, ``0,/re/``,
``first~step``, case conversion; ``sort -t -k -u -V -h -M -g``, ``uniq -c -d -u -f -s -w``,
``column``, ``numfmt``, ``tac``, ``nl``, ``fold``, ``expand``, ``pr``); ``date`` arithmetic
and formats, ``printf`` corner cases, parameter expansion corners (``${x/#/}``,
``${x//[[:space:]]/}``, ``${x^^}``, ``${!prefix@}``, ``${x:-$(cmd)}``, nested quotes),
arithmetic (bases, ``**``, ternaries, ``let``, overflow), globbing (extglob, nullglob,
globstar, dotglob, character classes), arrays (slices, ``"${a[@]/x/y}"``, ``declare -p``),
jq filters over API-shaped output, read-only git plumbing over the fixture repository,
and ``python3 -c`` reading stdin and argv. Run under real bash and the corral shell over
probe set 13's fixture tree and compared the same way (stdout bytes and exit status;
stderr only whether it is empty).

    python tests/conformance/probe18.py               # every line, table by class
    python tests/conformance/probe18.py --split fix   # the lines fixes may look at
    python tests/conformance/probe18.py --split held  # the quarter held back from fixing
    python tests/conformance/probe18.py -k param18 -v # one class, show what differs

The held-back quarter is every fourth line (index % 4 == 3), fixed before any result was
looked at. Every line was run twice under bash when the set was written; none differed.
The harness is ``probe13.py``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe13

PROBE_DIR = Path(__file__).resolve().parent / "probe18"

if __name__ == "__main__":
    sys.exit(probe13.main(probe_dir=PROBE_DIR, name="probe18", doc=__doc__ or ""))

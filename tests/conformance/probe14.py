#!/usr/bin/env python3
"""Probe set 14: one-liners in the classes probe set 13 left out or covered thinly
(less common coreutils and their options — numfmt, csplit, split, shuf, tsort, pr, ptx,
factor, install, truncate, stat --printf, date arithmetic and formats, sort keys, uniq
-f/-s/-w, cut --complement, tr classes —; sed's multi-line commands, awk's printf,
getline, arrays and two-file idioms, grep's context and file options; bash corners:
case fall-through, arithmetic edges, printf %q/%b/%(…)T, read -d, IFS splitting,
set -x, shopt globbing, $'…', associative arrays, namerefs, ${x@…}, here-documents,
exec and descriptors, traps in subshells, error messages and exit codes; find's tests
and -printf, tar/gzip/zip listings, python3 with stdin, nested quoting), run under
real bash and the corral shell over probe set 13's fixture tree and compared the same
way (stdout bytes and exit status; stderr only whether it is empty).

    python tests/conformance/probe14.py               # every line, table by class
    python tests/conformance/probe14.py --split fix   # the lines fixes may look at
    python tests/conformance/probe14.py --split held  # the quarter held back from fixing
    python tests/conformance/probe14.py -k sed -v     # one class, show what differs

The lines live in ``probe14/lines_*.txt``, one ``[class] command`` a line; the held-back
quarter is every fourth line (index % 4 == 3), fixed before any result was looked at.
Lines whose bash output is not the same from one run to the next were dropped when
the set was written. The harness is ``probe13.py``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe13

PROBE_DIR = Path(__file__).resolve().parent / "probe14"

if __name__ == "__main__":
    sys.exit(probe13.main(probe_dir=PROBE_DIR, name="probe14", doc=__doc__ or ""))

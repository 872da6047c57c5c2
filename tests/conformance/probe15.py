#!/usr/bin/env python3
"""Probe set 15: one-liners in classes probe sets 13 and 14 left out or covered thinly —
what an agent runs over a repository's files: CSV with cut/sort/join/paste/comm, JSON
munged as text with grep/sed/awk/python, grep -E alternation with -o/-n/-b, xargs
(-0/-n/-I/-P1/-d/-a/-E), find -print0/-printf/-exec, tee -a, seq -f/-w/-s, printf formats
in loops, head/tail -c/-n ±N, wc over globs, sort keys; bash as scripts use it:
here-documents with nested $( ) (lines starting with ``> `` continue the command above),
arrays and slices, mapfile, associative arrays in loops, printf -v, getopts inside
functions, local scoping, set -e with &&/||/if/subshells, pipefail, PIPESTATUS, trap ERR,
exit in subshells, wait statuses, process substitution with diff/comm/paste/join,
exec and descriptors, redirections (2>&1 |, &>, >&, |&); and date -d arithmetic, stat -c,
deterministic sizes, md5sum/sha256sum -c, base64/base32, od/xxd/hexdump, cmp and diff
options, split -d/-b/-n/-C, tar listings and extraction, gzip/bzip2/xz round trips,
python3 -c with stdin and argv. Run under real bash and the corral shell over probe set
13's fixture tree and compared the same way (stdout bytes and exit status; stderr only
whether it is empty).

    python tests/conformance/probe15.py               # every line, table by class
    python tests/conformance/probe15.py --split fix   # the lines fixes may look at
    python tests/conformance/probe15.py --split held  # the quarter held back from fixing
    python tests/conformance/probe15.py -k errexit -v # one class, show what differs

The held-back quarter is every fourth line (index % 4 == 3), fixed before any result was
looked at. Every line was run twice under bash when the set was written; none differed.
The harness is ``probe13.py``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe13

PROBE_DIR = Path(__file__).resolve().parent / "probe15"

if __name__ == "__main__":
    sys.exit(probe13.main(probe_dir=PROBE_DIR, name="probe15", doc=__doc__ or ""))

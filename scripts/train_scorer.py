#!/usr/bin/env python3
"""Train the monitor's learned command-text scorer and measure it leave-one-set-out.

Usage::

    python3 -m pip install 'corral[train]'       # scikit-learn, for training only
    PYTHONPATH=src python3 scripts/train_scorer.py [--out FILE] [--sample N]
        [--refresh-breadth] [--replay-cache FILE] [--json]

Data (nothing else is read; the fresh held-out sets being built, ``heldout6_*`` and
later, are deliberately not):

* the labelled corpora in ``src/corral/monitor/corpus``: ``default.jsonl`` (the
  development set, "dev") and the held-out sets 1 (``heldout_*``) to 5
  (``heldout5_*``); command lines only;
* benign breadth, ``scripts/scorer_data/benign_breadth.jsonl``: everyday command lines
  so the model does not learn "unusual == bad". ``--refresh-breadth`` rebuilds it on
  this machine from the EXAMPLES sections and display blocks of the installed man pages
  (``/usr/share/man/man1``, ``man8``), the shell blocks of corral's README and docs and
  of the READMEs of the installed Python and npm packages;
  lines the default rule pack alerts on are left out (documentation of attacks). The
  file is committed, so training needs no network and gives the same model anywhere.

Each command is replayed the way ``corral monitor eval`` and a live sandbox see it
(:func:`corral.monitor.evaluate.command_events`); the scorer scores what the monitor's
hook scores on those events (the script, each command's line) and an item alerts when
the highest score passes the threshold; the rules' verdict comes from the same events.

Honest estimate: leave-one-set-out over sets 2-5. For held-out set N, a model is
trained on every other set (dev, 1, the rest of 2-5, breadth; lines equal to one of
set N's left out), its threshold is picked on the training sets alone (an inner
leave-one-set-out: the lowest threshold keeping every training set's out-of-fold benign
alert rate at or below ``--fp``), and it is measured on set N: attacks alerted, benign
alerted, rules alone, scorer alone, rules OR scorer. The shipped model is trained on
everything, its threshold picked the same way over all six sets; the table is stored
in the model (``loso``).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from corral.monitor.scorer import (  # noqa: E402
    MODEL_PATH,
    CommandScorer,
    command_texts,
    line_features,
)

CORPUS = ROOT / "src" / "corral" / "monitor" / "corpus"
BREADTH = ROOT / "scripts" / "scorer_data" / "benign_breadth.jsonl"
#: (set name, attack file, benign file); default.jsonl holds both labels
SETS: list[tuple[str, str, str | None]] = [
    ("dev", "default.jsonl", None),
    ("1", "heldout_attacks.jsonl", "heldout_benign.jsonl"),
    ("2", "heldout2_attacks.jsonl", "heldout2_benign.jsonl"),
    ("3", "heldout3_attacks.jsonl", "heldout3_benign.jsonl"),
    ("4", "heldout4_attacks.jsonl", "heldout4_benign.jsonl"),
    ("5", "heldout5_attacks.jsonl", "heldout5_benign.jsonl"),
]
LEFT_OUT = ["2", "3", "4", "5"]
BITS = 20
C = 0.25
#: weights smaller than this are left out of the model (size, load time)
PRUNE = 0.005
VERSION = "1"


@dataclass
class Item:
    group: str  # set name, or "breadth"
    label: int  # 1 attack, 0 benign
    command: str
    texts: list[str] = field(default_factory=list)  # what the monitor's hook scores
    rules: bool = False  # the default rule pack alerts

    @property
    def key(self) -> str:
        return " ".join(self.command.split()).lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(json.loads(line))
    return out


def load_sets(sample: int | None) -> tuple[list[Item], dict[str, str]]:
    """The corpora's command items, and the sha256 of every file read."""
    items: list[Item] = []
    hashes: dict[str, str] = {}
    for name, *files in SETS:
        for fname in files:
            if fname is None:
                continue
            path = CORPUS / fname
            hashes[fname] = _sha256(path)
            got = [
                Item(name, int(o["label"] == "malicious"), o["command"])
                for o in _read_jsonl(path)
                if isinstance(o.get("command"), str)
            ]
            if sample:
                got = got[:: max(1, len(got) // sample)][:sample]
                if name == "dev":  # both labels from the one file
                    got = [i for i in got if i.label] + [i for i in got if not i.label]
            items.extend(got)
    return items, hashes


def load_breadth(sample: int | None) -> list[Item]:
    got = [Item("breadth", 0, o["command"]) for o in _read_jsonl(BREADTH)]
    if sample:
        got = got[: sample * 4]
    return got


# -------------------------------------------------------------------------------- replay


def replay(items: list[Item], cache: Path | None) -> None:
    """Fill each item's hook texts and rules verdict from its replayed events."""
    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import command_events

    memo: dict[str, Any] = {}
    if cache is not None and cache.exists():
        memo = json.loads(cache.read_text())
    for n, it in enumerate(items):
        got = memo.get(it.command)
        if got is None:
            events = command_events(it.command, f"train-{n}")
            monitor = Monitor(packs=["default"], baseline=False, scorer=False)
            alerted = False
            for ev in events:
                alerted = bool(monitor.observe(ev)) or alerted
            got = memo[it.command] = [command_texts(events), alerted]
        it.texts, it.rules = list(got[0]), bool(got[1])
        if n % 500 == 499:
            print(f"  replayed {n + 1}/{len(items)}", file=sys.stderr)
    if cache is not None:
        cache.write_text(json.dumps(memo))


# ------------------------------------------------------------------------------- training


def featurize(commands: list[str]) -> Any:
    from scipy.sparse import csr_matrix

    mask = (1 << BITS) - 1
    indptr, indices, data = [0], [], []
    for cmd in commands:
        counts: dict[int, int] = {}
        for f in line_features(cmd):
            s = zlib.crc32(f) & mask
            counts[s] = counts.get(s, 0) + 1
        indices.extend(counts)
        data.extend(counts.values())
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(commands), 1 << BITS), dtype=float)


class Trainer:
    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.X = featurize([it.command for it in items])

    def fit(self, train: list[int], threshold: float = 0.0) -> CommandScorer:
        from sklearn.linear_model import LogisticRegression

        y = [self.items[i].label for i in train]
        clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=2000)
        clf.fit(self.X[train], y)
        coef = clf.coef_[0]
        nz = coef.nonzero()[0]
        weights = {int(i): round(float(coef[i]), 3) for i in nz if abs(coef[i]) >= PRUNE}
        return CommandScorer(weights, round(float(clf.intercept_[0]), 4), threshold, bits=BITS)


def item_score(scorer: CommandScorer, it: Item) -> float:
    return max((scorer.score(t).value for t in it.texts), default=-math.inf)


def pick_threshold(benign: list[float], fp: float) -> float:
    """The lowest threshold keeping the share of ``benign`` scores at or above it
    at most ``fp``."""
    finite = sorted((s for s in benign if s != -math.inf), reverse=True)
    allowed = int(fp * len(benign))
    if allowed >= len(finite):
        return finite[-1] if finite else 0.0
    return round(finite[allowed] + 1e-3, 4)


def _disjoint(items: list[Item], train: list[int], held: list[int]) -> list[int]:
    keys = {items[i].key for i in held}
    return [i for i in train if items[i].key not in keys]


def oof_threshold(tr: Trainer, train: list[int], fp: float) -> tuple[float, dict[str, float]]:
    """Inner leave-one-set-out over the corpus sets in ``train``: for each set, the
    lowest threshold keeping its out-of-fold benign alert rate at or below ``fp``; the
    highest of those (every set within ``fp``, not just their pool)."""
    items = tr.items
    groups = sorted({items[i].group for i in train} - {"breadth"})
    per: dict[str, float] = {}
    for g in groups:
        held = [i for i in train if items[i].group == g]
        model = tr.fit(_disjoint(items, [i for i in train if items[i].group != g], held))
        per[g] = pick_threshold(
            [item_score(model, items[i]) for i in held if not items[i].label], fp
        )
    return max(per.values(), default=0.0), per


def rates(items: list[Item], idx: list[int], fired: list[bool]) -> dict[str, float]:
    att = [(i, f) for i, f in zip(idx, fired, strict=True) if items[i].label]
    ben = [(i, f) for i, f in zip(idx, fired, strict=True) if not items[i].label]

    def share(pairs: list[tuple[int, bool]], pick: Any) -> float:
        return sum(1 for i, f in pairs if pick(i, f)) / len(pairs) if pairs else 0.0

    return {
        "attacks": len(att),
        "benign": len(ben),
        "rules_detect": share(att, lambda i, f: items[i].rules),
        "rules_fp": share(ben, lambda i, f: items[i].rules),
        "scorer_detect": share(att, lambda i, f: f),
        "scorer_fp": share(ben, lambda i, f: f),
        "both_detect": share(att, lambda i, f: f or items[i].rules),
        "both_fp": share(ben, lambda i, f: f or items[i].rules),
        "added_detect": share(att, lambda i, f: f and not items[i].rules),
        "added_fp": share(ben, lambda i, f: f and not items[i].rules),
    }


def loso(tr: Trainer, fp: float, left_out: list[str]) -> list[dict[str, Any]]:
    items = tr.items
    rows = []
    for name in left_out:
        held = [i for i, it in enumerate(items) if it.group == name]
        if not held:
            continue
        train = _disjoint(items, [i for i, it in enumerate(items) if it.group != name], held)
        thr, _ = oof_threshold(tr, train, fp)
        model = tr.fit(train, thr)
        fired = [item_score(model, items[i]) >= thr for i in held]
        rows.append({"set": name, "threshold": thr, **rates(items, held, fired)})
        print(f"  left out set {name}: done", file=sys.stderr)
    return rows


# -------------------------------------------------------------------------------- breadth

_ROFF = [
    (r"\\f[BIRP]|\\f\(..|\\f\[[^\]]*\]", ""), (r"\\-", "-"), (r"\\&", ""), (r"\\\|", ""),
    (r"\\\(aq|\\\[aq\]", "'"), (r"\\\(dq|\\\[dq\]", '"'), (r"\\\(ga|\\\[ga\]", "`"),
    (r"\\\(ti|\\\[ti\]|\\~", "~"), (r"\\\(ha|\\\[ha\]", "^"), (r"\\ ", " "), (r"\\e", "\\"),
    (r"\\\(em|\\\(en|\\\[em\]|\\\[en\]", "-"), (r"\\\*\(.\S|\\\*\[[^\]]*\]", ""),
]  # fmt: skip
_MACRO = re.compile(r"^\.(?:B|I|BI|BR|IB|IR|RB|RI|SM|SB)\s+")


def _unroff(line: str) -> str:
    line = _MACRO.sub("", line)
    for pat, rep in _ROFF:
        line = re.sub(pat, lambda _m, r=rep: r, line)
    if line.startswith('"') and line.endswith('"') and line.count('"') == 2:
        line = line[1:-1]
    return line.strip()


_PROSE = frozenset(
    ["a", "an", "and", "are", "be", "can", "command", "does", "for", "has", "is", "it", "may",
     "must", "of", "or", "program", "should", "that", "the", "this", "to", "was", "when",
     "which", "will", "with", "would", "you"]
)  # fmt: skip


def _man_examples(limit_per_page: int = 8) -> list[tuple[str, str]]:
    """Command lines from man pages: lines starting with the page's program in its
    EXAMPLES section or in a display block (``.nf``/``.EX``) anywhere."""
    import gzip

    out: list[tuple[str, str]] = []
    for sec in ("man1", "man8"):
        for page in sorted(Path("/usr/share/man", sec).glob("*.gz")):
            name = page.name.split(".")[0]
            try:
                text = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
            except (OSError, EOFError):
                continue
            examples = display = False
            got = 0
            for raw in text.splitlines():
                if raw.startswith(".SH"):
                    examples = "EXAMPLE" in raw.upper()
                    continue
                if raw.startswith((".nf", ".EX")):
                    display = True
                    continue
                if raw.startswith((".fi", ".EE")):
                    display = False
                    continue
                if not (examples or display) or not raw or raw.startswith(('.\\"', "'\\\"")):
                    continue
                if raw.startswith(".") and not _MACRO.match(raw):
                    continue
                line = _unroff(raw)
                if line.startswith(("$ ", "% ", "# ")):
                    line = line[2:].strip()
                words = line.split()
                if len(words) < 2 or words[0] not in (name, "sudo") or len(line) > 300:
                    continue
                if words[1] in _PROSE or line.endswith((".", ":", ",", "\\")):
                    continue  # a sentence, or continued on the next line
                out.append((line, f"man/{sec}/{page.name}"))
                got += 1
                if got >= limit_per_page:
                    break
    return out


def _doc_commands() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in files:
        inside = False
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip().startswith("```"):
                lang = raw.strip()[3:].strip().lower()
                inside = not inside and lang in ("bash", "sh", "shell", "console")
                continue
            line = raw.strip()
            if inside and line and not line.startswith("#"):
                out.append((line.removeprefix("$ "), str(path.relative_to(ROOT))))
    return out


_DEV_TOOLS = frozenset(
    ["pip", "pip3", "python", "python3", "npm", "npx", "yarn", "pnpm", "node", "docker",
     "git", "uv", "uvx", "conda", "mamba", "poetry", "pipx", "cargo", "rustup", "go", "make",
     "tox", "nox", "pytest", "kubectl", "helm", "brew", "apt-get", "apt", "sudo", "export",
     "cd", "source", ".", "curl", "wget", "tar", "ls", "mkdir", "cp", "mv", "echo", "cat",
     "hatch", "pdm", "maturin", "gh", "terraform", "aws", "gcloud", "az", "java", "mvn",
     "gradle", "ruby", "gem", "bundle", "php", "composer", "deno", "bun", "cmake", "gcc"]
)  # fmt: skip
_ASSIGN = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


def _looks_like_command(line: str) -> bool:
    import shutil

    rest = _ASSIGN.sub("", line)
    first = rest.split(" ", 1)[0] if rest else ""
    if not re.fullmatch(r"[A-Za-z_.][\w.+/-]*", first) or len(line) > 300:
        return False
    return first in _DEV_TOOLS or shutil.which(first) is not None


def _fenced(text: str, source: str, limit: int = 15) -> list[tuple[str, str]]:
    """Command lines of a README's shell blocks (and ``$ `` lines)."""
    out: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        st = raw.strip()
        if st.startswith("```"):
            lang = st[3:].strip().lower()
            inside = not inside and lang in ("bash", "sh", "shell", "console", "zsh")
            continue
        if st.startswith("$ "):
            st = st[2:].strip()
        elif not inside:
            continue
        if st and not st.startswith("#") and _looks_like_command(st):
            out.append((st, source))
            if len(out) >= limit:
                break
    return out


def _package_docs() -> list[tuple[str, str]]:
    """Command lines from the READMEs of the installed Python and npm packages."""
    import importlib.metadata

    out: list[tuple[str, str]] = []
    names = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or "?"
        if name.lower() in names:
            continue
        names.add(name.lower())
        try:
            text = dist.read_text("METADATA") or ""
        except (OSError, UnicodeDecodeError):
            continue
        out.extend(_fenced(text, f"pypi/{name}"))
    for readme in sorted(Path("/usr/lib/node_modules").glob("**/README.md"))[:3000]:
        try:
            text = readme.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out.extend(_fenced(text, f"npm/{readme.parent.name}", 6))
    return out


def refresh_breadth() -> int:
    """Rebuild the breadth file from this machine's man pages and corral's docs."""
    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import command_events

    seen: set[str] = set()
    kept = []
    for line, source in _doc_commands() + _man_examples() + _package_docs():
        key = " ".join(line.split())
        if key in seen:
            continue
        seen.add(key)
        monitor = Monitor(packs=["default"], baseline=False, scorer=False)
        if any(monitor.observe(ev) for ev in command_events(line, "breadth")):
            continue  # the rules alert: an attack being documented
        kept.append({"command": line, "source": source})
    BREADTH.parent.mkdir(parents=True, exist_ok=True)
    with open(BREADTH, "w", encoding="utf-8") as f:
        for obj in kept:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return len(kept)


# ----------------------------------------------------------------------------------- main


def print_table(rows: list[dict[str, Any]], fp: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"leave-one-set-out (threshold from inner LOSO at <= {fp:.1%} FP)")
    for col in ("left out", "attacks", "benign", "threshold", "rules", "scorer", "rules OR scorer",
                "rules FP", "scorer FP", "rules OR scorer FP"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["set"], str(r["attacks"]), str(r["benign"]), f"{r['threshold']:.2f}",
            f"{r['rules_detect']:.1%}", f"{r['scorer_detect']:.1%}", f"{r['both_detect']:.1%}",
            f"{r['rules_fp']:.2%}", f"{r['scorer_fp']:.2%}", f"{r['both_fp']:.2%}",
        )  # fmt: skip
    Console(soft_wrap=True).print(table)


def main(argv: list[str] | None = None) -> int:
    global BITS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help="model file to write")
    ap.add_argument("--fp", type=float, default=0.005, help="benign alert rate allowed")
    ap.add_argument("--sample", type=int, help="use only N lines per file (a quick check)")
    ap.add_argument("--refresh-breadth", action="store_true", help="rebuild the breadth file")
    ap.add_argument("--replay-cache", type=Path, help="JSON file caching replayed events")
    ap.add_argument("--no-loso", action="store_true", help="skip the leave-one-set-out table")
    ap.add_argument("--json", action="store_true", help="print the table as JSON")
    ap.add_argument("--bits", type=int, default=BITS, help="hashing space: 2**bits slots")
    args = ap.parse_args(argv)
    if not 8 <= args.bits <= 24:
        print("error: --bits must be from 8 to 24", file=sys.stderr)
        return 2
    BITS = args.bits
    try:
        import sklearn
    except ImportError:
        print("error: training needs scikit-learn: pip install 'corral[train]'", file=sys.stderr)
        return 2
    if args.refresh_breadth:
        print(f"breadth: {refresh_breadth()} lines written to {BREADTH}", file=sys.stderr)
    items, hashes = load_sets(args.sample)
    breadth = load_breadth(args.sample)
    hashes[str(BREADTH.relative_to(ROOT))] = _sha256(BREADTH)
    print(f"replaying {len(items)} corpus lines", file=sys.stderr)
    replay(items, args.replay_cache)
    all_items = items + breadth
    tr = Trainer(all_items)
    left_out = [s for s in LEFT_OUT if any(it.group == s for it in items)]
    rows = [] if args.no_loso else loso(tr, args.fp, left_out)
    everything = list(range(len(all_items)))
    thr, per_set = oof_threshold(tr, everything, args.fp)
    model = tr.fit(everything, thr)
    model.version = VERSION
    model.meta = {
        "trained": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sklearn": sklearn.__version__,
        "training": {
            "files": hashes,
            "lines": {
                g: sum(1 for it in all_items if it.group == g)
                for g in dict.fromkeys(it.group for it in all_items)
            },
            "model": f"LogisticRegression(C={C}, class_weight=balanced, liblinear), L2",
            "threshold": f"the highest of the per-set thresholds keeping each set's "
            f"out-of-fold benign alerts <= {args.fp:.2%} in a leave-one-set-out",
            "set_thresholds": per_set,
        },
        "loso": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"model: {len(model.weights)} weights, threshold {thr:.3f} -> {args.out}",
          file=sys.stderr)  # fmt: skip
    if args.json:
        print(json.dumps(rows, indent=2))
    elif rows:
        print_table(rows, args.fp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

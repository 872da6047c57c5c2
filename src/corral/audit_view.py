"""What a person reads of an audit log: filters (alerts, rules, time), one-line
summaries, the terminal timeline's rows and the self-contained HTML page.

Everything in a log body may be agent-controlled (commands, paths, code, reasons
quoting them): summaries have their control characters shown as escapes (no terminal
escape sequence reaches a terminal), and the HTML page escapes every text it shows and
forbids scripts by its Content-Security-Policy as a second wall.
"""

from __future__ import annotations

import contextlib
import fnmatch
import html
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import audit, saferegex
from .audit import Entry, VerifyResult

__all__ = [
    "RuleFilter",
    "TimelineRow",
    "entry_rule",
    "is_alert",
    "parse_since",
    "plain",
    "timeline_row",
    "write_html",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: Any, width: int | None = None) -> str:
    """One line: whitespace runs become a space, other control characters (and bidi
    overrides) become ``\\xNN`` escapes; cut to ``width`` with an ellipsis."""
    s = " ".join(str(text).split())
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    if width is not None and len(s) > width:
        s = s[: max(width - 1, 0)] + "…"
    return s


# -- what a row is about ------------------------------------------------------------


def _body_type(entry: Entry) -> str:
    t = entry.body.get("type")
    return t if isinstance(t, str) else entry.kind


def is_alert(entry: Entry) -> bool:
    """A monitor alert: a ``monitor.alert`` event or an ``alert`` row."""
    return entry.kind == "alert" or (entry.kind == "event" and _body_type(entry) == "monitor.alert")


def entry_rule(entry: Entry) -> str | None:
    """The rule a row names: an alert's rule, else its decision's rule."""
    b = entry.body
    if is_alert(entry):
        data = b.get("data") if entry.kind == "event" else b
        rule = data.get("rule") if isinstance(data, dict) else None
        if isinstance(rule, str):
            return rule
    decision = b.get("decision")
    if isinstance(decision, dict) and isinstance(decision.get("rule"), str):
        return str(decision["rule"])
    return None


class RuleFilter:
    """``--rule NAME``: a rule name or a glob (``mining-*``); ``monitor:NAME`` (how a
    monitor refusal names its rule) matches ``NAME`` too."""

    def __init__(self, pattern: str) -> None:
        if not pattern:
            raise ValueError("--rule needs a rule name or glob")
        self.pattern = pattern
        self._re = saferegex.compile(fnmatch.translate(pattern)) if _is_glob(pattern) else None

    def __call__(self, entry: Entry) -> bool:
        rule = entry_rule(entry)
        if rule is None:
            return False
        names = {rule, rule.removeprefix("monitor:")}
        if self._re is None:
            return self.pattern in names
        return any(self._re.fullmatch(n) is not None for n in names)


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(value: str, now: float | None = None) -> float:
    """``--since``: a duration ago (``90s``, ``15m``, ``2h``, ``1d``) or a local date/time
    in ISO form (``2026-12-05``, ``2026-12-05T10:30``, ``10:30`` today). A Unix time."""
    v = value.strip()
    now = time.time() if now is None else now
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", v)
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", v):
        today = datetime.fromtimestamp(now).date().isoformat()
        v = f"{today}T{v}"
    try:
        return datetime.fromisoformat(v).timestamp()
    except ValueError:
        raise ValueError(
            f"--since {value!r}: expected a duration (90s, 15m, 2h, 1d) or a date/time "
            "(2026-12-05, 2026-12-05T10:30, 10:30)"
        ) from None


# -- summaries ----------------------------------------------------------------------


def action_text(action: Any) -> str:
    if not isinstance(action, dict):
        return ""
    kind = action.get("kind")
    if kind == "exec":
        return str(action.get("line") or " ".join(map(str, action.get("argv") or [])))
    if kind == "code":
        return f"{action.get('language')}: {action.get('code', '')}"
    if kind == "file":
        return f"{action.get('op')} {action.get('path')}"
    if kind == "net":
        port = action.get("port")
        return f"connect {action.get('host')}{f':{port}' if port else ''}"
    if kind == "tool":
        return f"tool {action.get('name')}({json.dumps(action.get('args') or {}, default=str)})"
    if kind == "spawn":
        return "spawn " + " ".join(map(str, action.get("argv") or []))
    return json.dumps(action, sort_keys=True, default=str)


def _alert_text(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    tech = f", {data['technique']}" if data.get("technique") else ""
    resp = f" → {data['response']}" if data.get("response") else ""
    head = f"[{data.get('severity', '?')}{tech}] {data.get('rule', '?')}"
    return f"{head}: {data.get('summary') or data.get('title') or ''}{resp}"


def summary(entry: Entry) -> str:
    """What a row says, in words (not yet made plain or cut)."""
    b = entry.body
    if entry.kind == "alert":
        return _alert_text(b)
    if entry.kind == "checkpoint":
        return f"signed checkpoint covering rows 1-{b.get('covers_seq')} ({b.get('reason', '?')})"
    if entry.seq == 1 and isinstance(b.get("corral_audit"), dict):
        h = b["corral_audit"]
        signed = "signed" if h.get("signed") else "unsigned"
        return f"audit log header: {signed}, checkpoint every {h.get('checkpoint_every')} rows"
    if entry.kind != "event":
        return json.dumps(b, sort_keys=True, ensure_ascii=False, default=str)
    etype = _body_type(entry)
    data = b.get("data") if isinstance(b.get("data"), dict) else {}
    decision = b.get("decision") if isinstance(b.get("decision"), dict) else {}
    outcome = b.get("outcome") if isinstance(b.get("outcome"), dict) else {}
    action = action_text(b.get("action"))
    if etype == "monitor.alert":
        return _alert_text(data)
    if etype == "action.denied":
        rule = f" ({decision.get('rule')})" if decision.get("rule") else ""
        reason = decision.get("reason") or data.get("reason") or ""
        return f"{action} → denied{rule}: {reason}"
    if etype == "action.completed":
        if "exit_code" in outcome:
            err = f" ({outcome['error']})" if outcome.get("error") else ""
            return f"{action} → exit {outcome['exit_code']}{err}"
        return f"{action} → {'ok' if outcome.get('ok') else outcome.get('error', 'done')}"
    if etype == "action.requested":
        return f"{action} → {decision.get('verdict', 'allow')}"
    if etype.startswith("approval."):
        answer = f" → {data['answer']}" if data.get("answer") else ""
        return f"{action}{answer} ({decision.get('reason', '')})"
    if etype == "sandbox.created":
        return f"backend {data.get('backend', '?')}"
    if etype in ("session.killed", "session.paused"):
        return str(data.get("reason", ""))
    if etype == "budget.exceeded":
        return f"{data.get('budget')}: {data.get('message', '')}"
    rest = json.dumps(data, sort_keys=True, default=str) if data else ""
    return " ".join(p for p in (action, rest) if p)


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    time: float
    sandbox: str
    type: str
    summary: str
    level: str  # "alert", "critical", "denied", "stopped", "" (how to show it)


def timeline_row(entry: Entry, width: int = 160) -> TimelineRow:
    etype = _body_type(entry)
    level = ""
    if is_alert(entry):
        data = entry.body.get("data") if entry.kind == "event" else entry.body
        sev = data.get("severity") if isinstance(data, dict) else None
        level = "critical" if sev == "critical" else "alert"
    elif etype == "action.denied":
        level = "denied"
    elif etype in ("session.killed", "session.paused"):
        level = "stopped"
    return TimelineRow(
        entry.seq,
        entry.time if isinstance(entry.time, int | float) else 0.0,
        plain(entry.session or "-", 32),
        plain(etype, 40),
        plain(summary(entry), width),
        level,
    )


def select(
    entries: Iterable[Entry],
    *,
    since_time: float | None = None,
    alerts_only: bool = False,
    rule: RuleFilter | None = None,
) -> Iterator[Entry]:
    for e in entries:
        late = isinstance(e.time, int | float) and e.time >= (since_time or 0)
        if since_time is not None and not late:
            continue
        if alerts_only and not is_alert(e):
            continue
        if rule is not None and not rule(e):
            continue
        yield e


# -- the HTML page ------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}.ok{background:#e6f4ea;border:1px solid #34a853}
.bad{background:#fce8e6;border:1px solid #d93025}.verify{padding:.8em 1em;margin-bottom:1.5em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3;position:sticky;top:0}
td.s{white-space:pre-wrap;word-break:break-word}tr.alert{background:#fff4e5}
tr.critical{background:#fce8e6;font-weight:600}tr.denied{background:#fffbe6}
tr.stopped{background:#f3e8fd;font-weight:600}tr.unverified{color:#a50e0e}
pre{white-space:pre-wrap;word-break:break-all;font-size:12px;margin:.3em 0}
.n{font-variant-numeric:tabular-nums;white-space:nowrap}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _when(t: float) -> str:
    try:
        return datetime.fromtimestamp(t).isoformat(sep=" ", timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return str(t)


def _verify_block(path: Path, result: VerifyResult) -> str:
    if result.ok:
        line = f"OK: {result.rows} rows, hash chain intact"
        if result.signatures_checked:
            line += (
                f"; {result.checkpoints} signed checkpoints verified "
                f"(rows 1-{result.signed_upto})"
            )
        elif result.signed:
            line += "; signed log, signatures not checked (no key given)"
        cls = "ok"
    else:
        line = f"FAILED: {result.problem or 'the log does not verify'}"
        if result.first_bad_seq is not None:
            line += f" (first bad row: {result.first_bad_seq}; it and the rows after it are marked)"
        cls = "bad"
    return (
        f'<div class="verify {cls}"><strong>verify {_e(path.name)}:</strong> {_e(line)}</div>'
    )


def write_html(
    path: Path,
    dest: Path,
    result: VerifyResult,
    entries: Iterable[Entry],
    *,
    title: str | None = None,
) -> int:
    """Write the self-contained page for ``entries`` of the log at ``path`` (verified as
    ``result``) to ``dest`` atomically; returns the number of rows written."""
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent or ".")
    n = 0
    bad_from = None if result.ok else (result.first_bad_seq or 1)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            heading = title or f"corral audit log {path.name}"
            out.write(
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
                f"<title>{_e(heading)}</title><style>{_CSS}</style></head><body>\n"
                f"<h1>{_e(heading)}</h1>\n"
                f"{_verify_block(path, result)}\n"
                "<table><thead><tr><th>seq</th><th>time</th><th>sandbox</th><th>event</th>"
                "<th>summary</th></tr></thead><tbody>\n"
            )
            for entry in entries:
                row = timeline_row(entry, width=2_000)
                classes = [row.level] if row.level else []
                if bad_from is not None and entry.seq >= bad_from:
                    classes.append("unverified")
                cls = f' class="{" ".join(classes)}"' if classes else ""
                body = json.dumps(entry.to_dict(), indent=1, sort_keys=True, ensure_ascii=True)
                out.write(
                    f'<tr{cls}><td class="n">{entry.seq}</td><td class="n">{_e(_when(row.time))}'
                    f"</td><td>{_e(row.sandbox)}</td><td>{_e(row.type)}</td>"
                    f'<td class="s">{_e(row.summary)}<details><summary>row</summary>'
                    f"<pre>{_e(body)}</pre></details></td></tr>\n"
                )
                n += 1
            out.write(f"</tbody></table><p>{n} rows shown</p></body></html>\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return n


def rows_upto(path: Path, last_seq: int | None, **filters: Any) -> Iterator[Entry]:
    """The log's rows in order, stopping after ``last_seq`` (rows appended after a
    verification are not shown as verified)."""
    for e in audit.iter_entries(path, **filters):
        if last_seq is not None and e.seq > last_seq:
            return
        yield e

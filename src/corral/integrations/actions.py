"""Tool calls written in a model's text, for the text-in/text-out trainers (SkyRL-Gym,
OpenRLHF): ``<bash>ls</bash>``, ``<python>print(1)</python>``, ``<js>…</js>``,
``<read_file>path</read_file>``, ``<write_file path="a.py">…</write_file>``,
``<list_files>path</list_files>``, and ``<answer>…</answer>`` to finish.

The first tag in the text is the action. Parsing is by ``str.find`` only (linear in the
text, whatever a model writes: no regex to backtrack on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ACTION_TAGS", "ParsedAction", "parse_action"]

#: tag → (tool, argument name); ``answer`` ends the episode
ACTION_TAGS: dict[str, tuple[str, str]] = {
    "bash": ("run_shell", "command"),
    "python": ("run_python", "code"),
    "js": ("run_js", "code"),
    "read_file": ("read_file", "path"),
    "list_files": ("list_files", "path"),
    "write_file": ("write_file", "content"),
    "answer": ("answer", "text"),
}

#: a text longer than this is not parsed (a model's turn is far shorter)
MAX_ACTION_CHARS = 4_000_000


@dataclass
class ParsedAction:
    """``tool`` is one of corral's tools, ``"answer"`` (the episode's end), or
    ``"invalid"`` (``problem`` says what is wrong, for the model to read)."""

    tool: str
    args: dict[str, Any]
    problem: str | None = None


def _opening(text: str, tag: str, start: int) -> tuple[int, int, str] | None:
    """(where the tag starts, where its body starts, its attribute text)."""
    i = text.find(f"<{tag}", start)
    while i != -1:
        after = i + len(tag) + 1
        if after < len(text) and text[after] in "> \t\n":
            close = text.find(">", after)
            if close == -1:
                return None
            return i, close + 1, text[after:close]
        i = text.find(f"<{tag}", after)
    return None


def _path_attribute(attrs: str) -> str | None:
    for quote in ('"', "'"):
        key = f"path={quote}"
        i = attrs.find(key)
        if i != -1:
            j = attrs.find(quote, i + len(key))
            if j != -1:
                return attrs[i + len(key) : j]
    return None


def parse_action(text: str) -> ParsedAction | None:
    """The first action written in ``text``, or ``None`` when there is none."""
    if not isinstance(text, str):
        return ParsedAction("invalid", {}, f"the action must be text, not {type(text).__name__}")
    if len(text) > MAX_ACTION_CHARS:
        return ParsedAction("invalid", {}, f"the action is over {MAX_ACTION_CHARS} characters")
    first: tuple[int, str, int, str] | None = None
    for tag in ACTION_TAGS:
        found = _opening(text, tag, 0)
        if found is not None and (first is None or found[0] < first[0]):
            first = (found[0], tag, found[1], found[2])
    if first is None:
        return None
    _, tag, body_start, attrs = first
    end = text.find(f"</{tag}>", body_start)
    if end == -1:
        return ParsedAction("invalid", {}, f"<{tag}> is not closed by </{tag}>")
    body = text[body_start:end]
    tool, arg = ACTION_TAGS[tag]
    if tag == "write_file":
        path = _path_attribute(attrs)
        if path is None:
            return ParsedAction("invalid", {}, '<write_file> needs a path="..." attribute')
        return ParsedAction(tool, {"path": path, "content": body})
    if tag in ("read_file", "list_files"):
        body = body.strip() or ("/workspace" if tag == "list_files" else "")
        if not body:
            return ParsedAction("invalid", {}, "<read_file> needs a path")
    return ParsedAction(tool, {arg: body})

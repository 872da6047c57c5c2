"""Text an agent controls, made safe to show on the operator's terminal.

The terminal that shows a program's output also shows corral's approval questions. Raw,
a sandboxed program (or a command line the agent wrote) could move the cursor up and
rewrite the question's ``action`` line (``ESC [ 5 A``, ``ESC [ 2 K``), set the clipboard
or the window title (OSC 52 / OSC 0), or reorder what is shown (Unicode bidirectional
overrides, as in "Trojan Source"); and a long command cut at 200 characters showed only
its harmless head. Here:

* :func:`visible` — for a field of corral's own display (a question, a reason): every
  control character, escape and invisible format character is written out as ``\\x1b``
  / ``\\u202e`` notation;
* :func:`one_line` — :func:`visible` on one line, long text kept at both ends (the head
  and the tail, the count left out between them);
* :func:`for_terminal` — a program's own output: colours (SGR, ``ESC [ … m``), newlines,
  tabs, carriage returns and backspaces pass (progress bars, coloured test output); every
  other escape sequence, C1 control and bidirectional override is written out;
* :func:`question_open` / :func:`asking` — while an approval question waits for its
  answer, live output is held back (:class:`corral.liveprint.LiveOutput`) so nothing
  prints beneath the question and pretends to be it.
"""

from __future__ import annotations

import contextlib
import re
import threading
import unicodedata
from collections.abc import Iterator
from typing import Final

__all__ = ["asking", "for_terminal", "one_line", "question_open", "visible"]

#: in a program's output: a colour sequence (kept) or a character written out: every
#: control but tab, newline, carriage return and backspace; ESC not starting a colour;
#: C1 controls; bidirectional overrides and isolates
_UNSAFE_OUTPUT: Final = re.compile(
    "\x1b\\[[0-9;:]{0,64}m|[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def _notation(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _hidden(ch: str) -> bool:
    """Whether ``ch`` does something on a terminal or shows as nothing: controls (C0,
    DEL, C1), format characters (bidi marks, zero-width, BOM), line/paragraph separators,
    lone surrogates."""
    o = ord(ch)
    if o < 0x20 or 0x7F <= o < 0xA0:
        return True
    if o < 0x7F:
        return False
    return unicodedata.category(ch) in ("Cf", "Cs", "Zl", "Zp", "Co", "Cn")


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control, escape and invisible character written out (a
    newline too, unless ``keep_newlines``)."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif _hidden(ch):
            out.append(_notation(ch))
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str, limit: int = 200) -> str:
    """:func:`visible` on one line, at most about ``limit`` characters: a longer text keeps
    its head and its tail (what a command does last is often what matters) and says how
    much was left out between them."""
    shown = visible(text)
    if len(shown) <= limit:
        return shown
    keep = max(limit - 40, 20)
    head, tail = shown[: keep * 2 // 3], shown[-(keep - keep * 2 // 3) :]
    return f"{head} …[{len(shown) - len(head) - len(tail)} characters]… {tail}"


def for_terminal(text: str) -> str:
    """A program's output as it may reach the operator's terminal: colours and the
    ordinary line controls pass, every other escape sequence, control and bidirectional
    override is written out."""
    if _UNSAFE_OUTPUT.search(text) is None:
        return text
    return _UNSAFE_OUTPUT.sub(_shown_output, text)


def _shown_output(m: re.Match[str]) -> str:
    hit = m.group()
    return hit if len(hit) > 1 else _notation(hit)


_questions = 0
_questions_lock = threading.Lock()


def question_open() -> bool:
    """Whether an approval question is waiting for its answer on this terminal."""
    return _questions > 0


@contextlib.contextmanager
def asking() -> Iterator[None]:
    """Mark an approval question as open for the block's duration."""
    global _questions
    with _questions_lock:
        _questions += 1
    try:
        yield
    finally:
        with _questions_lock:
            _questions -= 1

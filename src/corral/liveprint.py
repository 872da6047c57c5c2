"""Printing a call's output as it comes (``corral run``, ``corral shell``)."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from .budget import RunResult
from .termtext import for_terminal, question_open


class LiveOutput:
    """An ``on_output`` callback that prints to this process's stdout/stderr, and
    :meth:`finish`, which prints what the call's result holds beyond what streamed
    (a refusal before anything ran, the sandbox's own ``[corral]`` notes).

    On a terminal, escape sequences other than colours are written out
    (:func:`corral.termtext.for_terminal`), and output waits while an approval question
    is open on it (printed once the question is answered): a program must not rewrite
    or imitate the question."""

    def __init__(self) -> None:
        self.sent = {"stdout": 0, "stderr": 0}
        self._held: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @staticmethod
    def _stream(name: str) -> TextIO:
        return sys.stdout if name == "stdout" else sys.stderr

    def _write(self, stream: str, text: str) -> None:
        f = self._stream(stream)
        try:
            tty = f.isatty()
        except (AttributeError, ValueError):
            tty = False
        f.write(for_terminal(text) if tty else text)
        f.flush()

    def __call__(self, stream: str, text: str) -> None:
        with self._lock:
            self.sent[stream] += len(text)
            if question_open():
                self._held.append((stream, text))
                return
            held, self._held = self._held, []
            for s, t in held:
                self._write(s, t)
            self._write(stream, text)

    def finish(self, result: RunResult) -> None:
        with self._lock:
            held, self._held = self._held, []
            for s, t in held:
                self._write(s, t)
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            rest = text[self.sent[stream] :]
            if rest:
                self(stream, rest)

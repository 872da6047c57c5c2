"""Printing a call's output as it comes (``corral run``, ``corral shell``)."""

from __future__ import annotations

import sys

from .budget import RunResult


class LiveOutput:
    """An ``on_output`` callback that prints to this process's stdout/stderr, and
    :meth:`finish`, which prints what the call's result holds beyond what streamed
    (a refusal before anything ran, the sandbox's own ``[corral]`` notes)."""

    def __init__(self) -> None:
        self.sent = {"stdout": 0, "stderr": 0}

    def __call__(self, stream: str, text: str) -> None:
        f = sys.stdout if stream == "stdout" else sys.stderr
        f.write(text)
        f.flush()
        self.sent[stream] += len(text)

    def finish(self, result: RunResult) -> None:
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            rest = text[self.sent[stream] :]
            if rest:
                self(stream, rest)

"""``corral exec`` relays a program's terminal as it is (a TUI needs its escapes), so
while a person answers an approval question on that terminal the program's output waits:
a program drawing over the question (cursor up, erase line, a fake question) drew over it
before."""

from __future__ import annotations

import contextlib
import os

import pytest

from corral.native.terminal import TerminalIO


def test_a_programs_output_waits_while_the_terminal_is_paused():
    hin_r, hin_w = os.pipe()
    hout_r, hout_w = os.pipe()
    herr_r, herr_w = os.pipe()
    tio = TerminalIO(hin_r, hout_w, herr_w, pty_mode=False)
    try:
        _, cout, cerr = tio.child_fds()
        fake = b"\x1b[3A\x1b[2K  action     run: git status\n"
        os.write(cout, fake)
        os.write(cerr, b"err\n")
        os.set_blocking(hout_r, False)
        with tio.paused():
            for _ in range(3):
                tio.pump(0.05)
            with pytest.raises(BlockingIOError):
                os.read(hout_r, 100)  # nothing reached the terminal
        for _ in range(3):
            tio.pump(0.05)
        assert os.read(hout_r, 100) == fake
        assert os.read(herr_r, 100) == b"err\n"
    finally:
        tio.close()
        for fd in (hin_r, hin_w, hout_r, hout_w, herr_r, herr_w):
            with contextlib.suppress(OSError):
                os.close(fd)

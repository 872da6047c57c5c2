"""A guest's trap stays the guest's even after something in the process replaced the
handlers wasmtime needs (a native library resetting SIGILL/SIGSEGV to the default used
to make the next guest trap kill the whole host process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import ctypes, logging, signal, sys
    from corral import Sandbox

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    libc = ctypes.CDLL("libc.so.6")
    bomb = "JSON.parse('['.repeat(200000) + ']'.repeat(200000))"
    with Sandbox() as sb:
        print("before", sb.js(bomb).error, flush=True)
        # what a careless native library does: its own (here: the default) handlers
        act = ctypes.create_string_buffer(512)  # zeroed: SIG_DFL, no flags
        for sig in (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE):
            libc.sigaction(int(sig), act, None)
        print("after", sb.js(bomb).error, flush=True)
        print("still", sb.js("console.log(6 * 7)").stdout.strip(), flush=True)
    """
)


def test_a_guest_trap_after_the_handlers_were_reset_is_the_guests() -> None:
    p = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                       timeout=240)  # fmt: skip
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    words = ("before", "after", "still")
    lines = [x for x in p.stdout.splitlines() if x.split(" ")[0] in words]
    assert lines == ["before crash", "after crash", "still 42"], p.stdout
    assert "were replaced in this process" in p.stderr and "SIGILL" in p.stderr, p.stderr

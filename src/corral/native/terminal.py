"""Connecting a native run to this process's own terminal (``corral exec``).

:class:`TerminalIO` takes the place of the output collector of a captured run:

* when this process's stdin and stdout are terminals, the sandbox gets a **new
  pseudo-terminal** of its own as its controlling terminal (job control, Ctrl-C and
  full-screen programs work inside). The host's real terminal is never handed in, so a
  program that pushes characters into "its" terminal (``TIOCSTI``, also refused by the
  seccomp filter) reaches only the sandbox's own pty. This process's terminal is put in
  raw mode for the run, follows window-size changes (``SIGWINCH``) and is restored at
  the end, whatever happens;
* with ``console=True`` the runtime makes that pty itself (gVisor's ``--console-socket``)
  and hands its master to :meth:`TerminalIO.adopt`;
* otherwise the program's stdin, stdout and stderr are pipes that corral relays from and
  to its own (so ``corral exec -- sort < in > out`` works and no host file descriptor
  enters the sandbox).

The output goes to the caller's stdout/stderr, not into memory, so the output budget
does not apply (``over`` is always false); ``total`` still counts the bytes.
``paused()`` hands the real terminal back for a moment (cooked mode, stdin not
forwarded, the program's output held back until it ends), e.g. while a person answers an
approval question.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import threading
import time
import tty
from collections.abc import Iterator

__all__ = ["TerminalIO"]

_WINSZ = struct.Struct("HHHH")


class TerminalIO:
    """The stdin/stdout/stderr of one native run, relayed to this process's own."""

    def __init__(
        self,
        stdin_fd: int = 0,
        stdout_fd: int = 1,
        stderr_fd: int = 2,
        *,
        pty_mode: bool | None = None,
        console: bool = False,
    ) -> None:
        self.host_in, self.host_out, self.host_err = stdin_fd, stdout_fd, stderr_fd
        if pty_mode is None:
            pty_mode = os.isatty(stdin_fd) and os.isatty(stdout_fd)
        self.pty = pty_mode
        # what finish_result reads from a collector: nothing is kept here
        self.out = bytearray()
        self.err = bytearray()
        self.total = 0
        self.dropped = 0
        self.open = 0
        self._child: list[int] = []  # the ends the child gets (closed here once it started)
        self._saved_mode: list | None = None
        self._old_winch: object = None
        self._paused = threading.Event()
        self._io_lock = threading.Lock()
        self._pending = b""
        self._in_open = True
        self._closed = False
        self.console = console and self.pty
        if self.console:
            # the runtime makes the pty and hands its master over later (adopt)
            self._master = self._to_child = -1
            self._outputs = {}
            self._child = [os.open(os.devnull, os.O_RDONLY)]
        elif self.pty:
            self._master, slave = pty.openpty()
            os.set_blocking(self._master, False)
            self._child = [slave]
            self._to_child = self._master
            self._outputs = {self._master: self.host_out}
        else:
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            for fd in (in_w, out_r, err_r):
                os.set_blocking(fd, False)
            self._child = [in_r, out_w, err_w]
            self._to_child = in_w
            self._outputs = {out_r: self.host_out, err_r: self.host_err}
        self.open = len(self._outputs)

    # ------------------------------------------------------------------ the child's side

    def child_fds(self) -> tuple[int, int, int]:
        """The (stdin, stdout, stderr) to start the sandbox with."""
        if self.console:  # the runtime itself (trusted) may speak on our stderr
            return self._child[0], self.host_err, self.host_err
        if self.pty:
            s = self._child[0]
            return s, s, s
        return self._child[0], self._child[1], self._child[2]

    @property
    def over(self) -> bool:
        return False

    def adopt(self, master: int) -> None:
        """Console mode: the pty master the runtime made for the sandbox."""
        with self._io_lock:
            if self._closed:
                os.close(master)
                return
            os.set_blocking(master, False)
            self._master = self._to_child = master
            self._outputs = {master: self.host_out}
            self.open = 1
            self._copy_winsize()

    def child_setup(self) -> None:
        """In the child, after ``setsid``: make the pty its controlling terminal."""
        if self.pty and not self.console:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def started(self) -> None:
        """The sandbox runs: close our copies of its ends, take over the terminal."""
        for fd in self._child:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._child = []
        if self.pty:
            self._copy_winsize()
            self._raw()
            if threading.current_thread() is threading.main_thread():
                self._old_winch = signal.signal(signal.SIGWINCH, self._on_winch)

    # ------------------------------------------------------------------ the terminal

    def _raw(self) -> None:
        if not os.isatty(self.host_in):
            return
        with contextlib.suppress(termios.error):
            if self._saved_mode is None:
                self._saved_mode = termios.tcgetattr(self.host_in)
            tty.setraw(self.host_in, termios.TCSADRAIN)

    def _cooked(self) -> None:
        if self._saved_mode is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.host_in, termios.TCSADRAIN, self._saved_mode)

    def _copy_winsize(self) -> None:
        if self._master < 0:
            return
        with contextlib.suppress(OSError):
            ws = fcntl.ioctl(self.host_out, termios.TIOCGWINSZ, b"\0" * _WINSZ.size)
            fcntl.ioctl(self._master, termios.TIOCSWINSZ, ws)

    def _on_winch(self, signum: int, frame: object) -> None:
        if not self._closed:
            self._copy_winsize()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Give the real terminal back (cooked, stdin not forwarded, output held) for the
        block."""
        with self._io_lock:
            self._paused.set()
            self._cooked()
        try:
            yield
        finally:
            with self._io_lock:
                if not self._closed and self.pty:
                    self._raw()
                self._paused.clear()

    # ------------------------------------------------------------------ relaying

    def pump(self, timeout: float) -> None:
        """Move what is ready, waiting at most ``timeout`` seconds."""
        if self._closed:
            time.sleep(timeout)
            return
        with self._io_lock:
            paused = self._paused.is_set()
            # while paused (a person answers a question on this terminal) the program's
            # output waits too: it must not draw over the question (its pty or pipe fills
            # and the program waits in its write)
            readers = [] if paused else list(self._outputs)
            take_input = self._in_open and not self._pending and not paused
            if take_input:
                readers.append(self.host_in)
            writers = [self._to_child] if self._pending and self._to_child >= 0 else []
            if not readers and not writers:
                time.sleep(timeout)
                return
            try:
                r, w, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):
                time.sleep(timeout)
                return
            for fd in r:
                if fd == self.host_in:
                    self._read_input()
                else:
                    self._relay_output(fd)
            if w:
                self._write_input()

    def _read_input(self) -> None:
        try:
            data = os.read(self.host_in, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._pending = data
            self._write_input()
        else:
            self._in_open = False
            if not self.pty:  # end of input: the program sees it too
                self._close_to_child()

    def _write_input(self) -> None:
        try:
            n = os.write(self._to_child, self._pending)
            self._pending = self._pending[n:]
        except BlockingIOError:
            pass
        except OSError:  # the program closed its stdin
            self._pending = b""
            self._in_open = False
            if not self.pty:
                self._close_to_child()

    def _close_to_child(self) -> None:
        if self._to_child >= 0:
            with contextlib.suppress(OSError):
                os.close(self._to_child)
            self._to_child = -1

    def _relay_output(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError as e:  # EIO: the pty's last slave closed
            if e.errno not in (errno.EIO, errno.EBADF):
                raise
            data = b""
        if not data:
            self._outputs.pop(fd, None)
            self.open = len(self._outputs)
            if not (self.pty and fd == self._master):
                with contextlib.suppress(OSError):
                    os.close(fd)
            return
        self.total += len(data)
        target = self._outputs[fd]
        view = memoryview(data)
        while view:
            try:
                n = os.write(target, view)
            except BlockingIOError:
                select.select([], [target], [], 1.0)
                continue
            except OSError:  # our own stdout went away: drop the output, keep running
                break
            view = view[n:]

    def close(self) -> None:
        """Restore the terminal and close every descriptor (idempotent)."""
        if self._closed:
            return
        with self._io_lock:
            self._closed = True
            self._cooked()
            if self._old_winch is not None:
                with contextlib.suppress(ValueError, TypeError):
                    signal.signal(signal.SIGWINCH, self._old_winch)  # type: ignore[arg-type]
            fds = [*self._child, *self._outputs, self._to_child]
            if self.pty and self._master >= 0:
                fds.append(self._master)
            for fd in set(fds):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._outputs = {}
            self._child = []
            self.open = 0

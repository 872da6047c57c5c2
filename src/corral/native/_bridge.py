"""In-sandbox relay: ``python3 -I -S _bridge.py PORT UNIX_SOCKET [-s FD] -- COMMAND...``.

The Python form of ``relay.c`` (:mod:`corral.native.relaybin`), used where that cannot be
built; the two behave alike.

Runs *inside* a sandbox that has no network interface but loopback (gVisor, or bubblewrap
without root): listens on ``127.0.0.1:PORT``, starts ``COMMAND`` as its child and relays
every connection to ``UNIX_SOCKET`` (the host's egress proxy, bind-mounted in). Exits
with the command's status, written first as a line on ``FD`` with ``-s FD`` (not passed
on to the command: a relay killed before its command writes nothing). Standard library
only, no site packages: it must run with whatever ``python3`` the sandbox has. The relay
decides nothing: the proxy does.

Relaying never blocks: each direction of each connection has a bounded buffer, and a side
is only read while the other side's buffer has room, so one slow reader stalls its own
connection only (never the others, nor noticing that the command ended).
"""

import contextlib
import errno
import os
import selectors
import signal
import socket
import sys

BUF_MAX = 256 * 1024


class _Pipe:
    """One direction of a relayed connection: bytes read from ``src`` waiting for ``dst``."""

    __slots__ = ("buf", "dst", "eof", "src")

    def __init__(self, src, dst):
        self.src, self.dst, self.buf, self.eof = src, dst, bytearray(), False


def _child_status(pid):
    """The command's exit status once it ended (``None`` while it runs); every other child
    that ended is reaped too (orphans: the relay is the sandbox's init on gVisor)."""
    while True:
        try:
            wpid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if wpid == 0:
            return None
        if wpid != pid:
            continue
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        return os.WEXITSTATUS(status)


def main(argv):
    port, path = int(argv[1]), argv[2]
    cmd = argv[3:]
    status_fd = None
    if cmd[:1] == ["-s"] and len(cmd) > 1:
        status_fd = int(cmd[1])
        os.set_inheritable(status_fd, False)
        cmd = cmd[2:]
    if cmd[:1] == ["--"]:
        cmd = cmd[1:]
    status = _relay(port, path, cmd)
    if status_fd is not None:
        with contextlib.suppress(OSError):
            os.write(status_fd, b"%d\n" % status)
    return status


def _relay(port, path, cmd):
    # signals wait until their handlers are in place (a SIGTERM once the listener is up is
    # handed on to the command, never the relay's own death)
    forwarded = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, (*forwarded, signal.SIGCHLD))
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(128)
    _spare.append(os.open(os.devnull, os.O_RDONLY))
    # the command's end wakes the loop at once
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda s, f: _poke(wake_w))
    pid = os.fork()
    if pid == 0:
        # the command gets default dispositions (Python ignores SIGPIPE: `yes | head`
        # would say "Broken pipe")
        for sig in (signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        lsock.close()
        os.close(wake_r)
        os.close(wake_w)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            sys.stderr.write(f"corral bridge: cannot run {cmd[0]}: {e}\n")
            os._exit(127)
    for sig in forwarded:
        signal.signal(sig, lambda s, f, pid=pid: os.kill(pid, s))
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    pipes = []  # every _Pipe; a connection is two
    while True:
        status = _child_status(pid)
        if status is not None:
            return status
        _update(sel, lsock, wake_r, pipes)
        try:
            ready = sel.select(1.0)
        except InterruptedError:
            continue
        for key, mask in ready:
            if key.fileobj is lsock:
                _accept(lsock, path, pipes)
            elif key.fileobj is wake_r:
                with contextlib.suppress(OSError):
                    os.read(wake_r, 4096)
            else:
                for p in pipes:
                    if mask & selectors.EVENT_READ and p.src is key.fileobj:
                        _fill(p)
                    if mask & selectors.EVENT_WRITE and p.dst is key.fileobj:
                        _drain(p)
        pipes = _reap(sel, pipes)


def _poke(fd):
    with contextlib.suppress(OSError):
        os.write(fd, b"x")


#: a descriptor held back: when accept() fails for want of descriptors it is given up to
#: take the waiting connection and close it (else the listener stays ready: a busy loop)
_spare = []


def _accept(lsock, path, pipes):
    try:
        c, _ = lsock.accept()
    except OSError as e:
        if e.errno in (errno.EMFILE, errno.ENFILE) and _spare:
            os.close(_spare.pop())
            with contextlib.suppress(OSError):
                lsock.accept()[0].close()
            with contextlib.suppress(OSError):
                _spare.append(os.open(os.devnull, os.O_RDONLY))
        return
    try:
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        c.close()
        return
    try:
        u.connect(path)
    except OSError:
        c.close()
        u.close()
        return
    c.setblocking(False)
    u.setblocking(False)
    pipes.append(_Pipe(c, u))
    pipes.append(_Pipe(u, c))


def _fill(p):
    try:
        data = p.src.recv(65536)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data = b""
    if data:
        p.buf += data
        _drain(p)
    else:
        p.eof = True
        if not p.buf:
            with contextlib.suppress(OSError):
                p.dst.shutdown(socket.SHUT_WR)


def _drain(p):
    while p.buf:
        try:
            n = p.dst.send(p.buf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return
            p.buf.clear()
            p.eof = True
            return
        del p.buf[:n]
    if p.eof:
        with contextlib.suppress(OSError):
            p.dst.shutdown(socket.SHUT_WR)


def _reap(sel, pipes):
    """Drop the connections whose both directions are done."""
    done = {id(p.src) for p in pipes if p.eof and not p.buf}
    keep, gone = [], set()
    for p in pipes:
        if id(p.src) in done and id(p.dst) in done:
            gone.add(p.src)
        else:
            keep.append(p)
    for s in gone:
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(s)
        with contextlib.suppress(OSError):
            s.close()
    return keep


def _update(sel, lsock, wake_r, pipes):
    """Watch each socket for what it can do now: read while its peer's buffer has room,
    write while it has bytes waiting."""
    want = {}
    for p in pipes:
        if not p.eof and len(p.buf) < BUF_MAX:
            want[p.src] = want.get(p.src, 0) | selectors.EVENT_READ
        if p.buf:
            want[p.dst] = want.get(p.dst, 0) | selectors.EVENT_WRITE
    for key in list(sel.get_map().values()):
        s = key.fileobj
        if s is lsock or s is wake_r:
            continue
        if s not in want:
            sel.unregister(s)
        elif key.events != want[s]:
            sel.modify(s, want.pop(s))
        else:
            want.pop(s)
    for s, events in want.items():
        sel.register(s, events)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

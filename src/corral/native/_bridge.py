"""In-sandbox relay: ``python3 -I -S _bridge.py PORT UNIX_SOCKET -- COMMAND...``.

Runs *inside* a sandbox that has no network interface but loopback (gVisor, or bubblewrap
without root): listens on ``127.0.0.1:PORT``, starts ``COMMAND`` as its child and relays
every connection to ``UNIX_SOCKET`` (the host's egress proxy, bind-mounted in). Exits
with the command's status. Standard library only, no site packages: it must run with
whatever ``python3`` the sandbox has. The relay decides nothing: the proxy does.
"""

import contextlib
import os
import select
import signal
import socket
import sys


def main(argv):
    port, path = int(argv[1]), argv[2]
    cmd = argv[4:] if len(argv) > 4 and argv[3] == "--" else argv[3:]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(128)
    pid = os.fork()
    if pid == 0:
        lsock.close()
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            sys.stderr.write(f"corral bridge: cannot run {cmd[0]}: {e}\n")
            os._exit(127)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f, pid=pid: os.kill(pid, s))
    peers = {}
    while True:
        try:
            wpid, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            wpid, status = pid, 0
        if wpid == pid:
            break
        # reap any orphan re-parented to us
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        socks = [lsock, *peers]
        try:
            ready, _, _ = select.select(socks, [], [], 0.1)
        except InterruptedError:
            continue
        for s in ready:
            if s is lsock:
                try:
                    c, _ = lsock.accept()
                    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    u.connect(path)
                except OSError:
                    with contextlib.suppress(Exception):
                        c.close()
                    continue
                peers[c] = u
                peers[u] = c
                continue
            other = peers.get(s)
            if other is None:
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                try:
                    other.sendall(data)
                    continue
                except OSError:
                    pass
            for x in (s, other):
                peers.pop(x, None)
                with contextlib.suppress(OSError):
                    x.close()
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

/* corral's in-sandbox network relay: relay PORT UNIX_SOCKET [-s FD] -- COMMAND...
 *
 * Runs *inside* a sandbox whose only network interface is loopback (gVisor, or bubblewrap
 * without root): listens on 127.0.0.1:PORT, starts COMMAND as its child and relays every
 * connection to UNIX_SOCKET (the host's egress proxy, bind-mounted in). Exits with the
 * command's status (128 + the signal when a signal ended it), written first as a line on
 * FD when -s FD is given (so the host can tell a shell that ended from a relay that was
 * killed: then nothing is written; FD is not passed on to the command). Built static by corral
 * (native/relaybin.py) so it runs in any image; corral.native._bridge is the same relay in
 * Python, used where no C compiler is available.
 *
 * The relay decides nothing: the proxy on the host does. A guest can kill or trace it (its
 * file is read-only); then the sandbox ends (it is the sandbox's first process) and the
 * host, finding nothing on FD, says so.
 *
 * Relaying never blocks: every socket is non-blocking, each direction of each connection
 * has a bounded buffer, and a side is only read while the other side's buffer has room, so
 * a slow reader stalls its own connection only (never the others, nor noticing that the
 * command ended). Connections are capped by the relay's open-file limit (past it new ones
 * wait in the listen backlog); a connection the proxy does not accept within CONNECT_S is
 * closed. As the sandbox's init (gVisor) it reaps every orphan, not only its child.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX (64 * 1024) /* per direction of a connection */
#define MAX_CONNS 4096
#define CONNECT_S 10 /* a proxy that does not accept (backlog full) for this long */

struct dir { /* one direction: bytes read from src waiting for dst */
    int src, dst;
    char *buf;
    size_t off, len;
    int eof;
};

struct conn {
    int cfd, ufd; /* the guest's connection, the proxy's */
    int connecting; /* the Unix connect is not done yet */
    time_t since;
    struct dir d[2]; /* [0] guest -> proxy, [1] proxy -> guest */
};

static int wake_w = -1;
static pid_t child;

static void on_chld(int sig) {
    int e = errno;
    (void)sig;
    if (write(wake_w, "x", 1) < 0) { /* full: the loop is awake anyway */ }
    errno = e;
}

static void on_fwd(int sig) {
    int e = errno;
    if (child > 0) kill(child, sig);
    errno = e;
}

static void say(const char *what, const char *arg) {
    char msg[600];
    int n = snprintf(msg, sizeof msg, "corral relay: %s%s: %s\n", what, arg, strerror(errno));
    if (n > 0 && write(2, msg, (size_t)n) < 0) { /* nowhere to say it */ }
}

static time_t now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int status_of(int st) {
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

/* Reap every ended child (orphans too, as init); the command's status once it ended. */
static int reap(int *status) {
    int st;
    pid_t w;
    int done = 0;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == child) {
            *status = status_of(st);
            done = 1;
        }
    }
    if (w < 0 && errno == ECHILD && !done) { /* (the command is gone without a status) */
        *status = 0;
        done = 1;
    }
    return done;
}

static void close_conn(struct conn *c) {
    if (c->cfd >= 0) close(c->cfd);
    if (c->ufd >= 0) close(c->ufd);
    free(c->d[0].buf);
    free(c->d[1].buf);
    memset(c, 0, sizeof *c);
    c->cfd = c->ufd = -1;
}

static void drain(struct dir *p) {
    while (p->len) {
        ssize_t n = send(p->dst, p->buf + p->off, p->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            p->len = p->off = 0; /* the peer is gone: drop what waits, read no more */
            p->eof = 1;
            return;
        }
        p->off += (size_t)n;
        p->len -= (size_t)n;
    }
    p->off = 0;
    if (p->eof) shutdown(p->dst, SHUT_WR);
}

static void fill(struct dir *p) {
    if (!p->buf && !(p->buf = malloc(BUF_MAX))) { /* no memory: this direction ends */
        p->eof = 1;
        shutdown(p->dst, SHUT_WR);
        return;
    }
    if (p->off && p->off + p->len == BUF_MAX) {
        memmove(p->buf, p->buf + p->off, p->len);
        p->off = 0;
    }
    size_t room = BUF_MAX - p->off - p->len;
    if (!room) return;
    ssize_t n = recv(p->src, p->buf + p->off + p->len, room, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n > 0) {
        p->len += (size_t)n;
        drain(p);
        return;
    }
    p->eof = 1; /* end of stream, or an error: as the end */
    if (!p->len) shutdown(p->dst, SHUT_WR);
}

/* Start the Unix connection of c: 1 connected, 0 waiting (retry), -1 failed. */
static int connect_up(struct conn *c, const struct sockaddr_un *ua, socklen_t ulen) {
    if (c->ufd < 0) {
        c->ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->ufd < 0) return -1;
    }
    if (connect(c->ufd, (const struct sockaddr *)ua, ulen) == 0) return 1;
    if (errno == EISCONN) return 1;
    if (errno == EINPROGRESS || errno == EALREADY) return 0;
    if (errno == EAGAIN) { /* the proxy's backlog is full: a new socket next time */
        close(c->ufd);
        c->ufd = -1;
        return 0;
    }
    return -1;
}

static void connected(struct conn *c) {
    c->connecting = 0;
    c->d[0] = (struct dir){.src = c->cfd, .dst = c->ufd};
    c->d[1] = (struct dir){.src = c->ufd, .dst = c->cfd};
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PORT UNIX_SOCKET [-s FD] -- COMMAND...\n", argv[0]);
        return 2;
    }
    char *end;
    errno = 0;
    long port = strtol(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || port < 1 || port > 65535) {
        fprintf(stderr, "corral relay: bad port %.40s\n", argv[1]);
        return 2;
    }
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    size_t plen = strlen(argv[2]);
    if (plen == 0 || plen >= sizeof ua.sun_path) {
        fprintf(stderr, "corral relay: bad socket path (%zu bytes)\n", plen);
        return 2;
    }
    memcpy(ua.sun_path, argv[2], plen);
    socklen_t ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    char **cmd = argv + 3;
    int status_fd = -1;
    if (strcmp(cmd[0], "-s") == 0) {
        errno = 0;
        long fd = cmd[1] ? strtol(cmd[1], &end, 10) : -1;
        if (!cmd[1] || errno || *end || end == cmd[1] || fd < 3 || fd > 1 << 20 ||
            fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
            fprintf(stderr, "corral relay: bad status descriptor %.40s\n", cmd[1] ? cmd[1] : "");
            return 2;
        }
        status_fd = (int)fd;
        cmd += 2;
    }
    if (cmd[0] && strcmp(cmd[0], "--") == 0) cmd++;
    if (!cmd[0]) {
        fprintf(stderr, "corral relay: no command\n");
        return 2;
    }

    /* signals wait until their handlers are in place (a SIGTERM once the listener is up
       is handed on to the command, never the relay's own death) */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(ls, (struct sockaddr *)&la, sizeof la) < 0 || listen(ls, 128) < 0) {
        say("cannot listen on 127.0.0.1:", argv[1]);
        return 1;
    }
    int wake[2];
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        say("cannot make a pipe", "");
        return 1;
    }
    wake_w = wake[1];
    /* one descriptor held back: when accept() fails for want of descriptors, it is given up
       to take the waiting connection and close it (else the listener stays readable and
       the loop spins) */
    int spare = open("/dev/null", O_RDONLY | O_CLOEXEC);

    struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    child = fork();
    if (child < 0) {
        say("cannot fork", "");
        return 1;
    }
    if (child == 0) { /* the command: default dispositions, the mask it had */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGCHLD, &dfl, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(cmd[0], cmd);
        say("cannot run ", cmd[0]);
        _exit(127);
    }
    struct sigaction fw = {.sa_handler = on_fwd, .sa_flags = SA_RESTART};
    sigemptyset(&fw.sa_mask);
    sigaction(SIGTERM, &fw, NULL);
    sigaction(SIGINT, &fw, NULL);
    sigaction(SIGHUP, &fw, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);

    struct rlimit rl;
    long cap = MAX_CONNS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long fit = ((long)rl.rlim_cur - 8) / 2;
        if (fit < cap) cap = fit < 1 ? 1 : fit;
    }
    struct conn *conns = calloc((size_t)cap, sizeof *conns);
    struct pollfd *pf = calloc(2 + 2 * (size_t)cap, sizeof *pf);
    if (!conns || !pf) {
        say("out of memory", "");
        kill(child, SIGKILL);
        return 1;
    }
    for (long i = 0; i < cap; i++) conns[i].cfd = conns[i].ufd = -1;
    long n = 0; /* connections in use: conns[0..n) */
    int status;
    for (;;) {
        if (reap(&status)) {
            if (status_fd >= 0) {
                char line[16];
                int len = snprintf(line, sizeof line, "%d\n", status);
                if (write(status_fd, line, (size_t)len) < 0) { /* the host is gone */ }
            }
            return status;
        }
        int waiting = 0;
        pf[0] = (struct pollfd){.fd = n < cap ? ls : -1, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = wake[0], .events = POLLIN};
        for (long i = 0; i < n; i++) {
            struct conn *c = &conns[i];
            struct pollfd *a = &pf[2 + 2 * i], *b = a + 1;
            *a = (struct pollfd){.fd = -1};
            *b = (struct pollfd){.fd = -1};
            if (c->connecting) {
                if (c->ufd >= 0) *b = (struct pollfd){.fd = c->ufd, .events = POLLOUT};
                else waiting = 1;
                continue;
            }
            short ev[2] = {0, 0}; /* [0] the guest's socket, [1] the proxy's */
            if (!c->d[0].eof && c->d[0].off + c->d[0].len < BUF_MAX) ev[0] |= POLLIN;
            if (!c->d[1].eof && c->d[1].off + c->d[1].len < BUF_MAX) ev[1] |= POLLIN;
            if (c->d[0].len) ev[1] |= POLLOUT;
            if (c->d[1].len) ev[0] |= POLLOUT;
            /* a socket with nothing wanted is left out (its hang-up would wake poll) */
            if (ev[0]) *a = (struct pollfd){.fd = c->cfd, .events = ev[0]};
            if (ev[1]) *b = (struct pollfd){.fd = c->ufd, .events = ev[1]};
        }
        int r = poll(pf, 2 + 2 * (nfds_t)n, waiting ? 20 : 1000);
        if (r < 0) {
            if (errno == EINTR) continue;
            say("poll failed", "");
            kill(child, SIGKILL);
            return 1;
        }
        if (pf[1].revents) {
            char junk[64];
            while (read(wake[0], junk, sizeof junk) > 0) {}
        }
        time_t t = now_s();
        for (long i = 0; i < n; i++) {
            struct conn *c = &conns[i];
            short ra = pf[2 + 2 * i].revents, rb = pf[3 + 2 * i].revents;
            if (c->connecting) {
                int done = 0;
                if (c->ufd >= 0 && rb) {
                    int err = 0;
                    socklen_t el = sizeof err;
                    getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el);
                    done = err ? -1 : 1;
                } else if (c->ufd < 0) {
                    done = connect_up(c, &ua, ulen);
                }
                if (done == 0 && t - c->since > CONNECT_S) done = -1;
                if (done < 0) close_conn(c);
                else if (done > 0) connected(c);
                continue;
            }
            if (ra & (POLLIN | POLLHUP | POLLERR) && !c->d[0].eof) fill(&c->d[0]);
            if (rb & (POLLIN | POLLHUP | POLLERR) && !c->d[1].eof) fill(&c->d[1]);
            if (rb & (POLLOUT | POLLERR | POLLHUP)) drain(&c->d[0]);
            if (ra & (POLLOUT | POLLERR | POLLHUP)) drain(&c->d[1]);
            if (c->d[0].eof && !c->d[0].len && c->d[1].eof && !c->d[1].len) close_conn(c);
        }
        long k = 0; /* compact: the live connections first */
        for (long i = 0; i < n; i++) {
            if (conns[i].cfd >= 0) {
                if (k != i) {
                    conns[k] = conns[i];
                    conns[i].cfd = conns[i].ufd = -1;
                    conns[i].d[0].buf = conns[i].d[1].buf = NULL;
                }
                k++;
            }
        }
        n = k;
        if (pf[0].revents & POLLIN) {
            while (n < cap) {
                int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                    if ((errno == EMFILE || errno == ENFILE) && spare >= 0) {
                        close(spare);
                        cfd = accept(ls, NULL, NULL);
                        if (cfd >= 0) close(cfd);
                        spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
                    }
                    break;
                }
                struct conn *c = &conns[n];
                *c = (struct conn){.cfd = cfd, .ufd = -1, .connecting = 1, .since = t};
                int up = connect_up(c, &ua, ulen);
                if (up < 0) {
                    close_conn(c);
                    continue;
                }
                if (up > 0) connected(c);
                n++;
            }
        }
    }
}

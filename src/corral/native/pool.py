"""A warm pool of pre-started bwrap sessions shared by sandboxes of one configuration
(``backend_options={"pool": N}``, bwrap as root).

RL training starts thousands of short episodes, each a new sandbox with a fresh workspace
and the same policy; a new session costs a fork of the Python process, bwrap's start and
bash's boot under the monitor (~25 ms). With a pool, ``N`` sessions per configuration are
started ahead, on one thread per configuration, and each new sandbox takes one.

The key: everything that shapes a session except the workspace (:func:`pool_key`): the
policy (a sha256 of its model), whether there is a gate, budgets and limits, the uid the
sandbox runs as when it is fixed (``host_uid``, a user's workspace), env, template, the
monitor's settings, devices, read-only binds, the egress proxy, cgroups. If any differs,
no sharing. A workspace owned by root gets a uid of its own per sandbox as without a
pool: each pooled session picks its own, the taker's workspace is lent to that one.

The walls (``native/pool_handover.py`` does the taking):

* a pooled session has run nothing but corral's own boot: its gate denies every program
  start (only the expected launch of bash passes), its events go nowhere, its samples
  have not started, its workspace is an empty directory owned by root (``0755``);
* its ``/workspace`` is bound from ``STAGE/ws``, made a *shared* mount in the launcher's
  own mount namespace; bwrap makes the sandbox's mounts slaves of it, so the taker's
  workspace, cloned in the host's namespace (``open_tree``, ``nosuid,nodev``) and moved
  onto ``STAGE/ws`` from a thread that entered the launcher's namespace, appears over
  ``/workspace`` in the sandbox (locked there: the sandbox has no capability to
  unmount it, and under it is the empty slot);
* before the first call the shell ``cd``s into it and the kernel must show the taker's
  workspace (device and inode) both at the sandbox's ``/workspace`` and as the shell's
  cwd; anything else ends that session and the sandbox starts one the normal way;
* the policy's file walls for the taker's workspace (:mod:`corral.filewalls`) are mounted in
  the sandbox's own mount namespace, as bwrap mounts them at a normal start;
* then everything per sandbox becomes the taker's: the supervisor's gate, emitter and
  session id (exec events), the exec watch's marks (the new mount marked before any call),
  the file watch (the taker's fanotify group on the new mount), the proxy port (served by
  the taker's egress proxy), the sampler's emitter, the backend's kill;
* a session is used by exactly one sandbox and never returned; one that died while it
  waited is discarded.

bwrap's ``--die-with-parent`` follows the *thread* that started it: the pool's thread
lives until its last session ended. It ends :data:`LINGER_S` seconds after the last
sandbox of its key closed (sandboxes made one after another keep it), and at interpreter
exit (:func:`shutdown`); nothing is left: processes, mounts (in the sessions' own
namespaces), cgroups, stage and slot directories.

Not as root: bwrap is unprivileged, corral cannot mount in its namespace; the option is
ignored with a log line (sessions start the normal way). gVisor: its gofer holds the
workspace directory open from the start, so a mount made later is not seen there; its
pool (:mod:`corral.native.gvisor_pool`) starts sandboxes ahead instead and makes each
session a container of its own in one, with this machinery (:class:`SessionPool`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections import deque
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..deeptree import remove_tree
from ..events import Decision
from . import leftovers
from .execid import policy_of

if TYPE_CHECKING:
    from .bwrap import BwrapBackend
    from .bwrap_session import BwrapSession

log = logging.getLogger("corral.native.pool")

__all__ = ["LINGER_S", "MAX_POOL", "SessionPool", "check_size", "join", "pool_key", "shutdown"]

#: how long a pool outlives the last sandbox of its key (sandboxes made one after another)
LINGER_S = 5.0
#: a replacement starts this long after the last take (a session's start forks this
#: process and holds the GIL for ms: not while the taker makes its first call)
REFILL_DELAY_S = 0.05
#: the largest pool (each waiting session holds a fanotify group: 128 per user by default)
MAX_POOL = 32
_COND = threading.Condition()
_POOLS: dict[str, SessionPool] = {}
_FINGERPRINTS: dict[int, tuple[Any, str]] = {}
_OWNER = os.getpid()


def check_size(value: Any) -> int:
    """The ``pool`` option as a size, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"backend_options pool must be a whole number of sessions, not {value!r}")
    if not 0 <= value <= MAX_POOL:
        raise ValueError(f"backend_options pool must be between 0 and {MAX_POOL}, not {value}")
    return value


def _policy_fingerprint(gate: Any) -> str | None:
    policy = policy_of(gate)
    if policy is None:
        return None
    hit = _FINGERPRINTS.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    model = getattr(policy, "model", None)
    data = model.model_dump(mode="json") if model is not None else repr(policy)
    fp = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    if len(_FINGERPRINTS) > 256:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[id(policy)] = (policy, fp)
    return fp


def pool_key(b: BwrapBackend) -> str:
    """What shapes ``b``'s sessions except its workspace, as a digest."""
    template = b.template
    spec = {
        "tier": b.name,
        "policy": _policy_fingerprint(b.gate),
        "gated": b.gate is not None,
        "budget": b.budget.to_dict(),
        "limits": asdict(b.limits),
        "uid": [b.host_uid, b.host_gid] if b._uid_fixed else None,
        "env": sorted(b.env.items()),
        "template": None if template is None else [str(template),
                                                    str(getattr(template, "path", ""))],
        "monitor": [b.monitor, b.monitor_connect],
        "ro_binds": list(b.ro_binds),
        "gpu": b.gpu,
        "proxy": b.proxy is not None or b.net_decide is not None,
        "cgroups": b.use_cgroups,
        "sample_interval": b.sample_interval,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


class _BootGate:
    """A waiting session's gate: nothing runs in it but corral's own launch of bash
    (which the supervisor lets through unasked); the policy is there for the program
    table (``execid.policy_of``)."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def decide(self, action: Any, session: str | None = None) -> Decision:
        return Decision(verdict="deny", reason="a pooled session runs nothing before it is taken")


class _HeldProxy:
    """A waiting session's proxy: its listening socket in the sandbox's network namespace
    is held, not served (the taker's egress proxy serves it)."""

    def start(self) -> None:
        return None

    def serve(self, listener: Any, label: str = "") -> None:
        return None

    def unserve(self, listener: Any) -> None:
        with contextlib.suppress(OSError):
            listener.close()

    def close(self) -> None:
        return None


class SessionPool:
    """The pooled sessions of one key and the thread that starts them."""

    #: a replacement starts this long after a take (while others are ready)
    refill_delay = REFILL_DELAY_S

    def __init__(self, key: str, size: int, spec: dict[str, Any]) -> None:
        self.key = key
        self.size = size
        self.spec = spec
        self.ready: deque[BwrapSession] = deque()
        self.users = 0
        #: sessions handed to sandboxes and not ended yet (the thread outlives them)
        self.taken = 0
        self.starting = False
        self.closed = False
        self.started = 0
        self.failures = 0
        self.last_take = self.last_failure = 0.0
        self._idle_since: float | None = None
        self.thread = threading.Thread(target=self._serve, name="corral-pool", daemon=True)

    # ---- the thread (with _COND held unless said otherwise)

    def _serve(self) -> None:
        while True:
            with _COND:
                while True:
                    if self._should_close():
                        self.closed = True
                        if _POOLS.get(self.key) is self:
                            del _POOLS[self.key]
                        break
                    if len(self.ready) < self.size:  # (while it lingers too)
                        now = time.monotonic()
                        backoff = min(30.0, 0.25 * 2**self.failures) if self.failures else 0
                        # (an empty pool refills at once: a burst of takes must not starve it)
                        delay = self.last_take + self.refill_delay - now if self.ready else 0.0
                        wait = max(self.last_failure + backoff - now, delay)
                        if wait > 0:
                            _COND.wait(wait)
                            continue
                        self.starting = True
                        break
                    _COND.wait(LINGER_S / 4 if self.users == 0 and not self.taken else None)
            if self.closed:
                break
            sess = self._start_one()
            with _COND:
                self.starting = False
                if sess is not None:
                    self.ready.append(sess)
                    self.failures = 0
                _COND.notify_all()
        self._end_ready()
        # (taken sessions die with this thread: it ends only once none is left)

    def _should_close(self) -> bool:
        if self.closed:
            return True
        if self.users > 0 or self.taken > 0:
            self._idle_since = None
            return False
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        return now - self._idle_since >= LINGER_S

    def _start_one(self) -> BwrapSession | None:
        from .bwrap import BwrapBackend
        from .bwrap_session import BwrapSession

        slot_dir = leftovers.temp_dir("pool")
        os.chmod(slot_dir, 0o755)  # empty, root's: nothing to see or write under a workspace
        slot: BwrapBackend | None = None
        try:
            slot = BwrapBackend(slot_dir, **self.spec)
            slot._pool_slot = True
            slot.start()
            sess = BwrapSession(slot)
            sess.spare = True  # (its samples start when it is taken)
            sess.on_end = functools.partial(_retire, self, slot)
            sess.pool_slot = slot
            sess.start()
            self.started += 1
            return sess
        except Exception as e:
            with _COND:
                self.failures += 1
                self.last_failure = time.monotonic()
            log.warning("a pooled bwrap session did not start: %s", e)
            if slot is not None:
                with contextlib.suppress(Exception):
                    slot.close()
            with contextlib.suppress(OSError):
                slot_dir.rmdir()
            return None

    def _end_ready(self) -> None:
        with _COND:
            left = list(self.ready)
            self.ready.clear()
        for sess in left:
            sess.taken = False
            with contextlib.suppress(Exception):
                sess.end()

    # ---- callers' side

    def take(self) -> BwrapSession | None:
        """A ready, live session (the caller's now), or ``None``."""
        while True:
            with _COND:
                if not self.ready:
                    return None
                sess = self.ready.popleft()
                self.taken += 1
                self.last_take = time.monotonic()
                sess.taken = True
                _COND.notify_all()  # (a replacement is started)
            if not sess.killed and sess.alive():
                return sess
            sess.end()  # died while it waited: discarded


def _retire(pool: SessionPool, slot: Any, sess: BwrapSession) -> None:
    """A pooled session ended (whoever ended it): its slot's leftovers go, and the pool's
    thread may end once no session it started is left."""
    with contextlib.suppress(Exception):
        slot.close()
    remove_tree(slot.workspace, ignore_errors=True)  # (empty: the slot directory)
    with _COND:
        if sess.taken:
            sess.taken = False
            pool.taken -= 1
            pool._idle_since = None
        _COND.notify_all()


def join(b: BwrapBackend) -> SessionPool:
    """``b`` uses the pool of its key (made, and its thread started, for the first)."""
    key = pool_key(b)
    _forked()
    with _COND:
        pool = _POOLS.get(key)
        if pool is None or pool.closed:
            pool = SessionPool(key, b.pool, slot_spec(b))
            _POOLS[key] = pool
            pool.thread.start()
        pool.size = max(pool.size, b.pool)
        pool.users += 1
        pool._idle_since = None
        _COND.notify_all()
    return pool


def leave(pool: SessionPool) -> None:
    """A sandbox of the pool closed (its session ended first)."""
    with _COND:
        pool.users -= 1
        pool._idle_since = None  # (the linger counts from now)
        _COND.notify_all()


def slot_spec(b: BwrapBackend) -> dict[str, Any]:
    """The settings of ``b``'s pooled sessions' own backends (``b``'s but the workspace,
    the gate, the events and the proxy)."""
    return {
        "budget": b.budget,
        "gate": _BootGate(policy_of(b.gate)) if b.gate is not None else None,
        "events": None,
        "session": f"pool-{pool_key(b)[:12]}",
        "env": dict(b.env),
        "limits": b.limits,
        "proxy": _HeldProxy() if (b.proxy is not None or b.net_decide is not None) else None,
        "monitor": b.monitor,
        "monitor_connect": b.monitor_connect,
        "sample_interval": b.sample_interval,
        "ro_binds": list(b.ro_binds),
        "host_uid": b.host_uid if b._uid_fixed else None,
        "cgroups": b.use_cgroups,
        "template": b.template,
        "gpu": b.gpu,
    }


def stats() -> list[dict[str, Any]]:
    """The pools of this process (for tests, benchmarks and the doctor)."""
    _forked()
    with _COND:
        return [
            {"key": p.key[:12], "size": p.size, "ready": len(p.ready), "users": p.users,
             "taken": p.taken, "started": p.started, "failures": p.failures}
            for p in _POOLS.values()
        ]  # fmt: skip


def shutdown(timeout: float = 10.0) -> None:
    """End every pool now: its waiting sessions, and its thread (interpreter exit does
    this). Sessions already taken die with their pool's thread (bwrap's parent-death
    signal): their sandboxes' next calls start fresh ones (``restarted``)."""
    _forked()
    with _COND:
        pools = list(_POOLS.values())
        for p in pools:
            p.closed = True
        _POOLS.clear()
        _COND.notify_all()
    for p in pools:
        if p.thread.is_alive() and p.thread is not threading.current_thread():
            p.thread.join(timeout)
        p._end_ready()


def _forked() -> None:
    """In a forked child (none of the pools' threads; it must not drive its parent's
    sessions): forget the parent's pools, start its own. Checked on use, not by an
    at-fork hook (that would run Python in every sandbox launcher between fork and
    exec)."""
    global _COND, _OWNER
    if os.getpid() != _OWNER:
        _COND, _OWNER = threading.Condition(), os.getpid()
        _POOLS.clear()


atexit.register(shutdown)

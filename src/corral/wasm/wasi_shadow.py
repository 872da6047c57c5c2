"""Host versions of the WASI calls in which a guest could sleep past its budget.

Epoch interruption stops a guest only while it runs WebAssembly; a guest
inside a WASI call (``time.sleep``, ``select.select``, QuickJS ``os.sleep``,
timers) is in host code and would outlive its wall-time kill. ``poll_oneoff``
is the one WASI call that waits on time, so corral shadows wasmtime's with
:class:`PollOneoff`: it waits on a :class:`threading.Event` that the host sets
when it stops the guest, and then traps the guest at once.

Clock subscriptions wait until their deadline; fd subscriptions are reported
ready at once (as wasmtime does for files: a guest has no sockets).

**The gate** (``gated=True``, the Python guest): a poll for reading fd 0 alone is how
the driver waits for the host's next line, and it waits here until the host has sent
one (:meth:`PollOneoff.open_gate`). The host ends a call only once the guest waits at
the closed gate (:meth:`PollOneoff.wait_parked`): code that took the driver's id from
its closure and wrote the call's ``done`` itself then kept running after the call had
returned (outside its wall, writing files while the caller graded them) and read the
next call's request.
"""

from __future__ import annotations

import struct
import threading
import time
from typing import Any

import wasmtime

_SUB = struct.Struct("<QB7xI4xQQH6x")  # subscription_t: 48 bytes
_EVENT = struct.Struct("<QHB5xQH6x")  # event_t: 32 bytes
_NEVENTS = struct.Struct("<I")
_CLOCK, _FD_READ, _FD_WRITE = 0, 1, 2
_REALTIME = 0
_ABSTIME = 1
_EINVAL, _EFAULT = 28, 21
_MAX_SUBS = 4096
_SLICE_S = 3600.0  # Event.wait cannot take an arbitrary large timeout


class GuestStopped(Exception):
    """Raised inside a host call to trap a guest that the host is stopping."""


class PollOneoff:
    """``wasi_snapshot_preview1.poll_oneoff`` that a host's stop event interrupts."""

    def __init__(self, stop: threading.Event, *, gated: bool = False) -> None:
        self.stop = stop
        self.gated = gated
        self.origin_ns = time.monotonic_ns()  # refined by calibrate()
        self._cond = threading.Condition()
        self._open = False  # the host sent a line the guest has not waited for yet
        self._parked = False  # the guest waits at the closed gate

    def open_gate(self) -> None:
        """The host sent a line (or is stopping the guest): let the guest read."""
        with self._cond:
            self._open = True
            self._cond.notify_all()

    def wait_parked(self, timeout: float) -> bool:
        """Whether the guest waits at the closed gate (for the host's next line)
        within ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: self._parked, max(timeout, 0.0))

    def _park(self) -> None:
        with self._cond:
            if not self._open:
                self._parked = True
                self._cond.notify_all()
                try:
                    self._cond.wait_for(lambda: self._open or self.stop.is_set())
                finally:
                    self._parked = False
            self._open = False
        if self.stop.is_set():
            raise GuestStopped("the guest is being stopped")

    def calibrate(self, guest_monotonic_ns: int) -> None:
        """Map the guest's monotonic clock to the host's (a bound that is never
        early: the guest read its clock before the host got its answer)."""
        self.origin_ns = time.monotonic_ns() - guest_monotonic_ns

    def define(self, linker: wasmtime.Linker) -> None:
        i32 = wasmtime.ValType.i32()
        ty = wasmtime.FuncType([i32, i32, i32, i32], [i32])
        linker.allow_shadowing = True
        linker.define_func("wasi_snapshot_preview1", "poll_oneoff", ty, self, access_caller=True)

    def __call__(self, caller: Any, in_ptr: int, out_ptr: int, nsubs: int, nev_ptr: int) -> int:
        if self.stop.is_set():
            raise GuestStopped("the guest is being stopped")
        mem = caller.get("memory")
        if not isinstance(mem, wasmtime.Memory):
            return _EFAULT
        if nsubs <= 0 or nsubs > _MAX_SUBS:
            return _EINVAL
        size = mem.data_len(caller)
        u32 = 0xFFFFFFFF
        in_ptr, out_ptr, nev_ptr = in_ptr & u32, out_ptr & u32, nev_ptr & u32
        if in_ptr + nsubs * _SUB.size > size or out_ptr + nsubs * _EVENT.size > size:
            return _EFAULT
        if nev_ptr + 4 > size:
            return _EFAULT
        raw = bytes(mem.read(caller, in_ptr, in_ptr + nsubs * _SUB.size))
        if self.gated and nsubs == 1:
            userdata, tag, fd, _, _, _ = _SUB.unpack_from(raw, 0)
            if tag == _FD_READ and fd == 0:
                self._park()
                mem.write(caller, _EVENT.pack(userdata, 0, tag, 0, 0), out_ptr)
                mem.write(caller, _NEVENTS.pack(1), nev_ptr)
                return 0
        now = time.monotonic_ns()
        events: list[bytes] = []
        clocks: list[tuple[int, int]] = []
        for k in range(nsubs):
            userdata, tag, clock_id, timeout, _, flags = _SUB.unpack_from(raw, k * _SUB.size)
            if tag == _CLOCK:
                if flags & _ABSTIME:
                    if clock_id == _REALTIME:
                        rel = timeout - time.time_ns()
                    else:
                        rel = timeout - (now - self.origin_ns)
                else:
                    rel = timeout
                clocks.append((now + max(rel, 0), userdata))
            elif tag in (_FD_READ, _FD_WRITE):
                events.append(_EVENT.pack(userdata, 0, tag, 0, 0))
            else:
                events.append(_EVENT.pack(userdata, _EINVAL, tag, 0, 0))
        if not events:
            first = min(at for at, _ in clocks)
            while (left := first - time.monotonic_ns()) > 0:
                if self.stop.wait(min(left / 1e9, _SLICE_S)):
                    raise GuestStopped("the guest is being stopped")
            now = time.monotonic_ns()
            events = [_EVENT.pack(ud, 0, _CLOCK, 0, 0) for at, ud in clocks if at <= now]
        mem.write(caller, b"".join(events), out_ptr)
        mem.write(caller, _NEVENTS.pack(len(events)), nev_ptr)
        return 0

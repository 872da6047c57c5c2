"""Event ids (``corral.events.new_event_id``): 32 hex digits, never repeated in a
process (threads drawing at once), nor by a forked child after its parent."""

from __future__ import annotations

import os
import re
import threading

from corral.events import Event, EventBus, SessionEvents, new_event_id


def test_ids_are_32_hex_digits_and_events_get_them():
    ev = SessionEvents(EventBus(), "s").emit("sandbox.created")
    assert re.fullmatch(r"[0-9a-f]{32}", ev.id)
    assert re.fullmatch(r"[0-9a-f]{32}", Event(session="s", seq=1, type="sandbox.closed").id)


def test_threads_never_share_an_id():
    got: list[list[str]] = [[] for _ in range(8)]

    def draw(k: int) -> None:
        got[k].extend(new_event_id() for _ in range(20000))

    threads = [threading.Thread(target=draw, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for part in got for i in part]
    assert len(set(ids)) == len(ids) == 160000


def test_a_forked_child_does_not_repeat_its_parents_ids():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(w, " ".join(new_event_id() for _ in range(100)).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        child = f.read().decode().split()
    os.waitpid(pid, 0)
    parent = [new_event_id() for _ in range(100)]
    assert len(child) == 100
    assert not set(child) & set(parent)
    assert {c[:16] for c in child} != {p[:16] for p in parent}

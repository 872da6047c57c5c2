"""A fleet's events to a ``corral serve`` (``Fleet(report_to=URL, report_token=TOKEN)``).

Every event the fleet takes in (all nodes' sandboxes, plus ``episode.ended`` and
``fleet.alert``) is queued and POSTed in batches to ``URL/v1/events`` with the token, so
the server's dashboard, ``/v1/events`` stream, ``/v1/alerts`` and audit log show the
episodes as that token's tenant's. Batches leave every 0.2 s or at 500 events, in order,
from one thread; a server that does not answer costs the trainer nothing but the queue,
which is bounded (the oldest events beyond 100,000 are dropped and counted in
:attr:`ServerReport.dropped`, the fleet's own audit logs keep everything). ``close()``
sends what is queued (a few seconds at most).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from ..events import Event
from .records import FleetError

log = logging.getLogger("corral.fleet")

BATCH = 500
EVERY_S = 0.2
MAX_QUEUED = 100_000


class ServerReport:
    """Sends events to one server; :meth:`__call__` is the fleet's subscriber."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 10.0) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise FleetError(f"report_to must be an http(s) URL, not {url!r}")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        #: events dropped (queue full, or refused by the server); sent so far
        self.dropped = 0
        self.sent = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="fleet-report", daemon=True)
        self._thread.start()

    def __call__(self, event: Event) -> None:
        doc = event.model_dump(mode="json")
        with self._cond:
            if len(self._queue) >= MAX_QUEUED:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(doc)
            if len(self._queue) >= BATCH:
                self._cond.notify()

    def _take(self) -> list[dict[str, Any]]:
        with self._cond:
            n = min(len(self._queue), BATCH)
            return [self._queue.popleft() for _ in range(n)]

    def _send(self, batch: list[dict[str, Any]]) -> bool:
        try:
            r = self._client.post("/v1/events", json={"events": batch})
        except Exception as e:  # the server is away: keep the batch for the next try
            self.last_error = f"{type(e).__name__}: {e}"
            return False
        if r.status_code >= 500:
            self.last_error = f"HTTP {r.status_code}"
            return False
        if r.status_code >= 400:  # refused (a bad token, a session it owns): not retried
            self.last_error = f"HTTP {r.status_code}: {r.text[:300]}"
            log.error("the server refused %d fleet events: %s", len(batch), self.last_error)
            self.dropped += len(batch)
            return True
        self.sent += len(batch)
        return True

    def _loop(self) -> None:
        backoff = EVERY_S
        while True:
            with self._cond:
                if not self._queue and not self._closing:
                    self._cond.wait(EVERY_S)
                if self._closing and not self._queue:
                    return
            batch = self._take()
            if not batch:
                continue
            if self._send(batch):
                backoff = EVERY_S
                continue
            with self._cond:  # back in front, in order, and wait a little longer
                self._queue.extendleft(reversed(batch))
                closing = self._closing
            if closing:
                return
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def close(self, wait_s: float = 5.0) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout=wait_s)
        self._client.close()

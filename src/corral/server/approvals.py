"""Approvals from anywhere: the policy's ``ask`` waits in a :class:`~corral.policy.Queue`
until ``POST /v1/approvals/{id}`` answers it (or its timeout denies it).

A policy with ``approvals.webhook: URL`` also has each question POSTed there as JSON,
with a Slack-compatible ``text`` and the ``answer_url`` to POST the answer to; the
answer always comes back through the API (with the tenant's token), never through
the webhook's response.
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..policy.approvers import ApprovalRequest, Queue

log = logging.getLogger("corral.server.approvals")

WEBHOOK_TIMEOUT_S = 10.0


def slack_escape(text: str) -> str:
    """Text for Slack's ``text`` field: ``&``, ``<``, ``>`` escaped, so an agent's
    command cannot make a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a question is posted where the policy says, nowhere else


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: dict[str, Any], timeout: float = WEBHOOK_TIMEOUT_S) -> int:
    """POST ``payload`` as JSON; the HTTP status (raises ``OSError`` when unreachable)."""
    body = json.dumps(payload).encode()
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "corral-serve"},
    )
    try:
        with _opener.open(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


class ServerApprovals:
    """The server's approval queue and webhook sender.

    ``webhook_of(session)`` gives the webhook URL of a session's policy (or ``None``);
    ``base_url`` is where answers go (for ``answer_url``).
    """

    def __init__(
        self,
        webhook_of: Callable[[str], str | None],
        base_url: str,
    ) -> None:
        self.queue = Queue(on_request=self._on_request)
        self._webhook_of = webhook_of
        self.base_url = base_url.rstrip("/")
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="corral-webhook")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def payload(self, request: ApprovalRequest) -> dict[str, Any]:
        data = request.to_dict()
        data["sandbox"] = request.session
        data["answer_url"] = f"{self.base_url}/v1/approvals/{request.id}"
        rule = f" (rule {request.rule})" if request.rule else ""
        data["text"] = slack_escape(
            f"corral: approval needed in sandbox {request.session}: {request.summary}{rule}. "
            f"Why: {request.reason}. No answer within {request.timeout_s:g} s means "
            f"{request.default}. Answer: POST {data['answer_url']} "
            '{"allow": true|false, "always": false}'
        )
        return data

    def _on_request(self, request: ApprovalRequest) -> None:
        url = self._webhook_of(request.session)
        if url is None:
            return
        payload = self.payload(request)
        with contextlib.suppress(RuntimeError):  # shut down
            self._pool.submit(self._send, url, payload)

    @staticmethod
    def _send(url: str, payload: dict[str, Any]) -> None:
        try:
            status = post_json(url, payload)
        except (OSError, ValueError) as e:
            log.warning("approval webhook %s failed: %s", url, e)
            return
        if status >= 300:
            log.warning("approval webhook %s answered HTTP %s", url, status)

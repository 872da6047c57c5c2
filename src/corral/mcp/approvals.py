"""A policy ``ask`` during an MCP tool call: put to the MCP client as an elicitation.

:class:`ElicitingApprover` is the approver of one MCP session's sandbox. While a tool
call runs, it knows that call's request context; when the policy (or the monitor) asks,
it sends the client an ``elicitation/create`` request (form mode, one ``answer`` field:
``allow_once`` / ``allow_always`` / ``deny``) if the client declared the elicitation
capability, and waits for the answer up to the policy's approval timeout. A client
without elicitation gets the ``fallback`` approver (e.g. a :class:`~corral.policy.Queue`
a web page answers), or, without one, a denial whose reason says nobody could answer.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import anyio.from_thread
from pydantic import BaseModel, Field

from ..policy.approvers import ApprovalAnswer, ApprovalRequest, coerce_answer

__all__ = ["ApprovalForm", "ElicitingApprover", "can_elicit"]

NOBODY = (
    "nobody (this MCP client does not support elicitation and no other approver is "
    "configured)"
)


class ApprovalForm(BaseModel):
    """The form the MCP client shows."""

    answer: Literal["allow_once", "allow_always", "deny"] = Field(
        default="deny",
        description="allow_once: this time; allow_always: for the rest of this session; "
        "deny: refuse it",
    )


def can_elicit(ctx: Any) -> bool:
    """Whether the client of this request can answer a form elicitation now."""
    session = getattr(ctx, "session", None)
    caps = getattr(session, "client_capabilities", None)
    elicitation = getattr(caps, "elicitation", None)
    if elicitation is None or not getattr(session, "can_send_request", False):
        return False
    # an empty capability object means form mode (spec: backwards compatibility)
    return elicitation.form is not None or elicitation.url is None


@dataclass
class _Call:
    ctx: Any  # the tool call's ServerRequestContext
    token: Any  # the event loop it runs on


def _message(request: ApprovalRequest) -> str:
    lines = [
        "corral: the agent wants to " + request.summary,
        f"rule: {request.rule}",
        f"why: {request.reason}",
    ]
    if request.principle:
        text = f": {request.principle_text}" if request.principle_text else ""
        lines.append(f"principle: {request.principle}{text}")
    lines.append(f"no answer within {request.timeout_s:g} s means {request.default}")
    return "\n".join(lines)


class ElicitingApprover:
    """The approver of one MCP session's sandbox (see the module docstring)."""

    def __init__(self, fallback: Any = None) -> None:
        self.fallback = fallback
        self._call: _Call | None = None
        self._guard = threading.Lock()

    @property
    def who(self) -> str:
        call = self._call
        if call is not None and can_elicit(call.ctx):
            return "the person at the MCP client"
        if self.fallback is not None:
            return str(getattr(self.fallback, "who", "the approval queue"))
        return NOBODY

    @contextlib.contextmanager
    def serving(self, ctx: Any) -> Iterator[None]:
        """While the block runs (one tool call at a time per session), questions go to
        the client of ``ctx``. Call from the event loop."""
        with self._guard:
            self._call = _Call(ctx, anyio.lowlevel.current_token())
        try:
            yield
        finally:
            with self._guard:
                self._call = None

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        call = self._call
        if call is not None and can_elicit(call.ctx):
            return self._elicit(call, request)
        if self.fallback is not None:
            return coerce_answer(self.fallback.ask(request))
        return ApprovalAnswer.DENY

    def _elicit(self, call: _Call, request: ApprovalRequest) -> ApprovalAnswer:
        from mcp.server.elicitation import render_elicitation_schema

        schema = render_elicitation_schema(ApprovalForm)

        async def ask() -> Any:
            with anyio.fail_after(request.timeout_s):
                return await call.ctx.session.elicit_form(
                    message=_message(request),
                    requested_schema=schema,
                    related_request_id=call.ctx.request_id,
                )

        try:
            result = anyio.from_thread.run(ask, token=call.token)
        except TimeoutError:
            return ApprovalAnswer.TIMEOUT
        if result.action != "accept":
            return ApprovalAnswer.DENY  # declined or cancelled
        content = result.content or {}
        try:
            answer = coerce_answer(ApprovalForm.model_validate(content).answer)
        except ValueError:
            return ApprovalAnswer.DENY
        return answer

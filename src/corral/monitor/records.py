"""Events from recorded data: JSON dicts, audit export lines, and event types corral's
:class:`~corral.events.Event` does not list yet (``resource.sample``)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..events import Action, Decision, Event

__all__ = ["event_from", "make_event"]

_ACTION = TypeAdapter(Action)
_FIELDS = (
    "id", "session", "seq", "time", "type", "action", "decision", "outcome", "data", "tags", "step"
)


def make_event(**fields: Any) -> Event:
    """An :class:`Event`; an event type the model does not know yet (``resource.sample``)
    is accepted without validating the type (everything else is still validated)."""
    try:
        return Event(**fields)
    except ValidationError as exc:
        if not any(err["loc"] and err["loc"][0] == "type" for err in exc.errors()):
            raise
        probe = Event(**{**fields, "type": "action.requested"})
        return Event.model_construct(**{**probe.__dict__, "type": str(fields["type"])})


def event_from(obj: dict[str, Any], *, session: str = "recorded", seq: int = 0) -> Event:
    """An :class:`Event` from a dict: an event as ``model_dump`` writes it, or an audit
    export line (``{"kind": "event", "body": {...}}``). Missing ids, sessions and
    sequence numbers are filled in."""
    if "body" in obj and isinstance(obj["body"], dict) and "type" not in obj:
        body = dict(obj["body"])
        body.setdefault("session", obj.get("session") or session)
        obj = body
    data = {k: obj[k] for k in _FIELDS if k in obj and obj[k] is not None}
    extra = set(obj) - set(_FIELDS)
    if extra:
        raise ValueError(f"unknown event keys: {', '.join(sorted(extra))}")
    data.setdefault("id", uuid.uuid4().hex)
    data.setdefault("session", session)
    data.setdefault("seq", seq)
    if "type" not in data:
        raise ValueError("an event needs a 'type'")
    if isinstance(data.get("action"), dict):
        data["action"] = _ACTION.validate_python(data["action"])
    if isinstance(data.get("decision"), dict):
        data["decision"] = Decision.model_validate(data["decision"])
    return make_event(**data)

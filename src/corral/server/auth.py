"""Bearer tokens → tenants, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from .config import LOCAL_TENANT


class TokenAuth:
    """Finds the tenant of a bearer token.

    Each presented token is hashed and compared with every known token's hash with
    :func:`hmac.compare_digest`, all of them every time, so neither the position of a
    match nor a shared prefix changes how long the check takes.
    """

    def __init__(self, tokens: dict[str, str] | None) -> None:
        self.enabled = bool(tokens)
        self._table = [(_digest(t), tenant) for t, tenant in (tokens or {}).items()]

    def tenant(self, authorization: str | None) -> str | None:
        """The tenant of an ``Authorization`` header value, or ``None`` (refuse)."""
        if not self.enabled:
            return LOCAL_TENANT
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = _digest(token.strip())
        found: str | None = None
        for digest, tenant in self._table:
            if hmac.compare_digest(digest, presented) and found is None:
                found = tenant
        return found


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()

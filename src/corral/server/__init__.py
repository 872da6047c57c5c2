"""``corral serve``: the HTTP API and the live dashboard.

* :mod:`corral.server.config` — :class:`ServerConfig`, :class:`Limits`, the tokens file;
* :mod:`corral.server.auth` — bearer tokens → tenants (constant-time);
* :mod:`corral.server.hub` — the sandboxes: ownership, one call at a time each, worker
  threads, caps, idle reaping, usage;
* :mod:`corral.server.stream` — events and alerts per tenant, live streams;
* :mod:`corral.server.approvals` — the approval queue behind the API, webhooks;
* :mod:`corral.server.errors` — one JSON error shape, the global handlers;
* :mod:`corral.server.middleware` — the body-size cap and the security headers;
* :mod:`corral.server.app` — :func:`create_app` (FastAPI routes, the dashboard);
* :mod:`corral.server.cli` — ``corral serve``;
* ``static/`` — the dashboard (HTML, JS, CSS; no build step).
"""

from __future__ import annotations

from typing import Any

from .config import ConfigError, Limits, ServerConfig, load_tokens


def __getattr__(name: str) -> Any:
    if name == "create_app":  # FastAPI is imported only when an app is built
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'corral.server' has no attribute {name!r}")


__all__ = ["ConfigError", "Limits", "ServerConfig", "create_app", "load_tokens"]

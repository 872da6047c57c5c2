"""One error shape for the API: ``{"error": message}``; 422s name the field; an
unexpected exception is a 500 with a reference, its traceback only in the server log."""

from __future__ import annotations

import errno
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import CorralError, DiskQuotaExceeded, PathEscape, SandboxClosed, SessionStopped
from .hub import ApiError

log = logging.getLogger("corral.server")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts[0]
        rest = ".".join(parts[1:])
        return f"{where} field {rest!r}" if rest else f"the request {where}"
    return ".".join(parts)


def _validation_payload(exc: RequestValidationError) -> dict[str, Any]:
    errors = []
    for err in exc.errors()[:20]:
        loc = list(err.get("loc") or ())
        errors.append({"field": _field(loc), "loc": loc, "message": str(err.get("msg", ""))})
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    if any(e["loc"] == ["body"] for e in errors):
        message += " (send a JSON object with Content-Type: application/json)"
    return {"error": message, "detail": errors}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_payload(exc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.error("internal error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": f"internal error (reference {ref}; the details are in the server log)"},
            status_code=500,
        )


def call_error(exc: BaseException) -> ApiError | None:
    """The API error for an exception a sandbox call raised on the client's account."""
    from ..native import BackendUnavailable
    from ..sandbox import ActionDenied

    if isinstance(exc, ActionDenied):
        return ApiError(403, str(exc))
    if isinstance(exc, PathEscape):
        return ApiError(403, str(exc))
    if isinstance(exc, DiskQuotaExceeded):
        return ApiError(507, str(exc))
    if isinstance(exc, SessionStopped | SandboxClosed):
        return ApiError(409, str(exc))
    if isinstance(exc, BackendUnavailable):
        return ApiError(503, str(exc))
    if isinstance(exc, FileNotFoundError):
        return ApiError(404, f"no such file: {exc.filename or exc}")
    if isinstance(exc, IsADirectoryError | NotADirectoryError):
        return ApiError(400, exc.strerror or str(exc))
    if isinstance(exc, PermissionError):
        return ApiError(403, exc.strerror or str(exc))
    if isinstance(exc, OSError) and exc.errno in (
        errno.ENAMETOOLONG, errno.EINVAL, errno.ELOOP, errno.ENXIO
    ):
        return ApiError(400, exc.strerror or str(exc))
    if isinstance(exc, UnicodeError):
        return ApiError(400, f"not valid text: {exc}")
    if isinstance(exc, TypeError | ValueError | CorralError):
        return ApiError(400, str(exc))
    return None

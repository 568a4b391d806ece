"""Domain exceptions to HTTP statuses, registered once on the app."""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.admission import Rejected
from db import failures
from jobs.errors import InvalidCursor, InvalidTransition, JobError, JobNotFound
from programs.service import IdempotencyConflict

logger = logging.getLogger(__name__)
STORAGE_RETRY_AFTER_SECONDS = 30  # an operator's fix (space, a remount, a restart) takes a while
STATUS_OF: dict[type[JobError], int] = {
    JobNotFound: 404,
    InvalidTransition: 409,
    IdempotencyConflict: 409,
    InvalidCursor: 422,
}


async def _job_error(_request: Request, error: Exception) -> JSONResponse:
    code = next((c for kind, c in STATUS_OF.items() if isinstance(error, kind)), 400)
    return JSONResponse({"detail": str(error)}, status_code=code)


MAX_ECHO_DEPTH = 8  # nesting of echoed input; deeper levels are elided


def _json_safe(value: Any, depth: int = 0) -> Any:
    """Echoed input as JSON can carry it, whatever the client sent: 1e400 parses to inf,
    "\udfff" and a form body's raw bytes are no UTF-8, and input nested 900 levels deep
    would exhaust the stack (a 500, and a traceback quoting the input in the log).
    Deeper than MAX_ECHO_DEPTH it says "..." instead."""
    if depth > MAX_ECHO_DEPTH:
        return "..."
    if isinstance(value, bool | int | None):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {str(_json_safe(k, depth + 1)): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item, depth + 1) for item in value]
    return _json_safe(str(value), depth)  # e.g. the exception in a validator's ctx


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    detail = [_json_safe(dict(item)) for item in error.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A storage failure is the contract's 503 in words, with Retry-After; anything else
    from the database is a bug: logged with its traceback, answered as JSON all the same."""
    words = failures.storage_failure(error)
    if words is None:
        failures.log(logger, error, f"{request.method} {request.url.path} failed")
        return JSONResponse({"detail": "Internal error; it has been logged"}, status_code=500)
    return JSONResponse(
        {"detail": f"The database cannot take this request right now ({words}); try again later"},
        status_code=503,
        headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
    )


async def _rejected(_request: Request, error: Rejected) -> JSONResponse:
    return JSONResponse(
        {"detail": error.detail},
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


def register(app: FastAPI) -> None:
    """Map every JobError subclass to its status; keep 422 bodies valid JSON; storage
    failures to 503."""
    app.add_exception_handler(sa.exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(JobError, _job_error)
    app.add_exception_handler(Rejected, _rejected)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]

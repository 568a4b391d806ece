"""Domain exceptions to HTTP statuses, registered once on the app."""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


def _json_safe(value: Any) -> Any:
    """Echoed input can hold what JSON cannot (1e400 parses to inf, "\udfff" is no
    UTF-8): say it in words instead of failing the 422 with a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    detail = _json_safe(jsonable_encoder(error.errors()))
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


def register(app: FastAPI) -> None:
    """Map every JobError subclass to its status; keep 422 bodies valid JSON; storage
    failures to 503."""
    app.add_exception_handler(sa.exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(JobError, _job_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]

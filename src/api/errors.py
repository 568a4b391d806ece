"""Domain exceptions to HTTP statuses, registered once on the app."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from jobs.errors import InvalidCursor, InvalidTransition, JobError, JobNotFound
from programs.service import IdempotencyConflict

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


def register(app: FastAPI) -> None:
    """Map every JobError subclass to its status; keep 422 bodies valid JSON."""
    app.add_exception_handler(JobError, _job_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]

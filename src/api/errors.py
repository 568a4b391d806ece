"""Domain exceptions to HTTP statuses, registered once on the app."""

from __future__ import annotations

from fastapi import FastAPI, Request
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


def register(app: FastAPI) -> None:
    """Map every JobError subclass to its status."""
    app.add_exception_handler(JobError, _job_error)

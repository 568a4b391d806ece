"""The API's response shapes (the contract's Job, events, pages and health)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Literal, Self

from fastapi import Response
from pydantic import BaseModel, ConfigDict

from jobs.models import Job
from jobs.queries import JobView
from jobs.status import JobStatus
from jobs.store import JobRow
from programs.schemas import Program, ProgramRequest

IN_PROGRESS_POLL_SECONDS = 2  # a step takes seconds to minutes; faster polling buys nothing
MAX_POLL_SECONDS = 60


class Progress(BaseModel):
    """How far the job has got: finished steps out of all steps."""

    step: int
    total: int
    message: str


class Usage(BaseModel):
    """Model tokens the job's finished steps cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class JobFields(BaseModel):
    """A job as the contract shows it, but its program: plus progress time, usage and
    recoveries."""

    id: str
    status: JobStatus
    request: ProgramRequest
    error: str | None
    attempts: int
    max_attempts: int
    progress: Progress | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    next_attempt_at: datetime | None
    progress_at: datetime | None
    cancel_requested: bool
    owner: str | None  # the instance running it (see /api/health's instance_id)
    usage: Usage | None
    recoveries: int
    recovery_note: str | None

    @classmethod
    def of(cls, job: Job | JobView | JobRow, **more: Any) -> Self:
        """Shape a job (an ORM object or a `queries.view` row) for the API."""
        progress = None
        if job.total_steps:
            progress = Progress(
                step=job.steps_done,
                total=job.total_steps,
                message=job.progress_message or "waiting to start",
            )
        return cls(
            id=job.id,
            status=JobStatus(job.status),
            request=ProgramRequest.model_construct(**job.request),
            error=job.error,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            progress=progress,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.heartbeat_at,
            next_attempt_at=job.next_attempt_at,
            progress_at=job.progress_at,
            cancel_requested=job.cancel_requested,
            owner=job.owner,
            usage=Usage(**job.usage) if job.usage else None,
            recoveries=job.recoveries,
            recovery_note=job.recovery_note,
            **more,
        )


class JobOut(JobFields):
    """A job as the contract shows it (the shape documented for every job answer)."""

    result: Program | None


class JobSummary(JobFields):
    """A job in a list: no program (GET the job for it), only its title once completed."""

    title: str | None


def job_json(job: Job | JobView | Any, result_json: str | None = None) -> str:
    """The Job JSON of a job row, its program passed through as stored.

    `result_json` is the program as the stored JSON text (`Programs.result_json`),
    spliced in unparsed: a 250 KB program costs a copy, not a parse, a validation
    and a serialisation. Without it, a store or ORM row's `result` dict is used
    (None until completed; a poll row has none).
    """
    stored = result_json
    if stored is None and getattr(job, "result", None) is not None:
        stored = json.dumps(job.result)
    head = JobFields.of(job).model_dump_json()
    return f'{head[:-1]},"result":{stored or "null"}}}'


def retry_after(job: Job | JobView | JobRow, *, now: datetime) -> int | None:
    """Whole seconds a client should wait, from `now`, before polling a non-terminal job
    again."""
    if job.status == JobStatus.IN_PROGRESS:
        return IN_PROGRESS_POLL_SECONDS
    if job.status != JobStatus.PENDING:
        return None
    if job.next_attempt_at is None:
        return 1
    wait = (job.next_attempt_at - now).total_seconds()
    return max(1, min(MAX_POLL_SECONDS, math.ceil(wait)))


class JobPage(BaseModel):
    """One page of the job list, newest first."""

    items: list[JobSummary]
    next_cursor: str | None


class EventOut(BaseModel):
    """One status change of a job."""

    at: datetime
    from_status: JobStatus | None
    to_status: JobStatus
    attempt: int
    reason: str
    message: str

    model_config = ConfigDict(from_attributes=True)  # read straight from a JobEvent row


class JobCounts(BaseModel):
    """Active jobs, and how many of the running ones look lost."""

    pending: int
    in_progress: int
    stale: int


class HealthOut(BaseModel):
    """What uptime monitors read."""

    status: Literal["ok", "degraded"]
    database: str
    scheduler: Literal["running", "stopped"]
    monitor_last_run_at: datetime | None
    instance_id: str
    jobs: JobCounts
    version: str


def json_response(
    model: BaseModel | str, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The model (or JSON text) as JSON, serialised once: polled routes skip FastAPI's
    second validation of a response the model has already validated."""
    return Response(
        model if isinstance(model, str) else model.model_dump_json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


class ErrorOut(BaseModel):
    """FastAPI's error shape."""

    detail: str

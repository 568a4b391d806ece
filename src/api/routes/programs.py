"""/api/programs: submit a program job, follow it, retry or cancel it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from api import reads
from api.deps import ProgramsDep, TokenCheck
from api.schemas import ErrorOut, EventOut, JobOut, JobPage, json_response, retry_after
from jobs.status import JobStatus
from programs.schemas import ProgramRequest
from programs.service import Programs

router = APIRouter(
    prefix="/api/programs",
    tags=["programs"],
    dependencies=[TokenCheck],
    responses={401: {"model": ErrorOut, "description": "API_TOKEN required"}},
)
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No job has this id"}}
CONFLICT: Responses = {
    409: {"model": ErrorOut, "description": "The job's status does not allow this"}
}
BODY: Responses = {
    400: {"model": ErrorOut, "description": "Undecodable body"},
    413: {"model": ErrorOut, "description": "Body over 64 KiB"},
}


@router.post(
    "/generate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={
        200: {"model": JobOut, "description": "Replay of an Idempotency-Key"},
        409: {"model": ErrorOut, "description": "Key reused with another body"},
        **BODY,
    },
)
async def generate(
    body: ProgramRequest,
    programs: ProgramsDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> Response:
    """Queue a program; poll the job at `Location` until it is terminal."""
    job, created = await programs.submit(body, idempotency_key)
    return json_response(
        JobOut.of(job),
        status_code=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        headers={"Location": f"/api/programs/jobs/{job.id}"},
    )


def _job_response(programs: Programs, job_id: str) -> Response:
    job = programs.get(job_id)
    seconds = retry_after(job)
    headers = {"Retry-After": str(seconds)} if seconds is not None else None
    return json_response(JobOut.of(job), headers=headers)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def get_job(job_id: str, programs: ProgramsDep) -> Response:
    """One job; non-terminal answers carry `Retry-After`.

    `async`, and on SQLite without a thread hop: a poll is one short read and a
    small answer (see `reads.run`).
    """
    return await reads.run(programs.sessions.engine, _job_response, programs, job_id)


@router.get("/jobs", response_model=JobPage, responses={422: {"model": ErrorOut}})
def list_jobs(
    programs: ProgramsDep,
    status_: Annotated[list[JobStatus] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Jobs newest first; pass `next_cursor` back as `cursor` for the next page."""
    jobs, next_cursor = programs.page(status_ or [], limit, cursor)
    return json_response(JobPage(items=[JobOut.of(job) for job in jobs], next_cursor=next_cursor))


@router.post(
    "/jobs/{job_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def retry_job(job_id: str, programs: ProgramsDep) -> JobOut:
    """Run a failed or cancelled job again, with JOB_MAX_ATTEMPTS more attempts."""
    return JobOut.of(programs.retry(job_id))


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def cancel_job(job_id: str, programs: ProgramsDep) -> JobOut:
    """Cancel a pending or running job."""
    return JobOut.of(programs.cancel(job_id))


@router.get("/jobs/{job_id}/events", response_model=list[EventOut], responses=NOT_FOUND)
def job_events(job_id: str, programs: ProgramsDep) -> list[EventOut]:
    """Every status change of the job, oldest first."""
    return [EventOut.model_validate(event) for event in programs.events(job_id)]

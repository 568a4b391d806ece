"""/api/programs: submit a program job, follow it, retry or cancel it."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api import reads
from api.deps import AdmissionDep, CallerDep, ProgramsDep, TokenCheck
from api.schemas import (
    ErrorOut,
    EventOut,
    JobOut,
    JobPage,
    JobSummary,
    job_json,
    json_response,
    retry_after,
)
from jobs import queries
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
BUSY: Responses = {
    429: {
        "model": ErrorOut,
        "description": "Queue full (MAX_PENDING_JOBS) or too many submits from this client "
        "(SUBMIT_RATE_PER_MINUTE); see Retry-After",
    }
}


def _pending(engine: sa.Engine, limit: int) -> int:
    with engine.connect() as connection:
        return queries.pending_up_to(connection, limit)


def _client(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, the one it forwards)."""
    return request.client.host if request.client else None


@router.post(
    "/generate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={
        200: {"model": JobOut, "description": "Replay of an Idempotency-Key"},
        409: {"model": ErrorOut, "description": "Key reused with another body"},
        **BODY,
        **BUSY,
    },
)
async def generate(
    body: ProgramRequest,
    request: Request,
    programs: ProgramsDep,
    admission: AdmissionDep,
    caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=255)] = None,
) -> Response:
    """Queue a program; poll the job at `Location` until it is terminal."""
    engine = programs.sessions.engine
    with admission.reserve(_client(request)) as ticket:
        ticket.check_queue(await reads.run(engine, _pending, engine, admission.max_pending + 1))
        job, created = await programs.submit(body, idempotency_key, caller=caller)
        ticket.accepted = created
    return json_response(
        job_json(job),
        status_code=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        headers={"Location": f"/api/programs/jobs/{job.id}"},
    )


async def job_text(request: Request, programs: Programs, job: queries.JobView) -> str:
    """The Job JSON of `job` as GET /jobs/{id} answers it (the stream sends the same).

    A completed job's program can be large, and clients fetch it once: it is read as
    the stored text in the thread pool and spliced in unparsed (`job_json`), at most
    HEAVY_READS at once, so the programs being read at any moment are few and the
    event loop keeps answering everyone else.
    """
    result_json = None
    if job.status == JobStatus.COMPLETED:
        async with request.app.state.heavy_reads:
            result_json = await run_in_threadpool(programs.result_json, job.id)
    return job_json(job, result_json)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def get_job(job_id: str, request: Request, programs: ProgramsDep) -> Response:
    """One job; non-terminal answers carry `Retry-After`.

    `async`, and on SQLite without a thread hop: a poll of a job that is not
    completed is one short read and a small answer (see `reads.run`); a completed
    one's program is read as `job_text` says.
    """
    job = await reads.run(programs.sessions.engine, programs.get, job_id)
    seconds = retry_after(job, now=programs.engine.clock.now())
    headers = {"Retry-After": str(seconds)} if seconds is not None else None
    return json_response(await job_text(request, programs, job), headers=headers)


@router.get("/jobs", response_model=JobPage, responses={422: {"model": ErrorOut}})
def list_jobs(
    programs: ProgramsDep,
    status_: Annotated[list[JobStatus] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Jobs newest first; pass `next_cursor` back as `cursor` for the next page."""
    jobs, next_cursor = programs.page(status_ or [], limit, cursor)
    items = [JobSummary.of(job, title=job.title) for job in jobs]
    return json_response(JobPage(items=items, next_cursor=next_cursor))


@router.post(
    "/jobs/{job_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={**NOT_FOUND, **CONFLICT, **BUSY},
)
def retry_job(
    job_id: str, request: Request, programs: ProgramsDep, admission: AdmissionDep
) -> Response:
    """Run a failed or cancelled job again, with JOB_MAX_ATTEMPTS more attempts."""
    with admission.reserve(_client(request)) as ticket:
        ticket.check_queue(_pending(programs.sessions.engine, admission.max_pending + 1))
        job = programs.retry(job_id)
        ticket.accepted = True
    return json_response(job_json(job), status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def cancel_job(job_id: str, programs: ProgramsDep) -> Response:
    """Cancel a pending or running job."""
    return json_response(job_json(programs.cancel(job_id)), status_code=status.HTTP_202_ACCEPTED)


@router.get("/jobs/{job_id}/events", response_model=list[EventOut], responses=NOT_FOUND)
def job_events(job_id: str, programs: ProgramsDep) -> list[EventOut]:
    """Every status change of the job, oldest first."""
    return [EventOut.model_validate(event) for event in programs.events(job_id)]

"""A completed job's program as a calendar (`program.ics`) or a sheet (`program.csv`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api import reads
from api.deps import ProgramsDep, TokenCheck
from api.schemas import ErrorOut
from jobs.status import JobStatus
from programs import exports

router = APIRouter(
    prefix="/api/programs/jobs/{job_id}",
    tags=["exports"],
    dependencies=[TokenCheck],
    responses={
        401: {"model": ErrorOut, "description": "API_TOKEN required"},
        404: {"model": ErrorOut, "description": "No job has this id"},
        409: {"model": ErrorOut, "description": "The job has not completed"},
    },
)


async def _export(
    request: Request, programs: ProgramsDep, job_id: str, render: Callable[[str, Any], Response]
) -> Response:
    """`render(job id, program)` of a completed job, else 409.

    A program is a heavy read: it is read, parsed and rendered in the thread pool, under
    the app's bound on heavy reads at once (`HEAVY_READS`), like a completed job's poll.
    """
    job = await reads.run(programs.sessions.engine, programs.get, job_id)
    if job.status != JobStatus.COMPLETED:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"The job is {job.status}: its program can be exported once it has completed",
        )

    def read_and_render() -> Response:
        return render(job.id, json.loads(programs.result_json(job.id) or "null"))

    async with request.app.state.heavy_reads:
        return await run_in_threadpool(read_and_render)


def _attachment(body: str | bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/program.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "One event per session"},
        422: {"model": ErrorOut, "description": "A calendar option cannot be used"},
    },
)
async def program_ics(
    request: Request,
    job_id: str,
    programs: ProgramsDep,
    start: Annotated[
        str | None, Query(max_length=32, description="YYYY-MM-DD; default the next Monday")
    ] = None,
    days: Annotated[str | None, Query(max_length=64, description="e.g. mon,wed,fri")] = None,
    time: Annotated[str | None, Query(max_length=8, description="HH:MM, default 18:00")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA name, default UTC")] = None,
) -> Response:
    """The program as an RFC 5545 calendar, one event per session."""

    def render(job_id: str, program: Any) -> Response:
        try:
            options = exports.calendar_options(
                days_per_week=len(program["weeks"][0]["sessions"]),
                start=start,
                days=days,
                at=time,
                tz=tz,
            )
        except exports.ExportError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
        body = exports.to_ics(program, options, uid=job_id)
        return _attachment(body, "text/calendar", exports.filename(program, job_id, "ics"))

    return await _export(request, programs, job_id, render)


@router.get(
    "/program.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per exercise"}},
)
async def program_csv(request: Request, job_id: str, programs: ProgramsDep) -> Response:
    """The program as CSV: week, day, session, order, exercise, sets, reps, rest, notes."""

    def render(job_id: str, program: Any) -> Response:
        csv = exports.to_csv(program)
        return _attachment(csv, "text/csv", exports.filename(program, job_id, "csv"))

    return await _export(request, programs, job_id, render)

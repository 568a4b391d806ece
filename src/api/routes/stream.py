"""GET /api/programs/jobs/{id}/stream: a job's changes as server-sent events.

An event `job` carries the Job JSON exactly as GET /jobs/{id} answers it
(`job_text`), at once and then on every change a client acts on; the stream
ends after the event that shows a terminal status. The rows come from
`Programs.watch` (the engine's one read per change per process, shared by
every stream of the process); a stream holds no heavy-read slot, only its
completed event takes one, for the moment its program is read.

sse-starlette writes the events, the keep-alive comment every
STREAM_KEEPALIVE_SECONDS, and ends the stream when the client leaves. On a
graceful shutdown uvicorn closes the connections before the app's lifespan
stops the engine, so a stream cannot wait for the engine to end it:
sse-starlette sees uvicorn's exit signal and sets `shutdown`, and the stream
then ends at once with a complete response (the page polls or reconnects).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncGenerator
from typing import Any

import anyio
import sqlalchemy as sa
from anyio.abc import ObjectSendStream
from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import ProgramsDep, SettingsDep, TokenCheck
from api.routes.programs import NOT_FOUND, job_text
from api.schemas import ErrorOut
from db import failures
from jobs.queries import JobView
from jobs.status import TERMINAL, JobStatus
from programs.service import Programs

logger = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/programs",
    tags=["programs"],
    dependencies=[TokenCheck],
    responses={401: {"model": ErrorOut, "description": "API_TOKEN required"}},
)
#: seconds a stream may take to end itself after the exit signal (it needs milliseconds)
SHUTDOWN_GRACE_SECONDS = 1.0
#: no proxy may buffer or cache the events (nginx reads X-Accel-Buffering)
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "Events `job` (data: the Job JSON), then the end after a terminal one",
    },
    **NOT_FOUND,
}


def _shown(job: JobView) -> tuple[Any, ...]:
    """What a client acts on: a row whose `_shown` differs from the last one sent is an event."""
    return (
        job.status,
        job.steps_done,
        job.total_steps,
        job.progress_message,
        job.attempts,
        job.error,
        job.cancel_requested,
    )


async def _cancel_on(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def _pump(
    request: Request,
    programs: Programs,
    rows: AsyncGenerator[JobView],
    job: JobView,
    events: ObjectSendStream[ServerSentEvent],
    shutdown: anyio.Event,
) -> None:
    """Send each row with news as an event, from `job` on, until a terminal one, the
    engine's stop or the server's; closing `events` ends the response cleanly.

    A database that fails mid-stream ends the stream (one log line): the client falls
    back to polling, which answers 503 with Retry-After until the database is back.
    """
    sent = None
    async with events, contextlib.aclosing(rows), anyio.create_task_group() as group:
        group.start_soon(_cancel_on, shutdown, group.cancel_scope)
        try:
            while True:
                if _shown(job) != sent:
                    sent = _shown(job)
                    text = await job_text(request, programs, job)
                    await events.send(ServerSentEvent(text, event="job"))
                if JobStatus(job.status) in TERMINAL:
                    break
                next_job = await anext(rows, None)
                if next_job is None:  # the engine stopped
                    break
                job = next_job
        except sa.exc.SQLAlchemyError as error:
            failures.log(logger, error, f"job {job.id}: stream ended")
        group.cancel_scope.cancel()


@router.get("/jobs/{job_id}/stream", response_class=EventSourceResponse, responses=STREAM_DOC)
async def stream_job(
    job_id: str, request: Request, programs: ProgramsDep, settings: SettingsDep
) -> EventSourceResponse:
    """Live updates of one job as server-sent events (event `job`, data: the Job JSON)."""
    rows = programs.watch(job_id)
    first = await anext(rows)  # an unknown id: 404 before the stream starts
    send, receive = anyio.create_memory_object_stream[ServerSentEvent]()
    shutdown = anyio.Event()

    return EventSourceResponse(
        receive,
        ping=settings.stream_keepalive_seconds,
        headers=HEADERS,
        data_sender_callable=functools.partial(
            _pump, request, programs, rows, first, send, shutdown
        ),
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_SECONDS,
    )

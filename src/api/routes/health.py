"""/api/health: the truth for uptime monitors, answered from a few indexed counts."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response

from api import reads
from api.schemas import HealthOut, JobCounts, json_response
from db import failures
from jobs import clock, queries
from settings import VERSION, Settings

router = APIRouter(prefix="/api", tags=["health"])
MISSED_MONITOR_RUNS = 3  # the contract: degraded after three monitor intervals without a run


def _counts(engine: sa.Engine, settings: Settings) -> dict[str, int]:
    with engine.connect() as connection:
        return queries.counts(connection, stale_seconds=settings.heartbeat_stale_seconds)


@router.head("/health", include_in_schema=False)
@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Degraded"}},
)
async def health(request: Request) -> Response:
    """200 when healthy; 503 `degraded` when the database is unreachable or refuses
    writes (the monitor's write probe, once per tick), the scheduler or monitor is not
    running, or this instance's heartbeats fail (it then takes no new work).

    `async`: on SQLite the one counting statement runs without a thread hop (see
    `reads.run`); everything else here is this process's memory."""
    state = request.app.state
    settings = state.settings
    engine = state.sessions.engine
    counts, database = JobCounts(pending=0, in_progress=0, stale=0), "ok"
    ticks = state.ticks
    try:
        counts = JobCounts(**await reads.run(engine, _counts, engine, settings))
    except Exception as error:
        database = f"error: {failures.describe(error)}"
    else:
        if ticks.storage_error is not None:  # reads work, but the last write probe failed
            database = f"error: {ticks.storage_error}"
    last_run = ticks.monitor_last_run_at
    started = state.started_at
    since = last_run or started
    overdue = clock.utcnow() - since > timedelta(
        seconds=MISSED_MONITOR_RUNS * settings.monitor_interval_seconds
    )
    claiming = state.programs.runner.claiming
    healthy = database == "ok" and ticks.running and not overdue and claiming
    return json_response(
        HealthOut(
            status="ok" if healthy else "degraded",
            database=database,
            scheduler="running" if ticks.running else "stopped",
            monitor_last_run_at=last_run,
            instance_id=state.who.id,
            jobs=counts,
            version=VERSION,
        ),
        status_code=200 if healthy else 503,
    )

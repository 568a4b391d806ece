"""/api/health: the truth for uptime monitors, answered from a few indexed counts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import reads
from api.deps import EngineDep
from api.schemas import HealthOut, JobCounts, json_response
from db import failures
from jobs import queries
from jobs.engine import Engine
from settings import VERSION

router = APIRouter(prefix="/api", tags=["health"])


def _counts(engine: Engine) -> dict[str, int]:
    with engine.sessions.engine.connect() as connection:
        return queries.counts(
            connection, now=engine.clock.now(), stale_seconds=engine.config.stale_seconds
        )


@router.head("/health", include_in_schema=False)
@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Degraded"}},
)
async def health(engine: EngineDep) -> Response:
    """200 when healthy; 503 `degraded` when the database is unreachable or refuses
    writes (the monitor's write probe, once per tick), the scheduler or monitor is not
    running, or this instance's heartbeats fail (it then takes no new work).

    `async`: on SQLite the one counting statement runs without a thread hop (see
    `reads.run`); everything else here is this process's memory."""
    counts, database = JobCounts(pending=0, in_progress=0, stale=0), "ok"
    try:
        counts = JobCounts(**await reads.run(engine.sessions.engine, _counts, engine))
    except Exception as error:
        database = f"error: {failures.describe(error)}"
    own = engine.health()
    if database == "ok" and own.storage_error is not None:  # reads work, writes do not
        database = f"error: {own.storage_error}"
    healthy = (
        database == "ok" and own.scheduler_running and not own.monitor_overdue and own.claiming
    )
    return json_response(
        HealthOut(
            status="ok" if healthy else "degraded",
            database=database,
            scheduler="running" if own.scheduler_running else "stopped",
            monitor_last_run_at=own.monitor_last_run_at,
            instance_id=own.instance_id,
            jobs=counts,
            version=VERSION,
        ),
        status_code=200 if healthy else 503,
    )

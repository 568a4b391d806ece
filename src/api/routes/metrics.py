"""/metrics in Prometheus text format (kept out of the OpenAPI schema)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import MetricsTokenCheck
from jobs import clock, metrics, queries

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[MetricsTokenCheck])
def scrape(request: Request) -> Response:
    """Counters of this process, plus job gauges read from the database now."""
    state = request.app.state
    now = clock.utcnow()
    try:
        with state.sessions.read() as session:
            for status, count in queries.status_counts(session).items():
                metrics.JOBS.labels(status).set(count)
            oldest = queries.oldest_heartbeat(session)
        metrics.OLDEST_HEARTBEAT_AGE.set((now - oldest).total_seconds() if oldest else 0)
    except Exception:  # still export the process's counters while the database is down
        pass
    last = state.ticks.monitor_last_run_at or state.started_at
    metrics.MONITOR_LAG.set((now - last).total_seconds())
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

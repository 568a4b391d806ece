"""/metrics in Prometheus text format (kept out of the OpenAPI schema)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import rejections
from api.deps import EngineDep, MetricsTokenCheck
from jobs import metrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[MetricsTokenCheck])
def scrape(engine: EngineDep) -> Response:
    """Every worker's counters, and the job gauges of the last monitor tick: a scrape
    reads memory and the server's metric files, never the database."""
    text = metrics.render(engine.metrics.registry, rejections.REGISTRY)
    return Response(text, media_type=CONTENT_TYPE_LATEST)

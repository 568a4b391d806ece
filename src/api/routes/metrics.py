"""/metrics in Prometheus text format (kept out of the OpenAPI schema)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import rejections  # noqa: F401  (defines progen_http_requests_rejected_total)
from api.deps import MetricsTokenCheck
from jobs import metrics

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[MetricsTokenCheck])
def scrape() -> Response:
    """Every worker's counters, and the job gauges of the last monitor tick: a scrape
    reads memory and the server's metric files, never the database."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

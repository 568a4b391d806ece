"""The count of requests the edge turned away, by reason (rendered by GET /metrics).

The edge's own registry, beside the engine's (`jobs.metrics.Metrics`): the
middleware that counts host rejections is built with the app, before its
engine exists.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Counter

Reason = Literal["rate_limit", "queue_full", "host", "auth"]

REGISTRY = CollectorRegistry(auto_describe=True)
REJECTED = Counter(
    "progen_http_requests_rejected",
    "Requests refused before any work: rate_limit, queue_full, host or auth",
    ["reason"],
    registry=REGISTRY,
)
for _reason in ("rate_limit", "queue_full", "host", "auth"):
    REJECTED.labels(_reason)  # every series exists from the start, at 0


def count(reason: Reason) -> None:
    """Count one refused request."""
    REJECTED.labels(reason).inc()

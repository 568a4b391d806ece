"""HTTP-level metrics: requests refused before they reach a route's work."""

from __future__ import annotations

from prometheus_client import Counter

from jobs import metrics

REJECTED = Counter(
    "progen_http_requests_rejected",
    "Requests refused, by reason (rate_limit, queue_full, host, auth)",
    ["reason"],
    registry=metrics.REGISTRY,
)
for _reason in ("rate_limit", "queue_full", "host", "auth"):  # each from zero, for rate()
    REJECTED.labels(_reason)

"""The engine's Prometheus metrics, on a registry of its own (rendered by GET /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

JOBS = Gauge("progen_jobs", "Jobs by status, read at scrape time", ["status"], registry=REGISTRY)
OLDEST_HEARTBEAT_AGE = Gauge(
    "progen_oldest_in_progress_heartbeat_age_seconds",
    "Age of the oldest heartbeat among in_progress jobs (0 when none)",
    registry=REGISTRY,
)
MONITOR_LAG = Gauge(
    "progen_monitor_lag_seconds", "Seconds since the monitor last ran", registry=REGISTRY
)
ATTEMPT_SECONDS = Histogram(
    "progen_attempt_duration_seconds",
    "Duration of one attempt, by outcome",
    ["outcome"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900),
    registry=REGISTRY,
)
RECLAIMS = Counter(
    "progen_reclaims",
    "Jobs handed back after losing their worker, by reason",
    ["reason"],
    registry=REGISTRY,
)
HEARTBEAT_FAILURES = Counter(
    "progen_heartbeat_failures", "Heartbeat ticks that could not be written", registry=REGISTRY
)
LEASES_LOST = Counter(
    "progen_leases_lost",
    "Attempts this process stopped because it lost the lease",
    registry=REGISTRY,
)
TOKENS = Counter(
    "progen_tokens", "Model tokens spent by finished steps", ["kind"], registry=REGISTRY
)

"""The engine's Prometheus metrics, and their rendering for GET /metrics.

Under `--workers N` each worker is a process of its own. With
PROMETHEUS_MULTIPROC_DIR set (the server sets it, see `api.metrics_dir`,
before this module is imported), prometheus-client keeps every process's
values in files of that folder and a scrape adds them up, so whichever
worker answers, each number covers the whole server. Without it (an app built
in a test), the values live in this process and REGISTRY renders them.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from jobs.status import TERMINAL

REGISTRY = CollectorRegistry(auto_describe=True)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

SUBMITTED = Counter("progen_jobs_submitted", "Jobs created (committed)", registry=REGISTRY)
FINISHED = Counter(
    "progen_jobs_finished",
    "Jobs that reached a terminal status, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
QUEUE_WAIT = Histogram(
    "progen_job_queue_wait_seconds",
    "From when a job was due (created, retried, or its backoff over) to its claim",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "progen_job_duration_seconds",
    "From creation to a terminal status, by outcome",
    ["outcome"],
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
    registry=REGISTRY,
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
    "Jobs handed back after losing their worker, by reason "
    "(owner_dead, stale_heartbeat, manual_cleanup)",
    ["reason"],
    registry=REGISTRY,
)
# Read from the database by the monitor tick (not per scrape); every worker reads the
# same rows, so the most recent value is the truth.
JOBS = Gauge(
    "progen_jobs",
    "Jobs by status, as of the last monitor tick",
    ["status"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
OLDEST_HEARTBEAT_AGE = Gauge(
    "progen_oldest_in_progress_heartbeat_age_seconds",
    "Age of the oldest heartbeat among in_progress jobs at the last monitor tick (0 when none)",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
# Per live worker, the worst one: a single stalled monitor or a refused write shows.
MONITOR_LAST_RUN = Gauge(
    "progen_monitor_last_run_timestamp_seconds",
    "Unix time of the monitor's last completed run (the oldest among live workers)",
    multiprocess_mode="livemin",
    registry=REGISTRY,
)
DATABASE_WRITABLE = Gauge(
    "progen_database_writable",
    "1 when the monitor's last write probe committed, else 0 (the worst live worker)",
    multiprocess_mode="livemin",
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

for _outcome in TERMINAL:  # every outcome from zero, so rate() sees the first one
    FINISHED.labels(_outcome.value)
for _kind in ("input", "output"):
    TOKENS.labels(_kind)


def multiproc_dir() -> Path | None:
    """The folder the server's processes share their values in, if any."""
    folder = os.environ.get(MULTIPROC_ENV)
    return Path(folder) if folder else None


def render() -> bytes:
    """The Prometheus text of every process of this server (or of this process alone)."""
    folder = multiproc_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    forget_dead_processes(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry)


def forget_dead_processes(folder: Path) -> None:
    """Drop the live-only gauges of workers that are gone (counters and histograms stay:
    what a dead worker counted still happened)."""
    for file in folder.glob("gauge_live*_*.db"):
        pid = int(file.stem.rsplit("_", 1)[1])
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, path=str(folder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True

"""The engine's Prometheus metrics, and their rendering for GET /metrics.

Under `--workers N` each worker is a process of its own. With
PROMETHEUS_MULTIPROC_DIR set (the server sets it, see `api.metrics_dir`,
before this module is imported), prometheus-client keeps every process's
values in files of that folder and a scrape adds them up, so whichever
worker answers, each number covers the whole server. Without it (an app built
in a test), the values live in this process, in the registry of the engine's
own `Metrics` (on its session factory, like its clock: `attach`, `of`).
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
from sqlalchemy.orm import Session

from db.database import Sessions, tagged
from jobs.status import TERMINAL

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METRICS = "progen_metrics"  # in Session.info: the Metrics of this session's factory


class Metrics:
    """One engine's metrics, in a registry of its own: two engines in one process
    count apart (the names are the contract's, so a server runs one engine per process).
    """

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.submitted = Counter(
            "progen_jobs_submitted", "Jobs created (committed)", registry=registry
        )
        self.finished = Counter(
            "progen_jobs_finished",
            "Jobs that reached a terminal status, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.queue_wait = Histogram(
            "progen_job_queue_wait_seconds",
            "From when a job was due (created, retried, or its backoff over) to its claim",
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
            registry=registry,
        )
        self.job_seconds = Histogram(
            "progen_job_duration_seconds",
            "From creation to a terminal status, by outcome",
            ["outcome"],
            buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200),
            registry=registry,
        )
        self.attempt_seconds = Histogram(
            "progen_attempt_duration_seconds",
            "Duration of one attempt, by outcome",
            ["outcome"],
            buckets=(0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900),
            registry=registry,
        )
        self.reclaims = Counter(
            "progen_reclaims",
            "Jobs handed back after losing their worker, by reason "
            "(owner_dead, stale_heartbeat, manual_cleanup)",
            ["reason"],
            registry=registry,
        )
        # Read from the database by the monitor tick (not per scrape); every worker reads
        # the same rows, so the most recent value is the truth.
        self.jobs = Gauge(
            "progen_jobs",
            "Jobs by status, as of the last monitor tick",
            ["status"],
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self.oldest_heartbeat_age = Gauge(
            "progen_oldest_in_progress_heartbeat_age_seconds",
            "Age of the oldest heartbeat among in_progress jobs at the last monitor tick "
            "(0 when none)",
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        # Per live worker, the worst one: a single stalled monitor or a refused write shows.
        self.monitor_last_run = Gauge(
            "progen_monitor_last_run_timestamp_seconds",
            "Unix time of the monitor's last completed run (the oldest among live workers)",
            multiprocess_mode="livemin",
            registry=registry,
        )
        self.database_writable = Gauge(
            "progen_database_writable",
            "1 when the monitor's last write probe committed, else 0 (the worst live worker)",
            multiprocess_mode="livemin",
            registry=registry,
        )
        self.heartbeat_failures = Counter(
            "progen_heartbeat_failures",
            "Heartbeat ticks that could not be written",
            registry=registry,
        )
        self.leases_lost = Counter(
            "progen_leases_lost",
            "Attempts this process stopped because it lost the lease",
            registry=registry,
        )
        self.tokens = Counter(
            "progen_tokens", "Model tokens spent by finished steps", ["kind"], registry=registry
        )
        for outcome in TERMINAL:  # every outcome from zero, so rate() sees the first one
            self.finished.labels(outcome.value)
        for kind in ("input", "output"):
            self.tokens.labels(kind)


def attach(sessions: Sessions) -> Metrics:
    """The metrics of the engine these sessions belong to, made on first use (idempotent)."""
    return sessions.kept(_METRICS, Metrics)


def of(session: Session) -> Metrics:
    """The metrics of the engine this session belongs to."""
    return tagged(session, _METRICS, Metrics)


def multiproc_dir() -> Path | None:
    """The folder the server's processes share their values in, if any."""
    folder = os.environ.get(MULTIPROC_ENV)
    return Path(folder) if folder else None


def render(*registries: CollectorRegistry) -> bytes:
    """The Prometheus text of every process of this server (or, without a shared folder,
    of these registries of this process)."""
    folder = multiproc_dir()
    if folder is None:
        return b"".join(generate_latest(registry) for registry in registries)
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

"""The engine's knobs, in one value: what the runner, the ticks and recovery need.

Built from settings once, at the edge (`settings.Settings.engine_config`);
the engine itself never reads settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineConfig:
    """Concurrency, attempts, intervals and thresholds of one engine."""

    #: attempts that run at once in this process (JOB_CONCURRENCY)
    concurrency: int
    #: attempts a new job gets (JOB_MAX_ATTEMPTS); a manual retry grants as many more
    max_attempts: int
    #: one attempt's limit (JOB_TIMEOUT_SECONDS)
    timeout_seconds: float
    #: base of the exponential backoff between attempts (JOB_RETRY_BACKOFF_SECONDS)
    backoff_base: float
    #: how often leases are renewed (HEARTBEAT_INTERVAL_SECONDS)
    heartbeat_seconds: float
    #: a heartbeat older than this is lost (HEARTBEAT_STALE_SECONDS)
    stale_seconds: float
    #: how often the monitor probes writes and hands back lost jobs (MONITOR_INTERVAL_SECONDS)
    monitor_seconds: float
    #: terminal jobs older than this are pruned (JOB_RETENTION_DAYS)
    retention_days: float
    #: how long `Engine.stop` lets running jobs finish (SHUTDOWN_GRACE_SECONDS)
    shutdown_grace_seconds: float

    @property
    def write_retry_seconds(self) -> float:
        """How long a job's writes are retried through a database outage: after the stale
        threshold the job is lost anyway."""
        return self.stale_seconds

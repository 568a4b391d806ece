"""The scenario of one chaos run: its numbers, their validation, and the servers' settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.postgres import ADMIN_URL

FAULT_KINDS = ("kill", "stop", "term", "dbrestart")


@dataclass
class Config:
    """One chaos run. Every wait is bounded by these numbers."""

    db: str = "postgresql"  # "postgresql" | "sqlite"
    instances: int | None = None  # default: 3 on PostgreSQL, 2 on SQLite
    jobs: int = 60  # jobs submitted over the run
    duration: float = 60.0  # seconds during which jobs arrive and faults happen
    seed: int = 1
    faults: tuple[str, ...] = ("kill", "stop", "term")
    cancels: int | None = None  # running jobs cancelled through another instance (default below)
    database_url: str | None = None  # default: a throw-away database / a temp SQLite file
    admin_url: str = ADMIN_URL  # where a throw-away PostgreSQL database is created
    step_delay: float = 0.25  # GENERATION_STEP_DELAY_SECONDS
    weeks: tuple[int, int] = (3, 8)  # each job has weeks+1 steps
    fault_gap: tuple[float, float] = (3.0, 7.0)  # seconds between two faults
    max_faults: int = 200
    warmup: float = 2.0  # seconds before the first fault
    settle_timeout: float = 120.0  # after the faults: every job must end within this
    heartbeat_interval: float = 1.0
    stale_seconds: float = 3.0
    monitor_interval: float = 1.0
    concurrency: int = 4
    max_attempts: int = 10  # chaos costs attempts; a job that runs out is reported
    shutdown_grace: float = 0.5  # short, so that some SIGTERMs hand jobs back
    backoff: float = 0.5
    sample_interval: float = 0.25
    workdir: Path | None = None  # logs (and the SQLite file); default a temp dir
    json_out: Path | None = None
    quiet: bool = False

    def instance_count(self) -> int:
        """`instances`, or the database's default."""
        if self.instances is not None:
            return self.instances
        return 3 if self.db == "postgresql" else 2

    def cancel_count(self) -> int:
        """`cancels`, or by default one job in ten on PostgreSQL (its multi-instance scenario,
        where a cancel travels by NOTIFY), none on SQLite."""
        if self.cancels is not None:
            return self.cancels
        return self.jobs // 10 if self.db == "postgresql" else 0

    def settings(self) -> dict[str, str]:
        """The documented variables the servers run with."""
        return {
            "GENERATION_STEP_DELAY_SECONDS": f"{self.step_delay:g}",
            "HEARTBEAT_INTERVAL_SECONDS": f"{self.heartbeat_interval:g}",
            "HEARTBEAT_STALE_SECONDS": f"{self.stale_seconds:g}",
            "MONITOR_INTERVAL_SECONDS": f"{self.monitor_interval:g}",
            "JOB_CONCURRENCY": str(self.concurrency),
            "JOB_MAX_ATTEMPTS": str(self.max_attempts),
            "JOB_RETRY_BACKOFF_SECONDS": f"{self.backoff:g}",
            "SHUTDOWN_GRACE_SECONDS": f"{self.shutdown_grace:g}",
        }

    def described(self) -> dict[str, object]:
        """What the report shows of the scenario."""
        return {
            "db": self.db,
            "instances": self.instance_count(),
            "jobs": self.jobs,
            "duration": self.duration,
            "seed": self.seed,
            "faults": list(self.faults),
            "cancels": self.cancel_count(),
            "step_delay": self.step_delay,
            "weeks": list(self.weeks),
            "heartbeat_interval": self.heartbeat_interval,
            "stale_seconds": self.stale_seconds,
            "monitor_interval": self.monitor_interval,
            "concurrency": self.concurrency,
            "max_attempts": self.max_attempts,
        }

    def validate(self) -> None:
        """Raise ValueError, in words, on a scenario that cannot run."""
        if self.db not in ("postgresql", "sqlite"):
            raise ValueError("--db must be postgresql or sqlite")
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; choose from {FAULT_KINDS}")
        if "dbrestart" in self.faults:
            if self.db != "postgresql":
                raise ValueError("dbrestart needs --db postgresql")
            url = make_url(self.database_url or self.admin_url)
            if url.host not in ("127.0.0.1", "localhost"):
                raise ValueError(
                    "dbrestart restarts the local cluster: the database must be on 127.0.0.1"
                )
        if self.instance_count() < (2 if self.faults else 1):
            raise ValueError("faults need at least 2 instances (one must keep serving)")
        if self.cancel_count() and self.instance_count() < 2:
            raise ValueError("cancels across instances need at least 2 instances")
        if self.jobs < 1 or self.duration <= 0:
            raise ValueError("--jobs and --duration must be positive")

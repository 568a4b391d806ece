"""Shared helpers of the benchmark: paths, statistics, counters, machine facts, servers.

Servers and throw-away PostgreSQL databases come from the shared harness (tests/harness).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT / "tests"):  # the service, and the harness
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import harness  # noqa: E402  (src/ and tests/ are on the path only from here)
from db import migrate  # noqa: E402
from db.database import Sessions  # noqa: E402
from jobs.config import EngineConfig  # noqa: E402
from jobs.engine import Engine  # noqa: E402
from programs.service import Programs  # noqa: E402

PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]
REQUEST = {
    "goal": "strength",
    "experience": "beginner",
    "days_per_week": 1,
    "weeks": 1,
    "session_minutes": 30,
    "equipment": ["bodyweight"],
}  # the smallest program: 2 steps


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return float(statistics.median(values))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list (pct in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class StatementCounter:
    """Counts the statements (by kind) and commits an engine sends."""

    statements: Counter[str] = field(default_factory=Counter)
    # what the database ran: an executemany runs its statement once per parameter set
    executions: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # time in the driver, by kind
    commits: int = 0

    def attach(self, engine: sa.Engine) -> None:
        """Listen on `engine`."""
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine, "after_cursor_execute", self._on_answer)
        event.listen(engine, "commit", self._on_commit)

    def _on_statement(
        self, conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        words = statement.split(None, 3)
        kind = words[0].upper() if words else "?"
        if kind in {"INSERT", "DELETE"} and len(words) > 2:
            kind = f"{kind} {words[2]}"
        elif kind == "UPDATE" and len(words) > 1:
            kind = f"UPDATE {words[1]}"
        elif kind == "BEGIN":
            kind = " ".join(words[:2]).upper()
        self.statements[kind] += 1
        self.executions[kind] += len(parameters) if many else 1
        conn.info["bench_sent"] = (kind, time.perf_counter())

    def _on_answer(self, conn: Any, *_args: Any) -> None:
        kind, sent = conn.info.pop("bench_sent", ("?", time.perf_counter()))
        self.seconds[kind] += time.perf_counter() - sent

    def _on_commit(self, _conn: Any) -> None:
        self.commits += 1

    def reset(self) -> None:
        """Forget what was counted."""
        self.statements.clear()
        self.executions.clear()
        self.seconds.clear()
        self.commits = 0

    @property
    def data_statements(self) -> int:
        """Statements that read or write rows (not BEGIN, PRAGMA)."""
        return data_count(self.statements)


def data_count(counts: Mapping[str, int]) -> int:
    """The counts of the kinds that read or write rows (not BEGIN, PRAGMA)."""
    return sum(n for kind, n in counts.items() if not kind.startswith(("BEGIN", "PRAGMA")))


def machine() -> dict[str, Any]:
    """nproc, CPU model, Python, SQLite and PostgreSQL versions."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        pg = (
            subprocess.run(
                [*PG_ADMIN, "-c", "SHOW server_version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unavailable"
        )
    except (OSError, subprocess.TimeoutExpired):
        pg = "unavailable"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "kernel": platform.release(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages now: the machine is shared, say how busy it was."""
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


class Server(harness.Server):
    """A server as the benchmark measures it: the service's default intervals (the figures
    are for those), and a health probe every 10 ms so that startup is timed to 10 ms."""

    def __init__(self, db_url: str, log: Path, *, app: str | None = None, **env: str) -> None:
        super().__init__(db_url, log, settings={}, app=app, **env)

    def start(self, timeout: float = 30, interval: float = 0.01) -> float:
        """Spawn and wait for a healthy /api/health; seconds from spawn to healthy."""
        return super().start(timeout, interval)


@contextmanager
def server(db_url: str, log: Path, *, app: str | None = None, **env: str) -> Iterator[Server]:
    """A started server, stopped (by its pid) on exit."""
    proc = Server(db_url, log, app=app, **env)
    try:
        proc.start()
        yield proc
    finally:
        proc.close()


#: whether any job is still to run; the statuses are literals so both databases answer from
#: the partial indexes, where counting completed jobs would scan the table on every poll
UNFINISHED = (
    "SELECT EXISTS (SELECT 1 FROM program_generation_jobs WHERE status = 'pending')"
    " OR EXISTS (SELECT 1 FROM program_generation_jobs WHERE status = 'in_progress')"
)


def sqlite_unfinished(path: Path) -> bool:
    """Whether a job in the SQLite file is pending or running (cheap enough to poll)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        return bool(conn.execute(UNFINISHED).fetchone()[0])


def sqlite_count(path: Path, status: str) -> int:
    """Jobs in `status`, read straight from the SQLite file (no server involved)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM program_generation_jobs WHERE status = ?", (status,)
        ).fetchone()
    return int(row[0])


def log(message: str) -> None:
    """Progress on stderr, so stdout keeps only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class InProcess:
    """The job engine without HTTP: a started engine and the service on it."""

    engine: Engine
    service: Programs


def engine_config(*, concurrency: int, timeout: float) -> EngineConfig:
    """The benchmark's engine: its ticks never fire within a run (a benchmark that
    measures them calls them itself), so the figures are the runner's alone."""
    return EngineConfig(
        concurrency=concurrency,
        max_attempts=3,
        timeout_seconds=timeout,
        backoff_base=1,
        heartbeat_seconds=3600,
        stale_seconds=90,
        monitor_seconds=3600,
        retention_days=30,
        shutdown_grace_seconds=0,
    )


async def in_process(engine: Any, handler: Any, *, concurrency: int, timeout: float) -> InProcess:
    """Migrate, then start an engine (register, sweep, ticks, runner) and the service on it."""
    migrate.upgrade(engine)
    config = engine_config(concurrency=concurrency, timeout=timeout)
    jobs = Engine(sessions=Sessions(engine), config=config, handler=handler)
    await jobs.start()
    service = Programs(engine=jobs, generator=handler)  # only its total_steps() is used
    return InProcess(jobs, service)

"""Engine throughput in-process (Programs.submit + Engine), and SQLite's physical limit."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import (
    REQUEST,
    UNFINISHED,
    StatementCounter,
    data_count,
    in_process,
    log,
)
from db.database import make_engine
from harness.postgres import throwaway
from jobs.steps import JSON, StepResult
from programs.schemas import ProgramRequest

RUN_TIMEOUT_SECONDS = 120  # a run that takes longer is broken, not slow
SUBMITTERS = 16  # concurrent callers of submit, as 16 HTTP connections would be


class OneStep:
    """A StepHandler whose single step returns at once."""

    name = "one-step"

    def total_steps(self, payload: JSON) -> int:
        """Always one step."""
        return 1

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        """Return at once."""
        return StepResult({"ok": True}, "done")

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        """A tiny result."""
        return {"ok": True}


@dataclass
class EngineRun:
    """One engine run's figures."""

    jobs: int
    seconds: float
    statements: dict[str, int]
    executions: dict[str, int]  # an executemany counts once per parameter set
    statement_seconds: dict[str, float]  # time in the database driver, by kind
    commits: int

    @property
    def jobs_per_second(self) -> float:
        """Jobs from first submit to last completion, per second."""
        return self.jobs / self.seconds


def _completed(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text("SELECT count(*) FROM program_generation_jobs WHERE status = 'completed'")
            )
            or 0
        )


def _unfinished(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.text(UNFINISHED)))


async def _run(url: str, jobs: int, concurrency: int) -> EngineRun:
    engine = make_engine(url)
    watcher = make_engine(url)  # counts completions; not counted itself
    setup = await in_process(engine, OneStep(), concurrency=concurrency, timeout=60)
    counter = StatementCounter()
    counter.attach(engine)  # before the claim loop's first turn, as before
    service = setup.service
    request = ProgramRequest.model_validate(REQUEST)
    started = time.perf_counter()

    left = iter(range(jobs))  # shared: each caller takes the next job until none is left

    async def caller() -> None:
        for _ in left:
            await service.submit(request, None)

    submitting = asyncio.gather(*(caller() for _ in range(SUBMITTERS)))
    deadline = started + RUN_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.02)  # polling the count costs the database too
        if submitting.done() and not await asyncio.to_thread(_unfinished, watcher):
            break
    else:
        raise TimeoutError(f"{jobs} jobs not completed within {RUN_TIMEOUT_SECONDS} s")
    seconds = time.perf_counter() - started
    await submitting
    if (done := _completed(watcher)) != jobs:
        raise RuntimeError(f"{done} of {jobs} jobs completed")
    statements, executions = dict(counter.statements), dict(counter.executions)
    spent, commits = dict(counter.seconds), counter.commits
    await setup.engine.stop(0)
    engine.dispose()
    watcher.dispose()
    return EngineRun(jobs, seconds, statements, executions, spent, commits)


def run_sqlite(jobs: int, concurrency: int = 8) -> EngineRun:
    """One engine run on a fresh SQLite file."""
    with tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp:
        return asyncio.run(_run(f"sqlite:///{tmp}/engine.db", jobs, concurrency))


def run_postgres(jobs: int, concurrency: int = 8) -> EngineRun:
    """One engine run on a throw-away PostgreSQL database."""
    with throwaway("progen_bench") as url:
        return asyncio.run(_run(url, jobs, concurrency))


def sqlite_commits_per_second(seconds: float = 2.0) -> float:
    """Single-row write transactions per second on a file with the service's settings."""
    with (
        tempfile.TemporaryDirectory(prefix="progen-bench-") as tmp,
        closing(sqlite3.connect(f"{tmp}/limit.db", isolation_level=None, timeout=10)) as conn,
    ):
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO t VALUES (1, 0)")
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(100):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE t SET n = n + 1 WHERE id = 1")
                conn.execute("COMMIT")
            done += 100
        return done / elapsed


def per_job(run: EngineRun) -> dict[str, Any]:
    """Statements sent, statements executed and commits one job costs, by kind."""
    return {
        "statements": data_count(run.statements) / run.jobs,
        "executions": data_count(run.executions) / run.jobs,
        "commits": run.commits / run.jobs,
        "by_kind": {
            kind: round(n / run.jobs, 3)
            for kind, n in sorted(run.executions.items(), key=lambda item: -item[1])
        },
    }


def main() -> None:
    """`python -m bench.engine [--jobs N] [--postgres] [--profile FILE]`: one run, printed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    args = parser.parse_args()
    runner = run_postgres if args.postgres else run_sqlite
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(async_mode="disabled") as profiler:
            run = runner(args.jobs)
        args.profile.write_text(profiler.output_text(unicode=True, show_all=False))
    else:
        run = runner(args.jobs)
    log(f"{run.jobs_per_second:.0f} jobs/s; per job {per_job(run)}")
    driver = sum(run.statement_seconds.values())
    log(
        f"statements spent {driver:.2f} s of {run.seconds:.2f} s in the driver: "
        + ", ".join(
            f"{kind} {ms:.3f} ms/job"
            for kind, ms in sorted(
                ((k, v / run.jobs * 1000) for k, v in run.statement_seconds.items()),
                key=lambda item: -item[1],
            )
        )
    )
    log(f"sqlite single-row commits/s: {sqlite_commits_per_second():.0f}")


if __name__ == "__main__":
    main()

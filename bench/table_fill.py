"""Fill the jobs table with finished jobs, fast: INSERT ... SELECT over a generated series.

Each filled job is a completed 1-week program (a real template program as its result and
steps) created within the last 30 days, with its three event rows (created, claimed,
completed), as the service would have left it. The ids sort before any new UUIDv7, so new
jobs still land on the last page of the id index. Rows go in chunks, so a slow fill stops
at its time budget and says how far it got.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import sqlalchemy as sa

from bench.common import REQUEST, log
from db import migrate
from db.database import make_engine
from programs.generators.template import TemplateGenerator

CHUNK = 50_000
ID = {  # the job id of series number i: a fixed UUIDv7-shaped prefix, then i
    "sqlite": "printf('00000000-0000-7000-8000-%012d', i)",
    "postgresql": "'00000000-0000-7000-8000-' || lpad(i::text, 12, '0')",
}
AT = {  # 30 days ago plus i ms, plus `extra` seconds
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now', '-30 days', "
    "printf('+%d.%03d seconds', i / 1000 + {extra}, i % 1000))",
    "postgresql": "now() - interval '30 days' + i * interval '1 ms' + interval '{extra} s'",
}
SERIES = {
    "sqlite": "WITH RECURSIVE s(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM s WHERE i < :hi) "
    "SELECT {columns} FROM s",
    "postgresql": "SELECT {columns} "
    "FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS s(i)",
}
JSON_VALUE = {"sqlite": ":{}", "postgresql": "CAST(:{} AS jsonb)"}  # a JSON bind parameter
JOB_FIELDS = ("request", "result", "steps")
EVENTS = (  # (seconds after creation, from, to, attempt, reason)
    (0, None, "pending", 0, "created"),
    (1, "pending", "in_progress", 1, "claimed"),
    (2, "in_progress", "completed", 1, "completed"),
)


def finished_job() -> dict[str, Any]:
    """The request, steps and result of a real 1-week template program, as JSON text."""
    generator = TemplateGenerator()

    async def generate() -> list[Any]:
        done: list[Any] = []
        for index in range(generator.total_steps(REQUEST)):
            done.append((await generator.run_step(REQUEST, index, done)).output)
        return done

    steps = asyncio.run(generate())
    result = generator.result(REQUEST, steps)
    values = {"request": REQUEST, "steps": steps, "result": result}
    return {name: json.dumps(values[name]) for name in JOB_FIELDS}


def _statements(dialect: str) -> list[str]:
    """The INSERT ... SELECT for jobs, then one per event row, for series lo..hi."""
    at, job_id = AT[dialect], ID[dialect]
    request, result, steps = (JSON_VALUE[dialect].format(name) for name in JOB_FIELDS)
    job_columns = (
        "id, status, request, result, attempts, max_attempts, cancel_requested, steps, "
        "steps_done, total_steps, progress_message, recoveries, created_at, updated_at, "
        "started_at, finished_at"
    )
    values = (
        f"{job_id}, 'completed', {request}, {result}, 1, 3, false, {steps}, 2, 2, "
        f"'week 1 of 1 written', 0, {at.format(extra=0)}, {at.format(extra=2)}, "
        f"{at.format(extra=1)}, {at.format(extra=2)}"
    )
    series = SERIES[dialect]
    jobs = f"INSERT INTO program_generation_jobs ({job_columns}) " + series.format(columns=values)
    events = []
    for extra, before, after, attempt, reason in EVENTS:
        old = "NULL" if before is None else f"'{before}'"
        columns = f"{job_id}, {at.format(extra=extra)}, {old}, '{after}', {attempt}, '{reason}', ''"
        events.append(
            "INSERT INTO job_events (job_id, at, from_status, to_status, attempt, reason, message) "
            + series.format(columns=columns)
        )
    return [jobs, *events]


def fill(db_url: str, rows: int, budget_seconds: float) -> dict[str, float]:
    """Migrate, then insert `rows` finished jobs and their events in chunks of CHUNK, stopping
    once `budget_seconds` have passed; returns the rows reached and the seconds taken."""
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        statements = [sa.text(s) for s in _statements(engine.dialect.name)]
        job = finished_job()
        started, done = time.monotonic(), 0
        for lo in range(1, rows + 1, CHUNK):
            if time.monotonic() - started > budget_seconds:
                log(f"fill: budget of {budget_seconds:.0f} s spent at {done} rows")
                break
            hi = min(lo + CHUNK - 1, rows)
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(statement, {"lo": lo, "hi": hi, **job})
            done = hi
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        return {"rows": done, "fill_s": time.monotonic() - started}
    finally:
        engine.dispose()

"""Small builders: jobs reach each state through the store, as in production."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db.database import Sessions
from harness.servers import PROGEN_VARIABLES
from jobs import clock, instances, store
from jobs.config import EngineConfig
from jobs.models import Job

REQUEST: dict[str, Any] = {
    "goal": "strength",
    "experience": "intermediate",
    "days_per_week": 3,
    "weeks": 4,
    "session_minutes": 60,
    "equipment": ["barbell", "dumbbells"],
    "notes": "",
}


def engine_config(**overrides: Any) -> EngineConfig:
    """Fast test knobs (no backoff, short intervals); override any field by name."""
    values: dict[str, Any] = {
        "concurrency": 2,
        "max_attempts": 3,
        "timeout_seconds": 30,
        "backoff_base": 0,
        "heartbeat_seconds": 1,
        "stale_seconds": 3,
        "monitor_seconds": 1,
        "retention_days": 30,
        "shutdown_grace_seconds": 0,
    }
    values.update(overrides)
    return EngineConfig(**values)


def make_request(**overrides: Any) -> dict[str, Any]:
    """A valid ProgramRequest payload."""
    return {**REQUEST, **overrides}


def create(
    sessions: Sessions, *, max_attempts: int = 3, total: int = 5, **request: Any
) -> store.JobRow:
    """A new pending job."""
    with sessions.write() as session:
        return store.create(
            session, payload=make_request(**request), max_attempts=max_attempts, total_steps=total
        )


def running(
    sessions: Sessions, *, owner: str = "peer:1:abc", heartbeat_age: float = 0, **kwargs: Any
) -> store.Lease:
    """A job claimed by `owner`, its heartbeat `heartbeat_age` seconds old."""
    job = create(sessions, **kwargs)
    clock.attach(sessions).shift(
        timedelta(seconds=-heartbeat_age)
    )  # claim in the past: an aged heartbeat
    with sessions.write() as session:
        claimed = store.claim(session, owner=owner, limit=1)
    clock.attach(sessions).shift(timedelta(seconds=heartbeat_age))
    assert [j.id for j in claimed] == [job.id]
    return store.lease_of(claimed[0])


def register(sessions: Sessions, who: instances.Me) -> None:
    """An instance row for `who`."""
    with sessions.write() as session:
        instances.register(session, who=who)


def load(sessions: Sessions, job_id: str) -> Job:
    """The job as stored now."""
    with sessions.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


# --- API test helpers -------------------------------------------------------------------------

PROGEN_ENV = PROGEN_VARIABLES  # every variable of the contract, named once in the harness


def app_settings(db_url: str, **overrides: Any) -> Any:
    """Fast, offline Settings for an app under test (fields by name, never from the env)."""
    from settings import Settings

    values: dict[str, Any] = {
        "database_url": db_url,
        "generator": "template",
        "heartbeat_interval_seconds": 1,
        "heartbeat_stale_seconds": 3,
        "monitor_interval_seconds": 1,
        "shutdown_grace_seconds": 0,
        "job_retry_backoff_seconds": 0,
        "allowed_hosts": "testserver,localhost,127.0.0.1",  # TestClient's Host is testserver
        "submit_rate_per_minute": 0,  # tests submit in bursts; the limit has its own tests
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def until(check: Any, timeout: float = 10.0) -> Any:
    """Await until `check()` returns something truthy, and return it (bounded polling on the
    event loop, for the engine's own tests); fail after `timeout` seconds."""
    for _ in range(int(timeout / 0.02)):
        if value := check():
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_for(probe: Any, *, timeout: float = 10, interval: float = 0.05) -> Any:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 1):
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")


def sqlite_plans(engine: sa.Engine, run: Callable[[], Any]) -> list[str]:
    """SQLite's query plan lines for the reads and writes `run` sends through `engine`."""
    sent: list[tuple[str, Any]] = []

    def listener(_conn, _cursor, statement, params, _context, _many) -> None:
        if statement.lstrip().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
            sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    with engine.connect() as conn:
        return [
            row[3]
            for statement, params in sent
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        ]

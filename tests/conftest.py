"""Shared fixtures: a migrated database per test, and sessions (with their own clock)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from db import migrate
from db.database import Sessions, make_engine
from jobs import journal


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


PG_URL = os.environ.get("TEST_POSTGRES_URL")  # scripts/test.sh and .ci/run set it


@pytest.fixture(scope="session")
def _postgres() -> Iterator[sa.Engine]:
    engine = make_engine(PG_URL or "")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Every test that takes a database runs on a fresh SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'progen.db'}"
    if not PG_URL:
        pytest.skip("TEST_POSTGRES_URL is not set (scripts/test.sh sets it when PostgreSQL runs)")
    engine = request.getfixturevalue("_postgres")
    with engine.begin() as conn:  # a clean slate; the schema stays migrated
        conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(sa.text("TRUNCATE job_events, program_generation_jobs, instances"))
    return PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> Sessions:
    return journal.attach(Sessions(engine))

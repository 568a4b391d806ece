"""Shared fixtures: a migrated database per test, sessions, and the movable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from db import migrate
from db.database import Sessions, make_engine
from jobs import clock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'progen.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> Sessions:
    return Sessions(engine)


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.reset()

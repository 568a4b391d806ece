"""The one clock of the engine: aware UTC, aligned to the database's clock.

Timestamps that several hosts compare (heartbeats, retry times) must come
from one clock. On PostgreSQL that is the server's `now()`: `align()`
measures how far this host's clock is off it (at startup and on every
heartbeat tick), and `utcnow()` applies the correction, so no statement
needs an extra round trip to ask the database for the time. SQLite lives on
one host, whose clock is the database's. Tests move the clock with `shift()`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

_test_offset = timedelta(0)
_db_offset = timedelta(0)


def utcnow() -> datetime:
    """Now, in UTC, on the database's clock (and shifted by whatever a test asked for)."""
    return datetime.now(UTC) + _db_offset + _test_offset


def align(session: Session) -> timedelta:
    """Measure this host's offset from the database clock (PostgreSQL only) and apply it."""
    global _db_offset
    if session.get_bind().dialect.name != "postgresql":
        return _db_offset
    before = time.time()
    server: datetime = session.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
    after = time.time()
    local = datetime.fromtimestamp((before + after) / 2, UTC)  # the midpoint of the round trip
    _db_offset = server - local
    return _db_offset


def shift(by: timedelta) -> None:
    """Move the clock (tests only): lets a test age heartbeats without sleeping."""
    global _test_offset
    _test_offset += by


def reset() -> None:
    """Put the test shift back to zero."""
    global _test_offset
    _test_offset = timedelta(0)

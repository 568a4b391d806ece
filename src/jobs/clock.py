"""The clock of an engine: aware UTC, aligned to its database's clock.

Timestamps that several hosts compare (heartbeats, retry times) must come
from one clock. On PostgreSQL that is the server's `now()`: `align()`
measures how far this host's clock is off it (at startup and on every
heartbeat tick), and `now()` applies the correction, so no statement
needs an extra round trip to ask the database for the time. SQLite lives on
one host, whose clock is the database's.

The offset belongs to one database as this process sees it, so a `Clock`
lives on the engine's session factory (`attach`), not in a module global:
two engines on two databases keep their own, and the store finds the one of
the session it writes with (`of`). Tests move an engine's clock with `shift()`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.database import Sessions, tagged

_CLOCK = "progen_clock"  # in Session.info: the Clock of this session's factory


class Clock:
    """Now, on one database's clock, plus whatever a test shifted it by."""

    def __init__(self) -> None:
        self._db_offset = timedelta(0)
        self._test_offset = timedelta(0)

    def now(self) -> datetime:
        """Now, in UTC, on the database's clock."""
        return datetime.now(UTC) + self._db_offset + self._test_offset

    def align(self, session: Session) -> timedelta:
        """Measure this host's offset from the database clock (PostgreSQL only) and apply it."""
        if session.get_bind().dialect.name != "postgresql":
            return self._db_offset
        before = time.time()
        server: datetime = session.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
        after = time.time()
        local = datetime.fromtimestamp((before + after) / 2, UTC)  # the round trip's midpoint
        self._db_offset = server - local
        return self._db_offset

    def shift(self, by: timedelta) -> None:
        """Move the clock (tests only): lets a test age heartbeats without sleeping."""
        self._test_offset += by

    def reset(self) -> None:
        """Put the test shift back to zero."""
        self._test_offset = timedelta(0)


def attach(sessions: Sessions) -> Clock:
    """The clock of these sessions' database, made on first use (idempotent)."""
    return sessions.kept(_CLOCK, Clock)


def of(session: Session) -> Clock:
    """The clock of the engine this session belongs to."""
    return tagged(session, _CLOCK, Clock)

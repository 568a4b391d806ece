"""The store's deferred inserts, and the commit hooks of the engine's sessions.

New jobs (without an idempotency key) and event rows are queued on the
session and inserted together, one statement per table for a whole group
commit instead of one per submit or transition: before the transaction's
next claim (`insert_queued(session, [JOBS])`) and at its commit. They are
in the same commit as their transitions, in the order they happened.

The hooks are registered on the engine's own session factories (`attach`),
not on SQLAlchemy's `Session` class: importing the engine changes no other
code's sessions. A store write on sessions without them raises, rather than
losing its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.database import Sessions
from jobs import clock, metrics, report
from jobs.models import EVENTS, JOBS

_ATTACHED = "progen_journal"  # in Session.info: this session's factory has the hooks
_QUEUED = "progen_queued"  # in Session.info: {table: rows} this transaction has yet to insert
_INSERT = {JOBS: sa.insert(JOBS), EVENTS: sa.insert(EVENTS)}


def attach(sessions: Sessions) -> Sessions:
    """Make these sessions ready for the store's writes (idempotent): give them the
    journal's commit hooks, a clock (`jobs.clock`) and metrics (`jobs.metrics`), the
    engine's own; returns them."""
    clock.attach(sessions)
    metrics.attach(sessions)  # what `report.committed` counts into
    sessions.listen("before_commit", insert_queued, mark=_ATTACHED)
    sessions.listen("after_commit", report.committed, mark=_ATTACHED)
    sessions.listen("after_transaction_end", report.ended, mark=_ATTACHED)
    return sessions


def queue(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table` with this transaction, before its commit."""
    if not session.info.get(_ATTACHED):
        raise RuntimeError(
            "this session's factory has no journal: build it with jobs.journal.attach(sessions)"
        )
    session.info.setdefault(_QUEUED, {}).setdefault(table, []).extend(rows)


def insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table` now (a keyed job, whose duplicate must fail here)."""
    session.connection().execute(_INSERT[table], rows)


def insert_queued(session: Session, tables: Sequence[sa.Table] = (JOBS, EVENTS)) -> None:
    """Insert the rows queued so far in `tables`, one statement per table (Core: the ORM
    costs more); jobs first, as events refer to them."""
    queued = session.info.get(_QUEUED, {})
    for table in tables:
        if rows := queued.get(table):
            insert(session, table, rows)
            queued[table] = []

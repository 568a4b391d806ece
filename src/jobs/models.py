"""The engine's tables: jobs, their events, and the instance registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime
from jobs.status import JobStatus

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _only(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


class Job(Base):
    """One program generation job; the row is the truth about it.

    The indexes are partial, each holding only the rows its queries look at
    (pending ones for claims, running ones for heartbeats and owners,
    finished ones for retention): a job's transitions then touch a few index
    entries instead of every status-led index twice, which on SQLite is
    fewer pages per commit and on PostgreSQL fewer index writes per UPDATE.
    Queries name the status as a literal (`status_is`) so the planner can
    match the index's condition.
    """

    __tablename__ = "program_generation_jobs"
    __table_args__ = (
        sa.Index("ix_jobs_pending", "created_at", "id", **_only("status = 'pending'")),  # claims
        sa.Index("ix_jobs_running", "heartbeat_at", **_only("status = 'in_progress'")),
        sa.Index("ix_jobs_running_owner", "owner", **_only("status = 'in_progress'")),
        sa.Index("ix_jobs_finished", "finished_at", **_only("finished_at IS NOT NULL")),
        sa.Index("ix_jobs_created", "created_at", "id"),  # pages, newest first
        sa.UniqueConstraint("idempotency_scope", "idempotency_key"),  # a key is per caller
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.PENDING.value)
    request: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    #: instance id of the process holding the lease while in_progress
    owner: Mapped[str | None] = mapped_column(sa.String(80), default=None)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    #: saved outputs of finished steps, in order; a new attempt resumes after them
    steps: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    #: len(steps), so reading progress never loads the step outputs
    steps_done: Mapped[int] = mapped_column(default=0, server_default="0")
    total_steps: Mapped[int | None] = mapped_column(default=None)
    progress_message: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    usage: Mapped[dict[str, int] | None] = mapped_column(JSONType, default=None)
    recoveries: Mapped[int] = mapped_column(default=0)
    recovery_note: Mapped[str | None] = mapped_column(sa.String(300), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255))
    #: whose key it is: "token" when API_TOKEN is set, else the client's address
    idempotency_scope: Mapped[str | None] = mapped_column(sa.String(80), default=None)
    request_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class JobEvent(Base):
    """One status change of a job, with the reason code and the words for it."""

    __tablename__ = "job_events"
    __table_args__ = (sa.Index("ix_job_events_job", "job_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(
        sa.ForeignKey("program_generation_jobs.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    attempt: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    instance_id: Mapped[str | None] = mapped_column(sa.String(80), default=None)


class Instance(Base):
    """One process's life: the orphan rules judge a job's owner by this row."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    hostname: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def status_is(*statuses: JobStatus) -> sa.ColumnElement[bool]:
    """`status = 'x'` (or IN) with literal values: a planner can match a partial
    index's `status = 'pending'` against a literal, never against a parameter."""
    literals: list[sa.ColumnElement[str]] = [
        sa.literal_column(f"'{status.value}'") for status in statuses
    ]
    column = Job.__table__.c.status
    return column == literals[0] if len(literals) == 1 else column.in_(literals)


#: the tables themselves (declarative tables are `Table`s), for Core statements
JOBS, EVENTS = cast(sa.Table, Job.__table__), cast(sa.Table, JobEvent.__table__)

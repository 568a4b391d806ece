"""The engine's tables: jobs, their events, and the instance registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime
from jobs.status import JobStatus

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Job(Base):
    """One program generation job; the row is the truth about it."""

    __tablename__ = "program_generation_jobs"
    __table_args__ = (
        sa.Index("ix_jobs_status_next_attempt", "status", "next_attempt_at", "created_at"),
        sa.Index("ix_jobs_status_created", "status", "created_at", "id"),  # claims, in order
        sa.Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
        sa.Index("ix_jobs_owner_status", "owner", "status"),
        sa.Index("ix_jobs_created", "created_at", "id"),
        sa.Index("ix_jobs_status_finished", "status", "finished_at"),
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
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
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

"""Read-only questions about jobs: pages, events, counts. Nothing here writes."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.errors import InvalidCursor, JobNotFound
from jobs.models import Job, JobEvent, status_is
from jobs.status import JobStatus

JobView = sa.Row[Any]  # a job as the API shows it: attribute access like a Job, no ORM state
_SHOWN = (
    "id", "status", "request", "result", "error", "attempts", "max_attempts", "owner",
    "cancel_requested", "steps_done", "total_steps", "progress_message", "usage", "recoveries",
    "recovery_note", "created_at", "updated_at", "started_at", "finished_at", "heartbeat_at",
    "progress_at", "next_attempt_at",
)  # fmt: skip
#: Exactly the columns the API shows (never the step outputs), as Core: a poll skips the
#: ORM's identity map and per-object state (0.24 ms against 0.6 ms for `session.get`).
VIEW_COLUMNS = tuple(Job.__table__.c[name] for name in _SHOWN)
Columns = tuple[sa.ColumnElement[Any], ...]


@functools.lru_cache(maxsize=8)
def _view_one(columns: Columns) -> sa.Select[Any]:
    """One job's row of these columns, built once per set."""
    return sa.select(*columns).where(Job.id == sa.bindparam("job_id"))


def view(connection: sa.Connection, job_id: str, columns: Columns = VIEW_COLUMNS) -> JobView:
    """The job's shown columns (or these), or JobNotFound."""
    row = connection.execute(_view_one(columns), {"job_id": job_id}).one_or_none()
    if row is None:
        raise JobNotFound(f"no job has id {job_id}")
    return row


def by_idempotency_key(session: Session, key: str, scope: str) -> Job | None:
    """The job this caller (`scope`) created with this Idempotency-Key, if any."""
    return session.scalar(
        sa.select(Job).where(Job.idempotency_scope == scope, Job.idempotency_key == key)
    )


def events(session: Session, job_id: str) -> list[JobEvent]:
    """Every status change of a job, oldest first."""
    if session.scalar(sa.select(Job.id).where(Job.id == job_id)) is None:
        raise JobNotFound(f"no job has id {job_id}")
    query = sa.select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
    return list(session.scalars(query))


def _encode(job: JobView) -> str:
    raw = json.dumps([job.created_at.isoformat(), job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when.astimezone(UTC), str(job_id)
    except (binascii.Error, ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor("cursor is not one this service gave out") from error


def page(
    connection: sa.Connection,
    *,
    statuses: Sequence[JobStatus],
    limit: int,
    cursor: str | None,
    columns: Columns = VIEW_COLUMNS,
) -> tuple[list[JobView], str | None]:
    """Newest first, `limit` at a time; the cursor continues after the last job returned.
    `columns` must include `id` and `created_at` (the cursor's)."""
    query = sa.select(*columns).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)
    if statuses:
        query = query.where(Job.status.in_([status.value for status in statuses]))
    if cursor:
        created, job_id = _decode(cursor)
        query = query.where(
            sa.or_(Job.created_at < created, sa.and_(Job.created_at == created, Job.id < job_id))
        )
    jobs: list[JobView] = list(connection.execute(query))
    more = len(jobs) > limit
    jobs = jobs[:limit]
    return jobs, (_encode(jobs[-1]) if more and jobs else None)


def _count(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(Job).where(*where).scalar_subquery()


_RUNNING = status_is(JobStatus.IN_PROGRESS)
_CUTOFF = sa.bindparam("cutoff", type_=Job.heartbeat_at.type)
#: One statement, built once; each count reads only its partial index (ix_jobs_pending,
#: ix_jobs_running), never the table or its finished jobs.
_COUNTS = sa.select(
    _count(status_is(JobStatus.PENDING)),
    _count(_RUNNING),
    _count(_RUNNING, Job.heartbeat_at.is_(None)) + _count(_RUNNING, Job.heartbeat_at < _CUTOFF),
)


def counts(connection: sa.Connection, *, now: datetime, stale_seconds: float) -> dict[str, int]:
    """Pending, in_progress and stale (in_progress with an old or no heartbeat at `now`)
    counts."""
    cutoff = now - timedelta(seconds=stale_seconds)
    pending, running, stale = connection.execute(_COUNTS, {"cutoff": cutoff}).one()
    return {"pending": pending, "in_progress": running, "stale": stale}


def status_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each status (for /metrics)."""
    rows = session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status))
    found = dict(rows.all())
    return {status.value: int(found.get(status.value, 0)) for status in JobStatus}


def oldest_heartbeat(session: Session) -> datetime | None:
    """The oldest heartbeat among in_progress jobs."""
    return session.scalar(
        sa.select(sa.func.min(Job.heartbeat_at)).where(_RUNNING)  # ix_jobs_running
    )


# Built once: a statement built per call pays SQLAlchemy's cache key on every submit.
_PENDING_UP_TO = sa.select(sa.func.count()).select_from(
    sa.select(Job.id).where(status_is(JobStatus.PENDING)).limit(sa.bindparam("n")).subquery()
)


def pending_up_to(connection: sa.Connection, limit: int) -> int:
    """How many jobs are pending, counted up to `limit`: reads at most `limit` entries of
    ix_jobs_pending however long the queue is (admission's cap check)."""
    return int(connection.execute(_PENDING_UP_TO, {"n": limit}).scalar_one())


@functools.lru_cache(maxsize=8)
def _view_many(columns: Columns) -> sa.Select[Any]:
    return sa.select(*columns).where(Job.id.in_(sa.bindparam("job_ids", expanding=True)))


def views(
    connection: sa.Connection, job_ids: Sequence[str], columns: Columns = VIEW_COLUMNS
) -> list[JobView]:
    """These jobs' shown columns (or these), in one query; unknown ids are left out."""
    return list(connection.execute(_view_many(columns), {"job_ids": list(job_ids)}))


_UPDATED = sa.select(Job.id, Job.updated_at).where(Job.id.in_(sa.bindparam("ids", expanding=True)))


def updated(connection: sa.Connection, job_ids: Sequence[str]) -> dict[str, datetime]:
    """When each of these jobs last changed (`updated_at`), by id."""
    return {row.id: row.updated_at for row in connection.execute(_UPDATED, {"ids": list(job_ids)})}


_CANCELS = sa.select(Job.id, Job.attempts).where(
    status_is(JobStatus.IN_PROGRESS),  # ix_jobs_running_owner
    Job.owner == sa.bindparam("owner"),
    Job.cancel_requested.is_(True),
)


def cancels_requested(connection: sa.Connection, owner: str) -> list[tuple[str, int]]:
    """(job id, attempt) of the running jobs of `owner` whose cancel was requested."""
    return [(row.id, row.attempts) for row in connection.execute(_CANCELS, {"owner": owner})]

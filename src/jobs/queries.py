"""Read-only questions about jobs: pages, events, counts. Nothing here writes."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Session

from jobs import clock
from jobs.errors import InvalidCursor, JobNotFound
from jobs.models import Job, JobEvent
from jobs.status import JobStatus

WITHOUT_STEPS = (orm.defer(Job.steps),)  # what a poll shows never needs the step outputs


def get(session: Session, job_id: str) -> Job:
    """The job, or JobNotFound."""
    job = session.get(Job, job_id, options=WITHOUT_STEPS)
    if job is None:
        raise JobNotFound(f"no job has id {job_id}")
    return job


def by_idempotency_key(session: Session, key: str) -> Job | None:
    """The job created with this Idempotency-Key, if any."""
    return session.scalar(sa.select(Job).where(Job.idempotency_key == key))


def events(session: Session, job_id: str) -> list[JobEvent]:
    """Every status change of a job, oldest first."""
    get(session, job_id)
    query = sa.select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
    return list(session.scalars(query))


def _encode(job: Job) -> str:
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
    session: Session, *, statuses: Sequence[JobStatus], limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """Newest first, `limit` at a time; the cursor continues after the last job returned."""
    query = (
        sa.select(Job)
        .options(*WITHOUT_STEPS)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit + 1)
    )
    if statuses:
        query = query.where(Job.status.in_([status.value for status in statuses]))
    if cursor:
        created, job_id = _decode(cursor)
        query = query.where(
            sa.or_(Job.created_at < created, sa.and_(Job.created_at == created, Job.id < job_id))
        )
    jobs = list(session.scalars(query))
    more = len(jobs) > limit
    jobs = jobs[:limit]
    return jobs, (_encode(jobs[-1]) if more and jobs else None)


def counts(session: Session, *, stale_seconds: float) -> dict[str, int]:
    """Pending, in_progress and stale (in_progress with an old heartbeat) counts."""
    cutoff = clock.utcnow() - timedelta(seconds=stale_seconds)
    pending, running = JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value
    silent = sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff)
    row = session.execute(
        sa.select(
            sa.func.count().filter(Job.status == pending),
            sa.func.count().filter(Job.status == running),
            sa.func.count().filter(Job.status == running, silent),
        ).where(Job.status.in_([pending, running]))
    ).one()
    return {"pending": row[0], "in_progress": row[1], "stale": row[2]}


def status_counts(session: Session) -> dict[str, int]:
    """How many jobs are in each status (for /metrics)."""
    rows = session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status))
    found = dict(rows.all())
    return {status.value: int(found.get(status.value, 0)) for status in JobStatus}


def oldest_heartbeat(session: Session) -> datetime | None:
    """The oldest heartbeat among in_progress jobs."""
    return session.scalar(
        sa.select(sa.func.min(Job.heartbeat_at)).where(Job.status == JobStatus.IN_PROGRESS.value)
    )

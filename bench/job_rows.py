"""What the job rows say about a run: makespan, per-job latency and queue wait.

Read after the run from the database itself (either kind), so the figures are the
service's own timestamps, not the client's guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bench.common import percentile
from db.database import make_engine
from jobs.models import Job, JobEvent


@dataclass
class JobTimes:
    """One job's timestamps: created, first claimed (queue wait ends), finished."""

    status: str
    created: datetime
    claimed: datetime | None
    finished: datetime | None


def read(db_url: str, since: datetime | None = None) -> list[JobTimes]:
    """Every job created at or after `since`, with the time of its first claim (the first
    event into in_progress: `started_at` moves on a retry, the event does not)."""
    engine = make_engine(db_url)
    claimed = (
        sa.select(JobEvent.job_id, sa.func.min(JobEvent.at).label("claimed"))
        .where(JobEvent.to_status == "in_progress")
        .group_by(JobEvent.job_id)
        .subquery()
    )
    query = sa.select(Job.status, Job.created_at, claimed.c.claimed, Job.finished_at).outerjoin(
        claimed, claimed.c.job_id == Job.id
    )
    if since is not None:
        query = query.where(Job.created_at >= since)
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    return [JobTimes(row[0], row[1], row[2], row[3]) for row in rows]


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


def summary(jobs: list[JobTimes]) -> dict[str, float]:
    """Counts by outcome, makespan (first created to last finished), job latency and
    queue wait (claimed - created) percentiles, in seconds."""
    finished = [job for job in jobs if job.finished is not None]
    claimed = [job for job in jobs if job.claimed is not None]
    if not finished or not claimed:
        return {"jobs": len(jobs), "completed": 0}
    first = min(job.created for job in jobs)
    waits = [_seconds(job.claimed, job.created) for job in claimed if job.claimed]
    latencies = [
        _seconds(job.finished, job.claimed) for job in finished if job.finished and job.claimed
    ]
    return {
        "jobs": len(jobs),
        "completed": sum(job.status == "completed" for job in jobs),
        "failed": sum(job.status == "failed" for job in jobs),
        "makespan_s": max(_seconds(job.finished, first) for job in finished if job.finished),
        "job_p50_s": percentile(latencies, 50),
        "job_max_s": max(latencies),
        "wait_p50_s": percentile(waits, 50),
        "wait_p99_s": percentile(waits, 99),
    }

"""Small builders: jobs reach each state through the store, as in production."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from db.database import Sessions
from jobs import clock, instances, store
from jobs.models import Job

REQUEST: dict[str, Any] = {
    "goal": "strength", "experience": "intermediate", "days_per_week": 3, "weeks": 4,
    "session_minutes": 60, "equipment": ["barbell", "dumbbells"], "notes": "",
}


def make_request(**overrides: Any) -> dict[str, Any]:
    """A valid ProgramRequest payload."""
    return {**REQUEST, **overrides}


def create(sessions: Sessions, *, max_attempts: int = 3, total: int = 5,
           **request: Any) -> Job:
    """A new pending job."""
    with sessions.write() as session:
        return store.create(session, payload=make_request(**request), max_attempts=max_attempts,
                            total_steps=total)


def running(sessions: Sessions, *, owner: str = "peer:1:abc",
            heartbeat_age: float = 0, **kwargs: Any) -> store.Lease:
    """A job claimed by `owner`, its heartbeat `heartbeat_age` seconds old."""
    job = create(sessions, **kwargs)
    clock.shift(timedelta(seconds=-heartbeat_age))  # claim in the past: an aged heartbeat
    with sessions.write() as session:
        claimed = store.claim(session, owner=owner, limit=1)
    clock.shift(timedelta(seconds=heartbeat_age))
    assert [j.id for j in claimed] == [job.id]
    return store.lease_of(claimed[0])


def register(sessions: Sessions, who: instances.Me) -> None:
    """An instance row for `who`."""
    with sessions.write() as session:
        instances.register(session, who=who)


def load(sessions: Sessions, job_id: str) -> Job:
    """The job as stored now."""
    with sessions.read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job

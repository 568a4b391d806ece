"""How lost jobs come back: one code path for the startup sweep, the monitor and the CLI.

They differ only in the condition that selects jobs and the words recorded.
Selection and hand-back use the same condition, and the hand-back re-checks
it in its own statement, so a job that finished in between is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs import clock, instances, store
from jobs.config import EngineConfig
from jobs.models import Job, status_is
from jobs.status import JobStatus, Reason

RESTART_MESSAGE = "Job terminated - server was restarted while job was running"


def stale_message(stale_seconds: float) -> str:
    """The error of a job whose worker went silent."""
    return (
        f"Job terminated - its worker stopped sending heartbeats "
        f"(none for over {stale_seconds:g} s)"
    )


def stale(stale_seconds: float, *, now: datetime) -> sa.ColumnElement[bool]:
    """Heartbeat older than the threshold at `now` (a missing heartbeat counts as stale)."""
    cutoff = now - timedelta(seconds=stale_seconds)
    return sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff)


def owned_by(owners: Sequence[str]) -> sa.ColumnElement[bool]:
    """Owned by one of these (dead) instances."""
    return Job.owner.in_(list(owners))


def find_stuck(session: Session, *, where: sa.ColumnElement[bool]) -> list[Job]:
    """The in_progress jobs matching `where`, oldest heartbeat first."""
    query = (
        sa.select(Job)
        .where(status_is(JobStatus.IN_PROGRESS), where)
        .order_by(Job.heartbeat_at, Job.id)
    )
    return list(session.scalars(query))


def reclaim_dead_owners(
    session: Session,
    *,
    who: instances.Me,
    config: EngineConfig,
    where: sa.ColumnElement[bool] | None = None,
    reason: Reason = Reason.OWNER_DEAD,
) -> list[store.JobRow]:
    """Hand back the jobs of instances known to be dead (a restart)."""
    dead = instances.dead_owners(session, who=who)
    if not dead:
        return []
    why = store.Reclaim(
        reason, RESTART_MESSAGE, "server restarted", config.backoff_base, who.id, "owner_dead"
    )
    return store.reclaim(session, where=_both(owned_by(dead), where), why=why)


def _both(
    condition: sa.ColumnElement[bool], where: sa.ColumnElement[bool] | None
) -> sa.ColumnElement[bool]:
    return condition if where is None else sa.and_(condition, where)


def stuck(session: Session, *, who: instances.Me, stale_seconds: float) -> sa.ColumnElement[bool]:
    """What the monitor calls stuck: a dead owner or a stale heartbeat."""
    dead = instances.dead_owners(session, who=who)
    silent = stale(stale_seconds, now=clock.of(session).now())
    return sa.or_(owned_by(dead), silent) if dead else silent


def reclaim_stale(
    session: Session,
    *,
    config: EngineConfig,
    instance_id: str | None,
    where: sa.ColumnElement[bool] | None = None,
    reason: Reason = Reason.OWNER_DEAD,
) -> list[store.JobRow]:
    """Hand back jobs whose heartbeat is stale, in one compare-and-set statement."""
    condition = _both(stale(config.stale_seconds, now=clock.of(session).now()), where)
    why = store.Reclaim(
        reason,
        stale_message(config.stale_seconds),
        "worker stopped responding",
        config.backoff_base,
        instance_id,
        "stale_heartbeat",
    )
    return store.reclaim(session, where=condition, why=why)


def sweep(
    session: Session,
    *,
    who: instances.Me,
    config: EngineConfig,
    where: sa.ColumnElement[bool] | None = None,
    reason: Reason = Reason.OWNER_DEAD,
) -> list[store.JobRow]:
    """Everything lost: dead owners first (their words say 'restart'), then stale heartbeats."""
    return reclaim_dead_owners(
        session, who=who, config=config, where=where, reason=reason
    ) + reclaim_stale(session, config=config, instance_id=who.id, where=where, reason=reason)


def reclaim_all(
    session: Session,
    *,
    config: EngineConfig,
    where: sa.ColumnElement[bool],
    instance_id: str | None,
) -> list[store.JobRow]:
    """Hand back in_progress jobs whatever their heartbeat (the server is known to be down)."""
    why = store.Reclaim(
        Reason.MANUAL_CLEANUP,
        RESTART_MESSAGE,
        "cleaned up by hand",
        config.backoff_base,
        instance_id,
        "manual_cleanup",
    )
    return store.reclaim(session, where=where, why=why)

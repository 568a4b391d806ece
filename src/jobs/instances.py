"""The instance registry: one row per process life, and the rules that call an owner dead."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs import clock
from jobs.models import Instance, Job, status_is
from jobs.status import JobStatus

PID_START_SLACK = timedelta(seconds=1)  # /proc's boot time is whole seconds


@dataclass(frozen=True)
class Me:
    """This process: who it is and where it runs."""

    id: str
    hostname: str
    pid: int


def me() -> Me:
    """A fresh identity for this process life (a new id on every boot, even with the same pid)."""
    hostname = socket.gethostname()[:60]
    pid = os.getpid()
    return Me(f"{hostname}:{pid}:{uuid.uuid4().hex[:8]}", hostname, pid)


def register(session: Session, *, who: Me) -> None:
    """Insert this process's row."""
    now = clock.of(session).now()
    session.add(
        Instance(id=who.id, hostname=who.hostname, pid=who.pid, started_at=now, heartbeat_at=now)
    )


def touch(session: Session, *, instance_id: str) -> None:
    """Renew this process's own heartbeat (part of the heartbeat tick's transaction)."""
    session.execute(
        sa.update(Instance)
        .where(Instance.id == instance_id)
        .values(heartbeat_at=clock.of(session).now())
    )


def mark_stopped(session: Session, *, instance_id: str) -> None:
    """Say this process is gone, so its leftovers are orphans at once."""
    session.execute(
        sa.update(Instance)
        .where(Instance.id == instance_id)
        .values(stopped_at=clock.of(session).now())
    )


def prune(session: Session, *, older_than: datetime) -> None:
    """Forget instances silent since `older_than` that no longer own a running job."""
    running_owners = sa.select(Job.owner).where(status_is(JobStatus.IN_PROGRESS))
    session.execute(
        sa.delete(Instance).where(
            Instance.heartbeat_at < older_than,
            Instance.id.not_in(running_owners.where(Job.owner.is_not(None))),
        )
    )


def live(session: Session, *, ids: Sequence[str], stale_seconds: float) -> list[Instance]:
    """Which of these instances look alive: not stopped, heartbeat fresher than the
    threshold (the judgement a peer would make; a frozen one still looks alive)."""
    cutoff = clock.of(session).now() - timedelta(seconds=stale_seconds)
    query = sa.select(Instance).where(
        Instance.id.in_(list(ids)),
        Instance.stopped_at.is_(None),
        Instance.heartbeat_at >= cutoff,
    )
    return list(session.scalars(query.order_by(Instance.id)))


def dead_owners(session: Session, *, who: Me) -> list[str]:
    """Owners of in_progress jobs known to be dead (DESIGN.md's orphan rules).

    Dead: the row says stopped; or it ran on this host and its pid is gone,
    is our own pid (a previous life), or now belongs to a younger process
    (the pid was reused). A peer on another host is judged by heartbeats only.
    """
    owners = (
        sa.select(Job.owner)
        .where(status_is(JobStatus.IN_PROGRESS), Job.owner.is_not(None), Job.owner != who.id)
        .distinct()
    )
    rows = session.scalars(sa.select(Instance).where(Instance.id.in_(owners)))
    return [row.id for row in rows if _is_dead(row, who)]


def _is_dead(row: Instance, who: Me) -> bool:
    if row.stopped_at is not None:
        return True
    if row.hostname != who.hostname:
        return False
    if row.pid == who.pid:
        return True
    started = process_start(row.pid)
    return started is None or started > row.started_at + PID_START_SLACK


def process_start(pid: int) -> datetime | None:
    """When process `pid` started, or None if there is no such process."""
    ticks = process_start_ticks(pid)
    if ticks is None:
        return None
    return _boot_time() + timedelta(seconds=ticks / os.sysconf("SC_CLK_TCK"))


def process_start_ticks(pid: int) -> int | None:
    """Process `pid`'s start in clock ticks since boot (exact, unlike a wall-clock time
    derived from it), or None if there is no such live process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    if fields[0] == "Z":  # a zombie is dead, its parent just has not reaped it
        return None
    return int(fields[19])  # field 22 of stat(5): start time in clock ticks since boot


def _boot_time() -> datetime:
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("btime"):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
    raise RuntimeError("no btime in /proc/stat")

"""Every change of a job's state, and the only writer of status, owner and heartbeat.

Each transition is one conditional UPDATE (it re-checks the state it expects,
and for a worker's writes the lease `(owner, attempts)`, written once in
`held`) plus its event row,
in the caller's transaction. Zero rows matched means the job was not in that
state: the function raises instead of failing silently. Every transaction
here starts with its write, so on SQLite it queues on busy_timeout for the
write lock instead of failing a read-to-write upgrade.

New jobs (without an idempotency key) and event rows are queued on the
session and inserted together at commit (`jobs.journal`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs import clock, journal, policy, report
from jobs.batch import Coalesced
from jobs.errors import InvalidTransition, JobNotFound, LeaseLost
from jobs.models import EVENTS, JOBS, Job, JobEvent, status_is
from jobs.status import JobStatus, Reason

PENDING, IN_PROGRESS = JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value
COMPLETED, FAILED, CANCELLED = (
    s.value for s in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
)
NO_SYNC = {"synchronize_session": False}  # rows come back through RETURNING
T = TypeVar("T")


class JobRow(NamedTuple):
    """A job's row as a transition left it, read-only: what every transition returns.

    A tuple in the table's column order, built from RETURNING in one call
    (`_make`): cheaper than an ORM object, and typed, unlike a Core row.
    """

    id: str
    status: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    max_attempts: int
    owner: str | None
    cancel_requested: bool
    steps: list[Any]
    steps_done: int
    total_steps: int | None
    progress_message: str | None
    usage: dict[str, int] | None
    recoveries: int
    recovery_note: str | None
    idempotency_key: str | None
    idempotency_scope: str | None
    request_hash: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    progress_at: datetime | None
    next_attempt_at: datetime | None


#: the columns of a JobRow, in its order, for RETURNING
ROW = tuple(JOBS.c[name] for name in JobRow._fields)


@dataclass(frozen=True)
class Lease:
    """A worker's claim on one attempt of a job; every worker write is fenced on it."""

    job_id: str
    owner: str
    attempt: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A running job's progress to save: its finished steps' outputs and counts."""

    lease: Lease
    steps: list[Any]
    total: int
    message: str
    usage: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class Completion:
    """A job's result, and the progress of its last step (None: no step to record)."""

    lease: Lease
    result: dict[str, Any]
    usage: dict[str, int] | None
    steps: list[Any] | None = None
    message: str | None = None


def lease_of(job: JobRow) -> Lease:
    """The lease a freshly claimed job row represents."""
    if job.owner is None:
        raise LeaseLost(f"job {job.id} has no owner")
    return Lease(job.id, job.owner, job.attempts)


def held(
    *, owner: Any, job: tuple[Any, Any] | None = None, jobs: Iterable[Lease] = ()
) -> list[sa.ColumnElement[bool]]:
    """The lease condition, the one place it is written: the job is in progress, owned by
    `owner`, at the attempt the lease names. For one job, `job` is its (id, attempt), as
    values or as bind parameters of a built-once statement; for several leases of one
    owner, `jobs` makes one IN of (id, attempts) pairs.

    Keep the owner and status terms first: with the IN of pairs first, PostgreSQL
    planned the heartbeat differently and the API tests on it hit deadlocks (the
    heartbeat's row locks against a batch's lookup of the leases it holds)."""
    if job is not None:
        which = [JOBS.c.id == job[0], JOBS.c.attempts == job[1]]
    else:
        pairs = [(lease.job_id, lease.attempt) for lease in jobs]
        which = [sa.tuple_(JOBS.c.id, JOBS.c.attempts).in_(pairs)]
    return [JOBS.c.owner == owner, JOBS.c.status == IN_PROGRESS, *which]


def _event(
    job: JobRow,
    *,
    from_status: str | None,
    reason: Reason,
    message: str = "",
    instance_id: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "at": now,
        "from_status": from_status,
        "to_status": job.status,
        "attempt": job.attempts,
        "reason": reason.value,
        "message": message,
        "instance_id": instance_id,
    }


def _record(
    session: Session,
    events: list[tuple[JobRow, dict[str, Any]]],
    *,
    reclaim: str | None = None,
    due_at: Sequence[datetime] | None = None,
) -> None:
    """Queue event rows for this transaction; each is logged and counted once it commits.
    `due_at`: a claim's, when each job was due (for the queue-wait metric)."""
    journal.queue(session, EVENTS, [row for _, row in events])
    for index, (job, row) in enumerate(events):
        due = due_at[index] if due_at is not None else None
        report.note(session, row, job, reclaim=reclaim, due_at=due)


def _update(session: Session, *where: sa.ColumnElement[bool], **values: Any) -> list[JobRow]:
    """A Core UPDATE ... RETURNING: read-only rows, without the ORM's per-row cost."""
    statement = sa.update(JOBS).where(*where).values(**values).returning(*ROW)
    return list(map(JobRow._make, session.connection().execute(statement)))


@functools.lru_cache(maxsize=32)
def _fenced_statement(columns: tuple[str, ...]) -> sa.Update:
    """A worker's fenced UPDATE, built once per set of columns (the hot path: building
    a statement costs more than running it)."""
    return (
        sa.update(JOBS)
        .where(
            *held(
                owner=sa.bindparam("lease_owner"),
                job=(sa.bindparam("lease_id"), sa.bindparam("lease_attempt")),
            )
        )
        .values({name: sa.bindparam(f"new_{name}", type_=JOBS.c[name].type) for name in columns})
    )


def _update_objects(session: Session, *where: sa.ColumnElement[bool], **values: Any) -> list[Job]:
    """Like `_update`, as ORM objects in the session (for a follow-up in the same flush)."""
    statement = (
        sa.update(Job).where(*where).values(**values).returning(Job).execution_options(**NO_SYNC)
    )
    return list(session.scalars(statement))


def create(
    session: Session,
    *,
    payload: dict[str, Any],
    max_attempts: int,
    total_steps: int | None = None,
    idempotency_key: str | None = None,
    idempotency_scope: str | None = None,
    request_hash: str | None = None,
) -> JobRow:
    """Insert a new pending job and its creation event; returns its row.

    A keyed job is inserted at once, so a duplicate key fails here; the others
    are queued with the transaction's other new rows.
    """
    now = clock.of(session).now()
    job = JobRow(
        id=policy.new_job_id(),
        status=PENDING,
        request=payload,
        attempts=0,
        max_attempts=max_attempts,
        total_steps=total_steps,
        steps=[],
        steps_done=0,
        cancel_requested=False,
        recoveries=0,
        idempotency_key=idempotency_key,
        idempotency_scope=idempotency_scope,
        request_hash=request_hash,
        created_at=now,
        updated_at=now,
        result=None,
        error=None,
        owner=None,
        progress_message=None,
        usage=None,
        recovery_note=None,
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
        progress_at=None,
        next_attempt_at=None,
    )
    values = job._asdict()  # an ORM instance would cost more than the insert
    if idempotency_key is None:
        journal.queue(session, JOBS, [values])
    else:
        journal.insert(session, JOBS, [values])
    created = _event(job, from_status=None, reason=Reason.CREATED, message="job created", now=now)
    _record(session, [(job, created)])
    return job


@functools.cache
def _claim_statement() -> sa.Update:
    """Take up to :claim_limit due pending jobs for :claim_owner, built once."""
    now = sa.bindparam("claim_now", type_=JOBS.c.created_at.type)
    # The due time (a retry's backoff, or when it became pending) is read before the
    # update clears it, for the queue-wait metric of every attempt.
    due_at = sa.func.coalesce(
        JOBS.c.next_attempt_at, JOBS.c.updated_at, type_=JOBS.c.created_at.type
    )
    due = (
        sa.select(JOBS.c.id, due_at.label("due_at"))
        .where(
            status_is(JobStatus.PENDING),
            sa.or_(JOBS.c.next_attempt_at.is_(None), JOBS.c.next_attempt_at <= now),
        )
        .order_by(JOBS.c.created_at, JOBS.c.id)
        .limit(sa.bindparam("claim_limit", type_=sa.Integer()))
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers instead
        # Materialised once: as a plain IN (subquery), PostgreSQL may re-run it per
        # row, and with SKIP LOCKED each run finds new rows, so LIMIT no longer holds.
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    # No second `status = 'pending'` here: the CTE's rows are locked (PostgreSQL) or
    # the writer is alone (SQLite), so they are still pending; and on SQLite that term
    # would make the UPDATE scan every pending row by the status index, not look up ids.
    return (
        sa.update(JOBS)
        .where(JOBS.c.id.in_(sa.select(due.c.id)))
        .values(
            status=IN_PROGRESS,
            owner=sa.bindparam("claim_owner", type_=JOBS.c.owner.type),
            attempts=JOBS.c.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        .returning(
            *ROW,  # then when it was due, last
            sa.select(due.c.due_at).where(due.c.id == JOBS.c.id).scalar_subquery().label("due_at"),
        )
    )


def claim(session: Session, *, owner: str, limit: int) -> list[JobRow]:
    """Take up to `limit` due pending jobs for `owner`, oldest first."""
    # Jobs submitted earlier in this transaction can be claimed.
    journal.insert_queued(session, [JOBS])
    now = clock.of(session).now()
    params = {"claim_now": now, "claim_limit": limit, "claim_owner": owner}
    rows = list(session.connection().execute(_claim_statement(), params))
    rows.sort(key=lambda row: (row.created_at, row.id))  # RETURNING has no order
    jobs = [JobRow._make(row[:-1]) for row in rows]
    _record(
        session,
        [
            (
                job,
                _event(
                    job,
                    from_status=PENDING,
                    reason=Reason.CLAIMED,
                    instance_id=owner,
                    now=now,
                    message=f"attempt {job.attempts} of {job.max_attempts} started",
                ),
            )
            for job in jobs
        ],
        due_at=[row.due_at for row in rows],
    )
    return jobs


def heartbeat(session: Session, *, owner: str, leases: Sequence[Lease]) -> dict[str, bool]:
    """Renew every lease in one statement; return {job_id: cancel_requested} of those kept.

    A lease missing from the answer was lost: another process or the monitor
    took the job, and the caller must stop working on it.
    """
    if not leases:
        return {}
    now = clock.of(session).now()
    statement = (
        sa.update(Job)
        .where(*held(owner=owner, jobs=leases))
        .values(heartbeat_at=now)
        .returning(Job.id, Job.cancel_requested)
        .execution_options(**NO_SYNC)
    )
    return {row.id: row.cancel_requested for row in session.execute(statement)}


def checkpoint(
    session: Session,
    *,
    lease: Lease,
    steps: list[Any],
    total: int,
    message: str,
    usage: dict[str, int] | None,
) -> None:
    """Save the finished steps and the progress; raise LeaseLost if the job was taken."""
    _raise_lost(checkpoint_many(session, [Checkpoint(lease, steps, total, message, usage)]))


def checkpoint_many(session: Session, calls: Sequence[Checkpoint]) -> list[LeaseLost | None]:
    """Several jobs' `checkpoint` calls in one statement: None where saved, else LeaseLost."""
    now = clock.of(session).now()
    outcomes = _fenced_many(
        session,
        [
            (
                call.lease,
                {
                    "steps": call.steps,
                    "steps_done": len(call.steps),
                    "total_steps": call.total,
                    "progress_message": call.message,
                    "progress_at": now,
                    "heartbeat_at": now,
                    "usage": call.usage,
                    "updated_at": now,
                },
            )
            for call in calls
        ],
        _HELD_LEASES,
    )
    return [outcome if isinstance(outcome, LeaseLost) else None for outcome in outcomes]


def complete(
    session: Session,
    *,
    lease: Lease,
    result: dict[str, Any],
    usage: dict[str, int] | None,
    steps: list[Any] | None = None,
    message: str | None = None,
) -> JobRow:
    """Finish the job with its result (and the progress of its last step, in the same
    write; the step outputs are dropped); a lost lease discards them."""
    return _raise_lost(complete_many(session, [Completion(lease, result, usage, steps, message)]))


def complete_many(session: Session, calls: Sequence[Completion]) -> list[JobRow | LeaseLost]:
    """Several jobs' `complete` calls in one statement: the completed job, or LeaseLost.

    The step outputs are dropped in the same fenced write: the result holds them all,
    and a completed job never resumes (they would double its storage)."""
    now = clock.of(session).now()
    writes = []
    for call in calls:
        values: dict[str, Any] = {
            "status": COMPLETED,
            "result": call.result,
            "usage": call.usage,
            "error": None,
            "steps": [],
            "owner": None,
            "finished_at": now,
            "heartbeat_at": None,
            "updated_at": now,
        }
        if call.steps is not None:
            values.update(
                steps_done=len(call.steps),
                progress_message=call.message,
                progress_at=now,
            )
        writes.append((call.lease, values))
    outcomes = [
        held if isinstance(held, LeaseLost) else JobRow(**{**held._mapping, **values})
        for (_, values), held in zip(writes, _fenced_many(session, writes, _HELD_ROWS), strict=True)
    ]
    _record(
        session,
        [
            (
                job,
                _event(
                    job,
                    from_status=IN_PROGRESS,
                    reason=Reason.COMPLETED,
                    message="completed",
                    instance_id=lease.owner,
                    now=now,
                ),
            )
            for (lease, _), job in zip(writes, outcomes, strict=True)
            if not isinstance(job, LeaseLost)
        ],
    )
    return outcomes


def acknowledge_cancel(session: Session, *, lease: Lease) -> JobRow:
    """The owner stops a job whose cancel was requested."""
    now = clock.of(session).now()
    jobs = _update(
        session,
        *held(owner=lease.owner, job=(lease.job_id, lease.attempt)),
        status=CANCELLED,
        owner=None,
        finished_at=now,
        heartbeat_at=None,
        updated_at=now,
    )
    return _ended_attempt(session, jobs, lease, Reason.CANCELLED, "cancelled on request", now)


#: store writes the group commit runs together: each call's keywords make its value,
#: and the many-jobs form writes them all in one statement
COALESCE: dict[Callable[..., Any], Coalesced[Any]] = {
    checkpoint: Coalesced(Checkpoint, checkpoint_many),
    complete: Coalesced(Completion, complete_many),
}


def _raise_lost(outcomes: Sequence[T | LeaseLost]) -> T:
    """The one outcome of a single call: raised if it is LeaseLost."""
    outcome = outcomes[0]
    if isinstance(outcome, LeaseLost):
        raise outcome
    return outcome


def _held(
    session: Session, leases: Sequence[Lease], lookup: sa.Select[Any]
) -> dict[str, sa.Row[Any]]:
    """The rows of the leases still held, by id; on PostgreSQL they stay locked until
    commit, so the fenced writes that follow cannot miss them."""
    rows = session.connection().execute(lookup, {"ids": [lease.job_id for lease in leases]})
    found = {(row.id, row.owner, row.attempts): row for row in rows}
    return {
        lease.job_id: found[key]
        for lease in leases
        if (key := (lease.job_id, lease.owner, lease.attempt)) in found
    }


def _held_lookup(*columns: sa.Column[Any]) -> sa.Select[Any]:
    """Which of :ids are in progress, with these columns, locked for the writes that follow."""
    return (
        sa.select(*columns)
        .where(JOBS.c.id.in_(sa.bindparam("ids", expanding=True)), JOBS.c.status == IN_PROGRESS)
        .with_for_update()
    )


#: the lease columns alone (a checkpoint returns nothing)
_HELD_LEASES = _held_lookup(JOBS.c.id, JOBS.c.owner, JOBS.c.attempts)
#: every column but the ones `complete` writes whatever they held (its row comes back whole)
_HELD_ROWS = _held_lookup(*(c for c in ROW if c.name not in ("steps", "result")))


def _fenced_many(
    session: Session, writes: list[tuple[Lease, dict[str, Any]]], lookup: sa.Select[Any]
) -> list[LeaseLost | sa.Row[Any]]:
    """Plain values written to several jobs, each under its lease, one statement per set
    of columns: one lookup of which leases hold, then one executemany of the UPDATE
    (still fenced) instead of one statement per job. The held row (the lookup's columns,
    as before the write) where written, else LeaseLost."""
    held = _held(session, [lease for lease, _ in writes], lookup)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for lease, values in writes:
        if lease.job_id in held:
            params = {f"new_{name}": value for name, value in values.items()}
            params.update(
                lease_id=lease.job_id, lease_owner=lease.owner, lease_attempt=lease.attempt
            )
            by_columns.setdefault(tuple(sorted(values)), []).append(params)
    for columns, rows in by_columns.items():
        written = session.connection().execute(_fenced_statement(columns), rows).rowcount
        if written != len(rows):  # the rows were checked and are ours: this is a bug
            raise RuntimeError(f"fenced write changed {written} of {len(rows)} held jobs")
    return [
        held[lease.job_id]
        if lease.job_id in held
        else LeaseLost(f"job {lease.job_id}: lease of attempt {lease.attempt} lost")
        for lease, _ in writes
    ]


def fail_attempt(
    session: Session,
    *,
    lease: Lease,
    error: str,
    reason: Reason,
    retryable: bool,
    backoff_base: float,
    usage: dict[str, int] | None = None,
) -> JobRow:
    """End a failed attempt: back to pending with backoff while attempts remain, else failed.

    `usage`, when given, is the job's token count including what the failed step cost.
    """
    now = clock.of(session).now()
    spent = {} if usage is None else {"usage": usage}
    retry_at = now + timedelta(seconds=policy.backoff_seconds(backoff_base, lease.attempt))
    will_retry = sa.and_(sa.literal(retryable), Job.max_attempts > Job.attempts)
    status = sa.case((Job.cancel_requested, CANCELLED), (will_retry, PENDING), else_=FAILED)
    jobs = _update(
        session,
        *held(owner=lease.owner, job=(lease.job_id, lease.attempt)),
        status=status,
        owner=None,
        error=error,
        heartbeat_at=None,
        updated_at=now,
        next_attempt_at=sa.case((status == PENDING, retry_at), else_=None),
        finished_at=sa.case((status == PENDING, None), else_=now),
        **spent,
    )
    return _ended_attempt(session, jobs, lease, reason, error, now)


def _ended_attempt(
    session: Session, jobs: list[JobRow], lease: Lease, reason: Reason, message: str, now: datetime
) -> JobRow:
    """The event of a worker's last write on an attempt; no row matched: the lease is lost."""
    if not jobs:
        raise LeaseLost(f"job {lease.job_id}: lease of attempt {lease.attempt} lost")
    event = _event(
        jobs[0],
        from_status=IN_PROGRESS,
        reason=reason,
        message=message,
        instance_id=lease.owner,
        now=now,
    )
    _record(session, [(jobs[0], event)])
    return jobs[0]


def hand_back(session: Session, *, owner: str, leases: Sequence[Lease]) -> list[JobRow]:
    """Graceful shutdown: return unfinished jobs to pending without counting the attempt."""
    if not leases:
        return []
    now = clock.of(session).now()
    jobs = _update(
        session,
        *held(owner=owner, jobs=leases),
        status=sa.case((Job.cancel_requested, CANCELLED), else_=PENDING),
        attempts=sa.case((Job.cancel_requested, Job.attempts), else_=Job.attempts - 1),
        owner=None,
        heartbeat_at=None,
        next_attempt_at=None,
        updated_at=now,
        finished_at=sa.case((Job.cancel_requested, now), else_=None),
    )
    _record(
        session,
        [
            (
                job,
                _event(
                    job,
                    from_status=IN_PROGRESS,
                    reason=Reason.SHUTDOWN,
                    instance_id=owner,
                    now=now,
                    message="handed back by a graceful shutdown; the attempt does not count",
                ),
            )
            for job in jobs
        ],
    )
    return jobs


def request_cancel(session: Session, *, job_id: str) -> JobRow:
    """Cancel a pending job at once, or flag a running one for its owner to stop."""
    now = clock.of(session).now()
    jobs = _update(
        session,
        Job.id == job_id,
        Job.status == PENDING,
        status=CANCELLED,
        finished_at=now,
        next_attempt_at=None,
        updated_at=now,
    )
    if jobs:
        _record(
            session,
            [
                (
                    jobs[0],
                    _event(
                        jobs[0],
                        from_status=PENDING,
                        reason=Reason.CANCELLED,
                        message="cancelled on request",
                        now=now,
                    ),
                )
            ],
        )
        return jobs[0]
    jobs = _update(
        session, Job.id == job_id, Job.status == IN_PROGRESS, cancel_requested=True, updated_at=now
    )
    if jobs:
        return jobs[0]
    raise _why_not(session, job_id, "cancel")


def retry(session: Session, *, job_id: str, extra_attempts: int) -> JobRow:
    """Queue a failed or cancelled job again, with `extra_attempts` more attempts."""
    now = clock.of(session).now()
    for from_status in (FAILED, CANCELLED):
        jobs = _update(
            session,
            Job.id == job_id,
            Job.status == from_status,
            status=PENDING,
            max_attempts=Job.attempts + extra_attempts,
            cancel_requested=False,
            result=None,
            finished_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
        if jobs:
            _record(
                session,
                [
                    (
                        jobs[0],
                        _event(
                            jobs[0],
                            from_status=from_status,
                            reason=Reason.MANUAL_RETRY,
                            now=now,
                            message=f"retried by hand; up to {extra_attempts} more attempts",
                        ),
                    )
                ],
            )
            return jobs[0]
    raise _why_not(session, job_id, "retry")


def _why_not(session: Session, job_id: str, action: str) -> Exception:
    status = session.scalar(sa.select(Job.status).where(Job.id == job_id))
    if status is None:
        return JobNotFound(f"no job has id {job_id}")
    return InvalidTransition(f"cannot {action} a job that is {status}")


@dataclass(frozen=True)
class Reclaim:
    """Why a set of lost jobs is being handed back, for the event and the job's error."""

    reason: Reason
    error: str  # the job's error, e.g. the restart message of the contract
    cause: str  # words for the recovery note: "server restarted"
    backoff_base: float
    instance_id: str | None = None
    kind: str = "owner_dead"  # progen_reclaims_total's reason: owner_dead, stale_heartbeat, ...


def reclaim(session: Session, *, where: sa.ColumnElement[bool], why: Reclaim) -> list[JobRow]:
    """Hand back every in_progress job matching `where`, in one compare-and-set statement.

    The statement itself re-checks `status = 'in_progress'` and the caller's
    condition, so a job that completed (or was renewed) after a caller chose
    it is left alone.
    """
    now = clock.of(session).now()
    status = sa.case(
        (Job.cancel_requested, CANCELLED), (Job.max_attempts > Job.attempts, PENDING), else_=FAILED
    )
    jobs = _update_objects(
        session,
        status_is(JobStatus.IN_PROGRESS),
        where,
        status=status,
        owner=None,
        error=why.error,
        heartbeat_at=None,
        updated_at=now,
        recoveries=Job.recoveries + 1,
        finished_at=sa.case((status == PENDING, None), else_=now),
    )
    if not jobs:
        return []
    _schedule_retries(session, jobs, why, now)
    rows = [JobRow._make(getattr(job, name) for name in JobRow._fields) for job in jobs]
    _record(
        session,
        [
            (
                job,
                _event(
                    job,
                    from_status=IN_PROGRESS,
                    reason=why.reason,
                    message=why.error,
                    instance_id=why.instance_id,
                    now=now,
                ),
            )
            for job in rows
        ],
        reclaim=why.kind,
    )
    return rows


def _schedule_retries(session: Session, jobs: list[Job], why: Reclaim, now: datetime) -> None:
    """Per-row follow-up of a reclaim: the retry time and the recovery note.

    The rows came back from the UPDATE into this session, so setting their
    attributes and flushing writes them in the same transaction, still
    under the reclaim's lock.
    """
    for job in jobs:
        done, total = job.steps_done, job.total_steps or 0
        note = f"{why.cause} during step {done + 1} of {total}"
        if job.status == PENDING:
            note += f"; resumes after step {done}, the last saved" if done else "; starts over"
            job.next_attempt_at = now + timedelta(
                seconds=policy.backoff_seconds(why.backoff_base, job.attempts)
            )
        job.recovery_note = note
    session.flush()


def prune(session: Session, *, older_than: datetime) -> int:
    """Delete terminal jobs (and their events) finished before `older_than`."""
    terminal = [COMPLETED, FAILED, CANCELLED]
    old = sa.select(Job.id).where(Job.status.in_(terminal), Job.finished_at < older_than)
    session.execute(sa.delete(JobEvent).where(JobEvent.job_id.in_(old)))
    result = session.execute(
        sa.delete(Job).where(Job.status.in_(terminal), Job.finished_at < older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

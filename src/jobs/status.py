"""Job statuses: the literal strings of the contract, and what may follow what."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """The `status` column's values (`SELECT ... WHERE status = 'in_progress'` works)."""

    #: waiting to run: new, or waiting for an automatic retry (see next_attempt_at)
    PENDING = "pending"
    #: claimed by one running instance, heartbeating
    IN_PROGRESS = "in_progress"
    #: finished with a result
    COMPLETED = "completed"
    #: gave up: attempts used up, or a permanent error
    FAILED = "failed"
    #: stopped on request
    CANCELLED = "cancelled"


ACTIVE = frozenset({JobStatus.PENDING, JobStatus.IN_PROGRESS})
TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED}),
    JobStatus.IN_PROGRESS: frozenset(
        {JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset({JobStatus.PENDING}),
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING}),
}


class Reason(StrEnum):
    """Why a job changed status; every event row carries one."""

    CREATED = "created"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    RETRYABLE_ERROR = "retryable_error"
    PERMANENT_ERROR = "permanent_error"
    TIMEOUT = "timeout"
    OWNER_DEAD = "owner_dead"
    SHUTDOWN = "shutdown"
    CANCELLED = "cancelled"
    MANUAL_RETRY = "manual_retry"
    MANUAL_CLEANUP = "manual_cleanup"

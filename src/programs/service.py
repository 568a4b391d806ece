"""What the API can do with program jobs: submit, read, list, retry, cancel.

Routes call these; these call `jobs.store` for every change of state.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from db.database import Sessions
from jobs import queries, store
from jobs.errors import JobError, JobNotFound
from jobs.models import Job, JobEvent
from jobs.runner import Runner
from jobs.status import JobStatus
from programs.generators.base import ProgramGenerator
from programs.schemas import ProgramRequest

logger = logging.getLogger(__name__)
LOCAL_CANCEL_WAIT_SECONDS = 5  # a local cancel normally lands in milliseconds


class IdempotencyConflict(JobError):
    """This Idempotency-Key was already used with a different request body."""


def _checked(job_id: str) -> str:
    """Job ids are UUIDs; anything else names no job, and never reaches the database."""
    try:
        return str(uuid.UUID(job_id))
    except ValueError:
        raise JobNotFound(f"no job has id {job_id[:80]!r}") from None


@dataclass
class Programs:
    """The program-job service of one process.

    Args:
        sessions: makes a short session per call.
        runner: this process's runner (woken on submit, asked to cancel locally).
        generator: tells how many steps a request takes.
        max_attempts: JOB_MAX_ATTEMPTS.
    """

    sessions: Sessions
    runner: Runner | None
    generator: ProgramGenerator
    max_attempts: int

    def submit(self, request: ProgramRequest, idempotency_key: str | None) -> tuple[Job, bool]:
        """Create a pending job (or return the one this key made); True when created."""
        payload = request.model_dump()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        if idempotency_key is not None and (found := self._replay(idempotency_key, digest)):
            return found, False
        try:
            with self.sessions.write() as session:
                job = store.create(
                    session,
                    payload=payload,
                    max_attempts=self.max_attempts,
                    total_steps=self.generator.total_steps(payload),
                    idempotency_key=idempotency_key,
                    request_hash=digest,
                )
        except IntegrityError:
            # Two requests with one key raced; the other insert won.
            if idempotency_key is not None and (found := self._replay(idempotency_key, digest)):
                return found, False
            raise
        if self.runner is not None:
            self.runner.wake()
        return job, True

    def _replay(self, key: str, digest: str) -> Job | None:
        with self.sessions.read() as session:
            job = queries.by_idempotency_key(session, key)
        if job is not None and job.request_hash != digest:
            raise IdempotencyConflict()
        return job

    def get(self, job_id: str) -> Job:
        """One job."""
        with self.sessions.read() as session:
            return queries.get(session, _checked(job_id))

    def page(
        self, statuses: Sequence[JobStatus], limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        """Newest first, with a cursor to the next page."""
        with self.sessions.read() as session:
            return queries.page(session, statuses=statuses, limit=limit, cursor=cursor)

    def events(self, job_id: str) -> list[JobEvent]:
        """A job's status changes, oldest first."""
        with self.sessions.read() as session:
            return queries.events(session, _checked(job_id))

    def retry(self, job_id: str) -> Job:
        """Queue a failed or cancelled job again, with JOB_MAX_ATTEMPTS more attempts."""
        with self.sessions.write() as session:
            job = store.retry(session, job_id=_checked(job_id), extra_attempts=self.max_attempts)
        if self.runner is not None:
            self.runner.wake()
        return job

    def cancel(self, job_id: str) -> Job:
        """Cancel now if pending or running here; a peer's job stops at its next heartbeat."""
        job_id = _checked(job_id)
        with self.sessions.write() as session:
            job = store.request_cancel(session, job_id=job_id)
        if job.status != JobStatus.IN_PROGRESS or self.runner is None:
            return job
        done = self.runner.cancel_now(job_id)
        if done is not None:
            try:
                done.result(timeout=LOCAL_CANCEL_WAIT_SECONDS)
            except Exception:
                logger.warning("job %s: local cancel still pending", job_id)
        return self.get(job_id)

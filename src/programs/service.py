"""What the API can do with program jobs: submit, read, list, retry, cancel.

Routes call these; these call `jobs.store` for every change of state.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.database import Sessions
from jobs import queries, store
from jobs.engine import Engine
from jobs.errors import JobError, JobNotFound
from jobs.models import Job, JobEvent
from jobs.status import JobStatus
from programs.generators.base import ProgramGenerator
from programs.schemas import ProgramRequest

#: A poll: everything but the program (`result_json` reads that, for completed jobs only).
POLL_COLUMNS = tuple(c for c in queries.VIEW_COLUMNS if c.name != "result")
#: A list: no program at all, only its title, which the database extracts from the
#: stored JSON (a page never brings a program into this process).
SUMMARY_COLUMNS = (*POLL_COLUMNS, Job.result["title"].as_string().label("title"))
_RESULT_JSON = sa.select(sa.cast(Job.result, sa.Text)).where(Job.id == sa.bindparam("job_id"))


class IdempotencyConflict(JobError):
    """This Idempotency-Key was already used with a different request body."""


def _create(session: Session, *, idempotency_key: str | None, **values: Any) -> store.JobRow | None:
    """Insert the job; None when its idempotency key is taken.

    A keyed insert runs in a savepoint: in a group commit, its duplicate-key
    error must roll back only itself, not the other writes of the batch.
    """
    if idempotency_key is None:
        return store.create(session, **values)
    try:
        with session.begin_nested():
            return store.create(session, idempotency_key=idempotency_key, **values)
    except IntegrityError:
        return None


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
        engine: this process's job engine (submits ride on its group commit; it
            cancels and retries).
        generator: tells how many steps a request takes.
    """

    engine: Engine
    generator: ProgramGenerator

    @property
    def sessions(self) -> Sessions:
        """The engine's database."""
        return self.engine.sessions

    @property
    def max_attempts(self) -> int:
        """JOB_MAX_ATTEMPTS: a new job's attempts, and a retry's extra ones."""
        return self.engine.config.max_attempts

    async def submit(
        self, request: ProgramRequest, idempotency_key: str | None, *, caller: str = "local"
    ) -> tuple[store.JobRow | Job, bool]:
        """Create a pending job (or return the one this caller's key made); True when created.

        Keys are the caller's own (`caller`: who sent it, see `api.deps.caller`; "local"
        for in-process callers such as the benchmarks): another
        caller's same key makes a new job, never replays theirs. The insert rides on
        the runner's group commit: concurrent submits share a commit, and the same
        transaction can already claim the new job.
        """
        payload = request.model_dump()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = None if idempotency_key is None else (idempotency_key, caller)
        if key is not None and (found := await self._replay(key, digest)):
            return found, False
        values = {
            "payload": payload,
            "max_attempts": self.max_attempts,
            "total_steps": self.generator.total_steps(payload),
            "idempotency_key": idempotency_key,
            "idempotency_scope": caller if idempotency_key is not None else None,
            "request_hash": digest,
        }
        job = await self.engine.submit(_create, **values)
        if job is not None:
            return job, True
        # Two requests with one key raced; the other insert won.
        assert key is not None  # only a key can collide
        if found := await self._replay(key, digest):
            return found, False
        raise IdempotencyConflict()  # its job was pruned in between: let the client decide

    async def _replay(self, key: tuple[str, str], digest: str) -> Job | None:
        return await asyncio.to_thread(self._replay_now, key, digest)

    def _replay_now(self, key: tuple[str, str], digest: str) -> Job | None:
        with self.sessions.read() as session:
            job = queries.by_idempotency_key(session, *key)
        if job is not None and job.request_hash != digest:
            raise IdempotencyConflict()
        return job

    def get(self, job_id: str) -> queries.JobView:
        """One job as the API shows it, but its program (`POLL_COLUMNS`)."""
        with self.sessions.engine.connect() as connection:
            return queries.view(connection, _checked(job_id), POLL_COLUMNS)

    def result_json(self, job_id: str) -> str | None:
        """A job's program as the stored JSON text: it was validated when the job
        completed, so it is served as it is, never parsed, validated or re-serialised."""
        with self.sessions.engine.connect() as connection:
            stored = connection.execute(_RESULT_JSON, {"job_id": _checked(job_id)}).scalar()
        return None if stored is None else str(stored)

    def page(
        self, statuses: Sequence[JobStatus], limit: int, cursor: str | None
    ) -> tuple[list[queries.JobView], str | None]:
        """Newest first, with a cursor to the next page; summaries (`SUMMARY_COLUMNS`)."""
        with self.sessions.engine.connect() as connection:
            return queries.page(
                connection, statuses=statuses, limit=limit, cursor=cursor, columns=SUMMARY_COLUMNS
            )

    async def watch(self, job_id: str) -> AsyncGenerator[queries.JobView]:
        """The job's row at once, then whenever it may have changed (a slow reader gets
        the latest); ends after a terminal row, or when the engine stops. An unknown
        id raises JobNotFound before anything is yielded."""
        rows = self.engine.watch(_checked(job_id))
        async with contextlib.aclosing(rows):
            try:
                first = await anext(rows)
            except KeyError:
                raise JobNotFound(f"no job has id {job_id}") from None
            yield first
            async for row in rows:
                yield row

    def events(self, job_id: str) -> list[JobEvent]:
        """A job's status changes, oldest first."""
        with self.sessions.read() as session:
            return queries.events(session, _checked(job_id))

    def retry(self, job_id: str) -> store.JobRow:
        """Queue a failed or cancelled job again, with JOB_MAX_ATTEMPTS more attempts."""
        return self.engine.retry(_checked(job_id))

    def cancel(self, job_id: str) -> store.JobRow | queries.JobView:
        """Cancel now if pending or running here; a peer's job stops at its next heartbeat."""
        job = self.engine.cancel(_checked(job_id))
        return job if job.status != JobStatus.IN_PROGRESS else self.get(job.id)

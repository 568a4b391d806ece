"""Runs claimed jobs: one asyncio task per job, `concurrency` at once.

Database work goes through `asyncio.to_thread` in short transactions, so no
query blocks the event loop that carries heartbeats, and no transaction is
held across a step. Every write a job makes is fenced on its lease: once the
lease is lost, the task stops and what it computed is discarded.

Claims ride on the group commit (`jobs.batch`): each batch ends with a claim
for the slots that are free once its writes commit, so a job's completion and
the claim of the next job share one transaction. A claim runs only when there
may be work: something was submitted, retried or reclaimed, the last claim
filled every slot, or the idle poll came round (`jobs.claims` keeps that count).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import failures
from db.database import Sessions
from jobs import metrics, store
from jobs.batch import GroupCommit
from jobs.claims import Claimed, ClaimPlanner
from jobs.config import EngineConfig
from jobs.errors import LeaseLost, PermanentStepError, StepError
from jobs.status import Reason
from jobs.steps import JSON, StepHandler

logger = logging.getLogger(__name__)
T = TypeVar("T")
StopCause = Literal["lost", "cancel", "shutdown"]
POLL_SECONDS = 1.0  # how often an idle runner looks for due retries or peers' submissions
FIRST_WRITE_RETRY_SECONDS = 0.2  # then doubling, up to MAX_WRITE_RETRY_SECONDS
MAX_WRITE_RETRY_SECONDS = 5.0


@dataclass
class _Running:
    lease: store.Lease
    task: asyncio.Task[None]
    usage: dict[str, int]  # tokens spent so far: saved ones plus this attempt's
    stop_cause: StopCause | None = None
    cancelled: concurrent.futures.Future[None] | None = None


def _count(counts: metrics.Metrics, usage: dict[str, int], spent: dict[str, int]) -> None:
    """Add a step's token counts to a job's, and to the metrics."""
    for kind, count in spent.items():
        usage[kind] = usage.get(kind, 0) + count
        counts.tokens.labels(kind).inc(count)


class Runner:
    """Claims due jobs and runs them through a `StepHandler`.

    Args:
        sessions: makes the short sessions each write runs in.
        instance_id: this process's instance id, the owner of its leases.
        handler: the domain's steps.
        config: concurrency, backoff and timeout.
    """

    def __init__(
        self, *, sessions: Sessions, instance_id: str, handler: StepHandler, config: EngineConfig
    ) -> None:
        self._sessions = sessions
        self._metrics = metrics.attach(sessions)
        self._batch = GroupCommit(sessions, tail=self, coalesce=store.COALESCE)  # shared commits
        self._instance_id = instance_id
        self._handler = handler
        self._config = config
        self._running: dict[str, _Running] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._claimer: asyncio.Task[None] | None = None
        self.claiming = True  # off while heartbeats fail
        self._stopping = False  # set once, by shutdown
        self._claim_failure: str | None = None  # the last failed claim's words, until one works
        self._claims = ClaimPlanner(owner=instance_id, concurrency=config.concurrency)

    async def start(self) -> None:
        """Start the claim loop on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._batch.start()
        self._claimer = asyncio.create_task(self._claim_loop(), name="progen-claimer")

    def wake(self) -> None:
        """Look for work now (thread-safe: routes call it from the thread pool)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake_now)

    def _wake_now(self) -> None:
        self._claims.ask()
        self._wake.set()

    async def write(self, fn: Callable[..., T], **kwargs: Any) -> T:
        """A write that may add work (a submit), in the next group commit, whose claim
        can then take the new job at once."""
        self._claims.ask()
        return await self._batch.write(fn, **kwargs)

    def leases(self) -> list[store.Lease]:
        """The leases this process holds right now."""
        return [running.lease for running in self._running.values()]

    def _tx(self, fn: Callable[..., T], **kwargs: Any) -> T:
        with self._sessions.write() as session:
            return fn(session, **kwargs)

    async def _db(self, fn: Callable[..., T], **kwargs: Any) -> T:
        return await asyncio.to_thread(lambda: self._tx(fn, **kwargs))

    async def _write(self, fn: Callable[..., T], *, ends: str | None = None, **kwargs: Any) -> T:
        """A job's fenced write, retried through a database blip; `ends` names the job
        when the write ends its attempt (its batch then claims into the slot).

        Retrying is safe: the write is conditional on the lease, so one that
        lands after the job was taken matches nothing and raises LeaseLost.
        """
        deadline = time.monotonic() + self._config.write_retry_seconds
        delay = FIRST_WRITE_RETRY_SECONDS
        while True:
            try:
                return await self._batch.write(fn, ends=ends, **kwargs)
            except sa.exc.IntegrityError:
                raise
            except sa.exc.DBAPIError as error:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning(
                    "database write failed (%s); retrying in %.1f s",
                    failures.describe(error),
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_WRITE_RETRY_SECONDS)

    async def _claim_loop(self) -> None:
        """Make a batch (and so a claim) happen when work may be due and no write is
        coming that would claim anyway; look again every POLL_SECONDS."""
        while not self._stopping:
            self._wake.clear()  # before claiming: a wake during the claim runs us again
            if self._claim_limit(set()):
                try:
                    await self._batch.kick()
                except Exception as error:
                    self._claim_failed(error)
                else:
                    self._claim_failure = None
                    continue
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a
                # cancel that arrives as the event fires.
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                self._claims.ask()  # due retries and peers' submissions show up here

    def _claim_failed(self, error: Exception) -> None:
        """Say so once per kind of failure, not once a second through an outage."""
        words = failures.describe(error)
        if words != self._claim_failure:
            failures.log(logger, error, f"claiming jobs failed; trying every {POLL_SECONDS:g} s")
        self._claim_failure = words

    def _claim_limit(self, ending: set[str]) -> int:
        """How many jobs to claim once the attempts in `ending` have ended: the free slots,
        or 0 when no claim should run (stopping, not claiming, or no work may be due)."""
        if self._stopping or not self.claiming:
            return 0
        return self._claims.limit(self._running.keys(), ending)

    def plan(self, ending: set[str]) -> Callable[[Session], Claimed] | None:
        """The batch tail (see `jobs.batch.Tail`): claim what the free slots can take."""
        limit = self._claim_limit(ending)
        return self._claims.claim(limit) if limit else None

    def deliver(self, claimed: Claimed) -> None:
        """Run the jobs a batch's claim took."""
        for job in self._claims.answered(claimed):
            self._spawn(job)

    def _current(self, job_id: str, lease: store.Lease) -> _Running | None:
        """This attempt's entry (the job may since have been claimed again, here)."""
        running = self._running.get(job_id)
        return running if running is not None and running.lease == lease else None

    def _spawn(self, job: store.JobRow) -> None:
        lease = store.lease_of(job)
        task = asyncio.create_task(self._attempt(job, lease), name=f"job-{job.id}")
        self._running[job.id] = _Running(lease, task, dict(job.usage or {}))

    async def _attempt(self, job: store.JobRow, lease: store.Lease) -> None:
        started = time.monotonic()
        outcome = "interrupted"  # stays so when shutdown hands the job back
        try:
            outcome = await self._run_or_record_failure(job, lease)
        except LeaseLost:
            outcome = "lease_lost"
            self._metrics.leases_lost.inc()
            logger.warning(
                "job %s: lease lost; stopped and discarded its work",
                job.id,
                extra={"job_id": job.id, "attempt": lease.attempt},
            )
        except sa.exc.SQLAlchemyError as error:
            outcome = "database_error"
            failures.log(
                logger,
                error,
                f"job {job.id} attempt {lease.attempt}: cannot write to the database; stopped, "
                "and its heartbeat lapses so the monitor hands it back",
            )
        finally:
            self._metrics.attempt_seconds.labels(outcome).observe(time.monotonic() - started)
            if self._current(job.id, lease) is not None:  # not a newer attempt's entry
                del self._running[job.id]
            self._wake.set()  # a slot is free

    async def _run_or_record_failure(self, job: store.JobRow, lease: store.Lease) -> str:
        try:
            async with asyncio.timeout(self._config.timeout_seconds):
                await self._steps(job, lease)
            return "completed"
        except asyncio.CancelledError:
            return await self._stopped(job, lease)
        except TimeoutError:
            await self._fail(
                lease,
                Reason.TIMEOUT,
                retryable=True,
                error=(
                    f"Attempt {lease.attempt} timed out after {self._config.timeout_seconds:g} s"
                ),
            )
            return "timeout"
        except StepError as error:  # the step said whether another attempt can help
            retryable = not isinstance(error, PermanentStepError)
            reason = Reason.RETRYABLE_ERROR if retryable else Reason.PERMANENT_ERROR
            await self._fail(
                lease,
                reason,
                retryable=retryable,
                error=str(error),
                usage=self._spent(job, lease, error.usage),
            )
            return reason.value
        except (LeaseLost, sa.exc.SQLAlchemyError):
            raise  # not the step's fault: no failure to record
        except Exception as error:
            logger.exception(
                "job %s: unexpected error in a step",
                job.id,
                extra={"job_id": job.id, "attempt": lease.attempt},
            )
            await self._fail(
                lease,
                Reason.RETRYABLE_ERROR,
                retryable=True,
                error=f"Unexpected error during generation ({type(error).__name__})",
            )
            return "retryable_error"

    def _spent(
        self, job: store.JobRow, lease: store.Lease, extra: dict[str, int]
    ) -> dict[str, int] | None:
        """The job's usage so far (saved, plus this attempt's steps), plus a failed step's."""
        running = self._current(job.id, lease)
        usage = dict(running.usage) if running else dict(job.usage or {})
        _count(self._metrics, usage, extra)
        return usage or None

    async def _steps(self, job: store.JobRow, lease: store.Lease) -> None:
        payload: JSON = job.request
        done: list[JSON] = list(job.steps or [])
        usage = self._running[job.id].usage  # spawned with this lease just before
        total = self._handler.total_steps(payload)
        message = job.progress_message or ""
        for index in range(len(done), total):
            step = await self._handler.run_step(payload, index, done)
            done.append(step.output)
            message = step.message
            _count(self._metrics, usage, step.usage)
            if index < total - 1:  # the last step is saved by `complete`, in one write
                await self._write(
                    store.checkpoint,
                    lease=lease,
                    steps=done,
                    total=total,
                    message=message,
                    usage=usage or None,
                )
        result = self._handler.result(payload, done)
        await self._write(
            store.complete,
            ends=lease.job_id,
            lease=lease,
            result=result,
            usage=usage or None,
            steps=done,
            message=message,
        )

    async def _fail(
        self,
        lease: store.Lease,
        reason: Reason,
        *,
        retryable: bool,
        error: str,
        usage: dict[str, int] | None = None,
    ) -> None:
        await self._write(
            store.fail_attempt,
            ends=lease.job_id,
            lease=lease,
            error=error,
            usage=usage,
            reason=reason,
            retryable=retryable,
            backoff_base=self._config.backoff_base,
        )

    async def _stopped(self, job: store.JobRow, lease: store.Lease) -> str:
        """The task was cancelled: say why in the row, unless shutdown hands it back."""
        running = self._current(job.id, lease)
        cause = running.stop_cause if running else None
        if cause == "cancel":
            try:
                await self._write(store.acknowledge_cancel, ends=lease.job_id, lease=lease)
            finally:
                if running and running.cancelled:
                    running.cancelled.set_result(None)
            return "cancelled"
        if cause == "lost":
            raise LeaseLost(job.id)
        raise asyncio.CancelledError  # shutdown (or the loop closing): the caller hands back

    def stop_job(self, job_id: str, cause: StopCause) -> concurrent.futures.Future[None] | None:
        """Stop a running attempt (from the event loop); None when it does not run here."""
        running = self._running.get(job_id)
        if running is None or running.stop_cause is not None:
            return None
        running.stop_cause = cause
        running.cancelled = concurrent.futures.Future()
        running.task.cancel()
        return running.cancelled

    def cancel_now(self, job_id: str) -> concurrent.futures.Future[None] | None:
        """Cancel a job this process runs (thread-safe); the future resolves when done."""
        if self._loop is None or job_id not in self._running:
            return None
        handoff: concurrent.futures.Future[concurrent.futures.Future[None] | None] = (
            asyncio.run_coroutine_threadsafe(self._stop_async(job_id), self._loop)
        )
        return handoff.result(timeout=5)

    async def _stop_async(self, job_id: str) -> concurrent.futures.Future[None] | None:
        return self.stop_job(job_id, "cancel")

    def reconcile(self, kept: dict[str, bool], asked: list[store.Lease]) -> None:
        """Act on a heartbeat's answer: stop lost leases, honour cancel requests."""
        for lease in asked:
            running = self._running.get(lease.job_id)
            if running is None or running.lease != lease:
                continue  # finished meanwhile
            if lease.job_id not in kept:
                self.stop_job(lease.job_id, "lost")
            elif kept[lease.job_id]:
                self.stop_job(lease.job_id, "cancel")

    def drop_all(self) -> None:
        """Stop every attempt: this process can no longer prove it owns them."""
        for job_id in list(self._running):
            self.stop_job(job_id, "lost")

    async def shutdown(self, grace_seconds: float) -> list[store.JobRow]:
        """Stop claiming, let running jobs finish for `grace_seconds`, hand the rest back."""
        self._stopping = True
        if self._claimer is not None:
            self._wake.set()
            await asyncio.wait([self._claimer], timeout=POLL_SECONDS)
            self._claimer.cancel()  # only if a claim is still in flight
            await asyncio.gather(self._claimer, return_exceptions=True)
        tasks = [running.task for running in self._running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        leftover = list(self._running.values())
        for running in leftover:
            running.stop_cause = "shutdown"
            running.task.cancel()
        await asyncio.gather(*(running.task for running in leftover), return_exceptions=True)
        await self._batch.stop()  # every job task has ended: no write is left to batch
        if not leftover:
            return []
        return await self._db(
            store.hand_back, owner=self._instance_id, leases=[running.lease for running in leftover]
        )

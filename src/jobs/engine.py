"""One job engine: its identity, runner and ticks, started and stopped in the safe order.

Start: align the clock → register this instance → sweep orphans of dead
instances → start the ticks → start the runner. Stop: stop claiming → let
running jobs finish for the grace period → hand the rest back without
counting the attempt → stop the ticks → mark this instance stopped.

The domain plugs in a `StepHandler`; the service submits, wakes, cancels and
retries through here, and reads `health()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from db import failures
from db.database import Sessions
from jobs import clock, instances, journal, metrics, news, queries, recovery, store
from jobs.config import EngineConfig
from jobs.listener import PgListener
from jobs.runner import Runner
from jobs.scheduler import Ticks
from jobs.shared_poll import SharedPoll
from jobs.status import JobStatus
from jobs.steps import JSON, StepHandler, StepResult
from jobs.watch import Watchers

logger = logging.getLogger(__name__)
T = TypeVar("T")
MISSED_MONITOR_RUNS = 3  # the contract: degraded after three monitor intervals without a run
LOCAL_CANCEL_WAIT_SECONDS = 5  # a local cancel normally lands in milliseconds


@dataclass(frozen=True)
class EngineHealth:
    """What this engine knows of its own health, from memory (no database read)."""

    instance_id: str
    scheduler_running: bool
    #: when the monitor last completed a run (None before the first one)
    monitor_last_run_at: datetime | None
    #: no monitor run for MISSED_MONITOR_RUNS intervals (counted from the start before one)
    monitor_overdue: bool
    #: why the monitor's last write probe failed, in words; None once one commits
    storage_error: str | None
    #: False while heartbeats fail: this instance takes no new work
    claiming: bool


class _NoSteps:
    """The handler of an engine that only recovers jobs: it never runs one."""

    def total_steps(self, payload: JSON) -> int:
        raise RuntimeError("this engine only recovers jobs")

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        raise RuntimeError("this engine only recovers jobs")

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        raise RuntimeError("this engine only recovers jobs")


class Engine:
    """The job engine of one process.

    Args:
        sessions: the database this engine's jobs live in (given the journal's hooks).
        config: concurrency, attempts, intervals and thresholds.
        handler: the domain's steps; None for an engine that only recovers jobs (the
            cleanup CLI), which never starts.
        who: this process's identity (a fresh one by default).
    """

    def __init__(
        self,
        *,
        sessions: Sessions,
        config: EngineConfig,
        handler: StepHandler | None = None,
        who: instances.Me | None = None,
    ) -> None:
        self.sessions = journal.attach(sessions)
        #: this engine's clock and metrics, the ones of its sessions (see `jobs.journal`)
        self.clock = clock.attach(sessions)
        self.metrics = metrics.attach(sessions)
        self.config = config
        self.who = who or instances.me()
        self._runs_jobs = handler is not None
        self.runner = Runner(
            sessions=sessions, instance_id=self.who.id, handler=handler or _NoSteps(), config=config
        )
        self.ticks = Ticks(sessions=sessions, who=self.who, runner=self.runner, config=config)
        self.started_at: datetime | None = None
        self.news = news.Hub(sessions, sender=self.who.id, take=self._take)
        self.watchers = Watchers(sessions, read_in_thread=self.news.notifies)
        # How news from other processes arrives: NOTIFY on PostgreSQL, a shared poll on SQLite.
        self.listener: PgListener | None = None
        self.poll: SharedPoll | None = None
        if self.news.notifies:
            self.listener = PgListener(
                sessions.engine.url, heard=self.news.heard, caught_up=self._caught_up
            )
        else:
            self.poll = SharedPoll(
                sessions,
                owner=self.who.id,
                running=self.runner.busy,
                watched=self.watchers.seen,
                cancelled=self.runner.cancel_requested,
                changed=self.watchers.changed,
            )
        self._tasks: set[asyncio.Task[None]] = set()

    def align_clock(self) -> None:
        """Measure this host's offset from the database's clock (see `jobs.clock`)."""
        with self.sessions.read() as session:
            self.clock.align(session)

    def sweep(self) -> list[store.JobRow]:
        """Hand back what dead instances and silent workers left in progress."""
        with self.sessions.write() as session:
            return recovery.sweep(session, who=self.who, config=self.config)

    async def start(self) -> list[store.JobRow]:
        """Register, sweep, then run the ticks and the runner; return the swept jobs.

        The database steps run first, so a database that refuses them raises
        before anything runs in the background.
        """
        if not self._runs_jobs:
            raise RuntimeError("an engine without a step handler cannot run jobs")
        self.align_clock()
        with self.sessions.write() as session:
            instances.register(session, who=self.who)
        swept = self.sweep()
        self.started_at = self.clock.now()
        self.metrics.database_writable.set(1)  # the registration committed
        self.metrics.monitor_last_run.set(self.started_at.timestamp())  # a start counts as a run
        if swept:
            logger.warning("startup sweep handed back %d orphaned job(s)", len(swept))
        self.ticks.start()
        await self.runner.start()
        self.news.start()
        if self.listener is not None:
            self.listener.start()
        if self.poll is not None:
            self.poll.start()
        return swept

    async def stop(self, grace_seconds: float | None = None) -> list[store.JobRow]:
        """Hand back, stop the ticks, say this instance stopped; return what was handed back.

        A database that refuses these last writes is one line each: the jobs
        come back by the stale-heartbeat rule instead.
        """
        grace = self.config.shutdown_grace_seconds if grace_seconds is None else grace_seconds
        self.watchers.close()  # open streams end now, not after the grace period
        handed_back: list[store.JobRow] = []
        try:
            handed_back = await self.runner.shutdown(grace)
        except sa.exc.SQLAlchemyError as error:
            failures.log(logger, error, "shutdown could not hand back unfinished jobs")
        else:
            if handed_back:
                logger.warning("shutdown handed back %d unfinished job(s)", len(handed_back))
        await self.ticks.stop()
        await self._stop_news()
        try:
            with self.sessions.write() as session:
                instances.mark_stopped(session, instance_id=self.who.id)
        except sa.exc.SQLAlchemyError as error:
            failures.log(logger, error, "could not mark this instance stopped")
        return handed_back

    async def submit(self, create: Callable[..., T], **values: Any) -> T:
        """Run `create(session, **values)` (a `store.create`, or the domain's wrapper of
        it) in the next group commit, whose claim can take the new job at once."""
        return await self.runner.write(create, **values)

    def wake(self) -> None:
        """Look for work now (thread-safe)."""
        self.runner.wake()

    def retry(self, job_id: str, extra_attempts: int | None = None) -> store.JobRow:
        """Queue a failed or cancelled job again, with `extra_attempts` (by default
        max_attempts) more attempts."""
        extra = self.config.max_attempts if extra_attempts is None else extra_attempts
        with self.sessions.write() as session:
            job = store.retry(session, job_id=job_id, extra_attempts=extra)
        self.wake()
        return job

    def cancel(self, job_id: str) -> store.JobRow:
        """Cancel a pending job, or flag a running one and stop it: at once if it runs
        here, else when its owner hears the news (a NOTIFY on PostgreSQL, its shared
        poll on SQLite, its heartbeat at the latest); returns the row as the cancel left
        it (thread-safe: blocks until a local attempt has stopped)."""
        with self.sessions.write() as session:
            job = store.request_cancel(session, job_id=job_id)
        if job.status != JobStatus.IN_PROGRESS:
            return job
        done = self.runner.cancel_now(job_id)
        if done is not None:
            try:
                done.result(timeout=LOCAL_CANCEL_WAIT_SECONDS)
            except Exception:
                logger.warning("job %s: local cancel still pending", job_id)
        return job

    def watch(self, job_id: str) -> AsyncGenerator[queries.JobView]:
        """The job's row (its shown columns, `queries.VIEW_COLUMNS`) at once, then again
        after each change of its status, progress, attempts, error or cancel request,
        wherever the change was made; ends after a terminal row, or when the engine
        stops. A slow consumer gets the latest row, not a backlog. Raises KeyError, before
        the first row, if there is no such job."""
        return self.watchers.watch(job_id)

    def _take(self, heard: list[news.News], *, local: bool) -> None:
        """Act on news (on the loop): stop cancelled attempts running here, claim due work
        a peer announced (our own submits claim in their batch), refresh watchers."""
        cancels = [(n.job_id, n.attempt) for n in heard if n.kind == news.CANCEL]
        if cancels:
            self.runner.cancel_requested(cancels)
        if not local and any(n.kind == news.DUE for n in heard):
            self.runner.look_now()
        self.watchers.changed([n.job_id for n in heard])

    def _caught_up(self) -> None:
        """The listener (re)connected: what it missed is read back (on the loop)."""
        self.runner.look_now()
        self.watchers.everything_changed()
        if self.runner.busy():
            task = asyncio.create_task(self._check_cancels(), name="progen-news-catch-up")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _check_cancels(self) -> None:
        def read() -> list[tuple[str, int]]:
            with self.sessions.engine.connect() as connection:
                return queries.cancels_requested(connection, self.who.id)

        try:
            self.runner.cancel_requested(await asyncio.to_thread(read))
        except sa.exc.SQLAlchemyError as error:  # the heartbeat brings them anyway
            failures.log(logger, error, "could not read the cancels missed meanwhile")

    async def _stop_news(self) -> None:
        self.news.stop()
        if self.listener is not None:
            await self.listener.stop()
        if self.poll is not None:
            await self.poll.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def health(self) -> EngineHealth:
        """This engine's own view of its health (the database's is the caller's to read)."""
        last_run = self.ticks.monitor_last_run_at
        now = self.clock.now()
        since = last_run or self.started_at or now
        overdue = now - since > timedelta(seconds=MISSED_MONITOR_RUNS * self.config.monitor_seconds)
        return EngineHealth(
            instance_id=self.who.id,
            scheduler_running=self.ticks.running,
            monitor_last_run_at=last_run,
            monitor_overdue=overdue,
            storage_error=self.ticks.storage_error,
            claiming=self.runner.claiming,
        )

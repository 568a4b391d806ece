"""The periodic ticks: heartbeat, monitor and retention, on APScheduler's asyncio scheduler.

Each tick supervises itself: it logs and survives its own failures and
records when it last ran, so /api/health can tell a stalled monitor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from db import failures
from db.database import Sessions
from jobs import clock, instances, metrics, queries, recovery, store
from jobs.config import EngineConfig
from jobs.runner import Runner

logger = logging.getLogger(__name__)
RETENTION_INTERVAL_SECONDS = 3600  # pruning old jobs hourly is plenty


class Ticks:
    """Owns the scheduler and its three jobs.

    Args:
        sessions: makes a short session per tick.
        who: this process's identity.
        runner: the runner whose leases the heartbeat renews.
        config: intervals and thresholds.
    """

    def __init__(
        self, *, sessions: Sessions, who: instances.Me, runner: Runner, config: EngineConfig
    ) -> None:
        self._sessions = sessions
        self._who = who
        self._runner = runner
        self._config = config
        self._clock = clock.attach(sessions)
        self._metrics = metrics.attach(sessions)
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self.monitor_last_run_at: datetime | None = None
        #: why the last write probe failed, in words ("disk full"); None once one commits
        self.storage_error: str | None = None
        self._last_heartbeat_ok = time.monotonic()
        self._stopped = False

    @property
    def running(self) -> bool:
        """Whether the scheduler is running."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Add the ticks and start the scheduler (needs the running loop)."""
        self._add(self.heartbeat, "heartbeat", self._config.heartbeat_seconds)
        self._add(self.monitor, "monitor", self._config.monitor_seconds)
        self._add(self.retention, "retention", RETENTION_INTERVAL_SECONDS)
        self._scheduler.start()

    def _add(self, tick: Callable[[], Awaitable[None]], name: str, seconds: float) -> None:
        self._scheduler.add_job(
            self._run,
            "interval",
            args=[tick],
            seconds=seconds,
            id=name,
            name=name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    async def _run(self, tick: Callable[[], Awaitable[None]]) -> None:
        """Run one tick. A tick still in flight when the server's loop closes is cancelled
        then; after `stop` that is no failure (APScheduler would log a traceback)."""
        try:
            await tick()
        except asyncio.CancelledError:
            if not self._stopped:
                raise

    async def stop(self) -> None:
        """Stop the scheduler; its shutdown is deferred to the loop, hence the sleep."""
        self._stopped = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)

    def _tx_heartbeat(self, leases: list[store.Lease]) -> dict[str, bool]:
        with self._sessions.read() as session:
            self._clock.align(session)  # before the write: the heartbeat uses the corrected clock
        with self._sessions.write() as session:
            kept = store.heartbeat(session, owner=self._who.id, leases=leases)
            instances.touch(session, instance_id=self._who.id)
            return kept

    async def heartbeat(self) -> None:
        """Renew every lease of this process in one statement; stop the ones it lost."""
        leases = self._runner.leases()
        try:
            kept = await asyncio.to_thread(self._tx_heartbeat, leases)
        except Exception as error:
            self._metrics.heartbeat_failures.inc()
            if self._runner.claiming:  # one line when the failures start, not one per tick
                failures.log(logger, error, "heartbeat failed; not claiming until one succeeds")
            self._runner.claiming = False
            silent = time.monotonic() - self._last_heartbeat_ok
            if silent > self._config.stale_seconds and self._runner.leases():
                logger.error("no heartbeat for %.0f s: dropping running jobs", silent)
                self._runner.drop_all()
            return
        self._last_heartbeat_ok = time.monotonic()
        if not self._runner.claiming:
            logger.warning("heartbeat written again; claiming jobs")
        self._runner.claiming = True
        self._runner.reconcile(kept, leases)

    def _tx_monitor(self) -> int:
        failures.check_room(self._sessions.engine)
        with self._sessions.write() as session:
            # The write probe: a real row changes, so the commit writes to the disk and a
            # full or read-only one says so here, once per tick, never per health poll. A
            # SQLite WAL reuses its frames, so a small write can still fit on a full disk:
            # check_room, above, catches that.
            instances.touch(session, instance_id=self._who.id)
            jobs = recovery.sweep(session, who=self._who, config=self._config)
        return len(jobs)

    async def monitor(self) -> None:
        """Probe that the database takes writes, hand back jobs whose owner is dead or
        silent, refresh the job gauges; record that the monitor ran."""
        try:
            reclaimed = await asyncio.to_thread(self._tx_monitor)
        except Exception as error:
            self._monitor_failed(error)
            return
        if self.storage_error is not None:
            logger.warning("the database takes writes again (was: %s)", self.storage_error)
        self.storage_error = None
        self._metrics.database_writable.set(1)
        self.monitor_last_run_at = self._clock.now()
        self._metrics.monitor_last_run.set(self.monitor_last_run_at.timestamp())
        if reclaimed:
            logger.warning("monitor handed back %d lost job(s)", reclaimed)
            self._runner.wake()
        try:
            await asyncio.to_thread(self._refresh_gauges)
        except Exception as error:
            failures.log(logger, error, "could not count jobs for /metrics")

    def _monitor_failed(self, error: Exception) -> None:
        words = failures.describe(error)
        self._metrics.database_writable.set(0)
        if words != self.storage_error:  # one line when it starts or changes, not per tick
            failures.log(logger, error, "monitor tick failed")
        self.storage_error = words

    def _refresh_gauges(self) -> None:
        """Jobs per status for /metrics, once per tick in the monitor's thread: a scrape
        then reads memory, never the table."""
        now = self._clock.now()
        with self._sessions.read() as session:
            counts = queries.status_counts(session)
            oldest = queries.oldest_heartbeat(session)
        for status, count in counts.items():
            self._metrics.jobs.labels(status).set(count)
        self._metrics.oldest_heartbeat_age.set((now - oldest).total_seconds() if oldest else 0)

    def _tx_retention(self) -> int:
        cutoff = self._clock.now() - timedelta(days=self._config.retention_days)
        with self._sessions.write() as session:
            pruned = store.prune(session, older_than=cutoff)
            instances.prune(session, older_than=cutoff)
        return pruned

    async def retention(self) -> None:
        """Delete terminal jobs older than JOB_RETENTION_DAYS."""
        try:
            pruned = await asyncio.to_thread(self._tx_retention)
        except Exception as error:
            failures.log(logger, error, "retention tick failed")
            return
        if pruned:
            logger.info("pruned %d old job(s)", pruned)

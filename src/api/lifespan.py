"""Startup and shutdown, in the order that keeps jobs safe.

Startup: migrate → register this instance → sweep orphans of dead
instances → start the ticks → start the runner. Shutdown (SIGTERM,
--reload): stop claiming → let running jobs finish for
SHUTDOWN_GRACE_SECONDS → hand the rest back without counting the attempt →
stop the ticks → mark this instance stopped.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from db import migrate
from db.database import Sessions, make_engine
from jobs import clock, instances, metrics, recovery
from jobs.runner import Runner, RunnerConfig
from jobs.scheduler import TickConfig, Ticks
from programs import generators
from programs.service import Programs
from settings import Settings

logger = logging.getLogger(__name__)


def _policy(settings: Settings) -> recovery.Policy:
    return recovery.Policy(
        stale_seconds=settings.heartbeat_stale_seconds,
        backoff_base=settings.job_retry_backoff_seconds,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the job engine for as long as the app serves."""
    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url)
    sessions = Sessions(engine)
    migrate.upgrade(engine)
    who = instances.me()
    with sessions.read() as session:
        clock.align(session)
    with sessions.write() as session:
        instances.register(session, who=who)
    with sessions.write() as session:
        swept = recovery.sweep(session, who=who, policy=_policy(settings))
    if swept:
        metrics.RECLAIMS.labels("owner_dead").inc(len(swept))
        logger.warning("startup sweep handed back %d orphaned job(s)", len(swept))
    generator = generators.choose(settings)
    runner = Runner(
        sessions=sessions,
        instance_id=who.id,
        handler=generator,
        config=RunnerConfig(
            concurrency=settings.job_concurrency,
            backoff_base=settings.job_retry_backoff_seconds,
            timeout_seconds=settings.job_timeout_seconds,
            write_retry_seconds=settings.heartbeat_stale_seconds,
        ),
    )
    ticks = Ticks(
        sessions=sessions,
        who=who,
        runner=runner,
        config=TickConfig(
            heartbeat_seconds=settings.heartbeat_interval_seconds,
            monitor_seconds=settings.monitor_interval_seconds,
            policy=_policy(settings),
            retention_days=settings.job_retention_days,
        ),
    )
    app.state.sessions, app.state.who, app.state.ticks = sessions, who, ticks
    app.state.started_at = clock.utcnow()
    app.state.programs = Programs(
        sessions=sessions,
        runner=runner,
        generator=generator,
        max_attempts=settings.job_max_attempts,
    )
    ticks.start()
    await runner.start()
    # What startup built (modules, app, schemas) lives as long as the process: kept out
    # of the collector, a full collection walks only the jobs' objects (with 1,000 jobs
    # in flight one took ~150 ms, a stall every poll in that window would wait out).
    gc.freeze()
    logger.info("instance %s serving (generator %s)", who.id, generator.name)
    try:
        yield
    finally:
        handed_back = await runner.shutdown(settings.shutdown_grace_seconds)
        if handed_back:
            logger.warning("shutdown handed back %d unfinished job(s)", len(handed_back))
        await ticks.stop()
        with sessions.write() as session:
            instances.mark_stopped(session, instance_id=who.id)
        await generator.aclose()
        engine.dispose()

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
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client import multiprocess

from api import metrics_dir
from api.preflight import redact_safely
from db import failures, migrate
from db.database import Sessions, make_engine, project_relative
from jobs import clock, instances, metrics, recovery
from jobs.models import Job
from jobs.runner import Runner, RunnerConfig
from jobs.scheduler import TickConfig, Ticks
from programs import generators
from programs.generators.base import ProgramGenerator
from programs.service import Programs
from settings import VERSION, Settings

logger = logging.getLogger(__name__)
START_REFUSED = 3  # uvicorn's own exit status for a failed startup


def _policy(settings: Settings) -> recovery.Policy:
    return recovery.Policy(
        stale_seconds=settings.heartbeat_stale_seconds,
        backoff_base=settings.job_retry_backoff_seconds,
    )


def _announce(settings: Settings, who: instances.Me, generator: ProgramGenerator) -> None:
    """The first lines of a start: what this process runs on, with which intervals."""
    logger.info(
        "progen %s starting: instance %s, database %s, generator %s",
        VERSION,
        who.id,
        _shown_url(settings),
        generator.name,
    )
    logger.info(
        "heartbeat every %g s (stale after %g s), monitor every %g s, %d job(s) at once, "
        "%d attempt(s) per job, metrics in %s",
        settings.heartbeat_interval_seconds,
        settings.heartbeat_stale_seconds,
        settings.monitor_interval_seconds,
        settings.job_concurrency,
        settings.job_max_attempts,
        metrics.multiproc_dir() or "this process",
    )


def _shown_url(settings: Settings) -> str:
    """The database URL as the engine uses it (SQLite's path absolute), password masked."""
    return redact_safely(project_relative(settings.database_url))


def _prepare_database(
    engine: sa.Engine, sessions: Sessions, who: instances.Me, settings: Settings
) -> list[Job]:
    """Migrate, register this instance and sweep orphans; return the swept jobs.

    A database that refuses these writes (a disk that fills during the start)
    ends the start with one line, as preflight's checks do: an exception here
    would reach uvicorn, which prints its whole traceback.
    """
    try:
        migrate.upgrade(engine)
        with sessions.read() as session:
            clock.align(session)
        with sessions.write() as session:
            instances.register(session, who=who)
        with sessions.write() as session:
            return recovery.sweep(session, who=who, policy=_policy(settings))
    except sa.exc.SQLAlchemyError as error:
        if failures.storage_failure(error) is None:
            raise  # a bug: its traceback is the useful part
        logger.error(
            "cannot start: the database refuses the start's writes (%s)", failures.describe(error)
        )
        logging.shutdown()
        os._exit(START_REFUSED)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the job engine for as long as the app serves."""
    settings: Settings = app.state.settings
    who = instances.me()
    generator = generators.choose(settings)
    _announce(settings, who, generator)
    engine = make_engine(settings.database_url)
    sessions = Sessions(engine)
    swept = _prepare_database(engine, sessions, who, settings)
    started_at = clock.utcnow()
    metrics.DATABASE_WRITABLE.set(1)  # the registration committed
    metrics.MONITOR_LAST_RUN.set(started_at.timestamp())  # a start counts as a run
    if swept:
        logger.warning("startup sweep handed back %d orphaned job(s)", len(swept))
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
    app.state.started_at = started_at
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
        await _stop(runner, ticks, sessions, who, settings)
        await generator.aclose()
        engine.dispose()
        _leave_metrics()


async def _stop(
    runner: Runner, ticks: Ticks, sessions: Sessions, who: instances.Me, settings: Settings
) -> None:
    """Hand back, stop the ticks, say this instance stopped; a database that refuses the
    last writes is one line (the jobs come back by the stale-heartbeat rule instead)."""
    try:
        handed_back = await runner.shutdown(settings.shutdown_grace_seconds)
    except sa.exc.SQLAlchemyError as error:
        failures.log(logger, error, "shutdown could not hand back unfinished jobs")
    else:
        if handed_back:
            logger.warning("shutdown handed back %d unfinished job(s)", len(handed_back))
    await ticks.stop()
    try:
        with sessions.write() as session:
            instances.mark_stopped(session, instance_id=who.id)
    except sa.exc.SQLAlchemyError as error:
        failures.log(logger, error, "could not mark this instance stopped")


def _leave_metrics() -> None:
    """This process's live gauges go; a lone server process takes its metric files along."""
    folder = metrics.multiproc_dir()
    if folder is None:
        return
    multiprocess.mark_process_dead(os.getpid(), path=str(folder))
    if metrics_dir.is_server_process():
        metrics_dir.remove(folder)

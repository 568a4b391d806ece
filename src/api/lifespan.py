"""Startup and shutdown, in the order that keeps jobs safe.

Startup: migrate, then start the engine (`jobs.engine.Engine`: register
this instance → sweep orphans of dead instances → start the ticks → start
the runner). Shutdown (SIGTERM, --reload): the engine stops claiming, lets
running jobs finish for SHUTDOWN_GRACE_SECONDS, hands the rest back without
counting the attempt, stops the ticks and marks this instance stopped.
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
from jobs import instances, metrics
from jobs.engine import Engine
from programs import generators
from programs.generators.base import ProgramGenerator
from programs.service import Programs
from settings import VERSION, Settings

logger = logging.getLogger(__name__)
START_REFUSED = 3  # uvicorn's own exit status for a failed startup


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


async def _start(database: sa.Engine, engine: Engine) -> None:
    """Migrate, then start the engine (register, sweep, ticks, runner).

    A database that refuses these writes (a disk that fills during the start)
    ends the start with one line, as preflight's checks do: an exception here
    would reach uvicorn, which prints its whole traceback.
    """
    try:
        migrate.upgrade(database)
        await engine.start()
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
    generator = generators.choose(settings)
    database = make_engine(settings.database_url)
    engine = Engine(sessions=Sessions(database), config=settings.engine_config(), handler=generator)
    _announce(settings, engine.who, generator)
    app.state.engine = engine
    app.state.programs = Programs(engine=engine, generator=generator)
    await _start(database, engine)
    # What startup built (modules, app, schemas) lives as long as the process: kept out
    # of the collector, a full collection walks only the jobs' objects (with 1,000 jobs
    # in flight one took ~150 ms, a stall every poll in that window would wait out).
    gc.freeze()
    logger.info("instance %s serving (generator %s)", engine.who.id, generator.name)
    try:
        yield
    finally:
        await engine.stop()
        await generator.aclose()
        database.dispose()
        _leave_metrics()


def _leave_metrics() -> None:
    """This process's live gauges go; a lone server process takes its metric files along."""
    folder = metrics.multiproc_dir()
    if folder is None:
        return
    multiprocess.mark_process_dead(os.getpid(), path=str(folder))
    if metrics_dir.is_server_process():
        metrics_dir.remove(folder)

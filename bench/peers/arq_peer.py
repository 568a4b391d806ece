"""arq on Redis: one asyncio worker, `max_jobs` at once."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from bench.peers.peer import (
    BEST,
    CONCURRENCY,
    LONG_SECONDS,
    REDIS_URL,
    Peer,
    mark_end,
    mark_start,
    module_cli,
)

SETTINGS = RedisSettings.from_dsn(f"{REDIS_URL}/2")
QUEUE_KEY = "arq:queue"


async def noop(_ctx: dict[str, Any]) -> None:
    """The job: nothing."""


async def long(_ctx: dict[str, Any], seconds: float) -> None:
    """The crash scenario's job."""
    mark_start()
    await asyncio.sleep(seconds)
    mark_end()


class WorkerSettings:
    """What `arq bench.peers.arq_peer.WorkerSettings` runs."""

    functions: ClassVar = [noop, long]
    redis_settings = SETTINGS
    max_jobs = CONCURRENCY
    # arq has no heartbeat: a dead worker's job runs again when its in-progress key expires,
    # job_timeout + 10 s after it started (300 s by default)
    job_timeout = LONG_SECONDS + 10 if BEST else 300


class Arq(Peer):
    name = "arq"
    backend = "redis"
    job = "a coroutine by name; pickled call; result kept 1 day"
    best = "job_timeout just above the job's length (a longer healthy job is cancelled)"

    async def reset(self) -> None:
        pool = await create_pool(SETTINGS)
        await pool.flushdb()
        await pool.aclose()

    async def open(self) -> None:
        self.pool: ArqRedis = await create_pool(SETTINGS)

    async def submit(self) -> None:
        await self.pool.enqueue_job("noop")

    async def enqueue_long(self) -> None:
        await self.pool.enqueue_job("long", LONG_SECONDS)

    async def counts(self) -> tuple[int, int]:
        # A job leaves arq's queue when it finishes, so queued counts the running too.
        unfinished = await self.pool.zcard(QUEUE_KEY)
        return unfinished, unfinished

    def worker(self) -> list[str]:
        return module_cli("arq", "bench.peers.arq_peer.WorkerSettings")

    async def close(self) -> None:
        await self.pool.aclose()

"""SAQ on Redis and on PostgreSQL: one asyncio worker, `concurrency` jobs at once."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from saq import Queue

from bench.peers.peer import (
    BEST,
    CONCURRENCY,
    LONG_SECONDS,
    QUEUE,
    REDIS_URL,
    Peer,
    fresh_postgres_database,
    mark_end,
    mark_start,
    module_cli,
)

REDIS = f"{REDIS_URL}/3"
PG_DATABASE = "peers_saq"
URL_ENV = "PEERS_SAQ_URL"  # the worker's settings read the backend from here


HEARTBEAT_SECONDS = 10  # the best settings' job heartbeat, touched every 2 s by the job


async def noop(_ctx: dict[str, Any]) -> None:
    """The job: nothing."""


async def long(ctx: dict[str, Any], seconds: float) -> None:
    """The crash scenario's job; with the best settings it heartbeats as SAQ asks."""
    mark_start()
    for _ in range(int(seconds / 2)):
        await asyncio.sleep(2)
        if BEST:
            await ctx["job"].update()
    mark_end()


#: What `saq bench.peers.saq_peer.settings` runs.
settings = {
    "queue": Queue.from_url(os.environ.get(URL_ENV, REDIS), name=QUEUE),
    "functions": [noop, long],
    "concurrency": CONCURRENCY,
    **({"timers": {"sweep": 5}} if BEST else {}),
}


class Saq(Peer):
    name = "saq"
    job = "a coroutine by name; JSON call; result kept 600 s"
    best = "timeout=0, heartbeat=10 (the job touches it every 2 s), retries=3; sweep every 5 s"

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.name = f"saq ({'Redis' if backend == 'redis' else 'PostgreSQL'})"
        self.url = REDIS

    async def reset(self) -> None:
        if self.backend == "redis":
            queue = Queue.from_url(REDIS, name=QUEUE)
            await queue.redis.flushdb()  # type: ignore[attr-defined]
            await queue.disconnect()
        else:
            self.url = fresh_postgres_database(PG_DATABASE)
        os.environ[URL_ENV] = self.url  # inherited by the worker this process starts

    async def open(self) -> None:
        self.queue = Queue.from_url(self.url, name=QUEUE)
        await self.queue.connect()

    async def submit(self) -> None:
        await self.queue.enqueue("noop")

    async def enqueue_long(self) -> None:
        options = {"timeout": 0, "heartbeat": HEARTBEAT_SECONDS, "retries": 3} if BEST else {}
        await self.queue.enqueue("long", seconds=LONG_SECONDS, **options)

    async def counts(self) -> tuple[int, int]:
        return await self.queue.count("queued"), await self.queue.count("incomplete")

    def worker(self) -> list[str]:
        return module_cli("saq", "bench.peers.saq_peer.settings", "--quiet")

    async def close(self) -> None:
        await self.queue.disconnect()

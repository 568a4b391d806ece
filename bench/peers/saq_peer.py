"""SAQ on Redis and on PostgreSQL: one asyncio worker, `concurrency` jobs at once."""

from __future__ import annotations

import os
from typing import Any

from saq import Queue

from bench.peers.peer import (
    CONCURRENCY,
    QUEUE,
    REDIS_URL,
    Peer,
    fresh_postgres_database,
    module_cli,
)

REDIS = f"{REDIS_URL}/3"
PG_DATABASE = "peers_saq"
URL_ENV = "PEERS_SAQ_URL"  # the worker's settings read the backend from here


async def noop(_ctx: dict[str, Any]) -> None:
    """The job: nothing."""


#: What `saq bench.peers.saq_peer.settings` runs.
settings = {
    "queue": Queue.from_url(os.environ.get(URL_ENV, REDIS), name=QUEUE),
    "functions": [noop],
    "concurrency": CONCURRENCY,
}


class Saq(Peer):
    name = "saq"
    job = "a coroutine by name; JSON call; result kept 600 s"

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

    async def enqueue(self, count: int) -> None:
        for _ in range(count):
            await self.queue.enqueue("noop")

    async def counts(self) -> tuple[int, int]:
        return await self.queue.count("queued"), await self.queue.count("incomplete")

    def worker(self) -> list[str]:
        return module_cli("saq", "bench.peers.saq_peer.settings", "--quiet")

    async def close(self) -> None:
        await self.queue.disconnect()

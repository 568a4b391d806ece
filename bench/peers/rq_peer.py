"""RQ 2 on Redis: `rq worker-pool` of SimpleWorkers (RQ runs one job per process at a time)."""

from __future__ import annotations

import time

from redis import Redis
from rq import Queue, Retry
from rq.registry import StartedJobRegistry

from bench.peers.peer import (
    BEST,
    CONCURRENCY,
    LONG_SECONDS,
    QUEUE,
    REDIS_URL,
    ROOT,
    Peer,
    mark_end,
    mark_start,
    module_cli,
)

URL = f"{REDIS_URL}/1"


def noop() -> None:
    """The job: nothing."""


def long(seconds: float) -> None:
    """The crash scenario's job."""
    mark_start()
    time.sleep(seconds)
    mark_end()


class RQ(Peer):
    name = "rq"
    backend = "redis"
    job = "a function by import path; pickled call; result kept 500 s"
    best = "Retry(max=3) on the job; worker --maintenance-interval 10 --job-monitoring-interval 5"

    async def reset(self) -> None:
        Redis.from_url(URL).flushdb()

    async def open(self) -> None:
        self.queue = Queue(QUEUE, connection=Redis.from_url(URL))

    async def submit(self) -> None:
        self.queue.enqueue(noop)

    async def counts(self) -> tuple[int, int]:
        waiting = self.queue.count
        return waiting, waiting + StartedJobRegistry(queue=self.queue).count

    async def enqueue_long(self) -> None:
        self.queue.enqueue(long, LONG_SECONDS, retry=Retry(max=3) if BEST else None)

    def worker(self) -> list[str]:
        if BEST:  # one process is enough for one job; the pool has no maintenance option
            return module_cli(
                "rq.cli", "worker", "-w", "rq.worker.SimpleWorker", "-u", URL, "-P", str(ROOT),
                "--maintenance-interval", "10", "--job-monitoring-interval", "5", QUEUE,
            )  # fmt: skip
        return module_cli(
            "rq.cli", "worker-pool", "-n", str(CONCURRENCY), "-w", "rq.worker.SimpleWorker",
            "-u", URL, "-P", str(ROOT), "-q", QUEUE,
        )  # fmt: skip

"""RQ 2 on Redis: `rq worker-pool` of SimpleWorkers (RQ runs one job per process at a time)."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry

from bench.peers.peer import CONCURRENCY, QUEUE, REDIS_URL, ROOT, Peer, module_cli

URL = f"{REDIS_URL}/1"


def noop() -> None:
    """The job: nothing."""


class RQ(Peer):
    name = "rq"
    backend = "redis"
    job = "a function by import path; pickled call; result kept 500 s"

    async def reset(self) -> None:
        Redis.from_url(URL).flushdb()

    async def open(self) -> None:
        self.queue = Queue(QUEUE, connection=Redis.from_url(URL))

    async def enqueue(self, count: int) -> None:
        for _ in range(count):
            self.queue.enqueue(noop)

    async def counts(self) -> tuple[int, int]:
        waiting = self.queue.count
        return waiting, waiting + StartedJobRegistry(queue=self.queue).count

    def worker(self) -> list[str]:
        return module_cli(
            "rq.cli", "worker-pool", "-n", str(CONCURRENCY), "-w", "rq.worker.SimpleWorker",
            "-u", URL, "-P", str(ROOT), "-q", QUEUE,
        )  # fmt: skip

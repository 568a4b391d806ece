"""Celery on a Redis broker: a prefork worker with `-c 8` child processes.

Celery keeps no record of a finished task without a result backend, so a finished
task is counted by one Redis INCR in the worker's `task_success` signal: the only
peer whose jobs do a little more than nothing (about one Redis round trip).
"""

from __future__ import annotations

import time
from typing import Any

from celery import Celery, signals
from redis import Redis

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

URL = f"{REDIS_URL}/4"
DONE = "peers:done"
QUEUE_KEY = "celery"  # the default queue's list on the broker

app = Celery("peers", broker=URL)
if BEST:  # a task is acknowledged when done; unacknowledged ones return after the timeout
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        broker_transport_options={"visibility_timeout": LONG_SECONDS + 10},
    )
_counter: list[Redis] = []  # one client per worker process, made on first use


@app.task
def noop() -> None:
    """The job: nothing."""


@app.task
def long(seconds: float) -> None:
    """The crash scenario's job."""
    mark_start()
    time.sleep(seconds)
    mark_end()


@signals.task_success.connect
def _count(**_: Any) -> None:
    if not _counter:
        _counter.append(Redis.from_url(URL))
    _counter[0].incr(DONE)


class CeleryPeer(Peer):
    name = "celery (prefork)"
    backend = "redis"
    job = "a task by name; JSON message; no result kept"
    best = (
        "acks_late, reject_on_worker_lost, visibility_timeout just above the job's length "
        "(a longer healthy job is delivered again)"
    )

    async def reset(self) -> None:
        Redis.from_url(URL).flushdb()

    async def open(self) -> None:
        self.redis = Redis.from_url(URL)
        self.sent = 0

    async def submit(self) -> None:
        noop.delay()
        self.sent += 1

    async def enqueue_long(self) -> None:
        long.delay(LONG_SECONDS)

    async def counts(self) -> tuple[int, int]:
        waiting = int(self.redis.llen(QUEUE_KEY))
        return waiting, self.sent - int(self.redis.get(DONE) or 0)

    def worker(self) -> list[str]:
        return module_cli(
            "celery", "-A", "bench.peers.celery_peer", "worker", "-P", "prefork",
            "-c", str(CONCURRENCY), "--loglevel", "WARNING",
        )  # fmt: skip

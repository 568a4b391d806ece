"""A Celery app with one sleeping task: what a prefork worker costs per slot of concurrency.

Runs only in the peers' venv (bench/peers/.venv), never the service's: the worker imports
it (`celery -A bench.celery_sleeper worker`), and `python -m bench.celery_sleeper N SECONDS`
enqueues N sleeps. Broker and queue come from the environment, so a run does not meet
another engineer's tasks on the shared Redis.
"""

from __future__ import annotations

import os
import sys
import time

from celery import Celery

QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "bench-sleeper")
app = Celery(
    "bench_sleeper", broker=os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/13")
)
app.conf.task_default_queue = QUEUE
app.conf.worker_prefetch_multiplier = 1


@app.task(ignore_result=True)
def sleep(seconds: float) -> None:
    """Hold a worker process the way a job waiting on a model would hold it."""
    time.sleep(seconds)


if __name__ == "__main__":
    count, seconds = int(sys.argv[1]), float(sys.argv[2])
    for _ in range(count):
        sleep.delay(seconds)

"""Two choices the store applies but does not own: how a job id is made, and how long a
failed attempt waits before the next one."""

from __future__ import annotations

import os
import random
import time
import uuid

MAX_BACKOFF_SECONDS = 3600  # an hour: longer waits help nobody


def new_job_id() -> str:
    """A UUIDv7 (RFC 9562): time first, so jobs created in turn have ids in turn.

    Each insert then lands on the last page of the id indexes (the jobs' key,
    the events' job_id) instead of a random one: a group commit writes a few
    pages instead of one per job, and on SQLite a commit costs by the page.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC variant
    return str(uuid.UUID(int=value))


def backoff_seconds(base: float, attempt: int) -> float:
    """Exponential backoff with jitter: base * 2**(attempt-1), between 80 % and 120 %."""
    delay = base * 2.0 ** max(attempt - 1, 0) * random.uniform(0.8, 1.2)
    return min(delay, MAX_BACKOFF_SECONDS)

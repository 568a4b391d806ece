"""TEMPORARY stand-in for `Engine.watch` until branch wt-news lands it on main.

It polls one job every POLL_SECONDS per open stream, the very cost the real
watch removes (one read per change per process). When `Engine.watch` reaches
main, delete this file and call `self.engine.watch` in `programs.service`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from jobs import queries
from jobs.engine import Engine
from jobs.errors import JobNotFound
from jobs.status import TERMINAL, JobStatus

POLL_SECONDS = 0.2
_COLUMNS = tuple(c for c in queries.VIEW_COLUMNS if c.name != "result")


def _read(engine: Engine, job_id: str) -> queries.JobView:
    with engine.sessions.engine.connect() as connection:
        return queries.view(connection, job_id, _COLUMNS)


async def watch(engine: Engine, job_id: str) -> AsyncGenerator[queries.JobView]:
    """The job's row at once, then whenever it changed; returns after a terminal row."""
    last = None
    while True:
        try:
            row = await asyncio.to_thread(_read, engine, job_id)
        except JobNotFound:
            if last is None:
                raise KeyError(job_id) from None
            return  # pruned while watched
        if row != last:
            yield row
            last = row
        if JobStatus(row.status) in TERMINAL:
            return
        await asyncio.sleep(POLL_SECONDS)

"""Short database reads from `async` routes, without a thread hop where none is needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


async def run(engine: sa.Engine, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`read(*args, **kwargs)`: on SQLite at once, elsewhere in the thread pool.

    A SQLite read in WAL mode takes no lock a writer holds, so it never waits on
    busy_timeout; a one-row poll costs ~0.2 ms, less than the hop to a thread and
    back, and there is then no GIL handover per request. Its pooled connection never
    waits either: the pool (2 x 48) outnumbers every thread that can hold one. A
    PostgreSQL read can wait on the network (connect_timeout 3 s in an outage), so
    it runs in a thread and the event loop keeps heartbeating.
    """
    if engine.dialect.name == "sqlite":
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)

"""Watching jobs: each watcher gets a job's row at once, then its latest row on each change.

Every watcher of a job shares one entry: news of a change marks the job
stale, and one refresh task reads every stale watched job in one query and
wakes their watchers. A watcher that falls behind gets the latest row, never a
backlog. Nothing is read, and no task runs, while nobody watches; news of an
unwatched job is one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from db import failures
from db.database import Sessions
from jobs import queries
from jobs.errors import JobNotFound
from jobs.status import TERMINAL

logger = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_SECONDS = 1.0  # a refresh that failed is tried again after this
_TERMINAL = {status.value for status in TERMINAL}


@dataclass
class _Entry:
    """One watched job: its latest row, and an event set (and replaced) at each change."""

    row: queries.JobView | None = None
    watchers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, row: queries.JobView) -> None:
        """Take a newer row and wake the watchers (an equal row wakes nobody)."""
        if row == self.row:
            return
        self.row = row
        self.changed.set()
        self.changed = asyncio.Event()


class Watchers:
    """The watched jobs of one process.

    Args:
        sessions: where the rows are read.
        read_in_thread: whether a read goes to a thread (PostgreSQL: a read can wait on
            the network) or runs on the loop (SQLite: a WAL read never waits).
    """

    def __init__(self, sessions: Sessions, *, read_in_thread: bool) -> None:
        self._sessions = sessions
        self._in_thread = read_in_thread
        self._entries: dict[str, _Entry] = {}
        self._stale: set[str] = set()
        self._refresher: asyncio.Task[None] | None = None
        self._closed = False
        self.reads = 0  # refresh queries run, for tests and benchmarks

    def seen(self) -> dict[str, datetime | None]:
        """Each watched job's `updated_at` as last read (None before the first read)."""
        return {
            job_id: entry.row.updated_at if entry.row is not None else None
            for job_id, entry in self._entries.items()
        }

    async def watch(self, job_id: str) -> AsyncGenerator[queries.JobView]:
        """The job's row now, then after each change; ends after a terminal row, or when
        the watchers close. Raises KeyError before the first row if there is no such job."""
        if self._closed:
            return
        entry = self._entries.setdefault(job_id, _Entry())
        entry.watchers += 1
        try:
            try:
                row = await self._run(functools.partial(self._read_one, job_id))
            except JobNotFound:
                raise KeyError(job_id) from None
            if entry.row is None or row.updated_at >= entry.row.updated_at:
                entry.update(row)  # else a refresh read a newer one meanwhile
            last = None
            while not self._closed:
                changed, current = entry.changed, entry.row  # together: no change is missed
                if current is not None and current != last:
                    last = current
                    yield current
                    if current.status in _TERMINAL:
                        return
                    continue
                await changed.wait()
        finally:
            entry.watchers -= 1
            if entry.watchers == 0 and self._entries.get(job_id) is entry:
                del self._entries[job_id]

    def changed(self, job_ids: list[str]) -> None:
        """News that these jobs changed (on the loop): read the watched ones again."""
        stale = [job_id for job_id in job_ids if job_id in self._entries]
        if not stale or self._closed:
            return
        self._stale.update(stale)
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh(), name="progen-watch-refresh")

    def everything_changed(self) -> None:
        """News may have been lost (a listener reconnected): read every watched job."""
        self.changed(list(self._entries))

    async def _refresh(self) -> None:
        """Read the stale watched jobs, one query per round, until none is stale."""
        while self._stale and not self._closed:
            ids = sorted(self._stale)
            self._stale.clear()
            try:
                rows = await self._run(functools.partial(self._read_many, ids))
            except Exception as error:
                failures.log(logger, error, "reading watched jobs failed; trying again")
                self._stale.update(ids)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.reads += 1
            for row in rows:
                if (entry := self._entries.get(row.id)) is not None:
                    entry.update(row)

    def close(self) -> None:
        """End every watch (shutdown): each generator returns at its next wait."""
        self._closed = True
        for entry in self._entries.values():
            entry.changed.set()
        if self._refresher is not None:
            self._refresher.cancel()

    async def _run(self, read: Callable[[], T]) -> T:
        return await asyncio.to_thread(read) if self._in_thread else read()

    def _read_one(self, job_id: str) -> queries.JobView:
        with self._sessions.engine.connect() as connection:
            return queries.view(connection, job_id)

    def _read_many(self, job_ids: list[str]) -> list[queries.JobView]:
        with self._sessions.engine.connect() as connection:
            return queries.views(connection, job_ids)

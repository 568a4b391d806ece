"""SQLite's side of the news: one look a second per process, only while it needs one.

Processes on one SQLite file cannot notify each other, so each looks: while
it runs jobs, for cancels requested on them (one indexed query of its own
running rows); while it watches jobs, for watched jobs changed since it last
read them (one query by id for all of them, then one read of the changed
ones). A process that runs and watches nothing reads nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from db import failures
from db.database import Sessions
from jobs import queries

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # the contract: a cancel lands within 2 s


class SharedPoll:
    """The once-a-second look of one process.

    Args:
        sessions: the SQLite database.
        owner: this process's instance id (its running jobs' owner).
        running: whether this process runs any job right now.
        watched: each watched job's `updated_at` as last read (`Watchers.seen`).
        cancelled: takes (job id, attempt) of the running jobs whose cancel was requested.
        changed: takes the ids of watched jobs that changed.
    """

    def __init__(
        self,
        sessions: Sessions,
        *,
        owner: str,
        running: Callable[[], bool],
        watched: Callable[[], dict[str, datetime | None]],
        cancelled: Callable[[list[tuple[str, int]]], None],
        changed: Callable[[list[str]], None],
    ) -> None:
        self._sessions = sessions
        self._owner = owner
        self._running = running
        self._watched = watched
        self._cancelled = cancelled
        self._changed = changed
        self._task: asyncio.Task[None] | None = None
        self._failure: str | None = None
        self.looks = 0  # looks that read the database, for tests

    def start(self) -> None:
        """Look every POLL_SECONDS from now on, on the running loop."""
        self._task = asyncio.create_task(self._run(), name="progen-shared-poll")

    async def stop(self) -> None:
        """Stop looking."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.look()
            except Exception as error:
                words = failures.describe(error)
                if words != self._failure:
                    failures.log(logger, error, "looking for cancels and changes failed")
                self._failure = words
            else:
                self._failure = None

    async def look(self) -> None:
        """One look, if this process runs or watches anything (else nothing is read)."""
        running, watched = self._running(), self._watched()
        if not running and not watched:
            return
        self.looks += 1
        with self._sessions.engine.connect() as connection:  # a WAL read never waits
            cancels = queries.cancels_requested(connection, self._owner) if running else []
            now = queries.updated(connection, list(watched)) if watched else {}
        if cancels:
            self._cancelled(cancels)
        changed = [job_id for job_id, at in now.items() if at != watched.get(job_id)]
        if changed:
            self._changed(changed)

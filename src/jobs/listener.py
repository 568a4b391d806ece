"""PostgreSQL's side of the news: one listening connection per process, kept open.

The connection is psycopg's own (autocommit, outside SQLAlchemy's pool, which
must not lose a connection for good), on the event loop: waiting for
notifications costs no thread. When it is lost (a restart of the server, a
network cut, found by TCP keepalives within seconds) it reconnects with a
growing delay, and after every connect `caught_up` runs, because notifications
sent while nobody listened are gone (see `jobs.news`: nothing depends on them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

import psycopg
import sqlalchemy as sa
from psycopg.conninfo import make_conninfo

from db import failures
from jobs.news import CHANNEL

logger = logging.getLogger(__name__)
FIRST_RETRY_SECONDS = 0.2  # then doubling, up to MAX_RETRY_SECONDS
MAX_RETRY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3
#: a dead peer or a cut network is found in about idle + interval * count seconds
KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
}


def conninfo(url: sa.URL) -> str:
    """psycopg's connection string for a SQLAlchemy URL (`postgresql+psycopg://...`), with
    a connect timeout and TCP keepalives."""
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return make_conninfo(plain, connect_timeout=str(CONNECT_TIMEOUT_SECONDS), **KEEPALIVES)


class PgListener:
    """LISTENs on the news channel and hands every payload to `heard`.

    Args:
        url: the database's SQLAlchemy URL.
        heard: takes the payloads of the notifications that arrived (on the loop).
        caught_up: runs after each (re)connect: what was missed meanwhile is read back.
    """

    def __init__(
        self,
        url: sa.URL,
        *,
        heard: Callable[[Iterable[str]], None],
        caught_up: Callable[[], None],
    ) -> None:
        self._conninfo = conninfo(url)
        self._heard = heard
        self._caught_up = caught_up
        self._task: asyncio.Task[None] | None = None
        self._failure: str | None = None  # the last failure's words, until a connect works
        #: set while the connection listens (tests and benchmarks wait for it)
        self.listening = asyncio.Event()

    def start(self) -> None:
        """Listen from now on, on the running loop."""
        self._task = asyncio.create_task(self._run(), name="progen-news-listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as error:
                self._lost(error, delay)
            if self.listening.is_set():  # it worked until now: a new loss, retried soon
                delay = FIRST_RETRY_SECONDS
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _listen(self) -> None:
        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        async with connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            if self._failure is not None:
                logger.warning("listening for job news again (was: %s)", self._failure)
            self._failure = None
            self.listening.set()
            self._caught_up()
            async for notification in connection.notifies():
                self._heard((notification.payload,))

    def _lost(self, error: Exception, delay: float) -> None:
        """One line per kind of failure, not one per retry."""
        words = failures.describe(error)
        if words != self._failure:
            logger.warning(
                "job news from other instances: connection lost (%s); reconnecting, and "
                "the heartbeats and the claim poll cover the gap",
                words,
            )
        self._failure = words
        logger.debug("news listener retries in %.1f s", delay)

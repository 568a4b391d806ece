"""Group commit: the running jobs' writes share transactions.

Hundreds of jobs finishing steps at once would each pay a commit (and on
PostgreSQL an fsync) and a thread hop. Instead every write waiting at the
moment goes into one transaction: at low load a batch is one write and adds
no delay; under load, one commit carries many.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from db.database import Sessions
from jobs.errors import LeaseLost

T = TypeVar("T")
MAX_BATCH = 64  # writes per transaction: bounds how long one transaction holds the lock
Write = tuple[Callable[..., Any], dict[str, Any], "asyncio.Future[Any]"]


class GroupCommit:
    """One writer task that runs queued store writes together.

    A fenced store write that finds its lease lost raises LeaseLost before it
    writes anything, so it fails alone and the others commit; any other error
    rolls back the batch and every write in it fails (the callers retry).

    Args:
        sessions: makes the writing transactions.
    """

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[Write] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer on the running loop."""
        self._task = asyncio.create_task(self._drain(), name="progen-group-commit")

    async def write(self, fn: Callable[..., T], **kwargs: Any) -> T:
        """Run `fn(session, **kwargs)` in the next batch and return its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((fn, kwargs, future))
        return await future

    async def stop(self) -> None:
        """Stop the writer (after the jobs that use it have ended)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await asyncio.to_thread(self._run, batch)
            except Exception as error:  # the batch rolled back: each caller decides
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller was cancelled meanwhile
                    continue
                if isinstance(outcome, LeaseLost):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _run(self, batch: list[Write]) -> list[Any]:
        outcomes: list[Any] = []
        with self._sessions.write() as session:
            for fn, kwargs, _ in batch:
                try:
                    outcomes.append(fn(session, **kwargs))
                except LeaseLost as lost:
                    outcomes.append(lost)
        return outcomes

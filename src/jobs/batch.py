"""Group commit: every write of the process waiting at the moment shares one transaction.

Hundreds of jobs finishing steps at once, and clients submitting new ones,
would each pay a commit (and on PostgreSQL an fsync) and a thread hop.
Instead one writer task takes every write queued at the moment into one
transaction: at low load a batch is one write and adds no delay; under
load, one commit carries many. Writes of a kind that has a many-jobs form
(`coalesce`) run as one statement. A batch can end with a `Tail`, the
runner's claim, so the slots its jobs free are filled in the same commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from db.database import Sessions
from jobs.errors import LeaseLost

T = TypeVar("T")
V = TypeVar("V")
MAX_BATCH = 64  # writes per transaction: bounds how long one transaction holds the lock


@dataclass(frozen=True)
class Coalesced(Generic[V]):
    """How one write function's calls in a batch run together: each call's keywords
    make a `value`, and `many` writes them all, its outcomes in order (LeaseLost too)."""

    value: Callable[..., V]
    many: Callable[[Session, list[V]], list[Any]]


@dataclass
class Write:
    """One queued write: `fn(session, **kwargs)`, answered through `future`."""

    fn: Callable[..., Any]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    ends: str | None  # the job whose attempt this write ends, freeing its slot


class Tail(Protocol):
    """Work appended to a batch, planned on the event loop before it runs."""

    def plan(self, ending: set[str]) -> Callable[[Session], Any] | None:
        """What to run last in a batch whose writes end these jobs' attempts, or None."""

    def deliver(self, outcome: Any) -> None:
        """Take the planned work's result, on the event loop, once the batch committed."""


def _nothing(session: Session) -> None:
    """A write that only makes a batch happen (so its tail runs)."""


class GroupCommit:
    """One writer task that runs queued store writes together.

    A fenced store write that finds its lease lost raises LeaseLost before it
    writes anything, so it fails alone and the others commit; any other error
    rolls back the batch and every write in it fails (the callers retry).

    Args:
        sessions: makes the writing transactions.
        tail: appended to each batch (the runner's claim), if any.
        coalesce: write functions whose calls in one batch run as one `many` call.
    """

    def __init__(
        self,
        sessions: Sessions,
        tail: Tail | None = None,
        coalesce: dict[Callable[..., Any], Coalesced[Any]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._tail = tail
        self._coalesce = coalesce or {}
        self._queue: asyncio.Queue[Write] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer on the running loop."""
        self._task = asyncio.create_task(self._drain(), name="progen-group-commit")

    async def write(self, fn: Callable[..., T], *, ends: str | None = None, **kwargs: Any) -> T:
        """Run `fn(session, **kwargs)` in the next batch and return its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Write(fn, kwargs, future, ends))
        return await future

    async def kick(self) -> None:
        """Run a batch now, even with nothing to write, so the tail runs."""
        await self.write(_nothing)

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
            tail = self._tail.plan({w.ends for w in batch if w.ends}) if self._tail else None
            try:
                outcomes, tail_outcome = await asyncio.to_thread(self._run, batch, tail)
            except Exception as error:  # the batch rolled back: each caller decides
                for write in batch:
                    if not write.future.done():
                        write.future.set_exception(error)
                continue
            for write, outcome in zip(batch, outcomes, strict=True):
                if write.future.done():  # its caller was cancelled meanwhile
                    continue
                if isinstance(outcome, LeaseLost):
                    write.future.set_exception(outcome)
                else:
                    write.future.set_result(outcome)
            if tail is not None and self._tail is not None:
                self._tail.deliver(tail_outcome)

    def _run(
        self, batch: list[Write], tail: Callable[[Session], Any] | None
    ) -> tuple[list[Any], Any]:
        outcomes: list[Any] = [None] * len(batch)
        together: dict[Callable[..., Any], list[int]] = {}  # a job has one write at a time,
        with self._sessions.write() as session:  # so writes of different jobs can reorder
            for index, write in enumerate(batch):
                if write.fn in self._coalesce:
                    together.setdefault(write.fn, []).append(index)
                    continue
                try:
                    outcomes[index] = write.fn(session, **write.kwargs)
                except LeaseLost as lost:
                    outcomes[index] = lost
            for fn, indexes in together.items():
                kind = self._coalesce[fn]
                values = [kind.value(**batch[index].kwargs) for index in indexes]
                many = kind.many(session, values)
                for index, outcome in zip(indexes, many, strict=True):
                    outcomes[index] = outcome
            return outcomes, (tail(session) if tail is not None else None)

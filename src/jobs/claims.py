"""When a runner claims, and how many: the claim planner.

A claim costs a statement, so it runs only when work may be due. Every
event that may add work counts up `asked` (a submit, a wake from a retry or
a reclaim, the idle poll); a claim records the count it started from, and
a claim that came back short (fewer jobs than free slots) proves nothing
was due at that count, so it answers every ask up to it. Asks that arrive
while a claim runs stay unanswered, and the next batch claims again.

The planner only counts and builds the claim; the runner owns the slots
and spawns what a claim took.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from sqlalchemy.orm import Session

from jobs import store


@dataclass(frozen=True)
class Claimed:
    """What one claim took, with the limit and the ask count it ran for."""

    jobs: list[store.JobRow]
    limit: int
    asked: int


class ClaimPlanner:
    """Counts the asks for work and plans claims for `owner`'s free slots.

    Args:
        owner: the instance id the claimed leases belong to.
        concurrency: how many attempts may run at once.
    """

    def __init__(self, *, owner: str, concurrency: int) -> None:
        self._owner = owner
        self._concurrency = concurrency
        # Work may be due while `_asked` is ahead of `_answered`; a new planner asks once.
        self._asked, self._answered = 1, 0

    def ask(self) -> None:
        """Work may be due: the next batch should claim."""
        self._asked += 1

    def limit(self, running: AbstractSet[str], ending: AbstractSet[str]) -> int:
        """How many jobs to claim once the attempts in `ending` have ended: the free
        slots, or 0 when every ask is answered."""
        if self._asked <= self._answered:
            return 0
        return max(self._concurrency - len(running - ending), 0)

    def claim(self, limit: int) -> Callable[[Session], Claimed]:
        """The claim of up to `limit` jobs, to run in a batch's transaction."""
        asked, owner = self._asked, self._owner

        def claim(session: Session) -> Claimed:
            return Claimed(store.claim(session, owner=owner, limit=limit), limit, asked)

        return claim

    def answered(self, claimed: Claimed) -> list[store.JobRow]:
        """Take a committed claim's outcome; return the jobs it took."""
        if len(claimed.jobs) < claimed.limit:
            self._answered = max(self._answered, claimed.asked)
        return claimed.jobs

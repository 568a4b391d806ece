"""News of a job's change, sent with the commit that made it, to whoever acts on it.

The store announces every change a runner or a watcher acts on (`announce`):
the announcements wait on the session and leave only if it commits. At commit
a `Hub` (one per engine) delivers them to its own process (`after_commit`) and,
on PostgreSQL, sends each as a `pg_notify` on CHANNEL inside the committing
transaction (`before_commit`), so peers hear of it exactly when it is true.

Kinds:
    due      a job became pending and due now: a peer with a free slot claims at once
    cancel   a running job's cancel was requested: its owner stops the running step
    changed  anything else a watcher shows (status, progress, attempts, error)

Each kind is also a change for watchers. The payload is text,
`"<kind> <job id> <attempt> <sender instance id>"`; a hub ignores its own
(its process heard the change at commit already).

News only makes things happen sooner: a lost notification costs time, never
correctness. The heartbeat still returns cancel requests, the 1 s claim poll
still finds due jobs, and a stop checks the row under its lease.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from db.database import Sessions
from jobs.status import JobStatus

logger = logging.getLogger(__name__)
CHANNEL = "progen_jobs"
DUE, CANCEL, CHANGED = "due", "cancel", "changed"
KINDS = frozenset({DUE, CANCEL, CHANGED})
_QUEUED = "progen_news"  # in Session.info: this transaction's announcements, in order
_MARK = "progen_news_hub"
_NOTIFY = sa.text(f"SELECT pg_notify('{CHANNEL}', p) FROM unnest(CAST(:payloads AS text[])) p")


@dataclass(frozen=True)
class News:
    """One change of one job: what kind, which job and attempt, from which instance."""

    kind: str
    job_id: str
    attempt: int
    sender: str = ""

    def payload(self) -> str:
        """The notification's text."""
        return f"{self.kind} {self.job_id} {self.attempt} {self.sender}"

    @classmethod
    def parse(cls, payload: str) -> News | None:
        """The news in a notification's text; None for text that is not ours."""
        parts = payload.split(" ")
        if len(parts) != 4 or parts[0] not in KINDS or not parts[2].isdigit():
            return None
        kind, job_id, attempt, sender = parts
        return cls(kind, job_id, int(attempt), sender)


def announce(session: Session, kind: str, job_id: str, attempt: int) -> None:
    """Queue news of a change made in this session's transaction, sent if it commits."""
    session.info.setdefault(_QUEUED, []).append(News(kind, job_id, attempt))


def announce_transition(session: Session, event: dict[str, Any], next_at: datetime | None) -> None:
    """The news of a recorded transition (an event row): `due` when the job is pending
    and due now, else `changed`."""
    due = event["to_status"] == JobStatus.PENDING and (next_at is None or next_at <= event["at"])
    announce(session, DUE if due else CHANGED, event["job_id"], event["attempt"])


def ended(session: Session, transaction: SessionTransaction) -> None:
    """After the outermost transaction, committed or not: its announcements are done."""
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)


class Listener(Protocol):
    """Who acts on news in this process (the engine's `take`)."""

    def __call__(self, heard: list[News], *, local: bool) -> None: ...


class Hub:
    """Sends this engine's news at commit and hands every news to `take` on the loop.

    Args:
        sessions: the engine's sessions (the hub adds its commit hooks to them).
        sender: this engine's instance id, written in each payload.
        take: called on the event loop with each commit's news (`local`: made here),
            and with news heard from peers.
    """

    def __init__(self, sessions: Sessions, *, sender: str, take: Listener) -> None:
        self.sender = sender
        self._take = take
        self._loop: asyncio.AbstractEventLoop | None = None
        self.notifies = sessions.engine.dialect.name == "postgresql"
        if self.notifies:
            sessions.listen("before_commit", self._send, mark=_MARK)
        sessions.listen("after_commit", self._committed, mark=_MARK)

    def start(self) -> None:
        """Deliver on the running loop from now on (before: nothing runs or is watched)."""
        self._loop = asyncio.get_running_loop()

    def stop(self) -> None:
        """Deliver nothing more."""
        self._loop = None

    def _queued(self, session: Session) -> list[News]:
        return [
            News(n.kind, n.job_id, n.attempt, self.sender) for n in session.info.get(_QUEUED, ())
        ]

    def _send(self, session: Session) -> None:
        """Before commit: one pg_notify per announcement, delivered by PostgreSQL at commit."""
        if queued := self._queued(session):
            payloads = [news.payload() for news in queued]
            session.connection().execute(_NOTIFY, {"payloads": payloads})

    def _committed(self, session: Session) -> None:
        """After commit (in the committing thread): hand the news to the loop."""
        if queued := self._queued(session):
            self.deliver(queued, local=True)

    def heard(self, payloads: Iterable[str]) -> None:
        """Notifications from the listening connection (on the loop): peers' news only."""
        found = [news for p in payloads if (news := News.parse(p)) and news.sender != self.sender]
        if found:
            self._take_logged(found, False)

    def deliver(self, news: list[News], *, local: bool) -> None:
        """Hand news to `take` on the loop, from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._take_logged, news, local)
        except RuntimeError:  # the loop closed meanwhile: nobody is left to tell
            pass

    def _take_logged(self, news: list[News], local: bool) -> None:
        try:
            self._take(news, local=local)
        except Exception:
            logger.exception("acting on job news failed; the polls and heartbeats catch up")

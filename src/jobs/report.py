"""What a committed transition tells the log and the metrics, once it is committed.

The store notes each transition on its session; only when that transaction
commits does each note become one log line and its metric updates. A
transaction that rolls back (a full disk, a lost connection) logs and counts
nothing, so the log never says "created" or "claimed" for a row that is not
there.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

from jobs import metrics
from jobs.status import TERMINAL, JobStatus, Reason

logger = logging.getLogger("jobs.transitions")
_NOTES = "progen_report_notes"  # in Session.info: this transaction's notes, in order
_TERMINAL = {status.value for status in TERMINAL}
#: events whose message only restates the transition ("completed", "attempt 1 of 3 started")
_RESTATED = {Reason.CREATED, Reason.CLAIMED, Reason.COMPLETED}
_WORDS = {
    Reason.CREATED: "created",
    Reason.CLAIMED: "claimed",
    Reason.COMPLETED: "completed",
    Reason.RETRYABLE_ERROR: "retryable error",
    Reason.PERMANENT_ERROR: "permanent error",
    Reason.TIMEOUT: "timed out",
    Reason.OWNER_DEAD: "owner lost",
    Reason.SHUTDOWN: "handed back by a graceful shutdown",
    Reason.CANCELLED: "cancelled",
    Reason.MANUAL_RETRY: "retried by hand",
    Reason.MANUAL_CLEANUP: "cleaned up by hand",
}


def note(
    session: Session,
    row: dict[str, Any],
    job: Any,
    *,
    reclaim: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """Keep an event row (and what the metrics need of its job) until the commit.

    `reclaim` names why a lost job was handed back, for progen_reclaims_total.
    """
    facts = {
        **row,
        "max_attempts": getattr(job, "max_attempts", None),
        "created_at": getattr(job, "created_at", None),
        "next_attempt_at": getattr(job, "next_attempt_at", None),
        "due_at": due_at,  # a claim's: when the job was due
        "reclaim": reclaim,
    }
    session.info.setdefault(_NOTES, []).append(facts)


def committed(session: Session) -> None:
    """After a commit: log and count its notes (`jobs.journal` registers this)."""
    notes = session.info.pop(_NOTES, [])
    if notes:
        counts = metrics.of(session)
        for facts in notes:
            _count(counts, facts)
            _log(facts)


def ended(session: Session, transaction: SessionTransaction) -> None:
    """After a transaction: the outermost one's notes go if it did not commit."""
    if transaction.parent is None:  # the outermost one, which did not commit: forget
        session.info.pop(_NOTES, None)


def _seconds(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else max((later - earlier).total_seconds(), 0.0)


def _count(counts: metrics.Metrics, facts: dict[str, Any]) -> None:
    at, reason, to_status = facts["at"], facts["reason"], facts["to_status"]
    if reason == Reason.CREATED:
        counts.submitted.inc()
    elif reason == Reason.CLAIMED:
        if (wait := _seconds(at, facts["due_at"] or facts["created_at"])) is not None:
            counts.queue_wait.observe(wait)
    if facts["reclaim"]:
        counts.reclaims.labels(facts["reclaim"]).inc()
    if to_status in _TERMINAL:
        counts.finished.labels(to_status).inc()
        if (lived := _seconds(at, facts["created_at"])) is not None:
            counts.job_seconds.labels(to_status).observe(lived)


def _why(facts: dict[str, Any]) -> tuple[str, bool]:
    """The reason in words, and whether the job is failed for good."""
    words = _WORDS.get(Reason(facts["reason"]), facts["reason"])
    if facts["reason"] == Reason.CLAIMED and facts["instance_id"]:
        words += f" by {facts['instance_id']}"
    final = facts["to_status"] == JobStatus.FAILED
    if final:
        no_more = facts["reason"] != Reason.PERMANENT_ERROR
        words += ", final" + (": no attempts left" if no_more else "")
    elif facts["to_status"] == JobStatus.PENDING and facts["next_attempt_at"] is not None:
        wait = _seconds(facts["next_attempt_at"], facts["at"]) or 0.0
        words += f"; next attempt in {wait:.0f} s"
    return words, final


def _log(facts: dict[str, Any]) -> None:
    job_id = facts["job_id"]
    message = "" if facts["reason"] in _RESTATED else facts["message"] or ""
    if facts["reason"] == Reason.CREATED:
        text, args, level, final = "job %s created (pending)", [job_id], logging.INFO, False
    else:
        words, final = _why(facts)
        attempt = f"{facts['attempt']}/{facts['max_attempts'] or '?'}"
        text = "job %s attempt %s: %s -> %s (%s)" + (": %s" if message else "")
        args = [job_id, attempt, facts["from_status"], facts["to_status"], words]
        args += [message] if message else []
        level = logging.WARNING if final else logging.INFO
    logger.log(
        level,
        text,
        *args,
        extra={
            "job_id": job_id,
            "attempt": facts["attempt"],
            "from_status": facts["from_status"],
            "to_status": facts["to_status"],
            "reason": facts["reason"],
            "final": final,
            "detail": message,
            "instance_id": facts["instance_id"],
        },
    )

"""What a run measured: reclaim latencies by fault, resumes, steps kept and redone."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from scripts.chaos.faults import Fault
from scripts.chaos.load import Point
from scripts.chaos.proof import RECLAIM_REASONS, Evidence, backwards

from jobs.status import JobStatus, Reason

#: every way an attempt ends without a result: the job goes back (or fails)
HANDBACKS = frozenset({*RECLAIM_REASONS, Reason.SHUTDOWN, Reason.RETRYABLE_ERROR, Reason.TIMEOUT})


def stats(values: list[float]) -> dict[str, Any]:
    """n, median, max and min, rounded to the millisecond."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "min": round(min(values), 3),
    }


def regressions(series: dict[str, list[Point]]) -> list[str]:
    """Every sample whose saved step count was lower than the sample before."""
    found = []
    for job_id, points in series.items():
        for n in backwards([p.steps for p in points]):
            found.append(f"{job_id}: step {points[n - 1].steps} -> {points[n].steps}")
    return found


class Tally:
    """Figures over the hand-backs: which fault caused each, how fast, how many steps kept."""

    def __init__(self, faults: list[Fault], db_window: float) -> None:
        self.by_victim: dict[str, list[Fault]] = defaultdict(list)
        for fault in faults:
            if fault.victim:
                self.by_victim[fault.victim].append(fault)
        self.db_faults = [f for f in faults if f.kind == "dbrestart"]
        self.db_window = db_window
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.resume: list[float] = []
        self.handback: list[float] = []
        self.unattributed: list[str] = []
        self.kept = self.redone = self.interrupted = 0

    def interruption(self, saved: int, total: int, event: Any, next_claim: Any) -> None:
        """An attempt handed back to pending: its saved steps are kept, the one in flight
        (if any) is redone by the next attempt."""
        self.interrupted += 1
        self.kept += saved
        self.redone += 1 if saved < total else 0
        if next_claim is not None:
            self.resume.append(next_claim.at.timestamp() - event.at.timestamp())

    def attribute(self, job_id: str, event: Any, claim: Any) -> None:
        """Seconds from the fault that hurt this lease (the latest one after its claim,
        on its owner or on the database) to this hand-back."""
        at = event.at.timestamp()
        owner = claim.instance_id if claim is not None else None
        since = claim.at.timestamp() - 0.05 if claim is not None else 0.0
        hurt = [
            f
            for f in self.by_victim.get(owner or "", []) + self.db_faults
            if since <= f.started <= at + 0.05
        ]
        last = max(hurt, key=lambda f: f.started) if hurt else None
        if event.reason == Reason.SHUTDOWN:
            if last is not None and last.kind == "term":
                self.handback.append(at - last.started)
        elif event.reason == Reason.OWNER_DEAD:
            if last is not None and (last.kind != "dbrestart" or at <= last.ended + self.db_window):
                self.latency[last.kind].append(at - last.started)
            else:
                self.unattributed.append(f"{job_id} at {at:.2f} (owner {owner})")


def _saved_steps_at(points: list[Point], at: float) -> int:
    seen = [p.steps for p in points if p.at <= at + 0.05]
    return max(seen) if seen else 0


def tally(
    evidence: Evidence, series: dict[str, list[Point]], faults: list[Fault], window: float
) -> Tally:
    """Walk every job's events: each hand-back attributed to a fault, each interruption
    counted with the steps it kept."""
    counted = Tally(faults, window)
    for job_id, events in evidence.events.items():
        claim = None
        total = evidence.jobs[job_id].total_steps or 0
        for index, event in enumerate(events):
            if event.reason == Reason.CLAIMED:
                claim = event
            elif event.from_status == JobStatus.IN_PROGRESS and event.reason in HANDBACKS:
                if event.to_status == JobStatus.PENDING:
                    saved = _saved_steps_at(series.get(job_id, []), event.at.timestamp())
                    later = [e for e in events[index + 1 :] if e.reason == Reason.CLAIMED]
                    counted.interruption(saved, total, event, later[0] if later else None)
                counted.attribute(job_id, event, claim)
    return counted


def figures(
    evidence: Evidence,
    series: dict[str, list[Point]],
    faults: list[Fault],
    *,
    window: float,
    samples: int,
    sampler_errors: int,
) -> dict[str, Any]:
    """Every figure of the report. `window`: how long after a database restart an
    `owner_dead` is still put down to it."""
    counted = tally(evidence, series, faults, window)
    jobs = evidence.jobs.values()
    completed = [j for j in jobs if j.status == JobStatus.COMPLETED]
    return {
        "faults": dict(Counter(f.kind for f in faults)),
        "jobs_by_status": dict(Counter(j.status for j in jobs)),
        "events_by_reason": dict(
            Counter(e.reason for events in evidence.events.values() for e in events)
        ),
        "reclaim_latency": {kind: stats(values) for kind, values in counted.latency.items()},
        "resume_latency": stats(counted.resume),
        "shutdown_handback_latency": stats(counted.handback),
        "restart_seconds": stats(
            [f.restart_seconds for f in faults if f.restart_seconds is not None]
        ),
        "interrupted_attempts": counted.interrupted,
        "steps_redone": counted.redone,
        "finished_steps_redone": len(regressions(series)),
        "steps_kept_by_checkpoints": counted.kept,
        "steps_total_completed": sum(j.total_steps or 0 for j in completed),
        "unattributed_reclaims": len(counted.unattributed),
        "unattributed_examples": counted.unattributed[:5],
        "max_attempts_used": max((j.attempts for j in jobs), default=0),
        "progress_samples": samples,
        "sampler_errors": sampler_errors,
    }


def cancel_latency(evidence: Evidence, cancels: Sequence[Any]) -> dict[str, Any]:
    """Seconds from sending each accepted cancel to its job's `cancelled` event (its owner's
    write, after the running step was stopped)."""
    seconds = [
        event.at.timestamp() - cancel.sent_at
        for cancel in cancels
        for event in evidence.events.get(cancel.job_id, [])[-1:]
        if event.reason == Reason.CANCELLED
    ]
    return stats(seconds)

"""The proof: what the rows and events of a run's jobs must show.

Pure functions over rows (any objects with the columns as attributes: ORM rows, Core
rows, or made-up ones in tests/unit/test_chaos_proof.py), so a test can feed them a bad
chain and see them fail, and the integration tests reuse them on their own jobs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from jobs.models import Job, JobEvent
from jobs.status import TERMINAL, TRANSITIONS, JobStatus, Reason

#: a worker's own writes out of in_progress: only the lease in force may make them
WORKER_REASONS = frozenset(
    {
        Reason.COMPLETED,
        Reason.RETRYABLE_ERROR,
        Reason.PERMANENT_ERROR,
        Reason.TIMEOUT,
        Reason.CANCELLED,
    }
)
#: someone else taking a job back from a lost owner
RECLAIM_REASONS = frozenset({Reason.OWNER_DEAD, Reason.MANUAL_CLEANUP})
CHUNK = 200  # ids per IN (...) list


@dataclass
class Check:
    """One property of the run, and what was found."""

    name: str
    ok: bool
    detail: str


def check(name: str, problems: list[str], ok_text: str) -> Check:
    """A check that passes when there are no problems (the first three are quoted)."""
    detail = ok_text if not problems else f"{len(problems)}: " + "; ".join(problems[:3])
    return Check(name, not problems, detail)


@dataclass
class Evidence:
    """The rows and the events (oldest first) of the jobs a run submitted."""

    ids: list[str]
    jobs: dict[str, Any] = field(default_factory=dict)
    events: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, engine: sa.Engine, ids: Sequence[str]) -> Evidence:
        """Read them from the database."""
        evidence = cls(list(ids))
        with engine.connect() as conn:
            for start in range(0, len(evidence.ids), CHUNK):
                chunk = evidence.ids[start : start + CHUNK]
                for row in conn.execute(sa.select(Job).where(Job.id.in_(chunk))):
                    evidence.jobs[row.id] = row
                query = sa.select(JobEvent).where(JobEvent.job_id.in_(chunk)).order_by(JobEvent.id)
                for row in conn.execute(query):
                    evidence.events[row.job_id].append(row)
        return evidence


def chain_problems(job_id: str, events: Sequence[Any]) -> list[str]:
    """Every status change must be allowed and follow the one before, and every worker write
    must be the current claim's (its attempt, its instance): a lost lease never writes again."""
    if not events or events[0].reason != Reason.CREATED or events[0].from_status is not None:
        return [f"{job_id}: first event is not the creation"]
    problems: list[str] = []
    state, attempts = events[0].to_status, events[0].attempt
    claim: tuple[int, str | None] | None = None
    for event in events[1:]:
        where = f"{job_id} event {event.id} ({event.reason}, attempt {event.attempt})"
        if event.from_status != state:
            problems.append(f"{where}: from {event.from_status} but the job was {state}")
        elif event.to_status not in TRANSITIONS.get(state, frozenset()):
            problems.append(f"{where}: {state} may not become {event.to_status}")
        if event.reason == Reason.CLAIMED:
            if event.attempt != attempts + 1:
                problems.append(f"{where}: claim after attempt {attempts}")
            claim = (event.attempt, event.instance_id)
        elif event.from_status == JobStatus.IN_PROGRESS:
            problems += _lease_problems(where, event, claim)
            claim = None
        state, attempts = event.to_status, event.attempt
    return problems


def _lease_problems(where: str, event: Any, claim: tuple[int, str | None] | None) -> list[str]:
    """What is wrong with `event`, which took the job out of in_progress under `claim`."""
    if claim is None:
        return [f"{where}: left in_progress without a claim"]
    attempt, owner = claim
    if event.reason in WORKER_REASONS and (event.attempt, event.instance_id) != claim:
        return [f"{where}: written by {event.instance_id} attempt {event.attempt}, lease {claim}"]
    if event.reason == Reason.SHUTDOWN and (
        event.instance_id != owner or event.attempt not in (attempt - 1, attempt)
    ):
        return [f"{where}: hand-back does not match the lease {claim}"]
    if event.reason in RECLAIM_REASONS and event.attempt != attempt:
        return [f"{where}: reclaim changed the attempt of lease {claim}"]
    return []


def backwards(steps: Sequence[int]) -> list[int]:
    """Positions where a job's saved step count went down from the sample before."""
    return [n for n in range(1, len(steps)) if steps[n] < steps[n - 1]]


def missing(evidence: Evidence) -> list[str]:
    """Submitted ids without a row."""
    return [job_id for job_id in evidence.ids if job_id not in evidence.jobs]


def not_terminal(evidence: Evidence) -> list[str]:
    """Jobs still pending or in_progress."""
    return [f"{j.id} {j.status}" for j in evidence.jobs.values() if j.status not in TERMINAL]


def in_progress(evidence: Evidence) -> list[str]:
    """Jobs still in_progress."""
    return [j.id for j in evidence.jobs.values() if j.status == JobStatus.IN_PROGRESS]


def completions_wrong(evidence: Evidence) -> list[str]:
    """Jobs whose 'completed' events are not exactly one for a completed job, none else."""
    wrong = []
    for job_id, job in evidence.jobs.items():
        done = sum(1 for event in evidence.events[job_id] if event.reason == Reason.COMPLETED)
        if done != (1 if job.status == JobStatus.COMPLETED else 0):
            wrong.append(f"{job_id}: {job.status} with {done} 'completed' events")
    return wrong


def broken_chains(evidence: Evidence) -> list[str]:
    """chain_problems over every job."""
    return [p for job_id in evidence.jobs for p in chain_problems(job_id, evidence.events[job_id])]


def incomplete(evidence: Evidence) -> list[str]:
    """Completed jobs without all their steps or their weeks, or still keeping the step
    outputs (completing drops them); an unfinished job whose steps_done disagrees with
    its saved steps."""
    found = []
    for j in evidence.jobs.values():
        saved = len(j.steps or [])
        done = j.status == JobStatus.COMPLETED
        if (done and (j.steps_done != j.total_steps or saved)) or (
            not done and j.steps_done != saved
        ):
            found.append(f"{j.id}: {j.steps_done} of {j.total_steps} steps, {saved} kept")
        elif j.status == JobStatus.COMPLETED and (
            not j.result or len(j.result.get("weeks", [])) != j.request["weeks"]
        ):
            found.append(f"{j.id}: the result has not the weeks asked for")
    return found


def unexpected_failures(evidence: Evidence, cancelled: Collection[str] = ()) -> list[str]:
    """Jobs failed or cancelled other than by using up their attempts, or (those in
    `cancelled`) by a cancel the run made."""
    return [
        f"{j.id}: {j.status} after {j.attempts}/{j.max_attempts}: {j.error}"
        for j in evidence.jobs.values()
        if j.status in (JobStatus.FAILED, JobStatus.CANCELLED)
        and not (j.status == JobStatus.FAILED and j.attempts >= j.max_attempts)
        and not (j.status == JobStatus.CANCELLED and j.id in cancelled)
    ]


def cancel_problems(evidence: Evidence, cancels: Sequence[Any]) -> list[str]:
    """Each accepted cancel (`load.Cancel`: the job as the cancel left it) must end its job
    `cancelled`, with no attempt started after it and no step started after it: at most
    the step running when it was accepted may have been saved since."""
    problems = []
    for cancel in cancels:
        job = evidence.jobs.get(cancel.job_id)
        if job is None:
            continue  # `all_exist` reports it
        in_flight = 1 if cancel.status == JobStatus.IN_PROGRESS else 0
        if job.status != JobStatus.CANCELLED:
            problems.append(f"{job.id}: {job.status} after its cancel was accepted")
        if job.attempts != cancel.attempts:
            problems.append(f"{job.id}: attempt {job.attempts} began after the cancel")
        if job.steps_done > cancel.steps + in_flight:
            saved = job.steps_done - cancel.steps
            problems.append(f"{job.id}: {saved} steps saved after the cancel (at most {in_flight})")
    return problems


def safety(evidence: Evidence) -> list[Check]:
    """Nothing lost, nothing stuck, nothing done twice, no write by a lost lease."""
    events = sum(len(e) for e in evidence.events.values())
    return [
        check("all_exist", missing(evidence), f"{len(evidence.jobs)} rows"),
        check("all_terminal", not_terminal(evidence), "none pending or in_progress"),
        check("none_in_progress", in_progress(evidence), "0 in_progress"),
        check(
            "completed_exactly_once",
            completions_wrong(evidence),
            "one 'completed' event per completed job",
        ),
        check(
            "fenced_event_chain",
            broken_chains(evidence),
            f"{events} events, each from the current lease",
        ),
    ]


def failed(checks: list[Check]) -> list[str]:
    """The failed checks, one line each (empty when all passed): for assertions."""
    return [f"{c.name}: {c.detail}" for c in checks if not c.ok]

"""The chaos proof on made-up rows: it accepts the chains the engine writes and rejects
each kind of bad one, so a passing chaos run means something."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scripts.chaos import proof

Step = tuple[str, str, int, str | None]  # reason, to_status, attempt, instance_id
CREATED: Step = ("created", "pending", 0, None)


def chain(*steps: Step) -> list[Any]:
    """Event rows in order, each `from_status` the `to_status` before it."""
    made, state = [], None
    for number, (reason, to_status, attempt, instance) in enumerate(steps, 1):
        made.append(
            SimpleNamespace(
                id=number,
                reason=reason,
                from_status=state,
                to_status=to_status,
                attempt=attempt,
                instance_id=instance,
            )
        )
        state = to_status
    return made


def job(job_id: str, status: str = "completed", **columns: Any) -> Any:
    """A job row: by default completed with its 2 steps done (outputs dropped) and 1 week."""
    values = {
        "id": job_id,
        "status": status,
        "attempts": 1,
        "max_attempts": 3,
        "error": None,
        "steps": [],
        "steps_done": 2,
        "total_steps": 2,
        "request": {"weeks": 1},
        "result": {"weeks": [{}]},
    }
    return SimpleNamespace(**{**values, **columns})


CLAIMED_BY_A: Step = ("claimed", "in_progress", 1, "A")
DONE = chain(CREATED, CLAIMED_BY_A, ("completed", "completed", 1, "A"))
#: A's lease lost to the monitor, the job claimed again by B
RECLAIMED: tuple[Step, ...] = (
    CREATED,
    CLAIMED_BY_A,
    ("owner_dead", "pending", 1, None),
    ("claimed", "in_progress", 2, "B"),
)
GOOD = {
    "reclaimed after a kill": chain(*RECLAIMED, ("completed", "completed", 2, "B")),
    "handed back at shutdown, attempt not counted": chain(
        CREATED,
        CLAIMED_BY_A,
        ("shutdown", "pending", 0, "A"),
        ("claimed", "in_progress", 1, "B"),
        ("completed", "completed", 1, "B"),
    ),
    "retried after an error, then cancelled": chain(
        CREATED,
        CLAIMED_BY_A,
        ("retryable_error", "pending", 1, "A"),
        ("cancelled", "cancelled", 1, None),
        ("manual_retry", "pending", 1, None),
        ("claimed", "in_progress", 2, "A"),
        ("completed", "completed", 2, "A"),
    ),
}


@pytest.mark.parametrize("events", GOOD.values(), ids=GOOD.keys())
def test_the_chains_the_engine_writes_pass(events: list[Any]) -> None:
    assert proof.chain_problems("j", events) == []


def _late(events: list[Any], index: int, **changes: Any) -> list[Any]:
    """`events` with one of them altered."""
    events[index].__dict__.update(changes)
    return events


BAD = {
    "no creation first": (chain(("claimed", "in_progress", 1, "A")), "not the creation"),
    "a lost lease completes after the reclaim": (
        chain(*RECLAIMED, ("completed", "completed", 1, "A")),
        "written by A attempt 1",
    ),
    "a write from in_progress while the job was pending": (
        _late(
            chain(*RECLAIMED[:3], ("retryable_error", "pending", 1, "A")),
            3,
            from_status="in_progress",
        ),
        "but the job was pending",
    ),
    "a claim that skips an attempt": (
        chain(CREATED, ("claimed", "in_progress", 2, "A")),
        "claim after attempt 0",
    ),
    "a completed job that runs again": (
        chain(
            CREATED,
            CLAIMED_BY_A,
            ("completed", "completed", 1, "A"),
            ("manual_retry", "pending", 1, None),
        ),
        "completed may not become pending",
    ),
    "a shutdown hand-back by another instance": (
        chain(CREATED, CLAIMED_BY_A, ("shutdown", "pending", 0, "B")),
        "hand-back does not match",
    ),
    "a reclaim that changes the attempt": (
        chain(CREATED, CLAIMED_BY_A, ("owner_dead", "pending", 2, None)),
        "reclaim changed the attempt",
    ),
    "leaving in_progress without a claim": (
        chain(("created", "in_progress", 0, None), ("completed", "completed", 0, "A")),
        "without a claim",
    ),
}


@pytest.mark.parametrize(("events", "said"), BAD.values(), ids=BAD.keys())
def test_each_kind_of_bad_chain_is_rejected(events: list[Any], said: str) -> None:
    problems = proof.chain_problems("j", events)
    assert problems and said in problems[0], problems


def test_progress_that_goes_backwards_is_found() -> None:
    assert proof.backwards([0, 1, 1, 3, 5]) == []
    assert proof.backwards([0, 2, 1, 3, 0]) == [2, 4]


def _evidence(jobs: list[Any], events: dict[str, list[Any]], ids: list[str]) -> proof.Evidence:
    found = proof.Evidence(ids)
    found.jobs.update({j.id: j for j in jobs})
    found.events.update(events)
    return found


def test_a_clean_run_passes_every_safety_check() -> None:
    evidence = _evidence([job("a"), job("b")], {"a": DONE, "b": DONE}, ["a", "b"])
    assert proof.failed(proof.safety(evidence)) == []
    assert proof.incomplete(evidence) == proof.unexpected_failures(evidence) == []


def test_each_safety_check_can_fail() -> None:
    twice = chain(
        CREATED,
        CLAIMED_BY_A,
        ("completed", "completed", 1, "A"),
        ("completed", "completed", 1, "A"),
    )
    evidence = _evidence(
        [job("stuck", "in_progress"), job("waiting", "pending"), job("twice")],
        {"stuck": DONE[:2], "waiting": DONE[:1], "twice": twice},
        ["stuck", "waiting", "twice", "lost"],
    )
    failed = {check.name: check.detail for check in proof.safety(evidence) if not check.ok}
    assert set(failed) == {
        "all_exist",
        "all_terminal",
        "none_in_progress",
        "completed_exactly_once",
        "fenced_event_chain",
    }
    assert "lost" in failed["all_exist"] and "stuck" in failed["none_in_progress"]
    assert "twice: completed with 2" in failed["completed_exactly_once"]


def test_missing_steps_weeks_and_early_failures_are_found() -> None:
    evidence = _evidence(
        [
            job("short", steps_done=1),
            job("kept_outputs", steps=[{}, {}]),
            job("miscounted", "in_progress", steps=[{}, {}], steps_done=1),
            job("no_weeks", result={"weeks": []}),
            job("gave_up_early", "failed", attempts=1, steps=[{}, {}]),
            job("used_up", "failed", attempts=3, steps=[{}, {}]),
        ],
        {},
        [],
    )
    assert [p.split(":")[0] for p in proof.incomplete(evidence)] == [
        "short",
        "kept_outputs",
        "miscounted",
        "no_weeks",
    ]
    assert [p.split(":")[0] for p in proof.unexpected_failures(evidence)] == ["gave_up_early"]


def _cancel(job_id: str, status: str = "in_progress", attempts: int = 1, steps: int = 1) -> Any:
    """A cancel the run made, with the job as the cancel left it (`load.Cancel`'s fields)."""
    return SimpleNamespace(job_id=job_id, status=status, attempts=attempts, steps=steps)


def test_a_cancel_must_end_its_job_with_no_attempt_or_step_begun_after_it() -> None:
    evidence = _evidence(
        [
            job("stopped", "cancelled", steps_done=1, steps=[{}], total_steps=4),
            job("in_flight_step_saved", "cancelled", steps_done=2, steps=[{}, {}], total_steps=4),
            job("ran_on", "cancelled", steps_done=3, steps=[{}] * 3, total_steps=4),
            job("completed_anyway", "completed", steps_done=4, total_steps=4),
            job("claimed_again", "cancelled", attempts=2, steps_done=1, steps=[{}]),
            job("pending_then", "cancelled", steps_done=0, steps=[]),
        ],
        {},
        [],
    )
    cancels = [
        _cancel("stopped"),
        _cancel("in_flight_step_saved"),  # the step running at the cancel may still be saved
        _cancel("ran_on"),
        _cancel("completed_anyway"),
        _cancel("claimed_again"),
        _cancel("pending_then", status="cancelled", steps=0),
    ]
    found = [p.split(":")[0] for p in proof.cancel_problems(evidence, cancels)]
    assert found == ["ran_on", "completed_anyway", "completed_anyway", "claimed_again"]
    cancelled_here = {"stopped", "in_flight_step_saved", "claimed_again", "pending_then"}
    assert proof.unexpected_failures(evidence, cancelled_here) == [
        "ran_on: cancelled after 1/3: None"
    ]

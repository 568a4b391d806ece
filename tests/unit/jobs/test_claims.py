"""The claim planner: claims only when work may be due, for the slots that are free."""

from __future__ import annotations

import factories
from jobs.claims import Claimed, ClaimPlanner


def _claimed(jobs: int, limit: int, asked: int) -> Claimed:
    """A claim's outcome with `jobs` stand-in rows (the planner only counts them)."""
    return Claimed([object()] * jobs, limit, asked)


def test_a_new_planner_claims_every_free_slot():
    planner = ClaimPlanner(owner="me", concurrency=4)
    assert planner.limit({"a"}, set()) == 3


def test_slots_of_ending_attempts_count_as_free():
    planner = ClaimPlanner(owner="me", concurrency=2)
    assert planner.limit({"a", "b"}, set()) == 0
    assert planner.limit({"a", "b"}, {"b"}) == 1


def test_a_short_claim_answers_every_ask_before_it_and_only_those():
    planner = ClaimPlanner(owner="me", concurrency=4)
    planner.ask()  # a submit arrives while the first claim (of ask 1) runs
    planner.answered(_claimed(jobs=1, limit=4, asked=1))
    assert planner.limit(set(), set()) == 4  # the submit is still unanswered
    planner.answered(_claimed(jobs=0, limit=4, asked=2))
    assert planner.limit(set(), set()) == 0  # nothing may be due: no claim
    planner.ask()
    assert planner.limit(set(), set()) == 4


def test_a_full_claim_answers_nothing_more_may_be_waiting():
    planner = ClaimPlanner(owner="me", concurrency=2)
    planner.answered(_claimed(jobs=2, limit=2, asked=1))
    assert planner.limit(set(), set()) == 2


def test_the_planned_claim_takes_due_jobs_for_the_owner(sessions):
    jobs = [factories.create(sessions).id for _ in range(3)]
    planner = ClaimPlanner(owner="me", concurrency=2)
    with sessions.write() as session:
        claimed = planner.claim(planner.limit(set(), set()))(session)
    assert (claimed.limit, claimed.asked) == (2, 1)
    assert [job.id for job in planner.answered(claimed)] == jobs[:2]
    assert {factories.load(sessions, job_id).owner for job_id in jobs[:2]} == {"me"}
    assert planner.limit(set(), set()) == 2  # a full claim: more may be waiting

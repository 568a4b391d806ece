"""The runner with a counting step handler: resume, errors, timeout, cancel, leases, shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

import factories
from db.database import Sessions, make_engine
from jobs import clock, instances, queries, recovery, store
from jobs.errors import PermanentStepError, RetryableStepError
from jobs.runner import Runner
from jobs.scheduler import Ticks
from jobs.status import Reason
from jobs.steps import StepResult

pytestmark = pytest.mark.anyio
TOTAL = 4


class Counting:
    """Four steps; records which indices ran; can fail or stall at one index."""

    def __init__(
        self,
        *,
        fail_at: int | None = None,
        error: Exception | None = None,
        stall_at: int | None = None,
    ) -> None:
        self.calls: list[int] = []
        self.fail_at, self.error, self.stall_at = fail_at, error, stall_at

    def total_steps(self, payload: dict[str, Any]) -> int:
        return TOTAL

    async def run_step(
        self, payload: dict[str, Any], index: int, done: list[dict[str, Any]]
    ) -> StepResult:
        self.calls.append(index)
        assert len(done) == index  # it sees exactly the steps before it
        if index == self.stall_at:
            await asyncio.sleep(60)
        if index == self.fail_at and self.error is not None:
            raise self.error
        return StepResult({"index": index}, f"step {index + 1} done", {"total_tokens": 10})

    def result(self, payload: dict[str, Any], done: list[dict[str, Any]]) -> dict[str, Any]:
        return {"steps": [step["index"] for step in done]}


def _runner(
    sessions, handler: Any, owner: str = "me", timeout: float = 30, concurrency: int = 2
) -> Runner:
    config = factories.engine_config(concurrency=concurrency, timeout_seconds=timeout)
    return Runner(sessions=sessions, instance_id=owner, handler=handler, config=config)


def _status(sessions, job_id: str, *wanted: str):
    return lambda: (job := factories.load(sessions, job_id)).status in wanted and job


def _reasons(sessions, job_id: str) -> list[str]:
    with sessions.read() as session:
        return [event.reason for event in queries.events(session, job_id)]


async def test_a_job_runs_every_step_and_completes_with_usage(sessions):
    job = factories.create(sessions, total=TOTAL)
    handler = Counting()
    runner = _runner(sessions, handler)
    await runner.start()
    done = await factories.until(_status(sessions, job.id, "completed"))
    await runner.shutdown(1)
    assert handler.calls == [0, 1, 2, 3]
    assert done.result == {"steps": [0, 1, 2, 3]} and done.usage == {"total_tokens": 40}
    assert done.steps_done == TOTAL and done.progress_message == "step 4 done"
    assert done.steps == []  # dropped at completion: the result holds them


async def test_a_new_attempt_resumes_after_the_last_saved_step(sessions):
    lease = factories.running(sessions, owner="dead", total=TOTAL)
    with sessions.write() as session:
        store.checkpoint(
            session,
            lease=lease,
            steps=[{"index": 0}, {"index": 1}],
            total=TOTAL,
            message="step 2 done",
            usage={"total_tokens": 20},
        )
        store.hand_back(session, owner="dead", leases=[lease])
    handler = Counting()
    runner = _runner(sessions, handler)
    await runner.start()
    done = await factories.until(_status(sessions, lease.job_id, "completed"))
    await runner.shutdown(1)
    assert handler.calls == [2, 3]  # the saved steps are not paid for again
    assert done.result == {"steps": [0, 1, 2, 3]} and done.usage == {"total_tokens": 40}


@pytest.mark.parametrize(
    ("error", "reason", "attempts", "calls"),
    [
        (PermanentStepError("OpenAI rejected the API key"), "permanent_error", 1, [0, 1]),
        (RetryableStepError("rate limited"), "retryable_error", 3, [0, 1, 1, 1]),
        (ValueError("bug"), "retryable_error", 3, [0, 1, 1, 1]),
    ],
)
async def test_step_errors_fail_at_once_or_retry_until_attempts_run_out(
    sessions, error, reason, attempts, calls
):
    job = factories.create(sessions, total=TOTAL, max_attempts=3)
    handler = Counting(fail_at=1, error=error)
    runner = _runner(sessions, handler)
    await runner.start()
    failed = await factories.until(_status(sessions, job.id, "failed"))
    await runner.shutdown(1)
    assert (failed.attempts, handler.calls) == (attempts, calls)  # step 0 is never redone
    assert _reasons(sessions, job.id)[-1] == reason
    assert failed.error == (
        str(error)
        if reason == "permanent_error" or not isinstance(error, ValueError)
        else "Unexpected error during generation (ValueError)"
    )


async def test_an_attempt_over_the_timeout_is_stopped_and_retried(sessions):
    job = factories.create(sessions, total=TOTAL, max_attempts=1)
    runner = _runner(sessions, Counting(stall_at=2), timeout=0.3)
    await runner.start()
    failed = await factories.until(_status(sessions, job.id, "failed"))
    await runner.shutdown(1)
    assert "timed out after 0.3 s" in failed.error
    assert _reasons(sessions, job.id)[-1] == "timeout"


async def test_cancel_of_a_local_job_lands_at_once(sessions):
    job = factories.create(sessions, total=TOTAL)
    runner = _runner(sessions, Counting(stall_at=1))
    await runner.start()
    await factories.until(lambda: factories.load(sessions, job.id).steps)
    with sessions.write() as session:
        store.request_cancel(session, job_id=job.id)
    done = await asyncio.to_thread(runner.cancel_now, job.id)
    await asyncio.wrap_future(done)
    await runner.shutdown(1)
    assert factories.load(sessions, job.id).status == "cancelled"
    assert _reasons(sessions, job.id)[-1] == "cancelled"


async def test_a_lost_lease_stops_the_attempt_and_discards_its_work(sessions):
    job = factories.create(sessions, total=TOTAL)
    handler = Counting(stall_at=1)
    runner = _runner(sessions, handler, owner="slow")
    who = instances.Me("slow", "host", 1)
    ticks = Ticks(
        sessions=sessions,
        who=who,
        runner=runner,
        config=factories.engine_config(stale_seconds=3),
    )
    await runner.start()
    await factories.until(lambda: factories.load(sessions, job.id).steps)
    clock.attach(sessions).shift(
        timedelta(seconds=10)
    )  # the heartbeat is now stale for everyone else
    with sessions.write() as session:
        recovery.reclaim_stale(session, config=factories.engine_config(), instance_id="monitor")
    await ticks.heartbeat()  # learns the lease is gone
    runner.claiming = False  # keep this runner from claiming the job straight back
    await factories.until(lambda: not runner.leases())
    await runner.shutdown(1)
    after = factories.load(sessions, job.id)
    assert after.status == "pending" and len(after.steps) == 1 and after.result is None
    assert _reasons(sessions, job.id)[-1] == Reason.OWNER_DEAD


async def test_shutdown_hands_back_unfinished_jobs_without_using_an_attempt(sessions):
    job = factories.create(sessions, total=TOTAL)
    runner = _runner(sessions, Counting(stall_at=1))
    await runner.start()
    await factories.until(lambda: factories.load(sessions, job.id).steps)
    handed = await runner.shutdown(0.1)
    after = factories.load(sessions, job.id)
    assert [j.id for j in handed] == [job.id]
    assert (after.status, after.attempts, len(after.steps)) == ("pending", 0, 1)


async def test_failing_heartbeats_stop_claiming_then_drop_jobs_it_cannot_prove_it_owns(sessions):
    job = factories.create(sessions, total=TOTAL)
    runner = _runner(sessions, Counting(stall_at=1), owner="cut-off")
    broken = Sessions(make_engine("sqlite:////nonexistent-dir/deeper/x.db"))
    ticks = Ticks(
        sessions=broken,
        who=instances.Me("cut-off", "host", 1),
        runner=runner,
        config=factories.engine_config(stale_seconds=0.2),
    )
    await runner.start()
    await factories.until(lambda: factories.load(sessions, job.id).steps)
    await ticks.heartbeat()  # fails: no new work, but the job may still be ours
    assert runner.claiming is False and runner.leases()
    await asyncio.sleep(0.3)  # longer than the stale threshold without a heartbeat
    await ticks.heartbeat()
    await factories.until(lambda: not runner.leases())  # it stopped working on what it cannot prove
    await runner.shutdown(1)
    after = factories.load(sessions, job.id)
    assert after.status == "in_progress" and len(after.steps) == 1  # for the monitor to reclaim


async def test_a_failed_steps_tokens_still_count_in_the_jobs_usage(sessions):
    job = factories.create(sessions, total=TOTAL, max_attempts=1)
    error = RetryableStepError("invalid twice", usage={"total_tokens": 7})
    runner = _runner(sessions, Counting(fail_at=2, error=error))
    await runner.start()
    failed = await factories.until(_status(sessions, job.id, "failed"))
    await runner.shutdown(1)
    assert failed.usage == {"total_tokens": 10 + 10 + 7}  # steps 0 and 1, and the failed one


class Overlap:
    """One short step per job; records the most jobs it saw running at once."""

    def __init__(self) -> None:
        self.now = self.most = 0

    def total_steps(self, payload: dict[str, Any]) -> int:
        return 1

    async def run_step(
        self, payload: dict[str, Any], index: int, done: list[dict[str, Any]]
    ) -> StepResult:
        self.now += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.01)
        self.now -= 1
        return StepResult({}, "done")

    def result(self, payload: dict[str, Any], done: list[dict[str, Any]]) -> dict[str, Any]:
        return {}


async def test_submits_through_the_runner_are_claimed_in_their_batch_within_concurrency(
    sessions,
):
    handler = Overlap()
    runner = _runner(sessions, handler, concurrency=3)
    await runner.start()
    payload = factories.make_request()
    jobs = await asyncio.gather(
        *(
            runner.write(store.create, payload=payload, max_attempts=1, total_steps=1)
            for _ in range(20)
        )
    )
    for job in jobs:
        await factories.until(_status(sessions, job.id, "completed"))
    await runner.shutdown(1)
    assert handler.most == 3  # every slot was used, and never more
    with sessions.read() as session:
        first = queries.events(session, jobs[0].id)
    assert [event.reason for event in first] == ["created", "claimed", "completed"]

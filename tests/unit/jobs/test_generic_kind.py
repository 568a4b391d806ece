"""The engine is generic: a job kind that is not a training program runs through it.

The kind sums the squares of a list of numbers, one number per step: it
submits, runs its steps with a checkpoint after each, completes, and after a
crash resumes from the last saved step on another instance.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from typing import Any

import pytest

import factories
from jobs import queries, store
from jobs.engine import Engine
from jobs.instances import Me
from jobs.steps import JSON, StepResult

pytestmark = pytest.mark.anyio


class SumOfSquares:
    """One step per number: its square; the result is their sum. Can hold at one step."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.ran: list[int] = []
        self.hold_at = hold_at

    def total_steps(self, payload: JSON) -> int:
        return len(payload["numbers"])

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        if index == self.hold_at:
            await asyncio.Event().wait()  # never set: the process "dies" here
        self.ran.append(index)
        number = payload["numbers"][index]
        return StepResult({"square": number * number}, f"{index + 1} squared")

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        return {"sum": sum(step["square"] for step in done)}


async def _submit(engine: Engine, numbers: list[int]) -> str:
    job = await engine.submit(
        store.create, payload={"numbers": numbers}, max_attempts=3, total_steps=len(numbers)
    )
    return str(job.id)


def _reasons(sessions: Any, job_id: str) -> list[str]:
    with sessions.read() as session:
        return [event.reason for event in queries.events(session, job_id)]


def _dead_pid() -> int:
    """The pid of a process that has ended (so an owner on this host with it is dead)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


async def test_another_job_kind_runs_its_steps_with_checkpoints_and_completes(sessions):
    handler = SumOfSquares()
    engine = Engine(sessions=sessions, config=factories.engine_config(), handler=handler)
    await engine.start()
    try:
        job_id = await _submit(engine, [1, 2, 3])
        job = await factories.until(lambda: (j := factories.load(sessions, job_id)).result and j)
    finally:
        await engine.stop(1)
    assert (job.status, job.result, job.steps_done) == ("completed", {"sum": 14}, 3)
    assert job.attempts == 1
    assert handler.ran == [0, 1, 2]
    assert _reasons(sessions, job_id) == ["created", "claimed", "completed"]


async def test_another_job_kind_resumes_after_a_crash_from_its_last_saved_step(sessions):
    crashed = Me("crashed:1:abc", socket.gethostname(), _dead_pid())
    first = Engine(
        sessions=sessions,
        config=factories.engine_config(),
        handler=SumOfSquares(hold_at=1),
        who=crashed,
    )
    await first.start()
    job_id = await _submit(first, [2, 3, 4])
    await factories.until(lambda: factories.load(sessions, job_id).steps_done == 1)
    first.runner.claiming = False  # the dead process takes nothing more
    survivor = SumOfSquares()
    second = Engine(sessions=sessions, config=factories.engine_config(), handler=survivor)
    try:
        swept = await second.start()  # its startup sweep finds the dead owner's job
        assert [job.id for job in swept] == [job_id]
        job = await factories.until(lambda: (j := factories.load(sessions, job_id)).result and j)
    finally:
        await second.stop(1)
        await first.stop(0)
    assert (job.status, job.result, job.attempts) == ("completed", {"sum": 29}, 2)
    assert survivor.ran == [1, 2]  # step 0 was saved and not run again
    assert _reasons(sessions, job_id)[-3:] == ["owner_dead", "claimed", "completed"]

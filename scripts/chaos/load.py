"""The load: jobs submitted at seeded random times, and their progress sampled from the
database all through the run."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
import sqlalchemy as sa
from scripts.chaos.config import Config
from scripts.chaos.slots import Slot

from jobs.models import Job
from jobs.status import TERMINAL, JobStatus

GOALS = ("strength", "hypertrophy", "endurance", "fat_loss", "general_fitness")
LEVELS = ("beginner", "intermediate", "advanced")
HTTP_TIMEOUT = 5.0
SUBMIT_SECONDS = 60.0  # one job's submit, retried on live instances, gives up after this
CANCEL_TRIES = 40  # looks for a running job to cancel, CANCEL_RETRY_SECONDS apart
CANCEL_RETRY_SECONDS = 0.25


def chunks(items: list[str], size: int = 200) -> list[list[str]]:
    """`items` in slices short enough for an IN (...) list."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class Submitter(threading.Thread):
    """Submits `config.jobs` jobs at seeded random times over the first 3/4 of the run."""

    def __init__(self, config: Config, slots: list[Slot], run_id: str, start: float) -> None:
        super().__init__(name="chaos-submitter", daemon=True)
        self.config, self.slots, self.run_id, self.start_at = config, slots, run_id, start
        self.rng = random.Random(config.seed * 7919 + 1)
        self.ids: list[str] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()

    def snapshot(self) -> list[str]:
        """The ids accepted so far."""
        with self.lock:
            return list(self.ids)

    def run(self) -> None:
        offsets = sorted(
            self.rng.uniform(0, self.config.duration * 0.75) for _ in range(self.config.jobs)
        )
        for number, offset in enumerate(offsets):
            wait = self.start_at + offset - time.monotonic()
            if wait > 0:
                self.stop_event.wait(wait)  # ends early when asked to hurry: the rest go now
            job_id = self._submit(self._body(), f"chaos-{self.run_id}-{number}")
            with self.lock:
                if job_id:
                    self.ids.append(job_id)
                else:
                    self.failures.append(f"job {number}")

    def _body(self) -> dict[str, Any]:
        low, high = self.config.weeks
        return {
            "goal": self.rng.choice(GOALS),
            "experience": self.rng.choice(LEVELS),
            "days_per_week": self.rng.randint(2, 4),
            "weeks": self.rng.randint(low, high),
            "session_minutes": 45,
            "equipment": ["dumbbells", "barbell"],
        }

    def _submit(self, body: dict[str, Any], key: str) -> str | None:
        """POST to a live instance; the Idempotency-Key makes a retry elsewhere safe."""
        deadline = time.monotonic() + SUBMIT_SECONDS
        for _ in range(40):
            if time.monotonic() > deadline:
                break
            live = [slot.server for slot in self.slots if slot.available and slot.server]
            if live:
                server = self.rng.choice(live)
                try:
                    answer = server.client.post(
                        "/api/programs/generate",
                        json=body,
                        headers={"Idempotency-Key": key},
                        timeout=HTTP_TIMEOUT,
                    )
                    if answer.status_code in (200, 202):
                        return str(answer.json()["id"])
                except (httpx.HTTPError, ValueError, RuntimeError):
                    pass
            time.sleep(0.5)
        return None


class Point(NamedTuple):
    """One sample of one job."""

    at: float  # time.time()
    status: str
    attempts: int
    owner: str | None
    steps: int  # finished steps (steps_done: a completed job drops the saved outputs)


class Sampler(threading.Thread):
    """Reads every unfinished job's status and saved step count from the database, often."""

    def __init__(self, config: Config, engine: sa.Engine, ids: Callable[[], list[str]]) -> None:
        super().__init__(name="chaos-sampler", daemon=True)
        self.config, self.engine, self.ids = config, engine, ids
        self.series: dict[str, list[Point]] = defaultdict(list)
        self.done: set[str] = set()
        self.samples = 0
        self.errors = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.sample()
            except Exception:  # the database may be restarting: that is the point
                self.errors += 1
            self.stop_event.wait(self.config.sample_interval)

    def sample(self) -> None:
        """One sample of every job not yet seen terminal."""
        todo = [job_id for job_id in self.ids() if job_id not in self.done]
        for chunk in chunks(todo):
            query = sa.select(Job.id, Job.status, Job.attempts, Job.owner, Job.steps_done).where(
                Job.id.in_(chunk)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            now = time.time()
            for job_id, status, attempts, owner, steps in rows:
                self.series[job_id].append(Point(now, status, attempts, owner, int(steps)))
                self.samples += 1
                if status in TERMINAL:
                    self.done.add(job_id)


@dataclass(frozen=True)
class Cancel:
    """One accepted cancel, and the job as the cancel left it (the 202's Job)."""

    job_id: str
    sent_at: float  # time.time() just before the cancel was sent
    status: str
    attempts: int
    steps: int  # progress.step: the steps saved when the cancel was accepted
    owner: str | None  # the instance that ran the job, as last sampled
    through: str  # the instance that took the cancel (never the owner)


class Canceller(threading.Thread):
    """Cancels `config.cancel_count()` running jobs at seeded random times, each through a
    live instance that does not run it, so the news must travel to the owner."""

    def __init__(self, config: Config, slots: list[Slot], sampler: Sampler, start: float) -> None:
        super().__init__(name="chaos-canceller", daemon=True)
        self.config, self.slots, self.sampler, self.start_at = config, slots, sampler, start
        self.rng = random.Random(config.seed * 104729 + 3)
        self.done: list[Cancel] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        low, high = self.config.warmup, self.config.duration * 0.75
        offsets = sorted(self.rng.uniform(low, high) for _ in range(self.config.cancel_count()))
        for offset in offsets:
            if self.stop_event.wait(max(self.start_at + offset - time.monotonic(), 0)):
                return
            self._cancel_one()

    def _running(self) -> list[tuple[str, str]]:
        """(job id, owner) of the jobs last sampled in_progress, not cancelled yet."""
        taken = {cancel.job_id for cancel in self.done}
        found = []
        for job_id in self.sampler.ids():
            points = self.sampler.series.get(job_id)
            last = points[-1] if points else None
            if last and last.status == JobStatus.IN_PROGRESS and last.owner and job_id not in taken:
                found.append((job_id, last.owner))
        return sorted(found)

    def _cancel_one(self) -> None:
        for _ in range(CANCEL_TRIES):
            running = self._running()
            if running:
                job_id, owner = self.rng.choice(running)
                others = [
                    slot
                    for slot in self.slots
                    if slot.available and slot.server and slot.instance_id != owner
                ]
                if others and self._send(job_id, owner, self.rng.choice(others)):
                    return
            if self.stop_event.wait(CANCEL_RETRY_SECONDS):
                return

    def _send(self, job_id: str, owner: str, slot: Slot) -> bool:
        assert slot.server is not None
        sent_at = time.time()
        try:
            answer = slot.server.client.post(
                f"/api/programs/jobs/{job_id}/cancel", timeout=HTTP_TIMEOUT
            )
        except (httpx.HTTPError, RuntimeError):
            return False
        if answer.status_code != 202:  # it ended meanwhile (409), or the instance is going
            return False
        job = answer.json()
        steps = (job.get("progress") or {}).get("step", 0)
        self.done.append(
            Cancel(
                job_id,
                sent_at,
                job["status"],
                job["attempts"],
                steps,
                owner,
                slot.instance_id,
            )
        )
        return True

"""The load: jobs submitted at seeded random times, and their progress sampled from the
database all through the run."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

import httpx
import sqlalchemy as sa
from scripts.chaos.config import Config
from scripts.chaos.slots import Slot

from jobs.models import Job
from jobs.status import TERMINAL

GOALS = ("strength", "hypertrophy", "endurance", "fat_loss", "general_fitness")
LEVELS = ("beginner", "intermediate", "advanced")
HTTP_TIMEOUT = 5.0
SUBMIT_SECONDS = 60.0  # one job's submit, retried on live instances, gives up after this


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

"""Real servers for the integration tests: the shared harness (tests/harness), plus the
API calls these tests make and the figures they keep.

The names here are the integration tests' vocabulary; the process handling lives once,
in `harness`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa
from scripts.chaos import proof
from scripts.fake_openai_server import start_in_thread

import harness
from harness import FAST, ROOT, free_port, wait_for
from harness.servers import PROGEN_VARIABLES as CLEARED

__all__ = [
    "CLEARED",
    "FAST",
    "REQUEST",
    "ROOT",
    "Fake",
    "Server",
    "assert_proved",
    "fake_openai",
    "free_port",
    "record",
    "wait_for",
]

REQUEST = {
    "goal": "hypertrophy",
    "experience": "intermediate",
    "days_per_week": 3,
    "weeks": 8,
    "session_minutes": 45,
    "equipment": ["dumbbells", "barbell"],
}


class Server(harness.Server):
    """A harness server (./start_fastapi.sh, FAST intervals) with the API calls tests make."""

    def submit(self, **overrides: Any) -> str:
        """POST a program request (REQUEST with `overrides`); the new job's id."""
        answer = self.client.post("/api/programs/generate", json={**REQUEST, **overrides})
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        """GET the job."""
        answer = self.client.get(f"/api/programs/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """GET the job's events, oldest first."""
        return list(self.client.get(f"/api/programs/jobs/{job_id}/events").json())


def assert_proved(db_url: str, job_ids: Sequence[str]) -> None:
    """The chaos proof's safety checks on these jobs, read from the database: each exists
    and is terminal, none completed twice, none written by a lease it had lost."""
    engine = sa.create_engine(db_url)
    try:
        evidence = proof.Evidence.read(engine, job_ids)
    finally:
        engine.dispose()
    assert proof.failed(proof.safety(evidence)) == []


def record(name: str, **figures: float) -> None:
    """Keep the figures a test observed (test-artifacts/lifecycle.json), and print them."""
    path = ROOT / "test-artifacts" / "lifecycle.json"
    path.parent.mkdir(exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = {key: round(value, 3) for key, value in figures.items()}
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    print(f"{name}: {data[name]}")


class Fake:
    """HTTP control of one fake OpenAI server (scripts/fake_openai_server.py)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url.removesuffix("/v1"), timeout=5)

    def scenario(self, **scenario: Any) -> None:
        answer = self.client.post("/_control/scenario", json=scenario)
        assert answer.status_code == 200, answer.text

    def requests(self) -> list[dict[str, Any]]:
        return list(self.client.get("/_control/requests").json()["requests"])

    def counts(self) -> dict[str, int]:
        return dict(self.client.get("/_control/requests").json()["counts"])


@contextmanager
def fake_openai() -> Iterator[Fake]:
    """A fake OpenAI server in a thread of this process, on a free 127.0.0.1 port."""
    server, base_url, thread = start_in_thread()
    control = Fake(base_url)
    try:
        yield control
    finally:
        control.client.close()
        server.should_exit = True
        thread.join(timeout=10)

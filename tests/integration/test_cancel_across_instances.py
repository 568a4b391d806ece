"""A cancel lands whichever instance runs the job: two real servers, one database.

The job runs on the OpenAI generator against the fake OpenAI server, whose answer
to week 1 hangs; the cancel goes through the *other* server while that request is
in flight. The owner hears of it (a NOTIFY on PostgreSQL, its shared poll on
SQLite) long before its heartbeat (30 s here) could tell it, drops the request,
and ends the attempt `cancelled`; the fake server gets no request after the
cancel was accepted. Step 2 of 3 is never asked for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import Fake, Server, wait_for

pytestmark = pytest.mark.integration

HANG_SECONDS = 60  # the week-1 answer: far longer than any wait below
SLOW_HEARTBEAT = {"HEARTBEAT_INTERVAL_SECONDS": "30", "HEARTBEAT_STALE_SECONDS": "90"}


@pytest.fixture
def pair(tmp_path: Path, db_url: str, fake: Fake) -> Iterator[list[Server]]:
    """Two servers on one database, both on the fake OpenAI server, slow heartbeats."""
    settings = {
        "OPENAI_API_KEY": "sk-test-cancel",
        "OPENAI_BASE_URL": fake.base_url,
        "GENERATOR": "auto",
        **SLOW_HEARTBEAT,
    }
    servers = [Server(db_url, tmp_path / f"server-{n}.log", **settings) for n in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.close()


def _in_flight(fake: Fake, step: int) -> bool:
    return any(entry["step"] == step for entry in fake.requests())


def test_a_cancel_through_the_other_instance_stops_the_running_step(
    pair: list[Server], fake: Fake
) -> None:
    fake.scenario(mode="slow", step=1, delay_seconds=HANG_SECONDS)
    job_id = pair[0].submit(weeks=2, days_per_week=2)  # plan, week 1, week 2
    wait_for(lambda: _in_flight(fake, 1), timeout=15, what="week 1 asked for")
    owner = pair[0].job(job_id)["owner"]
    ids = [server.client.get("/api/health").json()["instance_id"] for server in pair]
    other = pair[1 - ids.index(owner)]  # the server that does not run the job

    answer = other.client.post(f"/api/programs/jobs/{job_id}/cancel")
    accepted_at = time.time()
    assert answer.status_code == 202, answer.text
    assert answer.json()["cancel_requested"] is True

    def ended() -> dict[str, Any] | None:
        job = other.job(job_id)
        return job if job["status"] != "in_progress" else None

    # Bounded well below the 30 s heartbeat: only the news can have stopped it.
    job = wait_for(ended, timeout=10, interval=0.05, what="the job to stop")
    assert job["status"] == "cancelled"
    assert job["attempts"] == 1 and job["progress"]["step"] == 1
    events = other.events(job_id)
    assert [e["reason"] for e in events] == ["created", "claimed", "cancelled"]
    assert events[-1]["to_status"] == "cancelled"
    # The attempt's task ended before its row said cancelled: nothing more can be asked.
    late = [e for e in fake.requests() if e["at"] > accepted_at]
    assert late == [], late
    assert fake.counts() == {"plan": 1, "week_1": 1}

"""PostgreSQL goes away under a running server, then comes back.

This stops the machine's shared PostgreSQL cluster for a few seconds (never
more than OUTAGE_LIMIT): it is always started again in a `finally`, and the
test waits for pg_isready before it goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from live import Server, record, wait_for

from harness import postgres

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]
DETECT_LIMIT = 5.0  # seconds from the stop to a 503 `degraded`
RECOVER_LIMIT = 10.0  # seconds from pg_isready to a 200 again
OUTAGE_LIMIT = 15.0  # the shared cluster is never down longer than this
HOLD = 5.0  # seconds the database stays down: longer than HEARTBEAT_STALE_SECONDS (3)


def _stop_pg() -> None:
    postgres.ctl("stop", "-m", "fast").check_returncode()


def _start_pg() -> None:
    assert postgres.ensure_running(), "PostgreSQL did not start again"


def _all_completed(server: Server, job_ids: list[str]) -> list[dict]:
    """Wait until every job is completed; return them."""
    return wait_for(
        lambda: (
            (js := [server.job(j) for j in job_ids])
            and all(j["status"] == "completed" for j in js)
            and js
        ),
        timeout=60,
        interval=0.25,
        what="every job completed",
    )


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[Server]:
    server = Server(
        db_url, tmp_path / "server.log", GENERATION_STEP_DELAY_SECONDS="0.5", JOB_CONCURRENCY="4"
    )
    yield server
    server.close()


def test_an_outage_degrades_health_and_the_service_recovers_by_itself(server: Server, db_url):
    server.start()
    job_ids = [server.submit(weeks=10) for _ in range(6)]  # 11 steps of 0.5 s; 4 run at once
    wait_for(lambda: server.job(job_ids[0])["progress"]["step"] >= 2, timeout=20, what="step 2")

    def degraded() -> dict | None:
        health = server.health()
        if (
            health
            and health[0] == 503
            and health[1]["status"] == "degraded"
            and health[1]["database"].startswith("error:")
        ):
            return health[1]
        return None

    stopped_at = time.monotonic()
    try:
        _stop_pg()
        seen = wait_for(degraded, timeout=DETECT_LIMIT + 5, interval=0.1, what="503 degraded")
        detect_seconds = time.monotonic() - stopped_at
        time.sleep(max(0.0, HOLD - (time.monotonic() - stopped_at)))
        still_degraded = degraded()
        alive = server.proc is not None and server.proc.poll() is None
    finally:
        _start_pg()
    outage_seconds = time.monotonic() - stopped_at
    ready_at = time.monotonic()
    wait_for(
        lambda: (h := server.health()) and h[0] == 200,
        timeout=RECOVER_LIMIT + 10,
        interval=0.1,
        what="health 200 again",
    )
    recover_seconds = time.monotonic() - ready_at

    assert detect_seconds <= DETECT_LIMIT, f"degraded after {detect_seconds:.1f} s"
    assert "password" not in str(seen).lower()
    assert still_degraded, "health said ok while the database was down"
    assert alive, "the server died during the outage"
    assert outage_seconds <= OUTAGE_LIMIT
    assert recover_seconds <= RECOVER_LIMIT, f"200 again after {recover_seconds:.1f} s"

    jobs = _all_completed(server, job_ids)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            running = conn.execute(
                sa.text("SELECT COUNT(*) FROM program_generation_jobs WHERE status = 'in_progress'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert running == 0
    for job in jobs:
        reasons = [event["reason"] for event in server.events(job["id"])]
        assert reasons.count("completed") == 1, reasons
        assert job["progress"]["step"] == job["progress"]["total"] == 11
        assert set(reasons) <= {"created", "claimed", "owner_dead", "completed"}, reasons
    reclaimed = sum(job["recoveries"] for job in jobs)
    record(
        "database_outage",
        detect_seconds=detect_seconds,
        outage_seconds=outage_seconds,
        recover_seconds=recover_seconds,
        reclaimed_jobs=reclaimed,
        max_attempts_used=max(job["attempts"] for job in jobs),
    )


def test_a_blip_shorter_than_the_stale_threshold_costs_no_attempt(tmp_path: Path, db_url):
    server = Server(
        db_url,
        tmp_path / "blip.log",
        GENERATION_STEP_DELAY_SECONDS="0.5",
        HEARTBEAT_STALE_SECONDS="20",
        MONITOR_INTERVAL_SECONDS="1",
    )
    try:
        server.start()
        job_ids = [server.submit(weeks=6) for _ in range(3)]
        wait_for(lambda: server.job(job_ids[0])["progress"]["step"] >= 2, timeout=20, what="step 2")
        try:
            _stop_pg()
            time.sleep(3)  # checkpoints fall due meanwhile: they must wait, not fail the job
        finally:
            _start_pg()
        jobs = _all_completed(server, job_ids)
        for job in jobs:
            reasons = [event["reason"] for event in server.events(job["id"])]
            assert reasons == ["created", "claimed", "completed"], reasons
            assert job["attempts"] == 1 and job["recoveries"] == 0
    finally:
        server.close()

"""/metrics of a real server with `--workers 2`: whichever worker answers, the numbers add up.

Each scrape opens a new connection, so the two workers take turns answering;
every scrape must show the same totals, and they must equal what the
database holds.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from live import Server, record, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True),
]
JOBS = 12
SCRAPES = 12
SAMPLE = re.compile(r"^(\w+)(\{[^}]*\})? (\S+)$", re.MULTILINE)


def _fresh(server: Server, path: str) -> httpx.Response:
    """One request on a new connection (so either worker may take it)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return client.get(path)


def _samples(text: str) -> dict[str, float]:
    return {name + (labels or ""): float(value) for name, labels, value in SAMPLE.findall(text)}


def _submit_each_on_a_new_connection(server: Server, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        with httpx.Client(base_url=server.url, timeout=10) as client:
            answer = client.post("/api/programs/generate", json={"goal": "strength",
                "experience": "beginner", "days_per_week": 2, "weeks": 2})  # fmt: skip
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
    return ids


def test_metrics_add_up_across_two_workers(tmp_path: Path, db_url: str):
    server = Server(db_url, tmp_path / "server.log", extra_args=("--workers", "2"))
    try:
        server.start()
        answering = {_fresh(server, "/api/health").json()["instance_id"] for _ in range(40)}
        ids = _submit_each_on_a_new_connection(server, JOBS)
        wait_for(
            lambda: all(server.job(job_id)["status"] == "completed" for job_id in ids),
            timeout=60,
            interval=0.2,
            what="every job completed",
        )

        def settled() -> list[dict[str, float]] | None:  # the gauges follow the monitor tick
            scrapes = [_samples(_fresh(server, "/metrics").text) for _ in range(SCRAPES)]
            done = all(s.get('progen_jobs{status="completed"}') == JOBS for s in scrapes)
            return scrapes if done else None

        scrapes = wait_for(settled, timeout=10, interval=0.5, what="progen_jobs to settle")
    finally:
        server.close()
    assert len(answering) == 2, f"one worker answered every request: {answering}"
    expected = {
        "progen_jobs_submitted_total": JOBS,
        'progen_jobs_finished_total{outcome="completed"}': JOBS,
        'progen_jobs_finished_total{outcome="failed"}': 0,
        "progen_job_queue_wait_seconds_count": JOBS,
        'progen_job_duration_seconds_count{outcome="completed"}': JOBS,
        'progen_attempt_duration_seconds_count{outcome="completed"}': JOBS,
        'progen_jobs{status="pending"}': 0,
        'progen_jobs{status="in_progress"}': 0,
        'progen_http_requests_rejected_total{reason="rate_limit"}': 0,
    }
    for scrape in scrapes:
        assert {name: scrape.get(name) for name in expected} == expected
        assert scrape["progen_database_writable"] == 1
    record(
        "metrics_two_workers",
        jobs=JOBS,
        scrapes=len(scrapes),
        queue_wait_sum=scrapes[0]["progen_job_queue_wait_seconds_sum"],
    )

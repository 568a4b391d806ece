"""The polled read path: the ORM job's answer (its program passed through as stored, lists
without programs), and never waiting on a writer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from api import reads
from api.app import create_app
from api.schemas import JobOut, JobSummary
from jobs.models import Job

QUIET = {  # no heartbeat, checkpoint or monitor write lands between a GET and the comparison
    "heartbeat_interval_seconds": 30,
    "heartbeat_stale_seconds": 90,
    "monitor_interval_seconds": 30,
}


@contextmanager
def _app(db_url: str, **overrides: Any) -> Iterator[TestClient]:
    with TestClient(create_app(factories.app_settings(db_url, **QUIET, **overrides))) as client:
        yield client


def _submit(client: TestClient, **request: Any) -> str:
    response = client.post("/api/programs/generate", json=factories.make_request(**request))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _status(client: TestClient, job_id: str, status: str) -> None:
    factories.wait_for(
        lambda: client.get(f"/api/programs/jobs/{job_id}").json()["status"] == status, timeout=15
    )


def _orm_answer(sessions, job_id: str) -> dict[str, Any]:
    """What the answer is when built from the ORM object, the program validated."""
    job = factories.load(sessions, job_id)
    return json.loads(JobOut.of(job, result=job.result).model_dump_json())


def _orm_summary(sessions, job_id: str) -> dict[str, Any]:
    job = factories.load(sessions, job_id)
    title = job.result["title"] if job.result else None
    return json.loads(JobSummary.of(job, title=title).model_dump_json())


def test_job_and_list_answers_are_what_the_orm_job_gives(db_url, sessions):
    with _app(db_url) as client:
        completed = _submit(client, weeks=2, days_per_week=2, notes="épaule gauche")
        _status(client, completed, "completed")
    with _app(db_url, job_concurrency=1, generation_step_delay_seconds=30) as client:
        running = _submit(client, weeks=8)
        _status(client, running, "in_progress")
        pending, cancelled = _submit(client), _submit(client)
        assert client.post(f"/api/programs/jobs/{cancelled}/cancel").status_code == 202
        ids = [completed, running, pending, cancelled]
        for job_id in ids:
            response = client.get(f"/api/programs/jobs/{job_id}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert response.json() == _orm_answer(sessions, job_id)
        page = client.get("/api/programs/jobs").json()
        items = [_orm_summary(sessions, job_id) for job_id in reversed(ids)]
        assert page == {"items": items, "next_cursor": None}
        assert "result" not in page["items"][-1] and page["items"][-1]["title"]


@contextmanager
def _uncommitted_write(db_url: str, job_id: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or the row's lock (PostgreSQL)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.execute(sa.update(Job).where(Job.id == job_id).values(error="uncommitted"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def test_polls_and_health_never_wait_for_an_open_write(db_url):
    with _app(db_url, job_concurrency=1, generation_step_delay_seconds=30) as client:
        _submit(client, weeks=8)
        job_id = _submit(client)  # pending behind the first: nothing of ours writes it
        with _uncommitted_write(db_url, job_id):
            started = time.monotonic()
            job = client.get(f"/api/programs/jobs/{job_id}")
            health = client.get("/api/health")
            elapsed = time.monotonic() - started
    assert (job.status_code, health.status_code) == (200, 200)
    assert job.json()["error"] is None  # the committed state, not the open write's
    assert health.json()["jobs"]["pending"] == 1
    assert elapsed < 2  # busy_timeout and lock_timeout are 10 s


@pytest.mark.anyio
async def test_sqlite_reads_run_on_the_loop_thread_and_others_in_the_thread_pool(tmp_path):
    sqlite = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    postgres = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")  # never connects
    loop_thread = threading.get_ident()
    assert await reads.run(sqlite, threading.get_ident) == loop_thread
    assert await reads.run(postgres, threading.get_ident) != loop_thread

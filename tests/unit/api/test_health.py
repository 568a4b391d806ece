"""/api/health: the documented shape, degraded states, and no secret anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from db.database import Sessions

FIELDS = {
    "status",
    "database",
    "scheduler",
    "monitor_last_run_at",
    "instance_id",
    "jobs",
    "version",
}
TOKEN = "tok-SECRET-1"
OPENAI_KEY = "sk-test-SECRET-openai-2"

AppFactory = Callable[..., Any]


@pytest.fixture
def served(start) -> Iterator[tuple[Any, TestClient]]:
    with start(raise_server_exceptions=False) as client:
        yield client.app, client


@pytest.fixture
def client(served) -> TestClient:
    return served[1]


def _aware(value: str) -> datetime:
    assert value.endswith(("Z", "+00:00")), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_health_is_ok_with_exactly_the_documented_fields(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["scheduler"] == "running"
    assert body["monitor_last_run_at"] is None or isinstance(body["monitor_last_run_at"], str)
    assert isinstance(body["instance_id"], str) and body["instance_id"]
    assert set(body["jobs"]) == {"pending", "in_progress", "stale"}
    assert all(type(n) is int and n >= 0 for n in body["jobs"].values())
    assert isinstance(body["version"], str) and body["version"]


def test_head_health_answers_200_without_a_body(client):
    response = client.head("/api/health")
    assert response.status_code == 200
    assert response.content == b""


def test_health_reports_this_instance_id(served):
    app, client = served
    assert client.get("/api/health").json()["instance_id"] == app.state.engine.who.id


def test_monitor_last_run_becomes_a_recent_timestamp(client):
    body = factories.wait_for(
        lambda: (b := client.get("/api/health").json())["monitor_last_run_at"] and b, timeout=5
    )
    ran = _aware(body["monitor_last_run_at"])
    assert abs((client.app.state.engine.clock.now() - ran).total_seconds()) < 5
    assert body["status"] == "ok"


def test_health_counts_active_and_stale_jobs(start, sessions):
    factories.running(sessions, owner="peer-elsewhere", heartbeat_age=0)
    with start(
        monitor_interval_seconds=30, heartbeat_stale_seconds=60, raise_server_exceptions=False
    ) as client:
        jobs = client.get("/api/health").json()["jobs"]
        assert jobs["in_progress"] >= 1
        # the peer's heartbeat is now 2 minutes old
        client.app.state.engine.clock.shift(timedelta(seconds=120))
        jobs = client.get("/api/health").json()["jobs"]
        assert jobs["stale"] == 1


def _health_on_a_broken_database(app, client):
    """GET /api/health while the app's database cannot be opened."""
    original = app.state.engine.sessions
    broken = Sessions(sa.create_engine("sqlite:////nonexistent-dir/deeper/x.db"))
    app.state.engine.sessions = broken
    try:
        return client.get("/api/health")
    finally:
        app.state.engine.sessions = original
        broken.engine.dispose()


def test_unusable_database_makes_health_degraded(served):
    app, client = served
    response = _health_on_a_broken_database(app, client)
    assert response.status_code == 503
    body = response.json()
    assert set(body) == FIELDS
    assert body["status"] == "degraded"
    assert body["database"].startswith("error:")
    assert client.get("/api/health").status_code == 200  # back once the database is


def test_database_without_tables_makes_health_degraded(served, tmp_path):
    app, client = served
    original = app.state.engine.sessions
    empty = Sessions(sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    app.state.engine.sessions = empty
    try:
        response = client.get("/api/health")
    finally:
        app.state.engine.sessions = original
        empty.engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"].startswith("error:")


def test_stopped_scheduler_makes_health_degraded(served):
    app, client = served
    client.portal.call(app.state.engine.ticks.stop)
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["scheduler"], body["database"]) == ("degraded", "stopped", "ok")


def test_head_health_is_503_when_degraded(served):
    app, client = served
    client.portal.call(app.state.engine.ticks.stop)
    assert client.head("/api/health").status_code == 503


def test_monitor_silent_for_over_three_intervals_makes_health_degraded(start):
    with start(
        monitor_interval_seconds=20, heartbeat_stale_seconds=60, raise_server_exceptions=False
    ) as client:
        assert client.get("/api/health").status_code == 200
        client.app.state.engine.clock.shift(timedelta(seconds=3 * 20 + 5))
        response = client.get("/api/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert (body["scheduler"], body["database"]) == ("running", "ok")


def test_monitor_silent_for_under_three_intervals_is_still_ok(start):
    with start(
        monitor_interval_seconds=20, heartbeat_stale_seconds=60, raise_server_exceptions=False
    ) as client:
        client.app.state.engine.clock.shift(timedelta(seconds=2 * 20))
        assert client.get("/api/health").status_code == 200


def test_monitor_that_ran_then_stalled_makes_health_degraded(start):
    with start(monitor_interval_seconds=1, raise_server_exceptions=False) as client:
        app = client.app
        factories.wait_for(
            lambda: client.get("/api/health").json()["monitor_last_run_at"], timeout=5
        )
        client.portal.call(app.state.engine.ticks.stop)  # no more monitor runs from here on
        client.app.state.engine.clock.shift(timedelta(seconds=10))
        body = client.get("/api/health").json()
        assert body["status"] == "degraded"


# --- secrets ----------------------------------------------------------------------------------


@pytest.fixture
def secret_client(start) -> Iterator[TestClient]:
    with start(api_token=TOKEN, openai_api_key=OPENAI_KEY, raise_server_exceptions=False) as client:
        yield client


def _no_secret(text: str) -> None:
    assert TOKEN not in text
    assert OPENAI_KEY not in text
    assert "SECRET" not in text


def test_no_secret_in_health_metrics_openapi_jobs_or_errors(secret_client):
    client = secret_client
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job = client.post("/api/programs/generate", json=factories.make_request(), headers=auth)
    assert job.status_code == 202
    job_id = job.json()["id"]
    responses = [
        client.get("/api/health"),
        client.get("/metrics"),
        client.get("/openapi.json"),
        client.get(f"/api/programs/jobs/{job_id}", headers=auth),
        client.get(f"/api/programs/jobs/{job_id}/events", headers=auth),
        client.get("/api/programs/jobs", headers=auth),
        client.get("/api/programs/jobs/nope", headers=auth),
        client.get("/api/programs/jobs"),
        client.get("/api/programs/jobs", headers={"Authorization": "Bearer tok-SECRET-2"}),
        client.post("/api/programs/generate", json={"bad": 1}, headers=auth),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 200, 404, 401, 401, 422]
    for response in responses:
        _no_secret(response.text)
        _no_secret(str(dict(response.headers)))


def test_template_generator_is_used_when_set_explicitly_with_a_key(secret_client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job_id = secret_client.post(
        "/api/programs/generate", json=factories.make_request(weeks=1), headers=auth
    ).json()["id"]
    job = factories.wait_for(
        lambda: (
            (j := secret_client.get(f"/api/programs/jobs/{job_id}", headers=auth).json())["status"]
            == "completed"
            and j
        ),
        timeout=15,
    )
    assert job["result"]["generator"] == "template"


def test_degraded_database_error_shows_no_secret(start, monkeypatch):
    with start(api_token=TOKEN, openai_api_key=OPENAI_KEY, raise_server_exceptions=False) as client:
        app = client.app
        response = _health_on_a_broken_database(app, client)
        assert response.status_code == 503
        _no_secret(response.text)

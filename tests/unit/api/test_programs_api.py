"""The /api/programs routes, /metrics, OpenAPI and the frontend, through the real app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from jobs import store
from jobs.models import Job
from jobs.status import Reason
from programs.schemas import Program, ProgramRequest

JOB_FIELDS = {
    "id",
    "status",
    "request",
    "result",
    "error",
    "attempts",
    "max_attempts",
    "progress",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "next_attempt_at",
    "cancel_requested",
}
TIMESTAMPS = (
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "next_attempt_at",
)
TERMINAL = {"completed", "failed", "cancelled"}
REQUEST = factories.make_request()
TOKEN = "tok-programs-api"

AppFactory = Callable[..., Any]


@pytest.fixture
def client(start) -> Iterator[TestClient]:
    with start() as client:
        yield client


@pytest.fixture
def busy(start) -> Iterator[TestClient]:
    """One job slot and slow steps: a first job stays in_progress, later ones stay pending."""
    with start(job_concurrency=1, generation_step_delay_seconds=2) as client:
        yield client


def _submit(client: TestClient, request: dict[str, Any] | None = None, **headers: str) -> Any:
    response = client.post("/api/programs/generate", json=request or REQUEST, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


def _job(client: TestClient, job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/programs/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()


def _until_status(
    client: TestClient, job_id: str, statuses: set[str], timeout: float = 15
) -> dict[str, Any]:
    return factories.wait_for(
        lambda: (job := _job(client, job_id))["status"] in statuses and job, timeout=timeout
    )


def _occupied(client: TestClient) -> dict[str, Any]:
    """A job that holds the only slot of the `busy` app."""
    job = _submit(client, factories.make_request(weeks=8))
    return _until_status(client, job["id"], {"in_progress"}, timeout=5)


def _reasons(client: TestClient, job_id: str) -> list[str]:
    response = client.get(f"/api/programs/jobs/{job_id}/events")
    assert response.status_code == 200
    return [event["reason"] for event in response.json()]


def _row_count(db_url: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one()
    finally:
        engine.dispose()


def _aware(value: str) -> datetime:
    assert value.endswith(("Z", "+00:00")), value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0
    return parsed


# --- generate ---------------------------------------------------------------------------------


def test_generate_answers_202_with_location_and_a_pending_job(client):
    response = client.post("/api/programs/generate", json=REQUEST)
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/api/programs/jobs/{job['id']}"
    assert JOB_FIELDS <= set(job)
    assert job["status"] in {"pending", "in_progress", "completed"}
    assert job["request"] == REQUEST
    assert job["result"] is None or job["status"] == "completed"
    assert job["error"] is None
    assert isinstance(job["attempts"], int) and isinstance(job["max_attempts"], int)
    assert job["max_attempts"] == 3
    assert isinstance(job["cancel_requested"], bool) and job["cancel_requested"] is False
    assert job["progress"] is None or set(job["progress"]) == {"step", "total", "message"}


def test_generate_fills_request_defaults(client):
    minimal = {"goal": "endurance", "experience": "beginner", "days_per_week": 2, "weeks": 1}
    job = _submit(client, minimal)
    assert job["request"] == {
        **minimal,
        "session_minutes": 60,
        "equipment": ["bodyweight"],
        "notes": "",
    }


def test_job_timestamps_carry_an_explicit_utc_offset(client):
    job = _until_status(client, _submit(client)["id"], {"completed"})
    for field in TIMESTAMPS:
        if job[field] is not None:
            _aware(job[field])
    assert _aware(job["created_at"]) <= _aware(job["started_at"]) <= _aware(job["finished_at"])
    assert job["next_attempt_at"] is None and job["heartbeat_at"] is None


def test_job_completes_offline_with_a_valid_program(client):
    request = factories.make_request(weeks=3, days_per_week=4)
    job = _until_status(client, _submit(client, request)["id"], TERMINAL)
    assert job["status"] == "completed", job["error"]
    program = Program.model_validate(job["result"])
    assert len(program.weeks) == 3
    assert [week.week for week in program.weeks] == [1, 2, 3]
    assert all(len(week.sessions) == 4 for week in program.weeks)
    assert program.generator == "template"
    assert job["attempts"] == 1 and job["error"] is None
    assert job["progress"]["step"] == job["progress"]["total"]


# --- idempotency ------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_replays_the_job_with_200(client, db_url):
    first = _submit(client, **{"Idempotency-Key": "key-1"})
    again = client.post(
        "/api/programs/generate", json=REQUEST, headers={"Idempotency-Key": "key-1"}
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.headers["location"] == f"/api/programs/jobs/{first['id']}"
    assert _row_count(db_url) == 1


def test_same_idempotency_key_with_another_body_is_409_and_creates_nothing(client, db_url):
    _submit(client, **{"Idempotency-Key": "key-2"})
    other = client.post(
        "/api/programs/generate",
        json=factories.make_request(weeks=5),
        headers={"Idempotency-Key": "key-2"},
    )
    assert other.status_code == 409
    assert isinstance(other.json()["detail"], str) and other.json()["detail"]
    assert _row_count(db_url) == 1


def test_different_idempotency_keys_make_different_jobs(client, db_url):
    first = _submit(client, **{"Idempotency-Key": "a"})
    second = _submit(client, **{"Idempotency-Key": "b"})
    assert first["id"] != second["id"]
    assert _row_count(db_url) == 2


# --- get --------------------------------------------------------------------------------------


def test_get_unknown_job_is_404_with_detail(client):
    response = client.get("/api/programs/jobs/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_non_terminal_job_carries_integer_retry_after(busy):
    running = _occupied(busy)
    waiting = _submit(busy)
    for job_id in (running["id"], waiting["id"]):
        response = busy.get(f"/api/programs/jobs/{job_id}")
        assert response.json()["status"] in {"pending", "in_progress"}
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["retry-after"].isdigit()


def test_terminal_job_has_no_retry_after(client):
    job = _until_status(client, _submit(client)["id"], TERMINAL)
    response = client.get(f"/api/programs/jobs/{job['id']}")
    assert response.json()["status"] == "completed"
    assert "retry-after" not in response.headers


# --- list -------------------------------------------------------------------------------------


def _ids(page: dict[str, Any]) -> list[str]:
    return [job["id"] for job in page["items"]]


def test_list_is_newest_first_with_default_page(client):
    created = [_submit(client)["id"] for _ in range(3)]
    response = client.get("/api/programs/jobs")
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next_cursor"}
    assert _ids(page) == created[::-1]
    assert page["next_cursor"] is None
    assert JOB_FIELDS - {"result"} | {"title"} <= set(page["items"][0])
    assert "result" not in page["items"][0]  # a JobSummary: GET the job for its program


def test_list_items_carry_the_title_once_completed(client):
    job_id = _submit(client)["id"]
    factories.wait_for(
        lambda: client.get(f"/api/programs/jobs/{job_id}").json()["status"] == "completed"
    )
    program = client.get(f"/api/programs/jobs/{job_id}").json()["result"]
    Program.model_validate(program)
    pending = _submit(client)["id"]
    items = {item["id"]: item for item in client.get("/api/programs/jobs").json()["items"]}
    assert items[job_id]["title"] == program["title"]
    assert items[pending]["title"] is None or items[pending]["status"] == "completed"


def test_list_limit_caps_the_page_and_gives_a_cursor(client):
    created = [_submit(client)["id"] for _ in range(3)]
    page = client.get("/api/programs/jobs", params={"limit": 2}).json()
    assert _ids(page) == created[:0:-1]
    assert isinstance(page["next_cursor"], str)


def test_cursor_pagination_walks_every_job_exactly_once(client):
    created = [_submit(client)["id"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):  # 7 jobs in pages of 2: 4 pages
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/programs/jobs", params=params).json()
        seen += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created[::-1]


def test_list_filters_by_repeated_status(busy):
    running = _occupied(busy)
    cancelled = _submit(busy)
    assert busy.post(f"/api/programs/jobs/{cancelled['id']}/cancel").status_code == 202
    pending = _submit(busy)

    def ids(*statuses: str) -> set[str]:
        response = busy.get("/api/programs/jobs", params=[("status", s) for s in statuses])
        assert response.status_code == 200
        return set(_ids(response.json()))

    assert ids("cancelled") == {cancelled["id"]}
    assert ids("pending") == {pending["id"]}
    assert ids("pending", "in_progress") == {pending["id"], running["id"]}
    assert ids("completed", "failed") == set()


@pytest.mark.parametrize("cursor", ["not-a-cursor", "!!!!", "eyJhIjogMX0", "W10"])
def test_bad_cursor_is_422(client, cursor):
    response = client.get("/api/programs/jobs", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc"])
def test_out_of_range_limit_is_422(client, limit):
    response = client.get("/api/programs/jobs", params={"limit": limit})
    assert response.status_code == 422


def test_limits_at_the_edges_are_accepted(client):
    _submit(client)
    assert len(client.get("/api/programs/jobs", params={"limit": 1}).json()["items"]) == 1
    assert client.get("/api/programs/jobs", params={"limit": 100}).status_code == 200


def test_unknown_status_filter_is_422(client):
    assert client.get("/api/programs/jobs", params={"status": "lost"}).status_code == 422


# --- retry ------------------------------------------------------------------------------------


def test_retry_of_pending_job_is_409(busy):
    _occupied(busy)
    pending = _submit(busy)
    response = busy.post(f"/api/programs/jobs/{pending['id']}/retry")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert _job(busy, pending["id"])["status"] == "pending"


def test_retry_of_completed_job_is_409(client):
    job = _until_status(client, _submit(client)["id"], TERMINAL)
    assert client.post(f"/api/programs/jobs/{job['id']}/retry").status_code == 409
    assert _job(client, job["id"])["status"] == "completed"


def test_retry_of_unknown_job_is_404(client):
    assert client.post("/api/programs/jobs/nope/retry").status_code == 404


def test_retry_of_cancelled_job_queues_it_with_fresh_attempts(busy):
    _occupied(busy)
    job = _submit(busy)
    cancelled = busy.post(f"/api/programs/jobs/{job['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    response = busy.post(f"/api/programs/jobs/{job['id']}/retry")
    assert response.status_code == 202
    retried = response.json()
    assert retried["status"] == "pending"
    assert retried["max_attempts"] == retried["attempts"] + 3
    assert retried["cancel_requested"] is False and retried["finished_at"] is None
    assert _reasons(busy, job["id"]) == ["created", "cancelled", "manual_retry"]


def test_retry_of_failed_job_queues_it_and_it_completes(start, sessions):
    lease = factories.running(sessions, owner="peer:1:gone", max_attempts=1)
    with sessions.write() as session:
        store.fail_attempt(
            session,
            lease=lease,
            error="model refused",
            backoff_base=0,
            reason=Reason.PERMANENT_ERROR,
            retryable=False,
        )
    with start(job_max_attempts=2) as client:
        failed = _job(client, lease.job_id)
        assert (failed["status"], failed["attempts"], failed["error"]) == (
            "failed",
            1,
            "model refused",
        )
        response = client.post(f"/api/programs/jobs/{lease.job_id}/retry")
        assert response.status_code == 202
        retried = response.json()
        assert retried["status"] in {"pending", "in_progress"}  # the runner may claim it at once
        assert retried["max_attempts"] == 1 + 2
        done = _until_status(client, lease.job_id, TERMINAL)
        assert done["status"] == "completed"
        assert done["attempts"] == 2
        assert "manual_retry" in _reasons(client, lease.job_id)


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_of_pending_job_is_immediate(busy):
    _occupied(busy)
    job = _submit(busy)
    response = busy.post(f"/api/programs/jobs/{job['id']}/cancel")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["finished_at"] is not None
    assert _job(busy, job["id"])["status"] == "cancelled"


def test_cancel_of_running_job_cancels_it_within_two_seconds(start):
    with start(generation_step_delay_seconds=1) as client:
        job = _submit(client, factories.make_request(weeks=8))
        _until_status(client, job["id"], {"in_progress"}, timeout=5)
        asked = time.monotonic()
        response = client.post(f"/api/programs/jobs/{job['id']}/cancel")
        assert response.status_code == 202
        done = _until_status(client, job["id"], TERMINAL, timeout=2)
        assert time.monotonic() - asked <= 2.5
        assert done["status"] == "cancelled"
        assert done["result"] is None
        reasons = _reasons(client, job["id"])
        assert reasons == ["created", "claimed", "cancelled"]


def test_cancel_of_running_job_answers_cancelled_when_this_instance_runs_it(start):
    with start(generation_step_delay_seconds=1) as client:
        job = _submit(client, factories.make_request(weeks=8))
        _until_status(client, job["id"], {"in_progress"}, timeout=5)
        response = client.post(f"/api/programs/jobs/{job['id']}/cancel")
        assert response.status_code == 202
        assert response.json()["status"] == "cancelled"


def test_cancel_of_terminal_job_is_409(client):
    job = _until_status(client, _submit(client)["id"], TERMINAL)
    response = client.post(f"/api/programs/jobs/{job['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["detail"]


def test_cancel_twice_is_409_the_second_time(busy):
    _occupied(busy)
    job = _submit(busy)
    assert busy.post(f"/api/programs/jobs/{job['id']}/cancel").status_code == 202
    assert busy.post(f"/api/programs/jobs/{job['id']}/cancel").status_code == 409


def test_cancel_of_unknown_job_is_404(client):
    assert client.post("/api/programs/jobs/nope/cancel").status_code == 404


# --- events -----------------------------------------------------------------------------------


def test_events_start_with_creation_and_are_oldest_first(client):
    job = _until_status(client, _submit(client)["id"], TERMINAL)
    response = client.get(f"/api/programs/jobs/{job['id']}/events")
    assert response.status_code == 200
    events = response.json()
    assert all(
        set(e) >= {"at", "from_status", "to_status", "attempt", "reason", "message"} for e in events
    )
    assert (events[0]["from_status"], events[0]["to_status"]) == (None, "pending")
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in events] == [
        (None, "pending", "created"),
        ("pending", "in_progress", "claimed"),
        ("in_progress", "completed", "completed"),
    ]
    times = [_aware(e["at"]) for e in events]
    assert times == sorted(times)
    assert [e["attempt"] for e in events] == [0, 1, 1]


def test_events_of_unknown_job_are_404(client):
    assert client.get("/api/programs/jobs/nope/events").status_code == 404


# --- auth -------------------------------------------------------------------------------------


@pytest.fixture
def guarded(start) -> Iterator[TestClient]:
    with start(api_token=TOKEN) as client:
        yield client


PROTECTED = [
    ("POST", "/api/programs/generate"),
    ("GET", "/api/programs/jobs"),
    ("GET", "/api/programs/jobs/x"),
    ("POST", "/api/programs/jobs/x/retry"),
    ("POST", "/api/programs/jobs/x/cancel"),
    ("GET", "/api/programs/jobs/x/events"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer",
        f"Bearer {TOKEN}x",
        f"Bearer  {TOKEN}",
    ],
)
def test_api_token_rejects_missing_or_wrong_bearer(guarded, method, path, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = guarded.request(
        method, path, headers=headers, json=REQUEST if method == "POST" else None
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    assert response.json()["detail"]
    assert TOKEN not in response.text


def test_api_token_admits_the_right_bearer(guarded):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    created = guarded.post("/api/programs/generate", json=REQUEST, headers=auth)
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert guarded.get(f"/api/programs/jobs/{job_id}", headers=auth).status_code == 200
    assert guarded.get("/api/programs/jobs", headers=auth).status_code == 200
    assert guarded.get(f"/api/programs/jobs/{job_id}/events", headers=auth).status_code == 200
    assert (
        guarded.get("/api/programs/jobs", headers={"Authorization": f"bearer {TOKEN}"}).status_code
        == 200
    )


def test_api_token_leaves_health_open(guarded):
    assert guarded.get("/api/health").status_code == 200
    assert guarded.head("/api/health").status_code == 200


def test_without_api_token_no_authorization_is_needed(client):
    assert client.get("/api/programs/jobs").status_code == 200


# --- OpenAPI, metrics, frontend ---------------------------------------------------------------


def test_openapi_lists_every_route_and_the_request_example(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/programs/generate"]
    assert "get" in paths["/api/programs/jobs"]
    assert "get" in paths["/api/programs/jobs/{job_id}"]
    assert "post" in paths["/api/programs/jobs/{job_id}/retry"]
    assert "post" in paths["/api/programs/jobs/{job_id}/cancel"]
    assert "get" in paths["/api/programs/jobs/{job_id}/events"]
    assert "get" in paths["/api/health"]
    examples = schema["components"]["schemas"]["ProgramRequest"]["examples"]
    assert examples
    ProgramRequest.model_validate(examples[0])


def test_docs_page_answers(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def _completed_gauge(client: TestClient) -> float | None:
    response = client.get("/metrics", follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE progen_jobs gauge" in response.text
    lines = response.text.splitlines()
    completed = [line for line in lines if line.startswith('progen_jobs{status="completed"}')]
    return float(completed[0].split()[-1]) if completed else None


def test_metrics_export_job_counts_in_prometheus_text(client):
    _until_status(client, _submit(client)["id"], {"completed"})
    # The monitor tick (every second here) counts the jobs; a scrape reads that count.
    factories.wait_for(lambda: _completed_gauge(client) == 1, timeout=5)


def test_root_serves_the_frontend_html(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()

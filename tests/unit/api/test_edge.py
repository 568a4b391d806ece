"""The public edge through the real app: admission, hosts, headers, docs, metrics token."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import factories
from jobs import store

GENERATE = "/api/programs/generate"
REQUEST = factories.make_request()
METRICS_TOKEN = "metrics-token-0123456789"
AppFactory = Callable[..., Any]


def _rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """Every event, every job's id and status, and every job not running (a running
    job's heartbeat moves on its own)."""
    with engine.connect() as connection:
        jobs = connection.execute(sa.text("SELECT * FROM program_generation_jobs ORDER BY id"))
        events = connection.execute(sa.text("SELECT * FROM job_events ORDER BY id"))
        return [
            *(tuple(job) if job.status != "in_progress" else (job.id, job.status) for job in jobs),
            *map(tuple, events),
        ]


@contextmanager
def _busy(start: AppFactory, **settings: Any) -> Iterator[TestClient]:
    """An app whose one job slot is taken by a long job, so pending jobs stay pending."""
    slow = {"job_concurrency": 1, "generation_step_delay_seconds": 60}
    with start(**slow, metrics_token=METRICS_TOKEN, **settings) as client:
        blocker = client.post(GENERATE, json=REQUEST).json()["id"]
        factories.wait_for(
            lambda: client.get(f"/api/programs/jobs/{blocker}").json()["status"] == "in_progress"
        )
        yield client


def _rejected_count(client: TestClient, reason: str) -> float:
    """The process's count so far (a process-wide counter: tests compare before and after)."""
    text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    found = re.search(rf'progen_http_requests_rejected_total{{reason="{reason}"}} (\S+)', text)
    assert found, text[:500]
    return float(found.group(1))


# --- admission: the queue cap -----------------------------------------------------------------


def test_a_full_queue_refuses_submits_with_429_and_creates_nothing(start, engine, sessions):
    with _busy(start, max_pending_jobs=3) as client:
        for _ in range(3):
            factories.create(sessions)
        before, counted = _rows(engine), _rejected_count(client, "queue_full")
        answer = client.post(GENERATE, json=REQUEST)
        assert answer.status_code == 429, answer.text
        assert "queue is full" in answer.json()["detail"]
        assert int(answer.headers["retry-after"]) >= 1
        assert _rows(engine) == before
        assert _rejected_count(client, "queue_full") == counted + 1


def test_a_full_queue_refuses_retries_and_changes_nothing(start, engine, sessions):
    with _busy(start, max_pending_jobs=1) as client:
        failed = factories.running(sessions)
        with sessions.write() as session:
            store.fail_attempt(
                session,
                lease=failed,
                error="boom",
                reason=store.Reason.PERMANENT_ERROR,
                retryable=False,
                backoff_base=0,
            )
        factories.create(sessions)  # the one pending job the cap allows
        before = _rows(engine)
        answer = client.post(f"/api/programs/jobs/{failed.job_id}/retry")
        assert answer.status_code == 429, answer.text
        assert answer.headers["retry-after"].isdigit()
        assert _rows(engine) == before


# --- admission: the rate per client ------------------------------------------------------------


def test_the_rate_limit_counts_accepted_submits_per_client(start):
    with start(submit_rate_per_minute=3, metrics_token=METRICS_TOKEN) as client:
        counted = _rejected_count(client, "rate_limit")
        for _ in range(3):
            assert client.post(GENERATE, json=REQUEST).status_code == 202
        refused = client.post(GENERATE, json=REQUEST)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "at most 3 a minute" in refused.json()["detail"]
        assert _rejected_count(client, "rate_limit") == counted + 1


def test_refused_and_invalid_submits_use_no_rate(start):
    with start(submit_rate_per_minute=2) as client:
        assert client.post(GENERATE, json={**REQUEST, "weeks": 99}).status_code == 422
        keyed = {"Idempotency-Key": "same"}
        assert client.post(GENERATE, json=REQUEST, headers=keyed).status_code == 202
        assert client.post(GENERATE, json=REQUEST, headers=keyed).status_code == 200  # replay
        assert client.post(GENERATE, json=REQUEST).status_code == 202
        assert client.post(GENERATE, json=REQUEST).status_code == 429


def test_forwarded_addresses_count_only_from_a_trusted_proxy(start):
    one = {"X-Forwarded-For": "203.0.113.7"}
    other = {"X-Forwarded-For": "203.0.113.8"}
    with start(submit_rate_per_minute=1, forwarded_allow_ips="127.0.0.1") as client:
        assert client.post(GENERATE, json=REQUEST, headers=one).status_code == 202
        assert client.post(GENERATE, json=REQUEST, headers=one).status_code == 429
        assert client.post(GENERATE, json=REQUEST, headers=other).status_code == 202
    with start(client=("198.51.100.9", 1), submit_rate_per_minute=1) as client:  # not trusted
        assert client.post(GENERATE, json=REQUEST, headers=one).status_code == 202
        assert client.post(GENERATE, json=REQUEST, headers=other).status_code == 429


# --- hosts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "host", "served"),
    [
        (None, "localhost:8000", True),
        (None, "127.0.0.1", True),
        (None, "[::1]:8000", True),
        (None, "evil.example", False),
        (None, "evil.example:8000", False),
        (None, "", False),
        ("api.example.com", "API.example.com:443", True),
        ("api.example.com", "localhost", False),
        ("*", "anything.example", True),
    ],
)
def test_only_allowed_hosts_are_served(start, allowed, host, served):
    with start(allowed_hosts=allowed) as client:
        answer = client.get("/api/health", headers={"host": host})
        if served:
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 400
            assert "ALLOWED_HOSTS" in answer.json()["detail"]


def test_the_default_hosts_add_a_named_host():
    settings = factories.app_settings("sqlite://", host="progen.internal", allowed_hosts=None)
    assert "progen.internal" in settings.served_hosts
    wildcard = factories.app_settings("sqlite://", host="0.0.0.0", allowed_hosts=None)
    assert wildcard.served_hosts == {"localhost", "127.0.0.1", "[::1]"}
    empty = factories.app_settings("sqlite://", host="::1", allowed_hosts=" ")
    assert empty.served_hosts == {"localhost", "127.0.0.1", "[::1]"}


# --- headers and docs --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/health", "/api/programs/jobs", "/nope"])
def test_every_answer_carries_the_security_headers(start, path):
    with start() as client:
        headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_docs_are_served_offline_with_their_inline_script_allowed_by_hash(start):
    with start() as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "cdn" not in page.text.lower()
        for asset in re.findall(r'(?:src|href)="(/static-offline-docs/[^"]+)"', page.text):
            assert client.get(asset).status_code == 200, asset
        for inline in (page, client.get("/docs/oauth2-redirect")):
            scripts = re.findall(r"<script>(.*?)</script>", inline.text, re.DOTALL)
            assert scripts
            policy = inline.headers["content-security-policy"]
            for script in scripts:
                digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in policy
            assert (
                "frame-ancestors 'none'" in policy
                and "unsafe-inline" not in policy.split("style-src")[0]
            )
        assert "static-offline-docs/redoc" in client.get("/redoc").text


def test_docs_can_be_turned_off(start):
    with start(docs_enabled=False) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
        assert client.get("/api/health").status_code == 200


# --- metrics token -----------------------------------------------------------------------------


def test_metrics_need_the_metrics_token_when_set(start):
    with start(metrics_token=METRICS_TOKEN, api_token="an-api-token-0123456789") as client:
        counted = _rejected_count(client, "auth")
        assert client.get("/metrics").status_code == 401
        api_token = {"Authorization": "Bearer an-api-token-0123456789"}
        assert client.get("/metrics", headers=api_token).status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200
        assert _rejected_count(client, "auth") == counted + 2


def test_metrics_are_open_without_a_metrics_token(start):
    with start(api_token="an-api-token-0123456789") as client:
        assert client.get("/metrics").status_code == 200


# --- idempotency keys are the caller's own -----------------------------------------------------


def test_another_clients_same_key_never_replays_a_job(start):
    key = {"Idempotency-Key": "guessable-1"}
    with start(client=("192.0.2.1", 1)) as owner:
        first = owner.post(GENERATE, json=REQUEST, headers=key)
        assert first.status_code == 202
        assert owner.post(GENERATE, json=REQUEST, headers=key).json()["id"] == first.json()["id"]
    with start(client=("192.0.2.2", 1)) as stranger:
        other = stranger.post(GENERATE, json=REQUEST, headers=key)
        assert other.status_code == 202  # a new job of its own, not the owner's
        assert other.json()["id"] != first.json()["id"]
        conflicting = stranger.post(GENERATE, json={**REQUEST, "weeks": 2}, headers=key)
        assert conflicting.status_code == 409  # its own key, reused with another body


def test_with_a_token_the_token_holder_is_the_caller(start):
    token = {"Authorization": "Bearer an-api-token-0123456789"}
    key = {**token, "Idempotency-Key": "shared-by-token"}
    with start(client=("192.0.2.1", 1), api_token="an-api-token-0123456789") as one:
        first = one.post(GENERATE, json=REQUEST, headers=key).json()["id"]
    with start(client=("192.0.2.2", 1), api_token="an-api-token-0123456789") as two:
        replay = two.post(GENERATE, json=REQUEST, headers=key)
        assert (replay.status_code, replay.json()["id"]) == (200, first)


# --- heavy reads --------------------------------------------------------------------------------


def test_at_most_four_programs_are_read_at_once(start):
    with start() as client:
        job_id = client.post(GENERATE, json=REQUEST).json()["id"]
        factories.wait_for(
            lambda: client.get(f"/api/programs/jobs/{job_id}").json()["status"] == "completed"
        )
        programs = client.app.state.programs
        read, lock = programs.result_json, threading.Lock()
        reading, most = [0], [0]

        def slow_read(job: str) -> str | None:
            with lock:
                reading[0] += 1
                most[0] = max(most[0], reading[0])
            time.sleep(0.2)  # a large program, read slowly
            with lock:
                reading[0] -= 1
            return read(job)

        programs.result_json = slow_read
        with ThreadPoolExecutor(max_workers=12) as pool:
            polls = list(pool.map(lambda _: client.get(f"/api/programs/jobs/{job_id}"), range(12)))
        assert [poll.status_code for poll in polls] == [200] * 12
        assert all(poll.json()["result"]["title"] for poll in polls)
        assert most[0] == 4  # HEAVY_READS: the others waited their turn

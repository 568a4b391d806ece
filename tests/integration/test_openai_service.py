"""The real service, a real process, talking to the fake OpenAI server over HTTP.

The fake (scripts/fake_openai_server.py) runs in a thread of this test process on a
free 127.0.0.1 port; the service is ./start_fastapi.sh (tests/integration/live.py)
with OPENAI_API_KEY set and GENERATOR=auto, so it picks the OpenAI generator and
the real AsyncOpenAI client. Every wait is bounded; every server is stopped by PID.

Token figures for docs/OPENAI.md:
    .venv/bin/python -m pytest tests/integration/test_openai_service.py -k token -s -q
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live import REQUEST, Fake, Server, wait_for

from programs.generators.openai_generator import SDK_MAX_RETRIES

pytestmark = pytest.mark.integration

KEY = "sk-test-SECRET-KEY-4242"  # distinctive, so any leak is found by a plain search
SMALL = {"weeks": 2, "days_per_week": 2}  # plan + 2 weeks: 3 requests when all goes well
TERMINAL = {"completed", "failed", "cancelled"}
KINDS = ("input_tokens", "output_tokens", "total_tokens")


@pytest.fixture
def make_server(tmp_path: Path, fake: Fake) -> Iterator[Callable[..., Server]]:
    """Servers on one SQLite file, all set up for OpenAI; checked for the key afterwards."""
    db_path = tmp_path / "openai.db"
    started: list[Server] = []

    def make(**env: str) -> Server:
        settings = {
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": fake.base_url,
            "GENERATOR": "auto",  # the harness says template; the key must make it pick openai
            "JOB_RETRY_BACKOFF_SECONDS": "0",
            **env,
        }
        server = Server(f"sqlite:///{db_path}", tmp_path / f"server-{len(started)}.log", **settings)
        started.append(server)
        return server

    yield make
    for server in started:
        server.close()
    # Whatever a test did, the key must be in no log line and nowhere in the database.
    for path in sorted(tmp_path.iterdir()):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path.name}"


def _finish(server: Server, job_id: str, timeout: float) -> dict[str, Any]:
    def terminal() -> dict[str, Any] | None:
        job = server.job(job_id)
        return job if job["status"] in TERMINAL else None

    return wait_for(terminal, timeout=timeout, interval=0.1, what=f"job {job_id} terminal")


def _reasons(server: Server, job_id: str) -> list[str]:
    return [event["reason"] for event in server.events(job_id)]


def _fake_usage(entries: list[dict[str, Any]]) -> dict[str, int]:
    """What the fake charged for these requests, in the job's names."""
    names = {
        "input_tokens": "prompt_tokens",
        "output_tokens": "completion_tokens",
        "total_tokens": "total_tokens",
    }
    return {
        kind: sum((e["usage"] or {}).get(name, 0) for e in entries) for kind, name in names.items()
    }


def _metric(text: str, kind: str) -> float:
    match = re.search(rf'^progen_tokens_total\{{kind="{kind}"\}} (\S+)$', text, re.MULTILINE)
    assert match, f"no progen_tokens_total for {kind} in /metrics"
    return float(match.group(1))


def test_a_job_completes_with_openai_structured_outputs(make_server, fake: Fake) -> None:
    server = make_server()
    server.start()
    started = time.monotonic()
    job_id = server.submit()  # 8 weeks x 3 days: plan + 8 week steps
    job = _finish(server, job_id, timeout=30)

    assert job["status"] == "completed", job["error"]
    assert job["attempts"] == 1 and job["error"] is None
    assert job["result"]["generator"] == "openai:gpt-5-mini"
    assert len(job["result"]["weeks"]) == REQUEST["weeks"]
    assert job["progress"]["step"] == job["progress"]["total"] == 1 + REQUEST["weeks"]

    requests = fake.requests()
    assert [r["schema"] for r in requests] == ["Plan"] + ["Week"] * REQUEST["weeks"]
    assert fake.counts() == {"plan": 1, **{f"week_{n}": 1 for n in range(1, 9)}}
    for entry in requests:
        assert entry["path"] == "/v1/chat/completions"
        assert entry["model"] == "gpt-5-mini"
        assert entry["response_format_type"] == "json_schema" and entry["strict"] is True

    usage = job["usage"]
    assert usage == _fake_usage(requests)
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    metrics = server.client.get("/metrics").text
    for kind in KINDS:  # one job on a fresh process: the counters are this job's usage
        assert _metric(metrics, kind) == usage[kind]
    assert time.monotonic() - started < 30


def test_429_twice_is_absorbed_by_the_sdk_retries(make_server, fake: Fake) -> None:
    fake.scenario(mode="http429_then_ok")  # the first 2 requests get 429 (retry-after 20 ms)
    server = make_server()
    server.start()
    job = _finish(server, server.submit(**SMALL), timeout=30)

    assert job["status"] == "completed", job["error"]
    assert SDK_MAX_RETRIES >= 2  # so the SDK's own retries absorb both 429s
    assert job["attempts"] == 1
    assert fake.counts() == {"plan": 3, "week_1": 1, "week_2": 1}
    assert _reasons(server, job["id"]) == ["created", "claimed", "completed"]
    assert job["usage"] == _fake_usage(fake.requests())  # the 429s cost nothing


def test_a_rejected_key_fails_the_job_at_once(make_server, fake: Fake) -> None:
    fake.scenario(mode="http401")  # the fake echoes the whole key in its error text
    server = make_server(JOB_MAX_ATTEMPTS="3")
    server.start()
    job = _finish(server, server.submit(**SMALL), timeout=15)

    assert job["status"] == "failed"
    assert job["attempts"] == 1 and job["next_attempt_at"] is None
    assert "OPENAI_API_KEY" in job["error"] and KEY not in job["error"]
    assert 1 <= len(fake.requests()) <= 2
    assert _reasons(server, job["id"]) == ["created", "claimed", "permanent_error"]
    # The log line says what a person needs: final, why, and the error in words.
    log = server.log.read_text()
    final = f"job {job['id']} attempt 1/3: in_progress -> failed (permanent error, final): "
    assert final + job["error"] in log
    assert "Traceback" not in log


def test_a_timeout_is_retried_then_fails_with_a_timeout_message(make_server, fake: Fake) -> None:
    # Week 1 answers after 3 s; the client waits 1 s. Each attempt: 1 + SDK_MAX_RETRIES
    # requests of 1 s plus the SDK's backoff (about 0.5 s, 1 s): about 5 s per attempt.
    fake.scenario(mode="slow", delay_seconds=3, step=1)
    server = make_server(OPENAI_TIMEOUT_SECONDS="1", JOB_MAX_ATTEMPTS="2")
    server.start()
    started = time.monotonic()
    job = _finish(server, server.submit(**SMALL), timeout=35)
    elapsed = time.monotonic() - started

    assert job["status"] == "failed" and job["attempts"] == 2
    assert "did not answer in time" in job["error"] and "OPENAI_TIMEOUT_SECONDS" in job["error"]
    assert job["progress"]["step"] == 1  # the plan was saved and not asked again
    assert fake.counts() == {"plan": 1, "week_1": 2 * (1 + SDK_MAX_RETRIES)}
    events = server.events(job["id"])
    assert [e["reason"] for e in events] == [
        "created",
        "claimed",
        "retryable_error",
        "claimed",
        "retryable_error",
    ]
    assert events[2]["to_status"] == "pending" and events[3]["attempt"] == 2
    assert events[-1]["to_status"] == "failed"
    assert elapsed < 30
    # The last failure is final in the log, though its error was a retryable kind.
    final = "attempt 2/2: in_progress -> failed (retryable error, final: no attempts left): "
    assert f"job {job['id']} {final}{job['error']}" in server.log.read_text()


def test_malformed_output_is_asked_again_then_retried(make_server, fake: Fake) -> None:
    fake.scenario(mode="badjson", step=1)  # every answer for week 1 is truncated JSON
    server = make_server(JOB_MAX_ATTEMPTS="2")
    server.start()
    job = _finish(server, server.submit(**SMALL), timeout=20)

    assert job["status"] == "failed" and job["attempts"] == 2
    assert "invalid program twice" in job["error"]
    assert fake.counts() == {"plan": 1, "week_1": 4}  # asked again once in each attempt
    reasons = _reasons(server, job["id"])
    assert reasons == ["created", "claimed", "retryable_error", "claimed", "retryable_error"]
    requests = fake.requests()
    second = requests[2]  # the re-ask says what was wrong (unparsable: no assistant turn)
    assert second["step"] == 1 and len(second["messages"]) == len(requests[1]["messages"]) + 1
    assert second["messages"][-1]["role"] == "user"
    assert "cannot be used" in second["messages"][-1]["content"]


def test_malformed_output_once_is_fixed_by_the_reask(make_server, fake: Fake) -> None:
    fake.scenario(mode="badjson_once", step=1)
    server = make_server()
    server.start()
    job = _finish(server, server.submit(**SMALL), timeout=20)

    assert job["status"] == "completed", job["error"]
    assert job["attempts"] == 1
    assert fake.counts() == {"plan": 1, "week_1": 2, "week_2": 1}
    assert _reasons(server, job["id"]) == ["created", "claimed", "completed"]
    used = [e for e in fake.requests() if e["mode"] == "ok"]  # the answers that were saved
    assert job["usage"]["input_tokens"] >= _fake_usage(used)["input_tokens"] > 0


def test_the_coaching_rules_check_the_models_program(make_server, fake: Fake) -> None:
    """A hard rule broken is asked again once, in the rule's words; soft ones are warnings."""
    fake.scenario(mode="rule_breaking_once", step=1)  # over time, and a barbell squat
    server = make_server()
    server.start()
    job = _finish(server, server.submit(**SMALL, equipment=[], experience="beginner"), timeout=20)

    assert job["status"] == "completed", job["error"]
    assert fake.counts() == {"plan": 1, "week_1": 2, "week_2": 1}
    feedback = fake.requests()[2]["messages"][-1]["content"]
    assert "Barbell back squat needs barbell" in feedback
    assert "drop an exercise or a set, never rest" in feedback
    result = job["result"]
    minutes = REQUEST["session_minutes"]
    for week in result["weeks"]:
        for session in week["sessions"]:
            assert session["warmup"]["minutes"] > 0
            assert session["duration_minutes"] <= minutes
            assert all(e["name"] != "Barbell back squat" for e in session["exercises"])
    # A soft rule broken is kept, not asked again: the fake gives a beginner push-ups.
    assert any(line.startswith("beginner_friendly: ") for line in result["warnings"])
    assert all(entry["max_completion_tokens"] for entry in fake.requests())


def test_an_unparsable_answer_still_counts_in_usage(make_server, fake: Fake) -> None:
    fake.scenario(mode="badjson_once", step=1)
    server = make_server()
    server.start()
    job = _finish(server, server.submit(**SMALL), timeout=20)

    assert job["status"] == "completed", job["error"]
    assert job["usage"] == _fake_usage(fake.requests())  # the bad answer was paid for too


def test_kill9_between_weeks_resumes_without_asking_again(make_server, fake: Fake) -> None:
    fake.scenario(mode="ok", delay_seconds=0.6)  # each step takes 0.6 s
    first = make_server()
    first.start()
    job_id = first.submit(weeks=5, days_per_week=3)

    def saved_two_weeks() -> dict[str, Any] | None:
        job = first.job(job_id)
        return job if job["progress"] and job["progress"]["step"] >= 3 else None

    saved = wait_for(saved_two_weeks, timeout=20, interval=0.05, what="plan + weeks 1-2")
    first.kill()
    at_kill = fake.counts()
    assert saved["progress"]["step"] == 3 and at_kill.get("week_4", 0) == 0

    second = make_server()
    second.start()
    job = _finish(second, job_id, timeout=30)

    assert job["status"] == "completed", job["error"]
    assert job["attempts"] == 2 and job["recoveries"] == 1
    counts = fake.counts()
    assert counts["plan"] == counts["week_1"] == counts["week_2"] == 1  # saved, not paid again
    assert counts["week_3"] in {1, 2}  # in flight at the kill: asked again after the restart
    assert counts["week_4"] == counts["week_5"] == 1
    reasons = _reasons(second, job_id)
    assert reasons == ["created", "claimed", "owner_dead", "claimed", "completed"]
    # The job's usage counts each saved step once, whichever process ran it.
    answered = {}
    for entry in fake.requests():
        if entry["usage"] is not None:
            answered[entry["step"]] = entry  # the last answer per step is the one saved
    assert job["usage"] == _fake_usage(list(answered.values()))


def test_the_key_appears_nowhere(make_server, fake: Fake, tmp_path: Path) -> None:
    server = make_server()
    server.start()
    fake.scenario(mode="http401")
    rejected = _finish(server, server.submit(**SMALL), timeout=15)
    fake.scenario(mode="ok")
    done = _finish(server, server.submit(**SMALL), timeout=20)
    assert rejected["status"] == "failed" and done["status"] == "completed"

    bodies = []
    for path in (
        "/api/programs/jobs",
        "/api/programs/jobs?status=failed",
        "/api/health",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
    ):
        answer = server.client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        bodies.append(answer.text)
    for job in (rejected, done):
        for path in (f"/api/programs/jobs/{job['id']}", f"/api/programs/jobs/{job['id']}/events"):
            bodies.append(server.client.get(path).text)
    for body in bodies:
        assert KEY not in body and "SECRET-KEY" not in body

    with sqlite3.connect(tmp_path / "openai.db") as db:
        rows = [
            repr(row)
            for table in ("program_generation_jobs", "job_events")
            for row in _rows(db, table)
        ]
    assert rows and not any(KEY in row for row in rows)

    server.stop()
    log = server.log.read_text(errors="replace")
    assert "Application startup complete" in log  # it is the server's log, and it was written
    assert KEY not in log and "SECRET-KEY" not in log
    for path in tmp_path.iterdir():  # the database, its journal, every log: raw bytes
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path.name


def _rows(db: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return list(db.execute(f"SELECT * FROM {table}")) if table in names else []


@pytest.mark.parametrize("weeks, days", [(8, 3), (4, 5), (12, 4)])
def test_token_figures(make_server, fake: Fake, weeks: int, days: int) -> None:
    """What a program costs in (fake) tokens, per step and per job; printed with -s."""
    server = make_server()
    server.start()
    job = _finish(server, server.submit(weeks=weeks, days_per_week=days), timeout=40)
    assert job["status"] == "completed", job["error"]

    requests = fake.requests()
    assert len(requests) == 1 + weeks
    steps = [
        (e["step"], e["usage"]["prompt_tokens"], e["usage"]["completion_tokens"]) for e in requests
    ]
    assert job["usage"] == _fake_usage(requests)
    per_step = ", ".join(f"{'plan' if s == 0 else f'w{s}'} {i}/{o}" for s, i, o in steps)
    print(f"\n{weeks} weeks x {days} days: job {job['usage']}\n  in/out per step: {per_step}")

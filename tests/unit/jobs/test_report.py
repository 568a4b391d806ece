"""Transition log lines and counters: written once the transaction commits, in words."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

import factories
from api.logs import JsonFormatter
from jobs import clock, metrics, store
from jobs.status import Reason

TRANSITIONS = "jobs.transitions"


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == TRANSITIONS]


def test_creation_is_logged_and_counted_only_after_its_commit(sessions, caplog):
    caplog.set_level(logging.INFO, logger=TRANSITIONS)
    submitted = metrics.attach(sessions).submitted._value.get()
    with pytest.raises(RuntimeError), sessions.write() as session:
        store.create(session, payload=factories.make_request(), max_attempts=3)
        raise RuntimeError("the commit never happens (a full disk)")
    assert _lines(caplog) == []
    assert metrics.attach(sessions).submitted._value.get() == submitted

    job = factories.create(sessions)
    [line] = _lines(caplog)
    assert line.getMessage() == f"job {job.id} created (pending)"
    assert "None" not in line.getMessage()
    assert metrics.attach(sessions).submitted._value.get() == submitted + 1


def _fail(sessions, lease: store.Lease, *, retryable: bool, error: str) -> None:
    reason = Reason.RETRYABLE_ERROR if retryable else Reason.PERMANENT_ERROR
    with sessions.write() as session:
        store.fail_attempt(
            session, lease=lease, error=error, reason=reason, retryable=retryable, backoff_base=10
        )


def test_a_permanent_error_is_final_with_its_error_text(sessions, caplog):
    lease = factories.running(sessions, max_attempts=3)
    caplog.set_level(logging.INFO, logger=TRANSITIONS)
    _fail(sessions, lease, retryable=False, error="OpenAI rejected the API key")
    [line] = _lines(caplog)
    assert line.getMessage() == (
        f"job {lease.job_id} attempt 1/3: in_progress -> failed (permanent error, final): "
        "OpenAI rejected the API key"
    )
    assert line.levelno == logging.WARNING
    assert (line.final, line.reason, line.detail) == (
        True,
        "permanent_error",
        "OpenAI rejected the API key",
    )


def test_the_last_retryable_failure_says_final_not_retryable(sessions, caplog):
    lease = factories.running(sessions, max_attempts=1)
    caplog.set_level(logging.INFO, logger=TRANSITIONS)
    _fail(sessions, lease, retryable=True, error="OpenAI answered 503")
    [line] = _lines(caplog)
    assert "-> failed (retryable error, final: no attempts left): OpenAI answered 503" in (
        line.getMessage()
    )


def test_a_retry_says_when_the_next_attempt_comes(sessions, caplog):
    lease = factories.running(sessions, max_attempts=3)
    caplog.set_level(logging.INFO, logger=TRANSITIONS)
    _fail(sessions, lease, retryable=True, error="rate limited")
    [line] = _lines(caplog)
    assert "in_progress -> pending (retryable error; next attempt in " in line.getMessage()
    assert line.getMessage().endswith(": rate limited")
    assert line.final is False


def test_json_lines_carry_the_same_fields(sessions, caplog):
    lease = factories.running(sessions, max_attempts=3)
    caplog.set_level(logging.INFO, logger=TRANSITIONS)
    _fail(sessions, lease, retryable=False, error="refused")
    [line] = _lines(caplog)
    parsed = json.loads(JsonFormatter().format(line))
    assert parsed["message"] == line.getMessage()
    assert {key: parsed[key] for key in ("job_id", "attempt", "to_status", "final", "detail")} == {
        "job_id": lease.job_id,
        "attempt": 1,
        "to_status": "failed",
        "final": True,
        "detail": "refused",
    }
    assert parsed["level"] == "WARNING" and parsed["logger"] == TRANSITIONS


def _queue_wait(sessions) -> tuple[float, float]:
    """(count, sum) of progen_job_queue_wait_seconds so far."""
    sample = metrics.attach(sessions).registry.get_sample_value
    return sample("progen_job_queue_wait_seconds_count"), sample(
        "progen_job_queue_wait_seconds_sum"
    )


def test_queue_wait_runs_from_when_the_job_was_due_on_every_attempt(sessions):
    lease = factories.running(sessions)
    _fail(sessions, lease, retryable=True, error="the model timed out")  # backoff 8-12 s
    due = factories.load(sessions, lease.job_id).next_attempt_at
    clock.attach(sessions).shift(timedelta(seconds=100))
    count, total = _queue_wait(sessions)
    with sessions.write() as session:
        [job] = store.claim(session, owner="peer", limit=1)
    # 88-92 s: not the 100 s since creation
    waited = (clock.attach(sessions).now() - due).total_seconds()
    assert job.attempts == 2
    after_count, after_total = _queue_wait(sessions)
    assert after_count == count + 1
    assert after_total - total == pytest.approx(waited, abs=1)

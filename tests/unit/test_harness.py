"""The shared harness's pure parts: the cleaned environment and the bounded wait."""

from __future__ import annotations

import itertools

import pytest

from harness import FAST, server_env, wait_for


def test_no_progen_variable_leaks_in_from_the_callers_shell(monkeypatch) -> None:
    monkeypatch.setenv("API_TOKEN", "from-my-shell")
    monkeypatch.setenv("JOB_CONCURRENCY", "99")
    monkeypatch.setenv("SOMETHING_ELSE", "kept")
    env = server_env("sqlite:///x.db", JOB_MAX_ATTEMPTS="1")
    assert "API_TOKEN" not in env and "JOB_CONCURRENCY" not in env
    assert env["SOMETHING_ELSE"] == "kept"
    assert env["DATABASE_URL"] == "sqlite:///x.db" and env["JOB_MAX_ATTEMPTS"] == "1"
    assert env["HOST"] == "127.0.0.1" and env["GENERATOR"] == "template"
    assert {k: env[k] for k in FAST} == FAST


def test_the_service_defaults_when_no_settings_are_given() -> None:
    env = server_env("sqlite:///x.db", {})
    assert "HEARTBEAT_INTERVAL_SECONDS" not in env


def test_wait_for_returns_the_first_truthy_value() -> None:
    counter = itertools.count()
    assert wait_for(lambda: next(counter) >= 2 and "done", timeout=1, interval=0.001) == "done"


def test_wait_for_gives_up_in_time_and_says_on_what() -> None:
    calls = itertools.count()
    with pytest.raises(TimeoutError, match="the impossible"):
        wait_for(lambda: next(calls) < 0, timeout=0.05, interval=0.01, what="the impossible")
    assert next(calls) <= 7  # bounded in count as well as in time

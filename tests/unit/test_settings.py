"""Settings: the contract's defaults, env and `.env`, and configurations that cannot work."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

import factories
import settings as settings_module
from settings import Settings, describe, get_settings, load_or_exit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
IMPORT_APP = f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r}); import api.main"

DEFAULTS = {
    "database_url": "sqlite:///./data/programs.db",
    "host": "127.0.0.1",
    "port": 8000,
    "heartbeat_interval_seconds": 30,
    "heartbeat_stale_seconds": 90,
    "monitor_interval_seconds": 15,
    "job_concurrency": 4,
    "job_max_attempts": 3,
    "job_retry_backoff_seconds": 10,
    "job_timeout_seconds": 900,
    "shutdown_grace_seconds": 10,
    "generator": "auto",
    "generation_step_delay_seconds": 0,
    "openai_api_key": None,
    "openai_base_url": None,
    "openai_model": "gpt-5-mini",
    "openai_timeout_seconds": 120,
    "api_token": None,
    "job_retention_days": 30,
}
# every numeric variable, and the smallest value that cannot work for it
IMPOSSIBLE_NUMBERS = [
    ("PORT", "0"),
    ("PORT", "-1"),
    ("PORT", "70000"),
    ("HEARTBEAT_INTERVAL_SECONDS", "0"),
    ("HEARTBEAT_INTERVAL_SECONDS", "-1"),
    ("HEARTBEAT_STALE_SECONDS", "0"),
    ("HEARTBEAT_STALE_SECONDS", "-5"),
    ("MONITOR_INTERVAL_SECONDS", "0"),
    ("MONITOR_INTERVAL_SECONDS", "-1"),
    ("JOB_CONCURRENCY", "0"),
    ("JOB_CONCURRENCY", "-2"),
    ("JOB_MAX_ATTEMPTS", "0"),
    ("JOB_MAX_ATTEMPTS", "-1"),
    ("JOB_RETRY_BACKOFF_SECONDS", "-1"),
    ("JOB_TIMEOUT_SECONDS", "0"),
    ("JOB_TIMEOUT_SECONDS", "-1"),
    ("SHUTDOWN_GRACE_SECONDS", "-1"),
    ("GENERATION_STEP_DELAY_SECONDS", "-0.5"),
    ("OPENAI_TIMEOUT_SECONDS", "0"),
    ("OPENAI_TIMEOUT_SECONDS", "-1"),
    ("JOB_RETENTION_DAYS", "0"),
    ("JOB_RETENTION_DAYS", "-1"),
]
IMPOSSIBLE = [
    *IMPOSSIBLE_NUMBERS,
    ("HEARTBEAT_STALE_SECONDS", "30"),  # == the default interval
    ("HEARTBEAT_STALE_SECONDS", "10"),  # < the default interval
    ("GENERATOR", "openai"),
    ("GENERATOR", "bogus"),
    ("PORT", "eighty"),
    ("JOB_CONCURRENCY", "1.5"),
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in factories.PROGEN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _error_line(monkeypatch, variable: str, value: str) -> str:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    return describe(caught.value)


def test_defaults_equal_the_contract():
    settings = Settings()
    assert {name: getattr(settings, name) for name in DEFAULTS} == DEFAULTS
    assert settings.use_openai is False


def test_auto_generator_picks_openai_only_with_a_key(monkeypatch):
    assert Settings().use_openai is False
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert Settings().use_openai is True
    monkeypatch.setenv("GENERATOR", "template")
    assert Settings().use_openai is False


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./other.db")
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("HEARTBEAT_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("HEARTBEAT_STALE_SECONDS", "20")
    monkeypatch.setenv("JOB_CONCURRENCY", "2")
    monkeypatch.setenv("GENERATOR", "template")
    monkeypatch.setenv("API_TOKEN", "t0k")
    settings = Settings()
    assert (
        settings.database_url,
        settings.port,
        settings.heartbeat_interval_seconds,
        settings.heartbeat_stale_seconds,
        settings.job_concurrency,
        settings.generator,
    ) == ("sqlite:///./other.db", 9001, 5, 20, 2, "template")
    assert settings.api_token is not None and settings.api_token.get_secret_value() == "t0k"


def test_the_projects_dotenv_is_read_whatever_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("JOB_MAX_ATTEMPTS=7\nOPENAI_MODEL=gpt-test\nPORT=8123\n")
    monkeypatch.setattr(settings_module, "ENV_FILE", tmp_path / ".env")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("JOB_MAX_ATTEMPTS=9\n")  # the current directory's: ignored
    monkeypatch.chdir(elsewhere)
    settings = settings_module.get_settings.__wrapped__()
    assert (settings.job_max_attempts, settings.openai_model, settings.port) == (
        7,
        "gpt-test",
        8123,
    )


def test_environment_wins_over_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("JOB_MAX_ATTEMPTS=7\nPORT=8123\n")
    monkeypatch.setattr(settings_module, "ENV_FILE", tmp_path / ".env")
    monkeypatch.setenv("JOB_MAX_ATTEMPTS", "5")
    settings = settings_module.get_settings.__wrapped__()
    assert (settings.job_max_attempts, settings.port) == (5, 8123)


def test_secrets_are_not_shown_in_repr(monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-SECRET-repr")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SECRET-repr")
    text = repr(Settings()) + str(Settings())
    assert "tok-SECRET-repr" not in text and "sk-SECRET-repr" not in text


@pytest.mark.parametrize(("variable", "value"), IMPOSSIBLE)
def test_impossible_configuration_is_one_line_naming_the_variable(monkeypatch, variable, value):
    line = _error_line(monkeypatch, variable, value)
    assert variable in line
    assert "\n" not in line
    assert line.strip() == line and line


def test_stale_not_above_interval_names_both_variables(monkeypatch):
    monkeypatch.setenv("HEARTBEAT_INTERVAL_SECONDS", "10")
    line = _error_line(monkeypatch, "HEARTBEAT_STALE_SECONDS", "10")
    assert "HEARTBEAT_STALE_SECONDS" in line and "HEARTBEAT_INTERVAL_SECONDS" in line


def test_stale_just_above_interval_is_accepted(monkeypatch):
    monkeypatch.setenv("HEARTBEAT_INTERVAL_SECONDS", "10")
    monkeypatch.setenv("HEARTBEAT_STALE_SECONDS", "10.5")
    assert Settings().heartbeat_stale_seconds == 10.5


def test_openai_generator_without_key_says_to_set_the_key(monkeypatch):
    line = _error_line(monkeypatch, "GENERATOR", "openai")
    assert "OPENAI_API_KEY" in line


def test_openai_generator_with_a_blank_key_is_refused(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "   ")
    line = _error_line(monkeypatch, "GENERATOR", "openai")
    assert "OPENAI_API_KEY" in line


def test_secret_values_are_not_echoed_in_the_error_line(monkeypatch):
    monkeypatch.setenv("API_TOKEN", "   ")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "API_TOKEN" in describe(caught.value)


def test_zero_is_allowed_where_it_means_none(monkeypatch):
    for variable in (
        "JOB_RETRY_BACKOFF_SECONDS",
        "SHUTDOWN_GRACE_SECONDS",
        "GENERATION_STEP_DELAY_SECONDS",
    ):
        monkeypatch.setenv(variable, "0")
    settings = Settings()
    assert settings.shutdown_grace_seconds == 0 and settings.job_retry_backoff_seconds == 0


def test_load_or_exit_exits_non_zero_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("JOB_CONCURRENCY", "0")
    with pytest.raises(SystemExit) as caught:
        load_or_exit()
    assert caught.value.code not in (0, None)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "JOB_CONCURRENCY" in err


# --- the service stops at startup -------------------------------------------------------------


def _clean_env_dict(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in factories.PROGEN_ENV}
    env.update(extra)
    return env


def _start_app(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), "-c", IMPORT_APP],
        cwd=tmp_path,
        env=_clean_env_dict(**variables),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


STARTUP_CASES = [
    ("HEARTBEAT_STALE_SECONDS", {"HEARTBEAT_STALE_SECONDS": "30"}),
    ("HEARTBEAT_INTERVAL_SECONDS", {"HEARTBEAT_INTERVAL_SECONDS": "-1"}),
    ("JOB_CONCURRENCY", {"JOB_CONCURRENCY": "0"}),
    ("JOB_MAX_ATTEMPTS", {"JOB_MAX_ATTEMPTS": "-3"}),
    ("MONITOR_INTERVAL_SECONDS", {"MONITOR_INTERVAL_SECONDS": "0"}),
    ("OPENAI_API_KEY", {"GENERATOR": "openai"}),
    ("GENERATOR", {"GENERATOR": "bogus"}),
    ("PORT", {"PORT": "70000"}),
    ("DATABASE_URL", {"DATABASE_URL": "not a url"}),
    ("DATABASE_URL", {"DATABASE_URL": "nosuchdriver://x/y"}),
    ("API_TOKEN", {"API_TOKEN": "short-token-15c"}),  # 15 characters: one short of the floor
    ("API_TOKEN", {"API_TOKEN": "non-ascii-tökén-long-enough"}),
    ("HOST", {"HOST": "0.0.0.0"}),  # public, no API_TOKEN
    ("HOST", {"HOST": "192.0.2.10"}),
    ("HOST", {"HOST": "progen.example.com"}),
    ("OPENAI_BASE_URL", {"OPENAI_BASE_URL": "https://user:pw@proxy.example/v1"}),
]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("variable", "env"),
    STARTUP_CASES,
    ids=[f"{v}-{next(iter(e.values()))}" for v, e in STARTUP_CASES],
)
def test_impossible_configuration_stops_the_start_with_one_line(tmp_path, variable, env):
    done = _start_app(tmp_path, **env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.integration
def test_unreachable_database_names_database_url_without_the_password(tmp_path):
    done = _start_app(tmp_path, DATABASE_URL="postgresql+psycopg://user:hunter2pass@127.0.0.1:1/x")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "DATABASE_URL" in lines[0]
    assert "hunter2pass" not in done.stderr + done.stdout


@pytest.mark.integration
def test_valid_configuration_imports_the_app(tmp_path):
    done = _start_app(
        tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ok.db'}", GENERATOR="template"
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.integration
@pytest.mark.parametrize(
    "env",
    [
        {"HOST": "0.0.0.0", "API_TOKEN": "sixteen-chars-ok"},
        {"HOST": "0.0.0.0", "ALLOW_ANONYMOUS": "true"},
        {"HOST": "::1"},
        {"HOST": "localhost"},
    ],
    ids=["public-with-token", "public-anonymous-allowed", "ipv6-loopback", "localhost"],
)
def test_exposure_that_is_safe_or_chosen_starts(tmp_path, env):
    done = _start_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'ok.db'}", **env)
    assert done.returncode == 0, done.stderr


def test_secrets_stay_out_of_repr_and_dump():
    settings = factories.app_settings(
        "postgresql+psycopg://progen:hunter2pass@db.example/progen",
        api_token="api-token-SECRET-0123",
        metrics_token="metrics-SECRET-0123",
        openai_api_key="sk-SECRET-key",
    )
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in ("hunter2pass", "api-token-SECRET", "metrics-SECRET", "sk-SECRET"):
        assert secret not in shown
    assert (
        settings.model_dump()["database_url"] == "postgresql+psycopg://progen:***@db.example/progen"
    )
    assert settings.database_url.endswith("hunter2pass@db.example/progen")  # still usable


def test_the_edge_defaults_equal_the_contract():
    settings = Settings()
    assert (
        settings.max_pending_jobs,
        settings.submit_rate_per_minute,
        settings.forwarded_allow_ips,
        settings.served_hosts,
        settings.allow_anonymous,
        settings.metrics_token,
        settings.docs_enabled,
    ) == (1000, 60, "127.0.0.1", {"localhost", "127.0.0.1", "[::1]"}, False, None, True)

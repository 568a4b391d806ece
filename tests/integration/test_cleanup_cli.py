"""`cleanup_stuck_jobs.py` as users run it: a real subprocess on a prepared database."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import factories
from db.database import Sessions
from jobs import instances, queries, store
from jobs.recovery import RESTART_MESSAGE

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "cleanup_stuck_jobs.py"
STALE_OWNER = "peer:1:x"


# `db_url` and `sessions` come from tests/conftest.py: every case runs on SQLite and PostgreSQL.


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in factories.PROGEN_ENV}
    env.update(
        DATABASE_URL=db_url,
        HEARTBEAT_INTERVAL_SECONDS="30",
        HEARTBEAT_STALE_SECONDS="90",
        JOB_MAX_ATTEMPTS="3",
        GENERATOR="template",
        JOB_RETRY_BACKOFF_SECONDS="10",
    )
    env.update(extra)
    return env


def _cleanup(
    db_url: str,
    *args: str,
    python: str | None = None,
    script: Path = SCRIPT,
    timeout: float = 60,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run the script (`python`: another interpreter, e.g. the system's) and wait."""
    return subprocess.run(
        [python or sys.executable or "python3", str(script), *args],
        env=_env(db_url, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _snapshot(sessions: Sessions) -> list[tuple[Any, ...]]:
    with sessions.engine.connect() as connection:
        jobs = [
            tuple(r)
            for r in connection.execute(
                sa.text("SELECT * FROM program_generation_jobs ORDER BY id")
            )
        ]
        events = [tuple(r) for r in connection.execute(sa.text("SELECT * FROM job_events"))]
    return jobs + events


def _reasons(sessions: Sessions, job_id: str) -> list[str]:
    with sessions.read() as session:
        return [event.reason for event in queries.events(session, job_id)]


def _stale(sessions: Sessions, **kwargs: Any) -> str:
    return factories.running(sessions, owner=STALE_OWNER, heartbeat_age=300, **kwargs).job_id


def _fresh(sessions: Sessions) -> str:
    return factories.running(sessions, owner="peer:2:alive", heartbeat_age=0).job_id


def test_empty_database_has_no_stuck_jobs(db_url, tmp_path):
    done = _cleanup(db_url)
    assert done.returncode == 0, done.stderr
    assert "No stuck jobs found!" in done.stdout


def test_clean_database_has_no_stuck_jobs_and_is_left_alone(db_url, sessions):
    fresh = _fresh(sessions)
    factories.create(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "No stuck jobs found!"
    assert _snapshot(sessions) == before
    assert factories.load(sessions, fresh).status == "in_progress"


def test_dry_run_lists_the_stale_job_only_and_exits_3(db_url, sessions):
    stale, fresh = _stale(sessions), _fresh(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--dry-run")
    assert done.returncode == 3, done.stderr
    assert stale in done.stdout
    assert fresh not in done.stdout
    assert _snapshot(sessions) == before


def test_dry_run_json_exits_3_with_the_stale_job(db_url, sessions):
    stale, fresh = _stale(sessions), _fresh(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--dry-run", "--json")
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    listed = json.dumps(report)
    assert stale in listed and fresh not in listed
    assert [job["id"] for job in report["jobs"]] == [stale]
    assert _snapshot(sessions) == before


def test_json_on_a_clean_database_is_valid_json_and_exit_0(db_url, sessions):
    _fresh(sessions)
    done = _cleanup(db_url, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["jobs"] == []


def test_default_run_hands_back_the_stale_job_and_leaves_the_fresh_one(db_url, sessions):
    stale, fresh = _stale(sessions), _fresh(sessions)
    done = _cleanup(db_url)
    assert done.returncode == 0, done.stderr
    assert stale in done.stdout
    job = factories.load(sessions, stale)
    assert job.status == "pending"
    assert job.owner is None and job.heartbeat_at is None and job.next_attempt_at is not None
    assert job.error
    assert _reasons(sessions, stale)[-1] == "manual_cleanup"
    assert factories.load(sessions, fresh).status == "in_progress"
    assert _reasons(sessions, fresh)[-1] == "claimed"


def test_default_run_fails_a_stale_job_out_of_attempts(db_url, sessions):
    stale = _stale(sessions, max_attempts=1)
    done = _cleanup(db_url)
    assert done.returncode == 0, done.stderr
    job = factories.load(sessions, stale)
    assert job.status == "failed"
    assert job.error and job.finished_at is not None
    assert _reasons(sessions, stale)[-1] == "manual_cleanup"


def test_second_run_finds_nothing(db_url, sessions):
    _stale(sessions)
    assert _cleanup(db_url).returncode == 0
    again = _cleanup(db_url)
    assert again.returncode == 0
    assert "No stuck jobs found!" in again.stdout


def test_older_than_overrides_the_stale_threshold(db_url, sessions):
    ten = factories.running(sessions, owner=STALE_OWNER, heartbeat_age=10).job_id
    assert _cleanup(db_url, "--dry-run").returncode == 0  # 10 s is fresh for 90 s
    done = _cleanup(db_url, "--older-than", "5")
    assert done.returncode == 0, done.stderr
    assert ten in done.stdout
    assert factories.load(sessions, ten).status == "pending"


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_older_than_must_be_positive_seconds(db_url, sessions, value):
    stale = _stale(sessions)
    done = _cleanup(db_url, "--older-than", value)
    assert done.returncode not in (0, 3)
    assert factories.load(sessions, stale).status == "in_progress"


def test_all_without_yes_and_no_tty_changes_nothing_and_exits_1(db_url, sessions):
    _stale(sessions)
    _fresh(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--all")
    assert done.returncode == 1
    assert "--yes" in done.stderr
    assert _snapshot(sessions) == before


def test_all_yes_hands_back_even_a_fresh_job_with_the_restart_message(db_url, sessions):
    stale, fresh = _stale(sessions), _fresh(sessions)
    done = _cleanup(db_url, "--all", "--yes")
    assert done.returncode == 0, done.stderr
    for job_id in (stale, fresh):
        job = factories.load(sessions, job_id)
        assert job.status == "pending"
        assert job.error == RESTART_MESSAGE
        assert _reasons(sessions, job_id)[-1] == "manual_cleanup"


def test_all_dry_run_lists_every_in_progress_job_and_exits_3(db_url, sessions):
    stale, fresh = _stale(sessions), _fresh(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--all", "--dry-run")
    assert done.returncode == 3
    assert stale in done.stdout and fresh in done.stdout
    assert _snapshot(sessions) == before


def test_job_of_a_stopped_instance_is_caught_with_a_fresh_heartbeat(db_url, sessions):
    dead = instances.Me(id="elsewhere:7:dead", hostname="elsewhere", pid=7)
    factories.register(sessions, dead)
    with sessions.write() as session:
        instances.mark_stopped(session, instance_id=dead.id)
    orphan = factories.running(sessions, owner=dead.id, heartbeat_age=0).job_id
    fresh = _fresh(sessions)
    done = _cleanup(db_url)
    assert done.returncode == 0, done.stderr
    assert orphan in done.stdout and fresh not in done.stdout
    job = factories.load(sessions, orphan)
    assert job.status == "pending"
    assert job.error == RESTART_MESSAGE
    assert _reasons(sessions, orphan)[-1] == "manual_cleanup"
    assert factories.load(sessions, fresh).status == "in_progress"


def test_all_leaves_pending_and_completed_jobs_alone(db_url, sessions):
    lease = factories.running(sessions, owner=STALE_OWNER, heartbeat_age=300)
    with sessions.write() as session:
        store.complete(session, lease=lease, result={"done": True}, usage=None)
    pending = factories.create(sessions).id
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--all", "--yes")
    assert done.returncode == 0, done.stderr
    assert "No stuck jobs found!" in done.stdout
    assert _snapshot(sessions) == before
    assert factories.load(sessions, pending).status == "pending"


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "nosuchdriver://x/y",
        "postgresql+psycopg://user:hunter2pass@127.0.0.1:1/x",
    ],
)
def test_bad_database_url_exits_1_with_one_clear_line(db_url, url):
    done = _cleanup(db_url, DATABASE_URL=url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "hunter2pass" not in done.stderr + done.stdout


def test_bad_configuration_exits_1_naming_the_variable(db_url):
    done = _cleanup(db_url, HEARTBEAT_STALE_SECONDS="10")
    assert done.returncode == 1
    assert "HEARTBEAT_STALE_SECONDS" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_help_works_with_the_system_python(db_url):
    done = _cleanup(db_url, "--help", python="/usr/bin/python3")
    assert done.returncode == 0, done.stderr
    for option in ("--dry-run", "--older-than", "--all", "--yes", "--json"):
        assert option in done.stdout


def test_runs_with_the_system_python(db_url, sessions):
    stale = _stale(sessions)
    done = _cleanup(db_url, "--dry-run", python="/usr/bin/python3")
    assert done.returncode == 3, done.stderr
    assert stale in done.stdout


def _live_instance_job(sessions: Sessions) -> tuple[str, str]:
    """A job whose owner's instance row is alive: not stopped, heartbeat fresh."""
    who = instances.Me("peerhost:4242:live", "peerhost", 4242)
    factories.register(sessions, who)
    return factories.running(sessions, owner=who.id, heartbeat_age=0).job_id, who.id


def test_all_refuses_to_take_jobs_from_a_live_instance_and_names_it(db_url, sessions):
    _job_id, owner = _live_instance_job(sessions)
    before = _snapshot(sessions)
    done = _cleanup(db_url, "--all", "--yes")
    assert done.returncode == 1
    assert owner in done.stderr and "live instance" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert _snapshot(sessions) == before


def test_all_force_takes_them_anyway(db_url, sessions):
    job_id, _owner = _live_instance_job(sessions)
    done = _cleanup(db_url, "--all", "--yes", "--force")
    assert done.returncode == 0, done.stderr
    assert factories.load(sessions, job_id).status == "pending"
    assert _reasons(sessions, job_id)[-1] == "manual_cleanup"


def test_all_dry_run_names_the_live_owner(db_url, sessions):
    job_id, owner = _live_instance_job(sessions)
    done = _cleanup(db_url, "--all", "--dry-run")
    assert done.returncode == 3
    assert job_id in done.stdout and owner in done.stderr


def _project_copy(tmp_path: Path) -> Path:
    """The files the script needs, in a folder of their own (no .venv yet)."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "scripts").mkdir()
    for name in ("cleanup_stuck_jobs.py", "requirements.txt", "scripts/venv.sh"):
        shutil.copy2(ROOT / name, project / name)
    return project


def test_a_missing_venv_that_cannot_be_made_is_one_sentence_not_a_traceback(db_url, tmp_path):
    project = _project_copy(tmp_path)
    (project / ".venv").write_text("not a folder")  # `python3 -m venv .venv` must fail
    done = _cleanup(db_url, python="/usr/bin/python3", script=project / "cleanup_stuck_jobs.py")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "ModuleNotFoundError" not in done.stderr
    assert "the project's .venv is missing and could not be created" in done.stderr
    assert "./start_fastapi.sh" in done.stderr


def test_a_missing_venv_is_created_as_start_fastapi_does(db_url, tmp_path):
    project = _project_copy(tmp_path)
    script = project / "cleanup_stuck_jobs.py"
    # a pip install of requirements.txt from the local index
    done = _cleanup(db_url, python="/usr/bin/python3", script=script, timeout=170)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "creating the project's .venv" in done.stderr
    assert done.stdout.strip() == "No stuck jobs found!"
    assert (project / ".venv" / "bin" / "python").exists()


def test_the_all_prompt_in_a_terminal_says_the_owner_is_alive(db_url, sessions):
    job_id, owner = _live_instance_job(sessions)
    main, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--all", "--force"],
        env=_env(db_url),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + 30
        while b"[y/N]" not in shown and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1)
            if ready:
                shown += os.read(main, 4096)
        os.write(main, b"n\n")
        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    prompt = shown.decode(errors="replace")
    assert "ALIVE" in prompt and owner in prompt and "[y/N]" in prompt, prompt
    assert factories.load(sessions, job_id).status == "in_progress"

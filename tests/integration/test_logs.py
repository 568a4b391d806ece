"""A real server's log, as a person and as a log shipper read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live import Server, wait_for

pytestmark = pytest.mark.integration


def _run_one_job(server: Server) -> str:
    server.start()
    job_id = server.submit(weeks=2)
    wait_for(lambda: server.job(job_id)["status"] == "completed", timeout=30, what="completed")
    server.close()
    return job_id


def test_text_log_names_the_start_and_one_line_per_transition(tmp_path: Path):
    server = Server(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "server.log")
    job_id = _run_one_job(server)
    log = server.log.read_text()
    first = log.split("Application startup complete")[0]
    for fact in ("starting: instance ", f"database sqlite:///{tmp_path}/p.db", "generator template",
                 "heartbeat every 1 s (stale after 3 s), monitor every 1 s"):  # fmt: skip
        assert fact in first, first
    mine = [line for line in log.splitlines() if f"job {job_id}" in line]
    assert [line.split(": ", 1)[1] for line in mine][:1] == [f"job {job_id} created (pending)"]
    assert "attempt 1/3: pending -> in_progress (claimed by " in mine[1]
    assert mine[2].endswith(f"job {job_id} attempt 1/3: in_progress -> completed (completed)")
    assert len(mine) == 3
    assert "None -> pending" not in log and "Traceback" not in log


def test_json_log_is_one_object_per_line_with_the_same_fields(tmp_path: Path):
    server = Server(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "server.log", LOG_FORMAT="json")
    job_id = _run_one_job(server)
    lines = [  # the server's own lines (the harness marks each start in the same file)
        line
        for line in server.log.read_text().splitlines()
        if line.strip() and not line.startswith("=== harness:")
    ]
    records = [json.loads(line) for line in lines if not line.startswith("progen: installing")]
    assert len(records) >= len(lines) - 1  # every line is JSON, uvicorn's included
    assert any(r["logger"].startswith("uvicorn") for r in records)
    mine = [r for r in records if r.get("job_id") == job_id]
    assert [(r["from_status"], r["to_status"], r["reason"]) for r in mine] == [
        (None, "pending", "created"),
        ("pending", "in_progress", "claimed"),
        ("in_progress", "completed", "completed"),
    ]
    assert all(r["final"] is False and r["attempt"] in (0, 1) for r in mine)
    assert mine[2]["message"] == f"job {job_id} attempt 1/3: in_progress -> completed (completed)"

"""Real processes, real signals: no job stays stuck and no lost worker writes again."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from live import Server, assert_proved, record, wait_for
from scripts.chaos.proof import backwards

from jobs.recovery import RESTART_MESSAGE

pytestmark = pytest.mark.integration
STEP_DELAY = "0.5"  # seconds per generation step: 9 steps for 8 weeks


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


@pytest.fixture
def make_server(tmp_path: Path, servers: list[Server], db_url: str):
    def make(**env: str) -> Server:
        settings = {"GENERATION_STEP_DELAY_SECONDS": STEP_DELAY, **env}
        server = Server(db_url, tmp_path / f"server-{len(servers)}.log", **settings)
        servers.append(server)
        return server

    return make


def _wait_step(server: Server, job_id: str, step: int) -> dict:
    def reached() -> dict | None:
        job = server.job(job_id)
        return job if job["progress"] and job["progress"]["step"] >= step else None

    return wait_for(reached, timeout=20, what=f"step {step}")


def _across_restart(check: Callable[[], Any]) -> Callable[[], Any]:
    """`check`, answering None when the request fell between two workers of one server.

    A worker that stops closes its keep-alive connections; a request already sent on
    one gets no answer, and is asked again on the next poll (as the frontend does).
    """

    def tolerant() -> Any:
        try:
            return check()
        except httpx.TransportError:
            return None

    return tolerant


def _follow(
    server: Server, job_id: str, timeout: float, restarting: bool = False
) -> tuple[dict, list[int]]:
    """Poll until terminal, recording every progress.step seen."""
    seen: list[int] = []

    def terminal() -> dict | None:
        job = server.job(job_id)
        seen.append(job["progress"]["step"])
        return job if job["status"] in {"completed", "failed", "cancelled"} else None

    check = _across_restart(terminal) if restarting else terminal
    return wait_for(check, timeout=timeout, interval=0.1, what="terminal"), seen


def test_kill9_then_restart_hands_back_at_once_and_resumes(make_server):
    first = make_server()
    first.start()
    job_id = first.submit()
    saved = _wait_step(first, job_id, 3)["progress"]["step"]
    first.kill()

    second = make_server()
    second.start()
    healthy_at = time.monotonic()
    handed_back = wait_for(
        lambda: second.job(job_id)["attempts"] == 2, timeout=5, what="second attempt"
    )
    reclaim_seconds = time.monotonic() - healthy_at
    job, seen = _follow(second, job_id, timeout=30)

    assert handed_back and reclaim_seconds <= 1.0
    assert job["status"] == "completed" and job["progress"]["step"] == 9
    assert min(seen) >= saved and not backwards(seen)  # resumed, never went backwards
    assert job["recoveries"] == 1 and f"after step {saved}" in job["recovery_note"]
    reasons = [event["reason"] for event in second.events(job_id)]
    assert reasons == ["created", "claimed", "owner_dead", "claimed", "completed"]
    assert_proved(second.env["DATABASE_URL"], [job_id])
    record("kill9_restart", reclaim_after_healthy_seconds=reclaim_seconds, saved_step=saved)


def test_kill9_with_one_attempt_fails_with_the_restart_message(make_server):
    first = make_server(JOB_MAX_ATTEMPTS="1")
    first.start()
    job_id = first.submit()
    _wait_step(first, job_id, 2)
    first.kill()
    second = make_server(JOB_MAX_ATTEMPTS="1")
    second.start()
    job = wait_for(
        lambda: (j := second.job(job_id))["status"] == "failed" and j, timeout=3, what="failed"
    )
    assert job["error"] == RESTART_MESSAGE
    assert job["attempts"] == 1 and job["finished_at"] is not None


def test_sigterm_hands_back_without_counting_the_attempt(make_server):
    first = make_server(SHUTDOWN_GRACE_SECONDS="2")
    first.start()
    job_id = first.submit(weeks=12)
    _wait_step(first, job_id, 2)
    exit_seconds = first.stop()
    # uvicorn re-raises the signal once its graceful shutdown is done
    assert first.proc is not None and first.proc.returncode in {0, -signal.SIGTERM}
    assert "Application shutdown complete" in first.tail()

    second = make_server(SHUTDOWN_GRACE_SECONDS="2")
    second.start()
    after_stop = second.job(job_id)
    assert after_stop["attempts"] in {0, 1}  # 0 until the new server claims it again
    job, seen = _follow(second, job_id, timeout=30)
    assert exit_seconds <= 2 + 1.5, f"exit took {exit_seconds:.1f} s for a 2 s grace"
    assert job["status"] == "completed" and job["attempts"] == 1
    assert not backwards(seen)
    reasons = [event["reason"] for event in second.events(job_id)]
    assert reasons == ["created", "claimed", "shutdown", "claimed", "completed"]
    assert_proved(second.env["DATABASE_URL"], [job_id])
    record("sigterm", exit_seconds=exit_seconds, grace_seconds=2)


def _owner(servers: list[Server], job_id: str) -> tuple[Server, Server]:
    """(the server running the job, the other one)."""
    owner = wait_for(lambda: servers[0].job(job_id)["owner"], timeout=5, what="a claim")
    ids = [server.client.get("/api/health").json()["instance_id"] for server in servers]
    running = servers[ids.index(owner)]
    return running, next(server for server in servers if server is not running)


def test_a_frozen_peer_loses_its_job_and_never_writes_to_it_again(make_server):
    peers = [make_server(), make_server()]
    for peer in peers:
        peer.start()
    job_id = peers[0].submit()
    frozen, other = _owner(peers, job_id)
    _wait_step(other, job_id, 2)
    frozen.signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    wait_for(lambda: other.job(job_id)["attempts"] == 2, timeout=10, what="reclaim by the peer")
    detect_seconds = time.monotonic() - stopped_at
    job, seen = _follow(other, job_id, timeout=30)
    assert job["status"] == "completed"

    frozen.signal(signal.SIGCONT)
    time.sleep(3)  # three heartbeat intervals for the woken process to try writing
    after = other.job(job_id)
    assert detect_seconds <= 3 + 1 + 1  # HEARTBEAT_STALE + MONITOR_INTERVAL + 1
    assert_proved(other.env["DATABASE_URL"], [job_id])  # completed once, by the new lease only
    assert after["result"] == job["result"] and after["updated_at"] == job["updated_at"]
    assert not backwards(seen)
    assert frozen.healthy()  # it recovered by itself and serves again
    record("sigstop_peer", detect_seconds=detect_seconds, stale_seconds=3, monitor_seconds=1)


def test_two_workers_share_one_database_and_finish_each_job_once(make_server):
    server = make_server(GENERATION_STEP_DELAY_SECONDS="0.1", JOB_CONCURRENCY="2")
    server.extra_args = ("--workers", "2")
    server.start()
    ids = [server.submit(weeks=2) for _ in range(12)]
    for job_id in ids:
        job, _ = _follow(server, job_id, timeout=30)
        assert job["status"] == "completed"
    assert_proved(server.env["DATABASE_URL"], ids)
    engine = sa.create_engine(server.env["DATABASE_URL"])
    with engine.connect() as conn:
        claimers = conn.execute(
            sa.text("SELECT DISTINCT instance_id FROM job_events WHERE reason = 'claimed'")
        ).scalars()
        live = conn.execute(
            sa.text("SELECT COUNT(*) FROM instances WHERE stopped_at IS NULL")
        ).scalar_one()
        claimers = set(claimers)
    engine.dispose()
    assert live == 2 and len(claimers) == 2  # two instances, and both took work


def test_reload_hands_back_the_job_and_the_new_worker_resumes_it(make_server, tmp_path):
    watched = tmp_path / "watched"
    watched.mkdir()
    server = make_server(SHUTDOWN_GRACE_SECONDS="1")
    server.extra_args = ("--reload", "--reload-dir", str(watched))
    server.start()
    job_id = server.submit(weeks=12)
    _wait_step(server, job_id, 2)
    (watched / "touched.py").write_text("# a code change\n")
    wait_for(
        _across_restart(lambda: "shutdown" in [e["reason"] for e in server.events(job_id)]),
        timeout=20,
        what="the reload's hand-back",
    )
    job, seen = _follow(server, job_id, timeout=40, restarting=True)
    assert job["status"] == "completed" and job["attempts"] == 1  # the reload used no attempt
    assert not backwards(seen)
    reasons = [event["reason"] for event in server.events(job_id)]
    assert reasons == ["created", "claimed", "shutdown", "claimed", "completed"]
    assert_proved(server.env["DATABASE_URL"], [job_id])

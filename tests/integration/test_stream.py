"""GET /api/programs/jobs/{id}/stream against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live import Server, wait_for

from api.app import HEAVY_READS
from harness.sse import Message, messages

pytestmark = pytest.mark.integration
TERMINAL = {"completed", "failed", "cancelled"}
TOKEN = "stream-test-token-0123456789"
STEP_DELAY = "0.4"  # 9 steps for REQUEST's 8 weeks: each change is seen on its own
PEER_STEP_DELAY = "2"
READ_TIMEOUT = 20.0  # no event or comment for this long fails the test


@pytest.fixture
def server(tmp_path: Path, db_url: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    env = {"GENERATION_STEP_DELAY_SECONDS": STEP_DELAY, **getattr(request, "param", {})}
    started = Server(db_url, tmp_path / "server.log", **env)
    started.start()
    yield started
    started.close()


def _stream(server: Server, job_id: str, **headers: str) -> Iterator[Message]:
    """Every message of the job's stream, until the server ends it."""
    timeout = httpx.Timeout(10, read=READ_TIMEOUT)
    with server.client.stream(
        "GET", f"/api/programs/jobs/{job_id}/stream", headers=headers, timeout=timeout
    ) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["x-accel-buffering"] == "no"
        assert answer.headers["cache-control"] == "no-cache"
        yield from messages(answer.iter_lines())


def _news(job: dict) -> tuple:
    return (job["status"], job["progress"], job["attempts"], job["error"], job["cancel_requested"])


def test_a_stream_follows_a_job_to_its_end(server: Server) -> None:
    job_id = server.submit()
    jobs = [m.job() for m in _stream(server, job_id) if m.event is not None]

    assert jobs[0]["status"] in {"pending", "in_progress"}  # the job as it is, at once
    assert all(j["status"] not in TERMINAL for j in jobs[:-1])
    assert jobs[-1]["status"] == "completed"  # and the stream ended after it
    steps = [j["progress"]["step"] for j in jobs]
    assert steps == sorted(steps)
    assert set(range(1, jobs[-1]["progress"]["total"] + 1)) <= set(steps)  # an event per step
    assert all(_news(a) != _news(b) for a, b in itertools.pairwise(jobs))
    # The last event is the job exactly as the GET answers it, program and all.
    answer = server.client.get(f"/api/programs/jobs/{job_id}")
    last = [m for m in _stream(server, job_id) if m.event is not None]
    assert len(last) == 1
    assert last[0].data == answer.text


def test_open_streams_leave_the_heavy_reads_to_polls(server: Server) -> None:
    done = server.submit(weeks=1)
    wait_for(lambda: server.job(done)["status"] == "completed", timeout=20, what="completed")
    running = [server.submit(weeks=16) for _ in range(HEAVY_READS + 1)]
    opened: list[str] = []
    stop = threading.Event()

    def hold(job_id: str) -> None:
        for message in _stream(server, job_id):
            if message.event == "job" and job_id not in opened:
                opened.append(job_id)
            if stop.is_set():
                break

    holders = [threading.Thread(target=hold, args=(job_id,)) for job_id in running]
    for holder in holders:
        holder.start()
    try:
        wait_for(lambda: len(opened) == len(running), timeout=10, what="every stream open")
        answer = server.client.get(f"/api/programs/jobs/{done}", timeout=5)
        assert answer.status_code == 200  # no stream holds a heavy-read slot while it waits
        assert answer.json()["result"]["weeks"]
    finally:
        stop.set()
        for holder in holders:
            holder.join(timeout=READ_TIMEOUT)


def test_a_stream_follows_a_job_another_instance_runs(
    server: Server, tmp_path: Path, db_url: str
) -> None:
    # Steps longer than SQLite's once-a-second look for other processes' changes: the
    # stream sees each one (a faster job's changes would be coalesced, by design).
    peer = Server(db_url, tmp_path / "peer.log", GENERATION_STEP_DELAY_SECONDS=PEER_STEP_DELAY)
    try:
        peer.start()
        peer_id = peer.health()[1]["instance_id"]
        job_id = peer.submit(weeks=2)  # a submit claims in its own batch: the peer runs it
        jobs = [m.job() for m in _stream(server, job_id) if m.event is not None]
    finally:
        peer.close()
    assert {j["owner"] for j in jobs if j["status"] == "in_progress"} == {peer_id}
    assert jobs[-1]["status"] == "completed"
    steps = [j["progress"]["step"] for j in jobs]
    assert set(range(1, jobs[-1]["progress"]["total"] + 1)) <= set(steps)


@pytest.mark.parametrize(
    "server",
    [
        {
            "API_TOKEN": TOKEN,
            "STREAM_KEEPALIVE_SECONDS": "0.3",
            "GENERATION_STEP_DELAY_SECONDS": "30",
        }
    ],
    indirect=True,
)
def test_an_idle_stream_gets_comments_and_the_routes_rules(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job_id = server.client.post(
        "/api/programs/generate", json={"goal": "strength", "experience": "beginner",
        "days_per_week": 2, "weeks": 2}, headers=auth
    ).json()["id"]  # fmt: skip
    url = f"/api/programs/jobs/{job_id}/stream"

    assert server.client.get(url).status_code == 401
    assert (
        server.client.get(url, headers={"Authorization": "Bearer wrong-token-0123456"}).status_code
        == 401
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    for missing in (unknown, "not-a-job"):
        answer = server.client.get(f"/api/programs/jobs/{missing}/stream", headers=auth)
        assert answer.status_code == 404
        assert answer.json()["detail"]

    seen: list[Message] = []
    for message in _stream(server, job_id, **auth):
        seen.append(message)
        if sum(m.comment is not None for m in seen) == 3:
            break
    assert seen[0].event == "job"  # the job first, then only comments while nothing changes
    assert [m.comment is not None for m in seen[1:]] == [True] * 3


def test_a_graceful_shutdown_ends_open_streams(server: Server) -> None:
    job_id = server.submit(weeks=16)
    ends: list[str] = []
    open_streams: list[str] = []

    def follow() -> None:
        try:
            for message in _stream(server, job_id):
                if not open_streams.count(threading.current_thread().name):
                    open_streams.append(threading.current_thread().name)
                del message
            ends.append("complete")
        except httpx.HTTPError as error:  # e.g. a body cut short: not a clean end
            ends.append(repr(error))

    readers = [threading.Thread(target=follow) for _ in range(3)]
    for reader in readers:
        reader.start()
    wait_for(lambda: len(open_streams) == 3, timeout=10, what="three open streams")
    server.stop()  # raises if the server is still up after STOP_TIMEOUT: a stream held it
    for reader in readers:
        reader.join(timeout=READ_TIMEOUT)
    assert ends == ["complete"] * 3

"""Three instances on one PostgreSQL database: shared work, a dead peer, a restart.

Each job is done exactly once, a killed instance's job is taken over by a peer
within HEARTBEAT_STALE_SECONDS + MONITOR_INTERVAL_SECONDS + 1 s, and
restarting one instance never touches the jobs the other two are running.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from live import Server, assert_proved, record, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]
STALE, MONITOR = 3, 1  # live.FAST


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.close()


@pytest.fixture
def trio(tmp_path: Path, servers: list[Server], db_url: str):
    """Start three instances with these settings; return them."""

    def make(**env: str) -> list[Server]:
        for n in range(3):
            server = Server(db_url, tmp_path / f"server-{n}.log", **env)
            servers.append(server)
            server.start()  # one after the other: each migrates and sweeps at startup
        return list(servers)

    return make


@pytest.fixture
def db(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def _id(server: Server) -> str:
    return str(server.client.get("/api/health").json()["instance_id"])


def _events(engine: sa.Engine, job_ids: list[str] | None = None) -> dict[str, list[tuple]]:
    query = "SELECT job_id, reason, attempt, instance_id FROM job_events"
    params = {}
    if job_ids is not None:
        query += " WHERE job_id = ANY(:ids)"
        params = {"ids": job_ids}
    with engine.connect() as conn:
        rows = conn.execute(sa.text(query + " ORDER BY id"), params).all()
    events: dict[str, list[tuple]] = {}
    for job_id, reason, attempt, instance in rows:
        events.setdefault(job_id, []).append((reason, attempt, instance))
    return events


def _statuses(engine: sa.Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, COUNT(*) FROM program_generation_jobs GROUP BY status")
        ).all()
    return Counter(dict(rows))


def test_three_instances_share_200_jobs_and_finish_each_exactly_once(trio, db, db_url):
    peers = trio(GENERATION_STEP_DELAY_SECONDS="0.01", JOB_CONCURRENCY="4")
    ids = [_id(peer) for peer in peers]
    started = time.monotonic()
    job_ids = [peers[n % 3].submit(weeks=1 + n % 2, days_per_week=3) for n in range(200)]
    wait_for(
        lambda: _statuses(db)["completed"] == 200,
        timeout=120,
        interval=0.25,
        what="200 jobs completed",
    )
    seconds = time.monotonic() - started

    assert _statuses(db) == Counter({"completed": 200})
    events = _events(db)
    assert set(events) == set(job_ids)
    assert_proved(db_url, job_ids)  # each done once, by the instance that claimed it
    for job_id in job_ids:
        reasons = [reason for reason, _, _ in events[job_id]]
        assert reasons == ["created", "claimed", "completed"], (job_id, reasons)
    claims = Counter(
        instance for job in events.values() for reason, _, instance in job if reason == "claimed"
    )
    assert set(claims) <= set(ids)
    assert all(claims[instance] > 0 for instance in ids), claims
    record(
        "multi_instance_200_jobs",
        seconds=seconds,
        **{f"claims_instance_{n}": claims[instance] for n, instance in enumerate(ids)},
    )


def test_a_killed_instance_job_is_reclaimed_by_a_peer_in_time(trio, db, db_url):
    peers = trio(GENERATION_STEP_DELAY_SECONDS="0.5")
    ids = [_id(peer) for peer in peers]
    job_id = peers[0].submit(weeks=8)
    owner = wait_for(lambda: peers[0].job(job_id)["owner"], timeout=5, what="a claim")
    victim = peers[ids.index(owner)]
    others = [peer for peer in peers if peer is not victim]
    saved = wait_for(
        lambda: (j := others[0].job(job_id))["progress"]["step"] >= 2 and j,
        timeout=20,
        what="step 2",
    )["progress"]["step"]
    victim.kill()
    killed_at = time.monotonic()

    def taken_over() -> dict | None:
        job = others[0].job(job_id)
        return (
            job if job["attempts"] == 2 and job["owner"] in ids and job["owner"] != owner else None
        )

    taken = wait_for(taken_over, timeout=15, interval=0.05, what="a peer's claim")
    reclaim_seconds = time.monotonic() - killed_at
    done = wait_for(
        lambda: (j := others[0].job(job_id))["status"] == "completed" and j,
        timeout=30,
        what="completed",
    )

    assert reclaim_seconds <= STALE + MONITOR + 1, f"{reclaim_seconds:.2f} s"
    assert taken["owner"] in {_id(peer) for peer in others}
    assert taken["progress"]["step"] >= saved  # resumed after the saved steps
    reasons = [reason for reason, _, _ in _events(db, [job_id])[job_id]]
    assert reasons == ["created", "claimed", "owner_dead", "claimed", "completed"]
    assert done["recoveries"] == 1 and done["attempts"] == 2
    assert_proved(db_url, [job_id])
    record(
        "multi_instance_kill_reclaim",
        reclaim_seconds=reclaim_seconds,
        bound_seconds=STALE + MONITOR + 1,
        saved_step=saved,
    )


def _running_by(db: sa.Engine) -> dict[str, tuple[str, int]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, owner, attempts FROM program_generation_jobs "
                "WHERE status = 'in_progress'"
            )
        ).all()
    return {job_id: (owner, attempts) for job_id, owner, attempts in rows}


def _untouched(db: sa.Engine, before: dict[str, tuple[str, int]]) -> None:
    """Each job still has its owner and attempt (or was finished by that lease)."""
    now = _running_by(db)
    events = _events(db, list(before))
    for job_id, lease in before.items():
        if job_id in now:
            assert now[job_id] == lease, (job_id, lease, now[job_id])
        reasons = [reason for reason, _, _ in events[job_id]]
        assert "owner_dead" not in reasons and "shutdown" not in reasons, (job_id, reasons)
        for reason, attempt, instance in events[job_id][1:]:
            assert (attempt, instance) == (lease[1], lease[0]), (job_id, reason)


def test_restarting_one_instance_never_touches_the_other_two(trio, db, db_url):
    peers = trio(
        GENERATION_STEP_DELAY_SECONDS="0.5", JOB_CONCURRENCY="2", SHUTDOWN_GRACE_SECONDS="1"
    )
    ids = [_id(peer) for peer in peers]
    job_ids = [peers[n % 3].submit(weeks=16) for n in range(6)]  # 17 steps: 8.5 s each

    def everyone_busy() -> dict | None:
        running = _running_by(db)
        owners = {owner for owner, _ in running.values()}
        return running if owners >= set(ids) else None

    wait_for(everyone_busy, timeout=10, what="each instance running a job")
    restarted = peers[0]
    others = {job_id: lease for job_id, lease in _running_by(db).items() if lease[0] != ids[0]}
    assert {owner for owner, _ in others.values()} == set(ids[1:])

    restarted.stop()  # graceful: hands its own jobs back
    restarted.start()
    _untouched(db, others)
    restarted.kill()  # and a crash: the new life's startup sweep takes only its own orphans
    restarted.start()
    time.sleep(STALE + MONITOR)  # a monitor round past the stale threshold, on every instance
    _untouched(db, others)

    wait_for(
        lambda: _statuses(db)["completed"] == len(job_ids),
        timeout=60,
        interval=0.25,
        what="every job completed",
    )
    _untouched(db, others)
    assert_proved(db_url, job_ids)
    for job_id, (owner, attempt) in others.items():
        finished = _events(db, [job_id])[job_id][-1]
        assert finished == ("completed", attempt, owner)

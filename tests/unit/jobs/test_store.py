"""The store: every transition, its fencing, and its event rows."""

from __future__ import annotations

import multiprocessing
import re
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from db.database import Sessions, make_engine
from jobs import clock, instances, journal, policy, queries, recovery, store
from jobs.errors import InvalidTransition, JobNotFound, LeaseLost
from jobs.status import Reason

CONFIG = factories.engine_config(stale_seconds=90, backoff_base=10)


def _events(sessions, job_id):
    with sessions.read() as session:
        return [(e.from_status, e.to_status, e.reason) for e in queries.events(session, job_id)]


def test_create_writes_pending_job_and_creation_event(sessions):
    job = factories.create(sessions)
    assert (job.status, job.attempts, job.max_attempts) == ("pending", 0, 3)
    assert _events(sessions, job.id) == [(None, "pending", "created")]


def test_claim_takes_oldest_due_jobs_up_to_limit(sessions):
    first, second, third = (factories.create(sessions) for _ in range(3))
    with sessions.write() as session:
        claimed = store.claim(session, owner="me", limit=2)
    assert [job.id for job in claimed] == [first.id, second.id]
    assert all((j.status, j.owner, j.attempts) == ("in_progress", "me", 1) for j in claimed)
    assert factories.load(sessions, third.id).status == "pending"
    assert _events(sessions, first.id)[-1] == ("pending", "in_progress", "claimed")


def test_claim_skips_jobs_waiting_for_their_retry_time(sessions):
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        store.fail_attempt(
            session,
            lease=lease,
            error="rate limited",
            backoff_base=60,
            reason=Reason.RETRYABLE_ERROR,
            retryable=True,
        )
        assert store.claim(session, owner="me", limit=5) == []
    clock.attach(sessions).shift(
        timedelta(seconds=80)
    )  # past the backoff (60 s at most +20 % jitter)
    with sessions.write() as session:
        assert [j.id for j in store.claim(session, owner="me", limit=5)] == [lease.job_id]


def _drain(url: str, owner: str) -> list[str]:
    sessions = journal.attach(Sessions(make_engine(url)))
    got: list[str] = []
    for _ in range(500):  # bounded: 200 jobs in batches of 3 end long before
        with sessions.write() as session:
            jobs = store.claim(session, owner=owner, limit=3)
        if not jobs:
            return got
        got += [job.id for job in jobs]
    return got


def test_concurrent_processes_claim_each_job_exactly_once(sessions, db_url):
    ids = {factories.create(sessions).id for _ in range(200)}
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_drain, [(db_url, f"w{i}") for i in range(4)])
    claimed = [job_id for got in results for job_id in got]
    assert sorted(claimed) == sorted(ids)


def test_heartbeat_renews_held_leases_and_omits_lost_ones(sessions):
    kept = factories.running(sessions, owner="me", heartbeat_age=50)
    lost = factories.running(sessions, owner="me", heartbeat_age=200)
    with sessions.write() as session:
        recovery.reclaim_stale(session, config=CONFIG, instance_id="monitor")
        answer = store.heartbeat(session, owner="me", leases=[kept, lost])
    assert answer == {kept.job_id: False}
    assert (
        clock.attach(sessions).now() - factories.load(sessions, kept.job_id).heartbeat_at
    ).total_seconds() < 5


def test_heartbeat_is_fenced_on_the_attempt(sessions):
    lease = factories.running(sessions, owner="me")
    old = store.Lease(lease.job_id, "me", lease.attempt - 1)
    with sessions.write() as session:
        assert store.heartbeat(session, owner="me", leases=[old]) == {}


def test_checkpoint_saves_steps_and_refuses_a_lost_lease(sessions):
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        store.checkpoint(
            session,
            lease=lease,
            steps=[{"a": 1}],
            total=5,
            message="plan written",
            usage={"total_tokens": 3},
        )
    job = factories.load(sessions, lease.job_id)
    assert (job.steps, job.progress_message, job.usage) == (
        [{"a": 1}],
        "plan written",
        {"total_tokens": 3},
    )
    stranger = store.Lease(lease.job_id, "someone-else", lease.attempt)
    with pytest.raises(LeaseLost), sessions.write() as session:
        store.checkpoint(session, lease=stranger, steps=[], total=5, message="x", usage=None)
    assert factories.load(sessions, lease.job_id).steps == [{"a": 1}]


def test_late_worker_cannot_complete_a_reclaimed_job(sessions):
    lease = factories.running(sessions, owner="frozen", heartbeat_age=500)
    with sessions.write() as session:
        [reclaimed] = recovery.reclaim_stale(session, config=CONFIG, instance_id="monitor")
    assert reclaimed.status == "pending"
    with pytest.raises(LeaseLost), sessions.write() as session:
        store.complete(session, lease=lease, result={"late": True}, usage=None)
    job = factories.load(sessions, lease.job_id)
    assert (job.status, job.result) == ("pending", None)


def test_retryable_failure_goes_back_to_pending_with_backoff(sessions):
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        job = store.fail_attempt(
            session,
            lease=lease,
            error="429",
            backoff_base=10,
            reason=Reason.RETRYABLE_ERROR,
            retryable=True,
        )
    wait = (job.next_attempt_at - clock.attach(sessions).now()).total_seconds()
    assert job.status == "pending" and job.error == "429" and 7 < wait <= 12
    assert job.owner is None and job.finished_at is None


def test_failure_on_the_last_attempt_or_permanent_fails_the_job(sessions):
    last = factories.running(sessions, owner="me", max_attempts=1)
    permanent = factories.running(sessions, owner="me", max_attempts=3)
    with sessions.write() as session:
        a = store.fail_attempt(
            session,
            lease=last,
            error="boom",
            backoff_base=1,
            reason=Reason.RETRYABLE_ERROR,
            retryable=True,
        )
        b = store.fail_attempt(
            session,
            lease=permanent,
            error="bad key",
            backoff_base=1,
            reason=Reason.PERMANENT_ERROR,
            retryable=False,
        )
    assert (a.status, a.next_attempt_at, a.finished_at is not None) == ("failed", None, True)
    assert (b.status, b.error) == ("failed", "bad key")
    assert _events(sessions, b.id)[-1] == ("in_progress", "failed", "permanent_error")


def test_backoff_doubles_per_attempt_with_bounded_jitter():
    for attempt in (1, 2, 3, 4):
        nominal = 10 * 2 ** (attempt - 1)
        delays = [policy.backoff_seconds(10, attempt) for _ in range(50)]
        assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_hand_back_returns_job_to_pending_without_counting_the_attempt(sessions):
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        [job] = store.hand_back(session, owner="me", leases=[lease])
    assert (job.status, job.attempts, job.owner) == ("pending", 0, None)
    assert _events(sessions, job.id)[-1] == ("in_progress", "pending", "shutdown")


def test_cancel_pending_at_once_running_by_flag_terminal_refused(sessions):
    lease = factories.running(sessions, owner="me")
    pending = factories.create(sessions)
    with sessions.write() as session:
        assert store.request_cancel(session, job_id=pending.id).status == "cancelled"
        flagged = store.request_cancel(session, job_id=lease.job_id)
    assert (flagged.status, flagged.cancel_requested) == ("in_progress", True)
    with sessions.write() as session:
        assert store.heartbeat(session, owner="me", leases=[lease]) == {lease.job_id: True}
        assert store.acknowledge_cancel(session, lease=lease).status == "cancelled"
    with pytest.raises(InvalidTransition), sessions.write() as session:
        store.request_cancel(session, job_id=pending.id)
    with pytest.raises(JobNotFound), sessions.write() as session:
        store.request_cancel(session, job_id="nope")


def test_retry_gives_a_failed_job_more_attempts_and_keeps_its_steps(sessions):
    lease = factories.running(sessions, owner="me", max_attempts=1)
    with sessions.write() as session:
        store.checkpoint(
            session, lease=lease, steps=[{"plan": 1}], total=5, message="m", usage=None
        )
        store.fail_attempt(
            session,
            lease=lease,
            error="x",
            backoff_base=0,
            reason=Reason.RETRYABLE_ERROR,
            retryable=True,
        )
        job = store.retry(session, job_id=lease.job_id, extra_attempts=3)
    assert (job.status, job.attempts, job.max_attempts, job.steps) == (
        "pending",
        1,
        4,
        [{"plan": 1}],
    )
    assert _events(sessions, job.id)[-1] == ("failed", "pending", "manual_retry")
    with pytest.raises(InvalidTransition), sessions.write() as session:
        store.retry(session, job_id=job.id, extra_attempts=3)


def test_reclaim_stale_hands_back_lost_jobs_and_leaves_fresh_ones(sessions):
    lost = factories.running(sessions, owner="peer", heartbeat_age=120)
    fresh = factories.running(sessions, owner="peer", heartbeat_age=10)
    with sessions.write() as session:
        [job] = recovery.reclaim_stale(session, config=CONFIG, instance_id="me")
    assert job.id == lost.job_id and job.status == "pending" and job.recoveries == 1
    assert job.error == recovery.stale_message(90)
    assert job.recovery_note == "worker stopped responding during step 1 of 5; starts over"
    assert job.next_attempt_at is not None
    assert factories.load(sessions, fresh.job_id).status == "in_progress"
    assert _events(sessions, job.id)[-1] == ("in_progress", "pending", "owner_dead")


def test_reclaim_fails_a_job_out_of_attempts(sessions):
    lease = factories.running(sessions, owner="peer", heartbeat_age=120, max_attempts=1)
    with sessions.write() as session:
        [job] = recovery.reclaim_stale(session, config=CONFIG, instance_id="me")
    assert (job.status, job.finished_at is not None) == ("failed", True)
    assert job.id == lease.job_id


def test_monitor_race_a_job_completed_after_the_choice_stays_completed(sessions):
    lease = factories.running(sessions, owner="slow", heartbeat_age=120)
    with sessions.read() as session:
        chosen = recovery.find_stuck(
            session, where=recovery.stale(90, now=clock.attach(sessions).now())
        )
    assert [job.id for job in chosen] == [lease.job_id]
    with sessions.write() as session:  # the worker finishes between choice and write
        store.complete(session, lease=lease, result={"done": 1}, usage=None)
    with sessions.write() as session:
        again = recovery.reclaim_stale(
            session,
            config=CONFIG,
            instance_id="me",
            where=recovery.Job.id.in_([j.id for j in chosen]),
        )
    assert again == []
    job = factories.load(sessions, lease.job_id)
    assert (job.status, job.result) == ("completed", {"done": 1})
    assert [e[2] for e in _events(sessions, job.id)] == ["created", "claimed", "completed"]


def test_prune_deletes_old_terminal_jobs_and_their_events(sessions, engine):
    old = factories.create(sessions)
    with sessions.write() as session:
        store.request_cancel(session, job_id=old.id)
    young = factories.create(sessions)
    with sessions.write() as session:
        pruned = store.prune(
            session, older_than=clock.attach(sessions).now() + timedelta(seconds=1)
        )
    assert pruned == 1
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT DISTINCT job_id FROM job_events")).scalars().all()
    assert left == [young.id]


def test_many_completes_share_one_statement_and_still_fence_each_lease(sessions, engine):
    held = [factories.running(sessions, owner="me") for _ in range(3)]
    other = factories.running(sessions, owner="me")
    stranger = store.Lease(other.job_id, other.owner, other.attempt + 1)  # a stale attempt
    updates: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_a: updates.append(sql) if sql.startswith("UPDATE") else None,
    )
    calls = [store.Completion(lease, {"n": 1}, None) for lease in [*held, stranger]]
    with sessions.write() as session:
        outcomes = store.complete_many(session, calls)
    assert [o.status for o in outcomes[:3]] == ["completed"] * 3
    assert isinstance(outcomes[3], LeaseLost)
    assert len(updates) == 1  # one executemany for the three jobs
    assert factories.load(sessions, other.job_id).status == "in_progress"
    assert [factories.load(sessions, lease.job_id).result for lease in held] == [{"n": 1}] * 3
    assert _events(sessions, held[0].job_id)[-1] == ("in_progress", "completed", "completed")
    assert _events(sessions, other.job_id)[-1] == ("pending", "in_progress", "claimed")


def test_new_job_ids_are_time_ordered_uuids():
    ids = [policy.new_job_id() for _ in range(3)]
    assert all(uuid.UUID(job_id).version == 7 for job_id in ids)
    assert len(set(ids)) == 3
    earlier = policy.new_job_id()
    time.sleep(0.002)  # a later millisecond: the id sorts after
    assert policy.new_job_id() > earlier


def _plans(engine: sa.Engine, run) -> str:
    """SQLite's query plans of the reads and writes `run` sends, in one string."""
    return " | ".join(factories.sqlite_plans(engine, run))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_claims_heartbeats_sweeps_and_pruning_read_their_partial_indexes(sessions, engine):
    factories.running(sessions, owner="peer:1:x")
    factories.create(sessions)

    def claim() -> None:
        with sessions.write() as session:
            store.claim(session, owner="me", limit=1)

    def stale() -> None:
        with sessions.write() as session:
            recovery.reclaim_stale(session, config=CONFIG, instance_id="me")

    def owners() -> None:
        with sessions.read() as session:
            instances.dead_owners(session, who=instances.me())

    def prune() -> None:
        with sessions.write() as session:
            store.prune(session, older_than=clock.attach(sessions).now())

    assert "USING INDEX ix_jobs_pending" in _plans(engine, claim)
    assert re.search(r"\bix_jobs_running\b", _plans(engine, stale))
    assert "ix_jobs_running_owner" in _plans(engine, owners)
    assert "ix_jobs_finished" in _plans(engine, prune)


def test_completing_drops_the_step_outputs_in_the_fenced_write(sessions):
    lease = factories.running(sessions, total=2)
    with sessions.write() as session:
        store.checkpoint(
            session, lease=lease, steps=[{"week": 1}], total=2, message="1", usage=None
        )
    with sessions.write() as session:
        store.complete(session, lease=lease, result={"done": 1}, usage=None, steps=[{"w": 1}] * 2)
    job = factories.load(sessions, lease.job_id)
    assert (job.status, job.steps, job.steps_done, job.result) == ("completed", [], 2, {"done": 1})
    stale = factories.running(sessions, total=2)
    with sessions.write() as session:
        store.checkpoint(
            session, lease=stale, steps=[{"week": 1}], total=2, message="1", usage=None
        )
        store.hand_back(session, owner=stale.owner, leases=[stale])
    with (
        pytest.raises(LeaseLost),
        sessions.write() as session,
    ):  # fenced: a lost lease drops nothing
        store.complete(session, lease=stale, result={"done": 1}, usage=None)
    assert factories.load(sessions, stale.job_id).steps == [{"week": 1}]


def test_every_transition_returns_the_whole_row_as_stored(sessions):
    """One read-only shape: each transition's JobRow equals the row the database holds."""
    assert store.JobRow._fields == tuple(column.name for column in store.ROW)

    def stored(job_id):
        with sessions.read() as session:
            row = session.connection().execute(sa.select(*store.ROW).where(store.ROW[0] == job_id))
            return store.JobRow._make(row.one())

    created = factories.create(sessions)
    assert created == stored(created.id)
    with sessions.write() as session:
        (claimed,) = store.claim(session, owner="me", limit=1)
    assert claimed == stored(created.id)
    lease = store.lease_of(claimed)
    with sessions.write() as session:
        store.checkpoint(session, lease=lease, steps=[{"w": 1}], total=5, message="1", usage=None)
        completed = store.complete(session, lease=lease, result={"ok": 1}, usage={"input": 2})
    assert isinstance(completed, store.JobRow)
    assert completed == stored(created.id)
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        flagged = store.request_cancel(session, job_id=lease.job_id)
        assert flagged.cancel_requested
        acknowledged = store.acknowledge_cancel(session, lease=lease)
    assert acknowledged == stored(lease.job_id)
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        failed = store.fail_attempt(
            session, lease=lease, error="x", reason=Reason.RETRYABLE_ERROR, retryable=True,
            backoff_base=10,
        )  # fmt: skip
    assert failed == stored(lease.job_id)
    lease = factories.running(sessions, owner="gone")
    with sessions.write() as session:
        why = store.Reclaim(Reason.OWNER_DEAD, "lost", "owner gone", backoff_base=10)
        (reclaimed,) = store.reclaim(session, where=store.ROW[0] == lease.job_id, why=why)
    assert isinstance(reclaimed, store.JobRow)
    assert reclaimed == stored(lease.job_id)
    lease = factories.running(sessions, owner="me")
    with sessions.write() as session:
        (handed,) = store.hand_back(session, owner="me", leases=[lease])
    assert handed == stored(lease.job_id)
    pending = factories.create(sessions)
    with sessions.write() as session:
        cancelled = store.request_cancel(session, job_id=pending.id)
    assert cancelled == stored(pending.id)
    with sessions.write() as session:
        retried = store.retry(session, job_id=pending.id, extra_attempts=1)
    assert retried == stored(pending.id)

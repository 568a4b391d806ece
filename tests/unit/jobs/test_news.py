"""News between processes: the payloads, the hub's commit hooks, the PostgreSQL listener,
the watchers' coalescing, SQLite's shared poll, and two engines on one database.

Two engines with their own connection pools stand for two processes: on PostgreSQL
their news travels through a real LISTEN connection, on SQLite through the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import factories
from db.database import Sessions, make_engine
from jobs import journal, news, queries, runner, store
from jobs.engine import Engine
from jobs.instances import Me
from jobs.listener import PgListener
from jobs.news import News
from jobs.runner import Runner
from jobs.steps import JSON, StepResult
from jobs.watch import Watchers

pytestmark = pytest.mark.anyio


class Gated:
    """Steps that each wait for the test to open their gate; records what started."""

    def __init__(self, total: int = 3) -> None:
        self.total = total
        self.started: list[int] = []
        self.gates = [asyncio.Event() for _ in range(total)]

    def total_steps(self, payload: JSON) -> int:
        return self.total

    async def run_step(self, payload: JSON, index: int, done: list[JSON]) -> StepResult:
        self.started.append(index)
        await self.gates[index].wait()
        return StepResult({"index": index}, f"step {index + 1} done")

    def result(self, payload: JSON, done: list[JSON]) -> JSON:
        return {"steps": len(done)}


@pytest.fixture
def peer_sessions(db_url: str, engine: sa.Engine) -> Iterator[Sessions]:
    """A second connection pool on the same database: another process's."""
    other = make_engine(db_url)
    yield journal.attach(Sessions(other))
    other.dispose()


@pytest.fixture
async def engines(sessions: Sessions, peer_sessions: Sessions) -> AsyncIterator[list[Engine]]:
    """Two started engines on one database (one job at a time each), stopped afterwards."""
    started: list[Engine] = []

    async def start(handler: Any, pool: Sessions) -> Engine:
        config = factories.engine_config(concurrency=1, heartbeat_seconds=30, stale_seconds=90)
        # Another host each: in one process, the same pid would make each call the other dead.
        n = len(started)
        who = Me(f"host-{n}:1:{uuid.uuid4().hex[:8]}", f"host-{n}", 1)
        engine = Engine(sessions=pool, config=config, handler=handler, who=who)
        await engine.start()
        started.append(engine)
        if engine.listener is not None:
            await asyncio.wait_for(engine.listener.listening.wait(), 10)
        return engine

    yield [await start(Gated(), sessions), await start(Gated(), peer_sessions)]
    for engine in started:
        for gate in engine.runner._handler.gates:  # type: ignore[attr-defined]
            gate.set()
        await engine.stop(grace_seconds=0)


async def _submit(engine: Engine) -> str:
    job = await engine.submit(store.create, payload={}, max_attempts=3, total_steps=3)
    return str(job.id)


# --- the payload and the hub -------------------------------------------------------------------


def test_a_payload_reads_back_and_text_that_is_not_ours_is_ignored() -> None:
    sent = News(news.CANCEL, "0190-ab", 2, "host:12:abc")
    assert News.parse(sent.payload()) == sent
    for foreign in ("", "hello", "cancel x y z", "delete 1 2 me", "due a 1 b extra"):
        assert News.parse(foreign) is None


def test_a_transition_is_due_news_only_when_its_job_is_pending_and_due() -> None:
    now = datetime.now(UTC)
    cases = [
        ("pending", None, news.DUE),
        ("pending", now, news.DUE),
        ("pending", now + timedelta(seconds=10), news.CHANGED),  # a backoff: the poll finds it
        ("in_progress", None, news.CHANGED),
        ("completed", None, news.CHANGED),
    ]
    for status, next_at, kind in cases:
        with _Info() as session:
            event = {"job_id": "j", "to_status": status, "attempt": 1, "at": now}
            news.announce_transition(session, event, next_at)  # type: ignore[arg-type]
            assert session.info["progen_news"] == [News(kind, "j", 1)], status


class _Info:
    """Just a session's `info`: what `announce` writes to."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}

    def __enter__(self) -> _Info:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


async def test_news_is_delivered_after_its_commit_and_never_after_a_rollback(sessions) -> None:
    heard: list[tuple[list[News], bool]] = []
    hub = news.Hub(sessions, sender="me", take=lambda items, *, local: heard.append((items, local)))
    hub.start()
    lease = factories.running(sessions, owner="me")
    await factories.until(lambda: len(heard) == 2)
    heard.clear()  # the create's and the claim's news
    with pytest.raises(RuntimeError), sessions.write() as session:
        store.request_cancel(session, job_id=lease.job_id)
        raise RuntimeError("roll back")
    await asyncio.sleep(0.1)
    assert heard == []
    with sessions.write() as session:
        store.request_cancel(session, job_id=lease.job_id)
    await factories.until(lambda: heard)
    assert heard == [([News(news.CANCEL, lease.job_id, lease.attempt, "me")], True)]


# --- PostgreSQL: the listener -----------------------------------------------------------------


def _pg_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")


async def test_a_peer_hears_a_cancel_when_it_commits_and_not_before(
    db_url: str, sessions: Sessions, engine: sa.Engine
) -> None:
    _pg_only(db_url)
    heard: list[str] = []
    caught_up: list[int] = []
    listener = PgListener(engine.url, heard=heard.extend, caught_up=lambda: caught_up.append(1))
    hub = news.Hub(sessions, sender="writer", take=lambda items, *, local: None)
    listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        lease = factories.running(sessions, owner="writer")
        await factories.until(lambda: heard)  # the claim's news
        heard.clear()

        def cancel_then_commit_later() -> None:
            with sessions.write() as session:
                store.request_cancel(session, job_id=lease.job_id)
                time.sleep(0.3)  # the transaction is open: nothing may be heard yet
                assert heard == []

        await asyncio.to_thread(cancel_then_commit_later)
        await factories.until(lambda: heard)
        assert [News.parse(p) for p in heard] == [
            News(news.CANCEL, lease.job_id, lease.attempt, hub.sender)
        ]
        assert caught_up == [1]
    finally:
        await listener.stop()


async def test_the_listener_reconnects_after_its_connection_is_killed_and_catches_up(
    db_url: str, engine: sa.Engine, sessions: Sessions
) -> None:
    _pg_only(db_url)
    heard: list[str] = []
    caught_up: list[int] = []
    listener = PgListener(engine.url, heard=heard.extend, caught_up=lambda: caught_up.append(1))
    listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        with engine.begin() as conn:  # only our own database's listening backend
            killed = conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query = :q AND pid <> pg_backend_pid()"
                ),
                {"q": f"LISTEN {news.CHANNEL}"},
            ).all()
        assert len(killed) == 1
        await factories.until(
            lambda: len(caught_up) == 2
        )  # reconnected, and read back what it missed
        await asyncio.wait_for(listener.listening.wait(), 10)
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_notify(:c, 'due x 1 peer')"), {"c": news.CHANNEL})
        await factories.until(lambda: "due x 1 peer" in heard)
    finally:
        await listener.stop()


# --- the watchers -----------------------------------------------------------------------------


async def test_watchers_of_a_job_share_one_read_per_change_and_a_slow_one_gets_the_latest(
    sessions: Sessions, db_url: str
) -> None:
    watchers = Watchers(sessions, read_in_thread=db_url.startswith("postgresql"))
    job = factories.create(sessions)
    streams = [watchers.watch(job.id) for _ in range(3)]
    firsts = [await anext(stream) for stream in streams]
    assert {row.status for row in firsts} == {"pending"}

    with sessions.write() as session:
        store.claim(session, owner="peer", limit=1)
    watchers.changed([job.id])
    fast = [await anext(stream) for stream in streams[:2]]
    assert [row.status for row in fast] == ["in_progress", "in_progress"]
    assert watchers.reads == 1  # one read for the three watchers

    with sessions.write() as session:
        store.request_cancel(session, job_id=job.id)
    watchers.changed([job.id])
    await factories.until(lambda: watchers.reads == 2)
    latest = await anext(streams[2])  # it missed the claim's row: it gets the newest only
    assert (latest.status, latest.cancel_requested) == ("in_progress", True)
    for stream in streams:
        await stream.aclose()
    assert watchers.seen() == {}  # nobody watches: nothing is kept


async def test_a_watch_ends_after_a_terminal_row_and_raises_key_error_for_no_job(
    sessions: Sessions,
) -> None:
    watchers = Watchers(sessions, read_in_thread=False)
    job = factories.create(sessions)
    with sessions.write() as session:
        store.request_cancel(session, job_id=job.id)  # pending: cancelled at once
    rows = [row async for row in watchers.watch(job.id)]
    assert [row.status for row in rows] == ["cancelled"]
    with pytest.raises(KeyError):
        await anext(watchers.watch("01900000-0000-7000-8000-000000000000"))


async def test_closing_the_watchers_ends_every_watch(sessions: Sessions) -> None:
    watchers = Watchers(sessions, read_in_thread=False)
    job = factories.create(sessions)
    stream = watchers.watch(job.id)
    await anext(stream)
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    watchers.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 5)


# --- two engines on one database ---------------------------------------------------------------


async def test_a_watcher_follows_a_job_a_peer_runs_to_the_end(engines: list[Engine]) -> None:
    runs, watches = engines
    job_id = await _submit(runs)
    seen: list[tuple[str, int, bool]] = []

    async def follow() -> None:
        async for row in watches.watch(job_id):
            seen.append((row.status, row.steps_done, row.cancel_requested))

    following = asyncio.ensure_future(follow())
    gates = runs.runner._handler.gates  # type: ignore[attr-defined]
    for index, gate in enumerate(gates):
        await factories.until(lambda index=index: runs.runner._handler.started[-1:] == [index])  # type: ignore[attr-defined]
        if index:
            await factories.until(lambda index=index: seen and seen[-1][1] == index)
        gate.set()
    await asyncio.wait_for(following, 10)
    assert seen[-1] == ("completed", 3, False)
    assert [s for s, _, _ in seen].count("completed") == 1
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


async def test_a_cancel_made_by_one_engine_stops_the_step_a_peer_runs(
    engines: list[Engine], db_url: str
) -> None:
    runs, other = engines
    job_id = await _submit(runs)
    handler = runs.runner._handler  # type: ignore[attr-defined]
    await factories.until(lambda: handler.started == [0])
    job = await asyncio.to_thread(other.cancel, job_id)  # not running there: news tells `runs`
    assert job.status == "in_progress" and job.cancel_requested
    await factories.until(lambda: factories.load(other.sessions, job_id).status == "cancelled")
    assert handler.started == [0]  # step 0 was dropped, not awaited; no step started after


async def test_a_busy_engine_s_submit_is_claimed_by_its_idle_peer_through_the_news(
    engines: list[Engine], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pg_only(db_url)
    busy, idle = engines
    monkeypatch.setattr(runner, "POLL_SECONDS", 60.0)  # the idle poll cannot be the path
    idle.runner._wake.set()  # its claim loop now waits 60 s between looks
    await _submit(busy)
    await factories.until(lambda: busy.runner.busy())
    second = await _submit(busy)  # busy has no free slot
    await factories.until(lambda: idle.runner.busy(), timeout=10)
    with busy.sessions.read() as session:
        [row] = queries.views(session.connection(), [second])
    assert row.owner == idle.who.id


# --- SQLite: the shared poll and the step boundary ---------------------------------------------


async def test_the_shared_poll_reads_nothing_while_nothing_runs_or_is_watched(
    sessions: Sessions, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the shared poll is SQLite's")
    engine = Engine(sessions=sessions, config=factories.engine_config(), handler=Gated())
    assert engine.poll is not None
    await engine.poll.look()
    assert engine.poll.looks == 0
    job = factories.create(sessions)
    stream = engine.watch(job.id)
    await anext(stream)
    await engine.poll.look()
    assert engine.poll.looks == 1
    await stream.aclose()
    await engine.poll.look()
    assert engine.poll.looks == 1


@contextlib.asynccontextmanager
async def _cancelled_during_step_1(sessions: Sessions, *, total: int) -> AsyncIterator[str]:
    """A job of `total` steps on a runner alone, cancelled while step 1 runs; then step
    1 finishes. Alone, the runner hears no news: only its own writes can see the cancel."""
    handler = Gated(total=total)
    config = factories.engine_config(heartbeat_seconds=30, stale_seconds=90)
    alone = Runner(sessions=sessions, instance_id="me", handler=handler, config=config)
    job = factories.create(sessions, total=total)
    await alone.start()
    try:
        await factories.until(lambda: handler.started == [0])
        with sessions.write() as session:
            store.request_cancel(session, job_id=job.id)
        handler.gates[0].set()
        yield job.id
        assert handler.started == [0]  # no step started after the cancel
    finally:
        for gate in handler.gates:
            gate.set()
        await alone.shutdown(0)


async def test_no_step_starts_after_a_cancel_a_checkpoint_finds(sessions: Sessions) -> None:
    async with _cancelled_during_step_1(sessions, total=3) as job_id:
        await factories.until(lambda: factories.load(sessions, job_id).status == "cancelled")
        assert factories.load(sessions, job_id).steps_done == 1  # the paid step is kept


async def test_a_job_cancelled_during_its_last_step_ends_cancelled_keeping_its_steps(
    sessions: Sessions,
) -> None:
    async with _cancelled_during_step_1(sessions, total=1) as job_id:
        ended = await factories.until(
            lambda: (j := factories.load(sessions, job_id)).finished_at and j
        )
        assert (ended.status, ended.result, ended.steps_done) == ("cancelled", None, 1)
        assert ended.steps == [{"index": 0}]  # a retry pays for none of it again

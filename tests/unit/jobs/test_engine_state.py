"""Each engine's clock and metrics are its own: two engines in one process share neither."""

from __future__ import annotations

from datetime import timedelta

import pytest

import factories
from db import migrate
from db.database import Sessions, make_engine
from jobs import clock, journal, metrics, store
from jobs.engine import Engine


def _engine(path) -> Engine:
    database = make_engine(f"sqlite:///{path}")
    migrate.upgrade(database)
    return Engine(sessions=Sessions(database), config=factories.engine_config())


def test_two_engines_keep_their_own_clock(tmp_path):
    first, second = _engine(tmp_path / "a.db"), _engine(tmp_path / "b.db")
    assert first.clock is not second.clock
    first.clock.shift(timedelta(hours=1))
    assert first.clock.now() - second.clock.now() > timedelta(minutes=59)
    second.clock.reset()
    assert first.clock.now() - second.clock.now() > timedelta(minutes=59)


def test_the_store_writes_with_the_clock_of_its_sessions(sessions):
    clock.attach(sessions).shift(timedelta(days=1))
    job = factories.create(sessions)
    other = journal.attach(Sessions(sessions.engine))  # a second factory on the same database
    later = clock.attach(other).now()
    assert job.created_at - later > timedelta(hours=23)


def test_attaching_twice_keeps_one_clock(sessions):
    assert (
        clock.attach(sessions)
        is clock.attach(sessions)
        is Engine(sessions=sessions, config=factories.engine_config()).clock
    )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_align_measures_the_offset_on_postgresql_only(sessions, tmp_path):
    with sessions.read() as session:
        offset = clock.attach(sessions).align(session)
    assert abs(offset) < timedelta(seconds=5)  # same host: the offset is tiny
    sqlite = _engine(tmp_path / "c.db")
    with sqlite.sessions.read() as session:
        assert sqlite.clock.align(session) == timedelta(0)


def test_two_engines_count_apart(tmp_path):
    first, second = _engine(tmp_path / "a.db"), _engine(tmp_path / "b.db")
    with first.sessions.write() as session:
        store.create(session, payload=factories.make_request(), max_attempts=1)
    assert first.metrics.submitted._value.get() == 1
    assert second.metrics.submitted._value.get() == 0
    assert b"progen_jobs_submitted_total 1.0" in metrics.render(first.metrics.registry)

"""Each engine's clock is its own: two engines in one process never share an offset."""

from __future__ import annotations

from datetime import timedelta

import pytest

import factories
from db.database import Sessions, make_engine
from jobs import clock, journal
from jobs.engine import Engine


def _engine(path) -> Engine:
    sessions = Sessions(make_engine(f"sqlite:///{path}"))
    return Engine(sessions=sessions, config=factories.engine_config())


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

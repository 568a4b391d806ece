"""Read-only queries: the poll's Core view of a job, and health's counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

import factories
from jobs import clock, queries, store
from jobs.errors import JobNotFound


def test_view_holds_every_shown_field_with_the_rows_values_and_no_step_outputs(engine, sessions):
    lease = factories.running(sessions)
    with engine.connect() as connection:
        row = queries.view(connection, lease.job_id)
    job = factories.load(sessions, lease.job_id)
    assert "steps" not in row._fields
    assert {name: getattr(job, name) for name in row._fields} == row._asdict()
    assert row.heartbeat_at.utcoffset() == timedelta(0)  # aware UTC, as the ORM gives


def test_view_of_an_unknown_job_raises_job_not_found(engine):
    with engine.connect() as connection, pytest.raises(JobNotFound):
        queries.view(connection, "00000000-0000-0000-0000-000000000000")


def test_counts_pending_running_and_stale_but_never_terminal_jobs(engine, sessions):
    factories.running(sessions, heartbeat_age=0)
    factories.running(sessions, heartbeat_age=120)
    factories.create(sessions)  # after the claims: `running` claims the oldest pending job
    cancelled = factories.create(sessions)
    with sessions.write() as session:
        store.request_cancel(session, job_id=cancelled.id)
    with engine.connect() as connection:
        counts = queries.counts(connection, now=clock.attach(sessions).now(), stale_seconds=90)
    assert counts == {"pending": 1, "in_progress": 2, "stale": 1}
    clock.attach(sessions).shift(timedelta(seconds=100))  # now the fresh heartbeat is old too
    with engine.connect() as connection:
        assert (
            queries.counts(connection, now=clock.attach(sessions).now(), stale_seconds=90)["stale"]
            == 2
        )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_poll_and_healths_counts_read_the_primary_key_and_partial_indexes(engine, sessions):
    lease = factories.running(sessions)
    factories.create(sessions)

    def polls() -> None:
        with engine.connect() as connection:
            queries.view(connection, lease.job_id)
            queries.counts(connection, now=clock.attach(sessions).now(), stale_seconds=90)
            queries.oldest_heartbeat(connection)

    plans = factories.sqlite_plans(engine, polls)
    reads = [plan for plan in plans if "program_generation_jobs" in plan]
    assert len(reads) == 6, plans  # the poll, four counts, the oldest heartbeat
    assert all("USING" in plan for plan in reads), plans  # never the whole table
    assert sum("ix_jobs_running" in plan for plan in reads) == 4, plans
    assert sum("ix_jobs_pending" in plan for plan in reads) == 1, plans

"""The journal's hooks live on the engine's session factories, never on SQLAlchemy's Session."""

from __future__ import annotations

import gc

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

import factories
from db.database import Sessions
from jobs import journal, report, store
from jobs.models import JOBS


def test_importing_the_store_changes_no_other_sessions():
    assert not event.contains(Session, "before_commit", journal.insert_queued)
    assert not event.contains(Session, "after_commit", report.committed)


def test_a_store_write_on_sessions_without_the_journal_raises_instead_of_losing_rows(engine):
    plain = Sessions(engine)
    with pytest.raises(RuntimeError, match=r"no (journal|clock)"), plain.write() as session:
        store.create(session, payload=factories.make_request(), max_attempts=1)
    with plain.read() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM program_generation_jobs")) == 0


def test_queued_rows_are_inserted_at_commit_in_one_statement_per_table(sessions):
    with sessions.write() as session:
        jobs = [
            store.create(session, payload=factories.make_request(), max_attempts=1)
            for _ in range(3)
        ]
        assert session.info["progen_queued"][JOBS] != []  # not inserted yet
    assert [factories.load(sessions, job.id).status for job in jobs] == ["pending"] * 3


def test_attaching_twice_registers_each_hook_once(sessions):
    journal.attach(sessions)
    with sessions.write() as session:
        job = store.create(session, payload=factories.make_request(), max_attempts=1)
    assert factories.load(sessions, job.id).status == "pending"  # a second insert would fail


def test_sessions_built_after_others_were_collected_still_write_their_jobs(engine):
    # Factories come and go (a test each, an engine restart); a new one may get the id()
    # of a collected one, which once made the hooks look registered when they were not.
    for _ in range(40):
        sessions = journal.attach(Sessions(engine))
        with sessions.write() as session:
            job = store.create(session, payload=factories.make_request(), max_attempts=1)
        assert factories.load(sessions, job.id).status == "pending"
        del sessions
        gc.collect()

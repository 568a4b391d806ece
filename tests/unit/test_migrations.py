"""The migrations: the revision startup compares with is Alembic's head."""

from __future__ import annotations

import sqlalchemy as sa

from db import migrate
from db.database import make_engine


def test_the_head_startup_checks_is_the_newest_migration():
    assert migrate.head() == {migrate.HEAD}


def test_a_new_database_is_migrated_once_and_then_left_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == migrate.HEAD
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    migrate.upgrade(engine)  # already at head: one read, no migration
    assert statements == ["SELECT version_num FROM alembic_version"]
    engine.dispose()


def test_scoping_idempotency_keys_keeps_every_job_and_event(tmp_path):
    """0004 rebuilds the jobs table on SQLite; with foreign keys on, dropping the old
    table would cascade to every event (SQLite only: PostgreSQL alters in place)."""
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = migrate._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO program_generation_jobs (id, status, request, attempts, "
                "max_attempts, cancel_requested, steps, recoveries, created_at, updated_at, "
                "idempotency_key) VALUES ('a', 'pending', '{}', 0, 3, 0, '[]', 0, "
                "'2026-01-01', '2026-01-01', 'k')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO job_events (job_id, at, to_status, attempt, reason, message) "
                "VALUES ('a', '2026-01-01', 'pending', 0, 'created', '')"
            )
        )
    migrate.upgrade(engine)
    with engine.begin() as connection:
        count = "SELECT COUNT(*) FROM job_events WHERE job_id = 'a'"
        assert connection.scalar(sa.text(count)) == 1
        for scope in ("address:192.0.2.1", "address:192.0.2.2"):  # one key, two callers
            connection.execute(
                sa.text(
                    "INSERT INTO program_generation_jobs (id, status, request, attempts, "
                    "max_attempts, cancel_requested, steps, recoveries, created_at, "
                    "updated_at, idempotency_key, idempotency_scope) VALUES (:id, 'pending', "
                    "'{}', 0, 3, 0, '[]', 0, '2026-01-01', '2026-01-01', 'k', :scope)"
                ),
                {"id": scope, "scope": scope},
            )
    engine.dispose()

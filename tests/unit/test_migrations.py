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

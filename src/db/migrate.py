"""Bring the schema to Alembic's head at startup, once even when processes start together."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from db.database import DATA_FILE_MODE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: the newest migration's revision (tests/unit/test_migrations.py checks it is Alembic's head):
#: a start on an up-to-date schema then reads one row and never imports Alembic (~0.3 s)
HEAD = "0004"
PG_LOCK_KEY = 7_341_020_001  # any constant: the advisory lock all instances agree on


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> set[str]:
    """Alembic's head revisions, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_config()).get_heads())


def _current(connection: sa.Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def _at_head(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        try:
            rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows} == {HEAD}
        except sa.exc.DBAPIError:  # no alembic_version table: a new database
            return False


def upgrade(engine: sa.Engine) -> None:
    """Upgrade to head; a no-op (one query) when the schema is already there."""
    if _at_head(engine):
        return
    from alembic import command

    config = _config()
    with _exclusive(engine), engine.begin() as connection:
        if _current(connection) == head():  # another process migrated while we waited
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _exclusive(engine: sa.Engine) -> Iterator[None]:
    """One migrator at a time: a file lock beside a SQLite file, an advisory lock on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_file = os.open(f"{database}.migrate.lock", os.O_CREAT | os.O_WRONLY, DATA_FILE_MODE)
    with os.fdopen(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield

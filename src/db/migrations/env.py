"""Alembic environment: the schema of `jobs.models`, on the configured database."""

from __future__ import annotations

from alembic import context

import jobs.models  # noqa: F401  (registers the tables on Base.metadata)
from db.base import Base
from db.database import make_engine
from settings import get_settings


def run_migrations() -> None:
    """Migrate on the connection the service passed in, or on DATABASE_URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as own:
        _run(own)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is limited
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

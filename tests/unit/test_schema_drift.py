"""The models and the migrations describe one schema: Alembic's autogenerate finds nothing
to change between `jobs.models` and a database migrated to head, on both databases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import jobs.models  # noqa: F401  (registers the tables on Base.metadata)
from db.base import Base


def _drift(engine: sa.Engine, metadata: sa.MetaData) -> list[Any]:
    """What autogenerate would write to bring the database to `metadata` (types and server
    defaults compared too)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_the_models_match_the_migrated_schema(engine: sa.Engine) -> None:
    assert _drift(engine, Base.metadata) == []


def test_a_model_the_migrations_do_not_match_is_found(engine: sa.Engine) -> None:
    altered = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(altered)
    jobs = altered.tables["program_generation_jobs"]
    jobs.append_column(sa.Column("priority", sa.Integer, nullable=True))
    jobs.indexes.remove(next(i for i in jobs.indexes if i.name == "ix_jobs_created"))
    altered.tables["job_events"].c.message.type = sa.Integer()

    # a column's changes come as a list of tuples, the others as one tuple each
    kinds = {(c if isinstance(c, tuple) else c[0])[0] for c in _drift(engine, altered)}
    assert kinds == {"add_column", "remove_index", "modify_type"}

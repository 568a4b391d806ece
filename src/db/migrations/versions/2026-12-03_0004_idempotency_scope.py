"""Idempotency keys are scoped to the caller: unique per (scope, key), not globally.

A key guessed by another client (with the same body) must not replay someone
else's job. Jobs keyed before this revision have no scope, so no new request
replays them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:40:00
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "program_generation_jobs"
OLD = "uq_program_generation_jobs_idempotency_key"
NEW = "uq_program_generation_jobs_idempotency_scope"


def _keeping_events(rebuild: Callable[[], None]) -> None:
    """SQLite drops a unique constraint by rebuilding the table, and with foreign keys on,
    dropping the old table deletes every job's events (ON DELETE CASCADE): keep a copy
    and put them back, in the same transaction."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE progen_events_kept AS SELECT * FROM job_events")
    rebuild()
    if sqlite:
        op.execute("INSERT INTO job_events SELECT * FROM progen_events_kept")
        op.execute("DROP TABLE progen_events_kept")


def _scope() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("idempotency_scope", sa.String(80), nullable=True))
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["idempotency_scope", "idempotency_key"])


def _unscope() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.drop_column("idempotency_scope")
        batch.create_unique_constraint(OLD, ["idempotency_key"])


def upgrade() -> None:
    _keeping_events(_scope)


def downgrade() -> None:
    _keeping_events(_unscope)

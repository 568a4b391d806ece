"""Partial indexes: each holds only the rows its queries read (see jobs.models.Job).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "program_generation_jobs"
OLD = {
    "ix_jobs_status_next_attempt": ["status", "next_attempt_at", "created_at"],
    "ix_jobs_status_created": ["status", "created_at", "id"],
    "ix_jobs_status_heartbeat": ["status", "heartbeat_at"],
    "ix_jobs_owner_status": ["owner", "status"],
    "ix_jobs_status_finished": ["status", "finished_at"],
}
NEW = {
    "ix_jobs_pending": (["created_at", "id"], "status = 'pending'"),
    "ix_jobs_running": (["heartbeat_at"], "status = 'in_progress'"),
    "ix_jobs_running_owner": (["owner"], "status = 'in_progress'"),
    "ix_jobs_finished": (["finished_at"], "finished_at IS NOT NULL"),
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name=TABLE)
    for name, (columns, condition) in NEW.items():
        where = sa.text(condition)
        op.create_index(name, TABLE, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name in NEW:
        op.drop_index(name, table_name=TABLE)
    for name, columns in OLD.items():
        op.create_index(name, TABLE, columns)

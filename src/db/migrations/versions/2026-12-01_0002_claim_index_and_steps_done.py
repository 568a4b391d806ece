"""Claim index in queue order, and a count of saved steps so polls skip the step outputs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program_generation_jobs") as batch_op:
        batch_op.add_column(
            sa.Column("steps_done", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_jobs_status_created", ["status", "created_at", "id"])
    length = (
        "jsonb_array_length"
        if op.get_bind().dialect.name == "postgresql"
        else ("json_array_length")
    )
    op.execute(f"UPDATE program_generation_jobs SET steps_done = {length}(steps)")


def downgrade() -> None:
    with op.batch_alter_table("program_generation_jobs") as batch_op:
        batch_op.drop_index("ix_jobs_status_created")
        batch_op.drop_column("steps_done")

"""job priority: due jobs are claimed most urgent first (pages before bulk work)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default (no table copy on SQLite); jobs already queued
    # are NORMAL (1). The claim's index leads with the priority.
    op.add_column(
        "jobs", sa.Column("priority", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.create_index("ix_jobs_due", "jobs", ["status", "priority", "run_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.create_index("ix_jobs_due", "jobs", ["status", "run_at"], unique=False)
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("priority")

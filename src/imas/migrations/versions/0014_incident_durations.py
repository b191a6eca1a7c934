"""incident durations: MTTD, MTTA and MTTR stored per incident, in the summary's index

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# column -> (start, end): the duration is end - start in seconds, NULL while either is NULL.
DURATIONS = {
    "seconds_to_detect": ("detected_at", "created_at"),
    "seconds_to_acknowledge": ("created_at", "acknowledged_at"),
    "seconds_to_resolve": ("created_at", "resolved_at"),
}
OLD_INDEX = ("organization_id", "status", "severity", "created_at")


def _seconds(dialect: str, start: str, end: str) -> str:
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def upgrade() -> None:
    # Plain ADD COLUMNs (batch mode without a table copy on SQLite: the FTS triggers of 0011
    # stay), then the backfill, then the wider index.
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for column in DURATIONS:
            batch_op.add_column(sa.Column(column, sa.Double(), nullable=True))
    dialect = op.get_bind().dialect.name
    assignments = ", ".join(
        f"{column} = {_seconds(dialect, start, end)}" for column, (start, end) in DURATIONS.items()
    )
    op.execute(f"UPDATE incidents SET {assignments}")  # noqa: S608 (constants only)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_org_status_severity")
        batch_op.create_index(
            "ix_incidents_org_status_severity_durations",
            [*OLD_INDEX, *DURATIONS],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_org_status_severity_durations")
        batch_op.create_index("ix_incidents_org_status_severity", list(OLD_INDEX), unique=False)
    # ALTER TABLE ... DROP COLUMN on both (SQLite >= 3.35): no table copy, the triggers stay.
    for column in reversed(DURATIONS):
        op.drop_column("incidents", column)

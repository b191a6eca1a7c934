"""incident list indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:42:29.025725
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.create_index("ix_incident_tags_tag", ["tag_id"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_org_service_created",
            ["organization_id", "service_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_incidents_org_status_severity",
            ["organization_id", "status", "severity", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_incidents_org_team_created",
            ["organization_id", "assigned_team_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_org_team_created")
        batch_op.drop_index("ix_incidents_org_status_severity")
        batch_op.drop_index("ix_incidents_org_service_created")

    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_tags_tag")

"""integrations: Slack and JIRA configurations, incident Slack messages and JIRA issues

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-25 12:30:28.131145
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jira_configs",
        sa.Column("server_url", sa.String(length=500), nullable=False),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("project_key", sa.String(length=50), nullable=False),
        sa.Column("issue_type", sa.String(length=100), nullable=False),
        sa.Column(
            "severities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_jira_configs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jira_configs")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_jira_configs_organization_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_jira_configs_token_hash")),
    )
    with op.batch_alter_table("jira_configs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_jira_configs_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "slack_configs",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("default_channel", sa.String(length=100), nullable=False),
        sa.Column(
            "war_room_severities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("api_base_url", sa.String(length=500), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_slack_configs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_configs")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_slack_configs_organization_id")),
        sa.UniqueConstraint("team_id", name=op.f("uq_slack_configs_team_id")),
    )
    with op.batch_alter_table("slack_configs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_configs_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "jira_issues",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("issue_key", sa.String(length=100), nullable=False),
        sa.Column("pushed_status", sa.String(length=100), nullable=True),
        sa.Column("jira_status", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_jira_issues_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_jira_issues_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jira_issues")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_jira_issues_incident_id")),
    )
    with op.batch_alter_table("jira_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jira_issues_issue_key"), ["issue_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_jira_issues_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "slack_messages",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("war_room_channel", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_slack_messages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_slack_messages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_messages")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_slack_messages_incident_id")),
    )
    with op.batch_alter_table("slack_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_messages_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_messages_organization_id"))

    op.drop_table("slack_messages")
    with op.batch_alter_table("jira_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jira_issues_organization_id"))
        batch_op.drop_index(batch_op.f("ix_jira_issues_issue_key"))

    op.drop_table("jira_issues")
    with op.batch_alter_table("slack_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_configs_organization_id"))

    op.drop_table("slack_configs")
    with op.batch_alter_table("jira_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jira_configs_organization_id"))

    op.drop_table("jira_configs")

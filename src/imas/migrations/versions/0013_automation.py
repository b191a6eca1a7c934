"""automation: runs, tasks, logs, executors, policies; incident remediation fields

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_executors",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("base_url", sa.String(length=2000), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_executors_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_automation_executors_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_executors")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_automation_executors_organization_id_name")
        ),
    )
    with op.batch_alter_table("automation_executors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_executors_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automation_executors_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "automation_policies",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column(
            "severities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("auto_remediate", sa.Boolean(), nullable=False),
        sa.Column("executor_id", sa.Uuid(), nullable=True),
        sa.Column("max_retries", sa.Integer(), nullable=True),
        sa.Column("require_approval", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["executor_id"],
            ["automation_executors.id"],
            name=op.f("fk_automation_policies_executor_id_automation_executors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_automation_policies_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_policies_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_automation_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_policies")),
    )
    with op.batch_alter_table("automation_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_policies_integration_id"), ["integration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automation_policies_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automation_policies_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "automation_runs",
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("executor_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("resolve_incident", sa.Boolean(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("callback_secret_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "callbacks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_automation_runs_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["executor_id"],
            ["automation_executors.id"],
            name=op.f("fk_automation_runs_executor_id_automation_executors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_automation_runs_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_automation_runs_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
    )
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automation_runs_incident", ["incident_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_automation_runs_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automation_runs_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_automation_runs_status"), ["status"], unique=False)

    op.create_table(
        "automation_run_tasks",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_run_tasks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["automation_runs.id"],
            name=op.f("fk_automation_run_tasks_run_id_automation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_run_tasks")),
        sa.UniqueConstraint("run_id", "step", name=op.f("uq_automation_run_tasks_run_id_step")),
    )
    with op.batch_alter_table("automation_run_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_run_tasks_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "automation_run_logs",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_automation_run_logs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["automation_runs.id"],
            name=op.f("fk_automation_run_logs_run_id_automation_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["automation_run_tasks.id"],
            name=op.f("fk_automation_run_logs_task_id_automation_run_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_run_logs")),
    )
    with op.batch_alter_table("automation_run_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_automation_run_logs_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_automation_run_logs_run_time", ["run_id", "timestamp"], unique=False
        )

    # Plain ALTER TABLE ADD COLUMN (no batch copy of the table on SQLite: a copy would drop
    # the full-text search triggers 0011 put on incidents).
    op.add_column("incidents", sa.Column("remediation_status", sa.String(length=30), nullable=True))
    op.add_column(
        "incidents",
        sa.Column("remediation_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index(
        op.f("ix_incidents_remediation_status"), "incidents", ["remediation_status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_remediation_status"), table_name="incidents")
    op.drop_column("incidents", "remediation_attempts")  # SQLite >= 3.35: no table copy
    op.drop_column("incidents", "remediation_status")

    with op.batch_alter_table("automation_run_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_automation_run_logs_run_time")
        batch_op.drop_index(batch_op.f("ix_automation_run_logs_organization_id"))

    op.drop_table("automation_run_logs")
    with op.batch_alter_table("automation_run_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_run_tasks_organization_id"))

    op.drop_table("automation_run_tasks")
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_runs_status"))
        batch_op.drop_index(batch_op.f("ix_automation_runs_organization_id"))
        batch_op.drop_index("ix_automation_runs_org_created")
        batch_op.drop_index("ix_automation_runs_incident")

    op.drop_table("automation_runs")
    with op.batch_alter_table("automation_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_policies_service_id"))
        batch_op.drop_index(batch_op.f("ix_automation_policies_organization_id"))
        batch_op.drop_index(batch_op.f("ix_automation_policies_integration_id"))

    op.drop_table("automation_policies")
    with op.batch_alter_table("automation_executors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automation_executors_service_id"))
        batch_op.drop_index(batch_op.f("ix_automation_executors_organization_id"))

    op.drop_table("automation_executors")

"""cicd: CI/CD repositories, runs, their stages and change events

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ci_repositories",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("default_branch", sa.String(length=255), nullable=False),
        sa.Column("alert_on_default_branch_failure", sa.Boolean(), nullable=False),
        sa.Column("alert_severity", sa.String(length=20), nullable=False),
        sa.Column(
            "deployment_workflows",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "deployment_environments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("change_window_minutes", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_ci_repositories_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ci_repositories_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_ci_repositories_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_repositories")),
        sa.UniqueConstraint(
            "organization_id",
            "provider",
            "full_name",
            name=op.f("uq_ci_repositories_organization_id_provider_full_name"),
        ),
    )
    with op.batch_alter_table("ci_repositories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ci_repositories_full_name"), ["full_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ci_repositories_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ci_repositories_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "ci_runs",
        sa.Column("repository_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("run_number", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("conclusion", sa.String(length=30), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=False),
        sa.Column("commit_message", sa.Text(), nullable=False),
        sa.Column("commit_author", sa.String(length=300), nullable=False),
        sa.Column("commit_author_name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("trigger", sa.String(length=50), nullable=True),
        sa.Column("is_deployment", sa.Boolean(), nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ci_runs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["ci_repositories.id"],
            name=op.f("fk_ci_runs_repository_id_ci_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_runs")),
        sa.UniqueConstraint(
            "repository_id", "external_id", name=op.f("uq_ci_runs_repository_id_external_id")
        ),
    )
    with op.batch_alter_table("ci_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ci_runs_branch"), ["branch"], unique=False)
        batch_op.create_index(
            "ix_ci_runs_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ci_runs_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ci_runs_status"), ["status"], unique=False)

    op.create_table(
        "ci_change_events",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("repository_id", sa.Uuid(), nullable=True),
        sa.Column("ci_run_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ci_run_id"],
            ["ci_runs.id"],
            name=op.f("fk_ci_change_events_ci_run_id_ci_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ci_change_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["ci_repositories.id"],
            name=op.f("fk_ci_change_events_repository_id_ci_repositories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_ci_change_events_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_change_events")),
        sa.UniqueConstraint(
            "organization_id",
            "dedup_key",
            name=op.f("uq_ci_change_events_organization_id_dedup_key"),
        ),
    )
    with op.batch_alter_table("ci_change_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ci_change_events_ci_run_id"), ["ci_run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ci_change_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_ci_change_events_service_at", ["service_id", "occurred_at"], unique=False
        )

    op.create_table(
        "ci_run_stages",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("conclusion", sa.String(length=30), nullable=True),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ci_run_stages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ci_runs.id"],
            name=op.f("fk_ci_run_stages_run_id_ci_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_run_stages")),
        sa.UniqueConstraint(
            "run_id", "external_id", name=op.f("uq_ci_run_stages_run_id_external_id")
        ),
    )
    with op.batch_alter_table("ci_run_stages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ci_run_stages_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ci_run_stages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ci_run_stages_organization_id"))

    op.drop_table("ci_run_stages")
    with op.batch_alter_table("ci_change_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ci_change_events_service_at")
        batch_op.drop_index(batch_op.f("ix_ci_change_events_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ci_change_events_ci_run_id"))

    op.drop_table("ci_change_events")
    with op.batch_alter_table("ci_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ci_runs_status"))
        batch_op.drop_index(batch_op.f("ix_ci_runs_organization_id"))
        batch_op.drop_index("ix_ci_runs_org_created")
        batch_op.drop_index(batch_op.f("ix_ci_runs_branch"))

    op.drop_table("ci_runs")
    with op.batch_alter_table("ci_repositories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ci_repositories_service_id"))
        batch_op.drop_index(batch_op.f("ix_ci_repositories_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ci_repositories_full_name"))

    op.drop_table("ci_repositories")

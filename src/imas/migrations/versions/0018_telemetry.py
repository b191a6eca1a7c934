"""telemetry: custom metric series and points, alert rules on metrics

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
SERIES_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _org(table: str) -> list[Any]:
    return [
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_organization_id_organizations"),
            ondelete="CASCADE",
        ),
    ]


def _org_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_organization_id"), table, ["organization_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "telemetry_series",
        sa.Column("id", SERIES_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric_type", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("series_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        *_org("telemetry_series"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_series")),
        sa.UniqueConstraint(
            "organization_id",
            "series_hash",
            name=op.f("uq_telemetry_series_organization_id_series_hash"),
        ),
    )
    op.create_index(
        op.f("ix_telemetry_series_metric_type"), "telemetry_series", ["metric_type"], unique=False
    )
    op.create_index(op.f("ix_telemetry_series_name"), "telemetry_series", ["name"], unique=False)
    _org_index("telemetry_series")

    op.create_table(
        "telemetry_points",
        sa.Column("series_id", SERIES_ID, nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["telemetry_series.id"],
            name=op.f("fk_telemetry_points_series_id_telemetry_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "ts_ms", name=op.f("pk_telemetry_points")),
    )

    op.create_table(
        "telemetry_settings",
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("retention_version", sa.Integer(), nullable=False),
        sa.Column("last_retention_at", WHEN, nullable=True),
        sa.Column("last_retention_deleted", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        *_org("telemetry_settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_telemetry_settings_organization_id")),
    )
    _org_index("telemetry_settings")

    op.create_table(
        "telemetry_rules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metric_name", sa.String(length=200), nullable=False),
        sa.Column("matchers", JSON, nullable=False),
        sa.Column("aggregation", sa.String(length=10), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("comparison", sa.String(length=2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("for_seconds", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("annotations", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("schedule_version", sa.Integer(), nullable=False),
        sa.Column("next_evaluation_at", WHEN, nullable=True),
        sa.Column("last_evaluated_at", WHEN, nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        *_org("telemetry_rules"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_telemetry_rules_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_rules")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_telemetry_rules_organization_id_name")
        ),
    )
    op.create_index(
        op.f("ix_telemetry_rules_metric_name"), "telemetry_rules", ["metric_name"], unique=False
    )
    _org_index("telemetry_rules")

    op.create_table(
        "telemetry_rule_states",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("labels_hash", sa.String(length=64), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("active_since", WHEN, nullable=True),
        sa.Column("fired_at", WHEN, nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_org("telemetry_rule_states"),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["telemetry_rules.id"],
            name=op.f("fk_telemetry_rule_states_rule_id_telemetry_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_rule_states")),
        sa.UniqueConstraint(
            "rule_id", "labels_hash", name=op.f("uq_telemetry_rule_states_rule_id_labels_hash")
        ),
    )
    _org_index("telemetry_rule_states")


def downgrade() -> None:
    for table in (
        "telemetry_rule_states",
        "telemetry_rules",
        "telemetry_settings",
        "telemetry_points",
        "telemetry_series",
    ):
        op.drop_table(table)

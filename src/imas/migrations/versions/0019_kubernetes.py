"""kubernetes: clusters and their inventory snapshots

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = sa.DateTime(timezone=True)


def _owned(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f(f"fk_{table}_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _of_cluster(table: str) -> list[Any]:
    return [
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["kubernetes_clusters.id"],
            name=op.f(f"fk_{table}_cluster_id_kubernetes_clusters"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "kubernetes_clusters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("api_server_url", sa.String(length=500), nullable=False),
        sa.Column("auth_method", sa.String(length=30), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("ca_cert", sa.Text(), nullable=True),
        sa.Column("insecure_skip_tls_verify", sa.Boolean(), nullable=False),
        sa.Column("owner_labels", JSON, nullable=False),
        sa.Column("sync_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("restart_threshold", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("last_synced_at", TIME, nullable=True),
        sa.Column("last_attempt_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("pod_count", sa.Integer(), nullable=False),
        sa.Column("namespace_count", sa.Integer(), nullable=False),
        sa.Column("schedule_version", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", TIME, nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        *_owned("kubernetes_clusters"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_kubernetes_clusters_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_kubernetes_clusters_organization_id_name")
        ),
    )
    op.create_index(
        op.f("ix_kubernetes_clusters_organization_id"),
        "kubernetes_clusters",
        ["organization_id"],
    )

    op.create_table(
        "kubernetes_nodes",
        *_of_cluster("kubernetes_nodes"),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("unschedulable", sa.Boolean(), nullable=False),
        sa.Column("kubelet_version", sa.String(length=100), nullable=True),
        sa.Column("cpu_usage", sa.Double(), nullable=True),
        sa.Column("memory_usage", sa.Double(), nullable=True),
        sa.Column("pods", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=True),
        *_owned("kubernetes_nodes"),
        sa.UniqueConstraint("cluster_id", "name", name=op.f("uq_kubernetes_nodes_cluster_id_name")),
    )
    op.create_index(
        op.f("ix_kubernetes_nodes_organization_id"), "kubernetes_nodes", ["organization_id"]
    )

    op.create_table(
        "kubernetes_pods",
        *_of_cluster("kubernetes_pods"),
        sa.Column("uid", sa.String(length=64), nullable=True),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("restart_spike", sa.Boolean(), nullable=False),
        sa.Column("node_name", sa.String(length=253), nullable=True),
        sa.Column("service", sa.String(length=253), nullable=True),
        sa.Column("cpu_usage", sa.Double(), nullable=True),
        sa.Column("memory_usage", sa.Double(), nullable=True),
        sa.Column("created_at", TIME, nullable=True),
        *_owned("kubernetes_pods"),
        sa.UniqueConstraint(
            "cluster_id",
            "namespace",
            "name",
            name=op.f("uq_kubernetes_pods_cluster_id_namespace_name"),
        ),
    )
    op.create_index(
        op.f("ix_kubernetes_pods_organization_id"), "kubernetes_pods", ["organization_id"]
    )
    op.create_index(
        "ix_kubernetes_pods_cluster_status", "kubernetes_pods", ["cluster_id", "status"]
    )


def downgrade() -> None:
    op.drop_table("kubernetes_pods")
    op.drop_table("kubernetes_nodes")
    op.drop_table("kubernetes_clusters")

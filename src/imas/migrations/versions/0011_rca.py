"""rca: incident analyses, and the full-text search of incidents

Revision ID: 0011
Revises: 0007
"""

# ruff: noqa: S608  (the SQL below is built from constants of this file only)
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
SQLITE_TEXT = (
    "coalesce({p}.title, '') || ' ' || coalesce({p}.description, '') || ' ' || "
    "coalesce({p}.root_cause, '') || ' ' || coalesce({p}.resolution_note, '')"
)
POSTGRESQL_DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(description, '')"
    " || ' ' || coalesce(root_cause, '') || ' ' || coalesce(resolution_note, ''))"
)


def upgrade() -> None:
    op.create_table(
        "incident_analyses",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("analyzer", sa.String(length=20), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_analyses_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_incident_analyses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_incident_analyses_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_analyses")),
    )
    op.create_index(
        "ix_incident_analyses_incident_created",
        "incident_analyses",
        ["incident_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_incident_analyses_organization_id"),
        "incident_analyses",
        ["organization_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_incidents_search ON incidents USING gin ({POSTGRESQL_DOCUMENT})"
        )
    else:
        _sqlite_search()


def _sqlite_search() -> None:
    # The FTS5 index reads its text from a plain table with stable integer rowids (FTS5's
    # "external content" pattern); triggers on incidents keep that table current.
    op.execute(
        "CREATE TABLE incident_search_docs (rowid INTEGER PRIMARY KEY, incident_id CHAR(32) "
        "NOT NULL UNIQUE, organization_id CHAR(32) NOT NULL, body TEXT NOT NULL)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE incident_search USING fts5(body, content='incident_search_docs', "
        "content_rowid='rowid', tokenize='porter unicode61')"
    )
    for statement in (
        "CREATE TRIGGER incident_search_docs_ai AFTER INSERT ON incident_search_docs BEGIN "
        "INSERT INTO incident_search(rowid, body) VALUES (new.rowid, new.body); END",
        "CREATE TRIGGER incident_search_docs_ad AFTER DELETE ON incident_search_docs BEGIN "
        "INSERT INTO incident_search(incident_search, rowid, body) "
        "VALUES ('delete', old.rowid, old.body); END",
        "CREATE TRIGGER incident_search_docs_au AFTER UPDATE ON incident_search_docs BEGIN "
        "INSERT INTO incident_search(incident_search, rowid, body) "
        "VALUES ('delete', old.rowid, old.body); "
        "INSERT INTO incident_search(rowid, body) VALUES (new.rowid, new.body); END",
        "CREATE TRIGGER incidents_search_ai AFTER INSERT ON incidents BEGIN "
        "INSERT INTO incident_search_docs(incident_id, organization_id, body) "
        f"VALUES (new.id, new.organization_id, {SQLITE_TEXT.format(p='new')}); END",
        "CREATE TRIGGER incidents_search_au AFTER UPDATE OF title, description, root_cause, "
        "resolution_note ON incidents BEGIN "
        f"UPDATE incident_search_docs SET body = {SQLITE_TEXT.format(p='new')} "
        "WHERE incident_id = new.id; END",
        "CREATE TRIGGER incidents_search_ad AFTER DELETE ON incidents BEGIN "
        "DELETE FROM incident_search_docs WHERE incident_id = old.id; END",
    ):
        op.execute(statement)
    op.execute(
        "INSERT INTO incident_search_docs(incident_id, organization_id, body) "
        f"SELECT id, organization_id, {SQLITE_TEXT.format(p='incidents')} FROM incidents"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incidents_search")
    else:
        for trigger in ("incidents_search_ai", "incidents_search_au", "incidents_search_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS incident_search")
        op.execute("DROP TABLE IF EXISTS incident_search_docs")
    op.drop_index(op.f("ix_incident_analyses_organization_id"), table_name="incident_analyses")
    op.drop_index("ix_incident_analyses_incident_created", table_name="incident_analyses")
    op.drop_table("incident_analyses")

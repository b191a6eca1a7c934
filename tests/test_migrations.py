"""Models and migrations must agree: a model change without its migration fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from imas.db import Database, is_mapped_object
from imas.migrations.runner import upgrade
from imas.models import metadata


async def test_migrated_schema_matches_the_models(db: Database):
    def diff(sync_conn):
        context = MigrationContext.configure(
            sync_conn, opts={"compare_type": True, "include_object": is_mapped_object}
        )
        return compare_metadata(context, metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert _without_column_level_fk_names(differences) == []


def _without_column_level_fk_names(differences: list) -> list:
    """SQLite reflects a foreign key added by `ADD COLUMN ... CONSTRAINT name REFERENCES` (the
    only way to add one without copying the table) without its name, which alembic reports as
    a removed unnamed key and an added named one on the same columns: not a difference."""
    unnamed = {
        (d[1].table.name, tuple(d[1].column_keys))
        for d in differences
        if d[0] == "remove_fk" and d[1].name is None
    }
    named = {
        (d[1].table.name, tuple(d[1].column_keys))
        for d in differences
        if d[0] == "add_fk" and d[1].name is not None
    }
    same = unnamed & named
    return [
        d
        for d in differences
        if not (
            d[0] in ("remove_fk", "add_fk") and (d[1].table.name, tuple(d[1].column_keys)) in same
        )
    ]


async def test_upgrade_is_idempotent_and_at_every_head(db: Database, database_url: str):
    import anyio.to_thread
    from alembic.script import ScriptDirectory

    from imas.migrations.runner import alembic_config

    await anyio.to_thread.run_sync(upgrade, database_url)
    async with db.engine.connect() as conn:
        versions = set(
            (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
        )
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    assert versions == heads


async def test_the_search_index_follows_incidents_after_every_migration(db: Database):
    """A migration that copies the incidents table on SQLite (Alembic's batch mode) would drop
    the triggers that keep the full-text index current, silently: new incidents would never
    be found as similar ones."""
    if db.dialect != "sqlite":
        return
    async with db.engine.connect() as conn:
        triggers = set(
            (
                await conn.execute(
                    text(
                        "SELECT name FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'incidents'"
                    )
                )
            ).scalars()
        )
    assert triggers == {"incidents_search_ai", "incidents_search_au", "incidents_search_ad"}

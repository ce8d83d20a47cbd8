"""The migrations build exactly the tables the models describe, on both databases."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from support.databases import sqlite_url

import hub.models  # noqa: F401  (every table registered on the metadata)
from hub.db import Base, Database
from hub.migrate import downgrade, upgrade


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """A migration forgotten or written by hand wrongly shows up as a difference."""
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await engine.dispose()
    assert differences == []


async def _users(engine: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT email, email_holder FROM users ORDER BY id"))
        return [tuple(row) for row in rows]


async def test_shared_addresses_migrate_up_and_down(blank_database_url: str) -> None:
    """0010: existing accounts hold their address; one holder per address, others may share
    it; downgrading brings the unique address back (refused while two accounts share one)."""
    db = Database(blank_database_url)
    engine = db.engine
    try:
        await upgrade(engine, "0009")
        insert = text(
            "INSERT INTO users (email, name, password_hash, role, created_at) "
            "VALUES (:email, 'X', '!', 'maker', CURRENT_TIMESTAMP)"
        )
        async with engine.begin() as connection:
            await connection.execute(insert, {"email": "ana@example.org"})
            await connection.execute(
                text(
                    "INSERT INTO tokens (user_id, token_hash, created_at, expires_at) "
                    "SELECT id, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users"
                )
            )
        await upgrade(engine)
        assert await _users(engine) == [("ana@example.org", True)]
        # SQLite rebuilt the table: its dependants were not cascaded away.
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM tokens")) == 1
        shadow = text(
            "INSERT INTO users (email, name, password_hash, role, created_at, email_holder) "
            "VALUES ('ana@example.org', 'Y', '!', 'maker', CURRENT_TIMESTAMP, :holder)"
        )
        async with engine.begin() as connection:
            await connection.execute(shadow, {"holder": False})
            await connection.execute(shadow, {"holder": False})
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(shadow, {"holder": True})
        with pytest.raises(RuntimeError, match="share"):
            await downgrade(engine, "0009")
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM users WHERE NOT email_holder"))
        await downgrade(engine, "0009")
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert, {"email": "ana@example.org"})
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await db.dispose()


async def test_batch_ids_start_above_every_id_an_event_names(tmp_path: Path) -> None:
    """0011 (SQLite only: PostgreSQL's sequences never hand an id out twice): a batch deleted
    before the migration is not given its id back either."""
    db = Database(sqlite_url(tmp_path / "batch-ids.sqlite"))
    try:
        await upgrade(db.engine, "0010")
        async with db.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO events (at, kind, entity, entity_id, payload) "
                    "VALUES (CURRENT_TIMESTAMP, 'batch.cancelled', 'batch', 41, '{}')"
                )
            )
        await upgrade(db.engine)
        async with db.engine.connect() as connection:
            seq = await connection.scalar(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'batches'")
            )
            assert seq == 41
            assert await connection.run_sync(_differences) == []
    finally:
        await db.dispose()

"""Readiness: the database answers and its schema is the one this code was written for."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.migrate import alembic_config


@cache
def code_heads() -> frozenset[str]:
    """The Alembic head revisions this code ships (read once: they cannot change)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@dataclass(frozen=True)
class SchemaState:
    """The revisions the database is at, and those the code expects."""

    database: frozenset[str]
    code: frozenset[str]

    @property
    def current(self) -> bool:
        """The database is at exactly the code's heads."""
        return self.database == self.code


async def schema_state(session: AsyncSession) -> SchemaState:
    """Read the database's Alembic revisions (none when it was never migrated)."""
    try:
        rows = (await session.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:
        # No alembic_version table: a database nobody migrated. Not a failure of the check.
        await session.rollback()
        rows = []
    return SchemaState(frozenset(str(r[0]) for r in rows), code_heads())

"""Apply Alembic migrations from code (``hub serve`` and ``hub db upgrade`` use this)."""

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at the hub's migrations."""
    config = Config()
    config.set_main_option("script_location", "hub:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _migrate(engine: AsyncEngine, step: Callable[[Config], None]) -> None:
    config = alembic_config(str(engine.url.render_as_string(hide_password=False)))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        step(config)

    def foreign_keys(on: bool) -> Callable[[Connection], None]:
        def pragma(connection: Connection) -> None:
            # On the DB-API connection: through SQLAlchemy it would BEGIN first.
            cursor = connection.connection.cursor()
            cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
            cursor.close()

        return pragma

    async with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # A migration that rebuilds a table SQLite cannot alter (batch mode: copy, drop,
            # rename) must not fire the ON DELETE CASCADE of the rows that point at it when it
            # drops the old copy: the hub's connections enforce foreign keys, so they are off
            # while migrating. The pragma only takes effect outside a transaction, hence before
            # BEGIN; a migration that rebuilds checks the keys itself (PRAGMA foreign_key_check).
            await connection.run_sync(foreign_keys(False))
        try:
            async with connection.begin():
                await connection.run_sync(run)
        finally:
            if sqlite:
                await connection.run_sync(foreign_keys(True))


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    await _migrate(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision`` (an operator's way back)."""
    await _migrate(engine, lambda config: command.downgrade(config, revision))

"""batch ids are never handed out twice on SQLite

A draft proposal that a coordinator removes, or that a newer matcher run replaces, is deleted;
SQLite then gave its id to the next batch (a rowid table reuses the largest id once freed), so
two batches shared the id their events name. ``AUTOINCREMENT`` makes SQLite never reuse one
(https://www.sqlite.org/autoinc.html); PostgreSQL's sequences never did.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The largest batch id ever used: in the table, or named by an event of a deleted batch.
HIGHEST_USED = (
    "SELECT max(coalesce((SELECT max(id) FROM batches), 0), "
    "coalesce((SELECT max(entity_id) FROM events WHERE entity = 'batch'), 0))"
)


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    highest = int(bind.exec_driver_sql(HIGHEST_USED).scalar() or 0)
    # Rebuilt with foreign keys off (hub.migrate): checked below.
    with op.batch_alter_table(
        "batches", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    if autoincrement:
        # Ids of batches deleted before this migration are not reused either.
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'batches'")
        bind.exec_driver_sql(
            f"INSERT INTO sqlite_sequence (name, seq) VALUES ('batches', {highest})"
        )
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


def upgrade() -> None:
    """Apply this revision."""
    _rebuild(autoincrement=True)


def downgrade() -> None:
    """Revert this revision."""
    _rebuild(autoincrement=False)

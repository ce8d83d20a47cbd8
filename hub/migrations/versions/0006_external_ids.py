"""external ids: the stable key of a row imported from a spreadsheet

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    for table in ("sites", "needs", "batches"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
    # A key names one row: unique among sites of a type, among needs, among batches. NULLs
    # (rows created in the hub) never collide, on SQLite and PostgreSQL alike.
    op.create_index("uq_sites_type_external_id", "sites", ["type", "external_id"], unique=True)
    op.create_index("uq_needs_external_id", "needs", ["external_id"], unique=True)
    op.create_index("uq_batches_external_id", "batches", ["external_id"], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("uq_batches_external_id", table_name="batches")
    op.drop_index("uq_needs_external_id", table_name="needs")
    op.drop_index("uq_sites_type_external_id", table_name="sites")
    for table in ("batches", "needs", "sites"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("external_id")

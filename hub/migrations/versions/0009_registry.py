"""registry: FINESS entries, and the registry numbers of sites

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "registry_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=14), nullable=False),
        sa.Column("legal_number", sa.String(length=14), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("citycode", sa.String(length=5), nullable=True),
        sa.Column("departement", sa.String(length=3), nullable=True),
        sa.Column("region", sa.String(length=3), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("category_code", sa.String(length=10), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("search", sa.String(length=600), nullable=False),
        sa.Column("imported_at", hub.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "uq_registry_source_number", "registry_entries", ["source", "number"], unique=True
    )
    op.create_index("ix_registry_entries_siret", "registry_entries", ["siret"])
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("finess", sa.String(length=9), nullable=True))
        batch.add_column(sa.Column("siret", sa.String(length=14), nullable=True))
    op.create_index("ix_sites_finess", "sites", ["finess"])
    op.create_index("ix_sites_siret", "sites", ["siret"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_sites_siret", table_name="sites")
    op.drop_index("ix_sites_finess", table_name="sites")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("siret")
        batch.drop_column("finess")
    op.drop_index("ix_registry_entries_siret", table_name="registry_entries")
    op.drop_index("uq_registry_source_number", table_name="registry_entries")
    op.drop_table("registry_entries")

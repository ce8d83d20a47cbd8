"""site clock: each site's time zone and landmass, from its place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: add the columns, then place every existing site."""
    with op.batch_alter_table("sites") as batch:
        batch.add_column(
            sa.Column(
                "time_zone", sa.String(length=64), nullable=False, server_default="Europe/Paris"
            )
        )
        batch.add_column(sa.Column("land", sa.String(length=40), nullable=True))
    from hub.geo.territory import where

    bind = op.get_bind()
    sites = sa.table(
        "sites",
        sa.column("id", sa.BigInteger),
        sa.column("lat", sa.Float),
        sa.column("lon", sa.Float),
        sa.column("time_zone", sa.String),
        sa.column("land", sa.String),
    )
    rows = bind.execute(sa.select(sites.c.id, sites.c.lat, sites.c.lon)).all()
    for site_id, lat, lon in rows:
        place = where(lon, lat)
        bind.execute(
            sites.update()
            .where(sites.c.id == site_id)
            .values(time_zone=place.time_zone, land=place.land)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("land")
        batch.drop_column("time_zone")

"""routes and route stops: drivers' tours and the batches they reserve

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:31:31.775183
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "routes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "driver_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("start_lat", sa.Float(), nullable=False),
        sa.Column("start_lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("available_minutes", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("created_at", hub.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", hub.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["driver_id"], ["users.id"], name=op.f("fk_routes_driver_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routes_driver_id"), ["driver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_routes_status"), ["status"], unique=False)

    op.create_table(
        "route_stops",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("route_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "open_batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("site_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("eta", hub.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", hub.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_quantity", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "done_quantity IS NULL OR done_quantity >= 0",
            name=op.f("ck_route_stops_done_not_negative"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_route_stops_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_route_stops_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["open_batch_id"], ["batches.id"], name=op.f("fk_route_stops_open_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["routes.id"],
            name=op.f("fk_route_stops_route_id_routes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_route_stops_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_stops")),
        sa.UniqueConstraint("open_batch_id", "kind", name=op.f("uq_route_stops_open_batch_id")),
        sa.UniqueConstraint("route_id", "seq", name=op.f("uq_route_stops_route_id")),
    )
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_stops_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_stops_route_id"), ["route_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_stops_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_stops_site_id"))
        batch_op.drop_index(batch_op.f("ix_route_stops_route_id"))
        batch_op.drop_index(batch_op.f("ix_route_stops_batch_id"))

    op.drop_table("route_stops")
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_status"))
        batch_op.drop_index(batch_op.f("ix_routes_driver_id"))

    op.drop_table("routes")

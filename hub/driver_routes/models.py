"""Routes: a driver's planned tour and its ordered stops."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.rules.states import RouteStatus
from hub.types import BigId, UTCDateTime


class Route(Base):
    """A driver's tour from a start point and back, planned over ready batches."""

    __tablename__ = "routes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # A RouteStatus: active until every stop is done (done) or given back (released).
    status: Mapped[str] = mapped_column(String(10), default=RouteStatus.ACTIVE, index=True)
    start_lat: Mapped[float] = mapped_column(Float)
    start_lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    available_minutes: Mapped[int] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(40), default=None)
    distance_km: Mapped[float] = mapped_column(Float)
    duration_min: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RouteStop(Base):
    """One pickup at a lab or delivery at a hospital, for one batch."""

    __tablename__ = "route_stops"
    __table_args__ = (
        UniqueConstraint("route_id", "seq"),
        # The database itself refuses a second open stop of the same kind for one batch:
        # ``open_batch_id`` is the batch while the stop is undone on an active route, else NULL
        # (NULLs never collide in a unique index, on SQLite and PostgreSQL alike).
        UniqueConstraint("open_batch_id", "kind"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("done_quantity IS NULL OR done_quantity >= 0", name="done_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # pickup | delivery
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    open_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), default=None)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    eta: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_quantity: Mapped[int | None] = mapped_column(Integer, default=None)
    # Why a stop was closed without the driver: "received" when the hospital confirmed
    # receipt of its batch first (handed over by the maker, or a tap the driver forgot).
    closed_reason: Mapped[str | None] = mapped_column(String(20), default=None)

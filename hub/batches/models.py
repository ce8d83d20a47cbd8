"""Batches: the unit of work joining one need to one lab."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class Batch(Base):
    """A quantity of a need made by one lab, with forward-only counters."""

    __tablename__ = "batches"
    # The counter invariants live in the database too, so no code path can break them.
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "0 <= delivered AND delivered <= picked_up AND picked_up <= made AND made <= quantity",
            name="counters_ordered",
        ),
        CheckConstraint(
            "accepted >= 0 AND rejected >= 0 AND accepted + rejected <= delivered",
            name="receipt_within_delivered",
        ),
        Index("uq_batches_external_id", "external_id", unique=True),
        # SQLite: a deleted draft's id is never given to another batch (migration 0011).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    design: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), index=True)
    made: Mapped[int] = mapped_column(Integer, default=0)
    picked_up: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    distance_km: Mapped[float | None] = mapped_column(Float, default=None)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The batch's key in the spreadsheet it was imported from (hub/imports).
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)

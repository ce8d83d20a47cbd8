"""Needs posted by hospitals, and the idempotency keys that make posting them safe to retry."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.rules.states import NeedStatus
from hub.types import BigId, UTCDateTime


class Need(Base):
    """A quantity of one design a hospital needs by a date."""

    __tablename__ = "needs"
    __table_args__ = (
        Index("uq_needs_external_id", "external_id", unique=True),
        # The order needs are listed in (hub.needs.service.list_needs): pages without a sort.
        Index("ix_needs_needed_by_id", "needed_by", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    design: Mapped[str] = mapped_column(String(80), index=True)
    # Designs the hospital also accepts in place of `design` (always includes it).
    accepts: Mapped[list[str]] = mapped_column(JSON, default=list)
    quantity: Mapped[int] = mapped_column(Integer)
    needed_by: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=NeedStatus.REQUESTED, index=True)
    # Copied from the hospital so that area filters need no join.
    region: Mapped[str | None] = mapped_column(String(3), index=True)
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The need's key in the spreadsheet it was imported from (hub/imports).
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)


class IdempotencyKey(Base):
    """Remembers which need a client's ``Idempotency-Key`` created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

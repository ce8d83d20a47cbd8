"""A lab's declared capacity, one row per design."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class Offer(Base):
    """Units per day of one design between two dates, plus stock already made."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("lab_id", "design"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    design: Mapped[str] = mapped_column(String(80))
    units_per_day: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date, default=None)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

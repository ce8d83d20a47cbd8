"""A record of each matching run: its parameters and what it achieved."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class MatchingRun(Base):
    """One run of the matcher by a coordinator."""

    __tablename__ = "matching_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    area: Mapped[str] = mapped_column(String(40))
    max_distance_km: Mapped[float] = mapped_column(Float)
    lead_days: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    needs_considered: Mapped[int] = mapped_column(Integer, default=0)
    offers_considered: Mapped[int] = mapped_column(Integer, default=0)
    assigned_units: Mapped[int] = mapped_column(Integer, default=0)
    unmet_units: Mapped[int] = mapped_column(Integer, default=0)
    unit_km: Mapped[float] = mapped_column(Float, default=0.0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    unmet: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

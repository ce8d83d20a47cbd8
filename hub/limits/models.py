"""The rate-limit counters, when they are kept in the hub's database."""

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class RateLimitCounter(Base):
    """One fixed window of one limit: how many hits, and when the window ends.

    ``expires_at`` is in seconds since the epoch, as the ``limits`` library counts time.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)

"""The append-only event log: the audit trail and the live stream's source."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class Event(Base):
    """One change, as it happened: who, what, where, and its effect on the totals."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    region: Mapped[str | None] = mapped_column(String(3), index=True)
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    # The X-Request-ID of the request that wrote it (None from the command line and the demo):
    # finds an event's log lines, and a log line's events.
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)

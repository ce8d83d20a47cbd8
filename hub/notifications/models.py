"""The outbox: mails waiting to be sent, and those sent."""

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class OutboxMessage(Base):
    """A mail, written in the transaction of the change that asked for it.

    Nothing acknowledged is lost: the row commits with the change or not at all, and stays
    until an SMTP server has taken it (``sent_at``). ``next_attempt_at`` is when the sender
    may try (again); it is null once sent, or once the sender gave up (``last_error`` says why).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # What the sender looks for: unsent mails that are due.
        Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: What the mail is ("password_reset", "signup_notice"): to space them out per address.
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)

"""Accounts and their access tokens."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text, true
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class User(Base):
    """A person: hospital staff, maker, driver, coordinator or admin."""

    __tablename__ = "users"
    __table_args__ = (
        # One account holds an address; others may share it (see ``email_holder``).
        Index(
            "uq_users_email_holder",
            "email",
            unique=True,
            sqlite_where=text("email_holder"),
            postgresql_where=text("email_holder"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # The first account of an address holds it: password resets and mails for the address
    # are its. A later sign-up with the address and another password makes an
    # account that holds nothing (hub.auth.service.sign_up says why).
    email_holder: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The language the account signed up in ("fr", "en"), for the mails sent to it.
    language: Mapped[str | None] = mapped_column(String(2), default=None)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Coordinators only: "region:84", "departement:38", or None for national.
    area: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Token(Base):
    """An opaque bearer token; only its SHA-256 is stored so a leaked table grants nothing."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # For the list of sessions: when it was last used (to the quarter of an hour), and the
    # browser and system it was made from ("Firefox Mobile 128 · Android 14"), never the token.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    description: Mapped[str | None] = mapped_column(String(100), default=None)


class PasswordReset(Base):
    """A one-time link to set a new password; only the token's SHA-256 is stored.

    Used once (``used_at``), void after ``expires_at``; making a new one deletes the older.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

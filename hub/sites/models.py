"""Sites (hospitals and labs) and who belongs to them."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.rules.states import SiteStatus
from hub.types import BigId, UTCDateTime


class Site(Base):
    """A place with coordinates: a hospital (demand) or a lab (production)."""

    __tablename__ = "sites"
    __table_args__ = (Index("uq_sites_type_external_id", "type", "external_id", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(10), index=True)  # hospital | lab
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(3), index=True)
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    # The site's clock (IANA zone of its territory) and landmass (mainland, corsica, guadeloupe,
    # ...; None abroad), derived from its place by hub.geo.territory whenever the place is set.
    time_zone: Mapped[str] = mapped_column(
        String(64), default="Europe/Paris", server_default="Europe/Paris"
    )
    land: Mapped[str | None] = mapped_column(String(40), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Opening (labs) or receiving (hospitals) hours, in minutes after midnight.
    opens_min: Mapped[int] = mapped_column(Integer, default=8 * 60)
    closes_min: Mapped[int] = mapped_column(Integer, default=18 * 60)
    status: Mapped[str] = mapped_column(String(10), default=SiteStatus.PENDING)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The site's key in the spreadsheet or registry it was imported from (an id of the
    # coordinator's own, or a FINESS or SIRET number): a re-import updates, never duplicates.
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Registry numbers, each in its own column (not in external_id, which stays the key of
    # the coordinator's own spreadsheet): a hospital's FINESS establishment number, a lab's
    # SIRET (checked with python-stdnum). They tie the site to hub.registry's entries.
    finess: Mapped[str | None] = mapped_column(String(9), default=None, index=True)
    siret: Mapped[str | None] = mapped_column(String(14), default=None, index=True)


class Membership(Base):
    """A user belongs to a site: staff of a hospital, member of a lab."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """A member of a site invites someone by e-mail; they join only once they accept.

    The invitation's link (its id and a token, mailed to the address) is what lets someone
    accept: an address proves nothing, anyone may sign up with any. Only the token's digest
    is stored.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # SHA-256 of the link's token; a new invitation of the same address replaces it.
    token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once, when the invited person answers.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    accepted: Mapped[bool | None] = mapped_column(default=None)

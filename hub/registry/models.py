"""Entries of public registries (FINESS for health establishments) imported by an operator."""

from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow
from hub.types import BigId, UTCDateTime


class RegistryEntry(Base):
    """One establishment as its registry publishes it, with its point in WGS84."""

    __tablename__ = "registry_entries"
    __table_args__ = (Index("uq_registry_source_number", "source", "number", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # finess
    # The establishment's number (FINESS ET, 9 characters) and its legal entity's (EJ).
    number: Mapped[str] = mapped_column(String(14))
    legal_number: Mapped[str | None] = mapped_column(String(14), default=None)
    siret: Mapped[str | None] = mapped_column(String(14), default=None, index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    postcode: Mapped[str | None] = mapped_column(String(10), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    citycode: Mapped[str | None] = mapped_column(String(5), default=None)
    departement: Mapped[str | None] = mapped_column(String(3), default=None)
    region: Mapped[str | None] = mapped_column(String(3), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    category_code: Mapped[str | None] = mapped_column(String(10), default=None)
    category: Mapped[str | None] = mapped_column(String(200), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    # Folded words of the name, commune and number, for a LIKE search (see hub.places.index).
    search: Mapped[str] = mapped_column(String(600))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

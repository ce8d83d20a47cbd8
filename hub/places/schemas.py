"""What the place search answers."""

from typing import Literal

from pydantic import BaseModel, Field

PlaceKind = Literal["commune", "address", "establishment"]


class PlaceOut(BaseModel):
    """A place found for a query: a commune, a street address or a registry establishment."""

    label: str = Field(examples=["38700 La Tronche"])
    lat: float
    lon: float
    citycode: str | None = Field(description="INSEE code of the commune.", examples=["38516"])
    postcode: str | None = Field(examples=["38700"])
    departement: str | None = Field(examples=["38"])
    region: str | None = Field(examples=["84"])
    kind: PlaceKind
    # Establishments only: what fills the site form.
    name: str | None = Field(default=None, description="Establishment: its name.")
    address: str | None = Field(default=None, description="Establishment or address: a line.")
    finess: str | None = Field(default=None, description="Establishment: its FINESS number.")
    category: str | None = Field(default=None, description="Establishment: its category.")
    phone: str | None = Field(default=None, description="Establishment: its phone number.")

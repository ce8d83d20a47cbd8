"""What the registry endpoints answer."""

from pydantic import BaseModel, Field

from hub.rules.states import SiteType


class RegistryEntryOut(BaseModel):
    """An establishment as its registry publishes it."""

    source: str = Field(examples=["finess"])
    number: str = Field(description="FINESS establishment number (ET).", examples=["380780080"])
    siret: str | None
    name: str
    address: str
    postcode: str | None
    city: str | None
    citycode: str | None
    departement: str | None
    region: str | None
    phone: str | None
    category: str | None
    lat: float | None
    lon: float | None


class RegistryCheck(BaseModel):
    """What the registry says about a site, for the coordinator who verifies it."""

    site_id: int
    site_type: SiteType
    finess: str | None = Field(description="The FINESS number the site gave, if any.")
    siret: str | None = Field(description="The SIRET the site gave, if any.")
    siret_valid: bool | None = Field(
        description="Whether the SIRET passes its checksum (python-stdnum); null without one."
    )
    match: bool = Field(description="Whether a registry entry carries the site's number.")
    entry: RegistryEntryOut | None = Field(description="That entry: address, phone to call back.")
    distance_km: float | None = Field(
        description="Between the site's typed point and the registry's point, when both exist."
    )
    same_departement: bool | None = Field(
        description="Whether the site's point and the entry lie in the same département."
    )


class RegistryImport(BaseModel):
    """What ``hub import finess`` did."""

    read: int
    created: int
    updated: int
    located: int

"""Request and response bodies for drivers' routes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.rules.states import RouteStatus
from hub.validation import Count, Latitude, Longitude, Whole

# A day's driving at most: a longer "shift" is a typo, and it would make every batch reachable.
MAX_MINUTES = 16 * 60


class RouteIn(BaseModel):
    """Where the driver starts, what the vehicle carries and how long they have."""

    model_config = ConfigDict(extra="forbid")
    start_lat: Latitude
    start_lon: Longitude
    capacity_units: Whole = Field(gt=0, le=100_000, description="Units the vehicle can carry.")
    available_minutes: int = Field(gt=0, le=MAX_MINUTES, description="Time until back at start.")
    area: str | None = Field(
        None, description="FR, region:CODE or departement:CODE; default: batches within reach."
    )


class StopDoneIn(BaseModel):
    """The quantity actually carried (picked up, or handed over)."""

    model_config = ConfigDict(extra="forbid")
    quantity: Count


class StopOut(BaseModel):
    """One stop: where, what, when, who to call, and how to get there."""

    seq: int
    kind: Literal["pickup", "delivery"]
    batch_id: int
    batch_code: str | None = Field(description="The tracking code, while the stop is to do.")
    design: str
    site_id: int
    site: str
    address: str | None = Field(description="None for a maker's home once the stop is done.")
    contact_name: str | None
    contact_phone: str | None
    lat: float
    lon: float
    quantity: int
    eta: datetime = Field(description="Planned start of service, on the site's own clock.")
    time_zone: str = Field(description="The site's clock (IANA zone), to show times on.")
    opens: str
    closes: str
    done_at: datetime | None
    done_quantity: int | None
    given_back: bool = Field(description="Freed for other drivers when the route was given back.")
    received_directly: bool = Field(
        False,
        description="Closed because the hospital confirmed receipt of the batch first "
        "(handed over by the maker, or a tap the driver forgot).",
    )
    geo_uri: str = Field(description="geo: URI that phone navigation apps open.")
    directions_url: str = Field(description="OpenStreetMap directions from the previous point.")


class RouteOut(BaseModel):
    """A driver's route and its ordered stops."""

    id: int
    driver_id: int
    status: RouteStatus
    start_lat: float
    start_lon: float
    capacity_units: int
    available_minutes: int
    area: str | None
    distance_km: float
    duration_min: float
    created_at: datetime
    stops: list[StopOut]
    gpx_url: str


class RouteList(BaseModel):
    """The caller's routes, newest first."""

    items: list[RouteOut]

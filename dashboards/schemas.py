"""What the dashboard's JSON endpoints return."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class DepartementDemand(BaseModel):
    """Demand and capacity of one département: what the map is shaded by."""

    code: str
    name: str
    requested: int
    claimed: int
    unmet: int
    capacity_per_day: int


class SitePoint(BaseModel):
    """A hospital or lab on the map; its id and name only for a coordinator of its area."""

    id: int | None
    type: str
    x: float
    y: float
    departement: str | None
    name: str | None = None


class MapView(BaseModel):
    """Per-département demand and the points of an area."""

    area: str
    width: float
    height: float
    departements: list[DepartementDemand]
    sites: list[SitePoint]


class UrgentNeed(BaseModel):
    """A need due soon with units nobody has committed to make."""

    need_id: int
    design: str
    departement: str | None
    needed_by: date
    priority: str
    unmet: int
    hospital: str | None = None


class StalledBatch(BaseModel):
    """A claimed batch with no progress reported for a day."""

    batch_id: int
    design: str
    departement: str | None
    made: int
    quantity: int
    last_progress: datetime
    lab: str | None = None
    code: str | None = None


class UncoveredDepartement(BaseModel):
    """A département with unmet demand and no declared capacity."""

    code: str
    name: str
    unmet: int


class Bottlenecks(BaseModel):
    """The three kinds of bottleneck of SPEC 1.3."""

    area: str
    urgent_needs: list[UrgentNeed]
    stalled_batches: list[StalledBatch]
    uncovered: list[UncoveredDepartement]


class DayOutput(BaseModel):
    """Units made and delivered on one day (Paris time)."""

    day: date
    made: int
    delivered: int


class DailyOutput(BaseModel):
    """Output per day over the last days, for the chart."""

    area: str
    days: list[DayOutput]


class Outlines(BaseModel):
    """SVG outlines of the metropolitan départements, in a width x height box."""

    width: float
    height: float
    paths: dict[str, str]
    names: dict[str, str]

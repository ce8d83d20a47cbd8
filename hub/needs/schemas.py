"""Request and response bodies for needs."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.rules.states import NeedStatus, Priority
from hub.validation import DesignSlug, Quantity


class NeedIn(BaseModel):
    """A hospital's request for a quantity of one design by a date."""

    model_config = ConfigDict(extra="forbid")
    hospital_id: int = Field(gt=0)
    design: DesignSlug
    quantity: Quantity
    needed_by: date
    priority: Priority = Priority.NORMAL
    accepts: list[DesignSlug] = Field(
        default_factory=list,
        max_length=20,
        description="Other designs the hospital accepts in place of `design`.",
    )


class Stages(BaseModel):
    """A need's units, each in one stage, as a person reads them: they add up to its quantity
    (``requested`` is what no lab has yet; all zero for a cancelled need's unheld units)."""

    requested: int = 0
    proposed: int = 0
    being_made: int = 0
    ready: int = 0
    on_the_way: int = 0
    delivered: int = 0
    received: int = 0


class Progress(BaseModel):
    """Where the units of a need are, summed over its batches."""

    proposed: int = 0
    claimed: int = 0
    made: int = 0
    ready: int = 0
    picked_up: int = 0
    delivered: int = 0
    accepted: int = 0
    rejected: int = 0
    remaining: int = Field(0, description="Units not yet proposed to or claimed by any lab.")
    stages: Stages = Field(
        default_factory=Stages,
        description="Each unit in one stage (requested, proposed, being made, ready, on the "
        "way, delivered, received): the stages add up to the need's quantity.",
    )


class HospitalRef(BaseModel):
    """The hospital of a need, as everyone may see it."""

    id: int
    name: str
    verified: bool
    lat: float
    lon: float


class NeedOut(BaseModel):
    """A need and its progress. ``flagged`` is true while its hospital is unverified."""

    id: int
    hospital: HospitalRef
    design: str
    accepts: list[str]
    quantity: int
    needed_by: date
    priority: Priority
    status: NeedStatus
    region: str | None
    departement: str | None
    flagged: bool
    distance_km: float | None = None
    lab_can_make: int | None = Field(
        None,
        description="With `lab_id`: the units of the need's design that lab declared it can "
        "still make by the need's date (hub.offers.capacity.free_by); what a claim may take.",
    )
    progress: Progress
    created_at: datetime


class NeedList(BaseModel):
    """A page of needs."""

    items: list[NeedOut]
    total: int
    limit: int
    offset: int

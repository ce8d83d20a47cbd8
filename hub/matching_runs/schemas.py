"""Request and response bodies for matching runs."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    """Parameters of a run; the area defaults to the coordinator's own."""

    model_config = ConfigDict(extra="forbid")
    area: str | None = Field(None, examples=["region:84"])
    max_distance_km: float = Field(200.0, gt=0, le=2000, allow_inf_nan=False)
    lead_days: int = Field(1, ge=0, le=30)
    horizon_days: int = Field(28, ge=1, le=120)
    send: bool = Field(
        False,
        description="Send the proposals to the labs at once. By default they are drafts that "
        "only coordinators see, to adjust or cancel, until POST /matching/runs/{id}/send.",
    )


class AssignmentOut(BaseModel):
    """One proposal: a batch for a lab."""

    batch_id: int
    need_id: int
    lab_id: int
    design: str
    quantity: int
    distance_km: float
    ready_by_day: int


class RunOut(BaseModel):
    """What a run proposed and what it could not cover."""

    id: int
    area: str
    sent: bool = Field(description="False while the proposals are drafts the labs do not see.")
    superseded: int = Field(
        0,
        ge=0,
        description="Unsent drafts of earlier runs for needs of this area, which this run "
        "replaced (cancelled, each with a batch.cancelled event, reason superseded).",
    )
    assignments: list[AssignmentOut]
    unmet: dict[int, int]
    unit_km: float
    needs_considered: int
    offers_considered: int
    seconds: float
    created_at: datetime


class RunRecord(BaseModel):
    """A stored run: its parameters and what it achieved (its proposals are batches with its
    ``run_id``)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    created_by: int | None
    area: str
    max_distance_km: float
    lead_days: int
    horizon_days: int
    needs_considered: int
    offers_considered: int
    assigned_units: int
    unmet_units: int
    unit_km: float
    seconds: float
    unmet: dict[int, int]
    created_at: datetime


class SiteName(BaseModel):
    """A site as a proposal names it."""

    id: int
    name: str


class ProposalOut(BaseModel):
    """One proposal of a run as the coordinator reviews it: who makes what, for whom."""

    batch_id: int
    code: str
    state: str
    need_id: int
    design: str
    quantity: int
    made: int
    due: date
    distance_km: float | None
    need_quantity: int
    priority: str
    hospital: SiteName
    lab: SiteName


class RunProposals(BaseModel):
    """A run's proposals, drafts first; ``drafts`` counts those the labs do not see yet."""

    run_id: int
    area: str
    created_at: datetime
    drafts: int
    items: list[ProposalOut]

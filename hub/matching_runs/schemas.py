"""Request and response bodies for matching runs."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    """Parameters of a run; the area defaults to the coordinator's own."""

    model_config = ConfigDict(extra="forbid")
    area: str | None = Field(None, examples=["region:84"])
    max_distance_km: float = Field(200.0, gt=0, le=2000, allow_inf_nan=False)
    lead_days: int = Field(1, ge=0, le=30)
    horizon_days: int = Field(28, ge=1, le=120)


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

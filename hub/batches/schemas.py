"""Request and response bodies for claims and batches."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.i18n import _
from hub.i18n.validation import MessageError
from hub.rules.states import BatchState
from hub.validation import Count, DesignSlug, LongText, Quantity, ShortText


class ClaimIn(BaseModel):
    """A lab takes on part of a need."""

    model_config = ConfigDict(extra="forbid")
    lab_id: int = Field(gt=0)
    quantity: Quantity
    design: DesignSlug | None = Field(
        None, description="One of the designs the need accepts; defaults to the need's design."
    )


class ProgressIn(BaseModel):
    """The absolute number of units made so far; it never decreases."""

    model_config = ConfigDict(extra="forbid")
    made: Count


class ReadyIn(BaseModel):
    """Marking a batch ready: what becomes of the units not made, when some are missing."""

    model_config = ConfigDict(extra="forbid")
    rest: Literal["keep", "release"] | None = Field(
        None,
        description="Required when fewer units are made than the batch's quantity: `keep` "
        "makes the made units a first part and keeps the rest claimed in a new batch; "
        "`release` gives the rest back to the need.",
    )


class ReceiptIn(BaseModel):
    """What the hospital received: accepted and rejected units, and why."""

    model_config = ConfigDict(extra="forbid")
    accepted: Count
    rejected: Count = 0
    reason: LongText | None = None

    @model_validator(mode="after")
    def _reason_for_rejects(self) -> "ReceiptIn":
        if self.rejected > 0 and not (self.reason and self.reason.strip()):
            raise MessageError(_("give a reason when rejecting units"))
        if self.accepted + self.rejected == 0:
            raise MessageError(_("a receipt needs at least one accepted or rejected unit"))
        return self


class AdjustIn(BaseModel):
    """A coordinator changes the quantity of an assignment."""

    model_config = ConfigDict(extra="forbid")
    quantity: Quantity


class CorrectIn(BaseModel):
    """A coordinator corrects a batch's made count, saying why."""

    model_config = ConfigDict(extra="forbid")
    made: Count
    reason: ShortText


class BatchOut(BaseModel):
    """A batch with its counters."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str | None = Field(
        description="The tracking code: only for the lab, the hospital, coordinators of the "
        "area and the driver carrying it."
    )
    need_id: int
    lab_id: int
    design: str
    quantity: int
    due: date
    state: BatchState
    made: int
    picked_up: int
    delivered: int
    accepted: int
    rejected: int
    reject_reason: str | None
    distance_km: float | None
    run_id: int | None
    created_at: datetime
    updated_at: datetime


class BatchList(BaseModel):
    """A page of batches."""

    items: list[BatchOut]
    total: int
    limit: int
    offset: int

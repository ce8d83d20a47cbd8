"""Request and response bodies for a lab's capacity offers."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.i18n import _
from hub.i18n.validation import MessageError
from hub.validation import Count, DesignSlug, Whole

# A print farm of a few hundred printers makes a few thousand visors a day at most.
MAX_UNITS_PER_DAY = 100_000


class OfferIn(BaseModel):
    """Capacity for one design."""

    model_config = ConfigDict(extra="forbid")
    design: DesignSlug
    units_per_day: Whole = Field(ge=0, le=MAX_UNITS_PER_DAY)
    available_from: date
    available_until: date | None = None
    stock: Count = 0

    @model_validator(mode="after")
    def _dates_in_order(self) -> "OfferIn":
        if self.available_until is not None and self.available_until < self.available_from:
            raise MessageError(
                _("available_until ({until}) is before available_from ({start})"),
                until=self.available_until,
                start=self.available_from,
            )
        return self


class OfferOut(OfferIn):
    """A stored offer."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: int
    lab_id: int

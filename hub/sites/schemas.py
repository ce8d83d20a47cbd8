"""Request and response bodies for hospitals and labs."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from stdnum.fr import siret as stdnum_siret

from hub.i18n import _
from hub.i18n.validation import MessageError
from hub.rules.states import SiteStatus, SiteType
from hub.validation import Address, HourMinute, Latitude, Longitude, Phone, ShortText

HospitalKind = Literal["hospital", "clinic", "nursing_home", "pharmacy", "gp"]
# The six workshop archetypes of the seed study, plus a maker at home.
LabKind = Literal[
    "digital_mediation",
    "hybrid_third_place",
    "fablab",
    "territorial_innovation_lab",
    "prototyping_workshop",
    "training_space",
    "home",
]


def _check_siret(value: str) -> str:
    """Compact a SIRET and check its length and checksum (python-stdnum)."""
    compact = stdnum_siret.compact(value)
    if not stdnum_siret.is_valid(compact):
        raise MessageError(
            _("{value} is not a valid SIRET (14 digits with a correct check digit)."),
            value=value,
        )
    return str(compact)


def _check_finess(value: str) -> str:
    """A FINESS establishment number: 9 characters, digits (and A or B for Corsica)."""
    compact = value.replace(" ", "").upper()
    if len(compact) != 9 or not set(compact) <= set("0123456789AB"):
        raise MessageError(_("{value} is not a FINESS number (9 characters)."), value=value)
    return compact


# The documented patterns say the shapes (spaces between digits allowed, as people copy
# them); the validators enforce them with their own words, and check what a pattern cannot:
# SIRET's Luhn check digit.
Siret = Annotated[
    str,
    Field(
        max_length=30,
        examples=["73282932000074"],
        json_schema_extra={"pattern": r"^ *(?:[0-9] *){14}$"},
    ),
    AfterValidator(_check_siret),
]
Finess = Annotated[
    str,
    Field(
        max_length=30,
        examples=["380780080"],
        json_schema_extra={"pattern": r"^ *(?:[0-9AaBb] *){9}$"},
    ),
    AfterValidator(_check_finess),
]


class _SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText
    address: Address
    lat: Latitude
    lon: Longitude
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    opens: HourMinute = "08:00"
    closes: HourMinute = "18:00"
    outside_france: bool = Field(
        default=False,
        description="Set to true to confirm a place outside France; otherwise such a point "
        "is refused as a likely typo.",
    )
    finess: Finess | None = Field(
        default=None, description="The establishment's FINESS number, from the registry."
    )
    siret: Siret | None = Field(default=None, description="The SIRET, checked (python-stdnum).")

    @model_validator(mode="after")
    def _hours_in_order(self) -> "_SiteIn":
        if self.opens >= self.closes:
            raise MessageError(
                _("opens ({opens}) must be before closes ({closes})"),
                opens=self.opens,
                closes=self.closes,
            )
        return self


class HospitalIn(_SiteIn):
    """A hospital, clinic, nursing home, pharmacy or GP practice."""

    kind: HospitalKind


class LabIn(_SiteIn):
    """A lab or a maker at home, with its equipment."""

    kind: LabKind
    equipment: list[ShortText] = Field(default_factory=list, max_length=50)


class SiteOut(BaseModel):
    """A site; contact fields are null unless the caller may see them, and a maker at home
    shows its exact place and address only to those who work with it."""

    id: int
    type: SiteType
    kind: str
    name: str
    address: str | None = Field(description="Null for a maker at home, to most callers.")
    lat: float = Field(description="To about a kilometre for a maker at home, to most callers.")
    lon: float
    region: str | None
    departement: str | None
    time_zone: str = Field(description="The site's clock: the IANA zone of its territory.")
    land: str | None = Field(
        description="Its landmass (mainland, corsica, guadeloupe, ...); null abroad."
    )
    status: SiteStatus
    equipment: list[str]
    opens: str
    closes: str
    contact_name: str | None
    contact_phone: str | None
    finess: str | None = None
    siret: str | None = None
    created_at: datetime


class SitePatch(BaseModel):
    """A correction of a site: only the fields given change (each correction is an event)."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText | None = None
    address: Address | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    outside_france: bool = Field(
        default=False,
        description="With a new point outside France: confirms it is abroad on purpose.",
    )
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    opens: HourMinute | None = None
    closes: HourMinute | None = None
    finess: Finess | None = None
    siret: Siret | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> "SitePatch":
        if (self.lat is None) != (self.lon is None):
            raise MessageError(_("Give lat and lon together."))
        return self


class SiteList(BaseModel):
    """A page of sites."""

    items: list[SiteOut]
    total: int
    limit: int
    offset: int


class MemberIn(BaseModel):
    """Invite someone to a site by e-mail."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)


class SuspendIn(BaseModel):
    """Why a coordinator suspends a site (kept in the audit trail)."""

    model_config = ConfigDict(extra="forbid")
    reason: ShortText


class SuspendOut(BaseModel):
    """The suspended site and the batches sent back to the pool."""

    site: "SiteOut"
    cancelled_batch_ids: list[int]


class InvitedOut(BaseModel):
    """An invitation was sent: the same answer whether or not the e-mail has an account."""

    email: str
    site_id: int
    link: str = Field(
        description="The invitation's link, also mailed to the address: whoever opens it, "
        "signed in, may join. Pass it on only to the person invited."
    )


class InvitationAnswer(BaseModel):
    """The token of an invitation's link (after ``#invitation=ID.``)."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")

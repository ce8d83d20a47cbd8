"""Why the planner leaves a shipment out: a code and its figures, never prose.

The planner keeps no words: a caller turns each :class:`ReasonCode` into a sentence in its
reader's language (the hub does so through its catalogue). The figures keep the planner's
units: clock minutes on the plan's shared clock (for the hub, minutes since local midnight),
durations in minutes, quantities and capacities in whole units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum


class ReasonCode(Enum):
    """Why one load of a shipment could not be served; :data:`FIGURES` lists each one's figures."""

    #: No driver was given to the planner.
    NO_DRIVER = "no_driver"
    #: The load (``units``) is larger than the largest vehicle (``capacity``) and splitting
    #: is off.
    TOO_BIG = "too_big"
    #: No driver can reach the pickup (the lab) by road.
    LAB_UNREACHABLE = "lab_unreachable"
    #: The pickup window closes (``closes_at``) before any driver can arrive (``earliest_at``).
    LAB_CLOSED = "lab_closed"
    #: The delivery (the hospital) cannot be reached by road from the pickup.
    HOSPITAL_UNREACHABLE = "hospital_unreachable"
    #: The delivery window closes (``closes_at``) before any driver can arrive there
    #: (``earliest_at``).
    HOSPITAL_CLOSED = "hospital_closed"
    #: Even alone, the round trip (``trip_minutes``) is longer than the driver's time
    #: (``available_minutes``).
    TOO_LONG = "too_long"
    #: A driver could carry it alone, but no driver could fit it alongside the other shipments
    #: within the windows, shifts and capacities.
    NO_ROOM = "no_room"
    #: The pickup (the lab) is on another land than every driver's start: no road crosses
    #: the sea (and no ferry was allowed).
    LAB_ACROSS_SEA = "lab_across_sea"
    #: The delivery (the hospital) is on another land than the pickup, or than the driver's
    #: end.
    HOSPITAL_ACROSS_SEA = "hospital_across_sea"


#: The figures each code carries (the other figures of its :class:`Reason` are ``None``).
FIGURES: Mapping[ReasonCode, tuple[str, ...]] = {
    ReasonCode.NO_DRIVER: (),
    ReasonCode.TOO_BIG: ("units", "capacity"),
    ReasonCode.LAB_UNREACHABLE: (),
    ReasonCode.LAB_CLOSED: ("closes_at", "earliest_at"),
    ReasonCode.HOSPITAL_UNREACHABLE: (),
    ReasonCode.HOSPITAL_CLOSED: ("closes_at", "earliest_at"),
    ReasonCode.TOO_LONG: ("trip_minutes", "available_minutes"),
    ReasonCode.NO_ROOM: (),
    ReasonCode.LAB_ACROSS_SEA: (),
    ReasonCode.HOSPITAL_ACROSS_SEA: (),
}


@dataclass(frozen=True)
class Reason:
    """Why one load was left out: a code and the figures :data:`FIGURES` names for it.

    Attributes
    ----------
    code
        What went wrong.
    units
        Units of the load (``TOO_BIG``).
    capacity
        Units the largest vehicle holds (``TOO_BIG``).
    closes_at
        Clock minute at which the window closes (``LAB_CLOSED``, ``HOSPITAL_CLOSED``).
    earliest_at
        Clock minute at which the earliest driver could arrive (same codes).
    trip_minutes
        Minutes the shortest round trip takes, from the driver's start back to the end
        (``TOO_LONG``).
    available_minutes
        Minutes the driver has (``TOO_LONG``).

    Raises
    ------
    ValueError
        When a figure the code needs is missing, or one it does not use is given.
    """

    code: ReasonCode
    units: int | None = None
    capacity: int | None = None
    closes_at: float | None = None
    earliest_at: float | None = None
    trip_minutes: float | None = None
    available_minutes: float | None = None

    def __post_init__(self) -> None:
        given = {
            f.name for f in fields(self) if f.name != "code" and getattr(self, f.name) is not None
        }
        if given != set(FIGURES[self.code]):
            raise ValueError(
                f"{self.code.name} takes the figures {FIGURES[self.code]}, got {sorted(given)}"
            )

    def figures(self) -> dict[str, float]:
        """The code's figures by name, in the units above (``{}`` for a code without any)."""
        return {name: getattr(self, name) for name in FIGURES[self.code]}


@dataclass(frozen=True)
class Unassigned:
    """A shipment left out, whole or in part, and why.

    Attributes
    ----------
    reasons
        The distinct reasons, in the order found: one for a shipment that was not split;
        for a split one, possibly one per kind of failure among its loads.
    loads_out
        How many of its loads were left out.
    loads
        How many loads it was split into (1 when it was not split).
    """

    reasons: tuple[Reason, ...]
    loads_out: int = 1
    loads: int = 1

    @property
    def reason(self) -> Reason:
        """The first reason (the only one for a shipment that was not split)."""
        return self.reasons[0]

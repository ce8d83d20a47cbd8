"""The planner's inputs and outputs: frozen dataclasses in the hub's units.

All times share one clock in minutes (for example minutes since midnight of the planning
day, or since the run when shift starts are 0): windows, shift starts and planned arrivals.
Quantities are whole units (boxes, face shields); distances are kilometres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from matching.routes.reasons import Unassigned

Window = tuple[float, float]
ALWAYS: Window = (0.0, math.inf)


@dataclass(frozen=True)
class Place:
    """A point in WGS 84 degrees, on a landmass (``land``, None: joined to every land).

    No road joins two different lands (the mainland, Corsica, each overseas territory): the
    planner plans no leg between them, unless a :class:`Ferry` is given.
    """

    lon: float
    lat: float
    land: str | None = None

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"({self.lon}, {self.lat}) is not a longitude, latitude pair")


@dataclass(frozen=True)
class Ferry:
    """Crossings allowed: each leg between two lands takes ``minutes`` and ``km`` more."""

    minutes: float = 180.0
    km: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minutes) and math.isfinite(self.km)):
            raise ValueError("a ferry's minutes and km must be finite")
        if self.minutes < 0 or self.km < 0:
            raise ValueError("a ferry's minutes and km must be at least 0")


def across_sea(a: Place, b: Place) -> bool:
    """Tell whether two places are on different lands (both given)."""
    return a.land is not None and b.land is not None and a.land != b.land


@dataclass(frozen=True)
class Shipment:
    """A batch to carry from a lab (``pickup``) to a hospital (``delivery``).

    ``pickup_window`` is the lab's opening hours, ``delivery_window`` the hospital's receiving
    hours: the ``(open, close)`` minutes in which the stop's service may start.
    """

    id: str
    pickup: Place
    delivery: Place
    quantity: int
    pickup_window: Window = ALWAYS
    delivery_window: Window = ALWAYS
    pickup_service_min: float = 5.0
    delivery_service_min: float = 5.0

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"shipment {self.id}: quantity {self.quantity} must be positive")
        for label, (open_, close) in (
            ("pickup", self.pickup_window),
            ("delivery", self.delivery_window),
        ):
            if close < open_:
                raise ValueError(f"shipment {self.id}: {label} window closes before it opens")
        if self.pickup_service_min < 0 or self.delivery_service_min < 0:
            raise ValueError(f"shipment {self.id}: negative service time")


@dataclass(frozen=True)
class Driver:
    """A volunteer driver, from ``start`` at ``shift_start_min``, back at ``end`` in time."""

    id: str
    start: Place
    capacity: int
    available_minutes: float
    end: Place | None = None
    shift_start_min: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity <= 0:
            raise ValueError(f"driver {self.id}: capacity {self.capacity} must be positive")
        if self.available_minutes < 0:
            raise ValueError(f"driver {self.id}: negative available minutes")

    @property
    def end_place(self) -> Place:
        """Where the route ends: ``end``, or back at ``start``."""
        return self.end if self.end is not None else self.start


@dataclass(frozen=True)
class PlannedStop:
    """One stop of a route; ``load_after`` is what is on board when the driver leaves."""

    seq: int
    kind: Literal["pickup", "delivery"]
    shipment_id: str
    place: Place
    quantity: int
    arrival_min: float
    departure_min: float
    load_after: int
    load_number: int = 1  # which load of a split batch (1 when not split)


@dataclass(frozen=True)
class PlannedRoute:
    """A driver's tour from the start place back to the end place."""

    driver_id: str
    stops: tuple[PlannedStop, ...]
    distance_km: float
    duration_min: float
    start_min: float
    end_min: float


@dataclass(frozen=True)
class Plan:
    """The routes of the drivers who have work, and why each shipment left out was left out.

    ``unassigned`` maps a shipment id to its reason codes and figures (no prose: the caller
    words them for its reader).
    """

    routes: tuple[PlannedRoute, ...]
    unassigned: dict[str, Unassigned] = field(default_factory=dict)

    @property
    def distance_km(self) -> float:
        """Total distance over all routes."""
        return sum(r.distance_km for r in self.routes)

"""Inputs and outputs of the matcher: frozen dataclasses, validated on construction."""

from __future__ import annotations

import math
import operator
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final

#: Weight of one unmet unit per priority, SPEC section 3.
PRIORITY_WEIGHTS: Final[Mapping[str, int]] = {"critical": 100, "high": 10, "normal": 1}

#: Kilometres of penalty per weighted unmet unit, SPEC section 3.
UNMET_PENALTY_KM: Final[float] = 100_000.0


def _as_int(value: object, what: str) -> int:
    """Return ``value`` as a Python int, or raise ``ValueError`` naming ``what``."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{what} must be an integer, got {value!r}") from None


def _check_hashable(value: object, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` can key a dict (ids must)."""
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"{what} must be hashable, got {value!r}") from None


def _check_coordinates(lon: float, lat: float, who: str) -> None:
    """Raise ``ValueError`` unless (lon, lat) is a finite WGS84 position."""
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"{who}: lon must be a finite number in [-180, 180], got {lon!r}")
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"{who}: lat must be a finite number in [-90, 90], got {lat!r}")


@dataclass(frozen=True, slots=True)
class Need:
    """A hospital's demand for ``quantity`` units of one design, due on day ``due_day``.

    Parameters
    ----------
    id
        Any hashable identifier, unique among the needs of one call.
    design
        Catalogue slug; only offers of the same design can serve it.
    lon, lat
        WGS84 position of the hospital, in degrees.
    quantity
        Units requested, at least 0.
    due_day
        Day (counted from day 0, the day of the run) by which the units must arrive.
    priority
        ``"critical"``, ``"high"`` or ``"normal"``.
    land
        The landmass of the hospital (``"mainland"``, ``"corsica"``, ...): by default only
        offers on the same land, or without one, serve it. ``None``: the same land as
        everything else.
    """

    id: Hashable
    design: str
    lon: float
    lat: float
    quantity: int
    due_day: int
    priority: str = "normal"
    land: str | None = None

    def __post_init__(self) -> None:
        _check_hashable(self.id, "need id")
        who = f"need {self.id!r}"
        if not isinstance(self.design, str) or not self.design:
            raise ValueError(f"{who}: design must be a non-empty string, got {self.design!r}")
        _check_coordinates(self.lon, self.lat, who)
        quantity = _as_int(self.quantity, f"{who}: quantity")
        if quantity < 0:
            raise ValueError(f"{who}: quantity must be at least 0, got {quantity}")
        due_day = _as_int(self.due_day, f"{who}: due_day")
        if due_day < 0:
            raise ValueError(f"{who}: due_day must be at least 0, got {due_day}")
        if self.priority not in PRIORITY_WEIGHTS:
            raise ValueError(
                f"{who}: unknown priority {self.priority!r}, expected one of "
                f"{sorted(PRIORITY_WEIGHTS)}"
            )
        _check_land(self.land, who)
        # Normalise numpy integers and the like, so that results compare and hash simply.
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "due_day", due_day)

    @property
    def weight(self) -> int:
        """Weight of one unmet unit of this need (100, 10 or 1)."""
        return PRIORITY_WEIGHTS[self.priority]


@dataclass(frozen=True, slots=True)
class Offer:
    """A lab's capacity for one design.

    The lab makes ``units_per_day`` units on each day t with
    ``first_day <= t <= last_day`` (and ``t <= horizon_days - 1``); ``stock`` counts as made
    on day 0. A lab has at most one offer per design. ``promised`` is work the lab already owes
    (earlier batches): new assignments only get what is left once every promise is made by its
    day, the lab working deadline-first (see ``free_by``).

    Parameters
    ----------
    lab_id
        Any hashable identifier of the lab.
    design
        Catalogue slug.
    lon, lat
        WGS84 position of the lab, in degrees.
    units_per_day
        Units made per production day, at least 0.
    first_day
        First production day, at least 0.
    last_day
        Last production day, at least ``first_day``; ``None`` means until the horizon.
    stock
        Units already made, at least 0.
    promised
        ``(day, units)`` pairs: units already promised, each to be made by the end of ``day``
        (days and units at least 0). Stored sorted by day.
    land
        The lab's landmass; see :class:`Need`.
    """

    lab_id: Hashable
    design: str
    lon: float
    lat: float
    units_per_day: int
    first_day: int = 0
    last_day: int | None = None
    stock: int = 0
    promised: tuple[tuple[int, int], ...] = ()
    land: str | None = None

    def __post_init__(self) -> None:
        _check_hashable(self.lab_id, "offer lab_id")
        who = f"offer ({self.lab_id!r}, {self.design!r})"
        if not isinstance(self.design, str) or not self.design:
            raise ValueError(f"{who}: design must be a non-empty string, got {self.design!r}")
        _check_coordinates(self.lon, self.lat, who)
        units_per_day = _as_int(self.units_per_day, f"{who}: units_per_day")
        if units_per_day < 0:
            raise ValueError(f"{who}: units_per_day must be at least 0, got {units_per_day}")
        first_day = _as_int(self.first_day, f"{who}: first_day")
        if first_day < 0:
            raise ValueError(f"{who}: first_day must be at least 0, got {first_day}")
        last_day = self.last_day
        if last_day is not None:
            last_day = _as_int(last_day, f"{who}: last_day")
            if last_day < first_day:
                raise ValueError(f"{who}: last_day {last_day} is before first_day {first_day}")
        stock = _as_int(self.stock, f"{who}: stock")
        if stock < 0:
            raise ValueError(f"{who}: stock must be at least 0, got {stock}")
        object.__setattr__(self, "units_per_day", units_per_day)
        object.__setattr__(self, "first_day", first_day)
        object.__setattr__(self, "last_day", last_day)
        object.__setattr__(self, "stock", stock)
        object.__setattr__(self, "promised", _check_promised(self.promised, who))
        _check_land(self.land, who)

    def made_by(self, day: int, horizon_days: int) -> int:
        """Units made by the end of ``day`` (stock included), production stopping at the horizon."""
        if day < 0:
            return 0
        last = horizon_days - 1 if self.last_day is None else min(self.last_day, horizon_days - 1)
        days = max(0, min(day, last) - self.first_day + 1)
        return self.stock + self.units_per_day * days

    def promised_by(self, day: int) -> int:
        """Units promised to be made by the end of ``day``."""
        return sum(units for d, units in self.promised if d <= day)

    def free_by(self, day: int, horizon_days: int) -> int:
        """Units new work may take by the end of ``day``, every promise still kept.

        Deadline-first is the best order for one lab, so the new and promised work together
        fit exactly when, on every day t, what is due by t is made by t. Units taken by
        ``day`` count towards every later t, hence the minimum over t >= ``day`` of made minus
        promised; only ``day`` and the later promise days can hold that minimum, because
        production never decreases. Never below 0 (promises the lab cannot keep leave it
        nothing, they do not make it owe).
        """
        if day < 0:
            return 0
        points = [day, *(d for d, _ in self.promised if d > day)]
        return max(0, min(self.made_by(t, horizon_days) - self.promised_by(t) for t in points))


def _check_land(land: object, who: str) -> None:
    """Raise ``ValueError`` unless ``land`` is None or a non-empty string."""
    if land is not None and (not isinstance(land, str) or not land):
        raise ValueError(f"{who}: land must be None or a non-empty string, got {land!r}")


def _check_promised(promised: object, who: str) -> tuple[tuple[int, int], ...]:
    """``promised`` as a sorted tuple of ``(day, units)`` integer pairs, or ``ValueError``."""
    try:
        pairs = [tuple(pair) for pair in promised]  # type: ignore[attr-defined]
    except TypeError:
        raise ValueError(f"{who}: promised must be (day, units) pairs, got {promised!r}") from None
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"{who}: promised must be (day, units) pairs, got {pair!r}")
        day = _as_int(pair[0], f"{who}: promised day")
        units = _as_int(pair[1], f"{who}: promised units")
        if day < 0 or units < 0:
            raise ValueError(f"{who}: promised day and units must be at least 0, got {pair!r}")
        out.append((day, units))
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Assignment:
    """``quantity`` units of ``design`` from lab ``lab_id`` to need ``need_id``.

    ``ready_by_day`` is the earliest day by which the lab has made these units, when it makes
    its assignments earliest-deadline first; it is at most ``due_day - lead_days``.
    """

    need_id: Hashable
    lab_id: Hashable
    design: str
    quantity: int
    distance_km: float
    ready_by_day: int


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What ``match`` returns.

    Attributes
    ----------
    assignments
        One per (need, lab) pair with a positive quantity, sorted by need then lab order of
        the input.
    unmet
        Units not assigned, for every need with at least one such unit (needs fully served
        are absent).
    unit_km
        Sum of ``quantity * distance_km`` over the assignments.
    """

    assignments: list[Assignment]
    unmet: dict[Hashable, int] = field(default_factory=dict)
    unit_km: float = 0.0

    def weighted_served(self, needs: list[Need]) -> int:
        """Priority-weighted units served, given the needs the result was computed for."""
        return sum(n.weight * (n.quantity - self.unmet.get(n.id, 0)) for n in needs)

"""Every reason the route planner gives for leaving a batch out reads in French for French users.

The reasons come from the real planner (``matching.routes.plan_routes``) on small Paris
scenarios, one per way a batch can be left out, so a new or reworded planner phrase that the
French table misses fails here instead of reaching a driver in English.
"""

from __future__ import annotations

import math
import re

import pytest

from hub.driver_routes.reasons import human
from matching.routes import Driver, HaversineProvider, Place, Shipment, TravelMatrix, plan_routes

FABLAB = Place(2.3790, 48.8590)
PITIE = Place(2.3650, 48.8380)
CRETEIL = Place(2.4530, 48.7900)
LYON = Place(4.8357, 45.7640)

#: Words of the planner's English that no French reason may keep.
ENGLISH = re.compile(
    r"\b(the|driver|units|closes|before|loads?|than|available|cannot|larger|batch|no|takes)\b"
)


class _Unreachable:
    """Travel times where one place cannot be reached by road."""

    def __init__(self, place: Place) -> None:
        self.place = place

    def matrix(self, places: list[Place]) -> TravelMatrix:
        base = HaversineProvider().matrix(places)
        dist, dur = base.distance_km.copy(), base.duration_min.copy()
        for i, p in enumerate(places):
            if p == self.place:
                dist[:, i] = dist[i, :] = dur[:, i] = dur[i, :] = math.inf
                dist[i, i] = dur[i, i] = 0.0
        return TravelMatrix(distance_km=dist, duration_min=dur)


def _reason(shipments: list[Shipment], drivers: list[Driver], **kw: object) -> str:
    plan = plan_routes(shipments, drivers, seconds=0.3, **kw)  # type: ignore[arg-type]
    assert plan.unassigned, "the scenario must leave a batch out"
    return next(iter(plan.unassigned.values()))


def _driver(**kw: object) -> Driver:
    args: dict[str, object] = dict(capacity=50, available_minutes=480)
    args.update(kw)
    start = args.pop("start", FABLAB)
    return Driver("d1", start, **args)  # type: ignore[arg-type]


SCENARIOS = {
    "too big, not split": lambda: _reason(
        [Shipment("X", FABLAB, PITIE, 120)], [_driver()], split_loads=False
    ),
    "hospital window closed": lambda: _reason(
        [Shipment("s", FABLAB, CRETEIL, 10, delivery_window=(0, 10))], [_driver()]
    ),
    "lab closed": lambda: _reason(
        [Shipment("s", FABLAB, PITIE, 10, pickup_window=(0, 30))],
        [_driver(start=CRETEIL, shift_start_min=60)],
    ),
    "round trip too long": lambda: _reason(
        [Shipment("s", FABLAB, LYON, 10)], [_driver(available_minutes=120)]
    ),
    "no room": lambda: _reason(
        [Shipment(f"b{k}", FABLAB, CRETEIL, 40, delivery_window=(0, 40)) for k in range(3)],
        [Driver(f"d{k}", FABLAB, capacity=50, available_minutes=100) for k in range(2)],
    ),
    "hospital unreachable": lambda: _reason(
        [Shipment("s", FABLAB, CRETEIL, 5)], [_driver()], matrix_provider=_Unreachable(CRETEIL)
    ),
    "lab unreachable": lambda: _reason(
        [Shipment("s", PITIE, CRETEIL, 5)], [_driver()], matrix_provider=_Unreachable(PITIE)
    ),
    "split batch, every load late": lambda: _reason(
        [Shipment("s", FABLAB, CRETEIL, 120, delivery_window=(0, 10))], [_driver()]
    ),
    "no driver": lambda: _reason([Shipment("s", FABLAB, PITIE, 5)], []),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_planner_reason_reads_in_french(scenario: str) -> None:
    """The reason is translated whole: no English word of the planner's phrases is left."""
    reason = SCENARIOS[scenario]()
    assert ENGLISH.search(reason), f"not one of the planner's English phrases: {reason!r}"
    french = human(reason, "fr")
    assert not ENGLISH.search(french), f"{scenario}: {french!r} (from {reason!r})"
    # Numbers and times survive the translation.
    assert re.findall(r"\d+", human(reason, "en")) == re.findall(r"\d+", french)

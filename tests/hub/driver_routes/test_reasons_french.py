"""Every reason the route planner gives for leaving a batch out reads in French for French users.

The planner (``matching.routes.plan_routes``) returns reason codes and figures; the hub words
each code through the catalogue. The codes come from the real planner on small Paris
scenarios, one per way a batch can be left out, so a new code without its message, or a
message left untranslated, fails here instead of reaching a driver in English.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import pytest

from hub.driver_routes.service.words import REASONS, left_out_phrase
from hub.i18n import show
from hub.timeutil import PARIS
from matching.routes import (
    Driver,
    HaversineProvider,
    Place,
    ReasonCode,
    Shipment,
    TravelMatrix,
    Unassigned,
    plan_routes,
)

FABLAB = Place(2.3790, 48.8590)
PITIE = Place(2.3650, 48.8380)
CRETEIL = Place(2.4530, 48.7900)
LYON = Place(4.8357, 45.7640)
AJACCIO = Place(8.7386, 41.9192, "corsica")
BASTIA = Place(9.4503, 42.6970, "corsica")
# The planner's clock counts minutes from this midnight (a day when Paris changes clocks).
MIDNIGHT = datetime(2026, 3, 29, tzinfo=PARIS)

#: English words of the reasons that no French reason may keep.
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


def _left_out(shipments: list[Shipment], drivers: list[Driver], **kw: object) -> Unassigned:
    plan = plan_routes(shipments, drivers, seconds=0.3, **kw)  # type: ignore[arg-type]
    assert plan.unassigned, "the scenario must leave a batch out"
    return next(iter(plan.unassigned.values()))


def _driver(**kw: object) -> Driver:
    args: dict[str, object] = dict(capacity=50, available_minutes=480)
    args.update(kw)
    start = args.pop("start", FABLAB)
    return Driver("d1", start, **args)  # type: ignore[arg-type]


SCENARIOS = {
    "too big, not split": lambda: _left_out(
        [Shipment("X", FABLAB, PITIE, 120)], [_driver()], split_loads=False
    ),
    "hospital window closed": lambda: _left_out(
        [Shipment("s", FABLAB, CRETEIL, 10, delivery_window=(0, 10))], [_driver()]
    ),
    "lab closed": lambda: _left_out(
        [Shipment("s", FABLAB, PITIE, 10, pickup_window=(0, 30))],
        [_driver(start=CRETEIL, shift_start_min=60)],
    ),
    "round trip too long": lambda: _left_out(
        [Shipment("s", FABLAB, LYON, 10)], [_driver(available_minutes=120)]
    ),
    "no room": lambda: _left_out(
        [Shipment(f"b{k}", FABLAB, CRETEIL, 40, delivery_window=(0, 40)) for k in range(3)],
        [Driver(f"d{k}", FABLAB, capacity=50, available_minutes=100) for k in range(2)],
    ),
    "hospital unreachable": lambda: _left_out(
        [Shipment("s", FABLAB, CRETEIL, 5)], [_driver()], matrix_provider=_Unreachable(CRETEIL)
    ),
    "lab unreachable": lambda: _left_out(
        [Shipment("s", PITIE, CRETEIL, 5)], [_driver()], matrix_provider=_Unreachable(PITIE)
    ),
    "split batch, every load late": lambda: _left_out(
        [Shipment("s", FABLAB, CRETEIL, 120, delivery_window=(0, 10))], [_driver()]
    ),
    "no driver": lambda: _left_out([Shipment("s", FABLAB, PITIE, 5)], []),
    "lab across the sea": lambda: _left_out(
        [Shipment("s", AJACCIO, BASTIA, 5)], [_driver(start=Place(2.379, 48.859, "mainland"))]
    ),
    "hospital across the sea": lambda: _left_out(
        [Shipment("s", Place(2.379, 48.859, "mainland"), AJACCIO, 5)],
        [_driver(start=Place(2.379, 48.859, "mainland"))],
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_planner_reason_reads_in_french(scenario: str) -> None:
    """The reason is worded whole in French: no English word is left, no figure is lost."""
    left = SCENARIOS[scenario]()
    english = show(left_out_phrase(left, MIDNIGHT), "en")
    french = show(left_out_phrase(left, MIDNIGHT), "fr")
    assert ENGLISH.search(english), f"{scenario}: not worded in English: {english!r}"
    assert not ENGLISH.search(french), f"{scenario}: {french!r} (from {english!r})"
    # The same numbers and times, in the same order (grouped the French way: "1 229").
    assert re.findall(r"\d+", english) == re.findall(r"\d+", french), (english, french)


def test_every_code_has_a_message_and_a_scenario() -> None:
    """No code reaches a driver as a bare code: each has its message, and a scenario above."""
    assert set(REASONS) == set(ReasonCode)
    seen = {r.code for make in SCENARIOS.values() for r in make().reasons}
    assert seen == set(ReasonCode)


def test_figures_become_paris_times_and_grouped_numbers() -> None:
    """Clock minutes read as local times; durations as whole minutes grouped by locale."""
    lab_closed = left_out_phrase(SCENARIOS["lab closed"](), MIDNIGHT)
    assert re.fullmatch(
        r"l’atelier ferme à 00:30, avant l’arrivée de tout chauffeur \(au plus tôt 01:\d\d\)",
        show(lab_closed, "fr"),
    )
    too_long = SCENARIOS["round trip too long"]()
    minutes = round(too_long.reason.trip_minutes or 0)
    assert minutes > 1000
    english = show(left_out_phrase(too_long, MIDNIGHT), "en")
    french = show(left_out_phrase(too_long, MIDNIGHT), "fr")
    assert english == (f"the round trip takes {minutes:,} min, more than the 120 min available")
    assert f"{minutes // 1000}\u202f{minutes % 1000:03d} min" in french
    split = left_out_phrase(SCENARIOS["split batch, every load late"](), MIDNIGHT)
    assert show(split, "fr").startswith("3 chargements sur 3\u00a0: la réception")

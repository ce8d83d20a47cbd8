"""The route planner never plans a road leg across the sea, and says why (a reason code)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.routes import (
    Driver,
    Ferry,
    HaversineProvider,
    Place,
    ReasonCode,
    Shipment,
    across_sea,
    plan_routes,
)

NICE = Place(7.2620, 43.7102, "mainland")
TOULON = Place(5.9280, 43.1242, "mainland")
AJACCIO = Place(8.7386, 41.9192, "corsica")
BASTIA = Place(9.4503, 42.6970, "corsica")


def _driver(start: Place, minutes: float = 24 * 60) -> Driver:
    return Driver("d", start, capacity=100, available_minutes=minutes)


def test_a_lab_across_the_sea_is_left_out_with_its_reason() -> None:
    plan = plan_routes([Shipment("b", AJACCIO, BASTIA, 10)], [_driver(NICE)], seconds=0.2)
    assert plan.routes == ()
    assert plan.unassigned["b"].reason.code is ReasonCode.LAB_ACROSS_SEA


def test_a_hospital_across_the_sea_is_left_out_with_its_reason() -> None:
    plan = plan_routes([Shipment("b", TOULON, AJACCIO, 10)], [_driver(NICE)], seconds=0.2)
    assert plan.routes == ()
    assert plan.unassigned["b"].reason.code is ReasonCode.HOSPITAL_ACROSS_SEA


def test_a_ferry_allows_the_crossing_at_its_cost() -> None:
    ferry = Ferry(minutes=300, km=50)
    plan = plan_routes(
        [Shipment("b", TOULON, AJACCIO, 10)],
        [_driver(NICE, minutes=3 * 24 * 60)],
        seconds=0.2,
        ferry=ferry,
    )
    (route,) = plan.routes
    pickup, delivery = route.stops
    road = HaversineProvider().matrix([TOULON, AJACCIO])
    assert delivery.arrival_min - pickup.departure_min == pytest.approx(
        float(road.duration_min[0, 1]) + 300
    )


def test_places_without_land_join_every_land() -> None:
    lab, hospital = Place(AJACCIO.lon, AJACCIO.lat), Place(BASTIA.lon, BASTIA.lat)
    plan = plan_routes([Shipment("b", lab, hospital, 10)], [_driver(NICE)], seconds=0.2)
    assert len(plan.routes) == 1


def test_no_way_back_across_the_sea_is_said_too() -> None:
    lab = Place(AJACCIO.lon, AJACCIO.lat)  # reachable (no land), but the hospital is in Corsica
    plan = plan_routes([Shipment("b", lab, BASTIA, 10)], [_driver(NICE)], seconds=0.2)
    assert plan.unassigned["b"].reason.code is ReasonCode.HOSPITAL_ACROSS_SEA


LANDS = st.sampled_from([None, "mainland", "corsica"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(LANDS, LANDS), min_size=1, max_size=4), LANDS)
def test_no_planned_leg_joins_two_lands(lands, start_land) -> None:
    """Whatever the lands, every leg of every route stays on one land (or a landless place)."""
    spots = {"mainland": [NICE, TOULON], "corsica": [AJACCIO, BASTIA], None: [NICE, BASTIA]}
    shipments = []
    for k, (a, b) in enumerate(lands):
        pick, drop = spots[a][k % 2], spots[b][(k + 1) % 2]
        shipments.append(
            Shipment(str(k), Place(pick.lon, pick.lat, a), Place(drop.lon + 0.01, drop.lat, b), 5)
        )
    start = Place(NICE.lon, NICE.lat, start_land)
    plan = plan_routes(shipments, [_driver(start)], seconds=0.1)
    for route in plan.routes:
        path = [start, *(s.place for s in route.stops), start]
        for a, b in itertools.pairwise(path):
            assert not across_sea(a, b), (a, b)
    for sid, left in plan.unassigned.items():
        assert left.reason.code in {
            ReasonCode.LAB_ACROSS_SEA,
            ReasonCode.HOSPITAL_ACROSS_SEA,
            ReasonCode.TOO_LONG,
            ReasonCode.NO_ROOM,
        }, sid


@pytest.mark.parametrize("bad", [(-1, 0), (0, -1), (float("inf"), 0)])
def test_bad_ferries_are_refused(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="ferry"):
        Ferry(*bad)

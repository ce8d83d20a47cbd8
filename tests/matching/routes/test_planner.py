"""The hub-facing planner: constraints, reason codes for what cannot be served, split loads."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching.routes import (
    Driver,
    HaversineProvider,
    Place,
    Plan,
    PlannedRoute,
    Reason,
    ReasonCode,
    Shipment,
    TravelMatrix,
    Unassigned,
    plan_routes,
)

# Real places, about 5-15 km apart: a fablab in the 11th, hospitals around Paris.
FABLAB = Place(2.3790, 48.8590)
PITIE = Place(2.3650, 48.8380)
BICHAT = Place(2.3320, 48.8990)
BEAUJON = Place(2.3070, 48.9070)
CRETEIL = Place(2.4530, 48.7900)


def _replay_ok(plan: Plan, shipments: list[Shipment], drivers: list[Driver]) -> None:
    """Independent check of a hub plan: precedence, capacity, windows, shifts, exactly once."""
    by_id = {s.id: s for s in shipments}
    drv = {d.id: d for d in drivers}
    provider = HaversineProvider()
    carried: dict[str, int] = {}
    for route in plan.routes:
        d = drv[route.driver_id]
        places = [d.start, *(s.place for s in route.stops), d.end_place]
        m = provider.matrix(places).duration_min
        t, load, picked = d.shift_start_min, 0, set()
        for k, stop in enumerate(route.stops, start=1):
            s = by_id[stop.shipment_id]
            t += m[k - 1, k]
            assert stop.arrival_min == pytest.approx(t)
            window = s.pickup_window if stop.kind == "pickup" else s.delivery_window
            assert t <= window[1] + 1e-6, (route.driver_id, stop)
            service = s.pickup_service_min if stop.kind == "pickup" else s.delivery_service_min
            t = max(t, window[0]) + service
            key = (stop.shipment_id, stop.load_number)
            if stop.kind == "pickup":
                assert stop.place == s.pickup
                picked.add(key)
                load += stop.quantity
            else:
                assert stop.place == s.delivery
                assert key in picked, "delivery before pickup"
                picked.discard(key)
                load -= stop.quantity
                carried[s.id] = carried.get(s.id, 0) + stop.quantity
            assert 0 <= load <= d.capacity
            assert stop.load_after == load
        assert not picked
        t += m[len(route.stops), len(route.stops) + 1]
        assert t - d.shift_start_min <= d.available_minutes + 1e-6
        assert route.duration_min == pytest.approx(t - d.shift_start_min)
    for s in shipments:
        if s.id in plan.unassigned:
            assert s.id not in carried or carried[s.id] < s.quantity
        else:
            assert carried.get(s.id) == s.quantity, f"{s.id} not carried exactly once"


def test_one_driver_serves_two_hospitals_within_windows() -> None:
    shipments = [
        Shipment("b1", FABLAB, PITIE, 30, delivery_window=(60, 180)),
        Shipment("b2", FABLAB, BICHAT, 20, pickup_window=(0, 30)),
    ]
    drivers = [Driver("d1", FABLAB, capacity=50, available_minutes=300)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    assert plan.unassigned == {}
    assert len(plan.routes) == 1
    _replay_ok(plan, shipments, drivers)
    first = {s.shipment_id: s for s in plan.routes[0].stops if s.kind == "delivery"}
    assert first["b1"].departure_min >= 60 + 5  # waited for the hospital to open


def test_capacity_forces_two_drivers() -> None:
    shipments = [
        Shipment("b1", FABLAB, PITIE, 40, delivery_window=(0, 25)),
        Shipment("b2", FABLAB, BEAUJON, 40, delivery_window=(0, 25)),
    ]
    drivers = [
        Driver("d1", FABLAB, capacity=50, available_minutes=120),
        Driver("d2", FABLAB, capacity=50, available_minutes=120),
    ]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    assert plan.unassigned == {}
    assert len(plan.routes) == 2
    _replay_ok(plan, shipments, drivers)


def test_too_big_a_batch_is_split_into_loads() -> None:
    shipments = [Shipment("big", FABLAB, PITIE, 120)]
    drivers = [Driver("d1", FABLAB, capacity=50, available_minutes=480)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    assert plan.unassigned == {}
    deliveries = [s for r in plan.routes for s in r.stops if s.kind == "delivery"]
    assert sorted(s.quantity for s in deliveries) == [40, 40, 40]
    assert {s.load_number for s in deliveries} == {1, 2, 3}
    _replay_ok(plan, shipments, drivers)


def test_too_big_a_batch_gets_a_reason_when_splitting_is_off() -> None:
    shipments = [Shipment("X", FABLAB, PITIE, 120)]
    drivers = [Driver("d1", FABLAB, capacity=50, available_minutes=480)]
    plan = plan_routes(shipments, drivers, seconds=0.3, split_loads=False)
    assert plan.routes == ()
    assert plan.unassigned["X"] == Unassigned((Reason(ReasonCode.TOO_BIG, units=120, capacity=50),))


def test_window_closing_before_anyone_can_arrive_is_a_reason() -> None:
    shipments = [Shipment("late", FABLAB, CRETEIL, 10, delivery_window=(0, 10))]
    drivers = [Driver("d1", FABLAB, capacity=50, available_minutes=480)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    assert plan.routes == ()
    reason = plan.unassigned["late"].reason
    assert reason.code is ReasonCode.HOSPITAL_CLOSED and reason.closes_at == 10
    # The earliest arrival: 5 min at the lab, then the drive to Créteil at 50 km/h.
    assert reason.earliest_at is not None and 10 < reason.earliest_at < 60


def test_a_lab_closed_for_the_shift_is_a_reason() -> None:
    shipments = [Shipment("s", FABLAB, PITIE, 10, pickup_window=(0, 30))]
    drivers = [Driver("d1", CRETEIL, capacity=50, available_minutes=480, shift_start_min=60)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    reason = plan.unassigned["s"].reason
    assert reason.code is ReasonCode.LAB_CLOSED and reason.closes_at == 30
    assert reason.earliest_at is not None and reason.earliest_at > 60  # the shift starts at 60


def test_round_trip_longer_than_the_shift_is_a_reason() -> None:
    far = Place(4.8357, 45.7640)  # Lyon: a round trip of about 20 hours at 50 km/h
    shipments = [Shipment("lyon", FABLAB, far, 10)]
    drivers = [Driver("d1", FABLAB, capacity=50, available_minutes=120)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    reason = plan.unassigned["lyon"].reason
    assert reason.code is ReasonCode.TOO_LONG and reason.available_minutes == 120
    assert reason.trip_minutes is not None and 18 * 60 < reason.trip_minutes < 22 * 60


def test_more_work_than_drivers_leaves_some_with_a_reason() -> None:
    # Each trip takes one driver most of the shift; three trips, two drivers.
    shipments = [Shipment(f"b{k}", FABLAB, CRETEIL, 40, delivery_window=(0, 40)) for k in range(3)]
    drivers = [Driver(f"d{k}", FABLAB, capacity=50, available_minutes=100) for k in range(2)]
    plan = plan_routes(shipments, drivers, seconds=0.5)
    assert len(plan.unassigned) == 1
    assert next(iter(plan.unassigned.values())) == Unassigned((Reason(ReasonCode.NO_ROOM),))
    _replay_ok(plan, shipments, drivers)


def test_no_driver_and_no_shipment() -> None:
    s = Shipment("b", FABLAB, PITIE, 1)
    no_driver = Unassigned((Reason(ReasonCode.NO_DRIVER),))
    assert plan_routes([s], []).unassigned == {"b": no_driver}
    empty = plan_routes([], [Driver("d", FABLAB, 5, 60)])
    assert empty.routes == () and empty.unassigned == {}


def test_bad_input_raises_value_error() -> None:
    with pytest.raises(ValueError):
        Shipment("b", FABLAB, PITIE, 0)
    with pytest.raises(ValueError):
        Shipment("b", FABLAB, PITIE, 1, delivery_window=(60, 30))
    with pytest.raises(ValueError):
        Driver("d", FABLAB, capacity=0, available_minutes=60)
    with pytest.raises(ValueError):
        Place(200.0, 48.0)
    with pytest.raises(ValueError, match="duplicate shipment"):
        plan_routes([Shipment("b", FABLAB, PITIE, 1)] * 2, [Driver("d", FABLAB, 5, 60)])


def test_driver_ending_elsewhere_and_starting_later() -> None:
    shipments = [Shipment("b", FABLAB, PITIE, 10, delivery_window=(480, 540))]
    drivers = [Driver("d", BICHAT, 20, available_minutes=120, end=CRETEIL, shift_start_min=450)]
    plan = plan_routes(shipments, drivers, seconds=0.3)
    assert plan.unassigned == {}
    route: PlannedRoute = plan.routes[0]
    assert route.start_min == 450
    _replay_ok(plan, shipments, drivers)


class _UnreachableHospital:
    """A matrix provider where one hospital cannot be reached by road."""

    def matrix(self, places: list[Place]) -> TravelMatrix:
        base = HaversineProvider().matrix(places)
        dist, dur = base.distance_km.copy(), base.duration_min.copy()
        for i, p in enumerate(places):
            if p == CRETEIL:
                dist[:, i] = dist[i, :] = math.inf
                dur[:, i] = dur[i, :] = math.inf
                dist[i, i] = dur[i, i] = 0.0
        return TravelMatrix(distance_km=dist, duration_min=dur)


def test_an_unreachable_hospital_is_a_reason_and_others_still_go() -> None:
    shipments = [Shipment("a", FABLAB, CRETEIL, 5), Shipment("b", FABLAB, PITIE, 5)]
    drivers = [Driver("d", FABLAB, 20, available_minutes=240)]
    plan = plan_routes(shipments, drivers, matrix_provider=_UnreachableHospital(), seconds=0.3)
    assert plan.unassigned["a"].reason == Reason(ReasonCode.HOSPITAL_UNREACHABLE)
    assert [s.shipment_id for s in plan.routes[0].stops] == ["b", "b"]
    assert np.isfinite(plan.routes[0].distance_km)


@pytest.mark.parametrize("backend", ["pyvrp", "ortools"])
def test_random_scenarios_are_feasible_on_both_backends(backend: str) -> None:
    rng = np.random.default_rng(7)
    labs = [Place(2.2 + 0.3 * rng.random(), 48.75 + 0.2 * rng.random()) for _ in range(4)]
    hospitals = [Place(2.2 + 0.3 * rng.random(), 48.75 + 0.2 * rng.random()) for _ in range(6)]
    shipments = []
    for k in range(12):
        open_ = float(rng.integers(0, 120))
        shipments.append(
            Shipment(
                f"s{k}",
                labs[k % 4],
                hospitals[k % 6],
                int(rng.integers(5, 40)),
                pickup_window=(0.0, 240.0),
                delivery_window=(open_, open_ + 120.0),
            )
        )
    drivers = [Driver(f"d{k}", labs[k], capacity=60, available_minutes=300) for k in range(3)]
    plan = plan_routes(shipments, drivers, seconds=0.5, backend=backend)  # type: ignore[arg-type]
    _replay_ok(plan, shipments, drivers)
    assert len(plan.unassigned) <= 2


def test_every_load_of_a_split_batch_left_out_is_counted() -> None:
    """A split batch whose loads all miss the window: one reason, three loads of three."""
    shipments = [Shipment("s", FABLAB, CRETEIL, 120, delivery_window=(0, 10))]
    plan = plan_routes(shipments, [Driver("d1", FABLAB, 50, available_minutes=480)], seconds=0.3)
    left = plan.unassigned["s"]
    assert (left.loads_out, left.loads) == (3, 3)
    assert [r.code for r in left.reasons] == [ReasonCode.HOSPITAL_CLOSED]


def test_a_reason_carries_exactly_its_codes_figures() -> None:
    """Figures a code does not use, or missing ones, are refused: the hub words every figure."""
    assert Reason(ReasonCode.TOO_BIG, units=3, capacity=2).figures() == {"units": 3, "capacity": 2}
    with pytest.raises(ValueError, match="TOO_BIG"):
        Reason(ReasonCode.TOO_BIG, units=3)
    with pytest.raises(ValueError, match="NO_ROOM"):
        Reason(ReasonCode.NO_ROOM, units=3)

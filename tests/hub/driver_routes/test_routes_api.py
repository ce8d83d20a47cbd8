"""Drivers' routes through the API: plan, reserve, stops done, give back, GPX, and races.

Every planned route is replayed by ``matching.routes.check_solution`` on an instance rebuilt
from the hub's own rows (sites' hours, batches' quantities), so the check does not trust the
planner's reading of the database.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import gpxpy
import httpx
import numpy as np
import pytest
from support.data import LIFTED_LIMITS

from hub.config import Settings
from hub.driver_routes.service import planning
from hub.rules.totals import add_into
from hub.timeutil import PARIS
from matching.routes import (
    HaversineProvider,
    Instance,
    Place,
    Request,
    Solution,
    Vehicle,
    check_solution,
)

# Plan at 10:00 in Paris whatever the hour the tests run: labs open 08:00-18:00.
TEN_AM = datetime.now(PARIS).replace(hour=10, minute=0, second=0, microsecond=0)
START = {"start_lat": 45.1885, "start_lon": 5.7245}  # Grenoble centre

# Grenoble-area places: (lat, lon).
LABS = [(45.1930, 5.7680), (45.1650, 5.7100), (45.2100, 5.6900)]
HOSPITALS = [(45.2000, 5.7400), (45.1550, 5.7300)]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan from 10:00 whatever the hour the tests run."""
    monkeypatch.setattr(planning, "now", lambda: TEN_AM)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test settings with a short solve: the tests are about the hub, not the solver."""
    return Settings(database_url=database_url, **LIFTED_LIMITS, route_seconds=0.3)


async def _ready_batch(client: httpx.AsyncClient, maker, lab_id: int, need_id: int, n: int) -> int:
    """Claim ``n`` units of a need for a lab, make them all and mark the batch ready."""
    r = await client.post(
        f"/api/v1/needs/{need_id}/claims",
        json={"lab_id": lab_id, "quantity": n},
        headers=maker.headers,
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    r = await client.post(
        f"/api/v1/batches/{bid}/progress", json={"made": n}, headers=maker.headers
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/batches/{bid}/ready", headers=maker.headers)
    assert r.status_code == 200, r.text
    return int(bid)


@pytest.fixture
async def world(hub, client: httpx.AsyncClient) -> dict[str, Any]:
    """Three labs and two hospitals around Grenoble; six ready batches of 10 to 35 units."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospitals = [
        await hub.site(staff, "hospitals", lat=lat, lon=lon, name=f"CHU {i}")
        for i, (lat, lon) in enumerate(HOSPITALS)
    ]
    labs = [
        await hub.site(maker, "labs", lat=lat, lon=lon, name=f"Fablab {i}")
        for i, (lat, lon) in enumerate(LABS)
    ]
    needs = [await hub.need(staff, h["id"], quantity=200) for h in hospitals]
    batches = []
    for k, quantity in enumerate((10, 15, 20, 25, 30, 35)):
        lab, need = labs[k % 3], needs[k % 2]
        batches.append(await _ready_batch(client, maker, lab["id"], need["id"], quantity))
    return {
        "staff": staff,
        "maker": maker,
        "labs": labs,
        "hospitals": hospitals,
        "needs": needs,
        "batches": batches,
    }


async def _plan(
    client: httpx.AsyncClient, driver, lang: str = "en", **extra: Any
) -> httpx.Response:
    body = {**START, "capacity_units": 60, "available_minutes": 240, **extra}
    headers = {**driver.headers, "Accept-Language": lang}
    return await client.post("/api/v1/routes", json=body, headers=headers)


async def _batch(client: httpx.AsyncClient, who, bid: int) -> dict[str, Any]:
    r = await client.get(f"/api/v1/batches/{bid}", headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _minutes(value: str) -> float:
    at = datetime.fromisoformat(value).astimezone(PARIS)
    return at.hour * 60 + at.minute + at.second / 60


async def check_route(client: httpx.AsyncClient, who, route: dict[str, Any]) -> None:
    """Replay a hub route with the independent checker, from the hub's own rows."""
    stops = route["stops"]
    start = Place(route["start_lon"], route["start_lat"])
    places = [start, start]
    early, late = [0.0, 0.0], [np.inf, np.inf]
    node_of: dict[tuple[int, str], int] = {}
    requests = []
    for bid in dict.fromkeys(s["batch_id"] for s in stops):
        batch = await _batch(client, who, bid)
        for kind in ("pickup", "delivery"):
            stop = next(s for s in stops if s["batch_id"] == bid and s["kind"] == kind)
            assert stop["quantity"] == batch["made"], "a route carries whole ready batches"
            node_of[(bid, kind)] = len(places)
            places.append(Place(stop["lon"], stop["lat"]))
            h, m = stop["opens"].split(":")
            early.append(int(h) * 60 + int(m))
            h, m = stop["closes"].split(":")
            late.append(int(h) * 60 + int(m))
        requests.append(
            Request(node_of[(bid, "pickup")], node_of[(bid, "delivery")], batch["made"])
        )
    travel = HaversineProvider(circuity=1.3, speed_kmh=50.0).matrix(places)
    shift_start = 600.0
    instance = Instance(
        distance=travel.distance_km,
        duration=travel.duration_min,
        early=np.array(early),
        late=np.array(late),
        service=np.array([0.0, 0.0] + [planning.SERVICE_MIN] * (len(places) - 2)),
        requests=tuple(requests),
        vehicles=(
            Vehicle(
                0, 1, route["capacity_units"], shift_start, shift_start + route["available_minutes"]
            ),
        ),
    )
    order = tuple(node_of[(s["batch_id"], s["kind"])] for s in stops)
    assert [s["seq"] for s in stops] == list(range(1, len(stops) + 1))
    assert check_solution(instance, Solution(routes=(order,))) == []
    assert route["distance_km"] == pytest.approx(instance.route_distance(0, list(order)), 1e-3)
    # ETAs: in order, inside each site's hours, and after the start.
    etas = [await _minutes(s["eta"]) for s in stops]
    assert etas == sorted(etas)
    for s, eta in zip(stops, etas, strict=True):
        assert early[node_of[(s["batch_id"], s["kind"])]] <= eta + 1e-6
        assert eta <= late[node_of[(s["batch_id"], s["kind"])]] + 1e-6


async def test_journey_ready_batches_route_stops_done_delivered(
    hub, client: httpx.AsyncClient, world
) -> None:
    driver = await hub.account("driver")
    r = await _plan(client, driver)
    assert r.status_code == 201, r.text
    route = r.json()
    assert route["status"] == "active" and route["stops"]
    assert route["distance_km"] > 0 and route["duration_min"] > 0
    await check_route(client, driver, route)
    first = route["stops"][0]
    assert first["kind"] == "pickup"
    assert first["contact_phone"] == "+33 4 76 00 00 00"
    assert first["geo_uri"].startswith(f"geo:{first['lat']:.6f},{first['lon']:.6f}?q=")
    assert "openstreetmap.org/directions" in first["directions_url"]
    assert "route=45.18850,5.72450;" in first["directions_url"]
    # The driver now sees the contacts of the sites on the route, through the sites API too.
    site = await client.get(f"/api/v1/labs/{first['site_id']}", headers=driver.headers)
    assert site.json()["contact_phone"] == "+33 4 76 00 00 00"

    log = await client.get("/api/v1/events?since=0&limit=1000", headers=driver.headers)
    last = log.json()["items"][-1]["id"]
    for stop in route["stops"]:
        r = await client.post(
            f"/api/v1/routes/{route['id']}/stops/{stop['seq']}/done",
            json={"quantity": stop["quantity"]},
            headers=driver.headers,
        )
        assert r.status_code == 200, r.text
        batch = await _batch(client, driver, stop["batch_id"])
        counter = "picked_up" if stop["kind"] == "pickup" else "delivered"
        assert batch["state"] == counter
        assert batch[counter] == stop["quantity"]
    assert r.json()["status"] == "done"
    assert all(s["done_quantity"] == s["quantity"] for s in r.json()["stops"])

    # Each stop done is an event whose totals delta moves picked_up / delivered.
    log = await client.get(f"/api/v1/events?since={last}&limit=1000", headers=driver.headers)
    items = log.json()["items"]
    kinds = [e["kind"] for e in items]
    assert (
        kinds.count("batch.picked_up") == kinds.count("batch.delivered") == len(route["stops"]) // 2
    )
    delta: dict[str, dict[str, int]] = {}
    for e in items:
        add_into(delta, e["payload"].get("totals_delta", {}))
    carried = sum(s["quantity"] for s in route["stops"] if s["kind"] == "pickup")
    assert delta["face-shield-prusa-rc3"]["delivered"] == carried
    assert delta["face-shield-prusa-rc3"]["picked_up"] == carried
    stats = (await client.get("/api/v1/stats")).json()["totals"]["face-shield-prusa-rc3"]
    assert stats["delivered"] == carried

    # A second route only gets what is still ready: never a delivered batch again.
    again = await _plan(client, driver, capacity_units=200, available_minutes=600)
    if again.status_code == 201:
        await check_route(client, driver, again.json())
        done = {s["batch_id"] for s in route["stops"]}
        assert not done & {s["batch_id"] for s in again.json()["stops"]}
    else:
        assert again.status_code == 409, again.text


async def test_two_drivers_at_once_never_share_a_batch(
    hub, client: httpx.AsyncClient, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Count lost races: identical requests plan identical routes, so all but one must re-plan.
    lost = []
    reserve = planning._reserve

    async def spy(*args: Any, **kwargs: Any) -> Any:
        route = await reserve(*args, **kwargs)
        lost.append(route is None)
        return route

    monkeypatch.setattr(planning, "_reserve", spy)
    drivers = [await hub.account("driver") for _ in range(3)]
    answers = await asyncio.gather(*(_plan(client, d, capacity_units=40) for d in drivers))
    routes = [a.json() for a in answers if a.status_code == 201]
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert routes
    seen: list[int] = []
    for driver, answer in zip(drivers, answers, strict=True):
        if answer.status_code == 201:
            await check_route(client, driver, answer.json())
            seen += list({s["batch_id"] for s in answer.json()["stops"]})
    assert len(seen) == len(set(seen)), "a batch was given to two drivers"
    assert any(lost), "the race was not exercised: every driver planned after the others"


async def test_the_database_refuses_two_open_pickups_of_one_batch(
    hub, client: httpx.AsyncClient, world, app
) -> None:
    """The unique index behind the locks: even a buggy code path cannot double-book."""
    from sqlalchemy.exc import IntegrityError

    from hub.driver_routes.models import Route, RouteStop

    driver = await hub.account("driver")
    route = (await _plan(client, driver)).json()
    pickup = route["stops"][0]
    with pytest.raises(IntegrityError):
        async for session in app.state.db.write():
            other = Route(
                driver_id=driver.id,
                start_lat=45.0,
                start_lon=5.0,
                capacity=10,
                available_minutes=60,
                distance_km=0.0,
                duration_min=0.0,
            )
            session.add(other)
            await session.flush()
            session.add(
                RouteStop(
                    route_id=other.id,
                    seq=1,
                    kind="pickup",
                    batch_id=pickup["batch_id"],
                    open_batch_id=pickup["batch_id"],
                    site_id=pickup["site_id"],
                    quantity=1,
                    eta=TEN_AM,
                )
            )
            await session.flush()


async def test_only_the_driver_changes_or_reads_the_route(
    hub, client: httpx.AsyncClient, world
) -> None:
    driver, other = await hub.account("driver"), await hub.account("driver")
    route = (await _plan(client, driver)).json()
    url = f"/api/v1/routes/{route['id']}"
    done = await client.post(f"{url}/stops/1/done", json={"quantity": 1}, headers=other.headers)
    assert done.status_code == 403
    assert (await client.post(f"{url}/release", headers=other.headers)).status_code == 403
    assert (await client.get(f"{url}/gpx", headers=other.headers)).status_code == 403
    assert (await client.get(url, headers=other.headers)).status_code == 403
    assert (await client.get(url)).status_code == 401
    assert (await client.get("/api/v1/routes/999999", headers=driver.headers)).status_code == 404
    # A maker is not a driver.
    assert (await _plan(client, world["maker"])).status_code == 403
    batch = await _batch(client, driver, route["stops"][0]["batch_id"])
    assert batch["state"] == "ready" and batch["picked_up"] == 0


async def test_stop_rules_quantities_and_order(hub, client: httpx.AsyncClient, world) -> None:
    driver = await hub.account("driver")
    route = (await _plan(client, driver)).json()
    url = f"/api/v1/routes/{route['id']}/stops"
    pickup = route["stops"][0]
    delivery = next(
        s for s in route["stops"] if s["kind"] == "delivery" and s["batch_id"] == pickup["batch_id"]
    )
    early = await client.post(
        f"{url}/{delivery['seq']}/done", json={"quantity": 1}, headers=driver.headers
    )
    assert early.status_code == 409 and "Pick up" in early.json()["detail"]
    too_many = await client.post(
        f"{url}/{pickup['seq']}/done",
        json={"quantity": pickup["quantity"] + 1},
        headers=driver.headers,
    )
    assert too_many.status_code == 422
    negative = await client.post(
        f"{url}/{pickup['seq']}/done", json={"quantity": -1}, headers=driver.headers
    )
    assert negative.status_code == 422
    assert (
        await client.post(f"{url}/99/done", json={"quantity": 1}, headers=driver.headers)
    ).status_code == 404
    short = pickup["quantity"] - 2
    ok = await client.post(
        f"{url}/{pickup['seq']}/done", json={"quantity": short}, headers=driver.headers
    )
    assert ok.status_code == 200, ok.text
    twice = await client.post(
        f"{url}/{pickup['seq']}/done",
        json={"quantity": short},
        headers={**driver.headers, "Accept-Language": "fr"},
    )
    assert twice.status_code == 409
    assert twice.json()["detail"] == (
        f"L’arrêt {pickup['seq']} a déjà été fait avec {short} unités."
    )
    over = await client.post(
        f"{url}/{delivery['seq']}/done", json={"quantity": short + 1}, headers=driver.headers
    )
    assert over.status_code == 422
    handed = await client.post(
        f"{url}/{delivery['seq']}/done", json={"quantity": short}, headers=driver.headers
    )
    assert handed.status_code == 200
    batch = await _batch(client, driver, pickup["batch_id"])
    assert (batch["picked_up"], batch["delivered"], batch["state"]) == (short, short, "delivered")


async def test_give_back_frees_what_is_not_on_board(hub, client: httpx.AsyncClient, world) -> None:
    """After one pickup, giving the route back frees every other batch; the one in the car
    stays on the route until it is delivered, then the route is done."""
    driver, other = await hub.account("driver"), await hub.account("driver")
    # Take every batch within reach, so that the other driver has nothing left.
    route = (await _plan(client, driver, capacity_units=200, available_minutes=600)).json()
    url = f"/api/v1/routes/{route['id']}"
    planned = {s["batch_id"] for s in route["stops"]}
    assert planned == set(world["batches"])
    assert (await _plan(client, other)).status_code == 409
    first = route["stops"][0]
    assert first["kind"] == "pickup"
    r = await client.post(
        f"{url}/stops/{first['seq']}/done", json={"quantity": 7}, headers=driver.headers
    )
    assert r.status_code == 200
    back = await client.post(f"{url}/release", headers=driver.headers)
    assert back.status_code == 200 and back.json()["status"] == "active"
    stops = back.json()["stops"]
    on_board = [s for s in stops if s["batch_id"] == first["batch_id"]]
    assert [s["given_back"] for s in on_board] == [False, False]
    assert all(s["given_back"] for s in stops if s["batch_id"] != first["batch_id"])
    # Nothing left to give back but the goods in the car.
    again = await client.post(f"{url}/release", headers=driver.headers)
    assert again.status_code == 409 and "deliver them" in again.json()["detail"]
    freed_stop = next(s for s in stops if s["given_back"])
    after = await client.post(
        f"{url}/stops/{freed_stop['seq']}/done", json={"quantity": 1}, headers=driver.headers
    )
    assert after.status_code == 409 and "given back" in after.json()["detail"]
    # The freed batches are plannable again; the one on board is not.
    r = await _plan(client, other, capacity_units=200, available_minutes=600)
    assert r.status_code == 201, r.text
    await check_route(client, other, r.json())
    assert {s["batch_id"] for s in r.json()["stops"]} == planned - {first["batch_id"]}
    # Delivering what is on board finishes the route.
    delivery = next(s for s in on_board if s["kind"] == "delivery")
    done = await client.post(
        f"{url}/stops/{delivery['seq']}/done", json={"quantity": 7}, headers=driver.headers
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    batch = await _batch(client, driver, first["batch_id"])
    assert (batch["picked_up"], batch["delivered"], batch["state"]) == (7, 7, "delivered")


async def test_give_back_before_any_pickup_releases_it_all(
    hub, client: httpx.AsyncClient, world
) -> None:
    driver = await hub.account("driver")
    route = (await _plan(client, driver)).json()
    back = await client.post(f"/api/v1/routes/{route['id']}/release", headers=driver.headers)
    assert back.status_code == 200 and back.json()["status"] == "released"
    assert all(s["given_back"] for s in back.json()["stops"])
    again = await client.post(f"/api/v1/routes/{route['id']}/release", headers=driver.headers)
    assert again.status_code == 409
    # The route's status is a word of the catalogue, in the reader's language.
    assert again.json()["detail"] == f"Route {route['id']} is already given back."
    french = {**driver.headers, "Accept-Language": "fr"}
    again = await client.post(f"/api/v1/routes/{route['id']}/release", headers=french)
    assert again.json()["detail"] == f"La tournée {route['id']} est déjà rendue."
    stop = await client.post(
        f"/api/v1/routes/{route['id']}/stops/1/done", json={"quantity": 1}, headers=french
    )
    assert stop.status_code == 409
    assert stop.json()["detail"] == (
        f"La tournée {route['id']} est rendue\u00a0; ses arrêts ne peuvent plus changer."
    )


async def test_gpx_is_valid_and_has_every_stop(hub, client: httpx.AsyncClient, world) -> None:
    driver = await hub.account("driver")
    route = (await _plan(client, driver)).json()
    r = await client.get(f"/api/v1/routes/{route['id']}/gpx", headers=driver.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/gpx+xml")
    gpx = gpxpy.parse(r.text)
    assert gpx.name == f"Route {route['id']}"
    assert len(gpx.waypoints) == len(route["stops"])
    for wpt, stop in zip(gpx.waypoints, route["stops"], strict=True):
        verb = "Pickup" if stop["kind"] == "pickup" else "Delivery"
        assert wpt.name == f"{stop['seq']}. {verb}: {stop['site']}"
        assert wpt.description.startswith(f"{stop['quantity']} × {stop['design']}, batch ")
        assert wpt.description.endswith(
            f"; contact: {stop['contact_name']} {stop['contact_phone']}"
        )
        assert (wpt.latitude, wpt.longitude) == pytest.approx((stop["lat"], stop["lon"]))
    points = gpx.routes[0].points
    assert len(points) == len(route["stops"]) + 2
    assert (points[0].name, points[-1].name) == ("Start", "End")
    assert (points[0].latitude, points[0].longitude) == (START["start_lat"], START["start_lon"])


async def test_a_french_gpx_has_french_names_and_is_valid_xml(
    hub, client: httpx.AsyncClient, world
) -> None:
    """The GPX is named in the reader's language (Accept-Language), like the API's errors."""
    driver = await hub.account("driver")
    route = (await _plan(client, driver)).json()
    r = await client.get(
        f"/api/v1/routes/{route['id']}/gpx",
        headers={**driver.headers, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"},
    )
    assert r.status_code == 200
    root = ElementTree.fromstring(r.content)  # well-formed, and GPX 1.1
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    gpx = gpxpy.parse(r.text)
    assert gpx.name == gpx.routes[0].name == f"Tournée {route['id']}"
    points = gpx.routes[0].points
    assert (points[0].name, points[-1].name) == ("Départ", "Arrivée")
    for wpt, stop in zip(gpx.waypoints, route["stops"], strict=True):
        verb = "Chargement" if stop["kind"] == "pickup" else "Livraison"
        assert wpt.name == f"{stop['seq']}. {verb}\u00a0: {stop['site']}"
        assert f"× {stop['design']}, lot {stop['batch_code']}\u00a0; {stop['address']}" in (
            wpt.description
        )
        assert wpt.description.endswith(
            f"\u00a0; contact\u00a0: {stop['contact_name']} {stop['contact_phone']}"
        )


async def test_impossible_requests_say_why(hub, client: httpx.AsyncClient, world) -> None:
    driver = await hub.account("driver")
    zero = await _plan(client, driver, capacity_units=0)
    assert zero.status_code == 422 and "capacity_units" in zero.json()["detail"]
    short = await _plan(client, driver, available_minutes=5)
    assert short.status_code == 409
    assert "more than the 5 min available" in short.json()["detail"]
    small = await _plan(client, driver, capacity_units=5)
    assert small.status_code == 409
    # A driver cannot split a batch: the message says what vehicle it needs instead.
    assert (
        "more than your vehicle holds (5): it needs a vehicle of at least" in small.json()["detail"]
    )
    assert "split" not in small.json()["detail"]
    # The planner's reasons, for a French reader.
    short_fr = (await _plan(client, driver, "fr", available_minutes=5)).json()["detail"]
    assert short_fr.startswith("Aucune tournée ne tient en 60 unités et 5 minutes")
    assert "plus que les 5 min disponibles" in short_fr
    small_fr = (await _plan(client, driver, "fr", capacity_units=5)).json()["detail"]
    assert "n’en porte (5)\u00a0: il faut un véhicule d’au moins" in small_fr
    bad_area = await _plan(client, driver, area="planet:mars")
    assert bad_area.status_code == 422
    elsewhere = await _plan(client, driver, area="departement:29")
    assert elsewhere.status_code == 409 and "No ready batch" in elsewhere.json()["detail"]
    missing = await client.post("/api/v1/routes", json={"start_lat": 45.0}, headers=driver.headers)
    assert missing.status_code == 422
    assert (await client.get("/api/v1/routes", headers=driver.headers)).json()["items"] == []


async def test_closed_labs_are_explained_in_paris_time(
    hub, client: httpx.AsyncClient, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "now", lambda: TEN_AM + timedelta(hours=9))
    driver = await hub.account("driver")
    late = await _plan(client, driver)
    assert late.status_code == 409
    assert "closes at 18:00" in late.json()["detail"]
    late_fr = await _plan(client, driver, "fr")
    assert "l’atelier ferme à 18:00" in late_fr.json()["detail"]


async def test_area_limits_the_batches(hub, client: httpx.AsyncClient, world) -> None:
    driver = await hub.account("driver")
    r = await _plan(
        client, driver, area="departement:38", capacity_units=200, available_minutes=600
    )
    assert r.status_code == 201, r.text
    assert {s["batch_id"] for s in r.json()["stops"]} == set(world["batches"])
    listed = (await client.get("/api/v1/routes", headers=driver.headers)).json()["items"]
    assert [x["id"] for x in listed] == [r.json()["id"]]


async def test_a_reserved_batch_cannot_be_cancelled_under_the_driver(
    hub, client: httpx.AsyncClient, world
) -> None:
    driver = await hub.account("driver")
    route = (await _plan(client, driver, capacity_units=200, available_minutes=600)).json()
    reserved = route["stops"][0]["batch_id"]
    r = await client.post(f"/api/v1/batches/{reserved}/cancel", headers=world["maker"].headers)
    assert r.status_code == 409
    assert "give the route back" in r.json()["detail"]
    assert (await _batch(client, world["maker"], reserved))["state"] == "ready"


async def test_a_receipt_before_the_delivery_tap_still_lets_the_route_finish(
    hub, client: httpx.AsyncClient, world
) -> None:
    driver = await hub.account("driver")
    route = (await _plan(client, driver, capacity_units=200, available_minutes=600)).json()
    url = f"/api/v1/routes/{route['id']}/stops"
    stops = route["stops"]
    for stop in (s for s in stops if s["kind"] == "pickup"):
        r = await client.post(
            f"{url}/{stop['seq']}/done",
            json={"quantity": stop["quantity"]},
            headers=driver.headers,
        )
        assert r.status_code == 200, r.text
    first_delivery = next(s for s in stops if s["kind"] == "delivery")
    # The hospital counts the boxes while the driver is still parking.
    receipt = await client.post(
        f"/api/v1/batches/{first_delivery['batch_id']}/receipt",
        json={"accepted": first_delivery["quantity"]},
        headers=world["staff"].headers,
    )
    assert receipt.status_code == 200, receipt.text
    # The receipt closed that delivery: the driver is told so if they tap it anyway.
    seen = (await client.get(f"/api/v1/routes/{route['id']}", headers=driver.headers)).json()
    closed = next(s for s in seen["stops"] if s["seq"] == first_delivery["seq"])
    assert closed["received_directly"] and closed["done_quantity"] == first_delivery["quantity"]
    late = await client.post(
        f"{url}/{first_delivery['seq']}/done",
        json={"quantity": first_delivery["quantity"]},
        headers={**driver.headers, "Accept-Language": "fr"},
    )
    assert late.status_code == 409 and "a déjà confirmé la réception" in late.json()["detail"]
    others = [s for s in stops if s["kind"] == "delivery" and s["seq"] != first_delivery["seq"]]
    for stop in others:
        r = await client.post(
            f"{url}/{stop['seq']}/done",
            json={"quantity": stop["quantity"]},
            headers=driver.headers,
        )
        assert r.status_code == 200, r.text
    final = await client.get(f"/api/v1/routes/{route['id']}", headers=driver.headers)
    assert final.json()["status"] == "done"
    assert (await _batch(client, driver, first_delivery["batch_id"]))["state"] == "received"


async def _route_holding(client: httpx.AsyncClient, hub, world) -> tuple[Any, dict[str, Any]]:
    """A driver with a route that has picked up nothing yet."""
    driver = await hub.account("driver")
    route = (await _plan(client, driver, capacity_units=200, available_minutes=600)).json()
    assert route["stops"], route
    return driver, route


async def test_a_receipt_of_a_reserved_batch_closes_the_drivers_stops(
    hub, client: httpx.AsyncClient, world
) -> None:
    """The hole: a hospital confirmed receipt of a batch a driver had reserved; the stops
    stayed open, pointing at a received batch, and the route showed both contacts until the
    driver gave it back. The receipt now wins, and the driver's route says so."""
    driver, route = await _route_holding(client, hub, world)
    pickup = next(s for s in route["stops"] if s["kind"] == "pickup")
    bid = pickup["batch_id"]
    delivery = next(s for s in route["stops"] if s["batch_id"] == bid and s["kind"] == "delivery")
    assert pickup["contact_phone"] and delivery["contact_phone"]
    # The maker drove the boxes over himself.
    made = (await _batch(client, world["maker"], bid))["made"]
    r = await client.post(
        f"/api/v1/batches/{bid}/receipt", json={"accepted": made}, headers=world["staff"].headers
    )
    assert r.status_code == 200, r.text
    seen = (await client.get(f"/api/v1/routes/{route['id']}", headers=driver.headers)).json()
    for stop in (s for s in seen["stops"] if s["batch_id"] == bid):
        assert stop["received_directly"] and not stop["given_back"]
        assert stop["contact_name"] is None and stop["contact_phone"] is None
    # Its sites' contacts are no longer the driver's, through the sites API either.
    lab_seen = await client.get(f"/api/v1/labs/{pickup['site_id']}", headers=driver.headers)
    others_at_lab = [
        s for s in seen["stops"] if s["site_id"] == pickup["site_id"] and s["batch_id"] != bid
    ]
    if not others_at_lab:
        assert lab_seen.json()["contact_phone"] is None
    tapped = await client.post(
        f"/api/v1/routes/{route['id']}/stops/{pickup['seq']}/done",
        json={"quantity": pickup["quantity"]},
        headers=driver.headers,
    )
    assert tapped.status_code == 409 and "confirmed receipt" in tapped.json()["detail"]
    # The planner may offer the route's other batches again only after a give-back; this one
    # is received and never offered again.
    assert (await _batch(client, world["maker"], bid))["state"] == "received"


async def test_a_route_ends_when_receipts_close_its_last_stops(
    hub, client: httpx.AsyncClient, world
) -> None:
    """Every batch of a route received by hand: the route is over, nothing dangles."""
    driver, route = await _route_holding(client, hub, world)
    for bid in sorted({s["batch_id"] for s in route["stops"]}):
        made = (await _batch(client, world["maker"], bid))["made"]
        r = await client.post(
            f"/api/v1/batches/{bid}/receipt",
            json={"accepted": made},
            headers=world["staff"].headers,
        )
        assert r.status_code == 200, r.text
    seen = (await client.get(f"/api/v1/routes/{route['id']}", headers=driver.headers)).json()
    assert seen["status"] == "done"
    assert all(s["contact_phone"] is None for s in seen["stops"])


async def test_cancelling_a_need_with_a_reserved_batch_is_refused_whole(
    hub, client: httpx.AsyncClient, world
) -> None:
    """A need whose batch a driver holds cannot be cancelled under the driver: nothing of it
    changes, and the hospital is told what to do."""
    _driver, route = await _route_holding(client, hub, world)
    bid = route["stops"][0]["batch_id"]
    need_id = (await _batch(client, world["maker"], bid))["need_id"]
    before = (await client.get(f"/api/v1/needs/{need_id}", headers=world["staff"].headers)).json()
    r = await client.post(
        f"/api/v1/needs/{need_id}/cancel",
        headers={**world["staff"].headers, "Accept-Language": "fr"},
    )
    assert r.status_code == 409
    assert "doit d’abord la rendre" in r.json()["detail"]
    after = (await client.get(f"/api/v1/needs/{need_id}", headers=world["staff"].headers)).json()
    assert after == before


async def test_suspending_a_lab_leaves_a_drivers_reserved_batches_alone(
    hub, client: httpx.AsyncClient, world
) -> None:
    """A suspension sends the lab's work at the lab back to the pool, but a batch a driver
    holds stays with the driver (the boxes may be in the car)."""
    coordinator = await hub.account("coordinator", area="region:84")
    _driver, route = await _route_holding(client, hub, world)
    lab_id = route["stops"][0]["site_id"]
    held = {s["batch_id"] for s in route["stops"] if s["site_id"] == lab_id}
    r = await client.post(
        f"/api/v1/labs/{lab_id}/suspend",
        json={"reason": "fausse adresse"},
        headers=coordinator.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["site"]["status"] == "suspended"
    assert not held & set(r.json()["cancelled_batch_ids"])
    for bid in held:
        assert (await _batch(client, world["maker"], bid))["state"] == "ready"


async def test_a_route_given_back_shows_a_home_as_anyone_sees_it(
    hub, client: httpx.AsyncClient
) -> None:
    """The hole (found attacking it): once a driver gave the route back, its stops, GPX and
    calendar still gave a maker's home address, exact place and the batches' tracking codes,
    which every other channel had stopped giving that driver."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", lat=HOSPITALS[0][0], lon=HOSPITALS[0][1])
    home = await hub.site(
        maker, "labs", lat=45.16123, lon=5.71234, kind="home", address="12 impasse Privée"
    )
    need = await hub.need(staff, hospital["id"], quantity=50)
    bid = await _ready_batch(client, maker, home["id"], need["id"], 20)
    code = (await _batch(client, maker, bid))["code"]
    driver = await hub.account("driver")
    planned = await _plan(client, driver)
    assert planned.status_code == 201, planned.text
    route = planned.json()
    url = f"/api/v1/routes/{route['id']}"
    pickup = next(s for s in route["stops"] if s["kind"] == "pickup")
    # While the stop is to do, the driver has what the trip needs.
    assert (pickup["address"], pickup["lat"], pickup["batch_code"]) == (
        "12 impasse Privée",
        45.16123,
        code,
    )
    # So does the batch itself, to its driver only (hub.access.batch_parties).
    other = await hub.account("driver")

    async def code_seen(who) -> tuple[str | None, str | None]:
        """The batch's code as ``who`` sees it in the list and on its own."""
        listed = (await client.get("/api/v1/batches", headers=who.headers)).json()["items"]
        one = await _batch(client, who, bid)
        return next(b for b in listed if b["id"] == bid)["code"], one["code"]

    assert await code_seen(driver) == (code, code)
    assert await code_seen(other) == (None, None)
    assert (await client.post(f"{url}/release", headers=driver.headers)).status_code == 200
    assert await code_seen(driver) == (None, None)
    seen = [
        (await client.get(path, headers=driver.headers)).text
        for path in (url, "/api/v1/routes", f"{url}/gpx", f"{url}/calendar.ics")
    ]
    for text in seen:
        assert "impasse" not in text and code not in text and "45.16123" not in text, text
    after = next(s for s in (await client.get(url, headers=driver.headers)).json()["stops"]
                 if s["kind"] == "pickup")  # fmt: skip
    assert after["address"] is None and after["batch_code"] is None
    assert after["lat"] == pytest.approx(45.16, abs=0.006)

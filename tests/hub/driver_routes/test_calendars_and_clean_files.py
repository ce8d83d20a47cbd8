"""A driver's files stay valid whatever a name holds, and routes and pickups come as calendars.

A lab name pasted from another program with a control character (``\\x13``) used to make the
driver's GPX file invalid XML (issue 16). The iCalendar files give one event per stop with its
place (GEO), address and contact.
"""

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import gpxpy
import httpx
import icalendar
import pytest
from sqlalchemy import update

from hub.config import Settings
from hub.driver_routes.service import planning
from hub.sites.models import Site
from hub.timeutil import PARIS

TEN_AM = datetime.now(PARIS).replace(hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan from 10:00 whatever the hour the tests run (labs open 08:00-18:00)."""
    monkeypatch.setattr(planning, "now", lambda: TEN_AM)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A short solve: these tests are about the files."""
    return Settings(database_url=database_url, auth_rate_per_minute=100_000, route_seconds=0.3)


@pytest.fixture
async def route(hub, client: httpx.AsyncClient, app) -> dict[str, Any]:
    """One ready batch from a lab whose stored name has control characters, and a route."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", lat=45.2000, lon=5.7400, name="CHU Nord")
    lab = await hub.site(maker, "labs", lat=45.1930, lon=5.7680, name="Fablab")
    need = await hub.need(staff, hospital["id"], quantity=50)
    batch = await hub.claim(maker, need["id"], lab["id"], 20)
    for path, body in (("progress", {"made": 20}), ("ready", None)):
        r = await client.post(
            f"/api/v1/batches/{batch['id']}/{path}", json=body, headers=maker.headers
        )
        assert r.status_code == 200, r.text
    # Stored before input was cleaned: the writers must cope.
    async with app.state.db.transaction() as session:
        await session.execute(
            update(Site)
            .where(Site.id == lab["id"])
            .values(
                name="Fablab\x13 des Alpes", address="1 rue\x0b du Test", contact_name="Éva\x1b"
            )
        )
    driver = await hub.account("driver")
    r = await client.post(
        "/api/v1/routes",
        json={
            "start_lat": 45.1885,
            "start_lon": 5.7245,
            "capacity_units": 60,
            "available_minutes": 240,
        },
        headers=driver.headers,
    )
    assert r.status_code == 201, r.text
    return {"route": r.json(), "driver": driver, "maker": maker, "lab": lab, "staff": staff}


async def test_gpx_is_valid_xml_with_a_control_character_in_a_name(
    client: httpx.AsyncClient, route: dict[str, Any]
) -> None:
    rid = route["route"]["id"]
    r = await client.get(f"/api/v1/routes/{rid}/gpx", headers=route["driver"].headers)
    assert r.status_code == 200
    ElementTree.fromstring(r.content)  # raised "not well-formed (invalid token)" before
    names = [w.name for w in gpxpy.parse(r.text).waypoints]
    assert "1. Pickup: Fablab des Alpes" in names


async def test_route_as_a_calendar(client: httpx.AsyncClient, route: dict[str, Any]) -> None:
    rid = route["route"]["id"]
    r = await client.get(
        f"/api/v1/routes/{rid}/calendar.ics",
        headers={**route["driver"].headers, "Accept-Language": "fr"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(r.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(route["route"]["stops"]) == 2
    pickup = events[0]
    assert str(pickup["summary"]) == "1. Chargement\u00a0: Fablab des Alpes"
    assert (pickup["geo"].latitude, pickup["geo"].longitude) == (45.193, 5.768)
    assert str(pickup["location"]) == "1 rue du Test"
    assert str(pickup["contact"]) == "Éva +33 4 76 00 00 00"
    stop = route["route"]["stops"][0]
    # iCalendar times are to the second.
    assert pickup.decoded("dtstart") == datetime.fromisoformat(stop["eta"]).replace(microsecond=0)
    assert b"\x13" not in r.content and b"\x1b" not in r.content
    other = await client.get(f"/api/v1/routes/{rid}/calendar.ics", headers=route["maker"].headers)
    assert other.status_code in (403, 404)


async def test_lab_pickups_as_a_calendar(
    hub, client: httpx.AsyncClient, route: dict[str, Any]
) -> None:
    lab = route["lab"]["id"]
    r = await client.get(f"/api/v1/labs/{lab}/pickups.ics", headers=route["maker"].headers)
    assert r.status_code == 200, r.text
    events = list(icalendar.Calendar.from_ical(r.content).walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["summary"]).startswith("Pickup of batch ")
    me = await client.get("/api/v1/auth/me", headers=route["driver"].headers)
    assert str(events[0]["contact"]) == me.json()["name"]  # the driver coming, by name
    assert (events[0]["geo"].latitude, events[0]["geo"].longitude) == (45.193, 5.768)
    stranger = await hub.account("maker")
    r = await client.get(f"/api/v1/labs/{lab}/pickups.ics", headers=stranger.headers)
    assert r.status_code == 403
    coordinator = await hub.account("coordinator", area="region:84")
    r = await client.get(f"/api/v1/labs/{lab}/pickups.ics", headers=coordinator.headers)
    assert r.status_code == 200

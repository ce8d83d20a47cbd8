"""Route times on the right clock: ETAs follow elapsed time across a daylight-saving change,
and are shown on each site's own clock."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.data import LIFTED_LIMITS

from hub.config import Settings
from hub.driver_routes.service import planning
from hub.timeutil import DayClock, zone
from matching.routes import HaversineProvider, Place

LYON = (45.7640, 4.8357)
VIENNE = (45.5255, 4.8745)
SAINT_ETIENNE = (45.4397, 4.3872)
PARIS = zone("Europe/Paris")
# The night the clocks go forward in 2027: 02:00 CET becomes 03:00 CEST (01:00 UTC).
FORWARD = datetime(2027, 3, 28, 1, 0, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test settings with a short solve."""
    return Settings(database_url=database_url, **LIFTED_LIMITS, route_seconds=0.3)


async def _ready_batch(client: httpx.AsyncClient, maker, lab_id: int, need_id: int, n: int) -> int:
    r = await client.post(
        f"/api/v1/needs/{need_id}/claims",
        json={"lab_id": lab_id, "quantity": n},
        headers=maker.headers,
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    for path, body in ((f"/api/v1/batches/{bid}/progress", {"made": n}),):
        assert (await client.post(path, json=body, headers=maker.headers)).status_code == 200
    r = await client.post(f"/api/v1/batches/{bid}/ready", headers=maker.headers)
    assert r.status_code == 200, r.text
    return int(bid)


async def _vienne_to_saint_etienne(hub, client) -> None:
    """One ready batch from a lab in Vienne to a hospital in Saint-Étienne, open all night."""
    hours = {"opens": "00:00", "closes": "23:59"}
    staff, maker = await hub.account("hospital_staff"), await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", *SAINT_ETIENNE, **hours)
    lab = await hub.site(maker, "labs", *VIENNE, **hours)
    need = await hub.need(staff, hospital["id"], quantity=50)
    await _ready_batch(client, maker, lab["id"], need["id"], 20)


def _minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Driving minutes between two (lat, lon) with the default provider (haversine × 1.3)."""
    m = HaversineProvider().matrix([Place(a[1], a[0]), Place(b[1], b[0])])
    return float(m.duration_min[0, 1])


@pytest.mark.parametrize(
    "start",
    [
        FORWARD - timedelta(minutes=15),  # 01:45 CET: the route runs through the change
        datetime(2027, 3, 28, 2, 45, tzinfo=PARIS),  # "02:45", a time that night skips
    ],
)
async def test_etas_follow_elapsed_time_across_the_clock_change(
    hub, client, monkeypatch: pytest.MonkeyPatch, start: datetime
) -> None:
    await _vienne_to_saint_etienne(hub, client)
    monkeypatch.setattr(planning, "now", lambda: start)
    driver = await hub.account("driver")
    body = {
        "start_lat": LYON[0],
        "start_lon": LYON[1],
        "capacity_units": 60,
        "available_minutes": 300,
    }
    r = await client.post("/api/v1/routes", json=body, headers=driver.headers)
    assert r.status_code == 201, r.text
    pickup, delivery = r.json()["stops"]
    at_lab = datetime.fromisoformat(pickup["eta"])
    at_hospital = datetime.fromisoformat(delivery["eta"])
    # Elapsed time, added in UTC (aware datetimes of one zone add wall-clock time).
    expected_lab = start.astimezone(UTC) + timedelta(minutes=_minutes(LYON, VIENNE))
    assert abs((at_lab - expected_lab).total_seconds()) < 60, (at_lab, expected_lab)
    leg = (at_hospital - at_lab).total_seconds() / 60
    assert leg == pytest.approx(planning.SERVICE_MIN + _minutes(VIENNE, SAINT_ETIENNE), abs=1)
    # Shown in local time: after 01:00 UTC that night, Lyon's clock reads +02:00.
    assert at_hospital.utcoffset() == timedelta(hours=2)
    assert pickup["time_zone"] == delivery["time_zone"] == "Europe/Paris"


def test_day_clock_counts_elapsed_minutes() -> None:
    clock = DayClock.of(FORWARD, "Europe/Paris")
    assert clock.midnight == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    # 03:30 CEST is 150 minutes after midnight that night; 08:00 is 420.
    assert clock.minutes(datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)) == pytest.approx(150)
    assert clock.wall(8 * 60, "Europe/Paris") == pytest.approx(420)
    assert clock.local(150).hour == 3
    # Another site's clock on the same planner clock: Guadeloupe's 08:00 is 13:00 in Paris.
    guadeloupe = clock.wall(8 * 60, "America/Guadeloupe")
    assert clock.local(guadeloupe).hour == 14  # 12:00 UTC, CEST

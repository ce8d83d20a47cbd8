"""FINESS: the published layout read (Lambert-93 and overseas UTM), bad files refused with their
line, sites tied to the registry, SIRET checked, corrections as events."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from support.server import HUB

from hub.errors import Invalid
from hub.geodesy import haversine_km
from hub.registry.finess import read_finess, to_wgs84
from hub.registry.service import import_finess

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "etalab-cs1100507-stock-sample.csv"
FR = {"Accept-Language": "fr"}
# Known points: CHU Grenoble Alpes (La Tronche) and CHU de La Réunion, site Félix Guyon.
CHU_GRENOBLE = (45.2005, 5.7487)
CHU_REUNION = (-20.8890, 55.4457)


def test_lambert93_origin_is_where_the_projection_says() -> None:
    """Lambert-93 puts 3°E 46.5°N at (700 000 m, 6 600 000 m) by definition."""
    lon, lat = to_wgs84(700_000, 6_600_000, 2154)
    assert abs(lon - 3.0) < 1e-7 and abs(lat - 46.5) < 1e-7


def test_sample_converted_within_50_m() -> None:
    found = {e.number: e for e in read_finess(SAMPLE.read_bytes())}
    grenoble, reunion = found["380780080"], found["970408589"]
    assert grenoble.lat is not None and grenoble.lon is not None
    assert haversine_km(grenoble.lat, grenoble.lon, *CHU_GRENOBLE) < 0.05
    assert reunion.lat is not None and reunion.lon is not None
    assert haversine_km(reunion.lat, reunion.lon, *CHU_REUNION) < 0.05  # UTM 40S
    assert reunion.departement == "974" and reunion.citycode == "97411"
    assert grenoble.name == "CHU GRENOBLE ALPES - SITE NORD"  # Windows-1252 read
    assert found["420784878"].name == "CHU DE SAINT-ÉTIENNE HÔPITAL NORD"


def test_overseas_line_without_its_system_name_uses_its_territory() -> None:
    data = SAMPLE.read_bytes().replace(b"V2.2,UTM_S40", b"V2.2")
    reunion = {e.number: e for e in read_finess(data)}["970408589"]
    assert reunion.lat is not None and reunion.lon is not None
    assert haversine_km(reunion.lat, reunion.lon, *CHU_REUNION) < 0.05


@pytest.mark.parametrize(
    ("mutate", "line", "words"),
    [
        (lambda b: b.replace(b"finess;etalab", b"nofinesset;rs"), 1,
         "starts with 'finess;etalab;'"),
        (lambda b: b.replace(b"CHU ST ETIENNE;", b""), 3, "has 32 fields, this one has 31"),
        (lambda b: b.replace(b"808300.0", b"808 300,0 m"), 6,
         "coordxet 808 300,0 m is not a number"),
        (lambda b: b.replace(b"geolocalisation;970408589", b"geolocalisation;970408999"), 7,
         "which no structureet line names"),
        (lambda b: b.replace(b"structureet;420784878", b"hello;420784878"), 3, "not hello"),
        (lambda b: b.decode("cp1252").encode("utf-16"), 1, "neither Windows-1252 nor UTF-8"),
    ],
    ids=["header", "fields", "coordinate", "orphan", "section", "utf16"],
)  # fmt: skip
def test_wrong_layout_is_refused_with_its_line(mutate, line: int, words: str) -> None:
    with pytest.raises(Invalid) as caught:
        read_finess(mutate(SAMPLE.read_bytes()))
    assert caught.value.message("en").startswith(f"Line {line}:"), caught.value.message("en")
    assert words in caught.value.message("en")
    assert caught.value.message("fr").startswith(f"Ligne {line}")


def test_cli_import_and_refusal_change_nothing(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "LANG", "LC_"))},
        "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}",
        "COLUMNS": "250",
    }
    bad = tmp_path / "bad.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace(b"808300.0", b"x"))
    r = subprocess.run(
        [*HUB, "import", "finess", str(bad)], capture_output=True, text=True, env=env
    )
    assert r.returncode == 1 and "Line 6" in r.stderr and "Nothing was changed" in r.stderr
    r = subprocess.run(
        [*HUB, "import", "finess", str(SAMPLE), "--lang", "fr"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "3 établissements" in r.stdout, r.stdout
    r = subprocess.run(
        [*HUB, "import", "finess", str(bad)], capture_output=True, text=True, env=env
    )
    assert r.returncode == 1
    import sqlite3

    rows = (
        sqlite3.connect(tmp_path / "hub.sqlite")
        .execute("SELECT number, lat FROM registry_entries ORDER BY number")
        .fetchall()
    )
    assert [n for n, _ in rows] == ["380780080", "420784878", "970408589"]
    assert all(lat is not None for _, lat in rows)


async def test_a_site_from_the_registry_and_the_coordinators_check(
    hub, app, client: httpx.AsyncClient
) -> None:
    async with app.state.db.transaction() as session:
        report = await import_finess(session, SAMPLE.read_bytes())
    assert (report.created, report.located) == (3, 3)
    staff = await hub.account("hospital_staff")
    place = (
        await client.get("/api/v1/places", params={"q": "380780080"}, headers=staff.headers)
    ).json()
    est = next(p for p in place if p["kind"] == "establishment")
    # The form fills the site from the entry, 300 m off as if the person moved the pin.
    r = await client.post(
        "/api/v1/hospitals",
        json={"name": est["name"], "kind": "hospital", "address": est["address"],
              "lat": est["lat"] + 0.0027, "lon": est["lon"], "finess": est["finess"],
              "contact_name": "Dr Lambert", "contact_phone": "04 76 00 00 00",
              "opens": "07:00", "closes": "19:30"},
        headers=staff.headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["finess"] == "380780080" and site["departement"] == "38"
    coord = await hub.account("coordinator", area="region:84")
    check = await client.get(f"/api/v1/hospitals/{site['id']}/registry", headers=coord.headers)
    assert check.status_code == 200, check.text
    body = check.json()
    assert body["match"] is True and body["entry"]["phone"] == "0476765765"
    assert body["entry"]["address"] == "BD DE LA CHANTOURNE, 38700 LA TRONCHE"
    assert 0.25 < body["distance_km"] < 0.35 and body["same_departement"] is True
    # A site with no registry number: no match, said plainly.
    other = await hub.site(staff, "hospitals", verified=False)
    body = (
        await client.get(f"/api/v1/hospitals/{other['id']}/registry", headers=coord.headers)
    ).json()
    assert body["match"] is False and body["entry"] is None and body["distance_km"] is None
    # Not for a stranger.
    maker = await hub.account("maker")
    r = await client.get(f"/api/v1/hospitals/{site['id']}/registry", headers=maker.headers)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("siret", "ok"),
    [("732 829 320 00074", True), ("73282932000075", False), ("7328293200007", False)],
)
async def test_a_lab_siret_is_checked(hub, client: httpx.AsyncClient, siret: str, ok: bool) -> None:
    maker = await hub.account("maker")
    body = {"name": "Fablab", "kind": "fablab", "address": "Grenoble", "lat": 45.19,
            "lon": 5.72, "siret": siret}  # fmt: skip
    r = await client.post("/api/v1/labs", json=body, headers={**maker.headers, **FR})
    if ok:
        assert r.status_code == 201, r.text
        assert r.json()["siret"] == "73282932000074"
        check = await client.get(f"/api/v1/labs/{r.json()['id']}/registry", headers=maker.headers)
        assert check.json()["siret_valid"] is True
    else:
        assert r.status_code == 422
        assert "SIRET valide" in r.text, r.text


async def test_corrections_members_while_pending_coordinators_always(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", verified=False)
    url = f"/api/v1/hospitals/{site['id']}"
    # Typed in the Horn of Africa by mistake, corrected by its member while pending.
    r = await client.patch(url, json={"lat": 45.2051, "lon": 5.7381, "opens": "07:00"},
                           headers=staff.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["departement"], r.json()["opens"]) == ("38", "07:00")
    r = await client.patch(url, json={"lat": 45.2}, headers=staff.headers)
    assert r.status_code == 422
    r = await client.patch(url, json={"opens": "20:00"}, headers=staff.headers)
    assert r.status_code == 422
    stranger = await hub.account("hospital_staff")
    assert (
        await client.patch(url, json={"name": "X"}, headers=stranger.headers)
    ).status_code == 403
    brittany = await hub.account("coordinator", area="region:53")
    assert (
        await client.patch(url, json={"name": "X"}, headers=brittany.headers)
    ).status_code == 403
    coord = await hub.account("coordinator", area="region:84")
    assert (await client.post(f"{url}/verify", headers=coord.headers)).status_code == 200
    r = await client.patch(url, json={"name": "Too late"}, headers=staff.headers)
    assert r.status_code == 403
    # A coordinator may not move it out of their area, but may correct it within.
    r = await client.patch(url, json={"lat": 48.39, "lon": -4.49}, headers=coord.headers)
    assert r.status_code == 403
    r = await client.patch(url, json={"contact_phone": "04 76 76 75 75"}, headers=coord.headers)
    assert r.status_code == 200
    events = (
        await client.get("/api/v1/events", params={"limit": 500}, headers=coord.headers)
    ).json()
    items = events["items"] if isinstance(events, dict) else events
    corrected = [
        e for e in items if e["kind"] == "hospital.corrected" and e["entity_id"] == site["id"]
    ]
    assert len(corrected) == 2


async def test_a_corrected_point_is_checked_and_moves_the_clock_and_land(
    hub, client: httpx.AsyncClient
) -> None:
    """A correction goes through the same checks as a new site's point: swapped values and
    points abroad are refused, and the site's time zone and landmass follow the new point."""
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", verified=False)
    url = f"/api/v1/hospitals/{site['id']}"
    swapped = await client.patch(url, json={"lat": 5.7474, "lon": 45.2006}, headers=staff.headers)
    assert swapped.status_code == 422 and "swapped" in swapped.text, swapped.text
    geneva = {"lat": 46.2044, "lon": 6.1432}
    assert (await client.patch(url, json=geneva, headers=staff.headers)).status_code == 422
    # Moved to Bastia: Corsica's land, Paris's clock; then to Pointe-à-Pitre.
    r = await client.patch(url, json={"lat": 42.6973, "lon": 9.4503}, headers=staff.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["departement"], r.json()["land"]) == ("2B", "corsica"), r.json()
    r = await client.patch(url, json={"lat": 16.2411, "lon": -61.5331}, headers=staff.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["time_zone"], r.json()["departement"]) == ("America/Guadeloupe", "971")

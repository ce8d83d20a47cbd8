"""Sites in the right area and on their own clock: swapped and foreign points, local "today"."""

from datetime import UTC, date, datetime

import pytest

from hub import timeutil

# 21:30 in Guadeloupe (UTC-4) on 30 November is 02:30 on 1 December in Paris.
GUADELOUPE_2130 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)

# Pointe-à-Pitre (Guadeloupe), Ajaccio (Corsica), Saint-Martin's Marigot, Geneva.
POINTE_A_PITRE = (16.2411, -61.5331)
AJACCIO = (41.9192, 8.7386)
MARIGOT = (18.0677, -63.0824)
GENEVA = (46.2044, 6.1432)


def _body(lat: float, lon: float, **extra: object) -> dict[str, object]:
    return {
        "name": "CHU Grenoble Alpes",
        "kind": "hospital",
        "address": "Bd de la Chantourne",
        "lat": lat,
        "lon": lon,
        **extra,
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_swapped_grenoble_is_refused_as_swapped(hub, client, lang: str) -> None:
    staff = await hub.account("hospital_staff")
    headers = {**staff.headers, "Accept-Language": lang}
    r = await client.post("/api/v1/hospitals", json=_body(5.7474, 45.2006), headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert ("swapped" if lang == "en" else "inversées") in detail
    # Confirming "abroad" does not make a swapped point acceptable.
    r = await client.post(
        "/api/v1/hospitals",
        json=_body(5.7474, 45.2006, outside_france=True),
        headers=headers,
    )
    assert r.status_code == 422
    listed = await client.get("/api/v1/hospitals", headers=staff.headers)
    assert listed.json()["total"] == 0


async def test_a_point_abroad_needs_confirmation_and_gets_no_french_codes(hub, client) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.post("/api/v1/hospitals", json=_body(*GENEVA), headers=staff.headers)
    assert r.status_code == 422, r.text
    assert "outside_france" in r.json()["detail"]
    r = await client.post(
        "/api/v1/hospitals", json=_body(*GENEVA, outside_france=True), headers=staff.headers
    )
    assert r.status_code == 201, r.text
    site = r.json()
    assert (site["region"], site["departement"], site["land"]) == (None, None, None)
    assert site["time_zone"] == "Europe/Zurich"


async def test_a_point_within_2_km_across_the_border_is_abroad(hub, client) -> None:
    # Kehl (Germany), 1.5 km from Strasbourg across the Rhine: once snapped into the Bas-Rhin.
    staff = await hub.account("hospital_staff")
    r = await client.post(
        "/api/v1/hospitals", json=_body(48.5760, 7.8150, outside_france=True), headers=staff.headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["departement"] is None
    assert r.json()["time_zone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("place", "point", "zone", "land", "departement"),
    [
        ("Grenoble", (45.2006, 5.7474), "Europe/Paris", "mainland", "38"),
        ("Ajaccio", AJACCIO, "Europe/Paris", "corsica", "2A"),
        ("Pointe-à-Pitre", POINTE_A_PITRE, "America/Guadeloupe", "guadeloupe", "971"),
        ("Fort-de-France", (14.6161, -61.0588), "America/Martinique", "martinique", "972"),
        ("Cayenne", (4.9372, -52.3260), "America/Cayenne", "guyane", "973"),
        ("Saint-Denis", (-20.8823, 55.4504), "Indian/Reunion", "reunion", "974"),
        ("Mamoudzou", (-12.7806, 45.2279), "Indian/Mayotte", "mayotte", "976"),
        ("Marigot", MARIGOT, "America/Marigot", "saint-martin", None),
        ("Saint-Pierre", (46.7811, -56.1764), "America/Miquelon", "saint-pierre-et-miquelon", None),
        ("Papeete", (-17.5350, -149.5696), "Pacific/Tahiti", "polynesie", None),
        ("Nouméa", (-22.2758, 166.4580), "Pacific/Noumea", "nouvelle-caledonie", None),
    ],
)
async def test_each_territory_has_its_clock_and_land(
    hub, client, place: str, point: tuple[float, float], zone: str, land: str, departement: str
) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.post("/api/v1/hospitals", json=_body(*point), headers=staff.headers)
    assert r.status_code == 201, (place, r.text)
    site = r.json()
    assert (site["time_zone"], site["land"], site["departement"]) == (zone, land, departement)


async def test_guadeloupe_posts_for_its_own_today_at_2130(
    hub, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeutil, "now_utc", lambda: GUADELOUPE_2130)
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", *POINTE_A_PITRE, verified=False)
    body = {
        "hospital_id": site["id"],
        "design": "ear-saver",
        "quantity": 200,
        "needed_by": "2026-11-30",
        "priority": "critical",
    }
    r = await client.post("/api/v1/needs", json=body, headers=staff.headers)
    assert r.status_code == 201, r.text
    # Yesterday, on Guadeloupe's clock, is still refused.
    r = await client.post(
        "/api/v1/needs", json={**body, "needed_by": "2026-11-29"}, headers=staff.headers
    )
    assert r.status_code == 422


async def test_paris_still_refuses_yesterday(hub, client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeutil, "now_utc", lambda: GUADELOUPE_2130)
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", verified=False)
    body = {
        "hospital_id": site["id"],
        "design": "ear-saver",
        "quantity": 200,
        "needed_by": "2026-11-30",
        "priority": "critical",
    }
    r = await client.post("/api/v1/needs", json=body, headers=staff.headers)
    assert r.status_code == 422, r.text
    assert timeutil.today() == date(2026, 12, 1)

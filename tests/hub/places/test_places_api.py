"""GET /api/v1/places: communes offline, establishments from the registry, clear 4xx."""

from pathlib import Path

import httpx
import pytest

from hub.config import Settings
from hub.registry.service import import_finess

DATA = Path(__file__).parent / "data"
FR = {"Accept-Language": "fr"}


async def test_postcode_and_name(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.get("/api/v1/places", params={"q": "38700 La Tronche"}, headers=staff.headers)
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first == {
        **first,
        "label": "38700 La Tronche",
        "citycode": "38516",
        "postcode": "38700",
        "departement": "38",
        "region": "84",
        "kind": "commune",
    }
    assert abs(first["lat"] - 45.205) < 0.01 and abs(first["lon"] - 5.738) < 0.01
    r = await client.get("/api/v1/places", params={"q": "st etienne"}, headers=staff.headers)
    assert r.json()[0]["citycode"] == "42218"


@pytest.mark.parametrize(
    ("q", "status", "en", "fr"),
    [
        ("", 422, "Type a postcode", "Tapez un code postal"),
        # Punctuation only is a query (the OpenAPI document allows it): nothing matches it.
        ("  - ", 404, "No place matches", "Aucun lieu"),
        ("x" * 201, 422, "at most 200 characters", "au plus 200"),
        ("xyzzyq", 404, "No place matches", "Aucun lieu"),
    ],
    ids=["empty", "punctuation", "too-long", "nothing"],
)
async def test_bad_queries_are_refused_in_both_languages(
    hub, client: httpx.AsyncClient, q: str, status: int, en: str, fr: str
) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.get("/api/v1/places", params={"q": q}, headers=staff.headers)
    assert r.status_code == status and en in r.json()["detail"]
    r = await client.get("/api/v1/places", params={"q": q}, headers={**staff.headers, **FR})
    assert r.status_code == status and fr in r.json()["detail"]


async def test_signed_in_only(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/places", params={"q": "38700"})).status_code == 401


async def test_establishments_by_name_commune_or_number(
    hub, app, client: httpx.AsyncClient
) -> None:
    async with app.state.db.transaction() as session:
        await import_finess(session, (DATA / "etalab-cs1100507-stock-sample.csv").read_bytes())
    staff = await hub.account("hospital_staff")
    for q in ("chu grenoble", "CHU Grenoble Alpes", "380780080", "chantourne tronche"):
        r = await client.get("/api/v1/places", params={"q": q}, headers=staff.headers)
        assert r.status_code == 200, (q, r.text)
        found = [p for p in r.json() if p["kind"] == "establishment"]
        assert found and found[0]["finess"] == "380780080", q
        assert found[0]["name"] == "CHU GRENOBLE ALPES - SITE NORD"
        assert found[0]["category"].startswith("Centre Hospitalier")
        assert found[0]["departement"] == "38" and found[0]["citycode"] == "38516"
    # Communes still come first for a commune's name.
    r = await client.get("/api/v1/places", params={"q": "la tronche"}, headers=staff.headers)
    assert [p["kind"] for p in r.json()][:2] == ["commune", "establishment"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A geocoder that is down (nothing listens on port 9): addresses fall back to communes."""
    return Settings(
        database_url=database_url, geocoder_url="http://127.0.0.1:9", geocoder_timeout=0.5
    )


async def test_geocoder_down_falls_back_to_the_commune(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.get(
        "/api/v1/places",
        params={"q": "10 boulevard de la Chantourne 38700 La Tronche"},
        headers=staff.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()[0]["kind"] == "commune" and r.json()[0]["citycode"] == "38516"

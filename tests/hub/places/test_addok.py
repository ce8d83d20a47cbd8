"""Street addresses through a real addok server, started here on the local Redis."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.addok import AddokServer, start_addok

from hub.config import Settings
from hub.places.geocoder import geocode

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def addok(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AddokServer]:
    """addok loaded with the BAN-layout sample of La Tronche, Grenoble and Saint-Étienne."""
    yield from start_addok(
        tmp_path_factory.mktemp("addok"),
        DATA / "adresses-sample.csv",
        "38, Isère, Auvergne-Rhône-Alpes",
    )


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, sqlite_database_url: str) -> str:
    """The geocoder is the subject here, not the database."""
    return sqlite_database_url


@pytest.fixture
def settings(database_url: str, addok: AddokServer) -> Settings:
    """The hub pointed at the running addok."""
    return Settings(database_url=database_url, geocoder_url=addok.url, geocoder_timeout=5)


async def test_addok_answers_a_house_number(addok: AddokServer) -> None:
    places = await geocode(
        addok.url, "10 boulevard de la chantourne la tronche", limit=3, timeout=5
    )
    assert places, "addok found nothing"
    first = places[0]
    assert first.kind == "address" and first.citycode == "38516" and first.postcode == "38700"
    assert "Chantourne" in first.label
    assert abs(first.lat - 45.20034) < 1e-4 and abs(first.lon - 5.74902) < 1e-4
    assert first.departement == "38" and first.region == "84"


async def test_an_address_query_puts_addresses_first(
    hub, client: httpx.AsyncClient, addok: AddokServer
) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.get(
        "/api/v1/places",
        params={"q": "12 bis avenue des maquis du gresivaudan 38700 la tronche"},
        headers=staff.headers,
    )
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first["kind"] == "address" and first["citycode"] == "38516", r.json()
    assert abs(first["lat"] - 45.20661) < 1e-3


async def test_a_commune_query_still_puts_the_commune_first(
    hub, client: httpx.AsyncClient, addok: AddokServer
) -> None:
    staff = await hub.account("hospital_staff")
    r = await client.get("/api/v1/places", params={"q": "st etienne"}, headers=staff.headers)
    assert r.json()[0]["kind"] == "commune" and r.json()[0]["citycode"] == "42218"


async def test_when_addok_stops_communes_answer(addok: AddokServer) -> None:
    """Last in the module: stops the server, then asks it again."""
    addok.process.terminate()
    addok.process.wait(timeout=10)
    assert await geocode(addok.url, "10 boulevard de la chantourne", limit=3, timeout=1) == []

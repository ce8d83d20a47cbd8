"""CSV and GeoJSON exports over HTTP, limited to the coordinator's area."""

import csv
import json

import httpx
from support.data import BREST, GRENOBLE


async def test_coordinator_exports_own_area_only(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    grenoble = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    brest = await hub.site(staff, "hospitals", lat=BREST[0], lon=BREST[1])
    await hub.need(staff, grenoble["id"], quantity=11)
    await hub.need(staff, brest["id"], quantity=22)
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    geo = await client.get("/api/v1/exports/needs.geojson", headers=h)
    assert geo.status_code == 200
    features = json.loads(geo.text)["features"]
    assert [f["properties"]["quantity"] for f in features] == [11]
    assert features[0]["geometry"]["coordinates"] == [GRENOBLE[1], GRENOBLE[0]]
    isere = await client.get("/api/v1/exports/needs.csv?area=departement:38", headers=h)
    assert [r["quantity"] for r in csv.DictReader(isere.text.splitlines())] == ["11"]
    outside = await client.get("/api/v1/exports/needs.csv?area=region:53", headers=h)
    assert outside.status_code == 403
    maker = await hub.account("maker")
    assert (await client.get("/api/v1/exports/labs.csv", headers=maker.headers)).status_code == 403
    assert (await client.get("/api/v1/exports/labs.xml", headers=h)).status_code == 422

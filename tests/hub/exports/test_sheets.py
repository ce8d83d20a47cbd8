"""Exports that open where they are read (issue 16): French Excel, English Excel, XLSX, HXL,
3W and GeoJSON, with formulas neutralised, control characters removed and contacts only for
the coordinators of the area."""

import csv
import io
import json
from typing import Any

import httpx
import openpyxl
from sqlalchemy import update

from hub.exports.writers import neutralise
from hub.sites.models import Site

FORMULA = '=HYPERLINK("http://evil.example/x","Voir la demande")'


async def _setup(hub: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """A coordinator of région 84, a clinic named like a formula by whoever signed up, a lab."""
    staff = await hub.account("hospital_staff")
    clinic = await hub.site(staff, "hospitals", name=FORMULA, kind="clinic")
    await hub.need(staff, clinic["id"], quantity=1500)
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", name="Fablab Hôpital", equipment=["fdm", "laser"])
    coordinator = await hub.account("coordinator", area="region:84")
    return coordinator, clinic, lab


async def test_french_excel_gets_a_bom_semicolons_and_no_live_formula(
    hub, client: httpx.AsyncClient
) -> None:
    """French Excel used to show "HÃ´pital" in one column, and ran the clinic's name."""
    coordinator, _clinic, _lab = await _setup(hub)
    h = {**coordinator.headers, "Accept-Language": "fr-FR,fr;q=0.9"}
    r = await client.get("/api/v1/exports/hospitals.csv", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["id", "id externe", "nom", "type"]
    assert rows[1][2] == "'" + FORMULA  # text to a spreadsheet, not a formula
    assert rows[1][-2:] == ["45,1885", "5,7245"]  # decimal commas
    labs = (await client.get("/api/v1/exports/labs.csv", headers=h)).content.decode("utf-8-sig")
    assert "Fablab Hôpital" in labs and '"fdm, laser"' in labs
    english = await client.get("/api/v1/exports/needs.csv", headers=coordinator.headers)
    lines = english.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith('"id","external_id","hospital_id"')
    assert "'=HYPERLINK" in lines[1] and '"1500"' in lines[1] and '"45.1885"' in lines[1]
    plain = await client.get("/api/v1/exports/needs.csv?dialect=plain", headers=h)
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert next(csv.DictReader(io.StringIO(plain.text)))["quantity"] == "1500"


async def test_every_cell_a_spreadsheet_would_run_is_neutralised(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    names = ["=1+1", "+33 4 76", "-2+3", "@SUM(A1)", "Plain name"]
    for name in names:
        await hub.site(staff, "hospitals", name=name)
    coordinator = await hub.account("coordinator", area="region:84")
    r = await client.get("/api/v1/exports/hospitals.csv", headers=coordinator.headers)
    got = [row["name"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))]
    assert got == ["'=1+1", "'+33 4 76", "'-2+3", "'@SUM(A1)", "Plain name"]
    # Tabs and carriage returns too (the API trims names, so those come from older rows).
    assert [neutralise(x) for x in ("\tcmd", "\rcmd", "a=b")] == ["'\tcmd", "'\rcmd", "a=b"]
    # Numbers stay numbers: a negative longitude is not text.
    staff2 = await hub.account("hospital_staff")
    await hub.site(staff2, "hospitals", name="CHU Brest", lat=48.39, lon=-4.49)
    r = await client.get("/api/v1/exports/hospitals.csv?area=FR", headers=coordinator.headers)
    assert r.status_code == 403  # wider than the coordinator's area
    national = await hub.account("coordinator")
    r = await client.get("/api/v1/exports/hospitals.csv", headers=national.headers)
    assert '"-4.49"' in r.text


async def test_xlsx_export_types_cells_and_keeps_formulas_as_text(
    hub, client: httpx.AsyncClient
) -> None:
    coordinator, _clinic, _lab = await _setup(hub)
    r = await client.get(
        "/api/v1/exports/needs.xlsx?hxl=1",
        headers={**coordinator.headers, "Accept-Language": "fr"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in sheet[1]]
    tags = [c.value for c in sheet[2]]
    values = dict(zip(header, [c for c in sheet[3]], strict=True))
    assert header[:3] == ["id", "id externe", "id hôpital"]
    assert tags[header.index("quantité")] == "#output+needed"
    assert values["hôpital"].value == FORMULA and values["hôpital"].data_type == "s"
    assert values["quantité"].value == 1500  # a number, not text
    assert values["date limite"].is_date


async def test_hxl_row_on_request(hub, client: httpx.AsyncClient) -> None:
    coordinator, _clinic, _lab = await _setup(hub)
    r = await client.get("/api/v1/exports/hospitals.csv?hxl=1", headers=coordinator.headers)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["#meta+id", "#meta+ref", "#loc+name"]
    assert all(tag.startswith("#") for tag in rows[1]) and len(rows) == 3
    without = await client.get("/api/v1/exports/hospitals.csv", headers=coordinator.headers)
    assert len(without.content.decode("utf-8-sig").splitlines()) == 2


async def test_3w_lists_who_does_what_where(hub, client: httpx.AsyncClient) -> None:
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", name="Fablab des Alpes")
    offers = [{"design": "ear-saver", "units_per_day": 40, "available_from": "2026-01-01"}]
    r = await client.put(f"/api/v1/labs/{lab['id']}/offers", json=offers, headers=maker.headers)
    assert r.status_code == 200, r.text
    coordinator = await hub.account("coordinator", area="region:84")
    w = await client.get(
        "/api/v1/exports/3w.csv?hxl=1",
        headers={**coordinator.headers, "Accept-Language": "fr"},
    )
    rows = list(csv.reader(io.StringIO(w.content.decode("utf-8-sig")), delimiter=";"))
    header, tags, row = rows[0], rows[1], rows[2]
    assert tags[:4] == ["#org+name", "#org+type", "#org+id", "#sector"]
    got = dict(zip(header, row, strict=True))
    assert got["organisation"] == "Fablab des Alpes"
    assert got["région"] == "Auvergne-Rhône-Alpes" and got["code département"] == "38"
    assert got["modèle"] == "ear-saver" and got["unités par jour"] == "40"
    assert got["secteur"].startswith("Santé")


async def test_geojson_stays_rfc_7946(hub, client: httpx.AsyncClient) -> None:
    coordinator, clinic, _lab = await _setup(hub)
    r = await client.get("/api/v1/exports/hospitals.geojson", headers=coordinator.headers)
    assert r.headers["content-type"] == "application/geo+json"
    body = json.loads(r.content)
    assert body["type"] == "FeatureCollection" and "crs" not in body
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [clinic["lon"], clinic["lat"]]}
    assert feature["properties"]["name"] == FORMULA  # data for programs, not a spreadsheet


async def test_control_characters_never_reach_a_file(hub, client: httpx.AsyncClient, app) -> None:
    """A name stored with a control character (before input was cleaned) is written without it."""
    coordinator, _clinic, lab = await _setup(hub)
    async with app.state.db.transaction() as session:
        await session.execute(
            update(Site).where(Site.id == lab["id"]).values(name="Fablab\x13 des\x7f Alpes\x1b")
        )
    h = coordinator.headers
    text = (await client.get("/api/v1/exports/labs.csv", headers=h)).content.decode("utf-8-sig")
    assert "Fablab des Alpes" in text and not any(ord(ch) < 9 or 13 < ord(ch) < 32 for ch in text)
    xlsx = await client.get("/api/v1/exports/labs.xlsx", headers=h)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["C2"].value == "Fablab des Alpes"
    geo = json.loads((await client.get("/api/v1/exports/labs.geojson", headers=h)).content)
    assert geo["features"][0]["properties"]["name"] == "Fablab des Alpes"


async def test_contacts_only_for_the_coordinators_of_the_area(
    hub, client: httpx.AsyncClient
) -> None:
    coordinator, _clinic, _lab = await _setup(hub)
    r = await client.get("/api/v1/exports/labs.csv", headers=coordinator.headers)
    row = next(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert (row["contact_name"], row["contact_phone"]) == ("Dr Contact", "'+33 4 76 00 00 00")
    maker = await hub.account("maker")
    assert (await client.get("/api/v1/exports/labs.csv", headers=maker.headers)).status_code == 403
    assert (await client.get("/api/v1/exports/labs.csv")).status_code == 401
    other = await hub.account("coordinator", area="region:53")
    r = await client.get("/api/v1/exports/labs.csv", headers=other.headers)
    assert r.status_code == 200 and len(r.content.decode("utf-8-sig").splitlines()) == 1

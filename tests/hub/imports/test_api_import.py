"""``POST /api/v1/imports/{kind}``: the coordinators' upload, on SQLite and PostgreSQL.

The same rules as the command line (the same engine), seen through the API: a dry run that
changes nothing and shows every row, reasons in the reader's language, all or nothing,
re-imports that update, files refused as a whole, and who may import.
"""

import io
from datetime import timedelta

import httpx
import openpyxl

from hub.timeutil import today

SOON = today() + timedelta(days=10)
FR = {"Accept-Language": "fr"}

#: A French coordinator's hospitals sheet, saved by French Excel as "CSV UTF-8": a byte-order
#: mark, ";" and decimal commas; one row has a latitude no place has.
FRENCH_SHEET = (
    "\ufeffNom;Type;Adresse;Latitude;Longitude;Téléphone\r\n"
    "CHU Grenoble Alpes;hôpital;Bd de la Chantourne, 38700 La Tronche;45,2006;5,7474;"
    "04 76 76 75 75\r\n"
    "Clinique des Cèdres;clinique;Échirolles;145,15;5,71;\r\n"
    "Ehpad Les Écrins;Ehpad;Grenoble;45,1885;5,7245;\r\n"
).encode()


async def _upload(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, body: bytes, **query: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/imports/{kind}", content=body, params=query, headers={**headers, **FR}
    )


async def _names(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> list[str]:
    r = await client.get(f"/api/v1/{kind}?limit=200", headers=headers)
    return [s["name"] for s in r.json()["items"]]


async def test_preview_then_confirm_with_reasons_in_french(hub, client: httpx.AsyncClient) -> None:
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    preview = await _upload(client, h, "hospitals", FRENCH_SHEET, dry_run="true")
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert (report["format"], report["encoding"], report["separator"]) == ("csv", "utf-8-sig", ";")
    assert (report["rows"], report["created"], report["rejected"]) == (3, 2, 1)
    assert report["applied"] is False and report["dry_run"] is True
    bad = next(o for o in report["outcomes"] if o["action"] == "rejected")
    assert bad["line"] == 3
    assert bad["problems"] == [
        {"column": "Latitude", "reason": "145,15 est hors limites (de -90 à 90)"}
    ]
    assert await _names(client, h, "hospitals") == []  # a dry run changes nothing
    done = await _upload(client, h, "hospitals", FRENCH_SHEET)
    assert done.json()["applied"] is True and done.json()["created"] == 2
    assert await _names(client, h, "hospitals") == ["CHU Grenoble Alpes", "Ehpad Les Écrins"]
    again = (await _upload(client, h, "hospitals", FRENCH_SHEET)).json()
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 1)
    assert await _names(client, h, "hospitals") == ["CHU Grenoble Alpes", "Ehpad Les Écrins"]
    sites = (await client.get("/api/v1/hospitals", headers=h)).json()["items"]
    assert sites[0]["contact_phone"] == "04 76 76 75 75" and sites[1]["kind"] == "nursing_home"


async def test_all_or_nothing_applies_nothing_when_a_row_is_rejected(
    hub, client: httpx.AsyncClient
) -> None:
    coordinator = await hub.account("coordinator", area="region:84")
    r = await _upload(client, coordinator.headers, "hospitals", FRENCH_SHEET, all_or_nothing="true")
    assert r.status_code == 200
    assert r.json()["applied"] is False and r.json()["created"] == 2
    assert await _names(client, coordinator.headers, "hospitals") == []


async def test_a_key_in_the_file_updates_the_same_site(hub, client: httpx.AsyncClient) -> None:
    """An ``external_id`` (or a FINESS number) is a row's key: a renamed site is updated."""
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    first = b"finess,nom,adresse,lat,lon\n380780080,CHU Grenoble,La Tronche,45.2006,5.7474\n"
    assert (await _upload(client, h, "hospitals", first)).json()["created"] == 1
    renamed = first.replace(b"CHU Grenoble,", b"CHU Grenoble Alpes,")
    r = (await _upload(client, h, "hospitals", renamed)).json()
    assert (r["created"], r["updated"]) == (0, 1)
    assert await _names(client, h, "hospitals") == ["CHU Grenoble Alpes"]
    events = (await client.get("/api/v1/events?limit=50", headers=h)).json()
    kinds = [e["kind"] for e in (events["items"] if isinstance(events, dict) else events)]
    assert "hospital.updated" in kinds


async def test_needs_quantity_ambiguity_and_rerun(hub, client: httpx.AsyncClient) -> None:
    """Needs are posted for hospitals the importer staffs (here: the ones they imported)."""
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    await _upload(client, h, "hospitals", FRENCH_SHEET)
    sheet = (
        "hôpital;modèle;quantité;date limite;priorité\n"
        f"CHU Grenoble Alpes;ear-saver;1.000;{SOON:%d/%m/%Y};haute\n"
        f"CHU Grenoble Alpes;Visière de protection Prusa RC3;1 000;{SOON:%d/%m/%Y};critique\n"
        f"Hôpital Inconnu;ear-saver;10;{SOON:%d/%m/%Y};\n"
        f"CHU Grenoble Alpes;ear-saver;10;31/02/2026;\n"
    ).encode()
    r = (await _upload(client, h, "needs", sheet)).json()
    assert (r["created"], r["rejected"]) == (1, 3), r
    reasons = {o["line"]: o["problems"] for o in r["outcomes"] if o["action"] == "rejected"}
    assert reasons[2][0]["column"] == "quantité"
    assert reasons[2][0]["reason"].startswith("1.000 est ambigu\u00a0: 1 ou 1000\u00a0?")
    assert (
        reasons[4][0]["reason"] == "Aucun établissement ne s’appelle 'Hôpital Inconnu' dans le hub."
    )
    assert reasons[5][0] == {"column": "date limite", "reason": "31/02/2026 n’est pas une date"}
    needs = (await client.get("/api/v1/needs", headers=h)).json()["items"]
    assert [(n["design"], n["quantity"], n["priority"]) for n in needs] == [
        ("face-shield-prusa-rc3", 1000, "critical")
    ]
    fixed = sheet.replace(b"1.000", b"1000").replace(b";critique", b";normale")
    again = (await _upload(client, h, "needs", fixed)).json()
    assert (again["created"], again["updated"], again["rejected"]) == (1, 1, 2)
    needs = (await client.get("/api/v1/needs", headers=h)).json()["items"]
    assert sorted((n["design"], n["quantity"], n["priority"]) for n in needs) == [
        ("ear-saver", 1000, "high"),
        ("face-shield-prusa-rc3", 1000, "normal"),
    ]


async def test_xlsx_upload_with_dates_and_numbers(hub, client: httpx.AsyncClient) -> None:
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    await _upload(client, h, "hospitals", FRENCH_SHEET)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Hospital", "Design", "Quantity", "Needed by"])
    ws.append(["CHU Grenoble Alpes", "ear-saver", 400, SOON])
    ws.append(["CHU Grenoble Alpes", "face-shield-3dverkstan", 50, (SOON - date0()).days])
    out = io.BytesIO()
    wb.save(out)
    r = (await _upload(client, h, "needs", out.getvalue())).json()
    assert (r["format"], r["created"], r["rejected"]) == ("xlsx", 2, 0), r
    needs = (await client.get("/api/v1/needs", headers=h)).json()["items"]
    assert {n["needed_by"] for n in needs} == {SOON.isoformat()}


def date0():
    """Excel's day zero: its serial dates count days from it."""
    from datetime import date

    return date(1899, 12, 30)


async def test_files_refused_as_a_whole(hub, client: httpx.AsyncClient) -> None:
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    cases = [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "n’est pas un tableur"),
        (b"nom;ville\nCHU;Brest\n", "n’a pas de colonne adresse, latitude et longitude"),
        (b"", "est vide"),
    ]
    for body, says in cases:
        r = await _upload(client, h, "hospitals", body)
        assert r.status_code == 422, r.text
        assert says in r.json()["detail"], r.json()
    big = b"name,address,lat,lon\n" + b"x" * 20_000_001
    r = await _upload(client, h, "hospitals", big)
    assert r.status_code == 422 and "20" in r.json()["detail"]
    many = b"name,address,lat,lon\n" + b"A,B,45.1,5.7\n" * 100_001
    r = await _upload(client, h, "hospitals", many)
    assert r.status_code == 422 and "100" in r.json()["detail"], r.json()
    assert await _names(client, h, "hospitals") == []


async def test_who_may_import(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    r = await _upload(client, staff.headers, "hospitals", FRENCH_SHEET)
    assert r.status_code == 403
    assert (await client.post("/api/v1/imports/hospitals", content=FRENCH_SHEET)).status_code == 401
    coordinator = await hub.account("coordinator", area="region:53")  # Bretagne
    r = (await _upload(client, coordinator.headers, "hospitals", FRENCH_SHEET)).json()
    assert r["created"] == 0 and r["rejected"] == 3
    assert "hors de votre zone" in r["outcomes"][0]["problems"][0]["reason"]
    batches = await _upload(client, coordinator.headers, "batches", b"need_id,lab_id,quantity\n")
    assert batches.status_code == 403  # restoring batches is for admins
    assert (await _upload(client, coordinator.headers, "unicorns", b"a,b\n")).status_code == 422


async def test_post_needs_refuses_a_quantity_written_as_text(
    hub, client: httpx.AsyncClient
) -> None:
    """``"quantity": "10.000"`` used to be read as 10 by pydantic's lax mode."""
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals")
    body = {
        "hospital_id": site["id"],
        "design": "ear-saver",
        "needed_by": SOON.isoformat(),
    }
    # 10.0 is a JSON number with a zero fraction: an integer for JSON Schema, and for the hub
    # (tests/hub/test_schemathesis.py holds the hub to its document); text never is.
    for quantity in ("10.000", "10", 10.5, True):
        r = await client.post(
            "/api/v1/needs", json={**body, "quantity": quantity}, headers=staff.headers
        )
        assert r.status_code == 422, (quantity, r.text)
        assert r.json()["errors"][0]["field"] == "quantity"
    claim = await client.post(
        "/api/v1/needs/1/claims", json={"lab_id": 1, "quantity": "5"}, headers=staff.headers
    )
    assert claim.status_code == 422
    ok = await client.post("/api/v1/needs", json={**body, "quantity": 10}, headers=staff.headers)
    assert ok.status_code == 201 and ok.json()["quantity"] == 10


async def test_a_file_without_some_columns_keeps_what_the_hub_has(
    hub, client: httpx.AsyncClient
) -> None:
    coordinator = await hub.account("coordinator", area="region:84")
    h = coordinator.headers
    full = (
        b"external_id,name,kind,address,lat,lon,opens,closes,contact_phone\n"
        b"C-1,Clinique du Parc,clinic,Grenoble,45.19,5.72,07:00,20h30,04 76 00 00 01\n"
    )
    assert (await _upload(client, h, "hospitals", full)).json()["created"] == 1
    short = (
        b"external_id,name,address,lat,lon\nC-1,Clinique du Parc (Grenoble),Grenoble,45.19,5.72\n"
    )
    assert (await _upload(client, h, "hospitals", short)).json()["updated"] == 1
    site = (await client.get("/api/v1/hospitals", headers=h)).json()["items"][0]
    assert site["name"] == "Clinique du Parc (Grenoble)"
    assert (site["kind"], site["opens"], site["closes"]) == ("clinic", "07:00", "20:30")
    assert site["contact_phone"] == "04 76 00 00 01"

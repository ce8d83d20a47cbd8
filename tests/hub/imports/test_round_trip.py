"""A round trip (issue 16): export hospitals, labs, needs and batches as CSV for French Excel,
CSV for English Excel and XLSX, import them into an empty hub, export again: the same rows.

The hub's own ids are left out of the comparison: an empty hub numbers its rows itself. Rows
find each other again by their keys (names and addresses, hospital-design-date, tracking
codes), which is what the comparison checks.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openpyxl
import pytest
from support.databases import PostgresTemplates, SqliteTemplate
from support.scenario import Hub

from hub.config import Settings
from hub.main import create_app

KINDS = ("hospitals", "labs", "needs", "batches")
#: The hub's own numbering, which an empty hub does not share.
HUB_IDS = {"id", "hospital_id", "need_id", "lab_id", "id hôpital", "id besoin", "id atelier"}


@pytest.fixture
async def empty(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Hub]]:
    """A second hub, empty, on a database of the same kind as the first."""
    if database_url.startswith("sqlite"):
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        url, name = template.copy(tmp_path / "empty.sqlite"), None
    else:
        templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
        name, url = templates.create()
    app = create_app(Settings(database_url=url, auth_rate_per_minute=100_000))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://empty.test") as c:
        yield c, Hub(c, app)
    await app.state.db.dispose()
    if name is not None:
        request.getfixturevalue("postgres_templates").drop(name)


async def _source(hub: Hub, client: httpx.AsyncClient) -> None:
    """Two hospitals (one verified), two labs, three needs (one cancelled), four batches."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    north = await hub.site(staff, "hospitals", name="CHU Nord", lat=45.20, lon=5.74)
    south = await hub.site(
        staff,
        "hospitals",
        name="Clinique Sud",
        lat=45.15,
        lon=5.73,
        kind="clinic",
        address="2, rue du Sud; Échirolles",
    )
    alps = await hub.site(maker, "labs", name="Fablab des Alpes", equipment=["fdm", "laser"])
    home = await hub.site(
        maker,
        "labs",
        name="=Maker chez soi",
        lat=45.17,
        lon=5.70,
        kind="home",
        contact_phone="+33 6 00 00 00 00",
    )
    await hub.verified("hospitals", north["id"])
    await hub.verified("labs", alps["id"])
    first = await hub.need(staff, north["id"], quantity=1000)
    second = await hub.need(
        staff,
        south["id"],
        quantity=40,
        design="ear-saver",
        accepts=["ear-saver-laser-cut"],
        priority="critical",
    )
    dropped = await hub.need(staff, south["id"], quantity=5, design="charlotte-valve")
    r = await client.post(f"/api/v1/needs/{dropped['id']}/cancel", headers=staff.headers)
    assert r.status_code == 200, r.text
    claimed = await hub.claim(maker, first["id"], alps["id"], 300)
    r = await client.post(
        f"/api/v1/batches/{claimed['id']}/progress", json={"made": 120}, headers=maker.headers
    )
    assert r.status_code == 200, r.text
    ready = await hub.claim(maker, second["id"], home["id"], 20)
    for path, body in (("progress", {"made": 20}), ("ready", None)):
        r = await client.post(
            f"/api/v1/batches/{ready['id']}/{path}", json=body, headers=maker.headers
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/v1/batches/{ready['id']}/receipt",
        json={"accepted": 18, "rejected": 2, "reason": "visières fendues"},
        headers=staff.headers,
    )
    assert r.status_code == 200, r.text
    gone = await hub.claim(maker, first["id"], home["id"], 50)
    r = await client.post(f"/api/v1/batches/{gone['id']}/cancel", headers=maker.headers)
    assert r.status_code == 200, r.text
    await hub.claim(maker, second["id"], alps["id"], 10)


def _rows(body: bytes, fmt: str) -> list[dict[str, Any]]:
    """A file's rows as dicts, without the hub's own ids."""
    if fmt == "xlsx":
        values = list(openpyxl.load_workbook(io.BytesIO(body)).active.values)
        header, data = values[0], values[1:]
        rows = [dict(zip(header, row, strict=True)) for row in data]
    else:
        text = body.decode("utf-8-sig")
        sep = ";" if fmt == "csv:excel-fr" else ","
        rows = list(csv.DictReader(io.StringIO(text), delimiter=sep))
    return [{k: v for k, v in row.items() if k not in HUB_IDS} for row in rows]


async def _export(client: httpx.AsyncClient, headers: dict[str, str], kind: str, fmt: str) -> bytes:
    ext, _, dialect = fmt.partition(":")
    query = f"?dialect={dialect}" if dialect else ""
    r = await client.get(f"/api/v1/exports/{kind}.{ext}{query}", headers=headers)
    assert r.status_code == 200, r.text
    return r.content


@pytest.mark.parametrize("fmt", ["csv:excel-fr", "csv:excel", "xlsx"])
async def test_export_import_export_gives_the_same_rows(
    hub: Hub, client: httpx.AsyncClient, empty: tuple[httpx.AsyncClient, Hub], fmt: str
) -> None:
    await _source(hub, client)
    lang = {"Accept-Language": "fr" if fmt == "csv:excel-fr" else "en"}
    admin = await hub.account("admin")
    files = {kind: await _export(client, {**admin.headers, **lang}, kind, fmt) for kind in KINDS}
    assert len(_rows(files["batches"], fmt)) == 4
    other, other_hub = empty
    other_admin = await other_hub.account("admin")
    h = {**other_admin.headers, **lang}
    for kind in KINDS:
        r = await other.post(f"/api/v1/imports/{kind}", content=files[kind], headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["rejected"] == 0, r.json()
        assert r.json()["created"] == len(_rows(files[kind], fmt)), r.json()
    for kind in KINDS:
        again = await _export(other, h, kind, fmt)
        assert _rows(again, fmt) == _rows(files[kind], fmt), kind
    # The same files again: every row is found by its key, nothing is added.
    for kind in KINDS:
        r = (await other.post(f"/api/v1/imports/{kind}", content=files[kind], headers=h)).json()
        assert (r["created"], r["updated"], r["rejected"]) == (0, 0, 0), (kind, r)

"""The authorization matrix: every operation of the API, tried by every kind of caller.

One world holds a verified hospital and lab with work between them (a claimed batch, a
proposal, a ready batch on a driver's route), a pending hospital and lab, a second hospital
and lab, two drivers (one on the route, one not), a coordinator of the area and one of
another, and an admin. For each operation, every caller who must be refused is refused with
401, 403 or 404 and changes nothing; then one rightful caller succeeds, so that a refusal can
never come from a broken endpoint. Every read is also checked for the two sites' contacts:
they appear only for the callers the rule of ``hub.access.site_view`` names, over REST,
exports, GPX, labels and the live stream alike.

A test fails when the API gains an operation this table does not cover.
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets
from support.data import BREST, GRENOBLE, LYON, PASSWORD
from support.scenario import invitation_parts

from hub.config import Settings
from hub.driver_routes.service import planning
from hub.timeutil import PARIS, today

ROLES = (
    "anonymous",
    "staff",  # verified member of the hospital H
    "maker",  # verified member of the lab L, which holds work for H
    "pending_staff",  # member of a pending hospital
    "pending_maker",  # member of a pending lab
    "other_staff",  # member of another hospital
    "other_maker",  # member of another lab
    "driver",  # holds a ready batch of L for H on an active route
    "other_driver",  # no route
    "coord",  # coordinator of région 84, where H and L are
    "coord_there",  # coordinator of région 53
    "admin",
)
#: Who may see each contact (SPEC section 2): H's, and L's.
SEES_HOSPITAL = {"staff", "maker", "driver", "coord", "admin"}
SEES_LAB = {"maker", "driver", "coord", "admin"}
H_PHONE, L_PHONE = "+33 4 76 22 22 22", "+33 4 76 11 11 11"
H_NAME, L_NAME = "Dr Hôpital", "Mme Atelier"


@pytest.fixture(autouse=True)
def ten_am(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan routes at 10:00 in Paris whatever the hour: the sites open 08:00-18:00."""
    at = planning.now().replace(hour=10, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(planning, "now", lambda: at.astimezone(PARIS))


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A short route solve: the matrix is about who may do what, not the solver."""
    return Settings(database_url=database_url, auth_rate_per_minute=100_000, route_seconds=0.2)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, sqlite_database_url: str) -> str:
    """Access rules are the same on both databases: the matrix runs on SQLite."""
    return sqlite_database_url


async def _post(c: httpx.AsyncClient, url: str, who: Any, body: Any = None) -> dict[str, Any]:
    r = await c.post(url, json=body, headers=who.headers)
    assert r.status_code in (200, 201, 202), (url, r.text)
    return dict(r.json()) if r.content else {}


@pytest.fixture
async def w(hub, client: httpx.AsyncClient) -> dict[str, Any]:
    """The world described in the module's docstring."""
    w: dict[str, Any] = {"anonymous": None}
    for role, kind in (
        ("staff", "hospital_staff"), ("maker", "maker"), ("pending_staff", "hospital_staff"),
        ("pending_maker", "maker"), ("other_staff", "hospital_staff"), ("other_maker", "maker"),
        ("driver", "driver"), ("other_driver", "driver"),
    ):  # fmt: skip
        w[role] = await hub.account(kind)
    w["coord"] = await hub.account("coordinator", area="region:84")
    w["coord_there"] = await hub.account("coordinator", area="region:53")
    w["admin"] = await hub.account("admin")
    place = {"lat": GRENOBLE[0], "lon": GRENOBLE[1], "opens": "08:00", "closes": "18:00"}
    w["H"] = await hub.site(
        w["staff"], "hospitals", **place, contact_name=H_NAME, contact_phone=H_PHONE
    )
    w["L"] = await hub.site(
        w["maker"], "labs", lat=45.1650, lon=5.7100, contact_name=L_NAME, contact_phone=L_PHONE
    )
    w["HP"] = await hub.site(w["pending_staff"], "hospitals", verified=False)
    w["LP"] = await hub.site(w["pending_maker"], "labs", verified=False)
    w["HO"] = await hub.site(w["other_staff"], "hospitals", lat=BREST[0], lon=BREST[1])
    w["LO"] = await hub.site(w["other_maker"], "labs", lat=LYON[0], lon=LYON[1])
    w["N"] = await hub.need(w["staff"], w["H"]["id"], quantity=300)
    w["NP"] = await hub.need(w["pending_staff"], w["HP"]["id"], quantity=10)
    m = w["maker"]
    w["B_claimed"] = await hub.claim(m, w["N"]["id"], w["L"]["id"], 20)
    await _post(client, f"/api/v1/batches/{w['B_claimed']['id']}/progress", m, {"made": 5})
    w["B_ready"] = await hub.claim(m, w["N"]["id"], w["L"]["id"], 10)
    await _post(client, f"/api/v1/batches/{w['B_ready']['id']}/progress", m, {"made": 10})
    await _post(client, f"/api/v1/batches/{w['B_ready']['id']}/ready", m)
    w["R"] = await _post(
        client,
        "/api/v1/routes",
        w["driver"],
        {"start_lat": GRENOBLE[0], "start_lon": GRENOBLE[1], "capacity_units": 50,
         "available_minutes": 240},
    )  # fmt: skip
    # Sent at once: the lab sees its proposal (a draft is the coordinators' alone).
    w["run"] = await _post(client, "/api/v1/matching/runs", w["coord"], {"send": True})
    w["B_proposed"] = next(a for a in w["run"]["assignments"] if a["lab_id"] == w["L"]["id"])
    w["N2"] = await hub.need(w["staff"], w["H"]["id"], quantity=50)  # room left to claim
    sessions = await client.get("/api/v1/auth/sessions", headers=w["other_driver"].headers)
    w["session_id"] = sessions.json()[0]["id"]
    w["invitation"] = await _post(
        client, f"/api/v1/labs/{w['L']['id']}/members", m, {"email": w["other_maker"].email}
    )
    w["invitation_id"], w["invitation_token"] = invitation_parts(w["invitation"]["link"])
    return w


@dataclass(frozen=True)
class Op:
    """One operation: how to call it, who succeeds, and who is refused with what status.

    ``ok`` lists the callers it succeeds for (the first one is tried last, to succeed);
    ``refused`` gives other statuses than the default (401 anonymous, 403 the others);
    ``read`` marks an operation every allowed caller may repeat (all of them are tried);
    ``joins`` one after which the caller is a member, with a member's view.
    """

    method: str
    path: str
    url: Callable[[dict[str, Any]], str]
    ok: tuple[str, ...]
    body: Callable[[dict[str, Any]], Any] | None = None
    refused: dict[str, int] = field(default_factory=dict)
    read: bool = False
    joins: bool = False
    raw: bytes | None = None


def _id(key: str, *, field_: str = "id") -> Callable[[dict[str, Any]], Any]:
    return lambda w: w[key][field_]


SIGNED = tuple(r for r in ROLES if r != "anonymous")
MAKERS = ("other_maker", "maker", "pending_maker")
EVERYONE = ROLES
DUE = (today() + timedelta(days=7)).isoformat()

OPS = [
    # Accounts.
    Op("POST", "/api/v1/auth/signup", lambda w: "/api/v1/auth/signup", EVERYONE,
       body=lambda w: {"email": "new@example.org", "password": "a long new password",
                       "name": "New", "role": "maker"}),
    Op("POST", "/api/v1/auth/token", lambda w: "/api/v1/auth/token", EVERYONE,
       body=lambda w: {"email": w["maker"].email, "password": PASSWORD}),
    Op("POST", "/api/v1/auth/logout", lambda w: "/api/v1/auth/logout",
       ("other_driver", *(r for r in SIGNED if r != "other_driver"))),
    Op("GET", "/api/v1/auth/me", lambda w: "/api/v1/auth/me", SIGNED, read=True),
    Op("POST", "/api/v1/auth/logout-everywhere", lambda w: "/api/v1/auth/logout-everywhere",
       ("other_driver", *(r for r in SIGNED if r != "other_driver"))),
    Op("GET", "/api/v1/auth/sessions", lambda w: "/api/v1/auth/sessions", SIGNED, read=True),
    # Someone else's session is as unknown as a missing one.
    Op("DELETE", "/api/v1/auth/sessions/{session_id}",
       lambda w: f"/api/v1/auth/sessions/{w['session_id']}", ("other_driver",),
       refused={r: 404 for r in SIGNED if r != "other_driver"}),
    Op("POST", "/api/v1/auth/password", lambda w: "/api/v1/auth/password",
       ("other_driver", *(r for r in SIGNED if r != "other_driver")),
       body=lambda w: {"current_password": PASSWORD, "new_password": "another long passphrase"}),
    # Public: the same answer for every e-mail; a link that is not one is refused for all.
    Op("POST", "/api/v1/auth/password-reset", lambda w: "/api/v1/auth/password-reset", EVERYONE,
       body=lambda w: {"email": w["maker"].email}),
    Op("POST", "/api/v1/auth/password-reset/confirm",
       lambda w: "/api/v1/auth/password-reset/confirm", EVERYONE,
       body=lambda w: {"token": "not-a-link", "password": "another long passphrase"},
       refused=dict.fromkeys(EVERYONE, 422)),
    # Sites.
    Op("POST", "/api/v1/hospitals", lambda w: "/api/v1/hospitals",
       ("staff", "pending_staff", "other_staff", "coord", "coord_there", "admin"),
       body=lambda w: {"name": "New", "kind": "clinic", "address": "x", "lat": 45.0, "lon": 5.0}),
    Op("GET", "/api/v1/hospitals", lambda w: "/api/v1/hospitals?limit=500", SIGNED, read=True),
    Op("GET", "/api/v1/hospitals/{site_id}", lambda w: f"/api/v1/hospitals/{w['H']['id']}",
       SIGNED, read=True),
    Op("POST", "/api/v1/hospitals/{site_id}/verify",
       lambda w: f"/api/v1/hospitals/{w['HP']['id']}/verify", ("coord", "admin")),
    Op("POST", "/api/v1/hospitals/{site_id}/suspend",
       lambda w: f"/api/v1/hospitals/{w['HO']['id']}/suspend", ("coord_there", "admin"),
       body=lambda w: {"reason": "fake"}),
    Op("POST", "/api/v1/hospitals/{site_id}/members",
       lambda w: f"/api/v1/hospitals/{w['H']['id']}/members", ("staff", "coord", "admin"),
       body=lambda w: {"email": "colleague@example.org"}),
    # Corrections (members while pending, coordinators of the area) and registry checks.
    Op("PATCH", "/api/v1/hospitals/{site_id}",
       lambda w: f"/api/v1/hospitals/{w['HP']['id']}", ("pending_staff", "coord", "admin"),
       body=lambda w: {"contact_name": "Dr Correct"}),
    Op("PATCH", "/api/v1/labs/{site_id}",
       lambda w: f"/api/v1/labs/{w['LP']['id']}", ("pending_maker", "coord", "admin"),
       body=lambda w: {"opens": "07:30"}),
    Op("GET", "/api/v1/hospitals/{site_id}/registry",
       lambda w: f"/api/v1/hospitals/{w['H']['id']}/registry", ("staff", "coord", "admin"),
       read=True),
    Op("GET", "/api/v1/labs/{site_id}/registry",
       lambda w: f"/api/v1/labs/{w['L']['id']}/registry", ("maker", "coord", "admin"),
       read=True),
    Op("GET", "/api/v1/places", lambda w: "/api/v1/places?q=38700", SIGNED, read=True),
    Op("POST", "/api/v1/labs", lambda w: "/api/v1/labs",
       ("maker", "pending_maker", "other_maker", "coord", "coord_there", "admin"),
       body=lambda w: {"name": "New", "kind": "fablab", "address": "x", "lat": 45.0, "lon": 5.0}),
    Op("GET", "/api/v1/labs", lambda w: "/api/v1/labs?limit=500", SIGNED, read=True),
    Op("GET", "/api/v1/labs/{site_id}", lambda w: f"/api/v1/labs/{w['L']['id']}", SIGNED,
       read=True),
    Op("POST", "/api/v1/labs/{site_id}/verify", lambda w: f"/api/v1/labs/{w['LP']['id']}/verify",
       ("coord", "admin")),
    Op("POST", "/api/v1/labs/{site_id}/suspend", lambda w: f"/api/v1/labs/{w['LO']['id']}/suspend",
       ("coord", "admin"), body=lambda w: {"reason": "duplicate"}),
    Op("POST", "/api/v1/labs/{site_id}/members", lambda w: f"/api/v1/labs/{w['L']['id']}/members",
       ("maker", "coord", "admin"), body=lambda w: {"email": "colleague@example.org"}),
    # The link's token is the proof, not the address: any maker holding it may join the lab
    # (one of them, once); other roles are told they cannot join a lab.
    Op("POST", "/api/v1/invitations/{invitation_id}/accept",
       lambda w: f"/api/v1/invitations/{w['invitation_id']}/accept", MAKERS,
       refused={r: 409 for r in SIGNED if r not in MAKERS}, joins=True,
       body=lambda w: {"token": w["invitation_token"]}),
    Op("POST", "/api/v1/invitations/{invitation_id}/decline",
       lambda w: f"/api/v1/invitations/{w['invitation_id']}/decline", SIGNED,
       body=lambda w: {"token": w["invitation_token"]}),
    # Offers and designs.
    Op("PUT", "/api/v1/labs/{lab_id}/offers", lambda w: f"/api/v1/labs/{w['L']['id']}/offers",
       ("maker", "admin"),
       body=lambda w: [{"design": "ear-saver", "units_per_day": 5, "available_from": DUE}]),
    Op("GET", "/api/v1/labs/{lab_id}/offers", lambda w: f"/api/v1/labs/{w['L']['id']}/offers",
       SIGNED, read=True),
    Op("GET", "/api/v1/designs", lambda w: "/api/v1/designs", EVERYONE, read=True),
    Op("GET", "/api/v1/designs/{slug}", lambda w: "/api/v1/designs/ear-saver", EVERYONE,
       read=True),
    # Needs.
    Op("POST", "/api/v1/needs", lambda w: "/api/v1/needs", ("staff", "admin"),
       body=lambda w: {"hospital_id": w["H"]["id"], "design": "ear-saver", "quantity": 5,
                       "needed_by": DUE}),
    Op("GET", "/api/v1/needs", lambda w: "/api/v1/needs?limit=500", SIGNED, read=True),
    Op("GET", "/api/v1/needs/{need_id}", lambda w: f"/api/v1/needs/{w['N']['id']}", SIGNED,
       read=True),
    Op("POST", "/api/v1/needs/{need_id}/cancel", lambda w: f"/api/v1/needs/{w['NP']['id']}/cancel",
       ("pending_staff", "coord", "admin")),
    Op("POST", "/api/v1/needs/{need_id}/claims", lambda w: f"/api/v1/needs/{w['N2']['id']}/claims",
       ("other_maker", "admin"),
       body=lambda w: {"lab_id": w["LO"]["id"], "quantity": 5}),
    # Batches.
    Op("POST", "/api/v1/batches/{batch_id}/accept",
       lambda w: f"/api/v1/batches/{w['B_proposed']['batch_id']}/accept", ("maker", "admin")),
    Op("POST", "/api/v1/batches/{batch_id}/decline",
       lambda w: f"/api/v1/batches/{w['B_proposed']['batch_id']}/decline", ("maker", "admin")),
    Op("POST", "/api/v1/batches/{batch_id}/progress",
       lambda w: f"/api/v1/batches/{w['B_claimed']['id']}/progress", ("maker", "admin"),
       body=lambda w: {"made": 6}),
    Op("POST", "/api/v1/batches/{batch_id}/ready",
       lambda w: f"/api/v1/batches/{w['B_claimed']['id']}/ready", ("maker", "admin"),
       body=lambda w: {"rest": "keep"}),
    Op("POST", "/api/v1/batches/{batch_id}/receipt",
       lambda w: f"/api/v1/batches/{w['B_ready']['id']}/receipt", ("staff", "admin"),
       body=lambda w: {"accepted": 10}),
    Op("POST", "/api/v1/batches/{batch_id}/cancel",
       lambda w: f"/api/v1/batches/{w['B_claimed']['id']}/cancel", ("maker", "coord", "admin")),
    Op("POST", "/api/v1/batches/{batch_id}/adjust",
       lambda w: f"/api/v1/batches/{w['B_claimed']['id']}/adjust", ("coord", "admin"),
       body=lambda w: {"quantity": 15}),
    Op("POST", "/api/v1/batches/{batch_id}/correct",
       lambda w: f"/api/v1/batches/{w['B_claimed']['id']}/correct", ("coord", "admin"),
       body=lambda w: {"made": 2, "reason": "typo"}),
    Op("GET", "/api/v1/batches/{batch_id}", lambda w: f"/api/v1/batches/{w['B_ready']['id']}",
       SIGNED, read=True),
    Op("GET", "/api/v1/batches/{batch_id}/label",
       lambda w: f"/api/v1/batches/{w['B_ready']['id']}/label", ("maker", "admin"), read=True),
    Op("GET", "/api/v1/batches", lambda w: "/api/v1/batches?limit=500", SIGNED, read=True),
    # Totals, events, exports.
    Op("GET", "/api/v1/stats", lambda w: "/api/v1/stats", EVERYONE, read=True),
    Op("GET", "/api/v1/events", lambda w: "/api/v1/events?limit=1000", SIGNED, read=True),
    Op("GET", "/api/v1/exports/{what}.{fmt}", lambda w: "/api/v1/exports/labs.csv",
       ("coord", "coord_there", "admin"), read=True),
    Op("POST", "/api/v1/imports/{kind}", lambda w: "/api/v1/imports/labs?dry_run=true",
       ("coord", "coord_there", "admin"),
       body=lambda w: None, raw=b"name;kind;address;lat;lon\nAtelier;fablab;x;45,1;5,7\n"),
    Op("GET", "/api/v1/labs/{lab_id}/pickups.ics",
       lambda w: f"/api/v1/labs/{w['L']['id']}/pickups.ics", ("maker", "coord", "admin"),
       read=True),
    # Drivers' routes.
    Op("GET", "/api/v1/routes", lambda w: "/api/v1/routes", SIGNED, read=True),
    Op("POST", "/api/v1/routes", lambda w: "/api/v1/routes", ("other_driver", "driver", "admin"),
       body=lambda w: {"start_lat": 45.19, "start_lon": 5.72, "capacity_units": 50,
                       "available_minutes": 240},
       refused={"other_driver": 409, "driver": 409}),
    Op("GET", "/api/v1/routes/{route_id}", lambda w: f"/api/v1/routes/{w['R']['id']}",
       ("driver", "admin"), read=True),
    Op("POST", "/api/v1/routes/{route_id}/stops/{seq}/done",
       lambda w: f"/api/v1/routes/{w['R']['id']}/stops/1/done", ("driver", "admin"),
       body=lambda w: {"quantity": w["R"]["stops"][0]["quantity"]}),
    Op("POST", "/api/v1/routes/{route_id}/release",
       lambda w: f"/api/v1/routes/{w['R']['id']}/release", ("driver", "admin")),
    Op("GET", "/api/v1/routes/{route_id}/gpx", lambda w: f"/api/v1/routes/{w['R']['id']}/gpx",
       ("driver", "admin"), read=True),
    Op("GET", "/api/v1/routes/{route_id}/calendar.ics",
       lambda w: f"/api/v1/routes/{w['R']['id']}/calendar.ics", ("driver", "admin"), read=True),
    # The coordinators' queue of sites to verify, with their creators.
    Op("GET", "/api/v1/sites/pending", lambda w: "/api/v1/sites/pending", ("coord", "coord_there",
       "admin"), read=True),
    # Matching.
    Op("POST", "/api/v1/matching/runs", lambda w: "/api/v1/matching/runs",
       ("coord", "coord_there", "admin"), body=lambda w: {}),
    Op("GET", "/api/v1/matching/runs/{run_id}", lambda w: f"/api/v1/matching/runs/{w['run']['id']}",
       ("coord", "admin"), read=True),
    Op("GET", "/api/v1/matching/runs/{run_id}/proposals",
       lambda w: f"/api/v1/matching/runs/{w['run']['id']}/proposals", ("coord", "admin"),
       read=True),
    Op("POST", "/api/v1/matching/runs/{run_id}/send",
       lambda w: f"/api/v1/matching/runs/{w['run']['id']}/send", ("coord", "admin")),
    # The dashboard's panels: public aggregates, names for coordinators of the area.
    Op("GET", "/api/v1/dashboard/outlines", lambda w: "/api/v1/dashboard/outlines", EVERYONE,
       read=True),
    Op("GET", "/api/v1/dashboard/map", lambda w: "/api/v1/dashboard/map?area=region:84",
       EVERYONE, read=True),
    Op("GET", "/api/v1/dashboard/bottlenecks",
       lambda w: "/api/v1/dashboard/bottlenecks?area=region:84", EVERYONE, read=True),
    Op("GET", "/api/v1/dashboard/daily", lambda w: "/api/v1/dashboard/daily", EVERYONE,
       read=True),
    Op("GET", "/api/v1/dashboard/stream", lambda w: "/api/v1/dashboard/stream", EVERYONE,
       read=True),
    Op("GET", "/healthz", lambda w: "/healthz", EVERYONE, read=True),
    Op("GET", "/readyz", lambda w: "/readyz", EVERYONE, read=True),
]  # fmt: skip


def test_the_matrix_covers_every_operation(app) -> None:
    """An operation added to the API must be added here, with who may call it."""
    spec = app.openapi()
    served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    covered = {(op.method, op.path) for op in OPS}
    assert served - covered == set(), "add these operations to the matrix"
    assert covered - served == set(), "these operations no longer exist"


async def _snapshot(client: httpx.AsyncClient, w: dict[str, Any]) -> str:
    """Everything an admin can read, to check that a refused call changed nothing."""
    parts = []
    for url in ("/api/v1/hospitals?limit=500", "/api/v1/labs?limit=500", "/api/v1/needs?limit=500",
                "/api/v1/batches?limit=500", f"/api/v1/labs/{w['L']['id']}/offers",
                f"/api/v1/routes/{w['R']['id']}", "/api/v1/stats"):  # fmt: skip
        parts.append((await client.get(url, headers=w["admin"].headers)).text)
    return "\n".join(parts)


def _check_contacts(role: str, where: str, text: str) -> None:
    """A response carries a site's contact only for the callers who may see it."""
    for phone, name, allowed in ((H_PHONE, H_NAME, SEES_HOSPITAL), (L_PHONE, L_NAME, SEES_LAB)):
        if role not in allowed:
            assert phone not in text and name not in text, f"{role} sees {name} in {where}"


async def _try(client: httpx.AsyncClient, w: dict[str, Any], op: Op) -> None:
    """Refused callers get their status and change nothing; the rightful caller succeeds;
    answers carry contacts only for those who may see them."""
    url = op.url(w)
    body = op.body(w) if op.body else None

    async def call(role: str) -> httpx.Response:
        headers = w[role].headers if w[role] is not None else {}
        if op.raw is not None:
            return await client.request(op.method, url, content=op.raw, headers=headers)
        return await client.request(op.method, url, json=body, headers=headers)

    before = await _snapshot(client, w)
    for role in (r for r in ROLES if r not in op.ok):
        r = await call(role)
        expected = op.refused.get(role, 401 if role == "anonymous" else 403)
        assert r.status_code == expected, (op.path, role, r.status_code, r.text)
        assert r.json()["detail"], role
    assert await _snapshot(client, w) == before, f"a refused {op.path} changed something"
    for role in op.ok if op.read else op.ok[:1]:
        r = await call(role)
        expected = op.refused.get(role, 0)
        if expected:  # allowed in principle, refused by the state of this world
            assert r.status_code == expected, (op.path, role, r.text)
            continue
        assert r.status_code < 300, (op.path, role, r.status_code, r.text)
        if not op.joins:
            _check_contacts(role, f"{op.method} {url}", r.text)


READS = [op for op in OPS if op.read]
WRITES = [op for op in OPS if not op.read]


async def test_who_may_read(client: httpx.AsyncClient, w: dict[str, Any]) -> None:
    """Every read, by every caller, on one world (reads change nothing: checked)."""
    for op in READS:
        await _try(client, w, op)


@pytest.mark.parametrize("op", WRITES, ids=[f"{o.method} {o.path}" for o in WRITES])
async def test_who_may_write(client: httpx.AsyncClient, w: dict[str, Any], op: Op) -> None:
    """Every write, by every caller who must be refused, then by one rightful caller, each on
    a world of its own."""
    await _try(client, w, op)


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
@pytest.mark.parametrize("what", ["needs", "labs", "batches"])
async def test_exports_carry_contacts_only_of_the_coordinators_area(
    client: httpx.AsyncClient, w: dict[str, Any], what: str, fmt: str
) -> None:
    """Exports follow the same rule: a coordinator of another area gets nobody's contact."""
    for role in ("coord", "coord_there", "admin"):
        r = await client.get(f"/api/v1/exports/{what}.{fmt}", headers=w[role].headers)
        assert r.status_code == 200, r.text
        _check_contacts(role, f"export {what}.{fmt}", r.text)


async def test_gpx_and_label_carry_only_their_readers_contacts(
    client: httpx.AsyncClient, w: dict[str, Any]
) -> None:
    """The driver's GPX has the contacts of the stops still to do; the box label has the
    hospital's name and address, never a phone number."""
    gpx = await client.get(f"/api/v1/routes/{w['R']['id']}/gpx", headers=w["driver"].headers)
    assert H_PHONE in gpx.text and L_PHONE in gpx.text
    label = await client.get(
        f"/api/v1/batches/{w['B_ready']['id']}/label", headers=w["maker"].headers
    )
    assert w["H"]["name"] in label.text or "hospitals of test" in label.text
    assert H_PHONE not in label.text and L_PHONE not in label.text


@pytest.fixture
async def served(app) -> Any:
    """The app behind a real server, for websockets."""
    from support.server import serve_in_process

    async with serve_in_process(app) as base:
        yield base


async def test_the_live_stream_carries_contacts_by_the_same_rule(
    w: dict[str, Any], client: httpx.AsyncClient, served: str
) -> None:
    """Every role opens the live stream of région 84; an event about H and L follows. Names
    go to coordinators of the area only, and contacts only as REST gives them."""
    sockets = {}
    for role in ROLES:
        token = w[role].token if w[role] is not None else None
        offered = ["hub.bearer", token] if token else None
        ws = await websockets.connect(f"ws://{served}/ws/live?area=region:84", subprotocols=offered)
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert snapshot["detailed"] is (role in ("coord", "admin")), role
        sockets[role] = ws
    r = await client.post(
        f"/api/v1/batches/{w['B_claimed']['id']}/progress",
        json={"made": 7},
        headers=w["maker"].headers,
    )
    assert r.status_code == 200, r.text
    for role, ws in sockets.items():
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "event":
                break
        text = json.dumps(message, ensure_ascii=False)
        _check_contacts(role, "the live stream", text)
        assert ("names" in message) is (role in ("coord", "admin")), role
        await ws.close()

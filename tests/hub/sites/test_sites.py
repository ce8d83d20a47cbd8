"""Hospitals and labs: area codes from coordinates, verification, contact visibility."""

import httpx
import pytest
from sqlalchemy import select
from support.data import BREST, GRENOBLE
from support.scenario import invitation_parts

from hub.notifications.models import OutboxMessage


@pytest.mark.parametrize(
    ("where", "region", "departement"),
    [(GRENOBLE, "84", "38"), (BREST, "53", "29")],
    ids=["grenoble", "brest"],
)
async def test_site_gets_region_and_departement(
    hub, where: tuple[float, float], region: str, departement: str
) -> None:
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", lat=where[0], lon=where[1], verified=False)
    assert (site["region"], site["departement"]) == (region, departement)
    assert site["status"] == "pending"


async def test_site_outside_france_works_without_codes(hub) -> None:
    maker = await hub.account("maker")
    # Brussels: a place abroad is confirmed explicitly (issue 14), then has no French codes.
    site = await hub.site(maker, "labs", lat=50.8466, lon=4.3528, outside_france=True)
    assert site["region"] is None and site["departement"] is None
    assert (site["time_zone"], site["land"]) == ("Europe/Brussels", None)


async def test_verification_is_for_coordinators_of_the_area(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    url = f"/api/v1/hospitals/{site['id']}/verify"
    brittany = await hub.account("coordinator", area="region:53")
    isere = await hub.account("coordinator", area="departement:38")
    assert (await client.post(url)).status_code == 401
    assert (await client.post(url, headers=staff.headers)).status_code == 403
    r = await client.post(url, headers=brittany.headers)
    assert r.status_code == 403
    assert "outside your area" in r.json()["detail"]
    r = await client.post(url, headers=isere.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "verified"


async def test_contacts_hidden_from_strangers(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    site = await hub.site(staff, "hospitals")
    url = f"/api/v1/hospitals/{site['id']}"
    stranger = await hub.account("maker")
    coordinator = await hub.account("coordinator", area="region:84")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=stranger.headers)).json()["contact_phone"] is None
    assert (await client.get(url, headers=staff.headers)).json()["contact_phone"]
    assert (await client.get(url, headers=coordinator.headers)).json()["contact_phone"]


async def test_lab_holding_a_batch_sees_the_hospital_contact(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"])
    url = f"/api/v1/hospitals/{hospital['id']}"
    assert (await client.get(url, headers=maker.headers)).json()["contact_phone"] is None
    await hub.claim(maker, need["id"], lab["id"], 10)
    assert (await client.get(url, headers=maker.headers)).json()["contact_phone"]


@pytest.mark.parametrize(
    "patch",
    [
        {"lat": 91},
        {"lat": -90.5},
        {"lon": 181},
        {"kind": "castle"},
        {"name": ""},
        {"opens": "19:00", "closes": "08:00"},
        {"contact_phone": "call me maybe"},
        {"unexpected": 1},
    ],
)
async def test_bad_site_input_is_422_and_creates_nothing(
    hub, client: httpx.AsyncClient, patch: dict
) -> None:
    staff = await hub.account("hospital_staff")
    body = {"name": "H", "kind": "hospital", "address": "x", "lat": 45.0, "lon": 5.0, **patch}
    r = await client.post("/api/v1/hospitals", json=body, headers=staff.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    listing = await client.get("/api/v1/hospitals", headers=staff.headers)
    assert listing.json()["total"] == 0


async def test_nan_latitude_is_rejected(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")
    raw = b'{"name": "H", "kind": "hospital", "address": "x", "lat": NaN, "lon": 5.0}'
    r = await client.post(
        "/api/v1/hospitals",
        content=raw,
        headers={**staff.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    listing = await client.get("/api/v1/hospitals", headers=staff.headers)
    assert listing.json()["total"] == 0


def _link(answer: httpx.Response) -> tuple[str, dict[str, str]]:
    """The accept URL and the body of an invitation's link (``…#invitation=ID.TOKEN``)."""
    invitation_id, token = invitation_parts(answer.json()["link"])
    return f"/api/v1/invitations/{invitation_id}/accept", {"token": token}


async def test_members_invite_colleagues_who_join_when_they_accept(
    hub, client: httpx.AsyncClient, app
) -> None:
    """An invitation is only an invitation: the colleague joins when they accept its link."""
    maker = await hub.account("maker")
    colleague = await hub.account("maker")
    stranger = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    url = f"/api/v1/labs/{lab['id']}/members"
    denied = await client.post(url, json={"email": colleague.email}, headers=stranger.headers)
    assert denied.status_code == 403
    ok = await client.post(url, json={"email": colleague.email}, headers=maker.headers)
    assert ok.status_code == 202
    mine = await client.get("/api/v1/labs?mine=true", headers=colleague.headers)
    assert mine.json()["items"] == []  # not a member yet: no contacts, no batches
    # The link is mailed to the address (the outbox), in the inviter's language.
    async with app.state.db.read_sessions() as session:
        mail = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert mail is not None and mail.to_address == colleague.email.lower()
    assert ok.json()["link"] in mail.body and lab["name"] in mail.subject
    accept, body = _link(ok)
    wrong = await client.post(accept, json={"token": "x" * 43}, headers=colleague.headers)
    assert wrong.status_code == 404
    joined = await client.post(accept, json=body, headers=colleague.headers)
    assert joined.status_code == 200, joined.text
    mine = await client.get("/api/v1/labs?mine=true", headers=colleague.headers)
    assert [s["id"] for s in mine.json()["items"]] == [lab["id"]]
    # Used once.
    assert (await client.post(accept, json=body, headers=stranger.headers)).status_code == 404


async def test_signing_up_with_an_invited_address_gives_nothing(
    hub, client: httpx.AsyncClient
) -> None:
    """The hole (found attacking it): an invitation waited for whoever signed up first with
    its address, and anyone may sign up with any address; so a stranger who knew or guessed
    it joined a verified lab and saw its hospitals' contacts. The link is the proof now."""
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    await hub.verified("labs", lab["id"])
    address = "new.colleague@lab.example.org"
    invited = await client.post(
        f"/api/v1/labs/{lab['id']}/members", json={"email": address}, headers=maker.headers
    )
    assert invited.status_code == 202
    eve = await client.post(
        "/api/v1/auth/signup",
        json={"email": address, "password": "Attacker-Pass-77q!", "name": "Eve", "role": "maker"},
    )
    assert eve.status_code == 201
    headers = {"Authorization": f"Bearer {eve.json()['access_token']}"}
    # Nothing lists it, and its id without the token is no way in.
    assert (await client.get("/api/v1/invitations", headers=headers)).status_code in (404, 405)
    accept, _ = _link(invited)
    for token in ("", "guess", "A" * 43):
        r = await client.post(accept, json={"token": token}, headers=headers)
        assert r.status_code in (404, 422), r.text
    mine = await client.get("/api/v1/labs?mine=true", headers=headers)
    assert mine.json()["items"] == []


async def test_an_invitation_never_tells_who_has_an_account(hub, client: httpx.AsyncClient) -> None:
    """The hole: adding someone by e-mail told whether the e-mail had an account, and whether
    it was a coordinator's; now every e-mail gets the same answer."""
    maker = await hub.account("maker")
    coordinator = await hub.account("coordinator", area="region:84")
    staff = await hub.account("hospital_staff")
    lab = await hub.site(maker, "labs")
    url = f"/api/v1/labs/{lab['id']}/members"
    answers = set()
    for email in (coordinator.email, staff.email, "nobody-here@example.org"):
        r = await client.post(url, json={"email": email}, headers=maker.headers)
        assert r.status_code == 202, r.text
        assert set(r.json()) == {"email", "site_id", "link"}
        answers.add(r.json()["site_id"])
        if email == staff.email:
            staff_invited = r
    assert len(answers) == 1
    # The coordinator is not made a member, and learns only that someone invited them.
    mine = await client.get("/api/v1/labs?mine=true", headers=coordinator.headers)
    assert mine.json()["items"] == []
    # A hospital's staff invited to a lab is told, when they try, why they cannot join.
    accept, body = _link(staff_invited)
    refused = await client.post(
        accept, json=body, headers={**staff.headers, "Accept-Language": "fr"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Vous êtes personnel soignant")


async def test_hospital_staff_never_get_a_lab_contact(hub, client: httpx.AsyncClient) -> None:
    """Fake requests fished for makers' phone numbers in 2020: a claim must not reveal them."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"])
    await hub.claim(maker, need["id"], lab["id"], 10)
    seen = await client.get(f"/api/v1/labs/{lab['id']}", headers=staff.headers)
    assert seen.json()["contact_phone"] is None

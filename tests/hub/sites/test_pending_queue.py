"""The coordinators' queue of sites to verify: who created each, and its contact."""

import httpx
from support.data import BREST


async def test_the_queue_names_each_sites_creator_and_contact(
    hub, client: httpx.AsyncClient
) -> None:
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", verified=False)
    lab = await hub.site(maker, "labs", verified=False)
    far = await hub.site(maker, "labs", lat=BREST[0], lon=BREST[1], verified=False)
    coordinator = await hub.account("coordinator", area="region:84")
    r = await client.get("/api/v1/sites/pending", headers=coordinator.headers)
    assert r.status_code == 200, r.text
    queue = r.json()
    # Oldest first; Brest (région 53) is another coordinator's.
    assert [p["site"]["id"] for p in queue] == [hospital["id"], lab["id"]]
    me = (await client.get("/api/v1/auth/me", headers=staff.headers)).json()
    assert queue[0]["created_by"] == {
        "id": staff.id,
        "name": me["name"],
        "email": staff.email,
        "email_holder": True,
    }
    assert queue[0]["site"]["contact_phone"] == "+33 4 76 00 00 00"
    assert queue[1]["created_by"]["email"] == maker.email
    verified = await client.post(f"/api/v1/labs/{lab['id']}/verify", headers=coordinator.headers)
    assert verified.status_code == 200
    after = await client.get("/api/v1/sites/pending", headers=coordinator.headers)
    assert [p["site"]["id"] for p in after.json()] == [hospital["id"]]
    # A wider area than one's own is refused; makers have no queue.
    wider = await client.get("/api/v1/sites/pending?area=FR", headers=coordinator.headers)
    assert wider.status_code == 403
    assert (await client.get("/api/v1/sites/pending", headers=maker.headers)).status_code == 403
    national = await hub.national_coordinator()
    everywhere = await client.get("/api/v1/sites/pending", headers=national.headers)
    assert far["id"] in [p["site"]["id"] for p in everywhere.json()]


async def test_the_queue_says_when_a_creator_does_not_hold_its_address(
    hub, client: httpx.AsyncClient
) -> None:
    """A sign-up with someone's address and another password makes an account sharing it:
    the coordinator is told that the address proves nothing about who made the site."""
    staff = await hub.account("hospital_staff")
    r = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": staff.email,
            "password": "not the holder's passphrase",
            "name": "Impostor",
            "role": "hospital_staff",
        },
    )
    assert r.status_code == 201, r.text
    impostor = {"Authorization": f"Bearer {r.json()['access_token']}"}
    body = {"name": "CHU", "kind": "hospital", "address": "1 rue", "lat": 45.19, "lon": 5.72}
    site = (await client.post("/api/v1/hospitals", json=body, headers=impostor)).json()
    coordinator = await hub.account("coordinator", area="region:84")
    queue = (await client.get("/api/v1/sites/pending", headers=coordinator.headers)).json()
    (pending,) = [p for p in queue if p["site"]["id"] == site["id"]]
    assert pending["created_by"]["email"] == staff.email
    assert pending["created_by"]["email_holder"] is False

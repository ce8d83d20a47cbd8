"""Trust: the holes an attacker found, each written as the attacker tried it.

Unverified sites take no work and see no contacts; claims stay within what a lab declared;
coordinators see only their area; a home's place and a box's code stay with those who need
them; a coordinator can suspend a site.
"""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from support.data import BREST, GRENOBLE

from hub.timeutil import today

FR = {"Accept-Language": "fr"}


@pytest.fixture
async def isere(hub) -> dict[str, Any]:
    """A verified hospital with a need of 300 in Grenoble and a verified lab nearby."""
    w: dict[str, Any] = {"staff": await hub.account("hospital_staff")}
    w["maker"] = await hub.account("maker")
    w["hospital"] = await hub.site(w["staff"], "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    w["lab"] = await hub.site(w["maker"], "labs")
    w["need"] = await hub.need(w["staff"], w["hospital"]["id"], quantity=300)
    return w


async def test_an_unverified_lab_cannot_take_a_need_nor_see_its_contact(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """The hole: a maker signs up, creates a lab (pending) and claims the whole remaining
    quantity of a need: 201, the hospital's phone is theirs, verified labs get "0 remain"."""
    crook = await hub.account("maker")
    pending = await hub.site(crook, "labs", verified=False)
    await hub.offers(crook, pending["id"], stock=1000)  # a pending lab may prepare
    need = isere["need"]
    r = await client.post(
        f"/api/v1/needs/{need['id']}/claims",
        json={"lab_id": pending["id"], "quantity": 300},
        headers={**crook.headers, **FR},
    )
    assert r.status_code == 403
    assert "attend la vérification" in r.json()["detail"]
    hospital = await client.get(
        f"/api/v1/hospitals/{isere['hospital']['id']}", headers=crook.headers
    )
    assert hospital.json()["contact_phone"] is None
    # The need is whole for the verified lab.
    batch = await hub.claim(isere["maker"], need["id"], isere["lab"]["id"], 300)
    assert batch["quantity"] == 300


async def test_a_proposal_to_a_lab_suspended_since_cannot_be_accepted(
    hub, client: httpx.AsyncClient, app, isere
) -> None:
    """Accepting needs a verified lab too: a lab suspended after the matcher ran cannot."""
    from hub.batches.records import create_batch
    from hub.needs.service import get_need
    from hub.rules.states import BatchState

    async with app.state.db.transaction() as session:
        need = await get_need(session, isere["need"]["id"], lock=True)
        proposal = await create_batch(
            session,
            need=need,
            lab_id=isere["lab"]["id"],
            quantity=10,
            design=need.design,
            state=BatchState.PROPOSED,
            actor=None,
        )
    coordinator = await hub.account("coordinator", area="region:84")
    r = await client.post(
        f"/api/v1/labs/{isere['lab']['id']}/suspend",
        json={"reason": "duplicate of another lab"},
        headers=coordinator.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cancelled_batch_ids"] == [proposal.id]
    again = await client.post(
        f"/api/v1/batches/{proposal.id}/accept", headers=isere["maker"].headers
    )
    assert again.status_code == 409  # it went back to the pool: cancelled


async def test_a_pending_hospitals_need_cannot_be_claimed(hub, client: httpx.AsyncClient) -> None:
    """Fake requests were the 2020 problem: a need stays flagged and unclaimable until its
    hospital is verified, whoever asks."""
    staff = await hub.account("hospital_staff")
    maker = await hub.account("maker")
    hospital = await hub.site(staff, "hospitals", verified=False)
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=20)
    url = f"/api/v1/needs/{need['id']}/claims"
    r = await client.post(url, json={"lab_id": lab["id"], "quantity": 5}, headers=maker.headers)
    assert r.status_code == 403
    await hub.verified("hospitals", hospital["id"])
    r = await client.post(url, json={"lab_id": lab["id"], "quantity": 5}, headers=maker.headers)
    assert r.status_code == 201, r.text


async def test_a_claim_is_bounded_by_what_the_lab_declared_by_the_needs_date(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """A lab that declared 20 a day from today, no stock, can take 20 x days to the need's
    date, less what it already holds; beyond that the claim says what it declared."""
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", capacity=0)
    need = isere["need"]  # due in 7 days: production today and the next 7 days
    url = f"/api/v1/needs/{need['id']}/claims"
    nothing = await client.post(
        url, json={"lab_id": lab["id"], "quantity": 1}, headers=maker.headers
    )
    assert nothing.status_code == 409 and "capacity" in nothing.json()["detail"]
    await hub.offers(maker, lab["id"], stock=0, units_per_day=20)
    days = (today() + timedelta(days=7) - today()).days + 1
    first = await client.post(
        url, json={"lab_id": lab["id"], "quantity": 100}, headers=maker.headers
    )
    assert first.status_code == 201, first.text
    over = await client.post(
        url, json={"lab_id": lab["id"], "quantity": 20 * days - 100 + 1}, headers=maker.headers
    )
    assert over.status_code == 409
    assert f"{20 * days - 100} more units" in over.json()["detail"]
    fits = await client.post(
        url, json={"lab_id": lab["id"], "quantity": 20 * days - 100}, headers=maker.headers
    )
    assert fits.status_code == 201, fits.text


async def test_suspending_a_site_sends_its_work_back_to_the_pool_as_events(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """A coordinator suspends a lab: its batches still at the lab are cancelled (each an
    event, the totals follow), it can claim no more, and a new verification lifts it."""
    batch = await hub.claim(isere["maker"], isere["need"]["id"], isere["lab"]["id"], 50)
    there = await hub.account("coordinator", area="region:53")
    here = await hub.account("coordinator", area="region:84")
    url = f"/api/v1/labs/{isere['lab']['id']}/suspend"
    assert (await client.post(url, json={"reason": "x"}, headers=there.headers)).status_code == 403
    assert (
        await client.post(url, json={"reason": "x"}, headers=isere["maker"].headers)
    ).status_code == 403
    r = await client.post(url, json={"reason": "adresse introuvable"}, headers=here.headers)
    assert r.status_code == 200, r.text
    assert r.json()["cancelled_batch_ids"] == [batch["id"]]
    stats = (await client.get("/api/v1/stats")).json()["totals"]["face-shield-prusa-rc3"]
    assert stats["claimed"] == 0
    events = (await client.get("/api/v1/events?limit=1000", headers=here.headers)).json()
    kinds = [e["kind"] for e in events["items"]]
    assert kinds[-2:] == ["batch.cancelled", "lab.suspended"]
    claim = await client.post(
        f"/api/v1/needs/{isere['need']['id']}/claims",
        json={"lab_id": isere["lab"]["id"], "quantity": 5},
        headers={**isere["maker"].headers, **FR},
    )
    assert claim.status_code == 403 and "suspendu" in claim.json()["detail"]
    lifted = await client.post(f"/api/v1/labs/{isere['lab']['id']}/verify", headers=here.headers)
    assert lifted.json()["status"] == "verified"
    await hub.claim(isere["maker"], isere["need"]["id"], isere["lab"]["id"], 5)


async def test_a_matching_run_of_another_area_is_not_a_coordinators(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """The hole: GET /matching/runs/{id} gave any coordinator any run."""
    here = await hub.account("coordinator", area="region:84")
    there = await hub.account("coordinator", area="region:53")
    run = await client.post("/api/v1/matching/runs", json={}, headers=here.headers)
    assert run.status_code == 201, run.text
    url = f"/api/v1/matching/runs/{run.json()['id']}"
    assert (await client.get(url, headers=here.headers)).status_code == 200
    refused = await client.get(url, headers=there.headers)
    assert refused.status_code == 403
    assert (await client.get(url, headers=isere["maker"].headers)).status_code == 403


async def test_event_history_of_another_area_is_public_only(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """The hole: GET /events?area= gave coordinators of other areas full payloads (actors,
    tracking codes, correction reasons)."""
    here = await hub.account("coordinator", area="region:84")
    there = await hub.account("coordinator", area="region:53")
    batch = await hub.claim(isere["maker"], isere["need"]["id"], isere["lab"]["id"], 10)
    corrected = await client.post(
        f"/api/v1/batches/{batch['id']}/correct",
        json={"made": 3, "reason": "saisie en double"},
        headers=here.headers,
    )
    assert corrected.status_code == 200, corrected.text
    url = "/api/v1/events?area=region:84&limit=1000"
    theirs = (await client.get(url, headers=there.headers)).json()["items"]
    mine = (await client.get(url, headers=here.headers)).json()["items"]
    assert any(e["payload"].get("reason") == "saisie en double" for e in mine)
    assert any(e["payload"].get("code") == batch["code"] for e in mine)
    for event in theirs:
        assert event["actor_id"] is None
        assert "reason" not in event["payload"] and "code" not in event["payload"]


async def test_a_makers_home_is_coarse_to_strangers(hub, client: httpx.AsyncClient) -> None:
    """The hole: any account got the exact coordinates and address of makers working from
    home (GET /labs), which the public map deliberately coarsens."""
    maker = await hub.account("maker")
    stranger = await hub.account("hospital_staff")
    home = await hub.site(
        maker, "labs", lat=45.18312, lon=5.72871, kind="home", address="3 rue Privée"
    )
    coordinator = await hub.account("coordinator", area="region:84")
    for who, exact in ((stranger, False), (maker, True), (coordinator, True)):
        one = (await client.get(f"/api/v1/labs/{home['id']}", headers=who.headers)).json()
        listed = (await client.get("/api/v1/labs", headers=who.headers)).json()["items"]
        for seen in (one, next(s for s in listed if s["id"] == home["id"])):
            if exact:
                assert (seen["lat"], seen["lon"], seen["address"]) == (
                    45.18312,
                    5.72871,
                    "3 rue Privée",
                )
            else:
                assert (seen["lat"], seen["lon"], seen["address"]) == (45.18, 5.73, None)
    # A fablab's place is public: only homes are coarse.
    fablab = await hub.site(maker, "labs", lat=45.18312, lon=5.72871)
    seen = (await client.get(f"/api/v1/labs/{fablab['id']}", headers=stranger.headers)).json()
    assert seen["lat"] == 45.18312


async def test_the_hospital_a_home_maker_makes_for_sees_where_it_is(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """Parties of a batch see the exact place: the staff of a hospital the home makes for."""
    maker = await hub.account("maker")
    home = await hub.site(maker, "labs", lat=45.18312, lon=5.72871, kind="home")
    url = f"/api/v1/labs/{home['id']}"
    assert (await client.get(url, headers=isere["staff"].headers)).json()["lat"] == 45.18
    await hub.claim(maker, isere["need"]["id"], home["id"], 10)
    seen = (await client.get(url, headers=isere["staff"].headers)).json()
    assert seen["lat"] == 45.18312 and seen["contact_phone"] is None  # the place, not the phone


async def test_tracking_codes_and_reject_reasons_stay_with_the_batchs_parties(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """The hole: GET /batches gave any user every tracking code and reject reason."""
    batch = await hub.claim(isere["maker"], isere["need"]["id"], isere["lab"]["id"], 10)
    m = isere["maker"].headers
    await client.post(f"/api/v1/batches/{batch['id']}/progress", json={"made": 10}, headers=m)
    await client.post(f"/api/v1/batches/{batch['id']}/ready", headers=m)
    r = await client.post(
        f"/api/v1/batches/{batch['id']}/receipt",
        json={"accepted": 8, "rejected": 2, "reason": "visières fendues au service 3B"},
        headers=isere["staff"].headers,
    )
    assert r.status_code == 200, r.text
    stranger = await hub.account("maker")
    far = await hub.account("coordinator", area="region:53")
    here = await hub.account("coordinator", area="region:84")
    parties = ((isere["maker"], True), (isere["staff"], True), (here, True))
    for who, party in ((stranger, False), (far, False), *parties):
        listed = (await client.get("/api/v1/batches", headers=who.headers)).json()["items"]
        one = (await client.get(f"/api/v1/batches/{batch['id']}", headers=who.headers)).json()
        for seen in (listed[0], one):
            assert (seen["code"] == batch["code"]) is party, who.role
            assert (seen["reject_reason"] is not None) is party, who.role
            assert seen["accepted"] == 8  # the counts are public, like the totals


async def test_a_label_is_for_a_batch_the_lab_has_taken_on(
    hub, client: httpx.AsyncClient, app, isere
) -> None:
    """A proposal is not the lab's yet: no label for it."""
    from hub.batches.records import create_batch
    from hub.needs.service import get_need
    from hub.rules.states import BatchState

    async with app.state.db.transaction() as session:
        need = await get_need(session, isere["need"]["id"], lock=True)
        proposal = await create_batch(
            session,
            need=need,
            lab_id=isere["lab"]["id"],
            quantity=10,
            design=need.design,
            state=BatchState.PROPOSED,
            actor=None,
        )
    url = f"/api/v1/batches/{proposal.id}/label"
    r = await client.get(url, headers={**isere["maker"].headers, **FR})
    assert r.status_code == 409 and "proposé" in r.json()["detail"]
    await client.post(f"/api/v1/batches/{proposal.id}/accept", headers=isere["maker"].headers)
    assert (await client.get(url, headers=isere["maker"].headers)).status_code == 200


async def test_a_lab_in_another_region_is_a_stranger_to_the_coordinator_of_the_need(
    hub, client: httpx.AsyncClient, isere
) -> None:
    """The REST side of the websocket hole: a région-84 coordinator does not get the contact
    of a région-53 lab working for a need in 84."""
    breton = await hub.account("maker")
    lab = await hub.site(breton, "labs", lat=BREST[0], lon=BREST[1])
    await hub.claim(breton, isere["need"]["id"], lab["id"], 10)
    here = await hub.account("coordinator", area="region:84")
    seen = (await client.get(f"/api/v1/labs/{lab['id']}", headers=here.headers)).json()
    assert seen["contact_phone"] is None

"""Matching runs through the API: proposals become batches, and runs never double-book."""

from datetime import timedelta

import httpx
import pytest
from support.data import GRENOBLE, LYON

from hub.timeutil import today

DESIGN = "face-shield-prusa-rc3"


@pytest.fixture
async def world(hub, client: httpx.AsyncClient):
    """A verified hospital in Grenoble, a verified lab in Lyon, an Isère coordinator."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1])
    await hub.verified("hospitals", hospital["id"])
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs", lat=LYON[0], lon=LYON[1])
    await hub.verified("labs", lab["id"])
    coordinator = await hub.account("coordinator", area="region:84")
    return {
        "staff": staff,
        "hospital": hospital,
        "maker": maker,
        "lab": lab,
        "coordinator": coordinator,
    }


async def _offer(client, w, stock: int, per_day: int = 0) -> None:
    r = await client.put(
        f"/api/v1/labs/{w['lab']['id']}/offers",
        json=[
            {
                "design": DESIGN,
                "units_per_day": per_day,
                "stock": stock,
                "available_from": today().isoformat(),
            }
        ],
        headers=w["maker"].headers,
    )
    assert r.status_code == 200, r.text


async def _run(client, who, **body) -> httpx.Response:
    return await client.post("/api/v1/matching/runs", json=body, headers=who.headers)


async def test_run_proposes_and_second_run_never_double_books(
    hub, client: httpx.AsyncClient, world
) -> None:
    w = world
    await _offer(client, w, stock=50)
    need_a = await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    first = await _run(client, w["coordinator"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert [(a["need_id"], a["quantity"]) for a in body["assignments"]] == [(need_a["id"], 30)]
    # Lyon to Grenoble, as the crow flies, is about 95 km.
    assert 85 < body["assignments"][0]["distance_km"] < 105
    assert body["unit_km"] == pytest.approx(30 * body["assignments"][0]["distance_km"], rel=1e-6)
    # A draft until the coordinator sends it: the lab sees nothing yet.
    assert body["sent"] is False
    mine = f"/api/v1/batches?lab_id={w['lab']['id']}"
    assert (await client.get(mine, headers=w["maker"].headers)).json()["items"] == []
    sent = await client.post(
        f"/api/v1/matching/runs/{body['id']}/send", headers=w["coordinator"].headers
    )
    assert sent.status_code == 200, sent.text
    proposals = await client.get(f"{mine}&state=proposed", headers=w["maker"].headers)
    assert [b["quantity"] for b in proposals.json()["items"]] == [30]
    # Same inputs again: nothing left to give, nothing to take.
    again = (await _run(client, w["coordinator"])).json()
    assert again["assignments"] == []
    # A new need can only get what the lab has left: 50 - 30 promised.
    need_b = await hub.need(w["staff"], w["hospital"]["id"], quantity=40, design=DESIGN)
    third = (await _run(client, w["coordinator"])).json()
    assert [(a["need_id"], a["quantity"]) for a in third["assignments"]] == [(need_b["id"], 20)]
    assert third["unmet"] == {str(need_b["id"]): 20}


async def test_work_owed_later_leaves_this_weeks_units_to_an_urgent_need(
    hub, client: httpx.AsyncClient, world
) -> None:
    """The lab makes 4 a day from today and has claimed 6 units of a need due in 7 days (to be
    made by day 6, lead 1 day). A new need due in 2 days (made by day 1: 8 units made) gets
    all 8: made deadline-first, the claim is still ready in time. Pushing the claimed work to
    the front in whole days (2 days) would have left it none."""
    w = world
    await _offer(client, w, stock=0, per_day=4)
    later = await hub.need(w["staff"], w["hospital"]["id"], quantity=6, design=DESIGN)
    claim = await client.post(
        f"/api/v1/needs/{later['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 6},
        headers=w["maker"].headers,
    )
    assert claim.status_code == 201, claim.text
    soon = (today() + timedelta(days=2)).isoformat()
    urgent = await hub.need(
        w["staff"], w["hospital"]["id"], quantity=10, design=DESIGN, needed_by=soon
    )
    run = (await _run(client, w["coordinator"])).json()
    got = [(a["need_id"], a["quantity"], a["ready_by_day"]) for a in run["assignments"]]
    assert got == [(urgent["id"], 8, 1)]
    assert run["unmet"] == {str(urgent["id"]): 2}


async def test_declined_units_go_back_to_the_pool(hub, client: httpx.AsyncClient, world) -> None:
    w = world
    await _offer(client, w, stock=100)
    await hub.need(w["staff"], w["hospital"]["id"], quantity=60, design=DESIGN)
    batch_id = (await _run(client, w["coordinator"], send=True)).json()["assignments"][0][
        "batch_id"
    ]
    declined = await client.post(f"/api/v1/batches/{batch_id}/decline", headers=w["maker"].headers)
    assert declined.json()["state"] == "declined"
    rerun = (await _run(client, w["coordinator"], send=True)).json()
    assert sum(a["quantity"] for a in rerun["assignments"]) == 60
    accepted = await client.post(
        f"/api/v1/batches/{rerun['assignments'][0]['batch_id']}/accept",
        headers=w["maker"].headers,
    )
    assert accepted.json()["state"] == "claimed"


async def test_critical_need_wins_scarce_capacity(hub, client: httpx.AsyncClient, world) -> None:
    """One lab, two needs at the same hospital, capacity for one: the critical one is served."""
    w = world
    await _offer(client, w, stock=100)
    normal = await hub.need(
        w["staff"], w["hospital"]["id"], quantity=100, design=DESIGN, priority="normal"
    )
    critical = await hub.need(
        w["staff"], w["hospital"]["id"], quantity=100, design=DESIGN, priority="critical"
    )
    body = (await _run(client, w["coordinator"])).json()
    assert [(a["need_id"], a["quantity"]) for a in body["assignments"]] == [(critical["id"], 100)]
    assert body["unmet"] == {str(normal["id"]): 100}


async def test_unverified_sites_and_far_labs_are_left_out(
    hub, client: httpx.AsyncClient, world
) -> None:
    w = world
    await _offer(client, w, stock=100)
    pending_staff = await hub.account("hospital_staff")
    pending = await hub.site(
        pending_staff, "hospitals", lat=GRENOBLE[0], lon=GRENOBLE[1], verified=False
    )
    await hub.need(pending_staff, pending["id"], quantity=10, design=DESIGN)
    body = (await _run(client, w["coordinator"])).json()
    assert body["assignments"] == [] and body["needs_considered"] == 0
    await hub.need(w["staff"], w["hospital"]["id"], quantity=10, design=DESIGN)
    too_far = (await _run(client, w["coordinator"], max_distance_km=50)).json()
    assert too_far["assignments"] == []


async def test_only_coordinators_of_the_area_run(hub, client: httpx.AsyncClient, world) -> None:
    w = world
    brittany = await hub.account("coordinator", area="region:53")
    assert (await client.post("/api/v1/matching/runs", json={})).status_code == 401
    assert (await _run(client, w["maker"])).status_code == 403
    assert (await _run(client, w["staff"])).status_code == 403
    assert (await _run(client, brittany, area="region:84")).status_code == 403
    assert (await _run(client, w["coordinator"], area="FR")).status_code == 403
    assert (await _run(client, w["coordinator"], area="departement:38")).status_code == 201
    assert (await _run(client, brittany, area="departement:29")).status_code == 201
    bad = await _run(client, w["coordinator"], max_distance_km=-3)
    assert bad.status_code == 422


async def test_a_claim_made_while_the_matcher_solves_is_never_double_booked(
    hub, client: httpx.AsyncClient, app, world
) -> None:
    """The run read 50 units of stock; the lab claims 40 before the run stores: it retries."""
    import matching
    from hub.matching_runs import service
    from hub.matching_runs.schemas import RunIn

    w = world
    await _offer(client, w, stock=50)
    await hub.need(w["staff"], w["hospital"]["id"], quantity=50, design=DESIGN)
    other = await hub.need(w["staff"], w["hospital"]["id"], quantity=40, design=DESIGN)
    db = app.state.db
    from hub.area_filter import coordinator_area

    area = coordinator_area(await _user(db, w["coordinator"].id), "region:84")
    async with db.read_sessions() as session:
        inputs = await service.load_inputs(session, area=area, today=today(), lead_days=1)
    result = matching.match(inputs.needs, inputs.offers)
    assert sum(a.quantity for a in result.assignments) == 50
    claim = await client.post(
        f"/api/v1/needs/{other['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 40},
        headers=w["maker"].headers,
    )
    assert claim.status_code == 201
    with pytest.raises(service.CapacityChanged):
        async with db.transaction() as session:
            await service.store_run(
                session,
                user=await _user(db, w["coordinator"].id),
                area=area,
                params=RunIn(),
                inputs=inputs,
                result=result,
                started=0.0,
            )
    # Through the API the run starts over and only the 10 units left are proposed.
    run = (await _run(client, w["coordinator"])).json()
    assert sum(a["quantity"] for a in run["assignments"]) == 10


async def _user(db, user_id: int):
    from hub.auth.models import User

    async with db.read_sessions() as session:
        return await session.get(User, user_id)


async def test_totals_the_matcher_refuses_get_a_conflict_and_store_nothing(
    hub, client: httpx.AsyncClient, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Totals too large for exact 64-bit costs are a clear 409, not a 500, and book nothing."""
    import matching.problem

    w = world
    await _offer(client, w, stock=50)
    await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    # Reaching the real limit takes ~500 critical needs of a million units; lower it instead.
    with monkeypatch.context() as patch:
        patch.setattr(matching.problem, "MAX_TOTAL_COST", 10)
        refused = await _run(client, w["coordinator"])
    assert refused.status_code == 409, refused.text
    assert "too many to match exactly at once" in refused.json()["detail"]
    assert f"needs 30 units of {DESIGN} and its labs make 50" in refused.json()["detail"]
    proposals = await client.get(
        f"/api/v1/batches?lab_id={w['lab']['id']}", headers=w["maker"].headers
    )
    assert proposals.json()["items"] == []
    assert (await _run(client, w["coordinator"])).status_code == 201


async def test_a_run_is_reviewed_as_drafts_then_sent(hub, client: httpx.AsyncClient, world) -> None:
    """Drafts: the lab cannot see, accept or print them; the coordinator adjusts one, cancels
    another and sends the run; only what was sent reaches the lab, each with its event."""
    w = world
    await _offer(client, w, stock=100)
    first = await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    second = await hub.need(w["staff"], w["hospital"]["id"], quantity=20, design=DESIGN)
    run = (await _run(client, w["coordinator"])).json()
    by_need = {a["need_id"]: a["batch_id"] for a in run["assignments"]}
    assert set(by_need) == {first["id"], second["id"]}
    maker, coordinator = w["maker"].headers, w["coordinator"].headers
    draft = by_need[first["id"]]
    assert (await client.get(f"/api/v1/batches/{draft}", headers=maker)).status_code == 404
    assert (await client.post(f"/api/v1/batches/{draft}/accept", headers=maker)).status_code == 409
    # The draft holds its units: the need has nothing left to claim meanwhile.
    claim = await client.post(
        f"/api/v1/needs/{first['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 1},
        headers=maker,
    )
    assert claim.status_code == 409, claim.text
    review = await client.get(f"/api/v1/matching/runs/{run['id']}/proposals", headers=coordinator)
    assert review.status_code == 200, review.text
    assert review.json()["drafts"] == 2
    item = next(p for p in review.json()["items"] if p["batch_id"] == draft)
    assert item["hospital"]["id"] == w["hospital"]["id"] and item["lab"]["id"] == w["lab"]["id"]
    assert item["state"] == "draft" and item["need_quantity"] == 30
    adjusted = await client.post(
        f"/api/v1/batches/{draft}/adjust", json={"quantity": 25}, headers=coordinator
    )
    assert adjusted.status_code == 200 and adjusted.json()["quantity"] == 25
    cancelled = await client.post(
        f"/api/v1/batches/{by_need[second['id']]}/cancel", headers=coordinator
    )
    assert cancelled.json()["state"] == "cancelled"
    # Only the coordinators of the run's area send it.
    brittany = await hub.account("coordinator", area="region:53")
    send = f"/api/v1/matching/runs/{run['id']}/send"
    assert (await client.post(send, headers=brittany.headers)).status_code == 403
    assert (await client.post(send, headers=maker)).status_code == 403
    sent = await client.post(send, headers=coordinator)
    assert sent.status_code == 200, sent.text
    assert sent.json()["drafts"] == 0
    # The cancelled draft is gone: no lab ever saw it.
    assert [(p["batch_id"], p["state"]) for p in sent.json()["items"]] == [(draft, "proposed")]
    gone = await client.get(f"/api/v1/batches/{by_need[second['id']]}", headers=coordinator)
    assert gone.status_code == 404
    seen = (await client.get(f"/api/v1/batches?lab_id={w['lab']['id']}", headers=maker)).json()
    assert [(b["id"], b["state"], b["quantity"]) for b in seen["items"]] == [
        (draft, "proposed", 25)
    ]
    # Sending again sends nothing more; the lab can now accept.
    assert (await client.post(send, headers=coordinator)).json()["drafts"] == 0
    accepted = await client.post(f"/api/v1/batches/{draft}/accept", headers=maker)
    assert accepted.json()["state"] == "claimed"
    events = await client.get("/api/v1/events?limit=500", headers=coordinator)
    kinds = [
        e["kind"]
        for e in events.json()["items"]
        if e["entity"] == "batch" and e["entity_id"] == draft
    ]
    assert kinds == ["batch.adjusted", "batch.proposed", "batch.accepted"]


async def test_drafts_are_listed_to_the_coordinators_of_their_area_only(
    hub, client: httpx.AsyncClient, world
) -> None:
    """GET /batches shows a draft to a coordinator of its need's area (région or
    département), and of all France, never to one of another area nor to its lab."""
    w = world
    await _offer(client, w, stock=100)
    await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    [draft] = [a["batch_id"] for a in (await _run(client, w["coordinator"])).json()["assignments"]]
    viewers = {
        "region:84": w["coordinator"],
        "departement:38": await hub.account("coordinator", area="departement:38"),
        "FR": await hub.account("coordinator"),
        "region:53": await hub.account("coordinator", area="region:53"),
        "departement:69": await hub.account("coordinator", area="departement:69"),
        "lab": w["maker"],
    }
    seen = {
        name: [
            b["id"]
            for b in (await client.get("/api/v1/batches?state=draft", headers=who.headers)).json()[
                "items"
            ]
        ]
        for name, who in viewers.items()
    }
    assert seen == {
        "region:84": [draft],
        "departement:38": [draft],
        "FR": [draft],
        "region:53": [],
        "departement:69": [],
        "lab": [],
    }


async def test_a_new_run_replaces_the_areas_unsent_drafts(
    hub, client: httpx.AsyncClient, world
) -> None:
    """A run nobody sent does not hold its needs forever: the next run of the area cancels its
    drafts (an event each, saying which run replaced them) and plans those units again. Sent
    proposals stay, and so do the drafts of needs outside the new run's area."""
    w = world
    coordinator = w["coordinator"].headers
    await _offer(client, w, stock=100)
    need = await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    first = (await _run(client, w["coordinator"])).json()
    assert first["superseded"] == 0
    [old] = [a["batch_id"] for a in first["assignments"]]
    # A run of an area without the need (Rhône, where the lab is) leaves the draft alone.
    elsewhere = (await _run(client, w["coordinator"], area="departement:69")).json()
    assert elsewhere["superseded"] == 0 and elsewhere["assignments"] == []
    assert (await client.get(f"/api/v1/batches/{old}", headers=coordinator)).json()["state"] == (
        "draft"
    )
    # The region's next run replaces it: the 30 units are planned again, not held twice.
    second = (await _run(client, w["coordinator"])).json()
    assert second["superseded"] == 1
    assert [(a["need_id"], a["quantity"]) for a in second["assignments"]] == [(need["id"], 30)]
    [new] = [a["batch_id"] for a in second["assignments"]]
    assert new != old
    assert (await client.get(f"/api/v1/batches/{old}", headers=coordinator)).status_code == 404
    drafts = await client.get("/api/v1/batches?state=draft&area=region:84", headers=coordinator)
    assert [(b["id"], b["quantity"]) for b in drafts.json()["items"]] == [(new, 30)]
    # The first run has nothing left to send.
    review = await client.get(f"/api/v1/matching/runs/{first['id']}/proposals", headers=coordinator)
    assert review.json()["drafts"] == 0 and review.json()["items"] == []
    sent = await client.post(f"/api/v1/matching/runs/{first['id']}/send", headers=coordinator)
    assert sent.json()["items"] == []
    # The audit trail: the draft was cancelled, superseded by the second run.
    events = (await client.get("/api/v1/events?limit=500", headers=coordinator)).json()["items"]
    ends = [e for e in events if e["kind"] == "batch.cancelled" and e["entity_id"] == old]
    assert len(ends) == 1
    payload = ends[0]["payload"]
    assert (payload["reason"], payload["run_id"], payload["superseded_by"]) == (
        "superseded",
        first["id"],
        second["id"],
    )
    runs = [e["payload"] for e in events if e["kind"] == "matching.run" and e["region"] == "84"]
    assert [r["superseded"] for r in runs] == [0, 1]
    # Sent proposals are the labs' to answer: a third run replaces nothing and adds nothing.
    send = f"/api/v1/matching/runs/{second['id']}/send"
    assert (await client.post(send, headers=coordinator)).status_code == 200
    third = (await _run(client, w["coordinator"])).json()
    assert (third["superseded"], third["assignments"]) == (0, [])
    mine = await client.get(f"/api/v1/batches?lab_id={w['lab']['id']}", headers=w["maker"].headers)
    assert [(b["id"], b["state"]) for b in mine.json()["items"]] == [(new, "proposed")]


async def test_a_draft_sent_while_the_matcher_solves_is_not_replaced(
    hub, client: httpx.AsyncClient, app, world
) -> None:
    """The run read a draft as stale (its units free to plan again); the coordinator sends it
    before the run stores: the draft stays sent and the run starts over, so the need is never
    booked twice."""
    import matching
    from hub.area_filter import coordinator_area
    from hub.matching_runs import service
    from hub.matching_runs.schemas import RunIn

    w = world
    coordinator = w["coordinator"].headers
    await _offer(client, w, stock=100)
    need = await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    first = (await _run(client, w["coordinator"])).json()
    db = app.state.db
    user = await _user(db, w["coordinator"].id)
    area = coordinator_area(user, "region:84")
    async with db.read_sessions() as session:
        inputs = await service.load_inputs(session, area=area, today=today(), lead_days=1)
    assert inputs.stale == {first["assignments"][0]["batch_id"]}
    # As if the draft were gone: the whole need is planned again.
    assert [(n.id, n.quantity) for n in inputs.needs] == [(need["id"], 30)]
    result = matching.match(inputs.needs, inputs.offers)
    sent = await client.post(f"/api/v1/matching/runs/{first['id']}/send", headers=coordinator)
    assert sent.status_code == 200
    with pytest.raises(service.CapacityChanged):
        async with db.transaction() as session:
            await service.store_run(
                session,
                user=user,
                area=area,
                params=RunIn(),
                inputs=inputs,
                result=result,
                started=0.0,
            )
    again = (await _run(client, w["coordinator"])).json()
    assert (again["superseded"], again["assignments"]) == (0, [])
    held = await client.get(f"/api/v1/batches?need_id={need['id']}", headers=coordinator)
    assert [(b["state"], b["quantity"]) for b in held.json()["items"]] == [("proposed", 30)]


async def test_a_removed_drafts_id_is_never_given_to_another_batch(
    hub, client: httpx.AsyncClient, world
) -> None:
    """The draft with the highest id is removed (deleted); the next batch gets a new id, so
    the removed draft's events never name another batch (SQLite reused the id before 0011)."""
    w = world
    await _offer(client, w, stock=100)
    need = await hub.need(w["staff"], w["hospital"]["id"], quantity=30, design=DESIGN)
    run = (await _run(client, w["coordinator"])).json()
    [draft] = [a["batch_id"] for a in run["assignments"]]
    cancel = await client.post(f"/api/v1/batches/{draft}/cancel", headers=w["coordinator"].headers)
    assert cancel.status_code == 200, cancel.text
    claim = await client.post(
        f"/api/v1/needs/{need['id']}/claims",
        json={"lab_id": w["lab"]["id"], "quantity": 10},
        headers=w["maker"].headers,
    )
    assert claim.status_code == 201, claim.text
    assert claim.json()["id"] > draft

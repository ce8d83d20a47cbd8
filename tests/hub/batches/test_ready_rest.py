"""Ready means ready: a batch with fewer units made than claimed never shrinks silently."""

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.rules.totals import STAGES, batch_stages

DESIGN = "face-shield-prusa-rc3"


@pytest.fixture
async def world(hub):
    """One hospital with a need of 300, one lab, their people."""
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    maker = await hub.account("maker")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=300)
    return {"staff": staff, "hospital": hospital, "maker": maker, "lab": lab, "need": need}


async def _claimed(client: httpx.AsyncClient, world, quantity: int, made: int) -> int:
    m = world["maker"].headers
    r = await client.post(
        f"/api/v1/needs/{world['need']['id']}/claims",
        json={"lab_id": world["lab"]["id"], "quantity": quantity},
        headers=m,
    )
    assert r.status_code == 201, r.text
    bid = int(r.json()["id"])
    r = await client.post(f"/api/v1/batches/{bid}/progress", json={"made": made}, headers=m)
    assert r.status_code == 200, r.text
    return bid


async def _need(client: httpx.AsyncClient, world) -> dict:
    r = await client.get(f"/api/v1/needs/{world['need']['id']}", headers=world["staff"].headers)
    return r.json()


async def test_ready_with_units_missing_asks_what_to_do_with_the_rest(
    client: httpx.AsyncClient, world
) -> None:
    """The issue's batch: 180 claimed, 37 made; the button used to make it a batch of 37."""
    bid = await _claimed(client, world, 180, 37)
    m = {**world["maker"].headers, "Accept-Language": "en"}
    for body in (None, {}, {"rest": None}):
        r = await client.post(f"/api/v1/batches/{bid}/ready", json=body, headers=m)
        assert r.status_code == 422, r.text
        assert "143" in r.json()["detail"]
    wrong = await client.post(f"/api/v1/batches/{bid}/ready", json={"rest": "drop"}, headers=m)
    assert wrong.status_code == 422
    batch = (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()
    assert (batch["state"], batch["quantity"], batch["made"]) == ("claimed", 180, 37)
    fr = await client.post(f"/api/v1/batches/{bid}/ready", headers={**m, "Accept-Language": "fr"})
    assert fr.status_code == 422
    assert "143" in fr.json()["detail"] and "Batch" not in fr.json()["detail"]


async def test_keep_sends_the_made_units_as_a_first_part(client: httpx.AsyncClient, world) -> None:
    bid = await _claimed(client, world, 180, 37)
    m = world["maker"].headers
    r = await client.post(f"/api/v1/batches/{bid}/ready", json={"rest": "keep"}, headers=m)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["state"], first["quantity"], first["made"]) == ("ready", 37, 37)
    batches = (
        await client.get(f"/api/v1/batches?need_id={world['need']['id']}", headers=m)
    ).json()["items"]
    rest = [b for b in batches if b["id"] != bid]
    assert len(rest) == 1
    assert (rest[0]["state"], rest[0]["quantity"], rest[0]["made"]) == ("claimed", 143, 0)
    assert rest[0]["lab_id"] == first["lab_id"] and rest[0]["code"] != first["code"]
    need = await _need(client, world)
    assert need["progress"]["claimed"] == 180
    assert need["progress"]["remaining"] == 120
    events = (await client.get("/api/v1/events?limit=100", headers=m)).json()["items"]
    kinds = {e["kind"]: e["payload"] for e in events}
    assert kinds["batch.ready"]["kept"] == 143
    assert kinds["batch.split"]["from_batch_id"] == bid
    # The rest is a claimed batch like any other: it can be made and marked ready in turn.
    rid = rest[0]["id"]
    await client.post(f"/api/v1/batches/{rid}/progress", json={"made": 143}, headers=m)
    done = await client.post(f"/api/v1/batches/{rid}/ready", headers=m)
    assert done.status_code == 200 and done.json()["quantity"] == 143


async def test_release_gives_the_rest_back_to_the_need(client: httpx.AsyncClient, world) -> None:
    bid = await _claimed(client, world, 180, 37)
    m = world["maker"].headers
    r = await client.post(f"/api/v1/batches/{bid}/ready", json={"rest": "release"}, headers=m)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["quantity"]) == ("ready", 37)
    need = await _need(client, world)
    assert need["progress"]["claimed"] == 37
    assert need["progress"]["remaining"] == 263
    events = (await client.get("/api/v1/events?limit=100", headers=m)).json()["items"]
    ready = [e for e in events if e["kind"] == "batch.ready"]
    assert ready[-1]["payload"]["released"] == 143
    assert not [e for e in events if e["kind"] == "batch.split"]


async def test_a_fully_made_batch_needs_no_choice(client: httpx.AsyncClient, world) -> None:
    bid = await _claimed(client, world, 20, 20)
    m = world["maker"].headers
    r = await client.post(f"/api/v1/batches/{bid}/ready", headers=m)
    assert r.status_code == 200 and r.json()["quantity"] == 20
    # A choice given when nothing is missing changes nothing either.
    bid2 = await _claimed(client, world, 10, 10)
    r = await client.post(f"/api/v1/batches/{bid2}/ready", json={"rest": "keep"}, headers=m)
    assert r.status_code == 200 and r.json()["quantity"] == 10
    assert (
        len(
            (await client.get(f"/api/v1/batches?need_id={world['need']['id']}", headers=m)).json()[
                "items"
            ]
        )
        == 2
    )


async def test_the_issues_need_reads_received_and_proposed(
    app, client: httpx.AsyncClient, world
) -> None:
    """100 of 300 delivered and received, 200 proposed elsewhere: it said "requested",
    "100 on the way" next to "100 delivered", and "0 remaining"."""
    from hub.batches.service import create_batch
    from hub.needs.service import get_need
    from hub.rules.states import BatchState

    bid = await _claimed(client, world, 100, 100)
    m, s = world["maker"].headers, world["staff"].headers
    assert (await client.post(f"/api/v1/batches/{bid}/ready", headers=m)).status_code == 200
    r = await client.post(f"/api/v1/batches/{bid}/receipt", json={"accepted": 100}, headers=s)
    assert r.status_code == 200, r.text
    async with app.state.db.transaction() as session:
        need = await get_need(session, world["need"]["id"], lock=True)
        await create_batch(
            session,
            need=need,
            lab_id=world["lab"]["id"],
            quantity=200,
            design=DESIGN,
            state=BatchState.PROPOSED,
            actor=None,
        )
    stages = (await _need(client, world))["progress"]["stages"]
    assert stages == {
        "requested": 0,
        "proposed": 200,
        "being_made": 0,
        "ready": 0,
        "on_the_way": 0,
        "delivered": 0,
        "received": 100,
    }
    # The maker sees the receipt of its batch.
    seen = (await client.get(f"/api/v1/batches/{bid}", headers=m)).json()
    assert (seen["state"], seen["accepted"]) == ("received", 100)


async def test_stages_add_up_at_every_step(client: httpx.AsyncClient, world) -> None:
    m = world["maker"].headers
    a = await _claimed(client, world, 50, 50)
    await _claimed(client, world, 60, 10)
    await client.post(f"/api/v1/batches/{a}/ready", headers=m)
    stages = (await _need(client, world))["progress"]["stages"]
    assert stages["ready"] == 50 and stages["being_made"] == 60 and stages["requested"] == 190
    assert sum(stages.values()) == 300
    assert list(stages) == list(STAGES)


@given(
    state=st.sampled_from(["proposed", "claimed", "ready", "picked_up", "delivered", "received"]),
    counts=st.lists(st.integers(0, 1000), min_size=3, max_size=3).map(sorted),
)
def test_a_batch_splits_into_stages_that_add_up(state: str, counts: list[int]) -> None:
    """Whatever its state and counters (0 <= delivered <= picked_up <= quantity), a batch's
    stages are non-negative and add up to its quantity."""
    delivered, picked_up, quantity = counts
    parts = batch_stages(state, quantity, picked_up, delivered)
    assert sum(parts.values()) == quantity
    assert all(v >= 0 for v in parts.values())
    assert set(parts) <= set(STAGES)


async def test_needs_say_what_a_lab_can_make_by_their_date(
    hub, client: httpx.AsyncClient, world
) -> None:
    """A proposal or a nearby need is judged on what the lab can make by then; only its
    members may ask."""
    m = world["maker"].headers
    need_id, lab_id = world["need"]["id"], world["lab"]["id"]
    one = (await client.get(f"/api/v1/needs/{need_id}?lab_id={lab_id}", headers=m)).json()
    listed = (await client.get(f"/api/v1/needs?lab_id={lab_id}", headers=m)).json()["items"]
    assert one["lab_can_make"] == listed[0]["lab_can_make"] >= 300  # the fixture's stock
    await _claimed(client, world, 100, 0)
    after = (await client.get(f"/api/v1/needs/{need_id}?lab_id={lab_id}", headers=m)).json()
    assert after["lab_can_make"] == one["lab_can_make"] - 100
    assert (await client.get(f"/api/v1/needs/{need_id}", headers=m)).json()["lab_can_make"] is None
    other = await hub.account("maker")
    refused = await client.get(f"/api/v1/needs/{need_id}?lab_id={lab_id}", headers=other.headers)
    assert refused.status_code == 403

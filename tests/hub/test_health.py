"""Operations endpoints and error rendering."""

import httpx


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_openapi_lists_the_v1_api(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/auth/signup",
        "/api/v1/needs",
        "/api/v1/needs/{need_id}/claims",
        "/api/v1/labs/{lab_id}/offers",
        "/api/v1/stats",
        "/api/v1/events",
    ):
        assert path in paths


async def test_unknown_things_are_404_json(client: httpx.AsyncClient, hub) -> None:
    maker = await hub.account("maker")
    r = await client.get("/api/v1/needs/999999", headers=maker.headers)
    assert r.status_code == 404
    assert r.json()["type"] == "not_found"
    assert "999999" in r.json()["detail"]


async def test_designs_are_served(client: httpx.AsyncClient) -> None:
    designs = (await client.get("/api/v1/designs")).json()
    slugs = {d["slug"] for d in designs}
    assert {
        "face-shield-prusa-rc3",
        "face-shield-3dverkstan",
        "ear-saver",
        "charlotte-valve",
    } <= slugs
    one = (await client.get("/api/v1/designs/ear-saver")).json()
    assert one["slug"] == "ear-saver"
    assert (await client.get("/api/v1/designs/unicorn")).status_code == 404

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


async def test_unknown_paths_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    wrong = await client.delete("/api/v1/designs")
    assert wrong.status_code == 405 and wrong.json()["detail"]


async def test_ids_beyond_64_bits_are_422_not_500(hub, client: httpx.AsyncClient) -> None:
    maker = await hub.account("maker")
    huge = 2**70
    for url in (
        f"/api/v1/needs/{huge}",
        f"/api/v1/batches?lab_id={huge}",
        f"/api/v1/events?since={huge}",
    ):
        r = await client.get(url, headers=maker.headers)
        assert r.status_code == 422, (url, r.status_code, r.text)


async def test_streamed_oversized_body_is_422(hub, client: httpx.AsyncClient) -> None:
    staff = await hub.account("hospital_staff")

    async def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    r = await client.post(
        "/api/v1/needs",
        content=chunks(),
        headers={**staff.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert "larger than" in r.json()["detail"]


async def test_front_door_links_every_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    for path in ("/app", "/driver", "/dashboard", "/docs"):
        assert f'href="{path}"' in page.text
        assert (await client.get(path)).status_code == 200

"""A lab's offers: PUT replaces them all; bad lists change nothing."""

import httpx
import pytest


@pytest.fixture
async def lab(hub):
    """A maker and their lab."""
    maker = await hub.account("maker")
    return maker, await hub.site(maker, "labs")


async def test_put_replaces_the_whole_list(client: httpx.AsyncClient, lab) -> None:
    maker, site = lab
    url = f"/api/v1/labs/{site['id']}/offers"
    first = [
        {"design": "ear-saver", "units_per_day": 200, "available_from": "2026-03-20"},
        {
            "design": "face-shield-prusa-rc3",
            "units_per_day": 30,
            "available_from": "2026-03-20",
            "available_until": "2026-04-30",
            "stock": 120,
        },
    ]
    assert (await client.put(url, json=first, headers=maker.headers)).status_code == 200
    second = [{"design": "gown-sewn", "units_per_day": 5, "available_from": "2026-03-21"}]
    r = await client.put(url, json=second, headers=maker.headers)
    assert [o["design"] for o in r.json()] == ["gown-sewn"]
    listed = await client.get(url, headers=maker.headers)
    assert [(o["design"], o["units_per_day"]) for o in listed.json()] == [("gown-sewn", 5)]


@pytest.mark.parametrize(
    "bad",
    [
        [{"design": "unicorn", "units_per_day": 1, "available_from": "2026-03-20"}],
        [{"design": "ear-saver", "units_per_day": -1, "available_from": "2026-03-20"}],
        [{"design": "ear-saver", "units_per_day": 10**9, "available_from": "2026-03-20"}],
        [
            {
                "design": "ear-saver",
                "units_per_day": 1,
                "available_from": "2026-03-20",
                "available_until": "2026-03-01",
            }
        ],
        [
            {"design": "ear-saver", "units_per_day": 1, "available_from": "2026-03-20"},
            {"design": "ear-saver", "units_per_day": 2, "available_from": "2026-03-20"},
        ],
        {"design": "ear-saver"},
    ],
    ids=[
        "unknown design",
        "negative rate",
        "huge rate",
        "dates reversed",
        "duplicate",
        "not a list",
    ],
)
async def test_bad_offers_are_422_and_keep_the_old_list(
    client: httpx.AsyncClient, lab, bad
) -> None:
    maker, site = lab
    url = f"/api/v1/labs/{site['id']}/offers"
    good = [{"design": "ear-saver", "units_per_day": 50, "available_from": "2026-03-20"}]
    await client.put(url, json=good, headers=maker.headers)
    r = await client.put(url, json=bad, headers=maker.headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    listed = await client.get(url, headers=maker.headers)
    assert [(o["design"], o["units_per_day"]) for o in listed.json()] == [("ear-saver", 50)]

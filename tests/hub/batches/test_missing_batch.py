"""Every action on a batch that does not exist: 404 in the reader's language, nothing written."""

import httpx
import pytest

#: Each route that names a batch, with a body it would accept for a real one.
ACTIONS = [
    ("GET", "", None),
    ("GET", "/label", None),
    ("POST", "/accept", None),
    ("POST", "/decline", None),
    ("POST", "/progress", {"made": 1}),
    ("POST", "/ready", None),
    ("POST", "/receipt", {"accepted": 1}),
    ("POST", "/cancel", None),
    ("POST", "/adjust", {"quantity": 1}),
    ("POST", "/correct", {"made": 1, "reason": "recompté"}),
]


@pytest.mark.parametrize(("method", "tail", "body"), ACTIONS)
async def test_an_action_on_a_missing_batch_is_a_404_that_writes_nothing(
    hub, client: httpx.AsyncClient, method: str, tail: str, body: dict[str, object] | None
) -> None:
    """Found when batch actions began reading the batch and its need in one statement on
    SQLite: no test asked for a batch that is not there."""
    coordinator = await hub.account("coordinator", area="region:84")
    head = (await client.get("/api/v1/events", headers=coordinator.headers)).json()
    for lang, words in (("en", "There is no batch with id 987654"), ("fr", "987654")):
        r = await client.request(
            method,
            f"/api/v1/batches/987654{tail}",
            json=body,
            headers={**coordinator.headers, "Accept-Language": lang},
        )
        assert r.status_code == 404, r.text
        assert words in r.json()["detail"]
        if lang == "fr":
            assert "lot" in r.json()["detail"].lower(), r.text
    assert (await client.get("/api/v1/events", headers=coordinator.headers)).json() == head

"""The real server, as a subprocess: started by ``hub serve``, driven over HTTP, killed -9."""

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from support.server import HubProcess

from hub.timeutil import today


@pytest.fixture
def server(blank_database_url: str, serve_hub: Callable[..., HubProcess]) -> HubProcess:
    """A running ``hub serve`` on an empty database, which it must migrate itself."""
    return serve_hub(blank_database_url)


def _signup(base: str, role: str, email: str) -> dict[str, str]:
    r = httpx.post(
        f"{base}/api/v1/auth/signup",
        json={"email": email, "password": "long enough pw", "name": role, "role": role},
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_serve_applies_migrations_and_answers(server: HubProcess) -> None:
    base = server.url
    staff = _signup(base, "hospital_staff", "staff@example.org")
    hospital = httpx.post(
        f"{base}/api/v1/hospitals",
        json={
            "name": "CHU Grenoble Alpes",
            "kind": "hospital",
            "address": "Bd de la Chantourne",
            "lat": 45.2006,
            "lon": 5.7474,
        },
        headers=staff,
    ).json()
    assert (hospital["region"], hospital["departement"]) == ("84", "38")
    need = httpx.post(
        f"{base}/api/v1/needs",
        json={
            "hospital_id": hospital["id"],
            "design": "face-shield-prusa-rc3",
            "quantity": 200,
            "needed_by": (today() + timedelta(days=4)).isoformat(),
            "priority": "critical",
        },
        headers=staff,
    )
    assert need.status_code == 201
    stats = httpx.get(f"{base}/api/v1/stats?area=departement:38").json()
    assert stats["totals"]["face-shield-prusa-rc3"]["requested"] == 200
    assert httpx.get(f"{base}/openapi.json").status_code == 200


def test_acknowledged_writes_survive_kill_9(
    database_url: str, serve_hub: Callable[..., HubProcess]
) -> None:
    """Every need the server answered 201 for is there after a SIGKILL and a restart."""
    proc = serve_hub(database_url)
    base = proc.url
    staff = _signup(base, "hospital_staff", "kill@example.org")
    hospital = httpx.post(
        f"{base}/api/v1/hospitals",
        json={"name": "H", "kind": "clinic", "address": "x", "lat": 48.39, "lon": -4.49},
        headers=staff,
    ).json()
    acknowledged = []
    for i in range(30):
        r = httpx.post(
            f"{base}/api/v1/needs",
            json={
                "hospital_id": hospital["id"],
                "design": "ear-saver",
                "quantity": i + 1,
                "needed_by": (today() + timedelta(days=2)).isoformat(),
                "priority": "high",
            },
            headers=staff,
        )
        assert r.status_code == 201
        acknowledged.append(r.json()["id"])
    proc.kill9()
    restarted = serve_hub(database_url)
    listing = httpx.get(f"{restarted.url}/api/v1/needs?limit=500", headers=staff).json()
    assert sorted(n["id"] for n in listing["items"]) == sorted(acknowledged)

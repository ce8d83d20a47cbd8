"""Limits that hold across processes and proxies: real ``hub serve`` processes, and the shipped
compose file's settings.

The hole they close: "the sign-in rate limit is bypassed through X-Forwarded-For in the shipped
deployment (trusted from anywhere), and the limit is kept per process, so N replicas allow N
times the attempts". The proxy is simulated as the issue says: the tests connect from 127.0.0.1,
set ``HUB_TRUSTED_PROXIES=127.0.0.1``, and send ``X-Forwarded-For`` as nginx builds it (what
the client sent, then the address nginx saw).
"""

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from support.redis_server import REDIS_URL, require_redis
from support.server import HubProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "deploy" / "compose.yaml"
REAL = "203.0.113.7"


def _sign_in(server: HubProcess, email: str, forwarded: str | None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return httpx.post(
        f"{server.url}/api/v1/auth/token",
        json={"email": email, "password": "not the password"},
        headers=headers,
        timeout=30,
    )


def _two_hubs(
    serve_hub: Callable[..., HubProcess], database_url: str, **settings: Any
) -> list[HubProcess]:
    # The first one migrates; the second starts on a migrated database.
    first = serve_hub(database_url, **settings)
    return [first, serve_hub(database_url, **settings)]


def _storage(kind: str, request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    """The database and settings for ``kind``: a table in SQLite or PostgreSQL, or Redis."""
    if kind == "redis":
        require_redis()
        # Its own key prefix: other runs share this Redis.
        prefix = f"hub-test-{uuid.uuid4().hex}"
        url = request.getfixturevalue("sqlite_database_url")
        return url, {"limits_url": REDIS_URL, "limits_prefix": prefix}
    # The PostgreSQL fixture skips, or fails in CI, without a PostgreSQL.
    return request.getfixturevalue(f"{kind}_database_url"), {}


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"]
)
def test_two_processes_behind_a_proxy_share_the_limit_and_ignore_forged_addresses(
    kind: str, request: pytest.FixtureRequest, serve_hub: Callable[..., HubProcess]
) -> None:
    database_url, storage = _storage(kind, request)
    hubs = _two_hubs(
        serve_hub,
        database_url,
        trusted_proxies="127.0.0.1",
        auth_rate_per_minute=4,
        **storage,
    )
    codes = []
    for i in range(6):
        # A new forged address each time, a new account each time, alternating processes: only
        # the address nginx appended stays the same.
        r = _sign_in(hubs[i % 2], f"u{i}@example.org", f"198.51.100.{i}, {REAL}")
        codes.append(r.status_code)
        if r.status_code == 429:
            assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert codes == [401, 401, 401, 401, 429, 429]
    # Another client behind the same proxy is not affected, even when it forges the first one's
    # address on the left.
    assert _sign_in(hubs[0], "v@example.org", f"{REAL}, 203.0.113.8").status_code == 401
    assert _sign_in(hubs[1], "v@example.org", "203.0.113.8").status_code == 401


def test_without_trusted_proxies_a_forwarded_header_is_ignored(
    sqlite_database_url: str, serve_hub: Callable[..., HubProcess]
) -> None:
    """``hub serve`` trusts no proxy by default, not even one on the same machine."""
    server = serve_hub(sqlite_database_url, auth_rate_per_minute=3)
    codes = [_sign_in(server, f"u{i}@example.org", f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def _hub_environment() -> dict[str, str]:
    environment = _compose()["services"]["hub1"]["environment"]
    return {str(k): str(v) for k, v in environment.items()}


def test_compose_settings_do_not_let_a_client_pick_its_address(
    sqlite_database_url: str, serve_hub: Callable[..., HubProcess]
) -> None:
    """``hub serve`` with the shipped compose file's settings, reached without its proxy."""
    settings = {
        name.removeprefix("HUB_").lower(): value
        for name, value in _hub_environment().items()
        if name.startswith("HUB_") and name != "HUB_DATABASE_URL"
    }
    settings["auth_rate_per_minute"] = "3"
    server = serve_hub(sqlite_database_url, **settings)
    codes = [_sign_in(server, f"u{i}@example.org", f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_compose_trusts_only_its_own_proxy() -> None:
    compose = _compose()
    text = COMPOSE.read_text(encoding="utf-8")
    assert "FORWARDED_ALLOW_IPS" not in text and '"*"' not in text
    proxy = compose["services"]["proxy"]
    (network,) = proxy["networks"].values()
    proxy_address = network["ipv4_address"]
    assert _hub_environment()["HUB_TRUSTED_PROXIES"] == proxy_address
    for hub in ("hub1", "hub2"):
        env = compose["services"][hub].get("environment") or _hub_environment()
        assert env.get("HUB_TRUSTED_PROXIES", proxy_address) == proxy_address
    # nginx appends the address it saw to what the client sent; it never passes it on as is.
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx

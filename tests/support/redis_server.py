"""The Redis the tests use: ``HUB_TEST_REDIS_URL`` (CI starts one), else the local one."""

import os

import pytest

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> None:
    """Skip without a Redis, or fail where CI promised one (``HUB_TEST_REDIS_URL`` set)."""
    try:
        import redis

        if redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping():
            return
    except Exception:
        pass
    if os.environ.get("HUB_TEST_REDIS_URL"):
        pytest.fail(f"HUB_TEST_REDIS_URL is set but no Redis answers at {REDIS_URL}")
    pytest.skip(f"no Redis at {REDIS_URL}")

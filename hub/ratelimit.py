"""A small in-memory sliding-window rate limiter for the sign-in endpoints."""

import time
from collections import defaultdict, deque

from fastapi import Request

from hub.errors import TooManyRequests
from hub.i18n import _


class RateLimiter:
    """Allow at most ``limit`` calls per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> None:
        """Record a call for ``key``, or raise 429 when it is over the limit."""
        now = time.monotonic()
        calls = self._calls[key]
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(self._calls) > 10_000:
            # Forget idle clients so that the table cannot grow without bound.
            for stale in [k for k, v in self._calls.items() if not v or v[-1] <= now - self.window]:
                del self._calls[stale]
            calls = self._calls[key]
        if len(calls) >= self.limit:
            wait = int(calls[0] + self.window - now) + 1
            raise TooManyRequests(
                _("Too many attempts; wait {wait} seconds and try again."),
                wait=wait,
            )
        calls.append(now)


def limit_by_client(request: Request) -> None:
    """Dependency: rate-limit the sign-in endpoints per client address."""
    limiter: RateLimiter = request.app.state.auth_limiter
    host = request.client.host if request.client else "unknown"
    limiter.hit(f"{host}:{request.url.path}")

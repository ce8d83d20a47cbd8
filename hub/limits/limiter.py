"""The limits of each action, per client address and per account, and the 429 they raise.

Counted by the ``limits`` library's fixed-window strategy over a storage every process shares:
Redis when ``HUB_LIMITS_URL`` is set, else the hub's database (``hub.limits.storage``). A spent
limit raises ``TooManyRequests`` with ``Retry-After``: the seconds until its window ends.
"""

import hashlib
import math
import time
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from hub.config import Settings
from hub.db import Database
from hub.errors import TooManyRequests
from hub.i18n import N_
from hub.limits.clients import address_key, client_address
from hub.limits.storage import DatabaseStorage


class Action(StrEnum):
    """What is limited."""

    SIGN_IN = "sign-in"
    SIGN_UP = "sign-up"
    PASSWORD_CHANGE = "password-change"
    RESET_REQUEST = "reset-request"
    RESET = "reset"
    NEED = "need"
    INVITE = "invite"


@dataclass(frozen=True)
class Rule:
    """An action's limits: per client address, per account (counted in ``bucket``)."""

    address: RateLimitItem | None
    account: RateLimitItem | None
    bucket: str
    #: A key of MESSAGES: what the 429 says.
    message: str


#: What a spent limit says, by the kind of action.
MESSAGES = {
    "attempts": N_(
        "Too many attempts; wait {n} second and try again.",
        "Too many attempts; wait {n} seconds and try again.",
        "n",
    ),
    "needs": N_(
        "Too many needs posted in a short time; wait {n} second and try again.",
        "Too many needs posted in a short time; wait {n} seconds and try again.",
        "n",
    ),
    "invitations": N_(
        "Too many invitations sent in a short time; wait {n} second and try again.",
        "Too many invitations sent in a short time; wait {n} seconds and try again.",
        "n",
    ),
}


def rules(settings: Settings) -> dict[Action, Rule]:
    """Each action's limits from the settings.

    Password attempts share one count per account whatever the door (sign-in, a sign-up with
    a taken e-mail, the change form), so no door gives an attacker more guesses.
    """
    per_address = RateLimitItemPerMinute(settings.auth_rate_per_minute)
    per_account = RateLimitItemPerMinute(settings.account_rate_per_minute)
    return {
        Action.SIGN_IN: Rule(per_address, per_account, "password", "attempts"),
        Action.SIGN_UP: Rule(per_address, per_account, "password", "attempts"),
        Action.PASSWORD_CHANGE: Rule(None, per_account, "password", "attempts"),
        Action.RESET_REQUEST: Rule(per_address, per_account, "reset-request", "attempts"),
        Action.RESET: Rule(per_address, None, "reset", "attempts"),
        Action.NEED: Rule(
            RateLimitItemPerMinute(settings.need_address_rate_per_minute),
            RateLimitItemPerMinute(settings.need_rate_per_minute),
            "need",
            "needs",
        ),
        # Each invitation mails its address: a member must not flood someone's mailbox.
        Action.INVITE: Rule(
            None, RateLimitItemPerHour(settings.invite_rate_per_hour), "invite", "invitations"
        ),
    }


def retry_after(reset_time: float, *, now: float | None = None) -> int:
    """Whole seconds until ``reset_time`` (epoch seconds), rounded up, at least 1."""
    now = time.time() if now is None else now
    return max(1, math.ceil(reset_time - now))


def _account_id(account: str) -> str:
    # Counters are keyed by a digest: e-mails are not left in Redis or the rate_limits table.
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


def make_storage(settings: Settings, db: Database) -> Storage:
    """Redis (or any storage of the ``limits`` library) at ``limits_url``, else the database."""
    if not settings.limits_url:
        return DatabaseStorage(db)
    url = settings.limits_url
    options: dict[str, str] = {"key_prefix": settings.limits_prefix}
    if url.startswith(("redis://", "rediss://", "redis+")):
        # redis-py, which the hub already uses for its live fan-out.
        options["implementation"] = "redispy"
    storage = storage_from_string(f"async+{url}", **options)
    assert isinstance(storage, Storage)
    return storage


class Limiter:
    """Counts actions against their limits; ``hit`` raises 429 when one is spent."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)
        self.rules = rules(settings)
        self.prefix = settings.limits_prefix

    async def hit(self, action: Action, *, address: str | None, account: str | None) -> None:
        """Count one ``action`` from ``address`` for ``account``; raise TooManyRequests if spent.

        The address is counted first: a client already over its limit does not use up the
        account's attempts as well.
        """
        rule = self.rules[action]
        checks: list[tuple[RateLimitItem, tuple[str, ...]]] = []
        if rule.address is not None and address is not None:
            checks.append((rule.address, (self.prefix, action, "address", address_key(address))))
        if rule.account is not None and account is not None:
            checks.append(
                (rule.account, (self.prefix, rule.bucket, "account", _account_id(account)))
            )
        spent: int | None = None
        if isinstance(self.storage, DatabaseStorage):
            # Every window in one transaction (hub.limits.storage says why).
            spent = await self.storage.hit_in_order(
                [(item.key_for(*ids), item.get_expiry(), item.amount) for item, ids in checks]
            )
        else:
            for index, (item, identifiers) in enumerate(checks):
                if not await self.strategy.hit(item, *identifiers):
                    spent = index
                    break
        if spent is not None:
            item, identifiers = checks[spent]
            stats = await self.strategy.get_window_stats(item, *identifiers)
            wait = retry_after(stats.reset_time)
            raise TooManyRequests(MESSAGES[rule.message], retry_after=wait, n=wait)

    async def close(self) -> None:
        """Close the storage's connections (Redis); the database is closed with the app."""
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()


async def limit(request: Request, action: Action, *, account: str | int | None = None) -> None:
    """Count ``action`` for the request's client and ``account`` (an e-mail or a user id).

    Call it before the request's session writes anything: on SQLite its counter takes the
    write lock in a transaction of its own.
    """
    limiter: Limiter = request.app.state.limiter
    await limiter.hit(
        action,
        address=client_address(request),
        account=None if account is None else str(account),
    )

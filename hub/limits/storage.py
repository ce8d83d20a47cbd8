"""A storage for the ``limits`` library in the hub's own database (SQLite or PostgreSQL).

Every hub process sees the same counters, so N replicas allow what one does. A request's hits
are atomic upserts in one short transaction of their own, committed whatever becomes of the
request (a refused sign-in rolls its session back, but must still count). One transaction for
all of them rather than one each: on SQLite every write transaction takes the database's one
write lock, and ``POST /needs`` (two limits) spent two of its three there (issue 13).
"""

import time
from typing import Any

from limits.aio.storage import Storage
from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hub.db import Database
from hub.limits.models import RateLimitCounter

#: Expired windows are swept every this many hits of a process (they are ignored meanwhile).
SWEEP_EVERY = 500


def _upsert_statement(dialect: Any) -> Any:
    """The statement adding ``amount`` to ``key``'s window (or opening one) and returning its
    hits; bind parameters ``key``, ``amount``, ``now`` and ``expires_at`` (seconds since the
    epoch)."""
    table = RateLimitCounter.__table__
    # Typed: PostgreSQL infers a parameter's type once, and amount and expires_at occur twice.
    amount = bindparam("amount", type_=table.c.hits.type)
    expires_at = bindparam("expires_at", type_=table.c.expires_at.type)
    ended = table.c.expires_at <= bindparam("now", type_=table.c.expires_at.type)
    return (
        dialect.insert(table)
        .values(key=bindparam("key", type_=table.c.key.type), hits=amount, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": case((ended, amount), else_=table.c.hits + amount),
                "expires_at": case((ended, expires_at), else_=table.c.expires_at),
            },
        )
        .returning(table.c.hits)
    )


def _window(key: str, expiry: int, amount: int, now: float) -> dict[str, Any]:
    """The upsert's parameters for one hit of ``amount`` in ``key``'s window."""
    return {"key": key, "amount": amount, "now": now, "expires_at": now + expiry}


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limits`` table, for ``FixedWindowRateLimiter``."""

    def __init__(self, db: Database) -> None:
        super().__init__(wrap_exceptions=False)
        self.db = db
        self._hits = 0
        # Built once (hub.db.by_id says why): every limited request runs it.
        self._upsert = _upsert_statement(sqlite if db.sqlite else postgresql)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """What a failing database raises."""
        return SQLAlchemyError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s window (a new one of ``expiry`` seconds if it ended)."""
        now = time.time()
        async with self.db.engine.begin() as connection:
            hits = int(
                (
                    await connection.execute(self._upsert, _window(key, expiry, amount, now))
                ).scalar_one()
            )
        await self._counted(now)
        return hits

    async def hit_in_order(self, windows: list[tuple[str, int, int]]) -> int | None:
        """Count one hit in each ``(key, expiry seconds, limit)`` window, in one transaction.

        Stops at the first window over its limit and returns its index (the later ones are not
        counted: a client over its address limit does not use up an account's attempts);
        ``None`` when every window had room.
        """
        now = time.time()
        spent = None
        async with self.db.engine.begin() as connection:
            for index, (key, expiry, limit) in enumerate(windows):
                hits = (
                    await connection.execute(self._upsert, _window(key, expiry, 1, now))
                ).scalar_one()
                if int(hits) > limit:
                    spent = index
                    break
        await self._counted(now)
        return spent

    async def _counted(self, now: float) -> None:
        self._hits += 1
        if self._hits % SWEEP_EVERY == 0:
            await self._sweep(now)

    async def _sweep(self, now: float) -> None:
        async with self.db.engine.begin() as connection:
            await connection.execute(
                delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now)
            )

    async def _row(self, key: str) -> tuple[int, float] | None:
        async with self.db.read_engine.connect() as connection:
            row = (
                await connection.execute(
                    select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(
                        RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time()
                    )
                )
            ).first()
        return None if row is None else (int(row[0]), float(row[1]))

    async def get(self, key: str) -> int:
        """Hits in ``key``'s current window (0 when it has ended)."""
        row = await self._row(key)
        return 0 if row is None else row[0]

    async def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends, in seconds since the epoch (now if there is none)."""
        row = await self._row(key)
        return time.time() if row is None else row[1]

    async def check(self) -> bool:
        """Whether the database answers."""
        try:
            async with self.db.read_engine.connect() as connection:
                await connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    async def reset(self) -> int | None:
        """Forget every counter; return how many there were."""
        async with self.db.engine.begin() as connection:
            result = await connection.execute(delete(RateLimitCounter))
        return int(result.rowcount)

    async def clear(self, key: str) -> None:
        """Forget ``key``'s counter."""
        async with self.db.engine.begin() as connection:
            await connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

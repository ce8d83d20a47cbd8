"""Totals per area kept as of an event id, and moved to a newer one by the events in between.

A recount (``hub.stats.service.totals``) reads every need and batch of the area: two
aggregates whose cost grows with the tables, run by every ``GET /stats`` (the public page,
read most on the day the press writes about the effort) and by every dashboard snapshot.
Every write's event carries its ``totals_delta``, from the same rules a recount follows
(``hub.rules.totals``; the live stream's clients add them up the same way), so the totals as
of head H are the totals kept as of an older head plus the deltas of the events in between:
one range read over the newest events instead of two aggregates over the tables.

A recount still runs when an area is asked for the first time, when its kept totals were
last recounted ``RECOUNT_SECONDS`` ago (a write that changed the tables without its delta,
if one ever existed, would be wrong on the page for at most that long), and when the events
in between are more than ``MAX_GAP``.
"""

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.events.service import snapshot_head, summed_deltas
from hub.geo.areas import Area
from hub.rules.totals import Totals, moved
from hub.stats.service import totals

RECOUNT_SECONDS = 60.0
MAX_GAP = 5_000
_FRANCE = Area("FR")


@dataclass(frozen=True)
class _Kept:
    """One area's totals as of ``head``, last recounted from the tables at ``counted_at``."""

    head: int
    totals: Totals
    counted_at: float


class TotalsLedger:
    """The newest totals of each area and the event id they stand at, for one database."""

    def __init__(
        self,
        *,
        recount_seconds: float = RECOUNT_SECONDS,
        max_gap: int = MAX_GAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recount_seconds = recount_seconds
        self.max_gap = max_gap
        self.clock = clock
        self.recounts = 0
        self._kept: dict[Area, _Kept] = {}

    async def totals_at(self, session: AsyncSession, area: Area | None, head: int) -> Totals:
        """Return ``{design: {counter: units}}`` of ``area`` as of event ``head``.

        ``session`` must see every event up to ``head`` and the kept head: a read session
        opened after ``head`` was taken by ``snapshot_head`` (or the broadcaster). Returns a
        new dict the caller may change.
        """
        key = area or _FRANCE
        kept = self._kept.get(key)
        if (
            kept is None
            or self.clock() - kept.counted_at >= self.recount_seconds
            or abs(head - kept.head) > self.max_gap
        ):
            self.recounts += 1
            counted_at = self.clock()
            now = await totals(session, area)
            # The tables may already hold writes past the head: take their deltas back out.
            result = moved(now, await summed_deltas(session, area, after=head), sign=-1)
            self._keep(key, _Kept(head, result, counted_at), recounted=True)
            return _copy(result)
        if head == kept.head:
            return _copy(kept.totals)
        if head > kept.head:
            delta = await summed_deltas(session, area, after=kept.head, upto=head)
            result = moved(kept.totals, delta, sign=1)
            self._keep(key, _Kept(head, result, kept.counted_at), recounted=False)
            return _copy(result)
        # An older head (a snapshot for a broadcaster behind /stats): step back, keep nothing.
        delta = await summed_deltas(session, area, after=head, upto=kept.head)
        return moved(kept.totals, delta, sign=-1)

    def _keep(self, key: Area, kept: _Kept, *, recounted: bool) -> None:
        """Keep ``kept`` if it is fresher: a recount, or totals as of a newer head."""
        current = self._kept.get(key)
        if recounted or current is None or kept.head > current.head:
            self._kept[key] = kept


def _copy(totals: Totals) -> Totals:
    """Return a copy the caller may change without changing the kept totals."""
    return {design: dict(row) for design, row in totals.items()}


# One ledger per database, keyed by its connection pool (its read engine shares it on
# PostgreSQL; on SQLite every read session comes from the read engine's own pool).
_ledgers: "weakref.WeakKeyDictionary[Any, TotalsLedger]" = weakref.WeakKeyDictionary()


def ledger_of(session: AsyncSession) -> TotalsLedger:
    """Return the ledger of the database ``session`` reads."""
    return _ledgers.setdefault(session.get_bind().engine.pool, TotalsLedger())


async def totals_at_head(session: AsyncSession, area: Area | None) -> tuple[int, Totals]:
    """Return ``(event id, totals of the area as of it)``; call it first in a read session."""
    head = await snapshot_head(session)
    return head, await ledger_of(session).totals_at(session, area, head)

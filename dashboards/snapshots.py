"""Snapshots computed once: one read per area and event id, shared by every client meanwhile.

A reconnect storm (a proxy restart, a deploy) brings every dashboard back at once. Each
client's snapshot is the totals of its area as of the broadcaster's position; clients of the
same area arriving at the same position share one computation (single flight) and its
rendered message, so a thousand reconnects cost the database a handful of queries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from dashboards.protocol import snapshot_message
from hub.db import Database
from hub.geo.areas import Area
from hub.rules.totals import Totals
from hub.stats.ledger import ledger_of


@dataclass
class _Flight:
    """One area's totals as of one event id: computing, then kept until the id moves on."""

    head: int
    task: asyncio.Task[Totals]
    messages: dict[bool, str] = field(default_factory=dict)


class Snapshots:
    """The newest snapshot of each area, computed at most once per event id."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._flights: dict[str, _Flight] = {}
        self.computed = 0

    async def message(self, area: Area, head: int, *, detailed: bool) -> str:
        """Return the ``snapshot`` message of ``area`` as of event ``head``."""
        key = str(area)
        flight = self._flights.get(key)
        if flight is None or flight.head != head or flight.task.cancelled():
            flight = _Flight(head, asyncio.create_task(self._compute(area, head)))
            # A newer head replaces the older one; clients still awaiting it hold the task.
            if key not in self._flights or self._flights[key].head <= head:
                self._flights[key] = flight
        try:
            # Shielded: one client leaving must not cancel the others' computation.
            result = await asyncio.shield(flight.task)
        except Exception:
            if self._flights.get(key) is flight:
                del self._flights[key]  # the next client tries again
            raise
        text = flight.messages.get(detailed)
        if text is None:
            text = flight.messages[detailed] = snapshot_message(
                area, head, result, detailed=detailed
            )
        return text

    async def _compute(self, area: Area, head: int) -> Totals:
        """Read the totals as of ``head`` (the ledger moves its kept totals there)."""
        self.computed += 1
        async with self.db.background_sessions() as session:
            return await ledger_of(session).totals_at(session, area, head)

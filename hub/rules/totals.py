"""How one need or batch contributes to the per-design totals.

This is the single definition the live stream's ``totals_delta`` and ``GET /stats`` share,
so that the dashboard's running totals always equal a recount from the database.
"""

from collections.abc import Mapping

from hub.rules.states import AWAITING_PICKUP, COMMITTED, NeedStatus

COUNTERS = (
    "requested",
    "claimed",
    "made",
    "ready",
    "picked_up",
    "delivered",
    "accepted",
    "rejected",
)

Totals = dict[str, dict[str, int]]


def need_contribution(design: str, quantity: int, status: str) -> Totals:
    """Return what a need adds to the totals."""
    return {design: {"requested": 0 if status == NeedStatus.CANCELLED else quantity}}


def batch_contribution(
    design: str,
    state: str,
    quantity: int,
    made: int,
    picked_up: int,
    delivered: int,
    accepted: int,
    rejected: int,
) -> Totals:
    """Return what a batch adds to the totals."""
    if state not in COMMITTED:
        return {design: {}}
    ready = made - picked_up if state in AWAITING_PICKUP else 0
    return {
        design: {
            "claimed": quantity,
            "made": made,
            "ready": ready,
            "picked_up": picked_up,
            "delivered": delivered,
            "accepted": accepted,
            "rejected": rejected,
        }
    }


def subtract(after: Totals, before: Totals) -> Totals:
    """Return ``after - before``, keeping only the non-zero counters."""
    out: Totals = {}
    for design in after.keys() | before.keys():
        a, b = after.get(design, {}), before.get(design, {})
        diff = {c: a.get(c, 0) - b.get(c, 0) for c in COUNTERS}
        diff = {c: v for c, v in diff.items() if v}
        if diff:
            out[design] = diff
    return out


def add_into(total: Totals, delta: Mapping[str, Mapping[str, int]]) -> None:
    """Add a delta into running totals, in place."""
    for design, counters in delta.items():
        row = total.setdefault(design, dict.fromkeys(COUNTERS, 0))
        for counter, value in counters.items():
            row[counter] = row.get(counter, 0) + value


def moved(totals: Totals, delta: Mapping[str, Mapping[str, int]], *, sign: int) -> Totals:
    """Return a copy of ``totals`` plus ``sign`` (1 or -1) times ``delta``.

    A design whose counters all come to zero is left out, as a recount leaves it out: it has
    no need in force and no committed batch (quantities are positive).
    """
    out = {design: dict(row) for design, row in totals.items()}
    for design, counters in delta.items():
        row = out.setdefault(design, dict.fromkeys(COUNTERS, 0))
        for counter, value in counters.items():
            row[counter] = row.get(counter, 0) + sign * value
        if not any(row.values()):
            del out[design]
    return out


#: A need's units told as a person reads them, in order; each unit is in exactly one stage, so
#: the stages of a need add up to its quantity (``requested``: no lab has it yet).
STAGES = ("requested", "proposed", "being_made", "ready", "on_the_way", "delivered", "received")


def batch_stages(state: str, quantity: int, picked_up: int, delivered: int) -> dict[str, int]:
    """Split a held batch's ``quantity`` over the stages (empty for declined and cancelled).

    A received batch is closed: all of it counts as received (its accepted and rejected counts
    say how it was found). Before that, what a driver has not taken is still at the lab.
    """
    if state in ("declined", "cancelled"):
        return {}
    if state == "proposed":
        return {"proposed": quantity}
    if state == "claimed":
        return {"being_made": quantity}
    if state == "received":
        return {"received": quantity}
    return {
        "ready": quantity - picked_up,
        "on_the_way": picked_up - delivered,
        "delivered": delivered,
    }

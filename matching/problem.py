"""One design's matching problem as numpy arrays: levels, production, pairs within the radius."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from matching.geometry import pairs_within
from matching.types import UNMET_PENALTY_KM, Need, Offer

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Integer costs for the solvers are in metres.
METRES_PER_KM: Final[int] = 1000

#: The solvers add costs up in 64-bit integers: every unit's worst cost (its unmet penalty),
#: summed, must stay below this, with room to spare.
MAX_TOTAL_COST: Final[int] = 2**62


class TooLarge(ValueError):
    """A design's totals are too large for the solvers' exact 64-bit costs."""

    def __init__(self, design: str, needed: int, made: int) -> None:
        super().__init__(
            f"design {design!r}: quantities too large to cost exactly in 64-bit integers "
            f"({needed} units needed, {made} made)"
        )
        self.design, self.needed, self.made = design, needed, made


@dataclass(frozen=True, slots=True)
class DesignProblem:
    """The needs and offers of one design, and every (need, offer) pair within the radius.

    Only needs that some unit could serve (positive quantity, ``due_day - lead_days >= 0``)
    are kept; ``need_index`` maps them back to the caller's list.

    Attributes
    ----------
    need_index, offer_index
        Positions in the caller's ``needs`` and ``offers`` lists.
    quantity, level, penalty
        Per kept need: units, index of its deadline ``due_day - lead_days`` among ``days``,
        and the integer cost of one unmet unit (metres).
    days
        The distinct deadlines, ascending: the time-expanded network's levels.
    production
        Shape (n_offers, n_levels): units made in ``(days[k-1], days[k]]`` that no promise
        needs (``Offer.free_by``); stock in level 0.
    pair_need, pair_offer, pair_km, pair_cost
        Every pair within the radius, sorted by need then distance; integer cost in metres.
    """

    need_index: IntArray
    offer_index: IntArray
    quantity: IntArray
    level: IntArray
    penalty: IntArray
    days: IntArray
    production: IntArray
    pair_need: IntArray
    pair_offer: IntArray
    pair_km: FloatArray
    pair_cost: IntArray


def made_by(offers: Sequence[Offer], days: IntArray, horizon_days: int) -> IntArray:
    """Cumulative units made by the end of each day, shape (len(offers), len(days))."""
    stock = np.array([o.stock for o in offers], dtype=np.int64)
    rate = np.array([o.units_per_day for o in offers], dtype=np.int64)
    first = np.array([o.first_day for o in offers], dtype=np.int64)
    last = np.array(
        [
            horizon_days - 1 if o.last_day is None else min(o.last_day, horizon_days - 1)
            for o in offers
        ],
        dtype=np.int64,
    )
    upto = np.minimum(days[None, :], last[:, None])
    n_days = np.clip(upto - first[:, None] + 1, 0, None)
    made = stock[:, None] + rate[:, None] * n_days
    return np.where(days[None, :] >= 0, made, 0).astype(np.int64)


def free_by(offers: Sequence[Offer], days: IntArray, horizon_days: int) -> IntArray:
    """Cumulative units free for new work by each day: ``made_by`` less kept promises."""
    cumulative = made_by(offers, days, horizon_days)
    for row, offer in enumerate(offers):
        if offer.promised:
            cumulative[row] = [offer.free_by(int(day), horizon_days) for day in days]
    return cumulative


def build_problem(
    needs: Sequence[Need],
    need_index: Sequence[int],
    offers: Sequence[Offer],
    offer_index: Sequence[int],
    max_distance_km: float,
    lead_days: int,
    horizon_days: int,
    sea_crossing_km: float | None = None,
) -> DesignProblem:
    """Arrays for the needs and offers of one design (all of the same design).

    Pairs on different lands (both given) are left out, or cost ``sea_crossing_km`` more per
    unit when crossings are allowed.
    """
    deadline = np.array([n.due_day - lead_days for n in needs], dtype=np.int64)
    quantity = np.array([n.quantity for n in needs], dtype=np.int64)
    servable = (deadline >= 0) & (quantity > 0)
    kept = [n for n, ok in zip(needs, servable, strict=True) if ok]
    deadline, quantity = deadline[servable], quantity[servable]
    days, level = np.unique(deadline, return_inverse=True)
    cumulative = free_by(offers, days, horizon_days)
    production = np.diff(cumulative, axis=1, prepend=0) if len(offers) else cumulative
    penalty = np.array(
        [round(n.weight * UNMET_PENALTY_KM * METRES_PER_KM) for n in kept], dtype=np.int64
    )
    worst = int(quantity.sum()) * int(penalty.max(initial=0))
    if worst >= MAX_TOTAL_COST or int(production.sum()) >= MAX_TOTAL_COST:
        design = kept[0].design if kept else offers[0].design
        raise TooLarge(design, int(quantity.sum()), int(production.sum()))
    ia, jb, km = pairs_within(
        np.array([n.lon for n in kept], dtype=np.float64),
        np.array([n.lat for n in kept], dtype=np.float64),
        np.array([o.lon for o in offers], dtype=np.float64),
        np.array([o.lat for o in offers], dtype=np.float64),
        max_distance_km,
    )
    cost_km = km
    across = crossings([n.land for n in kept], [o.land for o in offers], ia, jb)
    if across is not None:
        if sea_crossing_km is None:
            keep = ~across
            ia, jb, km = ia[keep], jb[keep], km[keep]
            cost_km = km
        else:
            cost_km = km + across * float(sea_crossing_km)
            # Pairs stay sorted by need then cost: nearest first means cheapest first.
            order = np.lexsort((jb, cost_km, ia))
            ia, jb, km, cost_km = ia[order], jb[order], km[order], cost_km[order]
    return DesignProblem(
        need_index=np.asarray(need_index, dtype=np.int64)[servable],
        offer_index=np.asarray(offer_index, dtype=np.int64),
        quantity=quantity,
        level=level.astype(np.int64).reshape(-1),
        penalty=penalty,
        days=days.astype(np.int64),
        production=production.astype(np.int64).reshape(len(offers), len(days)),
        pair_need=ia,
        pair_offer=jb,
        pair_km=km,
        pair_cost=np.rint(cost_km * METRES_PER_KM).astype(np.int64),
    )


def crossings(
    need_lands: Sequence[str | None],
    offer_lands: Sequence[str | None],
    ia: IntArray,
    jb: IntArray,
) -> NDArray[np.bool_] | None:
    """Which pairs join two different lands (both given); None when no land is given at all."""
    if all(land is None for land in need_lands) and all(land is None for land in offer_lands):
        return None
    codes: dict[str, int] = {}
    a = np.array(
        [-1 if x is None else codes.setdefault(x, len(codes)) for x in need_lands], dtype=np.int64
    )
    b = np.array(
        [-1 if x is None else codes.setdefault(x, len(codes)) for x in offer_lands],
        dtype=np.int64,
    )
    la, lb = a[ia], b[jb]
    across: NDArray[np.bool_] = (la >= 0) & (lb >= 0) & (la != lb)
    return across

"""Nearest-first greedy baseline: the benchmark's yardstick, not an optimiser."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matching.candidates import nearest_first
from matching.problem import DesignProblem
from matching.solve import assemble, check_inputs, design_problems
from matching.types import MatchResult, Need, Offer

IntArray = NDArray[np.int64]


def greedy_design(prob: DesignProblem, needs: Sequence[Need]) -> IntArray:
    """Flow per pair: needs by priority then due day, each taking from its nearest labs.

    ``needs`` is the caller's list; the priority is read from ``prob.penalty`` (proportional
    to the weight), see ``matching.candidates.nearest_first``.
    """
    return nearest_first(prob)


def greedy(
    needs: Sequence[Need],
    offers: Sequence[Offer],
    max_distance_km: float = 200.0,
    lead_days: int = 1,
    horizon_days: int = 28,
    *,
    sea_crossing_km: float | None = None,
) -> MatchResult:
    """Nearest-first baseline with the same constraints and result type as ``match``.

    Needs are taken by priority (critical first), then due day, then input order; each takes
    what its labs can still make in time, nearest lab first. Feasible, not optimal.
    """
    needs, offers = list(needs), list(offers)
    check_inputs(needs, offers, max_distance_km, lead_days, horizon_days)
    problems = design_problems(
        needs, offers, max_distance_km, lead_days, horizon_days, sea_crossing_km
    )
    flows = [greedy_design(p, needs) for p in problems]
    return assemble(needs, offers, problems, flows)

"""The process pool over designs: same answer as one process, also when called from a thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import matching.solve
from matching import Need, Offer, match, match_unpruned
from matching.candidates import solve_unpruned
from matching.solve import design_problems, solve_all, solve_pruned_flow

DESIGNS = ("ear-saver", "face-shield", "valve")


def instance() -> tuple[list[Need], list[Offer]]:
    """Three designs, enough needs and labs that pruning has work to do."""
    rng = np.random.default_rng(7)
    needs = [
        Need(i, DESIGNS[i % 3], float(rng.uniform(2, 4)), float(rng.uniform(46, 48)),
             int(rng.integers(1, 40)), int(rng.integers(0, 10)),
             str(rng.choice(["critical", "high", "normal"])))
        for i in range(90)
    ]  # fmt: skip
    offers = [
        Offer(f"lab{j}", DESIGNS[j % 3], float(rng.uniform(2, 4)), float(rng.uniform(46, 48)),
              int(rng.integers(0, 6)), int(rng.integers(0, 3)), None, int(rng.integers(0, 20)))
        for j in range(45)
    ]  # fmt: skip
    return needs, offers


@pytest.mark.parametrize("solver", [solve_pruned_flow, solve_unpruned])
def test_pool_gives_the_sequential_flows(solver: object) -> None:
    """Two worker processes return, design by design, the flows one process computes."""
    needs, offers = instance()
    problems = design_problems(needs, offers, 150.0, 1, 14)
    assert len(problems) == 3
    sequential = solve_all(problems, solver, 1)  # type: ignore[arg-type]
    pooled = solve_all(problems, solver, 2)  # type: ignore[arg-type]
    for a, b in zip(sequential, pooled, strict=True):
        np.testing.assert_array_equal(a, b)


def test_match_in_a_pool_from_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Called through a thread (as the hub does), the pooled match equals the reference."""
    monkeypatch.setattr(matching.solve, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(matching.solve, "worker_count", lambda pairs, designs: 2)
    needs, offers = instance()
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(match, needs, offers, 150.0, 1, 14).result()
    reference = match_unpruned(needs, offers, 150.0, 1, 14)
    assert result.weighted_served(needs) == reference.weighted_served(needs)
    assert result.unit_km == pytest.approx(reference.unit_km, abs=1e-6)


def test_prune_must_be_a_known_mode() -> None:
    """A typo in ``prune`` is refused, not taken as truthy."""
    needs, offers = instance()
    with pytest.raises(ValueError, match="prune"):
        match(needs, offers, prune="yes")  # type: ignore[arg-type]


def test_engine_must_be_a_known_solver() -> None:
    """The reference refuses a solver it does not know, naming the parameter."""
    needs, offers = instance()
    with pytest.raises(ValueError, match="engine"):
        match_unpruned(needs, offers, engine="glpk")  # type: ignore[arg-type]


def test_pool_started_early_is_dropped_when_the_pairs_are_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers started from the needs x offers bound are not used when few pairs are in reach."""
    needs, offers = instance()
    reference = match_unpruned(needs, offers, 1.0, 1, 14)
    bound, designs = matching.solve.pair_bound(needs, offers)
    assert designs == 3
    assert bound == sum(
        sum(n.design == d for n in needs) * sum(o.design == d for o in offers) for d in DESIGNS
    )
    started: list[int] = []
    real_start = matching.solve.start_pool

    def spy(workers: int) -> object:
        started.append(workers)
        return real_start(workers)

    monkeypatch.setattr(matching.solve, "start_pool", spy)
    monkeypatch.setattr(matching.solve, "PARALLEL_MIN_PAIRS", bound)
    in_process: list[int] = []
    real_solve_all = matching.solve.solve_all

    def solve_all_spy(problems: object, solver: object, workers: int, pool: object) -> object:
        in_process.append(workers)
        return real_solve_all(problems, solver, workers, pool)  # type: ignore[arg-type]

    monkeypatch.setattr(matching.solve, "solve_all", solve_all_spy)
    # A 1 km radius leaves (almost) no pair: the started pool must go unused, answer unchanged.
    result = match(needs, offers, 1.0, 1, 14)
    cores = matching.solve.available_cores()
    assert started == ([min(cores, 3)] if cores > 1 else [])
    assert in_process == [1]
    assert result.unit_km == pytest.approx(reference.unit_km)
    assert result.unmet == reference.unmet

"""The process pool over designs: same answer as one process, also when called from a thread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from support.slow_solver import reciprocal as _reciprocal
from support.slow_solver import slow_solve

import matching.solve
from matching import Need, Offer, match, match_unpruned
from matching.candidates import solve_unpruned
from matching.solve import design_problems, solve_all, solve_pruned_flow
from matching.workers import WorkerPool

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


UNGUARDED_SCRIPT = """
import json
import numpy as np
import matching.solve
from matching import Need, Offer, match, match_unpruned

# A machine with one core would solve in this process: the test is about workers.
matching.solve.available_cores = lambda: 2
rng = np.random.default_rng(2020)
designs = ("ear-saver", "face-shield", "valve")
needs = [
    Need(i, designs[i % 3], float(rng.uniform(-1, 7)), float(rng.uniform(43, 50)),
         int(rng.integers(1, 60)), int(rng.integers(2, 20)),
         str(rng.choice(["critical", "high", "normal"])))
    for i in range(3 * 270)
]
offers = [
    Offer(f"lab{j}", designs[j % 3], float(rng.uniform(-1, 7)), float(rng.uniform(43, 50)),
          int(rng.integers(0, 8)), int(rng.integers(0, 4)), None, int(rng.integers(0, 30)))
    for j in range(3 * 260)
]
pairs, shared = matching.solve.pair_bound(needs, offers)
workers = matching.solve.worker_count(pairs, shared)
result = match(needs, offers, 2000.0, 1, 28)
reference = match_unpruned(needs, offers, 2000.0, 1, 28, engine="lemon")
print(json.dumps({
    "workers": workers,
    "pairs": pairs,
    "unit_km": result.unit_km,
    "reference_unit_km": reference.unit_km,
    "unmet": sorted(result.unmet.items()),
    "reference_unmet": sorted(reference.unmet.items()),
}))
"""


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_match_from_a_script_without_a_main_guard(tmp_path: Path, how: str) -> None:
    """SPEC section 3's usage, at a script's top level, on an instance that uses workers.

    With ``multiprocessing`` workers, each re-ran this script, which started workers while
    bootstrapping: ``BrokenProcessPool``. From standard input (a main module without a file,
    as in a notebook or ``python -``), the same answer.
    """
    script = tmp_path / "plain_script.py"
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script) if how == "file" else "-"],
        input=None if how == "file" else UNGUARDED_SCRIPT,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, "the script ran more than once: " + done.stdout[-2000:]
    out = json.loads(lines[0])
    assert out["pairs"] >= matching.solve.PARALLEL_MIN_PAIRS
    assert out["workers"] == 2
    assert out["unit_km"] == pytest.approx(out["reference_unit_km"], abs=1e-6)
    assert out["unmet"] == out["reference_unmet"]


def _kill_when_busy(pools: list[WorkerPool], killed: list[int]) -> None:
    """Kill the first worker seen holding a task (SIGKILL, as the OOM killer would)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pool in pools:
            for worker in pool.workers:
                if worker.busy.is_set():
                    os.kill(worker.pid, signal.SIGKILL)
                    killed.append(worker.pid)
                    return
        time.sleep(0.01)


def test_a_killed_worker_leaves_its_design_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-solve: the run still ends, with the sequential answer."""
    needs, offers = instance()
    problems = design_problems(needs, offers, 150.0, 1, 14)
    sequential = solve_all(problems, solve_unpruned, 1)
    pools: list[WorkerPool] = []
    real_start = matching.solve.start_pool

    def spy(workers: int) -> WorkerPool:
        pools.append(real_start(workers))
        return pools[-1]

    monkeypatch.setattr(matching.solve, "start_pool", spy)
    killed: list[int] = []
    killer = threading.Thread(target=_kill_when_busy, args=(pools, killed))
    killer.start()
    try:
        pooled = solve_all(problems, slow_solve, 2)
    finally:
        killer.join()
    assert killed, "no worker was seen at work"
    assert pools[0].recovered >= 1
    for a, b in zip(sequential, pooled, strict=True):
        np.testing.assert_array_equal(a, b)


def test_every_worker_dead_before_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers killed before they got anything: ``match`` answers from this process."""
    monkeypatch.setattr(matching.solve, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(matching.solve, "worker_count", lambda pairs, designs: 2)
    real_start = matching.solve.start_pool
    pools: list[WorkerPool] = []

    def dead(workers: int) -> WorkerPool:
        pool = real_start(workers)
        for pid in pool.pids:
            os.kill(pid, signal.SIGKILL)
        for worker in pool.workers:
            worker.process.wait()
        pools.append(pool)
        return pool

    monkeypatch.setattr(matching.solve, "start_pool", dead)
    needs, offers = instance()
    result = match(needs, offers, 150.0, 1, 14)
    reference = match_unpruned(needs, offers, 150.0, 1, 14)
    assert pools and pools[0].recovered == 3
    assert result.unit_km == pytest.approx(reference.unit_km, abs=1e-6)
    assert result.unmet == reference.unmet


def test_a_solver_error_is_raised_as_itself() -> None:
    """An error inside a worker reaches the caller as the solver's exception."""
    pool = WorkerPool(1)
    try:
        with pytest.raises(ZeroDivisionError):
            pool.map(_reciprocal, [1, 0])
    finally:
        pool.shutdown()


def test_no_interpreter_to_start_solves_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that cannot be started (an embedded Python): the answer comes from this process."""
    monkeypatch.setattr(matching.solve, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(matching.solve, "worker_count", lambda pairs, designs: 2)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    needs, offers = instance()
    result = match(needs, offers, 150.0, 1, 14)
    reference = match_unpruned(needs, offers, 150.0, 1, 14)
    assert result.unit_km == pytest.approx(reference.unit_km, abs=1e-6)
    assert result.unmet == reference.unmet

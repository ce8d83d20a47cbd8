"""``benchmarks/load.py``, ``request_cost.py`` and ``instructions.py`` still run, briefly
(real runs: the README)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def _run(script: str, *args: str) -> str:
    """Run a benchmark script with ``args``; return what it printed, once it exited 0."""
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


@pytest.mark.slow
def test_load_benchmark_runs_with_no_errors_and_no_broken_invariants() -> None:
    out = _run(
        "load.py",
        *("--only", "sqlite", "--seconds", "2", "--clients", "4", "--rate", "10"),
        *("--batches", "4"),
    )
    assert "errors: 0; broken invariants: 0" in out
    assert "| SQLite, 1 process | closed 4 |" in out


@pytest.mark.slow
def test_request_cost_benchmark_prints_every_operation_of_the_mix() -> None:
    out = _run("request_cost.py", "--requests", "3", "--rounds", "1")
    for op in ("stats", "needs", "post_need", "progress", "batches", "**mix**"):
        assert f"| {op} |" in out, out


@pytest.mark.slow
def test_instruction_benchmark_drives_both_servers_through_the_mix() -> None:
    """Without valgrind nothing is counted, but every request of the mix must be answered."""
    out = _run("instructions.py", "--no-valgrind", "--requests", "2")
    assert "Every request answered (bare, hub)" in out

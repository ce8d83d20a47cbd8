"""``benchmarks/load.py`` and ``request_cost.py`` still run, briefly (real runs: the README)."""

import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).parents[2] / "benchmarks" / "load.py"


@pytest.mark.slow
def test_load_benchmark_runs_with_no_errors_and_no_broken_invariants() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(LOAD),
            "--only",
            "sqlite",
            "--seconds",
            "2",
            "--clients",
            "4",
            "--rate",
            "10",
            "--batches",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "errors: 0; broken invariants: 0" in run.stdout
    assert "| SQLite, 1 process | closed 4 |" in run.stdout


@pytest.mark.slow
def test_request_cost_benchmark_prints_every_operation_of_the_mix() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(LOAD.with_name("request_cost.py")),
            "--requests",
            "3",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for op in ("stats", "needs", "post_need", "progress", "batches", "**mix**"):
        assert f"| {op} |" in run.stdout, run.stdout


@pytest.mark.slow
def test_instruction_benchmark_drives_both_servers_through_the_mix() -> None:
    """Without valgrind nothing is counted, but every request of the mix must be answered."""
    run = subprocess.run(
        [
            sys.executable,
            str(LOAD.with_name("instructions.py")),
            "--no-valgrind",
            "--requests",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Every request answered (bare, hub)" in run.stdout

"""Fixtures for the route planner: the Li & Lim instances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The shared folder sits next to the repository: ../shared/benchmarks/pdptw.
PDPTW = Path(
    os.environ.get(
        "HUB_PDPTW_DIR",
        Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "pdptw",
    )
)


@pytest.fixture
def pdptw_dir() -> Path:
    """The directory of the Li & Lim instances, skipping when the shared folder is absent."""
    if not (PDPTW / "lc101.vrp").exists():
        pytest.skip(f"benchmark instances not found at {PDPTW}")
    return PDPTW

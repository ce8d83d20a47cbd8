"""Fixtures for the route planner: the Li & Lim instances and a few places around Paris."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matching.routes import Place

# The shared folder sits next to the repository: ../shared/benchmarks/pdptw.
PDPTW = Path(
    os.environ.get(
        "HUB_PDPTW_DIR",
        Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "pdptw",
    )
)

# Real places, about 5-15 km apart: a fablab in the 11th, hospitals around Paris.
FABLAB = Place(2.3790, 48.8590)
PITIE = Place(2.3650, 48.8380)
BICHAT = Place(2.3320, 48.8990)
BEAUJON = Place(2.3070, 48.9070)
CRETEIL = Place(2.4530, 48.7900)


@pytest.fixture
def pdptw_dir() -> Path:
    """The directory of the Li & Lim instances, skipping when the shared folder is absent."""
    if not (PDPTW / "lc101.vrp").exists():
        pytest.skip(f"benchmark instances not found at {PDPTW}")
    return PDPTW

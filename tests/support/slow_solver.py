"""A matcher solver that takes its time, so a test can kill the worker running it."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from matching.candidates import solve_unpruned
from matching.problem import DesignProblem

SECONDS = 1.0


def slow_solve(prob: DesignProblem) -> NDArray[np.int64]:
    """``solve_unpruned`` after a pause (module-level: workers import it by name)."""
    time.sleep(SECONDS)
    return solve_unpruned(prob)


def reciprocal(x: int) -> float:
    """1 / x: raises ZeroDivisionError in a worker for 0."""
    return 1 / x

"""Matching: assign labs' production to hospitals' needs, exactly (SPEC section 3).

Pure: numpy, SciPy, pylmcf (LEMON's network simplex) and OR-Tools (for the reference solver
and the routes) only; no web or database code.

>>> from matching import Need, Offer, match
>>> result = match([Need(1, "ear-saver", 2.35, 48.85, 10, due_day=3)],
...                [Offer("fablab", "ear-saver", 2.30, 48.80, units_per_day=5)])
>>> result.unmet
{}
"""

from matching.greedy import greedy
from matching.problem import TooLarge
from matching.solve import match, match_unpruned
from matching.types import PRIORITY_WEIGHTS, Assignment, MatchResult, Need, Offer

__all__ = [
    "PRIORITY_WEIGHTS",
    "Assignment",
    "MatchResult",
    "Need",
    "Offer",
    "TooLarge",
    "greedy",
    "match",
    "match_unpruned",
]

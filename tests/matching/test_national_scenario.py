"""The national scenario generator behind the demo and the benchmark."""

from __future__ import annotations

from collections import Counter

import pytest

from designs import load_catalogue
from hub.demo.scenario import SCARCE_CAPACITY_RATIO, load_communes, national_scenario


def test_deterministic_for_a_seed() -> None:
    """The same seed gives the same scenario, another seed another one."""
    a, b = national_scenario(300, 200, seed=3), national_scenario(300, 200, seed=3)
    assert a == b
    assert national_scenario(300, 200, seed=4).needs != a.needs


def test_shape_and_ranges() -> None:
    """Sizes, catalogue designs, priorities, due days, sites in their communes, unique offers."""
    s = national_scenario(900, 700, seed=1)
    assert len(s.needs) == 900 and len(s.offers) == 700
    slugs = set(load_catalogue())
    assert {n.design for n in s.needs} <= slugs and {o.design for o in s.offers} <= slugs
    assert len({(o.lab_id, o.design) for o in s.offers}) == 700
    assert all(1 <= n.due_day <= 28 and 10 <= n.quantity <= 5000 for n in s.needs)
    share = Counter(n.priority for n in s.needs)
    assert 0.05 < share["critical"] / 900 < 0.15 and 0.2 < share["high"] / 900 < 0.4
    communes = {c.insee: c for c in load_communes()}
    for site in [*s.hospitals, *s.labs]:
        c = communes[site.insee]
        assert abs(site.lon - c.lon) <= 0.011 and abs(site.lat - c.lat) <= 0.011, site
    hospital_keys = {h.key for h in s.hospitals}
    assert set(s.need_site.values()) <= hospital_keys
    assert {o.lab_id for o in s.offers} == {lab.key for lab in s.labs}


@pytest.mark.parametrize("ratio", [1.2, SCARCE_CAPACITY_RATIO])
def test_capacity_ratio(ratio: float) -> None:
    """What offers make by day 27 is about ``ratio`` times the demand."""
    s = national_scenario(2000, 1500, seed=2, capacity_ratio=ratio)
    made = sum(o.made_by(27, 28) for o in s.offers)
    demand = sum(n.quantity for n in s.needs)
    assert made / demand == pytest.approx(ratio, rel=0.1)

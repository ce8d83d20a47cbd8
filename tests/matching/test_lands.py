"""The right side of the sea: the matcher never pairs a need and an offer on different lands,
unless crossings are allowed at a cost (SPEC section 3)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Need, Offer, greedy, match, match_unpruned

_spec = importlib.util.spec_from_file_location(
    "matching_property_helpers", Path(__file__).with_name("test_properties.py")
)
assert _spec is not None and _spec.loader is not None
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
instances, objective, check_feasible = (
    _helpers.instances,
    _helpers.objective,
    _helpers.check_feasible,
)

LANDS = (None, "mainland", "corsica")
# More than any unmet unit's penalty (100 × 100,000 km): crossing never pays.
NEVER_PAYS_KM = 1e8

NICE = (7.2620, 43.7102)
AJACCIO = (8.7386, 41.9192)
TOULON = (5.9280, 43.1242)


@st.composite
def landed(draw: st.DrawFn) -> tuple[list[Need], list[Offer], float, int, int]:
    """The property tests' instances, each site given a land (or none)."""
    needs, offers, radius, lead, horizon = draw(instances())
    needs = [replace(n, land=draw(st.sampled_from(LANDS))) for n in needs]
    by_lab = {o.lab_id: draw(st.sampled_from(LANDS)) for o in offers}
    offers = [replace(o, land=by_lab[o.lab_id]) for o in offers]
    return needs, offers, radius, lead, horizon


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _crosses(need: Need, offer: Offer) -> bool:
    return need.land is not None and offer.land is not None and need.land != offer.land


@SETTINGS
@given(landed(), st.booleans())
def test_no_assignment_crosses_the_sea(inst, prune: bool) -> None:
    needs, offers, radius, lead, horizon = inst
    result = match(needs, offers, radius, lead, horizon, prune=prune)
    check_feasible(result, needs, offers, radius, lead, horizon)
    need_of = {n.id: n for n in needs}
    offer_of = {(o.lab_id, o.design): o for o in offers}
    for a in result.assignments:
        assert not _crosses(need_of[a.need_id], offer_of[(a.lab_id, a.design)])
    # Forbidding a crossing is the same optimum as pricing it out of reach.
    priced = match_unpruned(
        needs, offers, radius, lead, horizon, engine="lemon", sea_crossing_km=NEVER_PAYS_KM
    )
    assert objective(result, needs) == pytest.approx(objective(priced, needs), abs=1e-6)
    assert result.weighted_served(needs) == priced.weighted_served(needs)
    for a in greedy(needs, offers, radius, lead, horizon).assignments:
        assert not _crosses(need_of[a.need_id], offer_of[(a.lab_id, a.design)])


@SETTINGS
@given(landed())
def test_free_crossings_are_the_landless_optimum(inst) -> None:
    needs, offers, radius, lead, horizon = inst
    free = match(needs, offers, radius, lead, horizon, sea_crossing_km=0.0)
    landless = match(
        [replace(n, land=None) for n in needs],
        [replace(o, land=None) for o in offers],
        radius,
        lead,
        horizon,
    )
    assert objective(free, needs) == pytest.approx(objective(landless, needs), abs=1e-6)
    # Lands only ever take pairs away: never better than without them.
    assert (
        objective(match(needs, offers, radius, lead, horizon), needs)
        >= objective(landless, needs) - 1e-6
    )


def test_a_lab_in_corsica_never_serves_nice_by_default() -> None:
    need = Need("chu-nice", "ear-saver", *NICE, quantity=100, due_day=5, land="mainland")
    corsica = Offer("fablab-ajaccio", "ear-saver", *AJACCIO, units_per_day=50, land="corsica")
    result = match([need], [corsica], max_distance_km=400)
    assert result.assignments == [] and result.unmet == {"chu-nice": 100}
    ferried = match([need], [corsica], max_distance_km=400, sea_crossing_km=150)
    assert sum(a.quantity for a in ferried.assignments) == 100
    # A mainland lab farther by road (crow-fly) than the crossing's cost is preferred over it.
    toulon = Offer("fablab-toulon", "ear-saver", *TOULON, units_per_day=50, land="mainland")
    both = match([need], [corsica, toulon], max_distance_km=400, sea_crossing_km=150)
    assert {a.lab_id for a in both.assignments} == {"fablab-toulon"}
    # Sites with no land pair with every land (SPEC: None is the same land as everything).
    anywhere = replace(corsica, land=None)
    assert match([need], [anywhere], max_distance_km=400).unmet == {}


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), True, "100"])
def test_bad_crossing_costs_are_refused(bad: object) -> None:
    need = Need(1, "ear-saver", *NICE, quantity=1, due_day=3)
    with pytest.raises(ValueError, match="sea_crossing_km"):
        match([need], [], sea_crossing_km=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", 3, ("mainland",)])
def test_bad_lands_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="land"):
        Need(1, "ear-saver", *NICE, quantity=1, due_day=3, land=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="land"):
        Offer("lab", "ear-saver", *NICE, units_per_day=1, land=bad)  # type: ignore[arg-type]

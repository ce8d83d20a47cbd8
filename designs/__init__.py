"""The catalogue of validated designs: data files in ``designs/data`` and a typed loader.

Pure standard library: no web, database or validation framework imports, so that
``hub/``, ``matching/`` and scripts can all read the catalogue cheaply.

Examples
--------
>>> from designs import get_design
>>> get_design("ear-saver").process
'fdm'
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

__all__ = [
    "NUMERIC_FIELDS",
    "PROCESSES",
    "Design",
    "Production",
    "Validation",
    "data_dir",
    "diagram_path",
    "get_design",
    "load_catalogue",
    "load_directory",
    "parse_design",
    "slugs",
]

#: Manufacturing processes a design may name. A typo here would silently split
#: the matcher's capacity pools, so unknown processes are rejected.
PROCESSES: frozenset[str] = frozenset(
    {"fdm", "sla", "sls", "laser", "sewing", "moulding", "cnc", "assembly"}
)

#: The numeric figures every design carries; each needs an entry in ``[sources]``.
NUMERIC_FIELDS: tuple[str, ...] = ("grams_per_unit", "minutes_per_unit", "units_per_box")

# The validation date is a figure too; we ask for its source as well.
_SOURCED_FIELDS: tuple[str, ...] = (*NUMERIC_FIELDS, "validation.on")

_REQUIRED_STRINGS: tuple[str, ...] = (
    "slug",
    "item",
    "name",
    "name_fr",
    "version",
    "process",
    "source_url",
    "licence",
    "notes",
    "notes_fr",
)
_TOP_LEVEL_KEYS: frozenset[str] = frozenset(
    {*_REQUIRED_STRINGS, *NUMERIC_FIELDS, "materials", "validation", "sources", "production"}
)
_PRODUCTION_KEYS: frozenset[str] = frozenset({"settings", "settings_fr", "diagram"})
_DIAGRAM_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.svg$")
_VALIDATION_KEYS: frozenset[str] = frozenset({"by", "on", "use"})
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Validation:
    """Who validated a design, on which day, and for what use."""

    by: str
    on: dt.date
    use: str


@dataclass(frozen=True, slots=True)
class Production:
    """How a maker makes it: the process's settings (print settings for FDM, cutting settings
    for a laser, pattern notes for sewing), in English and French, and an optional schematic
    diagram (an SVG file in ``designs/data/diagrams``, drawn for the hub, never a photo)."""

    settings: tuple[str, ...]
    settings_fr: tuple[str, ...]
    diagram: str | None = None


@dataclass(frozen=True, slots=True)
class Design:
    """One catalogue entry: what to make, how, with what, and where the figures come from."""

    slug: str
    item: str
    name: str
    name_fr: str
    version: str
    process: str
    materials: tuple[str, ...]
    grams_per_unit: float
    minutes_per_unit: float
    units_per_box: int
    source_url: str
    licence: str
    validation: Validation
    notes: str
    notes_fr: str
    # Read-only mapping from figure name (e.g. "grams_per_unit") to its citation.
    sources: Mapping[str, str] = field(hash=False, compare=True, repr=False)
    production: Production | None = None

    def source_of(self, figure: str) -> str:
        """Return the citation recorded for ``figure``, raising ``KeyError`` if there is none."""
        try:
            return self.sources[figure]
        except KeyError:
            raise KeyError(f"design {self.slug!r} records no source for {figure!r}") from None


def _fail(origin: str, name: str, problem: str) -> ValueError:
    return ValueError(f"{origin}: field {name!r} {problem}")


def _string(data: Mapping[str, Any], name: str, origin: str, prefix: str = "") -> str:
    full = f"{prefix}{name}"
    if name not in data:
        raise _fail(origin, full, "is required")
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise _fail(origin, full, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _positive_number(data: Mapping[str, Any], name: str, origin: str) -> float:
    if name not in data:
        raise _fail(origin, name, "is required")
    value = data[name]
    # bool is an int subclass; `true` is never a sensible weight.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(origin, name, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise _fail(origin, name, f"must be a positive finite number, got {value!r}")
    return float(value)


def _positive_int(data: Mapping[str, Any], name: str, origin: str) -> int:
    if name not in data:
        raise _fail(origin, name, "is required")
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(origin, name, f"must be a whole number, got {value!r}")
    if value <= 0:
        raise _fail(origin, name, f"must be positive, got {value!r}")
    return value


def _date(data: Mapping[str, Any], name: str, origin: str, prefix: str) -> dt.date:
    full = f"{prefix}{name}"
    if name not in data:
        raise _fail(origin, full, "is required")
    value = data[name]
    # datetime is a date subclass; a validation is a day, not an instant.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(origin, full, f"must be an ISO date (YYYY-MM-DD), got {value!r}")


def _table(data: Mapping[str, Any], name: str, origin: str) -> Mapping[str, Any]:
    if name not in data:
        raise _fail(origin, name, "is required")
    value = data[name]
    if not isinstance(value, dict):
        raise _fail(origin, name, f"must be a table, got {value!r}")
    return value


def parse_design(
    data: Mapping[str, Any], *, origin: str, expected_slug: str | None = None
) -> Design:
    """Build a ``Design`` from one parsed data file, raising ``ValueError`` naming the field."""
    unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _fail(origin, unknown[0], "is not a known design field")
    # Checked in this order, so that a file with several faults always names the same one.
    slug = _slug(data, origin, expected_slug)
    strings = _strings(data, origin)
    materials = _materials(data, origin)
    validation = _validation(data, origin)
    sources = _sources(data, origin)
    production = _production(data, origin)
    if production is not None and "production" not in sources:
        raise _fail(origin, "sources.production", "is required: production settings cite a source")
    return Design(
        slug=slug,
        item=strings["item"],
        name=strings["name"],
        name_fr=strings["name_fr"],
        version=strings["version"],
        process=strings["process"],
        materials=materials,
        grams_per_unit=_positive_number(data, "grams_per_unit", origin),
        minutes_per_unit=_positive_number(data, "minutes_per_unit", origin),
        units_per_box=_positive_int(data, "units_per_box", origin),
        source_url=strings["source_url"],
        licence=strings["licence"],
        validation=validation,
        notes=strings["notes"],
        notes_fr=strings["notes_fr"],
        sources=sources,
        production=production,
    )


def _string_list(raw: Mapping[str, Any], name: str, origin: str) -> tuple[str, ...]:
    value = raw.get(name)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise _fail(
            origin, f"production.{name}", f"must be a non-empty list of strings, got {value!r}"
        )
    return tuple(v.strip() for v in value)


def _production(data: Mapping[str, Any], origin: str) -> Production | None:
    """The optional ``[production]`` table: settings in both languages, one line each."""
    if "production" not in data:
        return None
    raw = _table(data, "production", origin)
    extra = sorted(set(raw) - _PRODUCTION_KEYS)
    if extra:
        raise _fail(origin, f"production.{extra[0]}", "is not a known production field")
    settings = _string_list(raw, "settings", origin)
    settings_fr = _string_list(raw, "settings_fr", origin)
    if len(settings) != len(settings_fr):
        raise _fail(origin, "production.settings_fr", "must have one line per English line")
    diagram = raw.get("diagram")
    if diagram is not None and (not isinstance(diagram, str) or not _DIAGRAM_RE.match(diagram)):
        raise _fail(origin, "production.diagram", f"must name an .svg file, got {diagram!r}")
    return Production(settings=settings, settings_fr=settings_fr, diagram=diagram)


def _slug(data: Mapping[str, Any], origin: str, expected_slug: str | None) -> str:
    slug = _string(data, "slug", origin)
    if not _SLUG_RE.match(slug):
        raise _fail(origin, "slug", f"must be lowercase words joined by hyphens, got {slug!r}")
    if expected_slug is not None and slug != expected_slug:
        raise _fail(origin, "slug", f"is {slug!r} but the file is named {expected_slug!r}")
    return slug


def _strings(data: Mapping[str, Any], origin: str) -> dict[str, str]:
    """Every required string, the process and the source URL checked."""
    strings = {name: _string(data, name, origin) for name in _REQUIRED_STRINGS}
    if strings["process"] not in PROCESSES:
        raise _fail(
            origin, "process", f"must be one of {sorted(PROCESSES)}, got {strings['process']!r}"
        )
    if not strings["source_url"].startswith(("https://", "http://")):
        raise _fail(origin, "source_url", f"must be an http(s) URL, got {strings['source_url']!r}")
    return strings


def _materials(data: Mapping[str, Any], origin: str) -> tuple[str, ...]:
    if "materials" not in data:
        raise _fail(origin, "materials", "is required")
    materials = data["materials"]
    if (
        not isinstance(materials, list)
        or not materials
        or not all(isinstance(m, str) and m.strip() for m in materials)
    ):
        raise _fail(origin, "materials", f"must be a non-empty list of strings, got {materials!r}")
    return tuple(m.strip() for m in materials)


def _validation(data: Mapping[str, Any], origin: str) -> Validation:
    raw = _table(data, "validation", origin)
    extra = sorted(set(raw) - _VALIDATION_KEYS)
    if extra:
        raise _fail(origin, f"validation.{extra[0]}", "is not a known validation field")
    return Validation(
        by=_string(raw, "by", origin, "validation."),
        on=_date(raw, "on", origin, "validation."),
        use=_string(raw, "use", origin, "validation."),
    )


def _sources(data: Mapping[str, Any], origin: str) -> Mapping[str, str]:
    """The citations, read-only: each names a design field, and every figure has one."""
    raw = _table(data, "sources", origin)
    allowed = _TOP_LEVEL_KEYS | {f"validation.{k}" for k in _VALIDATION_KEYS} | {"production"}
    for key, citation in raw.items():
        if key not in allowed:
            raise _fail(origin, f"sources.{key}", "does not name a design field")
        if not isinstance(citation, str) or not citation.strip():
            raise _fail(origin, f"sources.{key}", f"must be a non-empty string, got {citation!r}")
    for figure in _SOURCED_FIELDS:
        if figure not in raw:
            raise _fail(origin, f"sources.{figure}", "is required: every figure records its source")
    return MappingProxyType({k: v.strip() for k, v in raw.items()})


def data_dir() -> Traversable:
    """Return the directory of the shipped data files (works installed, editable or in place)."""
    return files("designs") / "data"


def diagram_path(design: Design) -> Traversable | None:
    """Return the file of a design's schematic diagram, or ``None`` when it has none."""
    if design.production is None or design.production.diagram is None:
        return None
    return data_dir() / "diagrams" / design.production.diagram


def load_directory(directory: Traversable) -> dict[str, Design]:
    """Load and validate every ``*.toml`` file in ``directory``, keyed by slug."""
    catalogue: dict[str, Design] = {}
    entries = sorted(
        (e for e in directory.iterdir() if e.name.endswith(".toml") and e.is_file()),
        key=lambda e: e.name,
    )
    for entry in entries:
        origin = entry.name
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{origin}: not valid TOML ({exc})") from exc
        design = parse_design(data, origin=origin, expected_slug=origin.removesuffix(".toml"))
        diagram = design.production.diagram if design.production else None
        if diagram is not None and not (directory / "diagrams" / diagram).is_file():
            raise ValueError(f"{origin}: diagram {diagram!r} is not in diagrams/")
        catalogue[design.slug] = design
    if not catalogue:
        raise ValueError(f"{directory}: no design data files (*.toml) found")
    return catalogue


@functools.cache
def _shipped() -> Mapping[str, Design]:
    return MappingProxyType(load_directory(data_dir()))


def load_catalogue() -> dict[str, Design]:
    """Return the shipped catalogue keyed by slug (parsed once; each call gets a fresh dict)."""
    # A copy, so a caller that edits its dict cannot change what the next caller sees.
    return dict(_shipped())


def get_design(slug: str) -> Design:
    """Return the design with this slug, raising ``KeyError`` that lists the known slugs."""
    try:
        return _shipped()[slug]
    except KeyError:
        known = ", ".join(sorted(_shipped()))
        raise KeyError(f"unknown design slug {slug!r}; known slugs: {known}") from None


def slugs() -> list[str]:
    """Return the catalogue's slugs, sorted."""
    return sorted(_shipped())

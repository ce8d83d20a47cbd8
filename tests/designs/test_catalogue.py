"""Tests for the design catalogue: the shipped data files and the loader's validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import designs
from designs import Design, get_design, load_catalogue, load_directory, slugs

# Found on disk independently of the loader, so a file the loader skips is noticed.
DATA_DIR = Path(__file__).resolve().parents[2] / "designs" / "data"
DATA_FILES = sorted(DATA_DIR.glob("*.toml"))

REQUIRED_SLUGS = {"face-shield-prusa-rc3", "face-shield-3dverkstan", "ear-saver", "charlotte-valve"}

# A minimal valid design, written by hand for these tests. Each broken variant below
# changes one thing, so the ValueError must come from that change.
VALID_TOML = """\
slug = "test-widget"
item = "widget"
name = "Test widget"
name_fr = "Gadget de test"
version = "1"
process = "fdm"
materials = ["PLA"]
grams_per_unit = 10
minutes_per_unit = 30.5
units_per_box = 12
source_url = "https://example.org/widget"
licence = "CC0"
notes = "Not a medical device."
notes_fr = "N'est pas un dispositif médical."

[validation]
by = "A test hospital"
on = 2020-04-01
use = "testing"

[sources]
grams_per_unit = "estimate: weighed on a kitchen scale"
minutes_per_unit = "estimate: slicer preview"
units_per_box = "estimate: one carton"
"validation.on" = "estimate: test"
"""


def _numeric_leaves(table: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Yield the dotted name of every int or float value in a parsed TOML table."""
    for key, value in table.items():
        if key == "sources" and not prefix:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _numeric_leaves(value, f"{name}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield name


def _write(directory: Path, slug: str, text: str) -> Path:
    path = directory / f"{slug}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_data_directory_has_files() -> None:
    """The shipped data directory exists and holds at least ten design files."""
    assert DATA_DIR.is_dir()
    assert len(DATA_FILES) >= 10


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_every_data_file_loads_under_its_slug(path: Path) -> None:
    """Each file on disk is in the catalogue under its file name."""
    design = load_catalogue()[path.stem]
    assert design.slug == path.stem


def test_catalogue_keys_match_files_on_disk() -> None:
    """The catalogue holds exactly the files on disk, nothing more or less."""
    assert set(load_catalogue()) == {p.stem for p in DATA_FILES}
    assert slugs() == sorted(p.stem for p in DATA_FILES)


def test_required_slugs_present() -> None:
    """The four designs the spec names are all in the catalogue."""
    assert set(slugs()) >= REQUIRED_SLUGS


def test_at_least_ten_designs() -> None:
    """The catalogue holds at least ten designs."""
    assert len(load_catalogue()) >= 10


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_every_numeric_figure_has_a_source(path: Path) -> None:
    """Every number in a data file is cited in [sources], by URL, the spec, or as an estimate."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = raw.get("sources", {})
    figures = list(_numeric_leaves(raw))
    assert {"grams_per_unit", "minutes_per_unit", "units_per_box"} <= set(figures)
    for figure in figures:
        citation = sources.get(figure, "")
        assert citation.strip(), f"{path.name}: {figure} has no source"
        assert "http" in citation or "estimate" in citation.lower() or "SPEC" in citation, (
            f"{path.name}: source of {figure} is not a URL, the spec, nor marked as an estimate"
        )
    # The validation date is a figure too.
    assert str(sources.get("validation.on", "")).strip(), f"{path.name}: validation.on unsourced"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_design_fields_are_sane(path: Path) -> None:
    """Loaded designs have positive figures, a 2020 validation, and notes in both languages."""
    design = get_design(path.stem)
    assert design.grams_per_unit > 0
    assert design.minutes_per_unit > 0
    assert design.units_per_box > 0
    assert isinstance(design.units_per_box, int)
    assert design.validation.on.year == 2020
    assert design.source_url.startswith(("http://", "https://"))
    assert design.materials
    assert design.notes and design.notes_fr and design.name_fr
    assert design.source_of("grams_per_unit")


def test_prusa_rc3_matches_public_figures() -> None:
    """Spec §2: a Prusa RC3 visor is about 45 g and one to three hours on an FDM printer."""
    rc3 = get_design("face-shield-prusa-rc3")
    assert rc3.process == "fdm"
    assert 35 <= rc3.grams_per_unit <= 55
    assert 60 <= rc3.minutes_per_unit <= 180


def test_ear_saver_matches_public_figures() -> None:
    """Spec §2: an ear saver takes about 15 to 20 minutes."""
    assert 15 <= get_design("ear-saver").minutes_per_unit <= 20


def test_regulatory_notes_on_medical_items() -> None:
    """Items worn in care say they are not certified (or are regulated) in both languages."""
    for slug in ("face-shield-prusa-rc3", "charlotte-valve", "fabric-mask-afnor"):
        notes, notes_fr = get_design(slug).notes.lower(), get_design(slug).notes_fr.lower()
        assert "certified" in notes or "not a medical device" in notes
        assert "certifi" in notes_fr or "dispositif médical" in notes_fr


def test_unknown_slug_raises_key_error_naming_it() -> None:
    """An unknown slug raises KeyError whose message names the slug."""
    with pytest.raises(KeyError, match="no-such-design"):
        get_design("no-such-design")


def test_designs_are_frozen() -> None:
    """Designs cannot be changed in place."""
    design = get_design("ear-saver")
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.grams_per_unit = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        design.sources["grams_per_unit"] = "x"  # type: ignore[index]


def test_load_catalogue_returns_independent_dicts() -> None:
    """Editing the returned dict does not change what later callers see."""
    first = load_catalogue()
    first.pop("ear-saver")
    assert "ear-saver" in load_catalogue()
    assert get_design("ear-saver").slug == "ear-saver"


def test_designs_package_is_pure() -> None:
    """Importing designs pulls in no web, database or validation framework."""
    code = (
        "import sys, designs; designs.load_catalogue(); "
        "bad = [m for m in ('hub', 'fastapi', 'sqlalchemy', 'pydantic') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == ""


def test_valid_template_loads(tmp_path: Path) -> None:
    """The hand-written template is valid, so the broken variants fail for their one change."""
    _write(tmp_path, "test-widget", VALID_TOML)
    design = load_directory(tmp_path)["test-widget"]
    assert design == Design(
        slug="test-widget",
        item="widget",
        name="Test widget",
        name_fr="Gadget de test",
        version="1",
        process="fdm",
        materials=("PLA",),
        grams_per_unit=10.0,
        minutes_per_unit=30.5,
        units_per_box=12,
        source_url="https://example.org/widget",
        licence="CC0",
        validation=designs.Validation(by="A test hospital", on=dt.date(2020, 4, 1), use="testing"),
        notes="Not a medical device.",
        notes_fr="N'est pas un dispositif médical.",
        sources={
            "grams_per_unit": "estimate: weighed on a kitchen scale",
            "minutes_per_unit": "estimate: slicer preview",
            "units_per_box": "estimate: one carton",
            "validation.on": "estimate: test",
        },
    )


def test_validation_date_accepts_iso_string(tmp_path: Path) -> None:
    """A quoted ISO date is read as a date too."""
    _write(tmp_path, "test-widget", VALID_TOML.replace("on = 2020-04-01", 'on = "2020-04-02"'))
    assert load_directory(tmp_path)["test-widget"].validation.on == dt.date(2020, 4, 2)


BROKEN = [
    pytest.param('licence = "CC0"\n', "", "licence", id="missing-licence"),
    pytest.param("grams_per_unit = 10", "grams_per_unit = -3", "grams_per_unit", id="negative"),
    pytest.param("minutes_per_unit = 30.5", "minutes_per_unit = 0", "minutes_per_unit", id="zero"),
    pytest.param("minutes_per_unit = 30.5", "minutes_per_unit = nan", "minutes_per_unit", id="nan"),
    pytest.param("units_per_box = 12", 'units_per_box = "12"', "units_per_box", id="string-number"),
    pytest.param(
        "units_per_box = 12", "units_per_box = 12.5", "units_per_box", id="fractional-box"
    ),
    pytest.param("units_per_box = 12", "units_per_box = true", "units_per_box", id="bool-box"),
    pytest.param('slug = "test-widget"', 'slug = "other-widget"', "slug", id="slug-not-file-name"),
    pytest.param('process = "fdm"', 'process = "fmd"', "process", id="unknown-process"),
    pytest.param('materials = ["PLA"]', "materials = []", "materials", id="no-materials"),
    pytest.param("on = 2020-04-01", 'on = "April 2020"', "validation.on", id="bad-date"),
    pytest.param('by = "A test hospital"\n', "", "validation.by", id="missing-validator"),
    pytest.param(
        'minutes_per_unit = "estimate: slicer preview"\n',
        "",
        "sources.minutes_per_unit",
        id="unsourced-figure",
    ),
    pytest.param("https://example.org/widget", "example.org/widget", "source_url", id="bad-url"),
    pytest.param('notes_fr = "N', 'note_fr = "N', "note_fr", id="unknown-field"),
]


@pytest.mark.parametrize(("old", "new", "field"), BROKEN)
def test_broken_file_raises_value_error_naming_file_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    """Each broken variant raises ValueError naming the file and the offending field."""
    assert old in VALID_TOML, "test setup: the text to break must be in the template"
    _write(tmp_path, "test-widget", VALID_TOML.replace(old, new, 1))
    with pytest.raises(ValueError) as info:
        load_directory(tmp_path)
    message = str(info.value)
    assert "test-widget.toml" in message
    assert f"'{field}'" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    """A file that is not TOML at all raises ValueError naming the file."""
    _write(tmp_path, "test-widget", "slug = \n")
    with pytest.raises(ValueError, match=r"test-widget\.toml"):
        load_directory(tmp_path)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    """A directory with no data files is refused rather than giving an empty catalogue."""
    with pytest.raises(ValueError, match="no design data files"):
        load_directory(tmp_path)

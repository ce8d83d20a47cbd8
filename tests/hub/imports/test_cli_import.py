"""``hub import`` and ``hub export`` on the files coordinators really have (issue 16), run as
real subprocesses against a SQLite file.

Each input is shaped after a public bug report of another system: Excel on Windows saving
"CSV" in Windows-1252, French Excel's "CSV UTF-8" with ``;`` and decimal commas, an unquoted
comma in an address, a quantity written ``1.000``.
"""

import csv
import io
import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from support.server import HUB
from support.sheets import write_ods

from hub.timeutil import today

SOON = today() + timedelta(days=10)

#: The same hospitals, as a coordinator's sheet has them: accents, an address with a comma.
HEADER = ["nom", "type", "adresse", "latitude", "longitude", "téléphone"]
HOSPITALS = [
    ["Hôpital Nord", "hôpital", "Chemin des Bourrely, 13015 Marseille", "43.3806", "5.3628",
     "04 91 96 80 00"],
    ["Clinique Sainte-Thérèse", "clinique", "Rue de l'Église, 38000 Grenoble", "45.1885",
     "5.7245", ""],
    ["Ehpad Les Œillets", "Ehpad", "Place de la Mairie, 29200 Brest", "48.3904", "-4.4861", ""],
]  # fmt: skip


def hub_cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hub ARGS`` on a SQLite file, in English unless ``--lang fr`` is given."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "LANG", "LC_"))},
        "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "COLUMNS": "250",
    }
    return subprocess.run([*HUB, *args], capture_output=True, text=True, env=env, timeout=180)


def export_rows(db: Path, kind: str) -> list[dict[str, str]]:
    """Rows of ``hub export KIND`` (plain CSV)."""
    r = hub_cli(db, "export", kind)
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def write_csv(path: Path, rows: list[list[str]], *, sep: str, encoding: str) -> Path:
    """A CSV file as a spreadsheet saves it (CRLF line ends, cells quoted when needed)."""
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh SQLite database."""
    return tmp_path / "cli.sqlite"


def test_windows_1252_hospitals_file_imports_with_its_accents(db: Path, tmp_path: Path) -> None:
    """Excel on Windows saves "CSV" in Windows-1252: it used to die on UnicodeDecodeError."""
    path = write_csv(tmp_path / "h.csv", [HEADER, *HOSPITALS], sep=",", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8
    r = hub_cli(db, "import", "hospitals", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = export_rows(db, "hospitals")
    assert [(x["name"], x["kind"]) for x in rows] == [
        ("Hôpital Nord", "hospital"),
        ("Clinique Sainte-Thérèse", "clinic"),
        ("Ehpad Les Œillets", "nursing_home"),
    ]
    assert rows[0]["address"] == "Chemin des Bourrely, 13015 Marseille"
    assert rows[0]["departement"] == "13" and rows[2]["lon"] == "-4.4861"


def test_french_excel_csv_utf8_with_semicolons_and_decimal_commas(db: Path, tmp_path: Path) -> None:
    """French Excel's "CSV UTF-8": a byte-order mark, ``;`` and decimal commas (it used to fail
    with AttributeError: 'NoneType' object has no attribute 'strip')."""
    french = [[c.replace(".", ",") if c[:1].isdigit() or c[:1] == "-" else c for c in row]
              for row in HOSPITALS]  # fmt: skip
    path = write_csv(tmp_path / "h.csv", [HEADER, *french], sep=";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and b"43,3806" in path.read_bytes()
    r = hub_cli(db, "import", "hospitals", str(path), "--lang", "fr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 créés" in r.stdout, r.stdout
    rows = export_rows(db, "hospitals")
    assert [(x["name"], x["lat"], x["lon"]) for x in rows] == [
        ("Hôpital Nord", "43.3806", "5.3628"),
        ("Clinique Sainte-Thérèse", "45.1885", "5.7245"),
        ("Ehpad Les Œillets", "48.3904", "-4.4861"),
    ]
    assert rows[0]["contact_phone"] == "04 91 96 80 00"


def test_unquoted_comma_rejects_its_row_only_and_a_rerun_never_duplicates(
    db: Path, tmp_path: Path
) -> None:
    """One row with an unquoted comma in its address: the others go in, the bad one is listed
    with its line; the corrected file, imported again, adds it without duplicating the rest."""
    good = ["name,kind,address,lat,lon", "CHU A,hospital,1 rue A 38000 Grenoble,45.19,5.72"]
    broken = "CHU B,hospital,2 rue B, 38000 Grenoble,45.18,5.73"
    last = "CHU C,hospital,3 rue C 38000 Grenoble,45.17,5.71"
    path = tmp_path / "h.csv"
    path.write_text("\n".join([*good, broken, last]) + "\n")
    r = hub_cli(db, "import", "hospitals", str(path))
    assert r.returncode == 1  # a row was rejected
    assert "3 rows; 2 created, 0 updated, 0 unchanged, 1 rejected" in r.stdout
    assert "│ 3 " in r.stdout and "more cells than the heading row" in r.stdout, r.stdout
    assert [x["name"] for x in export_rows(db, "hospitals")] == ["CHU A", "CHU C"]
    path.write_text("\n".join([*good, broken.replace("2 rue B,", '"2 rue B,') + '"', last]))
    path.write_text(
        "\n".join([*good, 'CHU B,hospital,"2 rue B, 38000 Grenoble",45.18,5.73', last]) + "\n"
    )
    again = hub_cli(db, "import", "hospitals", str(path))
    assert again.returncode == 0, again.stdout
    assert "1 created, 0 updated, 2 unchanged, 0 rejected" in again.stdout
    assert [x["name"] for x in export_rows(db, "hospitals")] == ["CHU A", "CHU C", "CHU B"]


def test_quantity_one_thousand_french_style_is_refused_not_read_as_one(
    db: Path, tmp_path: Path
) -> None:
    """``1.000`` is a thousand to a French writer and one to an English one: refused, with its
    line, column and reason; ``1 000`` is a thousand to both."""
    hospitals = tmp_path / "h.csv"
    hospitals.write_text("name,kind,address,lat,lon\nCHU Brest,hospital,Brest,48.39,-4.49\n")
    assert hub_cli(db, "import", "hospitals", str(hospitals)).returncode == 0
    needs = tmp_path / "n.csv"
    needs.write_text(
        "hôpital;modèle;quantité;date limite\n"
        f"CHU Brest;ear-saver;1.000;{SOON:%d/%m/%Y}\n"
        f"CHU Brest;face-shield-prusa-rc3;1 000;{SOON:%d/%m/%Y}\n"
        f"CHU Brest;face-shield-3dverkstan;250;{SOON.isoformat()}\n",
        encoding="utf-8",
    )
    r = hub_cli(db, "import", "needs", str(needs), "--lang", "fr")
    assert r.returncode == 1
    assert "│ 2 " in r.stdout and "quantité" in r.stdout and "ambigu" in r.stdout, r.stdout
    rows = export_rows(db, "needs")
    assert [(x["design"], x["quantity"]) for x in rows] == [
        ("face-shield-prusa-rc3", "1000"),
        ("face-shield-3dverkstan", "250"),
    ]
    assert rows[0]["needed_by"] == SOON.isoformat()


def test_dry_run_and_all_or_nothing_change_nothing(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        "name,kind,address,lat,lon\nCHU A,hospital,Grenoble,45.19,5.72\n"
        "CHU B,castle,Grenoble,45.18,5.73\n"
    )
    dry = hub_cli(db, "import", "hospitals", str(path), "--dry-run")
    assert "Dry run: nothing was changed." in dry.stdout
    assert "2 rows; 1 created, 0 updated, 0 unchanged, 1 rejected" in dry.stdout
    assert "castle is not one of" in dry.stdout
    whole = hub_cli(db, "import", "hospitals", str(path), "--all-or-nothing")
    assert whole.returncode == 1
    assert "nothing was changed (all or nothing)" in whole.stdout
    assert export_rows(db, "hospitals") == []
    applied = hub_cli(db, "import", "hospitals", str(path))
    assert applied.returncode == 1 and "The changes are saved." in applied.stdout
    assert [x["name"] for x in export_rows(db, "hospitals")] == ["CHU A"]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a spreadsheet"),
        ("letter.xlsx", b"PK\x03\x04 not really a zip", "not a spreadsheet"),
        ("empty.csv", b"\r\n\r\n", "empty"),
        ("cols.csv", b"nom;ville\r\nCHU;Brest\r\n", "has no column"),
    ],
)
def test_a_file_refused_as_a_whole_changes_nothing(
    db: Path, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    r = hub_cli(db, "import", "hospitals", str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert says in r.stderr.replace("\n", " "), r.stderr
    assert export_rows(db, "hospitals") == []


def test_too_large_a_file_is_refused_at_once(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.write(b"name,kind,address,lat,lon\n")
        handle.truncate(20_000_001)
    r = hub_cli(db, "import", "hospitals", str(path))
    assert r.returncode == 2 and "the limit is 20,000,000 bytes" in r.stderr.replace("\n", " ")


def test_xlsx_and_ods_workbooks(db: Path, tmp_path: Path) -> None:
    """Workbooks keep their types: real numbers and dates; a phone stored as a number has lost
    its leading zero, which is said rather than stored wrong."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Nom", "Type", "Adresse", "Latitude", "Longitude", "Téléphone"])
    ws.append(["CHU Grenoble Alpes", "hospital", "Bd de la Chantourne", 45.2006, 5.7474, "04 76"])
    ws.append(["CH Voiron", "hospital", "Voiron", 45.37, 5.59, 476000000])
    wb.save(tmp_path / "h.xlsx")
    r = hub_cli(db, "import", "hospitals", str(tmp_path / "h.xlsx"))
    assert r.returncode == 1
    assert "2 rows; 1 created" in r.stdout and "leading 0" in r.stdout, r.stdout
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["hospital", "design", "quantity", "needed_by"])
    ws.append(["CHU Grenoble Alpes", "ear-saver", 300, SOON])
    ws.append(["CHU Grenoble Alpes", "face-shield-prusa-rc3", 12.5, SOON])
    wb.save(tmp_path / "n.xlsx")
    r = hub_cli(db, "import", "needs", str(tmp_path / "n.xlsx"))
    assert r.returncode == 1 and "12.5 is not a whole number" in r.stdout, r.stdout
    assert [(x["quantity"], x["needed_by"]) for x in export_rows(db, "needs")] == [
        ("300", SOON.isoformat())
    ]
    ods = write_ods(
        tmp_path / "labs.ods",
        [
            ["Nom", "Adresse", "Latitude", "Longitude", "Équipement"],
            ["Fablab des Alpes", "Grenoble", 45.19, 5.72, "fdm, laser"],
            ["Atelier Brest", "Brest", 48.39, -4.49, ""],
        ],
    )
    r = hub_cli(db, "import", "labs", str(ods))
    assert r.returncode == 0, r.stdout + r.stderr
    assert [x["name"] for x in export_rows(db, "labs")] == ["Fablab des Alpes", "Atelier Brest"]


def test_export_formats_from_the_command_line(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        'name,kind,address,lat,lon\n"=HYPERLINK(""http://x"",""Voir"")",clinic,Lyon,45.76,4.83\n'
    )
    assert hub_cli(db, "import", "hospitals", str(path)).returncode == 0
    fr = hub_cli(db, "export", "hospitals", "--dialect", "excel-fr", "--lang", "fr", "--hxl")
    lines = fr.stdout.splitlines()
    assert lines[0].startswith('\ufeff"id";"id externe";"nom";"type"'), lines[0]
    assert lines[1].startswith('"#meta+id";"#meta+ref";"#loc+name"'), lines[1]
    assert "\"'=HYPERLINK(" in lines[2] and '"45,76";"4,83"' in lines[2], lines[2]
    geo = json.loads(hub_cli(db, "export", "hospitals", "--format", "geojson").stdout)
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [4.83, 45.76]}
    out = tmp_path / "h.xlsx"
    assert (
        hub_cli(db, "export", "hospitals", "--format", "xlsx", "--output", str(out)).returncode == 0
    )
    sheet = openpyxl.load_workbook(out).active
    assert sheet["C2"].value == '=HYPERLINK("http://x","Voir")'
    assert sheet["C2"].data_type == "s"  # text, never a formula


def test_unknown_kind_or_format_is_refused(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("name,address,lat,lon\nA,B,45.1,5.7\n")
    r = hub_cli(db, "import", "unicorns", str(path))
    assert r.returncode == 2 and "not 'unicorns'" in r.stderr
    assert hub_cli(db, "export", "needs", "--format", "pdf").returncode == 2
    assert hub_cli(db, "export", "needs", "--dialect", "excel-de").returncode == 2


def test_control_characters_pasted_into_cells_are_removed(db: Path, tmp_path: Path) -> None:
    """A name pasted from another program carries an invisible control character (``\\x13``):
    a file's cells are cleaned at the door (issue 16), where the API refuses such text with a
    422 that names it, since an API client can fix its request and a sheet's author cannot
    see the character. (A NUL byte is another matter: it makes the file binary, refused whole.)"""
    dirty = [["Hôpital\x13 Nord", *HOSPITALS[0][1:]], ["Clinique\x1b Sainte-Thérèse\x7f",
             *HOSPITALS[1][1:]]]  # fmt: skip
    path = write_csv(tmp_path / "h.csv", [HEADER, *dirty], sep=",", encoding="utf-8")
    r = hub_cli(db, "import", "hospitals", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    names = [x["name"] for x in export_rows(db, "hospitals")]
    assert names == ["Hôpital Nord", "Clinique Sainte-Thérèse"]

"""Read the files people have into a :class:`Table`: CSV in any of the encodings and separators
spreadsheets save, XLSX, XLS and ODS.

- CSV: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"),
  else the encoding ``charset-normalizer`` finds among those French spreadsheets are saved in
  (Windows-1252 from Excel on Windows, Mac Roman, DOS code page 850). The separator (``,``,
  ``;`` or tab) is the one that splits the first lines into the same number of cells.
- XLSX, XLS and ODS: the first worksheet, read by ``python-calamine``; cells keep their types
  (numbers, dates).

A file that is none of these, too large, or without a heading row is refused as a whole with
:class:`hub.errors.Invalid`, before anything is changed.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from charset_normalizer import from_bytes

from hub.errors import Invalid
from hub.i18n import N_, _

#: A cell as read: text from a CSV file, typed values from a workbook.
Cell = str | int | float | bool | date | datetime | time | timedelta | None

#: Limits (issue 16): larger files are refused at once.
MAX_BYTES = 20_000_000
MAX_ROWS = 100_000
#: A workbook's parts, unpacked: far above any real sheet of 100,000 rows, far below a zip bomb.
MAX_UNPACKED_BYTES = 400_000_000
#: Encodings tried when a file is not UTF-8, in the order spreadsheets in France save them.
LEGACY_ENCODINGS = ["cp1252", "mac_roman", "cp850"]
SEPARATORS = (";", ",", "\t")


@dataclass
class Table:
    """A sheet's heading row and its data rows, each with the line it starts on in the file."""

    header: list[str]
    rows: list[tuple[int, list[Cell]]]
    format: str
    encoding: str | None = None
    separator: str | None = None
    #: Line numbers of rows with more cells than headings (a separator inside an unquoted cell).
    overfull: set[int] = field(default_factory=set)


def _not_a_sheet() -> Invalid:
    return Invalid(
        _(
            "This file is not a spreadsheet: send a CSV file (UTF-8 or Windows-1252), "
            "an Excel workbook (.xlsx, .xls) or an OpenDocument one (.ods)."
        )
    )


def _too_many_rows() -> Invalid:
    return Invalid(
        N_(
            "This file has more than {limit} row; split it into smaller files.",
            "This file has more than {limit} rows; split it into smaller files.",
            "limit",
        ),
        limit=MAX_ROWS,
    )


def too_large(size: int) -> Invalid:
    """The refusal of a file over :data:`MAX_BYTES`."""
    return Invalid(
        _("This file is {size} bytes; the limit is {limit} bytes. Split it into smaller files."),
        size=size,
        limit=MAX_BYTES,
    )


def read_table(data: bytes) -> Table:
    """Read a CSV, XLSX, XLS or ODS file; raise :class:`Invalid` for anything else."""
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if not data.strip():
        raise Invalid(_("This file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return _read_workbook(data, _zip_kind(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_workbook(data, "xls")
    return _read_csv(_decode(data))


def _zip_kind(data: bytes) -> str:
    """``xlsx`` or ``ods`` for a zip file that is one (a .docx or a plain zip is refused)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                raise _not_a_sheet()
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype"):
                return "ods"
    except zipfile.BadZipFile as exc:
        raise _not_a_sheet() from exc
    raise _not_a_sheet()


def _read_workbook(data: bytes, kind: str) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [s for s in workbook.sheets_metadata if str(s.visible).endswith("Visible")]
        name = sheets[0].name if sheets else workbook.sheet_names[0]
        cells = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own errors for any damaged file
        raise _not_a_sheet() from exc
    rows: list[tuple[int, list[Cell]]] = [
        (number, list(row)) for number, row in enumerate(cells, start=1)
    ]
    return _table(rows, kind)


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _not_a_sheet() from exc
    if b"\x00" in data:
        raise _not_a_sheet()
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(data, cp_isolation=LEGACY_ENCODINGS))
    best = min(matches, key=lambda m: m.chaos) if matches else None
    # On a few lines of French the detector's coherence scores barely differ ("Hôpital" read as
    # DOS "H¶pital" can score higher): Windows-1252, what Excel on Windows saves, wins unless
    # it reads as noticeably more chaotic (mess detection) than the best reading.
    windows = next((m for m in matches if m.encoding == "cp1252"), None)
    if windows is not None and best is not None and windows.chaos <= best.chaos + 0.05:
        best = windows
    if best is None:
        raise Invalid(
            _(
                "The characters of this file are in an encoding the hub cannot tell; save it "
                "as \u201cCSV UTF-8\u201d and send it again."
            )
        )
    return str(best), best.encoding


def _separator(text: str) -> str:
    """The separator that splits the first lines into the same number of cells, most of them."""
    sample = text[:65536].splitlines()[:50]
    best, best_score = ",", (-1.0, 0)
    for sep in SEPARATORS:
        rows = [r for r in csv.reader(sample, delimiter=sep) if any(c.strip() for c in r)]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        same = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (same, width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_csv(decoded: tuple[str, str]) -> Table:
    text, encoding = decoded
    if sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n") > 8:
        raise _not_a_sheet()
    sep = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False)
    rows: list[tuple[int, list[Cell]]] = []
    start = 1
    try:
        for record in reader:
            rows.append((start, list(record)))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS + 2:
                raise _too_many_rows()
    except csv.Error as exc:
        raise _not_a_sheet() from exc
    return _table(rows, "csv", encoding=encoding, separator=sep)


def _blank(cells: list[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(
    rows: list[tuple[int, list[Cell]]],
    kind: str,
    *,
    encoding: str | None = None,
    separator: str | None = None,
) -> Table:
    """Split rows into the heading row (the first that is not blank) and the data rows."""
    filled = [(n, cells) for n, cells in rows if not _blank(cells)]
    if not filled:
        raise Invalid(_("This file has no heading row: its first line names the columns."))
    header_cells = filled[0][1]
    header = [str(c).strip() if c is not None else "" for c in header_cells]
    while header and not header[-1]:
        header.pop()
    body = filled[1:]
    if len(body) > MAX_ROWS:
        raise _too_many_rows()
    overfull: set[int] = set()
    data: list[tuple[int, list[Cell]]] = []
    for number, cells in body:
        extra = cells[len(header) :]
        if any(c is not None and str(c).strip() for c in extra):
            overfull.add(number)
        data.append((number, cells[: len(header)]))
    return Table(header, data, kind, encoding, separator, overfull)

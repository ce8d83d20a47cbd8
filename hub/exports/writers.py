"""Sheets written as files that open where they are read: CSV for French or English Excel, XLSX,
GeoJSON (RFC 7946), with an optional HXL hashtag row.

Every text goes through :func:`hub.printable.printable` (no control character reaches a file)
and, in CSV, a cell a spreadsheet would run as a formula is neutralised as OWASP advises
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, and every cell is quoted.
Numbers are written as numbers, so a negative longitude stays a number. The importer
(``hub.imports``) removes that apostrophe again, so an exported file imports as it was.
"""

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from hub.exports.columns import Column
from hub.exports.service import Sheet
from hub.i18n import Lang, render
from hub.printable import printable

Format = Literal["csv", "xlsx", "geojson"]
#: ``excel-fr``: what French Excel opens by a double click (UTF-8 with a byte-order mark, ``;``
#: between cells, decimal commas); ``excel``: the same for English Excel (``,``, decimal
#: points); ``plain``: RFC 4180 for programs (no byte-order mark, ``,``, column keys as headings).
Dialect = Literal["excel-fr", "excel", "plain"]
DIALECTS: tuple[Dialect, ...] = ("excel-fr", "excel", "plain")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
#: What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def default_dialect(lang: Lang) -> Dialect:
    """The CSV dialect a reader of ``lang`` most likely opens files with."""
    return "excel-fr" if lang == "fr" else "excel"


def neutralise(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula (OWASP: a leading apostrophe)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(printable(str(v), newlines=False) for v in value)
    return printable(str(value))


def _csv_cell(value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr: the shortest text that reads back as the same float.
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(_text(value))


def headings(columns: Iterable[Column], lang: Lang, *, keys: bool = False) -> list[str]:
    """Column headings in ``lang`` (or the keys, for programs)."""
    return [c.key if keys else render(c.label, {}, lang) for c in columns]


def to_csv(sheet: Sheet, *, dialect: Dialect, lang: Lang, hxl: bool = False) -> bytes:
    """The sheet as CSV in ``dialect``, with an HXL hashtag row under the headings if asked."""
    out = io.StringIO()
    french = dialect == "excel-fr"
    writer = csv.writer(
        out,
        delimiter=";" if french else ",",
        # OWASP: quote every field, so a cell's own separators never split it.
        quoting=csv.QUOTE_ALL if dialect != "plain" else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writerow(headings(sheet.columns, lang, keys=dialect == "plain"))
    if hxl:
        writer.writerow([c.hxl for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_cell(row.get(c.key), french) for c in sheet.columns])
    text = out.getvalue()
    return ((BOM if dialect != "plain" else "") + text).encode("utf-8")


def _xlsx_cell(ws: Worksheet, value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(ws, value=_text(value))
    # A text is stored as text, never as a formula, even when it starts with "=".
    cell.data_type = "s"
    return cell


def to_xlsx(sheet: Sheet, *, lang: Lang, hxl: bool = False) -> bytes:
    """The sheet as an XLSX workbook of one worksheet, typed cells, headings in bold."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet.kind)
    ws.freeze_panes = "A3" if hxl else "A2"
    bold = Font(bold=True)
    header = []
    for text in headings(sheet.columns, lang):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        cell.data_type = "s"
        header.append(cell)
    ws.append(header)
    if hxl:
        ws.append([_xlsx_cell(ws, c.hxl) for c in sheet.columns])
    for row in sheet.rows:
        ws.append([_xlsx_cell(ws, row.get(c.key)) for c in sheet.columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def to_geojson(sheet: Sheet) -> bytes:
    """The sheet as an RFC 7946 FeatureCollection: a point ([lon, lat], WGS84) per row."""
    features = []
    for row in sheet.rows:
        lat, lon = row.get("lat"), row.get("lon")
        geometry = (
            None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
        )
        properties = {
            c.key: _json_value(row.get(c.key)) for c in sheet.columns if c.key not in ("lat", "lon")
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    body = {"type": "FeatureCollection", "features": features}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def render_sheet(
    sheet: Sheet, fmt: Format, *, lang: Lang, dialect: Dialect | None = None, hxl: bool = False
) -> bytes:
    """The sheet as a file in ``fmt`` (CSV in ``dialect``, by default the reader's)."""
    if fmt == "csv":
        return to_csv(sheet, dialect=dialect or default_dialect(lang), lang=lang, hxl=hxl)
    if fmt == "xlsx":
        return to_xlsx(sheet, lang=lang, hxl=hxl)
    return to_geojson(sheet)

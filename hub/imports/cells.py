"""Read one cell the way its writer meant it, or say why not: numbers with decimal commas or
points, dates in ISO, French or Excel form, codes in French or English words.

Nothing is guessed. A cell that reads two valid ways for its column is refused: ``1.000`` or
``1,000`` in a quantity is one thousand to a French reader and one to an English one (and
``1.500`` is 1,500 or a mistyped 1.5). A reading outside the column's range does not count:
``5.724`` as a longitude can only be five point seven, since 5,724 degrees is no longitude.
Spaces between groups of three digits (``1 000``, as French writes it) are one thousand to
everybody.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.i18n import Message, _, codes
from hub.imports.reading import Cell
from hub.printable import printable

#: Excel's day zero (its serial dates count days from 1899-12-30, after its 1900 leap-year bug).
EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers read as dates: 2000-01-01 to 2099-12-31.
EXCEL_SERIALS = (36526, 73415)
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_DOTTED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_COMMAED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")


class CellError(Exception):
    """Why a cell cannot be read, as a catalogue message with its values."""

    def __init__(self, message: Message, params: dict[str, Any] | None = None) -> None:
        super().__init__(message.text)
        self.message = message
        self.params = params or {}


def fold(text: str) -> str:
    """``text`` compared loosely: lower case, no accents, words split by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z#]+", " ", bare).split())


def is_blank(cell: Cell) -> bool:
    """Tell whether a cell holds nothing."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def text(cell: Cell) -> str:
    """A text cell on one line, trimmed, without control characters; a leading apostrophe
    before a formula sign, which the hub's exports add (OWASP), is taken off again.

    Control characters pasted from other programs are removed, not refused: the sheet's
    author cannot see them (the API, whose clients can, refuses them with a 422).
    """
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = cell.isoformat() if isinstance(cell, date) else str(cell)
    value = printable(value, newlines=False).strip()
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]
    return value


def _readings(raw: str) -> set[Decimal]:
    """Every number ``raw`` can mean to a French or an English reader."""
    value = raw.strip().replace("\u2212", "-")
    if _GROUPED.match(value):
        return {Decimal(re.sub(r"[ \u00a0\u202f]", "", value).replace(",", "."))}
    if _PLAIN.match(value):
        readings = {Decimal(value.replace(",", "."))}
        # One separator followed by exactly three digits: a decimal to one reader, a
        # thousands separator to the other.
        if re.match(r"^[+-]?\d{1,3}[.,]\d{3}$", value):
            readings.add(Decimal(re.sub(r"[.,]", "", value)))
        return readings
    if _DOTTED.match(value):  # 1.000.000 or 1.234,5: French grouping
        return {Decimal(value.replace(".", "").replace(",", "."))}
    if _COMMAED.match(value):  # 1,000,000 or 1,234.5: English grouping
        return {Decimal(value.replace(",", ""))}
    return set()


def number(cell: Cell, *, low: float, high: float, whole: bool) -> Decimal:
    """A number within [``low``, ``high``] (whole if ``whole``); :class:`CellError` otherwise."""
    if isinstance(cell, bool):
        raise CellError(_("{value} is not a number"), {"value": str(cell)})
    if isinstance(cell, int | float):
        readings = {Decimal(repr(cell)) if isinstance(cell, float) else Decimal(cell)}
        raw = str(cell)
    elif isinstance(cell, str):
        raw = cell.strip()
        try:
            readings = _readings(raw)
        except InvalidOperation:
            readings = set()
    else:
        raise CellError(_("{value} is not a number"), {"value": str(cell)})
    if not readings:
        raise CellError(_("{value} is not a number"), {"value": raw})
    # Every reading within the column's range counts, even a fraction in a column of whole
    # numbers: "1.500" may be a mistyped 1.5 as much as 1,500, so it is refused, not guessed.
    fitting = {r for r in readings if low <= r <= high}
    if len(fitting) > 1:
        low_value, high_value = sorted(fitting)
        raise CellError(
            _(
                "{value} is ambiguous: {one} or {other}? Write the number without a "
                "thousands separator, e.g. {example}"
            ),
            {
                "value": raw,
                "one": _plain(low_value),
                "other": _plain(high_value),
                "example": _plain(high_value),
            },
        )
    if fitting:
        value = fitting.pop()
        if whole and value != value.to_integral():
            raise CellError(_("{value} is not a whole number"), {"value": raw})
        return value
    if whole and all(r != r.to_integral() for r in readings):
        raise CellError(_("{value} is not a whole number"), {"value": raw})
    raise CellError(
        _("{value} is out of range ({low} to {high})"),
        {"value": raw, "low": _plain(Decimal(str(low))), "high": _plain(Decimal(str(high)))},
    )


def _plain(value: Decimal) -> str:
    """A number as digits only (no grouping), the way the reason asks to write it."""
    text_ = format(value.normalize(), "f")
    return text_


def integer(cell: Cell, *, low: int = 0, high: int = 1_000_000) -> int:
    """A whole number within [``low``, ``high``]."""
    return int(number(cell, low=low, high=high, whole=True))


def decimal(cell: Cell, *, low: float, high: float) -> float:
    """A number within [``low``, ``high``]."""
    return float(number(cell, low=low, high=high, whole=False))


def day(cell: Cell) -> date:
    """A date: a workbook date, ``2026-12-07``, ``07/12/2026`` (day first) or an Excel serial."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _serial(float(cell), str(cell))
    raw = str(cell).strip()
    try:
        if m := _ISO_DATE.match(raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _FRENCH_DATE.match(raw):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as exc:
        raise CellError(_("{value} is not a date"), {"value": raw}) from exc
    if re.fullmatch(r"\d{5}(?:[.,]0+)?", raw):
        return _serial(float(raw.replace(",", ".")), raw)
    raise CellError(
        _("{value} is not a date: write 2026-12-07 or 07/12/2026 (day first)"), {"value": raw}
    )


def _serial(value: float, raw: str) -> date:
    if not value.is_integer() or not EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
        raise CellError(_("{value} is not a date"), {"value": raw})
    return EXCEL_EPOCH + timedelta(days=int(value))


def items(cell: Cell) -> list[str]:
    """A list written in one cell, split at commas, semicolons or line breaks."""
    return [part.strip() for part in re.split(r"[;,\n]", text(cell)) if part.strip()]


def code(cell: Cell, choices: dict[str, str], shown: Iterable[str]) -> str:
    """The code a cell names, by its code or by a word for it (``choices``: folded word → code)."""
    raw = text(cell)
    found = choices.get(fold(raw))
    if found is None:
        raise CellError(
            _("{value} is not one of: {expected}"), {"value": raw, "expected": codes(shown)}
        )
    return found


Reader = Callable[[Cell], Any]

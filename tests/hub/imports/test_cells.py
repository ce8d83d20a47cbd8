"""Reading files and cells: encodings, separators, numbers and dates, never guessed (issue 16)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import Invalid
from hub.imports import cells
from hub.imports.cells import CellError
from hub.imports.reading import read_table
from hub.imports.rows import layout

SHEET = "nom;adresse;lat;lon\nHôpital Nord;Marseille;43,38;5,36\n"


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("cp1252", b"", "cp1252"),
        ("utf-16", b"", "utf-16"),  # Excel's "Unicode text" (with its byte-order mark)
    ],
)
def test_encodings_are_detected(encoding: str, prefix: bytes, expected: str) -> None:
    table = read_table(prefix + SHEET.encode(encoding))
    assert table.encoding == expected
    assert table.rows[0][1][0] == "Hôpital Nord"


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_separators_are_sniffed(sep: str) -> None:
    rows = [["name", "address", "lat", "lon"], ["CHU", "1, rue A", "45.1", "5.7"]]
    text = "\n".join(sep.join(f'"{c}"' if sep in c or "," in c else c for c in r) for r in rows)
    table = read_table(text.encode())
    assert table.separator == sep
    assert table.rows[0][1] == ["CHU", "1, rue A", "45.1", "5.7"]


def test_an_hxl_hashtag_row_is_read_and_skipped() -> None:
    table = read_table(b"Etab.,Adr.,Y,X\n#loc+name,#loc+address,#geo+lat,#geo+lon\nA,B,45,5\n")
    plan = layout("hospitals", table)
    assert plan.hxl_row
    assert plan.index == {"name": 0, "address": 1, "lat": 2, "lon": 3}


def test_missing_columns_are_named() -> None:
    with pytest.raises(Invalid) as caught:
        layout("needs", read_table(b"design,quantity\near-saver,10\n"))
    message = caught.value.message("fr")
    assert "hôpital" in message and "date limite" in message, message


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1000", 1000),
        ("1 000", 1000),
        ("1\u202f000", 1000),  # a narrow no-break space, as French typography groups digits
        ("1.000.000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("10.0", 10),
        ("12,00", 12),
        (300.0, 300),
    ],
)
def test_whole_numbers(raw: str | float, value: int) -> None:
    assert cells.integer(raw) == value


@pytest.mark.parametrize("raw", ["1.000", "1,000", "10.000", "999,999"])
def test_ambiguous_whole_numbers_are_refused(raw: str) -> None:
    with pytest.raises(CellError) as caught:
        cells.integer(raw)
    assert caught.value.message.text.startswith("{value} is ambiguous")


@pytest.mark.parametrize(
    ("raw", "low", "high", "value"),
    [
        ("5.724", -180, 180, 5.724),  # 5,724 degrees is no longitude: only one reading fits
        ("-4,486", -180, 180, -4.486),
        ("45,1885", -90, 90, 45.1885),
        ("\u22124.49", -180, 180, -4.49),  # a typographic minus
    ],
)
def test_decimal_commas_and_points(raw: str, low: float, high: float, value: float) -> None:
    assert cells.decimal(raw, low=low, high=high) == value


@pytest.mark.parametrize("raw", ["1.5", "abc", "12 34", "1.2.3", "--4"])
def test_not_whole_or_not_numbers(raw: str) -> None:
    with pytest.raises(CellError):
        cells.integer(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2026-12-07", date(2026, 12, 7)),
        ("07/12/2026", date(2026, 12, 7)),  # day first, as in France
        ("7.12.2026", date(2026, 12, 7)),
        ("46363", date(2026, 12, 7)),  # an Excel serial date
        (46363.0, date(2026, 12, 7)),
        (date(2026, 12, 7), date(2026, 12, 7)),
    ],
)
def test_dates(raw: object, value: date) -> None:
    assert cells.day(raw) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["12/25/2026", "31/02/2026", "demain", "26-12-07", "123"])
def test_not_dates(raw: str) -> None:
    with pytest.raises(CellError):
        cells.day(raw)


def _written(n: int, style: str) -> str:
    """``n`` as one kind of writer writes it."""
    if style == "plain":
        return str(n)
    if style == "french":
        return f"{n:,}".replace(",", "\u00a0")
    if style == "french-dots":
        return f"{n:,}".replace(",", ".")
    return f"{n:,}"


@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.sampled_from(["plain", "french", "french-dots", "english"]),
)
def test_a_count_is_read_right_or_refused_never_misread(n: int, style: str) -> None:
    """Whoever wrote a count, and however, it is read as that count or refused: never another."""
    text = _written(n, style)
    try:
        assert cells.integer(text, low=1) == n
    except CellError as exc:
        # Refused only when another reading is valid too: a separator then three digits.
        assert exc.message.text.startswith("{value} is ambiguous"), text
        assert Decimal(text.replace(",", ".").replace("\u00a0", "")) != n or n >= 1000


@given(st.decimals(min_value=-180, max_value=180, places=4, allow_nan=False))
def test_a_longitude_is_read_right_in_either_decimal_style(value: Decimal) -> None:
    english = format(value, "f")
    french = english.replace(".", ",")
    for text in (english, french):
        assert cells.decimal(text, low=-180, high=180) == pytest.approx(float(value))

"""Constrained field types shared by request bodies, so limits read the same everywhere."""

from typing import Annotated

from pydantic import Field

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[45.1885])]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[5.7245])]
# A million units is far beyond any 2020 request; larger numbers are typos or attacks.
# Strict: a JSON number only. In lax mode pydantic reads the string "10.000" as 10, while a
# French reader wrote ten thousand; a count is never guessed from text (hub/imports reads
# spreadsheet cells itself and refuses what is ambiguous).
Quantity = Annotated[int, Field(gt=0, le=1_000_000, strict=True)]
Count = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[0-9+() .\-]+$")]
DesignSlug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9-]+$")]
HourMinute = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]


def hhmm_to_minutes(value: str) -> int:
    """Turn ``"08:30"`` into 510."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def minutes_to_hhmm(value: int) -> str:
    """Turn 510 into ``"08:30"``."""
    return f"{value // 60:02d}:{value % 60:02d}"

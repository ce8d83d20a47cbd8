"""Turn an ``area`` query parameter into a SQL condition."""

from typing import Any

from sqlalchemy import ColumnElement, true

from hub.errors import Invalid
from hub.geo.areas import Area, parse_area


def parse_area_param(text: str | None) -> Area | None:
    """Parse ``FR``, ``region:CODE`` or ``departement:CODE``; 422 on anything else."""
    if text is None or text == "":
        return None
    try:
        return parse_area(text)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


def area_condition(area: Area | None, region_col: Any, departement_col: Any) -> ColumnElement[bool]:
    """Return the WHERE clause selecting rows of an area (everything for None or FR)."""
    if area is None or area.kind == "FR":
        return true()
    if area.kind == "region":
        return region_col == area.code  # type: ignore[no-any-return]
    return departement_col == area.code  # type: ignore[no-any-return]

"""Turn an ``area`` query parameter into a SQL condition."""

import re
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, or_, true

from hub.access import require_role
from hub.auth.models import User
from hub.batches.models import Batch
from hub.errors import Forbidden, Invalid
from hub.geo.areas import Area, departement_names, parse_area, region_names
from hub.i18n import _
from hub.needs.models import Need
from hub.rules.states import BatchState, Role


def parse_area_param(text: str | None) -> Area | None:
    """Parse ``FR``, ``region:CODE`` or ``departement:CODE``; 422 on anything else."""
    if text is None or text == "":
        return None
    try:
        return parse_area(text)
    except ValueError as exc:
        raise unknown_area(text) from exc


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


@cache
def area_pattern() -> str:
    """What :func:`parse_area_param` accepts, as a JSON Schema ``pattern`` (the empty string,
    ``FR``, or a known région or département code, in any case, spaces around)."""
    # Whitespace as str.strip() takes it, but for the controls the door refuses.
    space = r"[^\S\x0b\x0c\x1c-\x1f\x85]*"
    regions = "|".join(map(_any_case, sorted(region_names())))
    departements = "|".join(map(_any_case, sorted(departement_names())))
    return (
        rf"^(?:{space}(?:{_any_case('FR')}|{_any_case('region')}{space}:{space}(?:{regions})"
        rf"|{_any_case('departement')}{space}:{space}(?:{departements})){space})?$"
    )


def unknown_area(text: str) -> Invalid:
    """The 422 for an area that is not ``FR``, ``region:CODE`` or ``departement:CODE``."""
    return Invalid(
        _("Unknown area {area}; write FR, region:CODE or departement:CODE."), area=repr(text)
    )


def area_condition(area: Area | None, region_col: Any, departement_col: Any) -> ColumnElement[bool]:
    """Return the WHERE clause selecting rows of an area (everything for None or FR)."""
    if area is None or area.kind == "FR":
        return true()
    if area.kind == "region":
        return region_col == area.code  # type: ignore[no-any-return]
    return departement_col == area.code  # type: ignore[no-any-return]


def coordinator_area(user: User, requested: str | None) -> Area:
    """Return the area a coordinator may act on: theirs by default, never wider (403)."""
    require_role(user, Role.COORDINATOR)
    own = parse_area_param(user.area) if user.role == Role.COORDINATOR else None
    wanted = parse_area_param(requested) if requested else own
    wanted = wanted or parse_area("FR")
    if own is not None and not own.covers(wanted):
        raise Forbidden(
            _("You coordinate {own}; {wanted} is outside your area."),
            own=own,
            wanted=wanted,
        )
    return wanted


def drafts_seen(viewer: User | None) -> Area | None:
    """The area whose draft proposals ``viewer`` sees: FR for an admin or a coordinator of
    all France, theirs for a coordinator of an area, None (no draft) for everyone else."""
    if viewer is None:
        return None
    if viewer.role == Role.ADMIN or (viewer.role == Role.COORDINATOR and viewer.area is None):
        return parse_area("FR")
    if viewer.role == Role.COORDINATOR and viewer.area is not None:
        return parse_area(viewer.area)
    return None


def drafts_hidden(
    viewer: User | None, need_region: Any = None, need_departement: Any = None
) -> ColumnElement[bool]:
    """The condition a batch query (joined to its ``Need``) needs so that ``viewer`` sees no
    draft proposal outside the area it coordinates. Drafts are for coordinators to review: a
    lab sees nothing of a proposal until a coordinator sends it."""
    seen = drafts_seen(viewer)
    if seen is not None and seen.kind == "FR":
        return true()
    not_draft = Batch.state != BatchState.DRAFT
    if seen is None:
        return not_draft
    need_region = Need.region if need_region is None else need_region
    need_departement = Need.departement if need_departement is None else need_departement
    return or_(not_draft, area_condition(seen, need_region, need_departement))

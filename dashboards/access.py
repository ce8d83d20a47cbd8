"""Who sees names and contacts on the live stream and the dashboard."""

from __future__ import annotations

from hub.auth.models import User
from hub.geo.areas import Area, parse_area


def sees_details(user: User | None, area: Area) -> bool:
    """Tell whether a user may see names and contacts for everything in an area.

    Admins and national coordinators see all of France; a regional coordinator sees their
    région and its départements; a departmental coordinator sees their département only.
    """
    if user is None:
        return False
    if user.role == "admin" or (user.role == "coordinator" and user.area is None):
        return True
    if user.role != "coordinator" or user.area is None:
        return False
    return parse_area(user.area).covers(area)

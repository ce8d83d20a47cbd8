"""The hub's notion of "today" (Europe/Paris: needed-by dates are French calendar days)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    """Return today's date in Paris."""
    return datetime.now(PARIS).date()

"""Clocks: each site's own "today", and the hub's default clock (Europe/Paris).

Every date or hour of a site is on its own clock (SPEC section 1): a hospital in Guadeloupe
is still on 30 November when Paris is on 1 December. Sites store their IANA zone
(``Site.time_zone``, from :mod:`hub.geo.territory`); the hub's own clock, for what belongs to
no site (file names, the dashboard's days), stays Europe/Paris.
"""

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


@cache
def zone(name: str | None) -> ZoneInfo:
    """Return the ZoneInfo of an IANA name; Europe/Paris for None."""
    return PARIS if name is None else ZoneInfo(name)


def now_utc() -> datetime:
    """Return the current instant, in UTC (tests replace it to freeze time)."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in Paris."""
    return now_utc().astimezone(PARIS).date()


def local_today(time_zone: str | None, now: datetime | None = None) -> date:
    """Return the date it is at ``now`` (default: now) on the clock of ``time_zone``."""
    at = now if now is not None else now_utc()
    return at.astimezone(zone(time_zone)).date()

"""Clocks: each site's own "today", and the hub's default clock (Europe/Paris).

Every date or hour of a site is on its own clock (SPEC section 1): a hospital in Guadeloupe
is still on 30 November when Paris is on 1 December. Sites store their IANA zone
(``Site.time_zone``, from :mod:`hub.geo.territory`); the hub's own clock, for what belongs to
no site (file names, the dashboard's days), stays Europe/Paris.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Paris"
PARIS = ZoneInfo(DEFAULT_ZONE)


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


@dataclass(frozen=True)
class DayClock:
    """The route planner's clock: minutes truly elapsed since local midnight of one day.

    Elapsed minutes, not wall-clock ones: on the night the clocks go forward, 03:30 is 150
    minutes after midnight, and an ETA is midnight plus elapsed time, whatever the offsets.
    Sites' hours are wall times on their own clock, placed on this one by :meth:`wall`.
    """

    midnight: datetime  # aware, UTC
    day: date
    time_zone: str

    @classmethod
    def of(cls, at: datetime, time_zone: str | None) -> "DayClock":
        """The clock of the local day of ``at`` (aware) in ``time_zone``."""
        name = time_zone or DEFAULT_ZONE
        day = at.astimezone(zone(name)).date()
        midnight = datetime.combine(day, time(0), tzinfo=zone(name)).astimezone(UTC)
        return cls(midnight, day, name)

    def minutes(self, at: datetime) -> float:
        """Minutes elapsed from this clock's midnight to ``at`` (aware)."""
        return (at.astimezone(UTC) - self.midnight).total_seconds() / 60.0

    def at(self, minutes: float) -> datetime:
        """The instant ``minutes`` after midnight, in UTC."""
        return self.midnight + timedelta(minutes=minutes)

    def local(self, minutes: float, time_zone: str | None = None) -> datetime:
        """The instant ``minutes`` after midnight, on the clock of ``time_zone`` (default own)."""
        return self.at(minutes).astimezone(zone(time_zone or self.time_zone))

    def wall(self, wall_minutes: float, time_zone: str | None) -> float:
        """Place a wall time of this day on another site's clock (``08:00`` = 480) here."""
        naive = datetime.combine(self.day, time(0)) + timedelta(minutes=wall_minutes)
        return self.minutes(naive.replace(tzinfo=zone(time_zone)))

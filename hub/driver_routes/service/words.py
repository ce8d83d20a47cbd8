"""The planner's reason codes as a driver reads them, and phrases nested in a message.

``matching.routes`` keeps no prose: for each batch it leaves out it gives reason codes and
figures (:class:`matching.routes.Unassigned`). Here each code becomes one catalogue message
with its figures; the planner's clock minutes (elapsed since local midnight) become local
times on the route's clock by Babel.

The 409 a driver gets when nothing fits nests messages with values of their own (a reason
within a batch within a list): they travel as ``hub.i18n.Phrase`` values and are worded when
the error is shown, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from hub.i18n import N_, LocalTime, Message, Phrase, _
from hub.timeutil import zone
from matching.routes import Reason, ReasonCode, Unassigned

#: One message per reason code; its fields are the code's figures (``matching.routes.FIGURES``).
REASONS: dict[ReasonCode, Message] = {
    ReasonCode.NO_DRIVER: _("no driver is available"),
    # The hub reserves whole batches: say what vehicle the batch needs, not how to split it.
    ReasonCode.TOO_BIG: _(
        "{units} units, more than your vehicle holds ({capacity}): it needs a vehicle of at "
        "least {units} units"
    ),
    ReasonCode.LAB_UNREACHABLE: _("the lab cannot be reached by road from any driver"),
    ReasonCode.LAB_CLOSED: _(
        "the lab closes at {closes_at}, before any driver can arrive (earliest {earliest_at})"
    ),
    ReasonCode.HOSPITAL_UNREACHABLE: _("the hospital cannot be reached by road from the lab"),
    ReasonCode.HOSPITAL_CLOSED: _(
        "the hospital receiving window closes at {closes_at}, before any driver can arrive "
        "(earliest {earliest_at})"
    ),
    ReasonCode.TOO_LONG: _(
        "the round trip takes {trip_minutes} min, more than the {available_minutes} min available"
    ),
    ReasonCode.LAB_ACROSS_SEA: _(
        "the lab is across the sea from your start: no road leads there, and crossings are "
        "not allowed"
    ),
    ReasonCode.HOSPITAL_ACROSS_SEA: _(
        "the hospital is across the sea from the lab or from your start: no road leads there, "
        "and crossings are not allowed"
    ),
    ReasonCode.NO_ROOM: _(
        "no driver could fit it alongside the other shipments within the windows, shifts and "
        "capacities: add a driver or widen the windows"
    ),
}
#: Figures that are minutes of the planner's clock (since local midnight), shown as times.
CLOCK_FIGURES = frozenset({"closes_at", "earliest_at"})


def reason_phrase(reason: Reason, midnight: datetime, time_zone: str | None = None) -> Phrase:
    """One reason in words; ``midnight`` is the local midnight the planner's clock counts
    from (elapsed minutes), ``time_zone`` the clock its times are shown on (default Paris)."""
    params: dict[str, object] = {}
    for name, value in reason.figures().items():
        if name in CLOCK_FIGURES:
            # Elapsed time: added in UTC, so that a night with a clock change counts true.
            at = midnight.astimezone(UTC) + timedelta(minutes=value)
            params[name] = LocalTime(at, zone(time_zone))
        else:
            params[name] = round(value)  # whole units and minutes
    return Phrase(REASONS[reason.code], params)


def left_out_phrase(left: Unassigned, midnight: datetime, time_zone: str | None = None) -> Phrase:
    """Why a batch was left out: its reasons, and for a split batch how many loads."""
    why = joined(reason_phrase(r, midnight, time_zone) for r in left.reasons)
    if left.loads == 1:
        return why
    loads = N_("{out} of {loads} loads: {reasons}", "{out} of {loads} loads: {reasons}", "out")
    return Phrase(loads, {"out": left.loads_out, "loads": left.loads, "reasons": why})


def joined(phrases: Iterable[Phrase], more: int = 0) -> Phrase:
    """Phrases one after the other, separated by semicolons; "and N more" ends a cut list."""
    items = list(phrases)
    if more > 0:
        items.append(Phrase(N_("and {n} more", "and {n} more", "n"), {"n": more}))
    whole = items[0]
    for item in items[1:]:
        whole = Phrase(_("{reasons}; {reason}"), {"reasons": whole, "reason": item})
    return whole


def local_midnight(at: datetime, time_zone: str | None = None) -> datetime:
    """The local midnight that starts the day of ``at`` on ``time_zone``'s clock (default
    Paris): the planner's clock's zero."""
    return at.astimezone(zone(time_zone)).replace(hour=0, minute=0, second=0, microsecond=0)

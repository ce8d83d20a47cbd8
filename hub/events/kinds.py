"""Every kind of event the hub writes, with the words a person reads for it.

:func:`hub.events.service.append` refuses a kind that is not here, so that a new kind cannot
reach the live feed without words: the dashboard's feed (``hub/web/static/dashboard.js``)
names the same kinds with the same English text, and a test keeps the two equal.
"""

from hub.i18n import Message, _

SITE_KINDS = ("hospital", "lab")

KINDS: dict[str, Message] = {
    "need.created": _("New need"),
    "need.updated": _("Need updated"),
    "need.cancelled": _("Need cancelled"),
    "batch.claimed": _("Batch claimed"),
    "batch.proposed": _("Batch proposed"),
    "batch.accepted": _("Proposal accepted"),
    "batch.declined": _("Proposal declined"),
    "batch.progress": _("Progress"),
    "batch.ready": _("Batch ready"),
    "batch.picked_up": _("Batch picked up"),
    "batch.delivered": _("Batch delivered"),
    "batch.received": _("Receipt confirmed"),
    "batch.cancelled": _("Batch cancelled"),
    "batch.adjusted": _("Batch adjusted"),
    "batch.corrected": _("Batch corrected"),
    "batch.imported": _("Batch imported"),
    "batch.split": _("Batch split: the rest is still being made"),
    "hospital.created": _("New hospital"),
    "hospital.verified": _("Hospital verified"),
    "hospital.updated": _("Hospital updated"),
    "hospital.corrected": _("Hospital corrected"),
    "hospital.suspended": _("Hospital suspended"),
    "hospital.member_joined": _("New member of a hospital"),
    "lab.created": _("New lab"),
    "lab.verified": _("Lab verified"),
    "lab.updated": _("Lab updated"),
    "lab.corrected": _("Lab corrected"),
    "lab.suspended": _("Lab suspended"),
    "lab.member_joined": _("New member of a lab"),
    "lab.offers_replaced": _("Capacity updated"),
    "matching.run": _("Matcher run"),
    "route.planned": _("Route planned"),
    "route.released": _("Route given back"),
    "route.stops_closed": _("Route stops closed by a receipt"),
}


class UnknownEventKind(ValueError):
    """A programming error: an event kind without words in :data:`KINDS`."""


def check_kind(kind: str) -> None:
    """Raise :class:`UnknownEventKind` unless ``kind`` is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise UnknownEventKind(f"event kind {kind!r} is not in hub.events.kinds.KINDS")

"""The words for the codes the API uses (states, roles, site types), as catalogue messages.

Codes are what the database and the API carry (``picked_up``); these are the English words a
person reads for them ("picked up"), marked for the catalogue with a context so that, say,
the state "made" and the counter "made" may be translated apart.
"""

from enum import Enum

from hub.i18n.markers import C_, Message
from hub.rules.states import (
    BatchState,
    NeedStatus,
    Priority,
    Role,
    RouteStatus,
    SiteStatus,
    SiteType,
)

WORDS: dict[Enum, Message] = {
    BatchState.DRAFT: C_("batch state", "draft"),
    BatchState.PROPOSED: C_("batch state", "proposed"),
    BatchState.CLAIMED: C_("batch state", "claimed"),
    BatchState.READY: C_("batch state", "ready"),
    BatchState.PICKED_UP: C_("batch state", "picked up"),
    BatchState.DELIVERED: C_("batch state", "delivered"),
    BatchState.RECEIVED: C_("batch state", "received"),
    BatchState.DECLINED: C_("batch state", "declined"),
    BatchState.CANCELLED: C_("batch state", "cancelled"),
    NeedStatus.REQUESTED: C_("need status", "requested"),
    NeedStatus.CLAIMED: C_("need status", "claimed"),
    NeedStatus.MADE: C_("need status", "made"),
    NeedStatus.READY: C_("need status", "ready"),
    NeedStatus.IN_TRANSIT: C_("need status", "in transit"),
    NeedStatus.DELIVERED: C_("need status", "delivered"),
    NeedStatus.CANCELLED: C_("need status", "cancelled"),
    RouteStatus.ACTIVE: C_("route status", "active"),
    RouteStatus.DONE: C_("route status", "done"),
    RouteStatus.RELEASED: C_("route status", "given back"),
    SiteStatus.PENDING: C_("site status", "awaiting verification"),
    SiteStatus.VERIFIED: C_("site status", "verified"),
    SiteStatus.SUSPENDED: C_("site status", "suspended"),
    SiteType.HOSPITAL: C_("site type", "hospital"),
    SiteType.LAB: C_("site type", "lab"),
    Role.HOSPITAL_STAFF: C_("role", "hospital staff"),
    Role.MAKER: C_("role", "maker"),
    Role.DRIVER: C_("role", "driver"),
    Role.COORDINATOR: C_("role", "coordinator"),
    Role.ADMIN: C_("role", "admin"),
    Priority.CRITICAL: C_("priority", "critical"),
    Priority.HIGH: C_("priority", "high"),
    Priority.NORMAL: C_("priority", "normal"),
}


def word(code: Enum) -> Message:
    """The catalogue message for a code (its value, as is, for a code without a word)."""
    return WORDS.get(code) or Message(str(code.value))

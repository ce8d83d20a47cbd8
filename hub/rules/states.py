"""The states of batches, needs, routes and sites, and which action moves a batch from which.

This is the only place the state names are spelled; everything else uses these enums (they
are ``StrEnum``, so they compare equal to the strings stored in the database).
"""

from dataclasses import dataclass
from enum import StrEnum


class BatchState(StrEnum):
    """A batch's life cycle (SPEC section 2): proposed → claimed → ready → picked up → delivered
    → received; or declined, or cancelled. A matcher run's proposals start as drafts, which
    only coordinators see, until a coordinator sends them to the labs (draft → proposed)."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    CLAIMED = "claimed"
    READY = "ready"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    RECEIVED = "received"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class NeedStatus(StrEnum):
    """The stage every unit of a need has reached (see :func:`need_status`)."""

    REQUESTED = "requested"
    CLAIMED = "claimed"
    MADE = "made"
    READY = "ready"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class RouteStatus(StrEnum):
    """A driver's route: active until every stop is done (done) or given back (released)."""

    ACTIVE = "active"
    DONE = "done"
    RELEASED = "released"


class SiteStatus(StrEnum):
    """A site waits for a coordinator's verification; a coordinator may suspend it.

    Only a verified site takes part: its labs claim and accept work, its needs are matched and
    claimed, its members see the contacts of the sites they work with.
    """

    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class SiteType(StrEnum):
    """Hospitals (and other care sites) need; labs make."""

    HOSPITAL = "hospital"
    LAB = "lab"


class Role(StrEnum):
    """Who an account is (SPEC section 1)."""

    HOSPITAL_STAFF = "hospital_staff"
    MAKER = "maker"
    DRIVER = "driver"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Priority(StrEnum):
    """How urgent a need is (the matcher weighs them: ``matching.PRIORITY_WEIGHTS``)."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


class BatchAction(StrEnum):
    """What can be done to a batch; :data:`TRANSITIONS` says from which states, to which."""

    ACCEPT = "accept"
    DECLINE = "decline"
    REPORT_PROGRESS = "report_progress"
    CORRECT = "correct"
    MARK_READY = "mark_ready"
    PICK_UP = "pick_up"
    DELIVER = "deliver"
    RECEIVE = "receive"
    CANCEL = "cancel"
    ADJUST = "adjust"
    SEND = "send"


@dataclass(frozen=True)
class Transition:
    """An action is allowed from ``sources``; ``target`` is the state after it (``None``: same)."""

    sources: tuple[BatchState, ...]
    target: BatchState | None


B = BatchState
#: The batch state machine. A pickup or a delivery moves a counter and sets the state to the
#: counter's name; a receipt may skip the driver (hand delivery), hence its three sources.
TRANSITIONS: dict[BatchAction, Transition] = {
    BatchAction.ACCEPT: Transition((B.PROPOSED,), B.CLAIMED),
    BatchAction.DECLINE: Transition((B.PROPOSED,), B.DECLINED),
    BatchAction.REPORT_PROGRESS: Transition((B.CLAIMED,), None),
    BatchAction.CORRECT: Transition((B.CLAIMED,), None),
    BatchAction.MARK_READY: Transition((B.CLAIMED,), B.READY),
    BatchAction.PICK_UP: Transition((B.READY,), B.PICKED_UP),
    BatchAction.DELIVER: Transition((B.PICKED_UP,), B.DELIVERED),
    BatchAction.RECEIVE: Transition((B.READY, B.PICKED_UP, B.DELIVERED), B.RECEIVED),
    BatchAction.CANCEL: Transition((B.DRAFT, B.PROPOSED, B.CLAIMED, B.READY), B.CANCELLED),
    BatchAction.ADJUST: Transition((B.DRAFT, B.PROPOSED, B.CLAIMED), None),
    BatchAction.SEND: Transition((B.DRAFT,), B.PROPOSED),
}

#: States whose quantity is held from the need's pool: everything but declined and cancelled.
#: A draft holds its units too: a claim made while the coordinator reviews cannot take them,
#: so sending a draft never over-books the need.
HELD = (B.DRAFT, B.PROPOSED, B.CLAIMED, B.READY, B.PICKED_UP, B.DELIVERED, B.RECEIVED)
#: States that no longer hold anything.
INACTIVE = (B.DECLINED, B.CANCELLED)
#: States still at the lab, which cancelling a need cancels too.
AT_LAB = (B.DRAFT, B.PROPOSED, B.CLAIMED, B.READY)
#: Proposals: drafts a coordinator reviews, then those sent to the labs.
PROPOSALS = (B.DRAFT, B.PROPOSED)
#: States whose quantity is committed work (proposals are only suggestions).
COMMITTED = (B.CLAIMED, B.READY, B.PICKED_UP, B.DELIVERED, B.RECEIVED)
#: States where made units wait at the lab for a driver.
AWAITING_PICKUP = (B.READY, B.PICKED_UP)
#: Needs no longer open to new work.
CLOSED_NEEDS = (NeedStatus.CANCELLED, NeedStatus.DELIVERED)


def allowed(action: BatchAction, state: str) -> bool:
    """Tell whether ``action`` may be done to a batch in ``state``."""
    return state in TRANSITIONS[action].sources


@dataclass(frozen=True)
class NeedProgress:
    """Units of a need at each stage, summed over its committed batches."""

    claimed: int = 0
    made: int = 0
    ready: int = 0
    picked_up: int = 0
    delivered: int = 0


def need_status(quantity: int, progress: NeedProgress) -> NeedStatus:
    """The stage all of a need's ``quantity`` units have reached (an open need's status)."""
    if progress.delivered >= quantity:
        return NeedStatus.DELIVERED
    if progress.picked_up >= quantity:
        return NeedStatus.IN_TRANSIT
    if progress.ready + progress.picked_up >= quantity:
        return NeedStatus.READY
    if progress.made >= quantity:
        return NeedStatus.MADE
    if progress.claimed >= quantity:
        return NeedStatus.CLAIMED
    return NeedStatus.REQUESTED

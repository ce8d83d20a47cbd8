"""Every ORM table, imported in one place so metadata and migrations see them all."""

from hub.auth.models import PasswordReset, Token, User
from hub.batches.models import Batch
from hub.db import Base
from hub.driver_routes.models import Route, RouteStop
from hub.events.models import Event
from hub.limits.models import RateLimitCounter
from hub.matching_runs.models import MatchingRun
from hub.needs.models import IdempotencyKey, Need
from hub.notifications.models import OutboxMessage
from hub.offers.models import Offer
from hub.registry.models import RegistryEntry
from hub.sites.models import Invitation, Membership, Site

__all__ = [
    "Base",
    "Batch",
    "Event",
    "IdempotencyKey",
    "Invitation",
    "MatchingRun",
    "Membership",
    "Need",
    "Offer",
    "OutboxMessage",
    "PasswordReset",
    "RateLimitCounter",
    "RegistryEntry",
    "Route",
    "RouteStop",
    "Site",
    "Token",
    "User",
]

"""The outbox: mails written in the caller's transaction; what the sender takes and records.

A service that wants a mail sent calls :func:`enqueue` with its own session: the mail commits
with the change that asked for it, or not at all, so nothing acknowledged is lost and nothing
rolled back is sent. The sender (``hub.notifications.sender``) sends them after the commit.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import utcnow
from hub.i18n import Lang, Message, render
from hub.notifications.models import OutboxMessage

#: ``session.info`` key set when a transaction enqueued a mail: the database wakes the sender
#: after the commit (``Database.after_mail``).
MAIL_ENQUEUED = "hub_mail_enqueued"
#: While a sender holds a mail it took (sending it), no other sender takes it; if the sender
#: dies before recording the outcome, the mail is due again after this.
LEASE = timedelta(minutes=5)
#: The first retry waits this long, each next one twice as long, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
#: After this many failed attempts (about seven hours of retries) the sender gives up on a
#: mail: it stays in the outbox with its last error, counted as failed in the metrics.
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Mail:
    """A mail the sender took, detached from its session."""

    id: int
    to_address: str
    subject: str
    body: str
    language: str


@dataclass(frozen=True)
class Backlog:
    """Unsent mails: those still to try, and those the sender gave up on."""

    waiting: int
    failed: int


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    to: str,
    subject: Message,
    body: Message,
    lang: Lang,
    values: Mapping[str, object] | None = None,
) -> OutboxMessage:
    """Write a mail in ``lang`` to the outbox, in the caller's transaction."""
    values = values or {}
    message = OutboxMessage(
        kind=kind,
        to_address=to,
        subject=render(subject, values, lang),
        body=render(body, values, lang),
        language=lang,
    )
    session.add(message)
    await session.flush()
    session.info[MAIL_ENQUEUED] = True
    return message


async def enqueued_since(session: AsyncSession, *, kind: str, to: str, since: datetime) -> bool:
    """Whether a mail of ``kind`` to ``to`` was written after ``since`` (to space them out)."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.to_address == to,
            OutboxMessage.created_at > since,
        )
        .limit(1)
    )
    return found is not None


async def backlog(session: AsyncSession) -> Backlog:
    """How many mails are unsent: still to try, and given up."""
    rows = await session.execute(
        select(OutboxMessage.next_attempt_at.is_(None), func.count())
        .where(OutboxMessage.sent_at.is_(None))
        .group_by(OutboxMessage.next_attempt_at.is_(None))
    )
    counts = {bool(given_up): int(n) for given_up, n in rows.all()}
    return Backlog(waiting=counts.get(False, 0), failed=counts.get(True, 0))


async def take_due(session: AsyncSession, *, now: datetime, limit: int) -> list[Mail]:
    """Take up to ``limit`` mails due at ``now``: each counts an attempt and is held for
    :data:`LEASE`, so another sender (another process) does not send it as well."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = []
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        taken.append(Mail(row.id, row.to_address, row.subject, row.body, row.language))
    await session.flush()
    return taken


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    wait: timedelta = FIRST_BACKOFF * 2 ** max(0, min(attempts - 1, 20))
    return min(MAX_BACKOFF, wait)


async def record_sent(session: AsyncSession, *, mail_id: int) -> None:
    """An SMTP server took the mail."""
    row = await session.get(OutboxMessage, mail_id, with_for_update=True)
    if row is not None:
        row.sent_at, row.next_attempt_at, row.last_error = utcnow(), None, None


async def record_failure(session: AsyncSession, *, mail_id: int, error: str, now: datetime) -> None:
    """Sending failed: try again after :func:`backoff`, or give up after MAX_ATTEMPTS."""
    row = await session.get(OutboxMessage, mail_id, with_for_update=True)
    if row is None:
        return
    row.last_error = error[:500]
    row.next_attempt_at = None if row.attempts >= MAX_ATTEMPTS else now + backoff(row.attempts)

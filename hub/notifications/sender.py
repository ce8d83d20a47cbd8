"""The outbox's sender: a task that sends due mails over SMTP (``aiosmtplib``) and records how
it went, retrying with a growing wait.

It runs in each ``hub serve`` process whose ``HUB_SMTP_HOST`` is set, started by the app's
lifespan. A commit that wrote a mail wakes its own process's sender at once; mails written by
other processes are found at the next poll (``HUB_MAIL_POLL_SECONDS``). Several senders may
run: each takes the mails it sends under a lease (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so a mail goes out once; a sender killed between sending and recording sends it
again after the lease (at least once, never lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib

from hub.config import Settings
from hub.db import Database, utcnow
from hub.notifications.service import Mail, record_failure, record_sent, take_due
from hub.waiting import wait_set

log = logging.getLogger("hub.notifications")
#: Mails taken per round; a full round is followed by another at once.
BATCH = 50


@dataclass(frozen=True)
class Round:
    """What one round of sending did."""

    sent: int
    failed: int


def compose(mail: Mail, settings: Settings) -> EmailMessage:
    """The mail as an RFC 5322 message: plain text, UTF-8, its language declared."""
    message = EmailMessage()
    message.set_content(mail.body)  # first: it replaces every Content-* header
    message["From"] = settings.mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.mail_from.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Content-Language"] = mail.language
    message["Auto-Submitted"] = "auto-generated"
    return message


async def deliver(message: EmailMessage, settings: Settings) -> None:
    """Hand one message to the SMTP server of the settings (raises on any failure)."""
    assert settings.smtp_host is not None
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout,
    )


async def send_due(db: Database, settings: Settings, *, now: datetime | None = None) -> Round:
    """Send the mails due at ``now`` (default: now); record each success or failure."""
    now = now or utcnow()
    async with db.transaction() as session:
        mails = await take_due(session, now=now, limit=BATCH)
    sent = failed = 0
    for mail in mails:
        try:
            await deliver(compose(mail, settings), settings)
        except Exception as exc:  # any failure is recorded and retried, none is fatal
            failed += 1
            error = f"{type(exc).__name__}: {exc}"
            log.warning("mail %d not sent (attempt failed): %s", mail.id, error)
            async with db.transaction() as session:
                await record_failure(session, mail_id=mail.id, error=error, now=now)
        else:
            sent += 1
            async with db.transaction() as session:
                await record_sent(session, mail_id=mail.id)
    return Round(sent, failed)


class Sender:
    """The task that sends due mails: woken by commits that wrote one, else every poll."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for due mails now (called after a commit that wrote one)."""
        self._wake.set()

    def start(self) -> None:
        """Start sending, in the running loop."""
        self.db.after_mail.append(self.wake)
        self._task = asyncio.create_task(self._run(), name="hub-mail-sender")

    async def stop(self) -> None:
        """Stop sending; a mail being sent is sent again later (its lease expires)."""
        with contextlib.suppress(ValueError):
            self.db.after_mail.remove(self.wake)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                done = await send_due(self.db, self.settings)
            except Exception:  # the database away for a moment: try again at the next poll
                log.exception("the mail sender's round failed")
                done = Round(0, 0)
            if done.sent + done.failed >= BATCH:
                continue  # more may be due
            await wait_set(self._wake, self.settings.mail_poll_seconds)


def start_sender(app: Any) -> Sender | None:
    """Start the app's sender if ``HUB_SMTP_HOST`` is set; store it on the app."""
    settings: Settings = app.state.settings
    app.state.sender = None
    if not settings.smtp_host:
        return None
    sender = Sender(app.state.db, settings)
    sender.start()
    app.state.sender = sender
    log.info("mail sender started (%s:%d)", settings.smtp_host, settings.smtp_port)
    return sender


async def stop_sender(app: Any) -> None:
    """Stop the app's sender, if it runs."""
    sender: Sender | None = getattr(app.state, "sender", None)
    if sender is not None:
        await sender.stop()

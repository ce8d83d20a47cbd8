"""The notifications outbox: mails written in the caller's transaction, sent by a task over SMTP.

A real SMTP server (aiosmtpd's ``Controller``, on a free port this test picks) receives what
the sender sends: the password-reset link and the "someone signed up with your address" mail,
in French and in English. A sender whose server is down records the failure, tries again
later, and loses nothing.
"""

import asyncio
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from support.data import PASSWORD
from support.scenario import Hub

from hub.config import Settings
from hub.db import utcnow
from hub.main import create_app
from hub.notifications.models import OutboxMessage
from hub.notifications.sender import send_due

AUTH = "/api/v1/auth"


def free_port() -> int:
    """A TCP port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd's handler: keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message; answer 250."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1, started and stopped by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server receiving on a free port."""
    with SmtpServer(free_port()) as server:
        yield server


def mail_settings(settings: Settings, port: int) -> Settings:
    """The test's settings, sending to 127.0.0.1:``port`` without TLS."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "mail_from": "hub@example.org",
            "public_url": "https://hub.example.org",
        }
    )


def text(message: EmailMessage) -> str:
    """The message's plain-text body."""
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def _outbox(app: Any) -> list[OutboxMessage]:
    async with app.state.db.read_sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _sign_up(client: httpx.AsyncClient, email: str, password: str, lang: str) -> int:
    r = await client.post(
        f"{AUTH}/signup",
        json={"email": email, "password": password, "name": "Someone", "role": "maker"},
        headers={"Accept-Language": lang},
    )
    return r.status_code


@pytest.mark.parametrize(
    ("lang", "reset_subject", "notice_subject"),
    [
        ("fr", "Nouveau mot de passe pour le hub", "Une inscription avec votre adresse"),
        ("en", "A new password for the hub", "Someone signed up with your address"),
    ],
)
async def test_a_real_smtp_server_gets_the_reset_link_and_the_signup_notice(
    client: httpx.AsyncClient,
    app: Any,
    settings: Settings,
    smtp: SmtpServer,
    lang: str,
    reset_subject: str,
    notice_subject: str,
) -> None:
    email = f"owner-{lang}@example.org"
    assert await _sign_up(client, email, PASSWORD, lang) == 201
    other = "en" if lang == "fr" else "fr"  # the newcomer's language is not the holder's
    assert await _sign_up(client, email, "a quite different passphrase 42", other) == 201
    r = await client.post(
        f"{AUTH}/password-reset", json={"email": email}, headers={"Accept-Language": lang}
    )
    assert r.status_code == 202
    assert [m.sent_at for m in await _outbox(app)] == [None, None]
    done = await send_due(app.state.db, mail_settings(settings, smtp.port))
    assert (done.sent, done.failed) == (2, 0)
    notice, reset = smtp.inbox.messages
    for message in (notice, reset):
        assert message["To"] == email and message["X-Envelope-To"] == email
        assert message["From"] == "hub@example.org"
        assert message["Content-Language"] == lang
    base = app.state.settings.base_url  # links are written when the mail is
    assert notice["Subject"] == notice_subject
    assert f"{base}/reset?lang={lang}" in text(notice)
    assert reset["Subject"] == reset_subject
    link = next(w for w in text(reset).split() if w.startswith(f"{base}/reset?lang={lang}#"))
    raw = link.split("#", 1)[1]
    # The link sets the holder's password.
    ok = await client.post(
        f"{AUTH}/password-reset/confirm", json={"token": raw, "password": "a brand new one!"}
    )
    assert ok.status_code == 204, ok.text
    assert all(m.sent_at is not None and m.attempts == 1 for m in await _outbox(app))
    # Sent once: a second round finds nothing to send.
    again = await send_due(app.state.db, mail_settings(settings, smtp.port))
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.inbox.messages) == 2


async def test_a_sender_whose_server_is_down_tries_again_later_and_loses_nothing(
    client: httpx.AsyncClient, hub: Hub, app: Any, settings: Settings
) -> None:
    owner = await hub.account("maker")
    assert (await client.post(f"{AUTH}/password-reset", json={"email": owner.email})).status_code
    port = free_port()  # nothing listens there yet: the server is down
    down = await send_due(app.state.db, mail_settings(settings, port))
    assert (down.sent, down.failed) == (0, 1)
    (mail,) = await _outbox(app)
    assert mail.sent_at is None and mail.attempts == 1
    assert mail.last_error
    assert mail.next_attempt_at is not None and mail.next_attempt_at > utcnow()
    # Not due yet: the next round leaves it alone.
    soon = await send_due(app.state.db, mail_settings(settings, port))
    assert (soon.sent, soon.failed) == (0, 0)
    with SmtpServer(port) as server:
        later = await send_due(
            app.state.db,
            mail_settings(settings, port),
            now=mail.next_attempt_at + timedelta(seconds=1),
        )
        assert (later.sent, later.failed) == (1, 0)
        (message,) = server.inbox.messages
    assert message["To"] == owner.email
    (mail,) = await _outbox(app)
    assert mail.sent_at is not None and mail.attempts == 2


async def test_backoff_grows_between_failures(
    client: httpx.AsyncClient, hub: Hub, app: Any, settings: Settings
) -> None:
    owner = await hub.account("maker")
    await client.post(f"{AUTH}/password-reset", json={"email": owner.email})
    config = mail_settings(settings, free_port())
    now = utcnow()
    waits = []
    for _ in range(3):
        await send_due(app.state.db, config, now=now)
        (mail,) = await _outbox(app)
        assert mail.next_attempt_at is not None
        waits.append(mail.next_attempt_at - now)
        now = mail.next_attempt_at + timedelta(seconds=1)
    assert waits[0] < waits[1] < waits[2]
    assert mail.attempts == 3 and mail.sent_at is None


async def test_the_lifespan_sends_only_with_smtp_configured(
    settings: Settings, smtp: SmtpServer
) -> None:
    """``HUB_SMTP_HOST`` unset: no sender, mails wait. Set: the sender runs and sends them."""
    plain = create_app(settings)
    async with plain.router.lifespan_context(plain):
        assert getattr(plain.state, "sender", None) is None
    await plain.state.db.dispose()
    app = create_app(mail_settings(settings, smtp.port))
    async with app.router.lifespan_context(app):
        assert app.state.sender is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
            await _sign_up(c, "lena@example.org", PASSWORD, "en")
            r = await c.post(f"{AUTH}/password-reset", json={"email": "lena@example.org"})
            assert r.status_code == 202
            for _ in range(100):  # woken by the commit, not by its next poll
                if smtp.inbox.messages:
                    break
                await asyncio.sleep(0.05)
    await app.state.db.dispose()
    (message,) = smtp.inbox.messages
    assert message["To"] == "lena@example.org"


async def test_the_backlog_is_a_metric(client: httpx.AsyncClient, hub: Hub) -> None:
    owner = await hub.account("maker")
    before = await client.get("/metrics")
    assert "hub_notifications_backlog 0.0" in before.text
    await client.post(f"{AUTH}/password-reset", json={"email": owner.email})
    after = await client.get("/metrics")
    assert "hub_notifications_backlog 1.0" in after.text

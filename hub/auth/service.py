"""Accounts, tokens, passwords and their resets.

Accounts may share an address. The first account of an address *holds* it
(``User.email_holder``): password resets and mails for the address are the holder's (an
invitation goes to whoever has its link, ``hub.sites.service.invite``). Signing up with a held
address and another password makes a new account that holds nothing, answered exactly as for
a new address: a 409 ("this address is taken") would tell anyone which addresses have
accounts. The holder gets a mail saying so (see :func:`sign_up`).
"""

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class

from hub.area_filter import unknown_area
from hub.auth.models import PasswordReset, Token, User
from hub.auth.passwords import hash_password, verify_password
from hub.auth.policy import check_password
from hub.db import Database, utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from hub.geo.areas import parse_area
from hub.i18n import Lang, _
from hub.notifications.service import enqueue, enqueued_since
from hub.rules.states import Role

log = logging.getLogger("hub.auth")
#: A session's "last used" is written at most this often (a write on every request would not do).
LAST_USED_EVERY = timedelta(minutes=15)


#: How many of an address's newest accounts that do not hold it a password is tried against,
#: besides the holder. Every sign-in and sign-up tries exactly this many plus one, padding with
#: a dummy hash, so the time taken tells nothing of whether the address is held or how many
#: accounts share it (without the padding, "sign up, then sign in" would time one argon2
#: check more on a held address). The bound keeps that fixed work small whatever an attacker
#: adds: the sign-up rate limit per address slows additions, it does not cap them, and each
#: check is an argon2 verification (tens of milliseconds of CPU; the four run in parallel
#: threads). An older account pushed out of the window by newer ones no longer signs in: a
#: known limit, for accounts that never held the address.
SHARED_CANDIDATES = 3
#: The "someone signed up with your address" mail goes at most this often to an address: a
#: stranger signing up again and again must not turn the hub into a mail cannon.
SIGNUP_NOTICE_GAP = timedelta(hours=1)
#: A reset link is mailed at most this often to an address (a second request within it is
#: answered the same and sends nothing: the first link still works).
RESET_MAIL_GAP = timedelta(minutes=1)

SIGNUP_NOTICE_SUBJECT = _("Someone signed up with your address")
SIGNUP_NOTICE = _(
    "Hello,\n\n"
    "Someone just signed up on the hub with this address, {email}, and a password other than "
    "your account's. The hub made them a separate account: it sees nothing of yours (your "
    "sites, invitations and password stay yours).\n\n"
    "If it was you, you already had an account. Sign in with its password:\n{sign_in}\n\n"
    "or, if you forgot it, ask for a link to set a new one:\n{reset}\n\n"
    "If it was not you, there is nothing to do.\n\n"
    "The hub"
)
RESET_SUBJECT = _("A new password for the hub")
RESET_MAIL = _(
    "Hello,\n\n"
    "Someone, you we hope, asked to set a new password for your account on the hub. Open this "
    "link to choose one:\n\n{link}\n\n"
    "It works once, for {hours} hours, and a newer link replaces it. Every session of your "
    "account will be signed out.\n\n"
    "If you did not ask, ignore this mail: your password stays as it is.\n\n"
    "The hub"
)


def _address_taken(email: str) -> Conflict:
    # Only administrators' commands say so (hub users create): sign-up never does.
    return Conflict(_("An account already holds the address {email}."), email=email)


def digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    """An e-mail address as accounts store it: trimmed, lower-case."""
    return email.strip().lower()


def _check_role(role: str) -> None:
    if role not in list(Role):
        raise Invalid(
            _("Unknown role {role}; choose one of {roles}."),
            role=repr(role),
            roles=", ".join(Role),
        )


async def holder_of(session: AsyncSession, email: str) -> User | None:
    """The account that holds ``email`` (resets and mails go to it), if any."""
    return await session.scalar(
        select(User).where(User.email == normal_email(email), User.email_holder)
    )


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: str,
    area: str | None = None,
) -> User:
    """Create an account holding ``email`` (an administrator's command); 422 for a weak
    password, 409 if an account already holds the address."""
    _check_role(role)
    if area is not None:
        if role != Role.COORDINATOR:
            raise Invalid(_("Only coordinators have an area."))
        try:
            area = str(parse_area(area))
        except ValueError as exc:
            raise unknown_area(area) from exc
    email = normal_email(email)
    check_password(password, email=email, name=name)
    if await holder_of(session, email) is not None:
        raise _address_taken(email)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=await hash_password(password),
        role=role,
        area=area,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent creation with the same email won the race
        raise _address_taken(email) from exc
    return user


async def _password_owner(
    session: AsyncSession, *, email: str, password: str
) -> tuple[User | None, User | None]:
    """The holder of ``email``, and the account of ``email`` whose password this is, if any.

    Always the same work: the holder and :data:`SHARED_CANDIDATES` newest other accounts are
    tried, a dummy hash standing in for each one missing. The holder wins a tie.
    """
    rows = list(
        await session.scalars(
            select(User)
            .where(User.email == email)
            .order_by(User.email_holder.desc(), User.id.desc())
            .limit(SHARED_CANDIDATES + 1)
        )
    )
    holder = rows[0] if rows and rows[0].email_holder else None
    others = [u for u in rows if not u.email_holder][:SHARED_CANDIDATES]
    candidates: list[User | None] = [holder, *others]
    candidates += [None] * (SHARED_CANDIDATES + 1 - len(candidates))
    matches = await asyncio.gather(
        *(verify_password(u.password_hash if u else None, password) for u in candidates)
    )
    owner = next((u for u, ok in zip(candidates, matches, strict=True) if ok and u), None)
    return holder, owner


async def sign_up(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: str,
    lang: Lang = "en",
    base_url: str = "",
) -> tuple[User, bool]:
    """Create an account, or return the existing one of the address whose password this is.

    Returns the user and whether it is new. Someone signing up with an address that has an
    account is almost always its owner, who forgot: with its password they are signed in.
    With another password, the answer must not differ from a new address's (a refusal would
    tell anyone which addresses have accounts): a new account is made that shares the address
    but does not hold it, so it gets nothing tied to the address, and the holder is mailed
    (in its language) that someone did this, with the way to sign in or reset. Both paths do
    the same work: the same password checks, one hash. The password policy is checked first,
    so a weak password gets the same 422 whether the address has an account or not.
    """
    _check_role(role)
    email = normal_email(email)
    check_password(password, email=email, name=name)
    holder, owner = await _password_owner(session, email=email, password=password)
    if owner is not None:
        return owner, False
    fields = {
        "email": email,
        "name": name.strip(),
        "password_hash": await hash_password(password),
        "role": role,
        "language": lang,
    }
    user = User(email_holder=holder is None, **fields)
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        if holder is not None:
            raise
        # A concurrent sign-up took the address first: this one shares it, as above.
        user = User(email_holder=False, **fields)
        session.add(user)
        await session.flush()
    if not user.email_holder:
        holder = holder or await holder_of(session, email)
        if holder is not None:
            await _tell_holder(session, holder=holder, lang=lang, base_url=base_url)
    return user, True


async def _tell_holder(session: AsyncSession, *, holder: User, lang: Lang, base_url: str) -> None:
    """Mail the holder that someone signed up with its address (at most once an hour)."""
    email = holder.email
    since = utcnow() - SIGNUP_NOTICE_GAP
    if await enqueued_since(session, kind="signup_notice", to=email, since=since):
        return
    words = _account_language(holder, lang)
    await enqueue(
        session,
        kind="signup_notice",
        to=email,
        subject=SIGNUP_NOTICE_SUBJECT,
        body=SIGNUP_NOTICE,
        lang=words,
        values={
            "email": email,
            "sign_in": f"{base_url}/app?lang={words}",
            "reset": f"{base_url}/reset?lang={words}",
        },
    )


def _account_language(user: User, fallback: Lang) -> Lang:
    """The language of the account's mails: its own if the hub knows it, else ``fallback``."""
    return "fr" if user.language == "fr" else "en" if user.language == "en" else fallback


async def issue_token(
    session: AsyncSession, *, user: User, ttl_hours: int, description: str | None = None
) -> tuple[str, Token]:
    """Create a new random token for a user and return it in clear with its row."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = Token(
        user_id=user.id,
        token_hash=digest(raw),
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(hours=ttl_hours),
        description=description,
    )
    session.add(token)
    await session.flush()
    return raw, token


async def authenticate_password(session: AsyncSession, *, email: str, password: str) -> User:
    """Return the account of ``email`` whose password this is, or raise 401.

    The holder if it is its password, else the newest other account of the address whose
    password it is (:data:`SHARED_CANDIDATES` say how many are tried, and why).
    """
    _holder, owner = await _password_owner(session, email=normal_email(email), password=password)
    if owner is None:
        raise Unauthenticated(_("Wrong email or password."))
    return owner


class TokenUse(NamedTuple):
    """What a request needs of its bearer token: its id and when it was last used."""

    id: int
    last_used_at: datetime | None


#: One statement, built once (hub.db.by_id says why): every authenticated request runs it.
_TOKEN_AND_USER = (
    select(
        Token.id.label("token_id"),
        Token.expires_at.label("token_expires_at"),
        Token.revoked_at.label("token_revoked_at"),
        Token.last_used_at.label("token_last_used_at"),
        *User.__table__.c,
    )
    .outerjoin(User, User.id == Token.user_id)
    .where(Token.token_hash == bindparam("token_hash"))
)
_USER_KEYS = tuple(User.__table__.c.keys())
_USERS = manager_of_class(User)


async def account_for_token(db: Database, raw: str) -> tuple[User, TokenUse]:
    """Return the account a bearer token belongs to, detached from any session as if loaded
    and the session closed, and the token's use; or raise 401.

    One statement read on its own (``Database.first_row``: on a SQLite file, without a
    session, which cost 30 times what SQLite spends on it)."""
    row = await db.first_row(_TOKEN_AND_USER, {"token_hash": digest(raw)})
    if row is None or row["token_revoked_at"] is not None:
        raise Unauthenticated(
            _("This token is not valid; sign in again."),
        )
    if row["token_expires_at"] <= utcnow():
        raise Unauthenticated(
            _("This token has expired; sign in again."),
        )
    if row["id"] is None:
        raise Unauthenticated(_("This account no longer exists."))
    # The account built from its columns rather than loaded as an entity: with the ORM's
    # loading, this lookup cost 0.67 M instructions a request, 0.47 M as columns; through
    # User(**columns), whose instrumented setters cost 37 us, it cost more than loading.
    # (Compiling the statement, which names ORM attributes, configures the mappers that
    # make_transient_to_detached needs, in a process that has loaded nothing yet.)
    user = _USERS.new_instance()
    user.__dict__.update({key: row[key] for key in _USER_KEYS})
    make_transient_to_detached(user)
    return user, TokenUse(row["token_id"], row["token_last_used_at"])


def needs_touch(token: TokenUse, now: datetime | None = None) -> bool:
    """Whether the token's ``last_used_at`` is stale enough to be written again."""
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY


async def touch_token(session: AsyncSession, *, token_id: int) -> None:
    """Record that a token was used now."""
    await session.execute(update(Token).where(Token.id == token_id).values(last_used_at=utcnow()))


async def revoke_token(session: AsyncSession, raw: str) -> None:
    """Revoke a token (logout)."""
    token = await session.scalar(select(Token).where(Token.token_hash == digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


async def revoke_all(session: AsyncSession, *, user_id: int, keep_raw: str | None = None) -> int:
    """Revoke every live token of an account, except ``keep_raw``'s; return how many."""
    query = update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
    if keep_raw is not None:
        query = query.where(Token.token_hash != digest(keep_raw))
    result = await session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


async def live_sessions(session: AsyncSession, *, user: User) -> list[Token]:
    """The account's tokens that are neither revoked nor expired, newest first."""
    rows = await session.scalars(
        select(Token)
        .where(
            Token.user_id == user.id,
            Token.revoked_at.is_(None),
            Token.expires_at > utcnow(),
        )
        .order_by(Token.created_at.desc(), Token.id.desc())
    )
    return list(rows)


async def revoke_session(session: AsyncSession, *, user: User, session_id: int) -> None:
    """Revoke one of the account's live sessions; 404 if it has no such session."""
    token = await session.scalar(
        select(Token).where(
            Token.id == session_id,
            Token.user_id == user.id,
            Token.revoked_at.is_(None),
            Token.expires_at > utcnow(),
        )
    )
    if token is None:
        raise NotFound(_("You have no open session {id}."), id=session_id)
    token.revoked_at = utcnow()


async def change_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_raw: str,
) -> None:
    """Set a new password; 403 if the current one is wrong. Ends every other session."""
    if not await verify_password(user.password_hash, current_password):
        # Not 401: the session is valid, only this check failed.
        raise Forbidden(_("The current password is wrong."))
    check_password(new_password, email=user.email, name=user.name)
    await _set_password(session, user=user, password=new_password, keep_raw=keep_raw)


async def _set_password(
    session: AsyncSession, *, user: User, password: str, keep_raw: str | None
) -> None:
    db_user = await session.get(User, user.id, with_for_update=True)
    if db_user is None:
        raise Unauthenticated(_("This account no longer exists."))
    db_user.password_hash = await hash_password(password)
    await revoke_all(session, user_id=user.id, keep_raw=keep_raw)
    # A link asked for before the change must not undo it.
    await session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))


async def _new_reset(
    session: AsyncSession, *, user: User, ttl_hours: float, void_older: bool
) -> str:
    if void_older:
        await session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    raw = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=digest(raw),
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
    )
    await session.flush()
    return raw


async def create_password_reset(session: AsyncSession, *, email: str, ttl_hours: float = 24) -> str:
    """Make a one-time reset token for the account holding ``email``; 404 if none.

    Older links of the account stop working. For ``hub users reset``: whoever gets the token
    must hand it only to the account's owner.
    """
    user = await holder_of(session, email)
    if user is None:
        raise NotFound(_("There is no account for {email}."), email=normal_email(email))
    return await _new_reset(session, user=user, ttl_hours=ttl_hours, void_older=True)


async def request_password_reset(
    session: AsyncSession,
    *,
    email: str,
    lang: Lang = "en",
    base_url: str = "",
    ttl_hours: float = 24,
) -> None:
    """Mail a one-time link to the account holding ``email``; nothing for unknown addresses.

    The caller answers the same either way. The link goes through the notifications outbox,
    in the account's language (else ``lang``), at most once a minute per address; without
    SMTP it waits there and an administrator makes one with ``hub users reset EMAIL``. The log
    names the account by its id only.
    """
    email = normal_email(email)
    user = await holder_of(session, email)
    if user is None:
        return
    if await enqueued_since(
        session, kind="password_reset", to=email, since=utcnow() - RESET_MAIL_GAP
    ):
        return
    # Older links stay valid: anyone may ask, and a stranger asking must not void the link
    # the owner holds (from an administrator, or an earlier mail). Using any link voids all.
    raw = await _new_reset(session, user=user, ttl_hours=ttl_hours, void_older=False)
    words = _account_language(user, lang)
    await enqueue(
        session,
        kind="password_reset",
        to=email,
        subject=RESET_SUBJECT,
        body=RESET_MAIL,
        lang=words,
        # In the fragment (after #): browsers never send it, so it stays out of access logs.
        values={"link": f"{base_url}/reset?lang={words}#{raw}", "hours": ttl_hours},
    )
    log.info("password reset link for account %d written to the outbox", user.id)


async def reset_password(session: AsyncSession, *, token: str, password: str) -> None:
    """Set a new password with a reset token; 422 if it is unknown, used or expired.

    Ends every session of the account. A password the policy refuses leaves the link usable.
    """
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == digest(token)).with_for_update()
    )
    if reset is None:
        raise Invalid(_("This reset link is not valid; ask for a new one."))
    if reset.used_at is not None:
        raise Invalid(_("This reset link has already served; ask for a new one."))
    if reset.expires_at <= utcnow():
        raise Invalid(_("This reset link has expired; ask for a new one."))
    user = await session.get(User, reset.user_id)
    if user is None:
        raise Invalid(_("This reset link is not valid; ask for a new one."))
    check_password(password, email=user.email, name=user.name)
    reset.used_at = utcnow()
    await session.flush()
    user.password_hash = await hash_password(password)
    await revoke_all(session, user_id=user.id)
    await session.execute(
        delete(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.id != reset.id)
    )


async def set_password(session: AsyncSession, *, email: str, password: str) -> User:
    """Set the password of the account holding ``email`` (an administrator's command); every
    session is signed out."""
    user = await holder_of(session, email)
    if user is None:
        raise NotFound(_("There is no account for {email}."), email=normal_email(email))
    check_password(password, email=user.email, name=user.name)
    await _set_password(session, user=user, password=password, keep_raw=None)
    return user

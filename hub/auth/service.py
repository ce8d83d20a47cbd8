"""Accounts, tokens, passwords and their resets."""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.area_filter import unknown_area
from hub.auth.models import PasswordReset, Token, User
from hub.auth.passwords import hash_password, verify_password
from hub.auth.policy import check_password
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from hub.geo.areas import parse_area
from hub.i18n import _
from hub.rules.states import Role

log = logging.getLogger("hub.auth")
#: A session's "last used" is written at most this often (a write on every request would not do).
LAST_USED_EVERY = timedelta(minutes=15)


def _account_exists() -> Conflict:
    # Says no more than the status does: the address is taken. Signing up again with the
    # account's own password signs in instead (see sign_up).
    return Conflict(
        _(
            "This address cannot be used to sign up: sign in with it, or reset your password "
            "if you forgot it."
        )
    )


def digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    """An e-mail address as accounts store it: trimmed, lower-case."""
    return email.strip().lower()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: str,
    area: str | None = None,
) -> User:
    """Create an account; 422 for a weak password, 409 if the email is taken."""
    if role not in list(Role):
        raise Invalid(
            _("Unknown role {role}; choose one of {roles}."),
            role=repr(role),
            roles=", ".join(Role),
        )
    if area is not None:
        if role != Role.COORDINATOR:
            raise Invalid(_("Only coordinators have an area."))
        try:
            area = str(parse_area(area))
        except ValueError as exc:
            raise unknown_area(area) from exc
    email = normal_email(email)
    check_password(password, email=email, name=name)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _account_exists()
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
    except IntegrityError as exc:  # a concurrent signup with the same email won the race
        raise _account_exists() from exc
    return user


async def sign_up(
    session: AsyncSession, *, email: str, password: str, name: str, role: str
) -> tuple[User, bool]:
    """Create an account, or return the existing one when ``password`` is its password.

    Returns the user and whether it is new. Someone signing up with an address that has an
    account is almost always its owner, who forgot: with the right password they are signed
    in; otherwise 409, which sends them to sign in or reset. The password policy is checked
    first, so a weak password gets the same 422 whether the address has an account or not.
    """
    email = normal_email(email)
    check_password(password, email=email, name=name)
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is None:
        return await create_user(
            session, email=email, password=password, name=name, role=role
        ), True
    if await verify_password(existing.password_hash, password):
        return existing, False
    raise _account_exists()


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
    """Return the user with these credentials, or raise 401."""
    user = await session.scalar(select(User).where(User.email == normal_email(email)))
    ok = await verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthenticated(_("Wrong email or password."))
    return user


async def session_for_token(session: AsyncSession, raw: str) -> tuple[User, Token]:
    """Return the user a bearer token belongs to and its row, or raise 401."""
    # One statement for both rows: every authenticated request runs it.
    row = (
        await session.execute(
            select(Token, User)
            .outerjoin(User, User.id == Token.user_id)
            .where(Token.token_hash == digest(raw))
        )
    ).one_or_none()
    token, user = row if row is not None else (None, None)
    if token is None or token.revoked_at is not None:
        raise Unauthenticated(
            _("This token is not valid; sign in again."),
        )
    if token.expires_at <= utcnow():
        raise Unauthenticated(
            _("This token has expired; sign in again."),
        )
    if user is None:
        raise Unauthenticated(_("This account no longer exists."))
    return user, token


async def user_for_token(session: AsyncSession, raw: str) -> User:
    """Return the user a bearer token belongs to, or raise 401."""
    user, _token = await session_for_token(session, raw)
    return user


def needs_touch(token: Token, now: datetime | None = None) -> bool:
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


async def create_password_reset(session: AsyncSession, *, email: str, ttl_hours: float = 24) -> str:
    """Make a one-time reset token for an account and return it in clear; 404 if none.

    Older links of the account stop working. For ``hub users reset`` (and a future outbox):
    whoever gets the token must hand it only to the account's owner.
    """
    user = await session.scalar(select(User).where(User.email == normal_email(email)))
    if user is None:
        raise NotFound(_("There is no account for {email}."), email=normal_email(email))
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


async def request_password_reset(session: AsyncSession, *, email: str) -> None:
    """Note that someone asked to reset ``email``'s password; the same for unknown addresses.

    There is no outbox to send the link yet: an administrator makes one with
    ``hub users reset EMAIL``. The log names the account by its id only.
    """
    user_id = await session.scalar(select(User.id).where(User.email == normal_email(email)))
    if user_id is not None:
        log.info(
            "password reset asked for account %d: an administrator can run `hub users reset`",
            user_id,
        )


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
    """Set an account's password (an administrator's command); every session is signed out."""
    user = await session.scalar(select(User).where(User.email == normal_email(email)))
    if user is None:
        raise NotFound(_("There is no account for {email}."), email=normal_email(email))
    check_password(password, email=user.email, name=user.name)
    await _set_password(session, user=user, password=password, keep_raw=None)
    return user

"""Sign up, sign in, sign out (here or everywhere), sessions, and passwords."""

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from hub.auth import service
from hub.auth.agents import describe_agent
from hub.auth.schemas import (
    PasswordChangeIn,
    ResetIn,
    ResetRequested,
    ResetRequestIn,
    SessionOut,
    SignupIn,
    SignupOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from hub.deps import CurrentUser, SessionDep, SettingsDep, bearer_token
from hub.i18n import _, language, render
from hub.limits.limiter import Action, limit

router = APIRouter(prefix="/auth", tags=["accounts"])


Responses = dict[int | str, dict[str, Any]]


def _error(description: str) -> dict[str, Any]:
    return {"description": description}


UNAUTHENTICATED: Responses = {401: _error("No valid token: sign in again.")}
TOO_MANY: Responses = {429: _error("Too many attempts; Retry-After says how many seconds to wait.")}
INVALID: Responses = {422: _error("Invalid input, or a password the policy refuses.")}


#: The answer to a reset request, the same whether the address has an account or not: with
#: mail configured (HUB_SMTP_HOST) the link is mailed, else an administrator makes one.
RESET_MAILED = _(
    "If this address has an account, a link to set a new password is on its way to it. It "
    "works only once; look in your spam folder if it does not arrive."
)
RESET_ASKED = _(
    "If this address has an account, ask the hub’s administrator or your coordinator for a "
    "link to set a new password: they can make one. A link works only once."
)


def _agent(request: Request) -> str | None:
    return describe_agent(request.headers.get("user-agent"))


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SignupOut,
    responses={
        200: _error("The address has an account and this is its password: signed in."),
        **INVALID,
        **TOO_MANY,
    },
)
async def signup(
    body: SignupIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> SignupOut:
    """Create an account (hospital staff, maker or driver) and return a first token.

    Signing up again with an account's own e-mail and password signs in (200). With an
    address that has an account and another password, the answer is a new account's (201):
    it shares the address but gets nothing tied to it, and the address's owner is mailed.
    """
    await limit(request, Action.SIGN_UP, account=body.email)
    user, created = await service.sign_up(
        session,
        **body.model_dump(),
        lang=language(request.headers.get("accept-language")),
        base_url=settings.base_url,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    raw, token = await service.issue_token(
        session, user=user, ttl_hours=settings.token_ttl_hours, description=_agent(request)
    )
    return SignupOut(
        user=UserOut.model_validate(user), access_token=raw, expires_at=token.expires_at
    )


@router.post("/token", response_model=TokenOut, responses={**UNAUTHENTICATED, **TOO_MANY})
async def token(
    body: TokenIn, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    """Exchange an email and password for a bearer token."""
    await limit(request, Action.SIGN_IN, account=body.email)
    user = await service.authenticate_password(session, email=body.email, password=body.password)
    raw, row = await service.issue_token(
        session, user=user, ttl_hours=settings.token_ttl_hours, description=_agent(request)
    )
    return TokenOut(access_token=raw, expires_at=row.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHENTICATED)
async def logout(user: CurrentUser, session: SessionDep, raw: str = Depends(bearer_token)) -> None:
    """Revoke the token used for this request."""
    await service.revoke_token(session, raw)


@router.post(
    "/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHENTICATED
)
async def logout_everywhere(user: CurrentUser, session: SessionDep) -> None:
    """Sign out everywhere: revoke every token of the account, this one included."""
    await service.revoke_all(session, user_id=user.id)


@router.get("/me", response_model=UserOut, responses=UNAUTHENTICATED)
async def me(user: CurrentUser) -> UserOut:
    """Return the signed-in user."""
    return UserOut.model_validate(user)


@router.get("/sessions", response_model=list[SessionOut], responses=UNAUTHENTICATED)
async def sessions(
    user: CurrentUser, session: SessionDep, raw: str = Depends(bearer_token)
) -> list[SessionOut]:
    """The account's open sessions, newest first; ``current`` marks this one."""
    current = service.digest(raw)
    return [
        SessionOut(
            id=t.id,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            description=t.description,
            current=t.token_hash == current,
        )
        for t in await service.live_sessions(session, user=user)
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHENTICATED, 404: _error("The account has no such open session.")},
)
async def end_session(session_id: int, user: CurrentUser, session: SessionDep) -> None:
    """Sign one session out (a lost phone, say)."""
    await service.revoke_session(session, user=user, session_id=session_id)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **UNAUTHENTICATED,
        403: _error("The current password is wrong."),
        **INVALID,
        **TOO_MANY,
    },
)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    raw: str = Depends(bearer_token),
) -> None:
    """Change the password; every other session of the account is signed out."""
    await limit(request, Action.PASSWORD_CHANGE, account=user.email)
    await service.change_password(
        session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_raw=raw,
    )


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResetRequested,
    responses=TOO_MANY,
)
async def request_reset(
    body: ResetRequestIn, request: Request, session: SessionDep, settings: SettingsDep
) -> ResetRequested:
    """Ask for a one-time link to set a new password, mailed to the address's account; the
    answer never tells if the address has an account."""
    await limit(request, Action.RESET_REQUEST, account=body.email)
    lang = language(request.headers.get("accept-language"))
    await service.request_password_reset(
        session,
        email=body.email,
        lang=lang,
        base_url=settings.base_url,
        ttl_hours=settings.reset_ttl_hours,
    )
    answer = RESET_MAILED if settings.smtp_host else RESET_ASKED
    return ResetRequested(detail=render(answer, {}, lang))


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        422: _error("The link is unknown, used or expired; or the policy refuses the password."),
        **TOO_MANY,
    },
)
async def reset(body: ResetIn, request: Request, session: SessionDep) -> None:
    """Set a new password with a one-time link's token; every session is signed out."""
    await limit(request, Action.RESET)
    await service.reset_password(session, token=body.token, password=body.password)

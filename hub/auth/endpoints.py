"""Sign up, sign in, sign out, and who am I."""

from fastapi import APIRouter, Depends, status

from hub.auth import service
from hub.auth.schemas import SignupIn, SignupOut, TokenIn, TokenOut, UserOut
from hub.deps import CurrentUser, SessionDep, SettingsDep, bearer_token
from hub.ratelimit import limit_by_client

router = APIRouter(prefix="/auth", tags=["accounts"])


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SignupOut,
    dependencies=[Depends(limit_by_client)],
)
async def signup(body: SignupIn, session: SessionDep, settings: SettingsDep) -> SignupOut:
    """Create an account (hospital staff, maker or driver) and return a first token."""
    user = await service.create_user(session, **body.model_dump())
    raw, token = await service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return SignupOut(
        user=UserOut.model_validate(user), access_token=raw, expires_at=token.expires_at
    )


@router.post("/token", response_model=TokenOut, dependencies=[Depends(limit_by_client)])
async def token(body: TokenIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Exchange an email and password for a bearer token."""
    user = await service.authenticate_password(session, email=body.email, password=body.password)
    raw, row = await service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenOut(access_token=raw, expires_at=row.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(user: CurrentUser, session: SessionDep, raw: str = Depends(bearer_token)) -> None:
    """Revoke the token used for this request."""
    await service.revoke_token(session, raw)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    """Return the signed-in user."""
    return UserOut.model_validate(user)

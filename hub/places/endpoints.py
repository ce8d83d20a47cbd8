"""GET /places: find a place by typing."""

from typing import Annotated

from fastapi import APIRouter, Query

from hub.deps import CurrentUser, ReadSessionDep, SettingsDep
from hub.places import service
from hub.places.index import MAX_QUERY_CHARS
from hub.places.schemas import PlaceOut
from hub.validation import NAME_PATTERN

router = APIRouter(prefix="/places", tags=["places"])


@router.get(
    "",
    response_model=list[PlaceOut],
    responses={
        404: {"description": "Nothing matches the query."},
        422: {"description": "Empty query, or over 200 characters."},
    },
)
async def find(
    user: CurrentUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    # The limits are documented here but enforced by the service, which words its refusals
    # in the reader's language. A query of punctuation only is no error: nothing matches it.
    q: Annotated[
        str,
        Query(
            description="A postcode, commune, address or establishment.",
            json_schema_extra={
                "minLength": 1,
                "maxLength": MAX_QUERY_CHARS,
                "pattern": NAME_PATTERN,
            },
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> list[PlaceOut]:
    """Places matching ``q``, best first: communes (offline), establishments (the FINESS
    registry imported), street addresses (when a geocoder is configured)."""
    return await service.find_places(session, settings, q, limit=limit)

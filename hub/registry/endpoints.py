"""GET /{hospitals|labs}/{id}/registry: what the registry says about a site."""

from fastapi import APIRouter

from hub.deps import CurrentUser, ReadSessionDep
from hub.registry import service
from hub.registry.schemas import RegistryCheck
from hub.rules.states import SiteType
from hub.sites.service import get_site

router = APIRouter(tags=["registry"])


def _add(type: SiteType) -> None:
    @router.get(f"/{type}s/{{site_id}}/registry", response_model=RegistryCheck)
    async def check(site_id: int, user: CurrentUser, session: ReadSessionDep) -> RegistryCheck:
        """What the registry says about this site (coordinators of its area, its members):
        match or not, the registry's address and phone, the distance between the points."""
        site = await get_site(session, site_id, type)
        return await service.check_site(session, user=user, site=site)


for _type in (SiteType.HOSPITAL, SiteType.LAB):
    _add(_type)

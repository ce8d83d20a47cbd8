"""Replacing and reading a lab's offers."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import require_member
from hub.auth.models import User
from hub.errors import Invalid
from hub.events import service as events
from hub.i18n import _
from hub.needs.service import check_design
from hub.offers.models import Offer
from hub.offers.schemas import OfferIn
from hub.rules.states import SiteType
from hub.sites.service import get_site


async def replace_offers(
    session: AsyncSession, *, user: User, lab_id: int, offers: list[OfferIn]
) -> list[Offer]:
    """Replace all of a lab's offers with the given list (lab members only)."""
    lab = await get_site(session, lab_id, SiteType.LAB, lock=True)
    await require_member(session, user, lab)
    seen: set[str] = set()
    for offer in offers:
        check_design(offer.design)
        if offer.design in seen:
            raise Invalid(
                _("Design {design} appears twice; give one offer per design."),
                design=offer.design,
            )
        seen.add(offer.design)
    await session.execute(delete(Offer).where(Offer.lab_id == lab.id))
    rows = [Offer(lab_id=lab.id, **offer.model_dump()) for offer in offers]
    session.add_all(rows)
    await session.flush()
    await events.append(
        session,
        kind="lab.offers_replaced",
        entity="lab",
        entity_id=lab.id,
        actor_id=user.id,
        region=lab.region,
        departement=lab.departement,
        payload={
            "lab_id": lab.id,
            "offers": [
                {"design": o.design, "units_per_day": o.units_per_day, "stock": o.stock}
                for o in rows
            ],
        },
    )
    return rows


async def list_offers(session: AsyncSession, *, lab_id: int) -> list[Offer]:
    """Return a lab's offers."""
    await get_site(session, lab_id, SiteType.LAB)
    rows = await session.scalars(select(Offer).where(Offer.lab_id == lab_id).order_by(Offer.design))
    return list(rows.all())

"""Load the spring-2020 scenario into an empty hub: accounts, sites, needs, offers, a first run.

Everything goes through the services, so the demo's data and events are exactly what real use
would produce, and the live dashboard replays them like any other history.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.auth.service import create_user
from hub.db import Database
from hub.demo.scenario import Scenario, national_scenario
from hub.matching_runs.schemas import RunIn
from hub.matching_runs.service import run_matching
from hub.needs.schemas import NeedIn
from hub.needs.service import create_need
from hub.offers.schemas import OfferIn
from hub.offers.service import replace_offers
from hub.rules.states import Priority, SiteType
from hub.sites.models import Membership, Site
from hub.sites.schemas import HospitalIn, LabIn
from hub.sites.service import create_site, verify_site
from hub.timeutil import today

PASSWORD = "demo-2020"
# (email, role, area) of the accounts a visitor can sign in with.
ACCOUNTS = (
    ("coordinateur@demo.hub", "coordinator", None),
    ("coordinateur-ara@demo.hub", "coordinator", "region:84"),
    ("hopital@demo.hub", "hospital_staff", None),
    ("fablab@demo.hub", "maker", None),
    ("chauffeur@demo.hub", "driver", None),
)
# A few sites stay pending so the dashboard shows flagged needs, as in 2020.
PENDING_SHARE = 0.05


@dataclass(frozen=True)
class SeedReport:
    """What the seed created."""

    hospitals: int
    labs: int
    needs: int
    offers: int
    proposals: int


async def is_empty(db: Database) -> bool:
    """Tell whether the hub has no sites yet."""
    async with db.read_sessions() as session:
        return not await session.scalar(select(func.count()).select_from(Site))


async def _accounts(session: AsyncSession) -> dict[str, User]:
    users = {}
    for email, role, area in ACCOUNTS:
        users[email] = await create_user(
            session, email=email, password=PASSWORD, name=email.split("@")[0], role=role, area=area
        )
    users["admin"] = await create_user(
        session, email="admin@demo.hub", password=PASSWORD, name="admin", role="admin"
    )
    return users


async def _sites(
    session: AsyncSession, scenario: Scenario, admin: User, rng: random.Random
) -> dict[str, int]:
    """Create the scenario's hospitals and labs, most of them verified; return their ids."""
    site_ids: dict[str, int] = {}
    for i, h in enumerate(scenario.hospitals):
        data = HospitalIn(
            name=h.name,
            kind=h.kind,
            address=f"{h.commune} ({h.departement})",
            lat=h.lat,
            lon=h.lon,
            contact_name=f"Cadre de santé {i}",
            contact_phone=f"+33 1 00 00 {i // 100:02d} {i % 100:02d}",
            opens="07:00",
            closes="19:00",
            # Jittered ~1 km around a commune: one next to a border may land abroad.
            outside_france=True,
        )
        site = await create_site(session, user=admin, type=SiteType.HOSPITAL, data=data)
        site_ids[h.key] = site.id
    for i, lab in enumerate(scenario.labs):
        lab_data = LabIn(
            name=lab.name,
            kind=lab.kind,
            address=f"{lab.commune} ({lab.departement})",
            lat=lab.lat,
            lon=lab.lon,
            contact_name=f"Responsable {i}",
            contact_phone=f"+33 6 00 00 {i // 100:02d} {i % 100:02d}",
            equipment=["fdm"],
            outside_france=True,
        )
        site = await create_site(session, user=admin, type=SiteType.LAB, data=lab_data)
        site_ids[lab.key] = site.id
    for key, site_id in site_ids.items():
        if rng.random() >= PENDING_SHARE:
            kind = SiteType.HOSPITAL if key.startswith("H") else SiteType.LAB
            await verify_site(session, user=admin, site_id=site_id, type=kind)
    return site_ids


async def _needs_and_offers(
    session: AsyncSession, scenario: Scenario, admin: User, site_ids: dict[str, int], start: date
) -> None:
    """Post the scenario's needs and declare its labs' offers, dated from ``start``."""
    for need in scenario.needs:
        data = NeedIn(
            hospital_id=site_ids[scenario.need_site[str(need.id)]],
            design=need.design,
            quantity=need.quantity,
            needed_by=start + timedelta(days=need.due_day),
            priority=Priority(need.priority),
        )
        await create_need(session, user=admin, data=data, today=start)
    by_lab: dict[str, list[OfferIn]] = {}
    for offer in scenario.offers:
        by_lab.setdefault(str(offer.lab_id), []).append(
            OfferIn(
                design=offer.design,
                units_per_day=offer.units_per_day,
                available_from=start + timedelta(days=offer.first_day),
                available_until=(
                    None if offer.last_day is None else start + timedelta(days=offer.last_day)
                ),
                stock=offer.stock,
            )
        )
    for lab_key, offers in by_lab.items():
        await replace_offers(session, user=admin, lab_id=site_ids[lab_key], offers=offers)


async def seed(
    db: Database, *, n_needs: int = 400, n_offers: int = 300, seed: int = 2020
) -> SeedReport:
    """Fill an empty hub with a national scenario and run the matcher once."""
    scenario: Scenario = national_scenario(n_needs=n_needs, n_offers=n_offers, seed=seed)
    rng = random.Random(seed)
    start = today()
    async with db.transaction() as session:
        users = await _accounts(session)
        site_ids = await _sites(session, scenario, users["admin"], rng)
        # The demo people each belong to one site.
        first_hospital = site_ids[scenario.hospitals[0].key]
        first_lab = site_ids[scenario.labs[0].key]
        session.add(Membership(user_id=users["hopital@demo.hub"].id, site_id=first_hospital))
        session.add(Membership(user_id=users["fablab@demo.hub"].id, site_id=first_lab))
        await _needs_and_offers(session, scenario, users["admin"], site_ids, start)
    coordinator = users["coordinateur@demo.hub"]
    run = await run_matching(db, user=coordinator, params=RunIn(area="FR", send=True), today=start)
    return SeedReport(
        hospitals=len(scenario.hospitals),
        labs=len(scenario.labs),
        needs=len(scenario.needs),
        offers=len(scenario.offers),
        proposals=len(run.assignments),
    )

"""Service functions called directly with a session, below the HTTP layer."""

from datetime import timedelta

import pytest
from support.data import PASSWORD

from hub.auth.service import create_user
from hub.batches import service as batches
from hub.errors import Conflict, Forbidden, Invalid
from hub.needs.schemas import NeedIn
from hub.needs.service import create_need
from hub.offers.schemas import OfferIn
from hub.offers.service import replace_offers
from hub.rules.states import SiteType
from hub.sites.schemas import HospitalIn, LabIn
from hub.sites.service import create_site, verify_site
from hub.stats.service import totals
from hub.timeutil import today


@pytest.fixture
async def db(app):
    """The test app's database."""
    return app.state.db


async def _world(db):
    async with db.transaction() as s:
        staff = await create_user(
            s, email="s@x.org", password="correct horse battery", name="S", role="hospital_staff"
        )
        maker = await create_user(
            s, email="m@x.org", password="correct horse battery", name="M", role="maker"
        )
        hospital = await create_site(
            s,
            user=staff,
            type=SiteType.HOSPITAL,
            data=HospitalIn(name="H", kind="hospital", address="x", lat=48.39, lon=-4.49),
        )
        lab = await create_site(
            s,
            user=maker,
            type=SiteType.LAB,
            data=LabIn(name="L", kind="fablab", address="x", lat=48.0, lon=-4.1),
        )
        admin = await create_user(s, email="a@x.org", password=PASSWORD, name="A", role="admin")
        for site in (hospital, lab):
            await verify_site(s, user=admin, site_id=site.id, type=SiteType(site.type))
        await replace_offers(
            s,
            user=maker,
            lab_id=lab.id,
            offers=[OfferIn(design=d, units_per_day=0, available_from=today(), stock=1000)
                    for d in ("ear-saver", "gown-sewn")],
        )  # fmt: skip
        need, created, _hospital = await create_need(
            s,
            user=staff,
            today=today(),
            data=NeedIn(
                hospital_id=hospital.id,
                design="ear-saver",
                quantity=30,
                needed_by=today() + timedelta(days=2),
                priority="high",
            ),
        )
    assert created
    return staff, maker, hospital, lab, need


async def test_claim_beyond_remaining_raises_conflict_and_writes_nothing(db) -> None:
    _, maker, _, lab, need = await _world(db)
    async with db.transaction() as s:
        await batches.claim(
            s, user=maker, need_id=need.id, lab_id=lab.id, quantity=25, design=None, today=today()
        )
    with pytest.raises(Conflict, match="Only 5 units"):
        async with db.transaction() as s:
            await batches.claim(
                s,
                user=maker,
                need_id=need.id,
                lab_id=lab.id,
                quantity=6,
                design=None,
                today=today(),
            )
    async with db.read_sessions() as s:
        assert (await totals(s, None))["ear-saver"]["claimed"] == 25


async def test_progress_rules(db) -> None:
    staff, maker, _, lab, need = await _world(db)
    async with db.transaction() as s:
        batch = await batches.claim(
            s, user=maker, need_id=need.id, lab_id=lab.id, quantity=10, design=None, today=today()
        )
    async with db.transaction() as s:
        await batches.report_progress(s, user=maker, batch_id=batch.id, made=6)
    with pytest.raises(Conflict):
        async with db.transaction() as s:
            await batches.report_progress(s, user=maker, batch_id=batch.id, made=5)
    with pytest.raises(Invalid):
        async with db.transaction() as s:
            await batches.report_progress(s, user=maker, batch_id=batch.id, made=11)
    with pytest.raises(Forbidden):
        async with db.transaction() as s:
            await batches.report_progress(s, user=staff, batch_id=batch.id, made=7)
    async with db.read_sessions() as s:
        assert (await batches.get_batch(s, batch.id)).made == 6


async def test_claim_of_a_design_the_need_does_not_accept(db) -> None:
    _, maker, _, lab, need = await _world(db)
    with pytest.raises(Invalid, match="accepts"):
        async with db.transaction() as s:
            await batches.claim(
                s,
                user=maker,
                need_id=need.id,
                lab_id=lab.id,
                quantity=1,
                design="gown-sewn",
                today=today(),
            )


async def test_lock_batch_reads_again_what_a_session_kept_from_an_earlier_transaction(
    hub, db
) -> None:
    """A session that outlives a transaction keeps its rows (``expire_on_commit`` is off):
    locking a batch must read the batch and its need again, not reuse what another writer has
    changed since. Written when SQLite's path began reading both in one statement."""
    from datetime import date

    from hub.batches.records import lock_batch

    staff, maker = await hub.account("hospital_staff"), await hub.account("maker")
    hospital = await hub.site(staff, "hospitals")
    lab = await hub.site(maker, "labs")
    need = await hub.need(staff, hospital["id"], quantity=50)
    claimed = await hub.claim(maker, need["id"], lab["id"], 10)
    async with db.sessions() as kept:
        async with kept.begin():
            batch, kept_need = await lock_batch(kept, claimed["id"])
        async with db.transaction() as other:  # another writer, fields outside the totals
            theirs, their_need = await lock_batch(other, claimed["id"])
            theirs.due, their_need.priority = date(2031, 1, 2), "critical"
        async with kept.begin():
            again, again_need = await lock_batch(kept, claimed["id"])
    assert (again, again_need) == (batch, kept_need)  # the same objects, read again
    assert (again.due, again_need.priority) == (date(2031, 1, 2), "critical")

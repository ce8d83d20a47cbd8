"""Import a sheet of hospitals, labs, needs or batches: read, check every row, then apply.

One engine for the command line (``hub import``) and the coordinators' page
(``POST /api/v1/imports/{kind}``):

- the file is read and its columns matched first; a file that is not a spreadsheet, too large,
  or without the columns its kind needs is refused as a whole, changing nothing;
- each row is then read and applied in its own savepoint, inside one transaction: a bad row is
  rejected with its line, column and reason, and never spoils the others;
- the transaction commits only at the end, and only when asked to (not a dry run) and allowed
  (``all_or_nothing`` commits nothing if any row was rejected);
- every row has a stable key, so that importing the same file again updates instead of
  duplicating: its ``external_id`` (for sites also a FINESS or SIRET number); without one, a
  site is the one of the same type with the same name and the same address or within 500 m,
  a need the one of the same hospital, design and date, a batch the one with the same code.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access import covers, is_member, require_role
from hub.auth.models import User
from hub.batches.cascades import cancel_need
from hub.batches.models import Batch
from hub.batches.records import contribution, new_batch, record
from hub.db import Database
from hub.errors import Conflict, Forbidden, HubError, Invalid
from hub.events import service as events
from hub.geo.territory import Whereabouts
from hub.geodesy import haversine_km
from hub.i18n import N_, Lang, Message, _, render
from hub.i18n.validation import validation_message
from hub.imports.cells import fold
from hub.imports.reading import Table, read_table
from hub.imports.rows import ImportKind, Layout, Row, layout, read_rows
from hub.needs.models import Need
from hub.needs.schemas import NeedIn
from hub.needs.service import allocated, check_design, create_need, get_need, refresh_status
from hub.rules.states import (
    INACTIVE,
    BatchState,
    NeedStatus,
    Role,
    SiteStatus,
    SiteType,
)
from hub.rules.totals import need_contribution, subtract
from hub.sites.models import Site
from hub.sites.schemas import HospitalIn, LabIn
from hub.sites.service import check_place, create_site, verify_site
from hub.timeutil import local_today
from hub.validation import hhmm_to_minutes

Action = Literal["created", "updated", "unchanged", "rejected"]
#: Two rows naming the same site without a key: same name, and the same address or this close.
SAME_PLACE_KM = 0.5
#: The order a batch's state moves in; a re-import never moves one back.
STATE_ORDER = [
    BatchState.PROPOSED,
    BatchState.CLAIMED,
    BatchState.READY,
    BatchState.PICKED_UP,
    BatchState.DELIVERED,
    BatchState.RECEIVED,
]
COUNTERS = ("made", "picked_up", "delivered", "accepted", "rejected")


@dataclass
class Problem:
    """Why a row was rejected: the file's column (None for the whole row) and a message, or a
    pydantic error (``validation``), both worded when shown (:func:`describe`)."""

    column: str | None
    message: Message | None
    params: dict[str, Any] = field(default_factory=dict)
    validation: Any = None


@dataclass
class Outcome:
    """What happened to one row: created, updated, unchanged or rejected (with problems)."""

    line: int
    action: Action
    label: str = ""
    id: int | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Report:
    """The result of an import: how the file was read, every row's outcome, what was applied."""

    kind: ImportKind
    format: str
    encoding: str | None
    separator: str | None
    ignored_columns: list[str]
    outcomes: list[Outcome]
    dry_run: bool
    all_or_nothing: bool
    applied: bool

    def count(self, action: Action) -> int:
        """How many rows had this outcome."""
        return sum(1 for o in self.outcomes if o.action == action)


class _Rejected(Exception):
    """A row's problems, raised inside its savepoint so that its changes are undone."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("row rejected")
        self.problems = problems


class _DryRun(Exception):
    """Raised at the end of a dry run (or a refused all-or-nothing import) to roll back."""


def _reject(column: str | None, message: Message, **params: Any) -> _Rejected:
    return _Rejected([Problem(column, message, params)])


class Importer:
    """Applies checked rows of one kind in the caller's transaction, remembering keys seen."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        user: User,
        plan: Layout,
        verify: bool,
        today: date,
    ) -> None:
        self.session = session
        self.user = user
        self.plan = plan
        self.verify = verify
        self.today = today
        self.seen: dict[tuple[Any, ...], int] = {}
        self._sites: dict[SiteType, dict[str, list[Site]]] = {}
        # Needs without a key, by hospital: (design, needed_by) -> need id.
        self._needs: dict[int, dict[tuple[str, date], int]] = {}
        self.apply: Callable[[Row], Awaitable[Outcome]] = {
            "hospitals": self._site,
            "labs": self._site,
            "needs": self._need,
            "batches": self._batch,
        }[plan.kind]

    # --- shared ---------------------------------------------------------------------------

    def remember(self) -> Any:
        """What the importer knows, to forget what a rolled-back chunk taught it."""
        return (
            dict(self.seen),
            {t: {k: list(v) for k, v in index.items()} for t, index in self._sites.items()},
            {k: dict(v) for k, v in self._needs.items()},
        )

    def restore(self, memory: Any) -> None:
        """Go back to what :meth:`remember` returned."""
        self.seen, self._sites, self._needs = memory

    def _validated(self, schema: type[BaseModel], data: dict[str, Any]) -> Any:
        """``data`` as ``schema``, or the row's problems by column (in the catalogue's words)."""
        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                loc = error.get("loc") or ()
                key = str(loc[0]) if loc else None
                column = self.plan.heading(key) if key else None
                problems.append(Problem(column, None, validation=error))
            raise _Rejected(problems) from exc

    def _once(self, key: tuple[Any, ...], line: int, what: Message) -> None:
        """Refuse a second row with the same key in one file."""
        first = self.seen.get(key)
        if first is not None:
            raise _reject(
                None,
                _("Same {what} as line {first}: this line is skipped."),
                what=what,
                first=first,
            )
        self.seen[key] = line

    def _covers(self, region: str | None, departement: str | None) -> None:
        if not covers(self.user, region, departement):
            raise _reject(
                None,
                _(
                    "This place is outside your area ({area}); a coordinator of its area "
                    "imports it."
                ),
                area=self.user.area or "FR",
            )

    # --- sites ----------------------------------------------------------------------------

    async def _site_index(self, type_: SiteType) -> dict[str, list[Site]]:
        """Sites of a type by folded name, loaded once per import."""
        if type_ not in self._sites:
            index: dict[str, list[Site]] = {}
            for site in (await self.session.scalars(select(Site).where(Site.type == type_))).all():
                index.setdefault(fold(site.name), []).append(site)
            self._sites[type_] = index
        return self._sites[type_]

    async def _same_site(
        self, type_: SiteType, name: str, address: str, lat: float, lon: float
    ) -> Site | None:
        for site in (await self._site_index(type_)).get(fold(name), []):
            if site.external_id is None and (
                fold(site.address) == fold(address)
                or haversine_km(site.lat, site.lon, lat, lon) <= SAME_PLACE_KM
            ):
                return site
        return None

    async def _site(self, row: Row) -> Outcome:
        v = row.values
        type_ = SiteType.LAB if self.plan.kind == "labs" else SiteType.HOSPITAL
        schema: type[BaseModel] = LabIn if type_ == SiteType.LAB else HospitalIn
        fields = [
            "name",
            "kind",
            "address",
            "lat",
            "lon",
            "contact_name",
            "contact_phone",
            "opens",
            "closes",
            "equipment",
        ]
        data = {k: v[k] for k in fields if k in v and (k != "equipment" or type_ == SiteType.LAB)}
        data.setdefault("kind", "fablab" if type_ == SiteType.LAB else "hospital")
        site_in = self._validated(schema, data)
        whereabouts = check_place(site_in.lon, site_in.lat, outside_france=site_in.outside_france)
        place = whereabouts.codes
        region = place.region if place else None
        departement = place.departement if place else None
        self._covers(region, departement)
        external = v.get("external_id")
        if external:
            self._once(("site", external), row.line, _("key (external_id)"))
        else:
            self._once(
                ("site", fold(site_in.name), fold(site_in.address)), row.line, _("name and address")
            )
        existing = None
        if external:
            existing = await self.session.scalar(
                select(Site).where(Site.type == type_, Site.external_id == external)
            )
        if existing is None:
            existing = await self._same_site(
                type_, site_in.name, site_in.address, site_in.lat, site_in.lon
            )
        wants_verified = self.verify or v.get("status") == SiteStatus.VERIFIED
        if existing is None:
            site = await create_site(self.session, user=self.user, type=type_, data=site_in)
            site.external_id = external
            (await self._site_index(type_)).setdefault(fold(site.name), []).append(site)
            if wants_verified:
                await verify_site(self.session, user=self.user, site_id=site.id, type=type_)
            return Outcome(row.line, "created", site.name, site.id)
        self._covers(existing.region, existing.departement)
        changed = self._update_site(existing, site_in, set(v), external, whereabouts)
        if changed:
            await events.append(
                self.session,
                kind=f"{type_}.updated",
                entity=type_,
                entity_id=existing.id,
                actor_id=self.user.id,
                region=existing.region,
                departement=existing.departement,
                payload={"fields": sorted(changed), "lat": existing.lat, "lon": existing.lon},
            )
        if wants_verified and existing.status != SiteStatus.VERIFIED:
            await verify_site(self.session, user=self.user, site_id=existing.id, type=type_)
            changed.add("status")
        return Outcome(row.line, "updated" if changed else "unchanged", existing.name, existing.id)

    def _update_site(
        self,
        site: Site,
        data: Any,
        given: set[str],
        external: str | None,
        whereabouts: Whereabouts,
    ) -> set[str]:
        """Copy what the row says onto a site; return the names of the fields that changed.

        Only what the row gives: a file without hours, kind or contact keeps the hub's.
        """
        wanted: dict[str, Any] = {
            "name": data.name.strip(),
            "address": data.address.strip(),
            "lat": data.lat,
            "lon": data.lon,
            "region": whereabouts.codes.region if whereabouts.codes else None,
            "departement": whereabouts.codes.departement if whereabouts.codes else None,
            "time_zone": whereabouts.time_zone,
            "land": whereabouts.land,
        }
        if "kind" in given:
            wanted["kind"] = data.kind
        if "opens" in given or "closes" in given:
            wanted["opens_min"] = hhmm_to_minutes(data.opens)
            wanted["closes_min"] = hhmm_to_minutes(data.closes)
        for key in ("contact_name", "contact_phone"):
            if key in given:
                wanted[key] = getattr(data, key)
        if isinstance(data, LabIn) and "equipment" in self.plan.index:
            wanted["equipment"] = list(data.equipment)
        if external and site.external_id != external:
            wanted["external_id"] = external
        changed = set()
        for key, value in wanted.items():
            if getattr(site, key) != value:
                setattr(site, key, value)
                changed.add(key)
        return changed

    # --- needs ----------------------------------------------------------------------------

    async def _by_name(self, type_: SiteType, name: str, hint_id: int | None, column: str) -> Site:
        matches = (await self._site_index(type_)).get(fold(name), [])
        if hint_id is not None:
            matches = [s for s in matches if s.id == hint_id] or matches
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise _reject(
                self.plan.heading(column),
                _("No {type} is named {name} in the hub."),
                type=type_,
                name=repr(name),
            )
        raise _reject(
            self.plan.heading(column),
            _("More than one {type} is named {name} (ids {ids}); give their external_id instead."),
            type=type_,
            name=repr(name),
            ids=", ".join(str(s.id) for s in matches),
        )

    async def _site_ref(self, row: Row, type_: SiteType, prefix: str) -> Site:
        """The hospital or lab a row names: by external id, else by name, else by hub id."""
        v = row.values
        external = v.get(f"{prefix}_external_id")
        if external:
            site = await self.session.scalar(
                select(Site).where(Site.type == type_, Site.external_id == external)
            )
            if site is None:
                raise _reject(
                    self.plan.heading(f"{prefix}_external_id"),
                    _("No {type} has the key {key}; import it first."),
                    type=type_,
                    key=repr(external),
                )
            return site
        hint = v.get(f"{prefix}_id")
        if v.get(prefix):
            return await self._by_name(type_, v[prefix], hint, prefix)
        if hint is not None:
            site = await self.session.get(Site, hint)
            if site is None or site.type != type_:
                raise _reject(
                    self.plan.heading(f"{prefix}_id"),
                    _("There is no {type} with id {id}."),
                    type=type_,
                    id=hint,
                )
            return site
        raise _reject(None, _("This line does not say which {type} it is for."), type=type_)

    async def _need(self, row: Row) -> Outcome:
        v = row.values
        hospital = await self._site_ref(row, SiteType.HOSPITAL, "hospital")
        data = {
            "hospital_id": hospital.id,
            "design": v.get("design"),
            "quantity": v.get("quantity"),
            "needed_by": v.get("needed_by"),
            "priority": v.get("priority", "normal"),
            "accepts": v.get("accepts", []),
        }
        need_in: NeedIn = self._validated(NeedIn, {k: x for k, x in data.items() if x is not None})
        label = f"{hospital.name} · {need_in.design} × {need_in.quantity}"
        external = v.get("external_id")
        natural = (hospital.id, need_in.design, need_in.needed_by)
        if external:
            self._once(("need", external), row.line, _("key (external_id)"))
        else:
            self._once(("need", *natural), row.line, _("hospital, design and date"))
        existing = None
        if external:
            existing = await self.session.scalar(select(Need).where(Need.external_id == external))
        if existing is None:
            found = (await self._hospital_needs(hospital.id)).get(natural[1:])
            existing = await self.session.get(Need, found) if found else None
        cancel = v.get("status") == NeedStatus.CANCELLED
        if existing is None:
            need = (await create_need(self.session, user=self.user, data=need_in)).need
            need.external_id = external
            if external is None:
                self._needs[hospital.id][natural[1:]] = need.id
            if cancel:
                await cancel_need(self.session, user=self.user, need_id=need.id)
            return Outcome(row.line, "created", label, need.id)
        return await self._update_need(row, existing, need_in, external, cancel, label)

    async def _hospital_needs(self, hospital_id: int) -> dict[tuple[str, date], int]:
        """A hospital's needs without a key, by design and date (read once per import)."""
        if hospital_id not in self._needs:
            rows = await self.session.execute(
                select(Need.design, Need.needed_by, Need.id)
                .where(Need.hospital_id == hospital_id, Need.external_id.is_(None))
                .order_by(Need.id.desc())
            )
            # Oldest last, so that it wins: the first need posted for the day is the one.
            self._needs[hospital_id] = {(d, by): i for d, by, i in rows.all()}
        return self._needs[hospital_id]

    async def _update_need(
        self, row: Row, need: Need, data: NeedIn, external: str | None, cancel: bool, label: str
    ) -> Outcome:
        need = await get_need(self.session, need.id, lock=True)
        if self.user.role != Role.ADMIN and not await is_member(
            self.session, self.user, need.hospital_id
        ):
            raise Forbidden(
                _("You are not staff of hospital {id} ({name})."),
                id=need.hospital_id,
                name=label.split(" · ")[0],
            )
        if need.hospital_id != data.hospital_id or need.design != data.design:
            raise _reject(
                None,
                _(
                    "Need {id} is for another hospital or design; a need keeps "
                    "both: cancel it and import a new one."
                ),
                id=need.id,
            )
        wanted: dict[str, Any] = {
            "quantity": data.quantity,
            "needed_by": data.needed_by,
            "priority": data.priority,
            "accepts": sorted({data.design, *data.accepts}),
        }
        if external and need.external_id != external:
            wanted["external_id"] = external
        changed = {k for k, x in wanted.items() if getattr(need, k) != x}
        if need.status == NeedStatus.CANCELLED:
            if changed - {"external_id"}:
                raise _reject(None, _("Need {id} was cancelled; it is not changed."), id=need.id)
            for key in changed:
                setattr(need, key, wanted[key])
            return Outcome(row.line, "updated" if changed else "unchanged", label, need.id)
        if "quantity" in changed:
            held = await allocated(self.session, need.id)
            if data.quantity < held:
                raise _reject(
                    self.plan.heading("quantity"),
                    _(
                        "Need {id} already has {held} units given to labs; its quantity "
                        "cannot go below."
                    ),
                    id=need.id,
                    held=held,
                )
        if "needed_by" in changed:
            # Today on the hospital's own clock, as when the need was posted.
            clock = await self.session.scalar(
                select(Site.time_zone).where(Site.id == need.hospital_id)
            )
            local = local_today(clock)
            if data.needed_by < local:
                raise _reject(
                    self.plan.heading("needed_by"),
                    _("needed_by ({needed_by}) is in the past; today is {today}."),
                    needed_by=data.needed_by,
                    today=local,
                )
        for slug in data.accepts:
            check_design(slug)
        before = need_contribution(need.design, need.quantity, need.status)
        for key in changed:
            setattr(need, key, wanted[key])
        if changed:
            await refresh_status(self.session, need)
            await events.append(
                self.session,
                kind="need.updated",
                entity="need",
                entity_id=need.id,
                actor_id=self.user.id,
                region=need.region,
                departement=need.departement,
                payload={"need_id": need.id, "fields": sorted(changed), "quantity": need.quantity},
                totals_delta=subtract(
                    need_contribution(need.design, need.quantity, need.status), before
                ),
            )
        if cancel:
            await cancel_need(self.session, user=self.user, need_id=need.id)
            changed.add("status")
        return Outcome(row.line, "updated" if changed else "unchanged", label, need.id)

    # --- batches --------------------------------------------------------------------------

    async def _need_ref(self, row: Row, design: str | None) -> Need:
        v = row.values
        external = v.get("need_external_id")
        if external:
            need = await self.session.scalar(select(Need).where(Need.external_id == external))
            if need is None:
                raise _reject(
                    self.plan.heading("need_external_id"),
                    _("No need has the key {key}; import it first."),
                    key=repr(external),
                )
            return need
        if v.get("hospital") and v.get("needed_by"):
            hospital = await self._site_ref(row, SiteType.HOSPITAL, "hospital")
            candidates = (
                await self.session.scalars(
                    select(Need)
                    .where(Need.hospital_id == hospital.id, Need.needed_by == v["needed_by"])
                    .order_by(Need.id)
                )
            ).all()
            fitting = [
                n for n in candidates if design is None or design in (n.accepts or [n.design])
            ]
            if v.get("need_id") is not None:
                fitting = [n for n in fitting if n.id == v["need_id"]] or fitting
            if len(fitting) == 1:
                return fitting[0]
            if not fitting:
                raise _reject(
                    None,
                    _("{hospital} has no need for {date} that fits this batch."),
                    hospital=hospital.name,
                    date=v["needed_by"],
                )
            raise _reject(
                None,
                _("{hospital} has several needs for {date}; give need_external_id."),
                hospital=hospital.name,
                date=v["needed_by"],
            )
        if v.get("need_id") is not None:
            return await get_need(self.session, v["need_id"])
        raise _reject(
            None,
            _(
                "This line does not say which need it is for (need_external_id, "
                "or hospital and needed_by)."
            ),
        )

    async def _batch(self, row: Row) -> Outcome:
        v = row.values
        lab = await self._site_ref(row, SiteType.LAB, "lab")
        need = await self._need_ref(row, v.get("design"))
        need = await get_need(self.session, need.id, lock=True)
        design = v.get("design") or need.design
        state = BatchState(v.get("state", BatchState.PROPOSED))
        counts = {c: int(v.get(c, 0)) for c in COUNTERS}
        quantity = int(v["quantity"]) if "quantity" in v else 0
        self._check_counts(state, quantity, counts)
        if design not in (need.accepts or [need.design]):
            raise _reject(
                self.plan.heading("design"),
                _("Need {id} accepts {accepted}, not {chosen}."),
                id=need.id,
                accepted=", ".join(need.accepts or [need.design]),
                chosen=design,
            )
        external, code = v.get("external_id"), v.get("code")
        if external or code:
            self._once(("batch", external or code), row.line, _("key (external_id or code)"))
        existing = None
        if external:
            existing = await self.session.scalar(select(Batch).where(Batch.external_id == external))
        if existing is None and code:
            existing = await self.session.scalar(select(Batch).where(Batch.code == code))
            if existing is not None and external and existing.external_id not in (None, external):
                raise _reject(
                    self.plan.heading("code"), _("Code {code} belongs to another batch."), code=code
                )
        label = f"{lab.name} → {need.id} · {design} × {quantity}"
        if existing is None:
            if need.status == NeedStatus.CANCELLED and state not in INACTIVE:
                raise _reject(None, _("Need {id} was cancelled."), id=need.id)
            if state not in INACTIVE:
                remaining = need.quantity - await allocated(self.session, need.id)
                if quantity > remaining:
                    raise Conflict(
                        N_(
                            "Only {left} unit of need {id} remains unclaimed; you asked for "
                            "{quantity}.",
                            "Only {left} units of need {id} remain unclaimed; you asked for "
                            "{quantity}.",
                            "left",
                        ),
                        left=max(remaining, 0),
                        id=need.id,
                        quantity=quantity,
                    )
            batch = new_batch(
                need=need, lab_id=lab.id, quantity=quantity, design=design, state=state
            )
            if code:
                batch.code = code
            batch.external_id = external
            for counter, value in counts.items():
                setattr(batch, counter, value)
            batch.reject_reason = v.get("reject_reason")
            self.session.add(batch)
            await self.session.flush()
            await record(
                self.session,
                batch=batch,
                need=need,
                before={design: {}},
                kind="batch.imported",
                actor=self.user,
            )
            return Outcome(row.line, "created", f"{batch.code} · {label}", batch.id)
        return await self._update_batch(
            row, existing, need, lab, state, quantity, counts, external, label
        )

    def _check_counts(self, state: BatchState, quantity: int, c: dict[str, int]) -> None:
        """The invariants of SPEC section 2, and what a batch in ``state`` can have counted."""
        if not 0 <= c["delivered"] <= c["picked_up"] <= c["made"] <= quantity:
            raise _reject(None, _("Counts must satisfy delivered ≤ picked_up ≤ made ≤ quantity."))
        if c["accepted"] + c["rejected"] > c["delivered"]:
            raise _reject(None, _("accepted + rejected must not exceed delivered."))
        untouched = {
            BatchState.PROPOSED: COUNTERS,
            BatchState.DECLINED: COUNTERS,
            BatchState.CLAIMED: COUNTERS[1:],
            BatchState.READY: COUNTERS[1:],
            BatchState.CANCELLED: COUNTERS[1:],
            BatchState.PICKED_UP: COUNTERS[2:],
            BatchState.DELIVERED: COUNTERS[3:],
        }.get(state, ())
        wrong = [k for k in untouched if c[k]]
        if wrong:
            raise _reject(
                self.plan.heading(wrong[0]),
                _("A batch in state {state} has no {counter} yet."),
                state=state,
                counter=wrong[0],
            )

    async def _update_batch(
        self,
        row: Row,
        batch: Batch,
        need: Need,
        lab: Site,
        state: BatchState,
        quantity: int,
        counts: dict[str, int],
        external: str | None,
        label: str,
    ) -> Outcome:
        locked = await self.session.scalar(
            select(Batch)
            .where(Batch.id == batch.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        batch = locked or batch
        label = f"{batch.code} · {label}"
        if batch.need_id != need.id or batch.lab_id != lab.id or batch.quantity != quantity:
            raise _reject(
                None,
                _(
                    "Batch {code} is for another need, lab or quantity; a batch "
                    "keeps them (a coordinator adjusts it in the hub)."
                ),
                code=batch.code,
            )
        old = BatchState(batch.state)
        reason = row.values.get("reject_reason")
        same = (
            old == state
            and all(getattr(batch, k) == x for k, x in counts.items())
            and reason in (None, batch.reject_reason)
        )
        if same and (not external or batch.external_id == external):
            return Outcome(row.line, "unchanged", label, batch.id)
        backwards = (
            any(getattr(batch, k) > x for k, x in counts.items())
            or (
                old in STATE_ORDER
                and state in STATE_ORDER
                and STATE_ORDER.index(state) < STATE_ORDER.index(old)
            )
            or (old in INACTIVE and state != old)
        )
        if backwards:
            raise _reject(
                None,
                _(
                    "Batch {code} is further along in the hub ({state}, {made} "
                    "made); counts only move forward."
                ),
                code=batch.code,
                state=old,
                made=batch.made,
            )
        before = contribution(batch)
        batch.state = state
        for counter, value in counts.items():
            setattr(batch, counter, value)
        if external:
            batch.external_id = external
        if reason is not None:
            batch.reject_reason = reason
        await record(
            self.session,
            batch=batch,
            need=need,
            before=before,
            kind="batch.imported",
            actor=self.user,
        )
        return Outcome(row.line, "updated", label, batch.id)


def describe(problem: Problem, lang: Lang) -> str:
    """A problem's reason in ``lang``."""
    if problem.message is None:
        return validation_message(problem.validation, lang)
    return render(problem.message, problem.params, lang)


#: Rows applied together in one savepoint; a chunk with a rejected row is applied again row by
#: row. Savepoints cost two round trips to the database each: per chunk, not per row.
CHUNK = 200


async def _one_by_one(
    session: AsyncSession, importer: Importer, rows: list[Row], outcomes: list[Outcome]
) -> None:
    """Apply rows each in its own savepoint: a rejected row undoes only its own changes."""
    for row in rows:
        try:
            async with session.begin_nested():
                outcomes.append(await importer.apply(row))
        except _Rejected as exc:
            outcomes.append(Outcome(row.line, "rejected", problems=exc.problems))
        except HubError as exc:
            outcomes.append(
                Outcome(row.line, "rejected", problems=[Problem(None, exc.msg, exc.params)])
            )


async def apply_rows(
    session: AsyncSession,
    *,
    user: User,
    table: Table,
    plan: Layout,
    verify: bool,
    today: date,
) -> list[Outcome]:
    """Read and apply every row of ``table`` in ``session``; a rejected row changes nothing.

    Rows that read well are applied in chunks of :data:`CHUNK`, each in a savepoint; when a
    row of a chunk is rejected, the chunk is rolled back and applied again row by row.
    """
    importer = Importer(session, user=user, plan=plan, verify=verify, today=today)
    outcomes: list[Outcome] = []
    pending: list[Row] = []

    async def flush() -> None:
        """Apply the pending rows: together if they all pass, else one by one."""
        if not pending:
            return
        memory = importer.remember()
        try:
            async with session.begin_nested():
                done = [await importer.apply(row) for row in pending]
            outcomes.extend(done)
        except (_Rejected, HubError):
            importer.restore(memory)
            await _one_by_one(session, importer, pending, outcomes)
        pending.clear()

    for row in read_rows(table, plan):
        if row.problems:
            await flush()
            problems = [Problem(c, m, p) for c, m, p in row.problems]
            outcomes.append(Outcome(row.line, "rejected", problems=problems))
            continue
        pending.append(row)
        if len(pending) >= CHUNK:
            await flush()
    await flush()
    return outcomes


async def import_file(
    db: Database,
    *,
    user: User,
    kind: ImportKind,
    data: bytes,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    verify: bool = False,
    today: date,
) -> Report:
    """Import a file of ``kind`` (coordinators; batches: admins); see the module's docstring.

    Raises :class:`Invalid` (changing nothing) for a file that cannot be read as a whole.
    """
    require_role(user, Role.ADMIN if kind == "batches" else Role.COORDINATOR)
    table = read_table(data)
    plan = layout(kind, table)
    outcomes: list[Outcome] = []
    applied = False
    try:
        async with db.transaction() as session:
            outcomes = await apply_rows(
                session, user=user, table=table, plan=plan, verify=verify, today=today
            )
            rejected = any(o.action == "rejected" for o in outcomes)
            if dry_run or (all_or_nothing and rejected):
                raise _DryRun
            applied = True
    except _DryRun:
        applied = False
    return Report(
        kind=kind,
        format=table.format,
        encoding=table.encoding,
        separator=table.separator,
        ignored_columns=plan.ignored,
        outcomes=outcomes,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        applied=applied,
    )


def check_kind(kind: str) -> ImportKind:
    """``kind`` as an import kind, or 422."""
    if kind not in ("hospitals", "labs", "needs", "batches"):
        raise Invalid(_("Import hospitals, labs, needs or batches, not {kind}."), kind=repr(kind))
    return kind  # type: ignore[return-value]

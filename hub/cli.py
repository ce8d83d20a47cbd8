"""The ``hub`` command: serve, users, db, import, export, backup, restore."""

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.models import User
from hub.config import get_settings
from hub.db import Database
from hub.errors import HubError
from hub.i18n import C_, Lang, _
from hub.ops.logs import logging_config
from hub.ops.serving import WEBSOCKETS

app = typer.Typer(help="The hub: coordination of distributed emergency production.")
users_app = typer.Typer(help="Manage accounts.")
db_app = typer.Typer(help="Manage the database.")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")
SYSTEM_EMAIL = "system@hub.invalid"


def run(coro: Callable[[Database], Awaitable[T]], *, migrate: bool = True) -> T:
    """Open the configured database, migrate it, and run ``coro`` with it."""

    async def main() -> T:
        from hub.migrate import upgrade

        db = Database.from_settings(get_settings())
        try:
            if migrate:
                await upgrade(db.engine)
            return await coro(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def system_user(session: AsyncSession) -> User:
    """Return the account command-line imports act as (it can never sign in)."""
    user = await session.scalar(select(User).where(User.email == SYSTEM_EMAIL, User.email_holder))
    if user is None:
        # "!" is not an argon2 hash, so no password ever verifies against it.
        user = User(email=SYSTEM_EMAIL, name="command line", password_hash="!", role="admin")
        session.add(user)
        await session.flush()
    return user


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Apply pending migrations, then serve the API, the dashboard and the live stream."""
    import uvicorn

    # The app reads its settings from the environment in its factory: the address served is
    # what links in mails name (Settings.base_url) when no HUB_PUBLIC_URL says otherwise.
    if host:
        os.environ["HUB_HOST"] = host
    if port:
        os.environ["HUB_PORT"] = str(port)
    get_settings.cache_clear()
    settings = get_settings()

    async def nothing(_: Database) -> None:
        return None

    run(nothing)
    uvicorn.run(
        "hub.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        # The hub finds the client itself, believing X-Forwarded-For only from
        # HUB_TRUSTED_PROXIES (hub.limits.clients); uvicorn's own handling would trust it from
        # 127.0.0.1 (its default) or from anywhere ("*").
        proxy_headers=False,
        # One JSON object per line (HUB_LOG_FORMAT), each request logged once by the hub
        # with its request id (hub.ops.middleware), so not by uvicorn as well.
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,
        ws=WEBSOCKETS,
        # SIGTERM (or SIGINT): uvicorn stops accepting, closes each websocket with 1012
        # ("service restart": the dashboard reconnects, to another process if there is
        # one), lets in-flight requests finish within this grace, then runs the lifespan's
        # shutdown (live stream, pools) and exits.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    needs: Annotated[int, typer.Option(help="Needs in the generated scenario.")] = 400,
    offers: Annotated[int, typer.Option(help="Offers in the generated scenario.")] = 300,
    interval: Annotated[float, typer.Option(help="Seconds between two live steps.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Scenario seed.")] = 2020,
) -> None:
    """Start the hub with a spring-2020 scenario on real French geography, moving live."""
    import uvicorn
    from rich.panel import Panel

    from hub.demo import seed as demo_seed
    from hub.demo import simulate
    from hub.main import create_app
    from hub.migrate import upgrade

    settings = get_settings()
    port = port or settings.port
    settings = settings.model_copy(update={"port": port})  # links in mails name this port

    async def main() -> None:
        app_ = create_app(settings)
        db: Database = app_.state.db
        await upgrade(db.engine)
        if await demo_seed.is_empty(db):
            with console.status("Loading the spring-2020 scenario (sites, needs, offers)..."):
                report = await demo_seed.seed(db, n_needs=needs, n_offers=offers, seed=seed)
            with console.status("Playing the first days: accepting, making, delivering..."):
                await simulate.warm_up(db, seed=seed)
            console.print(
                f"Loaded {report.hospitals} hospitals, {report.labs} labs, {report.needs} needs, "
                f"{report.offers} offers; the matcher proposed {report.proposals} batches."
            )
        else:
            console.print("The database already holds data: continuing from it.")
        base = f"http://{settings.host}:{port}"
        accounts = "\n".join(
            f"  {email:<28} {role}{' ' + area if area else ''}"
            for email, role, area in demo_seed.ACCOUNTS
        )
        console.print(
            Panel(
                f"Every page           {base}/\n"
                f"Hospitals and makers {base}/app\n"
                f"Drivers              {base}/driver\n"
                f"Coordinators         {base}/coordinate\n"
                f"Dashboard            {base}/dashboard\n"
                f"API docs             {base}/docs"
                f"\n\nAccounts (password [bold]{demo_seed.PASSWORD}[/bold]):\n{accounts}",
                title="The hub is running",
            )
        )
        server = uvicorn.Server(
            uvicorn.Config(
                app_,
                host=settings.host,
                port=port,
                log_level="warning",
                proxy_headers=False,
                ws=WEBSOCKETS,
            )
        )
        mover = asyncio.create_task(simulate.run(db, interval=interval, seed=seed))
        try:
            await server.serve()
        finally:
            mover.cancel()

    asyncio.run(main())


@app.command("backup")
def backup_(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (replaced whole).")],
) -> None:
    """Back up the database while the hub serves (SQLite online backup, or pg_dump -Fc)."""
    from hub.ops.backup import BackupError, backup

    try:
        backup(get_settings().database_url, file)
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Backed up to [bold]{file}[/bold] ({file.stat().st_size:,} bytes).")


@app.command("restore")
def restore_(
    file: Annotated[Path, typer.Argument(help="A file `hub backup` wrote.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the whole database with a backup (stop the hub first)."""
    from hub.ops.backup import BackupError, restore

    if not yes and not typer.confirm("Replace every row of the database with the backup?"):
        raise typer.Exit(1)
    try:
        restore(get_settings().database_url, file)
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Restored from [bold]{file}[/bold]; `hub serve` migrates it if it is older.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""

    async def nothing(_: Database) -> None:
        return None

    run(nothing)
    console.print("[green]Database is up to date.[/green]")


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[
        str, typer.Option(help="hospital_staff, maker, driver, coordinator or admin")
    ] = "coordinator",
    area: Annotated[
        str | None, typer.Option(help="Coordinators: region:84 or departement:38")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Create an account; the password is read from standard input."""
    password = _read_password()
    if len(password) < 8:
        err.print("[red]The password must have at least 8 characters.[/red]")
        raise typer.Exit(2)

    async def create(db: Database) -> User:
        from hub.auth.service import create_user

        async with db.transaction() as session:
            return await create_user(
                session,
                email=email,
                password=password,
                name=name or email.split("@")[0],
                role=role,
                area=area,
            )

    try:
        user = run(create)
    except HubError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created {user.role} [bold]{user.email}[/bold] (id {user.id}, area {user.area})")


def _read_password() -> str:
    """A password from the terminal (asked twice) or the first line of standard input."""
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@users_app.command("reset")
def users_reset(
    email: str,
    base_url: Annotated[
        str | None, typer.Option(help="The hub's address as users reach it (HUB_PUBLIC_URL).")
    ] = None,
) -> None:
    """Print a one-time link that lets the owner of the account holding EMAIL set a new password.

    Pass it on to the owner only (by phone, say): whoever opens it can take the account. It
    works once, for HUB_RESET_TTL_HOURS, and a newer link voids it. Without HUB_SMTP_HOST,
    this is how a reset link reaches anyone (asked for on /reset, it waits in the outbox).
    """
    settings = get_settings()

    async def make(db: Database) -> str:
        from hub.auth.service import create_password_reset

        async with db.transaction() as session:
            return await create_password_reset(
                session, email=email, ttl_hours=settings.reset_ttl_hours
            )

    try:
        raw = run(make)
    except HubError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    base = (base_url or settings.base_url).rstrip("/")
    # In the fragment (after #): browsers never send it, so it stays out of access logs.
    console.print(f"{base}/reset#{raw}", soft_wrap=True, highlight=False)
    err.print(f"Valid once, for {settings.reset_ttl_hours:g} hours; give it to the owner only.")


@users_app.command("password")
def users_password(email: str) -> None:
    """Set an account's password (read from standard input) and sign out all its sessions."""
    password = _read_password()

    async def change(db: Database) -> User:
        from hub.auth.service import set_password

        async with db.transaction() as session:
            return await set_password(session, email=email, password=password)

    try:
        user = run(change)
    except HubError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"New password set for [bold]{user.email}[/bold]; its sessions are signed out.")


def _cli_lang(lang: str | None) -> Lang:
    """The command's language: ``--lang``, else the shell's (``LANG``), else English."""
    chosen = lang or os.environ.get("LC_ALL") or os.environ.get("LANG") or "en"
    return "fr" if chosen.lower().startswith("fr") else "en"


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="hospitals, labs, needs, batches or finess")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    verify: Annotated[bool, typer.Option(help="Mark imported sites verified.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Check and show what would happen; change nothing.")
    ] = False,
    all_or_nothing: Annotated[
        bool, typer.Option(help="Apply nothing if any row is rejected.")
    ] = False,
    lang: Annotated[str | None, typer.Option(help="fr or en (default: the shell's LANG)")] = None,
) -> None:
    """Import a CSV, XLSX, XLS or ODS file; every rejected row is listed with its line, column and
    reason. Importing the same file again updates what it imported, never duplicates it."""
    from hub.i18n import render
    from hub.imports.reading import MAX_BYTES, too_large
    from hub.imports.service import check_kind, describe, import_file
    from hub.timeutil import today

    words = _cli_lang(lang)
    if kind == "finess":
        _import_finess(file, words, dry_run=dry_run)
        return
    try:
        checked = check_kind(kind)
        if file.stat().st_size > MAX_BYTES:
            raise too_large(file.stat().st_size)
        data = file.read_bytes()
    except HubError as exc:
        err.print(f"[red]{exc.message(words)}[/red]")
        raise typer.Exit(2) from exc

    async def go(db: Database) -> Any:
        async with db.transaction() as session:
            actor = await system_user(session)
        return await import_file(
            db,
            user=actor,
            kind=checked,
            data=data,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            verify=verify,
            today=today(),
        )

    try:
        with console.status(
            render(_("Reading and checking {file}..."), {"file": file.name}, words)
        ):
            report = run(go)
    except HubError as exc:
        err.print(f"[red]{exc.message(words)}[/red]")
        raise typer.Exit(2) from exc
    counts = {a: report.count(a) for a in ("created", "updated", "unchanged", "rejected")}
    console.print(
        render(
            _(
                "{file}: {rows} rows; {created} created, {updated} updated, {unchanged} unchanged, "
                "{rejected} rejected."
            ),
            {"file": file.name, "rows": len(report.outcomes), **counts},
            words,
        )
    )
    if report.applied:
        console.print(render(_("The changes are saved."), {}, words))
    elif report.dry_run:
        console.print(render(_("Dry run: nothing was changed."), {}, words))
    else:
        console.print(
            render(_("A row was rejected, so nothing was changed (all or nothing)."), {}, words)
        )
    if counts["rejected"]:
        table = Table(
            render(C_("column", "line"), {}, words),
            render(C_("column", "column"), {}, words),
            render(C_("column", "reason"), {}, words),
            title=render(_("Rejected rows"), {}, words),
        )
        for outcome in report.outcomes:
            for problem in outcome.problems:
                table.add_row(str(outcome.line), problem.column or "", describe(problem, words))
        console.print(table)
        raise typer.Exit(1)


def _import_finess(file: Path, words: Lang, *, dry_run: bool) -> None:
    """Load a FINESS extraction into the registry: all of it, or nothing (bad line, layout)."""
    from hub.i18n import render
    from hub.registry.schemas import RegistryImport
    from hub.registry.service import import_finess

    data = file.read_bytes()

    async def go(db: Database) -> RegistryImport:
        async with db.transaction() as session:
            report = await import_finess(session, data)
            if dry_run:
                await session.rollback()
            return report

    try:
        with console.status(
            render(_("Reading and checking {file}..."), {"file": file.name}, words)
        ):
            report = run(go)
    except HubError as exc:
        err.print(f"[red]{exc.message(words)}[/red]")
        err.print(render(_("Nothing was changed."), {}, words))
        raise typer.Exit(1) from exc
    console.print(
        render(
            _(
                "{file}: {read} establishments; {created} created, {updated} updated, "
                "{located} with a point."
            ),
            {"file": file.name, **report.model_dump()},
            words,
        )
    )
    if dry_run:
        console.print(render(_("Dry run: nothing was changed."), {}, words))


@app.command()
def match(
    area: Annotated[str, typer.Option(help="FR, region:CODE or departement:CODE")] = "FR",
    max_distance_km: Annotated[float, typer.Option(help="Farthest lab for a need")] = 200.0,
    lead_days: Annotated[int, typer.Option(help="Days between made and due")] = 1,
    horizon_days: Annotated[int, typer.Option(help="Days of production considered")] = 28,
    send: Annotated[
        bool, typer.Option(help="Send the proposals to the labs now, not as drafts to review")
    ] = False,
) -> None:
    """Run the matcher for an area and store its proposals (drafts unless --send), as a
    coordinator would."""
    from hub.matching_runs.schemas import RunIn
    from hub.matching_runs.service import run_matching
    from hub.timeutil import today

    async def go(db: Database) -> Any:
        with console.status(f"Matching open needs in {area}..."):
            async with db.transaction() as session:
                actor = await system_user(session)
            params = RunIn(
                area=area,
                max_distance_km=max_distance_km,
                lead_days=lead_days,
                horizon_days=horizon_days,
                send=send,
            )
            return await run_matching(
                db,
                user=actor,
                params=params,
                today=today(),
                sea_crossing_km=get_settings().crossing_km,
            )

    try:
        run_out = run(go)
    except (HubError, ValidationError) as exc:
        err.print(f"[red]{getattr(exc, 'detail', exc)}[/red]")
        raise typer.Exit(1) from exc
    assigned = sum(a.quantity for a in run_out.assignments)
    table = Table("figure", "value", title=f"Matching run {run_out.id} ({run_out.area})")
    table.add_row("needs considered", str(run_out.needs_considered))
    table.add_row("offers considered", str(run_out.offers_considered))
    table.add_row("proposals (batches)", str(len(run_out.assignments)))
    table.add_row("units proposed", str(assigned))
    table.add_row("units unmet", str(sum(run_out.unmet.values())))
    table.add_row("unit-km", f"{run_out.unit_km:,.1f}")
    table.add_row("seconds", f"{run_out.seconds:.2f}")
    table.add_row(
        "sent to the labs", "yes" if run_out.sent else "no: drafts to review on /coordinate"
    )
    console.print(table)


@app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help="hospitals, labs, needs, batches or 3w")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or geojson")] = "csv",
    dialect: Annotated[
        str, typer.Option(help="CSV: plain (RFC 4180), excel (BOM, ',') or excel-fr (BOM, ';')")
    ] = "plain",
    hxl: Annotated[bool, typer.Option(help="Add an HXL hashtag row under the headings.")] = False,
    area: Annotated[str | None, typer.Option(help="FR, region:CODE or departement:CODE")] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
    lang: Annotated[str | None, typer.Option(help="fr or en: headings (default: LANG)")] = None,
) -> None:
    """Export hospitals, labs, needs, batches or "who does what where" (3w)."""
    from hub.area_filter import parse_area_param
    from hub.exports.service import export_sheet
    from hub.exports.writers import DIALECTS, render_sheet

    if (
        kind not in ("hospitals", "labs", "needs", "batches", "3w")
        or format not in ("csv", "xlsx", "geojson")
        or dialect not in DIALECTS
    ):
        err.print(
            "[red]KIND is hospitals, labs, needs, batches or 3w; --format is csv, xlsx or "
            "geojson; --dialect is plain, excel or excel-fr.[/red]"
        )
        raise typer.Exit(2)
    words = _cli_lang(lang)

    async def go(db: Database) -> bytes:
        async with db.transaction() as session:
            actor = await system_user(session)
        async with db.read_sessions() as session:
            sheet = await export_sheet(
                session,
                kind,  # type: ignore[arg-type]
                parse_area_param(area),
                viewer=actor,
                lang=words,
            )
            return render_sheet(sheet, format, lang=words, dialect=dialect, hxl=hxl)  # type: ignore[arg-type]

    try:
        body = run(go)
    except HubError as exc:
        err.print(f"[red]{exc.message(words)}[/red]")
        raise typer.Exit(1) from exc
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        err.print(f"Wrote {output}")

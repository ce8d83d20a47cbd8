"""Importing needs from a CSV file: the hub's engine against a bare reference, same run.

    .venv/bin/python benchmarks/imports.py --rows 10000 --repeat 3

The file is what a French coordinator's Excel saves: UTF-8 with a byte-order mark, ``;``,
French column names, dates as 07/12/2026. Each run starts from a fresh SQLite database (WAL,
``synchronous=FULL``, as the hub runs) holding one verified hospital.

- **hub**: ``hub.imports.service.import_file`` (reading, sniffing, checking every cell, the
  need's rules and its event, a savepoint per row, one commit), as ``hub import needs`` runs it;
- **reference**: ``csv.DictReader`` and one ``INSERT`` per row through SQLAlchemy
  (``session.execute(insert(Need).values(...))``) in one transaction: no checks, no events.

Prints rows per second of each, and the ratio hub / reference (of times: above 1, the hub is
slower). Runs are interleaved; the median is reported.
"""

import argparse
import asyncio
import csv
import io
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from hub.auth.models import User
from hub.db import Database
from hub.migrate import upgrade
from hub.needs.models import Need
from hub.rules.states import NeedStatus, Role, SiteType
from hub.sites.models import Membership, Site

DESIGNS = ["face-shield-prusa-rc3", "ear-saver", "face-shield-3dverkstan", "charlotte-valve"]
PRIORITIES = ["normale", "haute", "critique"]


def make_file(rows: int, start: date) -> bytes:
    """``rows`` needs of one hospital, as French Excel saves them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["hôpital", "modèle", "quantité", "date limite", "priorité"])
    for i in range(rows):
        # Distinct (design, date) pairs: every row is a new need, none is merged as a re-import.
        day = start + timedelta(days=1 + i // len(DESIGNS))
        writer.writerow(
            [
                "CHU Grenoble Alpes",
                DESIGNS[i % len(DESIGNS)],
                10 + i % 990,
                day.strftime("%d/%m/%Y"),
                PRIORITIES[i % 3],
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def fresh(folder: Path, name: str) -> tuple[Database, User, Site]:
    """A migrated SQLite database with an admin and one verified hospital."""
    db = Database(f"sqlite+aiosqlite:///{folder / name}")
    await upgrade(db.engine)
    async with db.transaction() as session:
        admin = User(email="bench@hub.invalid", name="bench", password_hash="!", role=Role.ADMIN)
        site = Site(
            type=SiteType.HOSPITAL,
            kind="hospital",
            name="CHU Grenoble Alpes",
            address="La Tronche",
            lat=45.2006,
            lon=5.7474,
            region="84",
            departement="38",
            status="verified",
            equipment=[],
        )
        session.add_all([admin, site])
        await session.flush()
        session.add(Membership(user_id=admin.id, site_id=site.id))
    return db, admin, site


async def run_hub(folder: Path, data: bytes, today: date) -> tuple[float, int]:
    """Seconds and rows created by the hub's import engine on a fresh database."""
    from hub.imports.service import import_file

    db, admin, _site = await fresh(folder, f"hub-{time.monotonic_ns()}.sqlite")
    try:
        started = time.perf_counter()
        report = await import_file(db, user=admin, kind="needs", data=data, today=today)
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    assert report.applied and report.count("rejected") == 0, report.outcomes[:3]
    return seconds, report.count("created")


async def run_reference(folder: Path, data: bytes) -> tuple[float, int]:
    """Seconds and rows inserted by csv.DictReader and one INSERT per row, on a fresh database."""
    db, _admin, site = await fresh(folder, f"ref-{time.monotonic_ns()}.sqlite")
    words = {"normale": "normal", "haute": "high", "critique": "critical"}
    try:
        started = time.perf_counter()
        n = 0
        async with db.transaction() as session:
            reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
            for row in reader:
                await session.execute(
                    insert(Need).values(
                        hospital_id=site.id,
                        design=row["modèle"],
                        accepts=[row["modèle"]],
                        quantity=int(row["quantité"]),
                        needed_by=datetime.strptime(row["date limite"], "%d/%m/%Y").date(),
                        priority=words[row["priorité"]],
                        status=NeedStatus.REQUESTED,
                        region=site.region,
                        departement=site.departement,
                    )
                )
                n += 1
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    return seconds, n


async def main() -> None:
    """Run both, interleaved, and print rows per second and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    today = date.today()
    data = make_file(args.rows, today)
    hub_times, ref_times = [], []
    with tempfile.TemporaryDirectory(prefix="hub-bench-imports-") as tmp:
        folder = Path(tmp)
        for k in range(args.repeat):
            ref_s, ref_n = await run_reference(folder, data)
            hub_s, hub_n = await run_hub(folder, data, today)
            assert hub_n == ref_n == args.rows
            ref_times.append(ref_s)
            hub_times.append(hub_s)
            print(
                f"run {k + 1}: hub {hub_s:.2f} s, reference {ref_s:.2f} s, "
                f"ratio {hub_s / ref_s:.2f}"
            )
    hub_s, ref_s = statistics.median(hub_times), statistics.median(ref_times)
    print(f"file: {len(data):,} bytes, {args.rows:,} needs (UTF-8 with BOM, ';', French columns)")
    print(f"reference (csv.DictReader + one INSERT per row): {args.rows / ref_s:,.0f} rows/s")
    print(f"hub import (checks, events, savepoints):        {args.rows / hub_s:,.0f} rows/s")
    print(f"ratio hub / reference (time): {hub_s / ref_s:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

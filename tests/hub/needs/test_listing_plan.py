"""``GET /needs`` pages through an index in its order: no sort of every need per request."""

from datetime import timedelta
from typing import Any

import pytest

from hub.timeutil import today


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: its query plan is stable and readable (PostgreSQL's depends on sizes)."""
    return sqlite_database_url


async def test_the_default_listing_reads_needs_in_order_without_sorting(hub: Any, app: Any) -> None:
    staff = await hub.account("hospital_staff")
    hospital = await hub.site(staff, "hospitals")
    for days in (9, 3, 6):
        await hub.need(
            staff, hospital["id"], needed_by=(today() + timedelta(days=days)).isoformat()
        )
    # The page runs on the instant connection (hub.instant_reads): its trace has the SQL
    # with its values written in.
    await hub.client.get("/api/v1/needs", headers=staff.headers)
    statements: list[str] = []
    instant = app.state.db.instant._connection
    instant.set_trace_callback(
        lambda sql: statements.append(sql) if "ORDER BY needs.needed_by" in sql else None
    )
    try:
        listed = await hub.client.get("/api/v1/needs", headers=staff.headers)
    finally:
        instant.set_trace_callback(None)
    days = [item["needed_by"] for item in listed.json()["items"]]
    assert days == sorted(days) and len(days) == 3
    [statement] = statements
    plan = instant.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    steps = " / ".join(str(row[-1]) for row in plan)
    assert "ix_needs_needed_by_id" in steps, steps
    assert "TEMP B-TREE FOR ORDER BY" not in steps, steps

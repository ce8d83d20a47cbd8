"""``GET /needs`` pages through an index in its order: no sort of every need per request."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

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
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY needs.needed_by" in statement:
            statements.append((statement, parameters))

    engine = app.state.db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        listed = await hub.client.get("/api/v1/needs", headers=staff.headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    days = [item["needed_by"] for item in listed.json()["items"]]
    assert days == sorted(days) and len(days) == 3
    [(statement, parameters)] = statements
    async with app.state.db.read_sessions() as session:
        connection = await session.connection()
        plan = (
            await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ).all()
    steps = " / ".join(str(row[-1]) for row in plan)
    assert "ix_needs_needed_by_id" in steps, steps
    assert "TEMP B-TREE FOR ORDER BY" not in steps, steps

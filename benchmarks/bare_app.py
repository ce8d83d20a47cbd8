"""The bare-stack reference for ``benchmarks/load.py``: the simplest FastAPI + SQLAlchemy app.

One table of needs (with the batch-like ``made`` counter) and one event row per write, the
same database settings as the hub (SQLite: WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``
for writes, the same busy timeout; PostgreSQL: asyncpg, a pool of 10 + 20), and the same five
routes of the day-shaped mix, without authentication, access rules or live stream.

Usage: ``BARE_DATABASE_URL=... uvicorn --factory bare_app:create_app`` (``load.py`` does it);
``python bare_app.py init URL`` creates (or empties) the tables first.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Integer, String, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base."""


class Item(Base):
    """A need with a progress counter: the one table."""

    __tablename__ = "bare_items"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    design: Mapped[str] = mapped_column(String(60), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    made: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """One event row per write."""

    __tablename__ = "bare_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ItemIn(BaseModel):
    """A posted need."""

    design: str
    quantity: int


class ProgressIn(BaseModel):
    """A progress report."""

    made: int


def engines(url: str) -> tuple[Any, Any]:
    """Return (write engine, read engine) with the hub's settings."""
    if not url.startswith("sqlite"):
        # The hub's pool settings, read from the same variables (load.py sets them to fit).
        engine = create_async_engine(
            url,
            pool_size=int(os.environ.get("HUB_DB_POOL_SIZE", "20")),
            max_overflow=int(os.environ.get("HUB_DB_MAX_OVERFLOW", "10")),
        )
        return engine, engine
    made = []
    for immediate in (True, False):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any, immediate: bool = immediate) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        made.append(engine)
    return made[0], made[1]


def create_app() -> FastAPI:
    """Build the app from ``BARE_DATABASE_URL``."""
    write_engine, read_engine = engines(os.environ["BARE_DATABASE_URL"])
    writes = async_sessionmaker(write_engine, expire_on_commit=False)
    reads = async_sessionmaker(read_engine, expire_on_commit=False)

    async def write() -> AsyncIterator[AsyncSession]:
        """A session committed before the response."""
        async with writes() as session, session.begin():
            yield session

    async def read() -> AsyncIterator[AsyncSession]:
        """A read session."""
        async with reads() as session:
            yield session

    app = FastAPI()
    writer = Depends(write, scope="function")
    reader = Depends(read, scope="function")

    @app.get("/api/v1/stats")
    async def stats(session: AsyncSession = reader) -> dict[str, Any]:
        """Units per design."""
        rows = await session.execute(
            select(Item.design, func.sum(Item.quantity), func.sum(Item.made)).group_by(Item.design)
        )
        return {"totals": {d: {"requested": q, "made": m} for d, q, m in rows.all()}}

    @app.get("/api/v1/needs")
    async def needs(session: AsyncSession = reader) -> dict[str, Any]:
        """The 50 newest needs."""
        rows = await session.scalars(select(Item).order_by(Item.id.desc()).limit(50))
        return {"items": [{"id": r.id, "design": r.design, "quantity": r.quantity} for r in rows]}

    @app.get("/api/v1/batches")
    async def batches(session: AsyncSession = reader) -> dict[str, Any]:
        """The 50 first items with their counters."""
        rows = await session.scalars(select(Item).order_by(Item.id).limit(50))
        return {"items": [{"id": r.id, "made": r.made} for r in rows]}

    @app.post("/api/v1/needs", status_code=201)
    async def post_need(body: ItemIn, session: AsyncSession = writer) -> dict[str, Any]:
        """Insert a need and its event."""
        item = Item(design=body.design, quantity=body.quantity, made=0)
        session.add(item)
        await session.flush()
        session.add(Event(kind="need.created", payload={"id": item.id}))
        return {"id": item.id}

    @app.post("/api/v1/batches/{item_id}/progress")
    async def progress(
        item_id: int, body: ProgressIn, session: AsyncSession = writer
    ) -> dict[str, Any]:
        """Raise an item's counter and append its event."""
        item = await session.get(Item, item_id, with_for_update=True)
        assert item is not None
        item.made = max(item.made, body.made)
        session.add(Event(kind="batch.progress", payload={"id": item_id, "made": item.made}))
        return {"id": item_id, "made": item.made}

    return app


async def init(url: str, items: int) -> None:
    """Create the tables afresh with ``items`` items of a million units."""
    engine, _ = engines(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with async_sessionmaker(engine)() as session, session.begin():
        session.add_all(Item(design="face-shield", quantity=1_000_000) for _ in range(items))
    await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["init"]:
        asyncio.run(init(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 64))

"""`Database.run_in_writer`: one transaction in one trip to the writer thread, serialised with the others."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.settings import DatabaseLocation
from db.database import Database


def insert_audit(conn: sqlite3.Connection, action: str) -> int:
    conn.execute("INSERT INTO audit_log (guild_id, actor_id, action, created_at) VALUES (1, 2, ?, 0)", (action,))
    return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


async def count(db: Database) -> int:
    async with db.read() as conn, conn.execute("SELECT count(*) FROM audit_log") as cur:
        return (await cur.fetchone())[0]


async def test_commits_and_returns_the_result(db: Database) -> None:
    assert await db.run_in_writer(lambda conn: insert_audit(conn, "a")) == 1
    assert await count(db) == 1


async def test_rolls_back_when_the_work_raises(db: Database) -> None:
    def failing(conn: sqlite3.Connection) -> None:
        insert_audit(conn, "half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.run_in_writer(failing)
    assert await count(db) == 0


async def test_interleaves_safely_with_async_transactions(db: Database) -> None:
    async def via_aiosqlite(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO audit_log (guild_id, actor_id, action, created_at) VALUES (1, 2, ?, 0)", (f"x{i}",)
            )

    await asyncio.gather(
        *(via_aiosqlite(i) for i in range(50)),
        *(db.run_in_writer(lambda conn, i=i: insert_audit(conn, f"y{i}")) for i in range(50)),
    )
    assert await count(db) == 100


async def test_in_memory_store_shares_one_database_between_connections() -> None:
    async with Database(DatabaseLocation("sqlite", ":memory:")) as db:
        await db.migrate()
        await db.run_in_writer(lambda conn: insert_audit(conn, "m"))
        assert await count(db) == 1

"""`Database.run_in_writer`: one transaction in one trip to the writer thread, serialised with the others."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from typing import Any

import pytest

from db.database import INLINE_CHECKPOINT_EVERY, Database
from db.location import DatabaseLocation


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


def where(conn: sqlite3.Connection, action: str) -> int:
    """Inserts one row and says which thread ran the work."""
    insert_audit(conn, action)
    return threading.get_ident()


async def test_inline_work_runs_on_the_event_loop_and_commits(sqlite_db: Database) -> None:
    db = sqlite_db  # SQLite's inline writer (PostgreSQL ignores `inline`)
    assert await db.run_in_writer(lambda conn: where(conn, "inline"), inline=True) == threading.get_ident()
    assert await db.run_in_writer(lambda conn: where(conn, "thread")) != threading.get_ident()
    with sqlite3.connect(db.location.path) as other:  # committed: another connection sees both rows
        assert other.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 2


async def test_inline_work_that_raises_is_rolled_back(db: Database) -> None:
    def failing(conn: sqlite3.Connection) -> None:
        insert_audit(conn, "half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.run_in_writer(failing, inline=True)
    assert await count(db) == 0
    assert await db.run_in_writer(lambda conn: insert_audit(conn, "after"), inline=True) == 1


async def test_inline_work_goes_through_the_thread_while_another_process_holds_the_lock(sqlite_db: Database) -> None:
    db = sqlite_db  # SQLite's inline writer (PostgreSQL ignores `inline`)
    other = sqlite3.connect(db.location.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing: the event loop must not wait for it
    try:
        task = asyncio.create_task(db.run_in_writer(lambda conn: where(conn, "later"), inline=True))
        await asyncio.sleep(0.05)
        assert not task.done()  # waiting in the writer thread (busy timeout), the loop still runs
    finally:
        other.execute("COMMIT")
        other.close()
    assert await task != threading.get_ident()
    assert await count(db) == 1


def file_size(path: str) -> int:
    """The main database file's size: it grows only when a checkpoint copies the WAL into it."""
    return os.stat(path).st_size


async def test_inline_writes_leave_checkpoints_to_the_thread(sqlite_db: Database) -> None:
    db = sqlite_db  # SQLite's inline writer (PostgreSQL ignores `inline`)
    main_file = db.location.path
    size = file_size(main_file)
    for i in range(INLINE_CHECKPOINT_EVERY - 1):
        await db.run_in_writer(lambda conn, i=i: insert_audit(conn, f"c{i}"), inline=True)
    await db.run_in_writer(lambda conn: None)  # a trip to the writer thread: what it had queued has run
    assert file_size(main_file) == size  # the rows are in the WAL only: no checkpoint on the loop
    await db.run_in_writer(lambda conn: insert_audit(conn, "last"), inline=True)
    await db.run_in_writer(lambda conn: None)
    assert file_size(main_file) > size  # the thread's passive checkpoint copied them into the file
    assert await count(db) == INLINE_CHECKPOINT_EVERY


async def test_a_read_block_sees_what_was_committed_while_another_block_was_reading(db: Database) -> None:
    """Overlapping read blocks (two coroutines) must not share one read transaction: the later one would
    miss what was committed in between (a poll stored a moment before, "not found")."""
    for action in ("a", "b"):
        await db.run_in_writer(lambda conn, action=action: insert_audit(conn, action))
    async with db.read() as first:
        cursor = await first.execute("SELECT action FROM audit_log ORDER BY id")
        await cursor.fetchone()  # the statement stays open: its snapshot is held until it ends
        await db.run_in_writer(lambda conn: insert_audit(conn, "c"))
        async with db.read() as second:
            assert await count_on(second) == 3
        await cursor.fetchall()  # the first block's statement ends


async def count_on(conn: Any) -> int:
    async with conn.execute("SELECT count(*) FROM audit_log") as cur:
        return (await cur.fetchone())[0]

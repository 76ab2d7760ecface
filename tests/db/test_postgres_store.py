"""What only the PostgreSQL store has: its own numbered migrations, its version table, the SQL translation,
and the vote guarantees holding across several connections (several bot processes) at once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db.database import Database, DatabaseError, IntegrityError, available_migrations
from db.location import DatabaseLocation
from db.polls import PollStore
from db.postgres import translate
from tests.conftest import NOW
from tests.db.test_polls_store import new_poll
from tests.postgres_server import PostgresServer


async def fresh(server: PostgresServer) -> Database:
    store = Database(DatabaseLocation.parse(await server.create_database()))
    await store.connect()
    return store


def test_both_dialects_ship_the_same_numbered_migrations() -> None:
    sqlite = [(version, name) for version, name, _ in available_migrations("sqlite")]
    postgres = [(version, name) for version, name, _ in available_migrations("postgres")]
    assert sqlite == postgres and len(sqlite) >= 4


def test_translation_of_sqlite_spellings() -> None:
    assert translate("SELECT a FROM t WHERE a = ? AND b = ?") == ("SELECT a FROM t WHERE a = $1 AND b = $2", ())
    sql, names = translate("SELECT x FROM t WHERE g = :guild AND s >= :start AND g2 = :guild")
    assert sql == "SELECT x FROM t WHERE g = $1 AND s >= $2 AND g2 = $1" and names == ("guild", "start")
    sql, _ = translate("SELECT j.value FROM json_each(?) j")
    assert sql == "SELECT j.value FROM (SELECT value::bigint AS value FROM json_array_elements_text($1::json)) AS j"
    assert "string_agg((v.position)::text, ',')" in translate("SELECT group_concat(v.position) FROM votes v")[0]


async def test_migrations_record_their_version_and_rerun_changes_nothing(postgres_server: PostgresServer) -> None:
    store = await fresh(postgres_server)
    try:
        assert await store.schema_version() == 0
        latest = len(available_migrations("postgres"))
        assert await store.migrate() == latest
        assert await store.schema_version() == latest
        assert await store.migrate() == latest  # nothing left to apply, nothing re-applied
        async with store.read() as conn, conn.execute("SELECT version FROM tribune_schema ORDER BY version") as cur:
            assert [r[0] for r in await cur.fetchall()] == list(range(1, latest + 1))
    finally:
        await store.close()


async def test_concurrent_migrations_apply_each_file_once(postgres_server: PostgresServer) -> None:
    url = await postgres_server.create_database()
    stores = [Database(DatabaseLocation.parse(url)) for _ in range(3)]
    for store in stores:
        await store.connect()
    try:
        versions = await asyncio.gather(*(store.migrate() for store in stores))
        assert len(set(versions)) == 1
    finally:
        for store in stores:
            await store.close()


async def test_a_database_newer_than_the_code_is_refused(postgres_server: PostgresServer) -> None:
    store = await fresh(postgres_server)
    try:
        await store.migrate()
        async with store.transaction() as conn:
            await conn.execute("INSERT INTO tribune_schema (version, applied_at) VALUES (999, 0)")
        with pytest.raises(DatabaseError, match="plus récent"):
            await store.migrate()
    finally:
        await store.close()


async def test_an_unreachable_server_is_a_clear_error() -> None:
    store = Database(DatabaseLocation.parse("postgresql://tribune@127.0.0.1:1/none"))
    with pytest.raises(DatabaseError, match="PostgreSQL"):
        await store.connect()


async def test_single_choice_holds_across_connections_racing(pg_db: Database) -> None:
    """Two processes inserting a second answer of one voter at once: exactly one wins."""
    db = pg_db
    async with db.transaction() as conn:
        poll_id = (await PollStore(conn).create(new_poll())).id

    async def cast(position: int) -> bool:
        try:
            async with db.transaction() as conn:
                await PollStore(conn).add_vote(poll_id, "voter", position, NOW)
                await asyncio.sleep(0.05)  # both transactions are open at once
        except IntegrityError:
            return False
        return True

    outcomes = await asyncio.gather(*(cast(p) for p in range(4)))
    assert outcomes.count(True) == 1
    async with db.read() as conn:
        assert (await PollStore(conn).counts(poll_id)).voters == 1


async def test_a_vote_racing_the_close_is_refused_or_counted_before_it(pg_db: Database) -> None:
    db = pg_db
    async with db.transaction() as conn:
        poll_id = (await PollStore(conn).create(new_poll())).id
    closing = asyncio.Event()

    async def close() -> None:
        async with db.transaction() as conn:
            assert await PollStore(conn).close(poll_id, NOW)
            closing.set()
            await asyncio.sleep(0.1)  # the vote's transaction starts while the close is uncommitted

    async def vote() -> bool:
        await closing.wait()
        try:
            async with db.transaction() as conn:
                await PollStore(conn).add_vote(poll_id, "late", 0, NOW)
        except IntegrityError:
            return False
        return True

    _, accepted = await asyncio.gather(close(), vote())
    assert accepted is False  # the trigger waited for the close (FOR SHARE) and saw it


async def test_raw_asyncpg_errors_other_than_integrity_pass_through(pg_db: Database) -> None:
    db = pg_db
    with pytest.raises(asyncpg.UndefinedTableError):
        async with db.read() as conn:
            await conn.execute("SELECT * FROM no_such_table")

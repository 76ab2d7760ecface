"""`python -m bot migrate --copy-from sqlite:///…`: every row of a SQLite store into an empty PostgreSQL one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from db.audit import AuditStore
from db.copy import NOT_COPIED, TABLES, copy_store, source_tables
from db.database import Database, DatabaseError
from db.digests import DigestStore
from db.feeds import FeedStore
from db.location import DatabaseLocation
from db.opinions import OpinionStore
from db.polls import PollStore
from db.postgres import PostgresDatabase
from tests.conftest import NOW
from tests.db.test_other_stores import create_article
from tests.db.test_polls_store import new_poll
from tests.postgres_server import PostgresServer
from tests.test_cli import run_cli


async def filled_sqlite(path: Path) -> Database:
    """A store with a row in every table, a closed poll with its votes and a useful mark."""
    store = Database.from_path(path)
    await store.connect()
    await store.migrate()
    article_id = await create_article(store)
    async with store.transaction() as conn:
        polls = PollStore(conn)
        open_poll = await polls.create(new_poll(article_id=article_id))
        closed = await polls.create(new_poll(question="Et celle-ci ?", multiple=True, anonymous=False))
        for member in range(20):
            await polls.add_vote(open_poll.id, f"v{member}", member % 5, NOW)
            await polls.add_vote(closed.id, str(member), 0, NOW)
            await polls.add_vote(closed.id, str(member), 1, NOW)
        await polls.close(closed.id, NOW + timedelta(hours=1), results_token="tok")
        opinions = OpinionStore(conn)
        mine = await opinions.upsert(1, article_id, 100, "Un avis argumenté et utile.", NOW)
        await opinions.toggle_mark(mine.id, 200, NOW)
        feed = await FeedStore(conn).add(1, 10, "https://example.org/feed.xml", 42, NOW)
        assert feed is not None
        await FeedStore(conn).mark_seen(feed.id, "guid-1", NOW)
        await DigestStore(conn).claim(1, "2026-W48", NOW - timedelta(days=7), NOW, 5, NOW)
        await AuditStore(conn).record(1, 42, "poll.close", NOW, str(closed.id), {"why": "test"})
        await conn.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 0)")
        await conn.execute("INSERT INTO public_settings (guild_id, enabled, updated_at) VALUES (1, 1, 0)")
        await conn.execute(
            "INSERT INTO public_links (public_id, kind, item_id, guild_id, created_at) VALUES (?, 'poll', ?, 1, 0)",
            ("p" * 20, open_poll.id),
        )
    return store


async def all_rows(store: Database, table: str) -> list[tuple[object, ...]]:
    async with store.read() as conn, conn.execute(f"SELECT * FROM {table}") as cur:
        return sorted((tuple(r) for r in await cur.fetchall()), key=repr)


async def test_every_table_of_the_sqlite_schema_has_a_copy_rule(tmp_path: Path) -> None:
    async with Database.from_path(tmp_path / "t.db") as store:
        await store.migrate()
        found = await source_tables(store)
    assert found - NOT_COPIED == {name for name, _ in TABLES}


async def test_copy_moves_every_row_then_refuses_a_non_empty_target(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = await filled_sqlite(tmp_path / "old.db")
    target = Database(DatabaseLocation.parse(await postgres_server.create_database()))
    assert isinstance(target, PostgresDatabase)
    await target.connect()
    try:
        copied = await copy_store(source, target)
        assert all(copied[name] >= 1 for name, _ in TABLES), copied
        for table, _ in TABLES:
            assert await all_rows(target, table) == await all_rows(source, table), table
        async with target.read() as conn:
            closed = await PollStore(conn).get(2)
            assert closed is not None and closed.status == "closed"
            assert (await PollStore(conn).counts(2)).voters == 20
        async with target.transaction() as conn:  # new rows continue after the copied ids
            assert (await PollStore(conn).create(new_poll())).id == 3
        with pytest.raises(DatabaseError, match="pas vide"):
            await copy_store(source, target)
    finally:
        await source.close()
        await target.close()


async def test_the_command_copies_and_prints_the_counts(tmp_path: Path, postgres_server: PostgresServer) -> None:
    await (await filled_sqlite(tmp_path / "old.db")).close()
    url = await postgres_server.create_database()
    env = {"DATABASE_URL": url, "TRIBUNE_SECRET": "k"}
    done = run_cli("migrate", "--copy-from", f"sqlite:///{tmp_path / 'old.db'}", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert "votes: 60" in done.stdout and "Copie terminée" in done.stdout
    again = run_cli("migrate", "--copy-from", f"sqlite:///{tmp_path / 'old.db'}", cwd=tmp_path, **env)
    assert again.returncode == 2 and "pas vide" in again.stderr
    missing = run_cli("migrate", "--copy-from", f"sqlite:///{tmp_path / 'none.db'}", cwd=tmp_path, **env)
    assert missing.returncode == 2 and "--copy-from" in missing.stderr


def test_migrate_on_postgresql_prints_the_recorded_version(tmp_path: Path, postgres_server: PostgresServer) -> None:
    import asyncio

    from db.database import available_migrations

    url = asyncio.run(postgres_server.create_database())
    result = run_cli("migrate", cwd=tmp_path, DATABASE_URL=url, TRIBUNE_SECRET="k")
    assert result.returncode == 0, result.stderr
    assert f"version {len(available_migrations('postgres'))}" in result.stdout
    assert run_cli("migrate", cwd=tmp_path, DATABASE_URL=url, TRIBUNE_SECRET="k").returncode == 0  # idempotent

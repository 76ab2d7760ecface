from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db.database import Database, DatabaseError, available_migrations, split_sql


async def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path) -> None:
    latest = available_migrations()[-1][0]
    async with Database.from_path(tmp_path / "new.db") as db:
        assert await db.schema_version() == 0
        assert await db.migrate() == latest
        assert await db.schema_version() == latest
    tables = {r[0] for r in sqlite3.connect(tmp_path / "new.db").execute("SELECT name FROM sqlite_master")}
    for table in (
        "guild_settings",
        "articles",
        "polls",
        "poll_options",
        "votes",
        "opinions",
        "opinion_marks",
        "digests",
        "feeds",
        "feed_items",
        "audit_log",
    ):
        assert table in tables


async def test_rerunning_migrations_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    async with Database.from_path(path) as db:
        first = await db.migrate()
    schema = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    async with Database.from_path(path) as db:
        assert await db.migrate() == first
    assert sqlite3.connect(path).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    latest = available_migrations()[-1][0]
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest + 1}")
    conn.close()
    async with Database.from_path(path) as db:
        with pytest.raises(DatabaseError, match="plus récent"):
            await db.migrate()


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = available_migrations()
    broken = [*real, (len(real) + 1, "999_broken.sql", "CREATE TABLE half (x INTEGER);\nNOT SQL AT ALL;")]
    monkeypatch.setattr("db.database.available_migrations", lambda: broken)
    async with Database.from_path(tmp_path / "broken.db") as db:
        with pytest.raises(sqlite3.OperationalError):
            await db.migrate()
        assert await db.schema_version() == len(real)
    tables = {r[0] for r in sqlite3.connect(tmp_path / "broken.db").execute("SELECT name FROM sqlite_master")}
    assert "half" not in tables


async def test_store_settings_give_durable_wal_with_foreign_keys(db: Database) -> None:
    if db.dialect == "postgres":
        async with db.read() as conn:
            # A COMMIT waits for the WAL flush (the server's default, never turned off by Tribune).
            async with conn.execute("SELECT current_setting('synchronous_commit')") as cur:
                assert (await cur.fetchone())[0] == "on"
        return
    async with db.read() as conn:
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
        async with conn.execute("PRAGMA synchronous") as cur:
            assert (await cur.fetchone())[0] == 1  # NORMAL: see Database's docstring


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO audit_log (guild_id, actor_id, action, created_at) VALUES (1, 2, 'x', 0)")
            raise RuntimeError("boom")
    async with db.read() as conn, conn.execute("SELECT count(*) FROM audit_log") as cur:
        assert (await cur.fetchone())[0] == 0


def test_split_sql_keeps_trigger_bodies_whole() -> None:
    script = "-- c\nCREATE TABLE a (x);\nCREATE TRIGGER t BEFORE INSERT ON a BEGIN\n SELECT 1;\n SELECT 2;\nEND;\n"
    statements = split_sql(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


async def test_missing_directory_is_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="n'existe pas"):
        await Database.from_path(tmp_path / "nope" / "x.db").connect()

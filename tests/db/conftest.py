"""The store test-suite runs on both engines: the `db` fixture is a real SQLite file, then a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db.database import Database
from db.location import DatabaseLocation
from tests.postgres_server import migrated_database_url


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated store of its own: a SQLite file, or a fresh database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        database = Database.from_path(tmp_path / "tribune.db")
    else:
        server = request.getfixturevalue("postgres_server")
        database = Database(DatabaseLocation.parse(await migrated_database_url(server)))
    async with database:
        await database.migrate()
        yield database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file, for what only SQLite has (the inline writer, WAL checkpoints, file locks)."""
    async with Database.from_path(tmp_path / "tribune.db") as database:
        await database.migrate()
        yield database


@pytest.fixture
async def pg_db(postgres_server: object) -> AsyncIterator[Database]:
    """A migrated PostgreSQL store, for what only PostgreSQL has (several writers at once)."""
    url = await migrated_database_url(postgres_server)  # type: ignore[arg-type]
    async with Database(DatabaseLocation.parse(url)) as database:
        yield database

"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.database import Database

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated store on a real SQLite file of its own."""
    database = Database.from_path(tmp_path / "tribune.db")
    await database.connect()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()

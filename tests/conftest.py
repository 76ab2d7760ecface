"""Fixtures shared by every test layer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.client import Tribune
from bot.settings import Settings
from db.database import Database
from tests.discord_emulator import DiscordEmulator, connect_bot, sync_commands

pytest_plugins = ["tests.discord_emulator.pytest_plugin", "tests.postgres_server"]

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TEST_SECRET = b"tribune-test-secret"


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


class FakeClock:
    """The bot's injectable clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def tribune_db_path(tmp_path: Path) -> Path:
    return tmp_path / "tribune.db"


@pytest.fixture
def run_tribune(
    emulator: DiscordEmulator, tribune_db_path: Path, clock: FakeClock
) -> Callable[..., contextlib.AbstractAsyncContextManager[Tribune]]:
    """`async with run_tribune(**options) as bot:` — the real bot on the emulator, commands synced.

    Several runs in one test share the same database file, which is how restarts are tested.
    """

    @contextlib.asynccontextmanager
    async def run(env: dict[str, str] | None = None, **options: Any) -> AsyncIterator[Tribune]:
        settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tribune_db_path}", **(env or {})})
        options.setdefault("tally_edit_interval", 0.2)
        bot = Tribune(settings, Database(settings.database), secret=TEST_SECRET, clock=clock, **options)
        async with connect_bot(emulator, bot):
            assert not bot.failed_extensions, bot.failed_extensions
            await sync_commands(bot)
            yield bot

    return run


@pytest.fixture
async def tribune(
    run_tribune: Callable[..., contextlib.AbstractAsyncContextManager[Tribune]],
) -> AsyncIterator[Tribune]:
    """The real Tribune bot, connected to the emulator with its commands synced."""
    async with run_tribune() as bot:
        yield bot

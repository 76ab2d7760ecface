"""Per-server settings: one row per guild, defaults when the server never configured Tribune."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime

import aiosqlite

from db._rows import to_ts

DEFAULT_POLL_DURATION_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    language: str = "fr"
    timezone: str = "Europe/Paris"
    articles_channel_id: int | None = None
    digest_channel_id: int | None = None
    log_channel_id: int | None = None
    moderator_role_id: int | None = None
    digest_enabled: bool = True
    digest_weekday: int = 0  # Monday
    digest_hour: int = 9
    digest_empty_notice: bool = True
    poll_duration_seconds: int = DEFAULT_POLL_DURATION_SECONDS
    results_visibility: str = "live"  # default results mode of new polls, article polls included
    article_poll_mode: str = "buttons"  # 'buttons' | 'native': how article polls are posted


EDITABLE = tuple(f.name for f in fields(GuildSettings) if f.name != "guild_id")
_BOOLEANS = {"digest_enabled", "digest_empty_notice"}


def _from_row(row: aiosqlite.Row) -> GuildSettings:
    values = {name: row[name] for name in EDITABLE}
    for name in _BOOLEANS:
        values[name] = bool(values[name])
    return GuildSettings(guild_id=row["guild_id"], **values)


class GuildSettingsStore:
    """Reads and writes `guild_settings`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, guild_id: int) -> GuildSettings:
        """The server's settings, or the defaults if it never changed any."""
        async with self.conn.execute("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)) as cur:
            row = await cur.fetchone()
        return _from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def update(self, guild_id: int, now: datetime, **changes: object) -> GuildSettings:
        """Change some settings (names from `EDITABLE`); returns the settings after the change."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        current = replace(await self.get(guild_id), **changes)
        values = [getattr(current, name) for name in EDITABLE]
        columns = ", ".join(EDITABLE)
        placeholders = ", ".join("?" for _ in EDITABLE)
        assignments = ", ".join(f"{name} = excluded.{name}" for name in EDITABLE)
        # Column names come from the dataclass, never from input: the values stay parameterized.
        await self.conn.execute(
            f"INSERT INTO guild_settings (guild_id, {columns}, updated_at) VALUES (?, {placeholders}, ?) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}, updated_at = excluded.updated_at",
            (guild_id, *values, to_ts(now)),
        )
        return current

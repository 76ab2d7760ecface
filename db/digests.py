"""Weekly digests: claimed before posting, recorded after, so each week is posted exactly once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from db._rows import to_datetime, to_ts


@dataclass(frozen=True)
class DigestRecord:
    id: int
    guild_id: int
    week: str
    period_start: datetime
    period_end: datetime
    status: str  # 'claimed' | 'posted' | 'skipped'
    channel_id: int | None
    message_ids: list[int]
    totals: dict[str, Any]
    claimed_at: datetime
    posted_at: datetime | None


def _record(row: aiosqlite.Row) -> DigestRecord:
    return DigestRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        week=row["week"],
        period_start=to_datetime(row["period_start"]),  # type: ignore[arg-type]
        period_end=to_datetime(row["period_end"]),  # type: ignore[arg-type]
        status=row["status"],
        channel_id=row["channel_id"],
        message_ids=json.loads(row["message_ids"]),
        totals=json.loads(row["totals"]),
        claimed_at=to_datetime(row["claimed_at"]),  # type: ignore[arg-type]
        posted_at=to_datetime(row["posted_at"]),
    )


class DigestStore:
    """Reads and writes `digests`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def claim(
        self,
        guild_id: int,
        week: str,
        period_start: datetime,
        period_end: datetime,
        channel_id: int | None,
        now: datetime,
    ) -> DigestRecord | None:
        """Claim the (server, week) slot; None if someone (an earlier run) already has it."""
        async with self.conn.execute(
            "INSERT INTO digests (guild_id, week, period_start, period_end, channel_id, claimed_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, week) DO NOTHING RETURNING *",
            (guild_id, week, to_ts(period_start), to_ts(period_end), channel_id, to_ts(now)),
        ) as cur:
            row = await cur.fetchone()
        return _record(row) if row else None

    async def get(self, guild_id: int, week: str) -> DigestRecord | None:
        async with self.conn.execute("SELECT * FROM digests WHERE guild_id = ? AND week = ?", (guild_id, week)) as cur:
            row = await cur.fetchone()
        return _record(row) if row else None

    async def mark_posted(
        self, digest_id: int, channel_id: int | None, message_ids: list[int], totals: dict[str, Any], now: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE digests SET status = 'posted', channel_id = ?, message_ids = ?, totals = ?, posted_at = ? "
            "WHERE id = ?",
            (channel_id, json.dumps(message_ids), json.dumps(totals), to_ts(now), digest_id),
        )

    async def mark_skipped(self, digest_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE digests SET status = 'skipped', posted_at = ? WHERE id = ?", (to_ts(now), digest_id)
        )

    async def unresolved_claims(self) -> list[DigestRecord]:
        """Claims without a recorded post: a crash happened between claiming and recording."""
        async with self.conn.execute("SELECT * FROM digests WHERE status = 'claimed' ORDER BY id") as cur:
            return [_record(r) for r in await cur.fetchall()]

    async def previous(self, guild_id: int, before_week: str) -> DigestRecord | None:
        """The latest posted digest before `before_week` (for week-over-week comparisons)."""
        async with self.conn.execute(
            "SELECT * FROM digests WHERE guild_id = ? AND week < ? AND status = 'posted' ORDER BY week DESC LIMIT 1",
            (guild_id, before_week),
        ) as cur:
            row = await cur.fetchone()
        return _record(row) if row else None

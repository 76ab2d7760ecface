"""RSS/Atom feed subscriptions and the items already seen on each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from db._rows import to_datetime, to_ts
from db.leases import skip_locked


@dataclass(frozen=True)
class Feed:
    id: int
    guild_id: int
    channel_id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    interval_seconds: int
    next_check_at: datetime
    failures: int
    last_error: str | None
    created_by: int
    created_at: datetime


def _feed(row: aiosqlite.Row) -> Feed:
    values = dict(row)
    values["next_check_at"] = to_datetime(values["next_check_at"])
    values["created_at"] = to_datetime(values["created_at"])
    return Feed(**values)


class FeedStore:
    """Reads and writes `feeds` and `feed_items`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def add(
        self, guild_id: int, channel_id: int, url: str, created_by: int, now: datetime, interval_seconds: int = 900
    ) -> Feed | None:
        """Subscribe; None when the server already follows this URL."""
        async with self.conn.execute(
            "INSERT INTO feeds (guild_id, channel_id, url, interval_seconds, next_check_at, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, url) DO NOTHING RETURNING *",
            (guild_id, channel_id, url, interval_seconds, to_ts(now), created_by, to_ts(now)),
        ) as cur:
            row = await cur.fetchone()
        return _feed(row) if row else None

    async def get(self, feed_id: int) -> Feed | None:
        async with self.conn.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)) as cur:
            row = await cur.fetchone()
        return _feed(row) if row else None

    async def for_guild(self, guild_id: int) -> list[Feed]:
        async with self.conn.execute("SELECT * FROM feeds WHERE guild_id = ? ORDER BY id", (guild_id,)) as cur:
            return [_feed(r) for r in await cur.fetchall()]

    async def remove(self, guild_id: int, feed_id: int) -> bool:
        cur = await self.conn.execute("DELETE FROM feeds WHERE guild_id = ? AND id = ?", (guild_id, feed_id))
        return cur.rowcount == 1

    async def due(self, now: datetime, limit: int = 20) -> list[Feed]:
        async with self.conn.execute(
            "SELECT * FROM feeds WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?", (to_ts(now), limit)
        ) as cur:
            return [_feed(r) for r in await cur.fetchall()]

    async def claim_due(
        self, now: datetime, lease_seconds: int, shards: tuple[Sequence[int], int] | None = None, limit: int = 20
    ) -> list[Feed]:
        """Due feeds taken by this process: their next check moves `lease_seconds` ahead in the same statement,
        so no other process sees them due; a process killed mid-check leaves them due again when it ends.

        `shards` = (shard ids, shard count): only the feeds of servers on these shards (Discord routes a
        server to shard `(guild_id >> 22) % count`), which this process can post to.
        """
        ts = to_ts(now)
        where, params = "next_check_at <= ?", [ts]
        if shards is not None:
            ids, count = shards
            where += f" AND ((guild_id >> 22) % ?) IN ({', '.join('?' for _ in ids)})"
            params += [count, *ids]
        async with self.conn.execute(
            f"UPDATE feeds SET next_check_at = ? WHERE id IN (SELECT id FROM feeds WHERE {where} "
            f"ORDER BY next_check_at LIMIT ?{skip_locked(self.conn)}) RETURNING *",
            [ts + lease_seconds, *params, limit],
        ) as cur:
            return sorted((_feed(r) for r in await cur.fetchall()), key=lambda f: f.id)

    async def record_success(
        self,
        feed_id: int,
        next_check_at: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None = None,
    ) -> None:
        await self.conn.execute(
            "UPDATE feeds SET failures = 0, last_error = NULL, next_check_at = ?, etag = ?, last_modified = ?, "
            "title = coalesce(?, title) WHERE id = ?",
            (to_ts(next_check_at), etag, last_modified, title, feed_id),
        )

    async def record_failure(self, feed_id: int, next_check_at: datetime, error: str) -> None:
        await self.conn.execute(
            "UPDATE feeds SET failures = failures + 1, last_error = ?, next_check_at = ? WHERE id = ?",
            (error[:500], to_ts(next_check_at), feed_id),
        )

    async def mark_seen(self, feed_id: int, guid: str, now: datetime, article_id: int | None = None) -> bool:
        """Remember an item; False if it had been seen already (so it is never posted twice)."""
        cur = await self.conn.execute(
            "INSERT INTO feed_items (feed_id, guid, article_id, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (feed_id, guid) DO NOTHING",
            (feed_id, guid, article_id, to_ts(now)),
        )
        return cur.rowcount == 1

    async def seen(self, feed_id: int, guids: list[str]) -> set[str]:
        """Which of these item ids the feed has already seen."""
        if not guids:
            return set()
        placeholders = ", ".join("?" for _ in guids)
        async with self.conn.execute(
            f"SELECT guid FROM feed_items WHERE feed_id = ? AND guid IN ({placeholders})", (feed_id, *guids)
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

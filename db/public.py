"""What a server publishes on the web: its opt-in, its embed allow-list, and the public ids of items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from db._rows import at, to_datetime, to_ts


@dataclass(frozen=True)
class PublicSettings:
    guild_id: int
    enabled: bool = False
    show_opinions: bool = False
    embed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicLink:
    public_id: str
    kind: str  # 'poll' | 'article'
    item_id: int
    guild_id: int
    created_at: datetime


def _link(row: aiosqlite.Row) -> PublicLink:
    return PublicLink(
        public_id=row["public_id"],
        kind=row["kind"],
        item_id=row["item_id"],
        guild_id=row["guild_id"],
        created_at=at(row["created_at"]),
    )


class PublicStore:
    """Reads and writes `public_settings` and `public_links`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def settings(self, guild_id: int) -> PublicSettings:
        """The server's publishing settings; off when it never chose."""
        async with self.conn.execute(
            "SELECT enabled, show_opinions, embed_origins FROM public_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return PublicSettings(guild_id)
        return PublicSettings(guild_id, bool(row[0]), bool(row[1]), tuple(json.loads(row[2])))

    async def save_settings(self, settings: PublicSettings, now: datetime) -> PublicSettings:
        await self.conn.execute(
            "INSERT INTO public_settings (guild_id, enabled, show_opinions, embed_origins, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, "
            "show_opinions = excluded.show_opinions, embed_origins = excluded.embed_origins, "
            "updated_at = excluded.updated_at",
            (
                settings.guild_id,
                int(settings.enabled),
                int(settings.show_opinions),
                json.dumps(list(settings.embed_origins)),
                to_ts(now),
            ),
        )
        return settings

    async def publish(self, kind: str, item_id: int, guild_id: int, new_id: str, now: datetime) -> PublicLink:
        """The item's public link, created with `new_id` unless it already has one (ids never change)."""
        await self.conn.execute(
            "INSERT INTO public_links (public_id, kind, item_id, guild_id, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, item_id) DO NOTHING",
            (new_id, kind, item_id, guild_id, to_ts(now)),
        )
        link = await self.link_of(kind, item_id)
        assert link is not None
        return link

    async def unpublish(self, kind: str, item_id: int) -> bool:
        cur = await self.conn.execute("DELETE FROM public_links WHERE kind = ? AND item_id = ?", (kind, item_id))
        return cur.rowcount == 1

    async def link_of(self, kind: str, item_id: int) -> PublicLink | None:
        async with self.conn.execute(
            "SELECT * FROM public_links WHERE kind = ? AND item_id = ?", (kind, item_id)
        ) as cur:
            row = await cur.fetchone()
        return _link(row) if row else None

    async def resolve(self, public_id: str, kind: str) -> PublicLink | None:
        """The link behind a public id of this kind, or None."""
        async with self.conn.execute(
            "SELECT * FROM public_links WHERE public_id = ? AND kind = ?", (public_id, kind)
        ) as cur:
            row = await cur.fetchone()
        return _link(row) if row else None

    async def is_live(self, public_id: str, kind: str) -> bool:
        """Whether the id is still published by a server that still publishes (one indexed lookup)."""
        async with self.conn.execute(
            "SELECT 1 FROM public_links l JOIN public_settings s ON s.guild_id = l.guild_id "
            "WHERE l.public_id = ? AND l.kind = ? AND s.enabled = 1",
            (public_id, kind),
        ) as cur:
            return await cur.fetchone() is not None

    async def published_polls_of_article(self, article_id: int) -> Sequence[PublicLink]:
        """Links of the article's published, not deleted polls, oldest poll first."""
        async with self.conn.execute(
            "SELECT l.* FROM public_links l JOIN polls p ON p.id = l.item_id "
            "WHERE l.kind = 'poll' AND p.article_id = ? AND p.status != 'deleted' ORDER BY p.id",
            (article_id,),
        ) as cur:
            return [_link(row) for row in await cur.fetchall()]

    async def last_vote_at(self, poll_id: int) -> datetime | None:
        """When the poll's latest standing vote was cast (the "updated" time of its public results)."""
        async with self.conn.execute("SELECT max(voted_at) FROM votes WHERE poll_id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
        return to_datetime(row[0]) if row else None

"""Members' written opinions on articles and the "useful" marks others give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from db._rows import at, to_ts


@dataclass(frozen=True)
class Opinion:
    id: int
    guild_id: int
    article_id: int
    member_id: int
    text: str
    thread_id: int | None
    message_id: int | None
    hidden: bool
    hidden_by: int | None
    hidden_reason: str | None
    created_at: datetime
    updated_at: datetime
    useful: int = 0
    edit_count: int = 0

    @property
    def edited(self) -> bool:
        return self.edit_count > 0


OPINION_SELECT = (
    "SELECT o.*, (SELECT count(*) FROM opinion_marks m WHERE m.opinion_id = o.id) AS useful FROM opinions o"
)


def _opinion(row: aiosqlite.Row) -> Opinion:
    return Opinion(
        id=row["id"],
        guild_id=row["guild_id"],
        article_id=row["article_id"],
        member_id=row["member_id"],
        text=row["text"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        hidden=bool(row["hidden"]),
        hidden_by=row["hidden_by"],
        hidden_reason=row["hidden_reason"],
        created_at=at(row["created_at"]),
        updated_at=at(row["updated_at"]),
        useful=row["useful"],
        edit_count=row["edit_count"],
    )


class OpinionStore:
    """Reads and writes `opinions` and `opinion_marks`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def upsert(self, guild_id: int, article_id: int, member_id: int, text: str, now: datetime) -> Opinion:
        """Store a member's opinion on an article, replacing the text of their previous one."""
        await self.conn.execute(
            "INSERT INTO opinions (guild_id, article_id, member_id, text, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, member_id) "
            "DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at, "
            "edit_count = opinions.edit_count + 1",
            (guild_id, article_id, member_id, text, to_ts(now), to_ts(now)),
        )
        opinion = await self.of_member(article_id, member_id)
        assert opinion is not None
        return opinion

    async def get(self, opinion_id: int) -> Opinion | None:
        async with self.conn.execute(f"{OPINION_SELECT} WHERE o.id = ?", (opinion_id,)) as cur:
            row = await cur.fetchone()
        return _opinion(row) if row else None

    async def of_member(self, article_id: int, member_id: int) -> Opinion | None:
        async with self.conn.execute(
            f"{OPINION_SELECT} WHERE o.article_id = ? AND o.member_id = ?", (article_id, member_id)
        ) as cur:
            row = await cur.fetchone()
        return _opinion(row) if row else None

    async def set_message(self, opinion_id: int, thread_id: int, message_id: int) -> None:
        await self.conn.execute(
            "UPDATE opinions SET thread_id = ?, message_id = ? WHERE id = ?", (thread_id, message_id, opinion_id)
        )

    async def for_article(
        self, article_id: int, include_hidden: bool = True, limit: int = 25, offset: int = 0
    ) -> list[Opinion]:
        hidden_filter = "" if include_hidden else " AND o.hidden = 0"
        async with self.conn.execute(
            f"{OPINION_SELECT} WHERE o.article_id = ?{hidden_filter} ORDER BY o.id LIMIT ? OFFSET ?",
            (article_id, limit, offset),
        ) as cur:
            return [_opinion(r) for r in await cur.fetchall()]

    async def count_for_article(self, article_id: int) -> int:
        async with self.conn.execute("SELECT count(*) FROM opinions WHERE article_id = ?", (article_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[Opinion]:
        """Recent opinions of a server whose text contains `text`, or whose id is `text` (autocomplete)."""
        async with self.conn.execute(
            f"{OPINION_SELECT} WHERE o.guild_id = ? AND (o.text LIKE '%' || ? || '%' OR CAST(o.id AS TEXT) = ?) "
            "ORDER BY o.id DESC LIMIT ?",
            (guild_id, text, text, limit),
        ) as cur:
            return [_opinion(r) for r in await cur.fetchall()]

    async def most_useful(self, article_id: int, limit: int = 2) -> list[Opinion]:
        """Visible opinions with the most useful marks; ties go to the earliest."""
        async with self.conn.execute(
            f"{OPINION_SELECT} WHERE o.article_id = ? AND o.hidden = 0 ORDER BY useful DESC, o.created_at, o.id "
            "LIMIT ?",
            (article_id, limit),
        ) as cur:
            return [_opinion(r) for r in await cur.fetchall()]

    async def set_hidden(
        self, opinion_id: int, hidden: bool, moderator_id: int, now: datetime, reason: str | None = None
    ) -> bool:
        """Hide or restore; False when it was already in that state."""
        if hidden:
            cur = await self.conn.execute(
                "UPDATE opinions SET hidden = 1, hidden_by = ?, hidden_reason = ?, hidden_at = ? "
                "WHERE id = ? AND hidden = 0",
                (moderator_id, reason, to_ts(now), opinion_id),
            )
        else:
            cur = await self.conn.execute(
                "UPDATE opinions SET hidden = 0, hidden_by = NULL, hidden_reason = NULL, hidden_at = NULL "
                "WHERE id = ? AND hidden = 1",
                (opinion_id,),
            )
        return cur.rowcount == 1

    async def delete(self, opinion_id: int) -> None:
        await self.conn.execute("DELETE FROM opinions WHERE id = ?", (opinion_id,))

    async def toggle_mark(self, opinion_id: int, member_id: int, now: datetime) -> bool:
        """Add the member's useful mark, or remove it if present; returns whether it is now marked."""
        cur = await self.conn.execute(
            "DELETE FROM opinion_marks WHERE opinion_id = ? AND member_id = ?", (opinion_id, member_id)
        )
        if cur.rowcount:
            marked = False
        else:
            await self.conn.execute(
                "INSERT INTO opinion_marks (opinion_id, member_id, marked_at) VALUES (?, ?, ?)",
                (opinion_id, member_id, to_ts(now)),
            )
            marked = True
        await self.conn.execute("UPDATE opinions SET render_pending = 1 WHERE id = ?", (opinion_id,))
        return marked

    async def mark_rendered(self, opinion_id: int) -> None:
        await self.conn.execute("UPDATE opinions SET render_pending = 0 WHERE id = ?", (opinion_id,))

    async def render_pending(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM opinions WHERE render_pending = 1 ORDER BY id") as cur:
            return [r[0] for r in await cur.fetchall()]

    async def of_member_in_guild(self, guild_id: int, member_id: int) -> list[Opinion]:
        async with self.conn.execute(
            f"{OPINION_SELECT} WHERE o.guild_id = ? AND o.member_id = ? ORDER BY o.id", (guild_id, member_id)
        ) as cur:
            return [_opinion(r) for r in await cur.fetchall()]

    async def delete_marks_of_member_in_guild(self, guild_id: int, member_id: int) -> list[int]:
        """Remove every useful mark the member gave on this server; returns the opinions concerned."""
        async with self.conn.execute(
            "DELETE FROM opinion_marks WHERE member_id = ? "
            "AND opinion_id IN (SELECT id FROM opinions WHERE guild_id = ?) RETURNING opinion_id",
            (member_id, guild_id),
        ) as cur:
            opinions = [r[0] for r in await cur.fetchall()]
        await self.conn.executemany("UPDATE opinions SET render_pending = 1 WHERE id = ?", [(o,) for o in opinions])
        return opinions

    async def marks_of_member_in_guild(self, guild_id: int, member_id: int) -> list[tuple[int, datetime]]:
        """(opinion id, when) of every useful mark the member gave on this server."""
        async with self.conn.execute(
            "SELECT m.opinion_id, m.marked_at FROM opinion_marks m JOIN opinions o ON o.id = m.opinion_id "
            "WHERE o.guild_id = ? AND m.member_id = ? ORDER BY m.marked_at",
            (guild_id, member_id),
        ) as cur:
            return [(r[0], at(r[1])) for r in await cur.fetchall()]

"""A poll's visible opinions for the digest's argument groups, with their authors' votes on public polls only."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

MAX_OPINIONS = 10_000  # the grouping's measured budget; a bigger debate is read up to its newest 10,000


@dataclass(frozen=True)
class DebateOpinion:
    """One visible opinion on the poll's article."""

    id: int
    member_id: int
    text: str
    useful: int
    thread_id: int | None
    message_id: int | None
    positions: frozenset[int] | None  # the author's answers on a public poll; None on an anonymous one


@dataclass(frozen=True)
class PollDebate:
    """What the members of a poll's article said, and whether their votes could be linked."""

    poll_id: int
    guild_id: int
    kind: str
    anonymous: bool
    options: tuple[tuple[int, str, float | None], ...]  # position, label, score
    opinions: tuple[DebateOpinion, ...]


class DebateQueries:
    """Read-only: the opinions of a poll's article, never hidden ones (deleted ones are gone from the table)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def for_poll(self, poll_id: int, limit: int = MAX_OPINIONS) -> PollDebate | None:
        """The poll's debate; None for an unknown or deleted poll. Its opinions are those of its article.

        On an anonymous poll the votes table is not read at all: its voters are keyed hashes, and linking
        them to opinions is exactly what anonymity forbids.
        """
        async with self.conn.execute(
            "SELECT guild_id, article_id, kind, anonymous FROM polls WHERE id = ? AND status != 'deleted'", (poll_id,)
        ) as cur:
            poll = await cur.fetchone()
        if poll is None:
            return None
        async with self.conn.execute(
            "SELECT position, label, score FROM poll_options WHERE poll_id = ? ORDER BY position", (poll_id,)
        ) as cur:
            options = tuple((r[0], r[1], r[2]) for r in await cur.fetchall())
        anonymous = bool(poll["anonymous"])
        opinions: tuple[DebateOpinion, ...] = ()
        if poll["article_id"] is not None:
            opinions = await self._opinions(poll_id, poll["guild_id"], poll["article_id"], anonymous, limit)
        return PollDebate(poll_id, poll["guild_id"], poll["kind"], anonymous, options, opinions)

    async def _opinions(
        self, poll_id: int, guild_id: int, article_id: int, anonymous: bool, limit: int
    ) -> tuple[DebateOpinion, ...]:
        useful = "(SELECT count(*) FROM opinion_marks m WHERE m.opinion_id = o.id)"
        if anonymous:
            votes = "NULL"
            params: tuple[object, ...] = (article_id, guild_id, limit)
        else:
            # Public polls key a vote by the member id itself (see the votes table).
            votes = (
                "(SELECT group_concat(v.position) FROM votes v "
                "WHERE v.poll_id = ? AND v.voter = CAST(o.member_id AS TEXT))"
            )
            params = (poll_id, article_id, guild_id, limit)
        async with self.conn.execute(
            f"SELECT * FROM (SELECT o.id, o.member_id, o.text, o.thread_id, o.message_id, {useful} AS useful, "
            f"{votes} AS positions FROM opinions o WHERE o.article_id = ? AND o.guild_id = ? AND o.hidden = 0 "
            "ORDER BY o.id DESC LIMIT ?) AS latest ORDER BY id",
            params,
        ) as cur:
            rows = await cur.fetchall()
        return tuple(
            DebateOpinion(
                id=r["id"],
                member_id=r["member_id"],
                text=r["text"],
                useful=r["useful"],
                thread_id=r["thread_id"],
                message_id=r["message_id"],
                positions=None
                if anonymous
                else frozenset(int(p) for p in r["positions"].split(","))
                if r["positions"]
                else frozenset(),
            )
            for r in rows
        )

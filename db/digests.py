"""Weekly digests: claimed before posting, recorded after, so each week is posted exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from db._rows import at, to_datetime, to_ts
from db.polls import PollOption


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
    post_token: str | None = None  # marks the scheduled post of this claim (nonce and footer); None before 002


def _record(row: aiosqlite.Row) -> DigestRecord:
    return DigestRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        week=row["week"],
        period_start=at(row["period_start"]),
        period_end=at(row["period_end"]),
        status=row["status"],
        channel_id=row["channel_id"],
        message_ids=json.loads(row["message_ids"]),
        totals=json.loads(row["totals"]),
        claimed_at=at(row["claimed_at"]),
        posted_at=to_datetime(row["posted_at"]),
        post_token=row["post_token"],
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
        post_token: str | None = None,
    ) -> DigestRecord | None:
        """Claim the (server, week) slot; None if someone (an earlier run) already has it.

        `post_token` is what the post will carry, so that a restart recognises it (see `bot.delivery`)."""
        async with self.conn.execute(
            "INSERT INTO digests (guild_id, week, period_start, period_end, channel_id, claimed_at, post_token) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, week) DO NOTHING RETURNING *",
            (guild_id, week, to_ts(period_start), to_ts(period_end), channel_id, to_ts(now), post_token),
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


# --- what a digest reports: read-only aggregates over one server and one period ---------------------------


@dataclass(frozen=True)
class PollActivity:
    """A poll active in the period with its answers and raw counts (all votes it holds, as on its message)."""

    id: int
    article_id: int | None
    question: str
    kind: str  # 'scale' | 'matrix' | 'choice'
    multiple: bool
    anonymous: bool
    status: str  # 'open' | 'closed'
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    created_at: datetime
    closed_at: datetime | None
    options: tuple[PollOption, ...]
    per_option: dict[int, int]
    voters: int  # distinct voters of this poll (pseudonyms for anonymous polls)
    results_visibility: str = "live"
    results_published: bool = False
    mode: str = "buttons"  # 'buttons' | 'native'


@dataclass(frozen=True)
class TopOpinion:
    """One of the most useful visible opinions of an article (rank 1 or 2)."""

    id: int
    article_id: int
    member_id: int
    text: str
    thread_id: int | None
    message_id: int | None
    created_at: datetime
    useful: int
    rank: int


@dataclass(frozen=True)
class PeriodActivity:
    """Everything a digest needs from the store for one server and one [start, end) period."""

    polls: tuple[PollActivity, ...]
    votes: int  # vote rows cast in the period on the server's non-deleted polls
    opinions: int  # visible opinions created in the period
    top_opinions: dict[int, tuple[TopOpinion, ...]]  # article id → best first


# A poll takes part in the period if it existed before its end and was not closed before its start.
# Parameters :guild, :start, :end; `polls_by_guild (guild_id, created_at)` narrows the search.
_ACTIVE = (
    "p.guild_id = :guild AND p.status != 'deleted' AND p.created_at < :end "
    "AND (p.closed_at IS NULL OR p.closed_at >= :start)"
)


def _id_list(ids: Iterable[int]) -> str:
    # One JSON parameter instead of a variable number of `?`: no SQL is ever built from values.
    return json.dumps(sorted(set(ids)))


class DigestQueries:
    """Read-only aggregates for the weekly digest: a handful of indexed SQL queries, no loop over votes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def activity(
        self, guild_id: int, start: datetime, end: datetime, opinions_per_article: int = 2
    ) -> PeriodActivity:
        """All the figures of one period, for `bot.digest.build`."""
        polls = await self.active_polls(guild_id, start, end)
        article_ids = {p.article_id for p in polls if p.article_id is not None}
        return PeriodActivity(
            polls=tuple(polls),
            votes=await self.votes_in_period(polls, start, end),  # = votes_cast(guild_id, start, end)
            opinions=await self.opinions_created(guild_id, start, end),
            top_opinions=await self.top_opinions(guild_id, article_ids, opinions_per_article),
        )

    async def active_polls(self, guild_id: int, start: datetime, end: datetime) -> list[PollActivity]:
        """Polls created before `end` and not closed before `start` (closed in the period or still open
        at its end); deleted polls never. Ordered by id."""
        async with self.conn.execute(
            "SELECT id, article_id, question, kind, multiple, anonymous, status, channel_id, message_id, thread_id, "
            "created_at, closed_at, results_visibility, results_published, mode "
            f"FROM polls p WHERE {_ACTIVE} ORDER BY id",
            {"guild": guild_id, "start": to_ts(start), "end": to_ts(end)},
        ) as cur:
            rows = await cur.fetchall()
        if not rows:
            return []
        # One count per (poll, answer), each an equality range of votes_by_poll_answer read from the index
        # alone: faster than a GROUP BY over the same rows, and it returns the answers with their counts.
        options: dict[int, list[PollOption]] = {}
        per_option: dict[int, dict[int, int]] = {}
        async with self.conn.execute(
            "SELECT o.poll_id, o.position, o.label, o.score, "
            "(SELECT count(*) FROM votes v WHERE v.poll_id = o.poll_id AND v.position = o.position) "
            "FROM poll_options o WHERE o.poll_id IN (SELECT value FROM json_each(?)) ORDER BY o.poll_id, o.position",
            (_id_list(r["id"] for r in rows),),
        ) as cur:
            for r in await cur.fetchall():
                options.setdefault(r[0], []).append(PollOption(r[1], r[2], r[3]))
                if r[4]:
                    per_option.setdefault(r[0], {})[r[1]] = r[4]
        # A single-choice poll holds one row per voter (a trigger enforces it): its voters are its rows.
        # Only multiple-choice polls need a DISTINCT, which walks the primary key (poll_id, voter, …) in order.
        voters = {poll_id: sum(counts.values()) for poll_id, counts in per_option.items()}
        multiple_ids = [r["id"] for r in rows if r["multiple"]]
        if multiple_ids:
            async with self.conn.execute(
                "SELECT j.value, "
                "(SELECT count(*) FROM (SELECT DISTINCT voter FROM votes WHERE poll_id = j.value) AS d) "
                "FROM json_each(?) j",
                (_id_list(multiple_ids),),
            ) as cur:
                voters.update({r[0]: r[1] for r in await cur.fetchall()})
        return [
            PollActivity(
                id=r["id"],
                article_id=r["article_id"],
                question=r["question"],
                kind=r["kind"],
                multiple=bool(r["multiple"]),
                anonymous=bool(r["anonymous"]),
                status=r["status"],
                channel_id=r["channel_id"],
                message_id=r["message_id"],
                thread_id=r["thread_id"],
                created_at=at(r["created_at"]),
                closed_at=to_datetime(r["closed_at"]),
                options=tuple(options.get(r["id"], ())),
                per_option=per_option.get(r["id"], {}),
                voters=voters.get(r["id"], 0),
                results_visibility=r["results_visibility"],
                results_published=bool(r["results_published"]),
                mode=r["mode"],
            )
            for r in rows
        ]

    async def votes_in_period(
        self, polls: Sequence[PollActivity], start: datetime, end: datetime, exclude: Iterable[int] = ()
    ) -> int:
        """`votes_cast` for these active polls (as `active_polls` returned them), without recounting what they
        already carry: a poll whose first and last votes (two index look-ups on votes_by_poll_time) fall in
        [start, end) counts its held rows, `per_option`; only a poll that straddles the period is counted.
        """
        left_out = set(exclude)
        counted = [poll for poll in polls if poll.id not in left_out and poll.per_option]
        if not counted:
            return 0
        async with self.conn.execute(
            "SELECT j.value, (SELECT min(voted_at) FROM votes WHERE poll_id = j.value), "
            "(SELECT max(voted_at) FROM votes WHERE poll_id = j.value) FROM json_each(?) j",
            (_id_list(poll.id for poll in counted),),
        ) as cur:
            spans = {int(r[0]): (r[1], r[2]) for r in await cur.fetchall()}
        first, last = to_ts(start), to_ts(end)
        total, straddling = 0, []
        for poll in counted:
            earliest, latest = spans.get(poll.id, (None, None))
            if earliest is not None and latest is not None and earliest >= first and latest < last:
                total += sum(poll.per_option.values())
            else:
                straddling.append(poll.id)
        if straddling:
            async with self.conn.execute(
                "SELECT count(*) FROM votes v JOIN json_each(?) j ON v.poll_id = j.value "
                "WHERE v.voted_at >= ? AND v.voted_at < ?",
                (_id_list(straddling), first, last),
            ) as cur:
                row = await cur.fetchone()
            total += int(row[0]) if row else 0
        return total

    async def votes_cast(self, guild_id: int, start: datetime, end: datetime, exclude: Iterable[int] = ()) -> int:
        """Vote rows cast in [start, end) on the server's polls, deleted polls and `exclude` left out.

        The store only accepts votes on open polls, so every such vote belongs to a poll active in the period;
        a changed single choice replaces its row: these are the answers still held.
        """
        return await self.votes_in_period(await self.active_polls(guild_id, start, end), start, end, exclude)

    async def opinions_created(self, guild_id: int, start: datetime, end: datetime) -> int:
        """Visible opinions created in [start, end) (index opinions_by_guild_time)."""
        async with self.conn.execute(
            "SELECT count(*) FROM opinions WHERE guild_id = ? AND created_at >= ? AND created_at < ? AND hidden = 0",
            (guild_id, to_ts(start), to_ts(end)),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def top_opinions(
        self, guild_id: int, article_ids: Iterable[int], limit: int = 2
    ) -> dict[int, tuple[TopOpinion, ...]]:
        """The `limit` most useful visible opinions of each article: most marks first, ties to the earliest."""
        ids = _id_list(article_ids)
        if ids == "[]":
            return {}
        found: dict[int, list[TopOpinion]] = {}
        async with self.conn.execute(
            "SELECT id, article_id, member_id, text, thread_id, message_id, created_at, useful, rank FROM ("
            "  SELECT *, row_number() OVER (PARTITION BY article_id ORDER BY useful DESC, created_at, id) AS rank"
            "  FROM (SELECT o.id, o.article_id, o.member_id, o.text, o.thread_id, o.message_id, o.created_at,"
            "          (SELECT count(*) FROM opinion_marks m WHERE m.opinion_id = o.id) AS useful"
            "        FROM opinions o"
            "        WHERE o.article_id IN (SELECT value FROM json_each(?)) AND o.guild_id = ? AND o.hidden = 0"
            "  ) AS marked"
            ") AS ranked WHERE rank <= ? ORDER BY article_id, rank",
            (ids, guild_id, limit),
        ) as cur:
            for r in await cur.fetchall():
                found.setdefault(r["article_id"], []).append(
                    TopOpinion(
                        id=r["id"],
                        article_id=r["article_id"],
                        member_id=r["member_id"],
                        text=r["text"],
                        thread_id=r["thread_id"],
                        message_id=r["message_id"],
                        created_at=at(r["created_at"]),
                        useful=r["useful"],
                        rank=r["rank"],
                    )
                )
        return {article_id: tuple(opinions) for article_id, opinions in found.items()}

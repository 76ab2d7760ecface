"""Polls, their ordered answers and the votes cast on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from db._rows import at, to_datetime, to_ts
from db.leases import skip_locked

# How long a close may take before its owed results are free for another process to post.
CLOSE_CLAIM_SECONDS = 120

POLL_COLUMNS = (
    "id, guild_id, article_id, question, kind, mode, multiple, anonymous, role_id, status, channel_id, "
    "message_id, thread_id, created_by, created_at, closes_at, closed_at, results_visibility, results_published"
)


@dataclass(frozen=True)
class PollOption:
    position: int
    label: str
    score: float | None = None


@dataclass(frozen=True)
class NewPoll:
    """What it takes to create a poll; ids and status come from the store."""

    guild_id: int
    question: str
    kind: str  # 'scale' | 'matrix' | 'choice'
    options: Sequence[PollOption]
    created_by: int
    created_at: datetime
    closes_at: datetime
    multiple: bool = False
    anonymous: bool = True
    role_id: int | None = None
    article_id: int | None = None
    channel_id: int | None = None
    results_visibility: str = "live"  # 'live' | 'after_vote' | 'after_close' | 'moderators'
    mode: str = "buttons"  # 'buttons' (Tribune's own message) | 'native' (Discord's poll)


@dataclass(frozen=True)
class Poll:
    id: int
    guild_id: int
    article_id: int | None
    question: str
    kind: str
    mode: str
    multiple: bool
    anonymous: bool
    role_id: int | None
    status: str  # 'open' | 'closed' | 'deleted'
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    created_by: int
    created_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    options: tuple[PollOption, ...]
    results_visibility: str = "live"
    results_published: bool = False  # a moderator revealed the results of a 'moderators' poll


@dataclass(frozen=True)
class PendingResults:
    """A closed poll whose final-results message is owed: the close's token, and when it was closed."""

    poll_id: int
    token: str
    closed_at: datetime


@dataclass(frozen=True)
class Counts:
    """Raw counts of one poll: votes per answer position and distinct voters."""

    per_option: dict[int, int]
    voters: int


@dataclass(frozen=True)
class StoredVote:
    voter: str
    position: int
    voted_at: datetime


def _poll(row: aiosqlite.Row, options: Iterable[PollOption]) -> Poll:
    return Poll(
        id=row["id"],
        guild_id=row["guild_id"],
        article_id=row["article_id"],
        question=row["question"],
        kind=row["kind"],
        mode=row["mode"],
        multiple=bool(row["multiple"]),
        anonymous=bool(row["anonymous"]),
        role_id=row["role_id"],
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        created_by=row["created_by"],
        created_at=at(row["created_at"]),
        closes_at=at(row["closes_at"]),
        closed_at=to_datetime(row["closed_at"]),
        options=tuple(options),
        results_visibility=row["results_visibility"],
        results_published=bool(row["results_published"]),
    )


class PollStore:
    """Reads and writes `polls`, `poll_options` and `votes`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def create(self, new: NewPoll) -> Poll:
        """Insert a poll with its answers; returns it with its id."""
        async with self.conn.execute(
            "INSERT INTO polls (guild_id, article_id, question, kind, multiple, anonymous, role_id, "
            "channel_id, created_by, created_at, closes_at, results_visibility, mode) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                new.guild_id,
                new.article_id,
                new.question,
                new.kind,
                int(new.multiple),
                int(new.anonymous),
                new.role_id,
                new.channel_id,
                new.created_by,
                to_ts(new.created_at),
                to_ts(new.closes_at),
                new.results_visibility,
                new.mode,
            ),
        ) as cur:
            row = await cur.fetchone()
        if row is None:  # RETURNING always gives the new row; an engine that did not would lose the poll
            raise RuntimeError("INSERT INTO polls … RETURNING id returned no row")
        poll_id = int(row[0])
        await self.conn.executemany(
            "INSERT INTO poll_options (poll_id, position, label, score) VALUES (?, ?, ?, ?)",
            [(poll_id, o.position, o.label, o.score) for o in new.options],
        )
        poll = await self.get(poll_id)
        assert poll is not None
        return poll

    async def get(self, poll_id: int) -> Poll | None:
        """The poll with its answers, or None."""
        async with self.conn.execute(f"SELECT {POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return _poll(row, await self.options(poll_id))

    async def options(self, poll_id: int) -> list[PollOption]:
        async with self.conn.execute(
            "SELECT position, label, score FROM poll_options WHERE poll_id = ? ORDER BY position", (poll_id,)
        ) as cur:
            return [PollOption(r["position"], r["label"], r["score"]) for r in await cur.fetchall()]

    async def by_message(self, message_id: int) -> Poll | None:
        async with self.conn.execute("SELECT id FROM polls WHERE message_id = ?", (message_id,)) as cur:
            row = await cur.fetchone()
        return await self.get(row[0]) if row else None

    async def of_message(self, message_id: int) -> list[Poll]:
        """The live polls one message carries, by id: an article's post holds one per closed question."""
        async with self.conn.execute(
            "SELECT id FROM polls WHERE message_id = ? AND status != 'deleted' ORDER BY id", (message_id,)
        ) as cur:
            ids = [row[0] for row in await cur.fetchall()]
        polls = [await self.get(poll_id) for poll_id in ids]
        return [poll for poll in polls if poll is not None]

    async def by_article(self, article_id: int) -> Poll | None:
        async with self.conn.execute(
            "SELECT id FROM polls WHERE article_id = ? ORDER BY id LIMIT 1", (article_id,)
        ) as cur:
            row = await cur.fetchone()
        return await self.get(row[0]) if row else None

    async def set_message(self, poll_id: int, channel_id: int, message_id: int, thread_id: int | None = None) -> None:
        await self.conn.execute(
            "UPDATE polls SET channel_id = ?, message_id = ?, thread_id = ? WHERE id = ?",
            (channel_id, message_id, thread_id, poll_id),
        )

    async def set_thread(self, poll_id: int, thread_id: int | None) -> None:
        await self.conn.execute("UPDATE polls SET thread_id = ? WHERE id = ?", (thread_id, poll_id))

    async def set_thread_of_article(self, article_id: int, thread_id: int | None) -> None:
        """The article's debate thread changed (re-created): its polls follow."""
        await self.conn.execute("UPDATE polls SET thread_id = ? WHERE article_id = ?", (thread_id, article_id))

    async def ids_of_article(self, article_id: int) -> list[int]:
        async with self.conn.execute("SELECT id FROM polls WHERE article_id = ? ORDER BY id", (article_id,)) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def set_results_visibility(self, poll_id: int, mode: str) -> str | None:
        """Change who may see the counts; returns the previous mode, or None if the poll is unknown or deleted."""
        async with self.conn.execute(
            "SELECT results_visibility FROM polls WHERE id = ? AND status != 'deleted'", (poll_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        await self.conn.execute(
            "UPDATE polls SET results_visibility = ?, render_pending = 1, tally_version = tally_version + 1 "
            "WHERE id = ?",
            (mode, poll_id),
        )
        return str(row[0])

    async def publish_results(self, poll_id: int) -> bool:
        """Reveal the results to everyone; False if they were already published (or the poll is gone)."""
        cur = await self.conn.execute(
            "UPDATE polls SET results_published = 1, render_pending = 1, tally_version = tally_version + 1 "
            "WHERE id = ? AND results_published = 0 AND status != 'deleted'",
            (poll_id,),
        )
        return cur.rowcount == 1

    async def forget(self, poll_id: int) -> None:
        """Remove a poll whose message could not be posted (nothing was shown, nothing to keep)."""
        await self.conn.execute("DELETE FROM polls WHERE id = ?", (poll_id,))

    # --- votes -----------------------------------------------------------------------------------------

    async def choices_of(self, poll_id: int, voter: str) -> frozenset[int]:
        """The answer positions this voter currently holds."""
        async with self.conn.execute(
            "SELECT position FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, voter)
        ) as cur:
            return frozenset(r[0] for r in await cur.fetchall())

    async def add_vote(self, poll_id: int, voter: str, position: int, now: datetime) -> None:
        """Record one answer; the store refuses it on a closed poll or as a second single choice."""
        await self.conn.execute(
            "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
            (poll_id, voter, position, to_ts(now)),
        )

    async def set_native_vote(self, poll_id: int, voter: str, position: int, now: datetime, *, add: bool) -> bool:
        """Apply one vote event of a native poll (Discord is the truth); False when nothing changed.

        Ignored once the poll is closed in the store. A single choice replaces the voter's previous answer.
        """
        async with self.conn.execute("SELECT status, multiple FROM polls WHERE id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
        if row is None or row[0] != "open":
            return False
        if not add:
            cur = await self.conn.execute(
                "DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?", (poll_id, voter, position)
            )
            return cur.rowcount == 1
        if position in await self.choices_of(poll_id, voter):
            return False  # a repeated event (the single-choice trigger would refuse the insert)
        if not row[1]:
            await self.conn.execute("DELETE FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, voter))
        await self.add_vote(poll_id, voter, position, now)
        return True

    async def replace_native_votes(self, poll_id: int, held: set[tuple[str, int]], now: datetime) -> tuple[int, int]:
        """Make the stored votes of an open native poll exactly `held` (voter, position); returns (added, removed).

        Used after reading Discord's voter lists, so votes cast or withdrawn while the bot was away count.
        """
        stored = {(v.voter, v.position) for v in await self.votes(poll_id)}
        gone, new = stored - held, held - stored
        await self.conn.executemany(
            "DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?",
            [(poll_id, voter, position) for voter, position in sorted(gone)],
        )
        await self.conn.executemany(
            "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
            [(poll_id, voter, position, to_ts(now)) for voter, position in sorted(new)],
        )
        return len(new), len(gone)

    async def open_native(self) -> list[int]:
        """Open native polls that have a message: the ones to reconcile with Discord at start-up."""
        async with self.conn.execute(
            "SELECT id FROM polls WHERE mode = 'native' AND status = 'open' AND message_id IS NOT NULL ORDER BY id"
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def mark_render_pending(self, poll_id: int) -> None:
        await self.conn.execute(
            "UPDATE polls SET render_pending = 1, tally_version = tally_version + 1 WHERE id = ?", (poll_id,)
        )

    async def mark_rendered(self, poll_id: int, version: int | None = None) -> bool:
        """The message shows the poll's state; with `version` (read by `tally_version` before the render),
        only if no newer render was recorded meanwhile — by another process. False: a newer one was on the
        message and ours replaced it; nothing is written and the caller renders again (the newest comes back)."""
        if version is None:
            await self.conn.execute("UPDATE polls SET render_pending = 0 WHERE id = ?", (poll_id,))
            return True
        cur = await self.conn.execute(
            "UPDATE polls SET rendered_version = ?, "
            "render_pending = CASE WHEN tally_version > ? THEN 1 ELSE 0 END "
            "WHERE id = ? AND rendered_version <= ?",
            (version, version, poll_id, version),
        )
        return cur.rowcount == 1

    async def tally_version(self, poll_id: int) -> tuple[int, int]:
        """(the tally's version, the version on the message); read before building a render."""
        async with self.conn.execute(
            "SELECT tally_version, rendered_version FROM polls WHERE id = ?", (poll_id,)
        ) as cur:
            row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def render_pending(self) -> list[int]:
        """Polls whose latest tally may not be on their message yet (e.g. after a crash)."""
        async with self.conn.execute("SELECT id FROM polls WHERE render_pending = 1 ORDER BY id") as cur:
            return [r[0] for r in await cur.fetchall()]

    async def counts(self, poll_id: int) -> Counts:
        """Votes per answer and distinct voters, computed by SQLite from the indexes."""
        async with self.conn.execute(
            "SELECT position, count(*) FROM votes WHERE poll_id = ? GROUP BY position", (poll_id,)
        ) as cur:
            per_option = {r[0]: r[1] for r in await cur.fetchall()}
        async with self.conn.execute("SELECT count(DISTINCT voter) FROM votes WHERE poll_id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
        return Counts(per_option=per_option, voters=int(row[0]) if row else 0)

    async def votes(self, poll_id: int) -> list[StoredVote]:
        """Every vote row of a poll, oldest first (exports of public polls)."""
        async with self.conn.execute(
            "SELECT voter, position, voted_at FROM votes WHERE poll_id = ? ORDER BY voted_at, voter, position",
            (poll_id,),
        ) as cur:
            return [StoredVote(r[0], r[1], at(r[2])) for r in await cur.fetchall()]

    async def votes_of(self, keys: Sequence[tuple[int, str]]) -> list[tuple[int, str, bool, int, str, datetime]]:
        """(poll id, question, anonymous, position, answer, time) of the votes held under these (poll, voter) keys.

        A member's key differs per poll for anonymous polls, hence pairs; they are sent in chunks so
        a server with thousands of polls stays within SQLite's parameter limit.
        """
        found: list[tuple[int, str, bool, int, str, datetime]] = []
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            params = [item for pair in chunk for item in pair]
            async with self.conn.execute(
                f"WITH me (poll_id, voter) AS (VALUES {values}) "
                "SELECT p.id, p.question, p.anonymous, v.position, o.label, v.voted_at FROM votes v "
                "JOIN me ON me.poll_id = v.poll_id AND me.voter = v.voter "
                "JOIN polls p ON p.id = v.poll_id "
                "JOIN poll_options o ON o.poll_id = v.poll_id AND o.position = v.position "
                "ORDER BY v.voted_at, p.id, v.position",
                params,
            ) as cur:
                found += [(r[0], r[1], bool(r[2]), r[3], r[4], at(r[5])) for r in await cur.fetchall()]
        return found

    async def poll_keys_of_guild(self, guild_id: int) -> list[tuple[int, bool]]:
        """(poll id, anonymous) of every poll of a server, deleted ones included (members' data lives on)."""
        async with self.conn.execute(
            "SELECT id, anonymous FROM polls WHERE guild_id = ? ORDER BY id", (guild_id,)
        ) as cur:
            return [(r[0], bool(r[1])) for r in await cur.fetchall()]

    async def delete_voter(self, poll_id: int, voter: str) -> int:
        """Remove all of a voter's answers on one poll; returns how many rows went."""
        cur = await self.conn.execute("DELETE FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, voter))
        return cur.rowcount

    # --- life cycle ------------------------------------------------------------------------------------

    async def close(
        self, poll_id: int, now: datetime, results_token: str | None = None, holder: str | None = None
    ) -> bool:
        """Close an open poll; False if it was not open (already closed, deleted, unknown).

        With `results_token`, the final-results message is owed from this commit on (see `pending_results`);
        the closing process (`holder`) keeps it for CLOSE_CLAIM_SECONDS, so no other process posts it meanwhile.
        Two processes closing at once: the second UPDATE waits for the first and then finds it closed.
        """
        cur = await self.conn.execute(
            "UPDATE polls SET status = 'closed', closed_at = ?, render_pending = 1, results_token = ?, "
            "results_pending = ?, results_message_id = NULL, tally_version = tally_version + 1, "
            "claimed_by = ?, claim_expires_at = ? WHERE id = ? AND status = 'open'",
            (
                to_ts(now),
                results_token,
                int(results_token is not None),
                holder or f"close:{results_token}",
                to_ts(now) + CLOSE_CLAIM_SECONDS,
                poll_id,
            ),
        )
        return cur.rowcount == 1

    async def claim_due(self, now: datetime, holder: str, ttl_seconds: int, limit: int = 100) -> list[int]:
        """Claim open polls past their deadline for `holder` (oldest deadline first), for `ttl_seconds`.

        Rows another process is claiming right now are skipped (not waited for); a claim whose holder died
        expires and is taken again. Its own live claims are returned again to the same holder.
        """
        ts = to_ts(now)
        async with self.conn.execute(
            "UPDATE polls SET claimed_by = ?, claim_expires_at = ? WHERE id IN ("
            "SELECT id FROM polls WHERE status = 'open' AND closes_at <= ? "
            "AND (claim_expires_at IS NULL OR claim_expires_at <= ? OR claimed_by = ?) "
            f"ORDER BY closes_at LIMIT ?{skip_locked(self.conn)}) RETURNING id, closes_at",
            (holder, ts + ttl_seconds, ts, ts, holder, limit),
        ) as cur:
            return [r[0] for r in sorted(await cur.fetchall(), key=lambda r: (r[1], r[0]))]

    async def claim_pending_results(
        self, now: datetime, holder: str, ttl_seconds: int, limit: int = 100
    ) -> list[PendingResults]:
        """`pending_results`, claimed for `holder`: owed results no live process is posting."""
        ts = to_ts(now)
        async with self.conn.execute(
            "UPDATE polls SET claimed_by = ?, claim_expires_at = ? WHERE id IN ("
            "SELECT id FROM polls WHERE results_pending = 1 AND status = 'closed' "
            "AND (claim_expires_at IS NULL OR claim_expires_at <= ? OR claimed_by = ?) "
            f"ORDER BY id LIMIT ?{skip_locked(self.conn)}) RETURNING id, results_token, closed_at",
            (holder, ts + ttl_seconds, ts, holder, limit),
        ) as cur:
            rows = sorted(await cur.fetchall(), key=lambda r: r[0])
        return [PendingResults(r[0], r[1], at(r[2])) for r in rows]

    async def release_claim(self, poll_id: int, holder: str) -> None:
        await self.conn.execute(
            "UPDATE polls SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?",
            (poll_id, holder),
        )

    async def pending_results(self, limit: int = 100) -> list[PendingResults]:
        """Closed polls whose final results are not recorded as posted: a crash, or Discord refused them."""
        async with self.conn.execute(
            "SELECT id, results_token, closed_at FROM polls "
            "WHERE results_pending = 1 AND status = 'closed' ORDER BY id LIMIT ?",
            (limit,),
        ) as cur:
            return [PendingResults(r[0], r[1], at(r[2])) for r in await cur.fetchall()]

    async def results_delivered(self, poll_id: int, message_id: int | None) -> None:
        """The final results are posted (`message_id`), or there is nowhere left to post them (None)."""
        await self.conn.execute(
            "UPDATE polls SET results_pending = 0, results_message_id = ? WHERE id = ?", (message_id, poll_id)
        )

    async def reopen(self, poll_id: int, closes_at: datetime) -> bool:
        """Reopen a closed poll until `closes_at`; False if it was not closed."""
        cur = await self.conn.execute(
            "UPDATE polls SET status = 'open', closed_at = NULL, closes_at = ?, render_pending = 1, "
            "tally_version = tally_version + 1, claimed_by = NULL, claim_expires_at = NULL, "
            "results_pending = 0 WHERE id = ? AND status = 'closed'",
            (to_ts(closes_at), poll_id),
        )
        return cur.rowcount == 1

    async def mark_deleted(self, poll_id: int, now: datetime) -> bool:
        """Soft-delete: the poll refuses votes and disappears from lists; the audit keeps its trace."""
        cur = await self.conn.execute(
            "UPDATE polls SET status = 'deleted', closed_at = coalesce(closed_at, ?), render_pending = 0 "
            "WHERE id = ? AND status != 'deleted'",
            (to_ts(now), poll_id),
        )
        return cur.rowcount == 1

    async def due(self, now: datetime, limit: int = 100) -> list[int]:
        """Open polls whose deadline has passed, oldest deadline first."""
        async with self.conn.execute(
            "SELECT id FROM polls WHERE status = 'open' AND closes_at <= ? ORDER BY closes_at LIMIT ?",
            (to_ts(now), limit),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def next_deadline(self) -> datetime | None:
        async with self.conn.execute("SELECT min(closes_at) FROM polls WHERE status = 'open'") as cur:
            row = await cur.fetchone()
        return to_datetime(row[0]) if row else None

    async def list_for_guild(self, guild_id: int, status: str | None = None, limit: int = 25) -> list[Poll]:
        """Recent polls of a server, newest first; deleted ones are never listed."""
        query = f"SELECT {POLL_COLUMNS} FROM polls WHERE guild_id = ? AND status != 'deleted'"
        params: list[object] = [guild_id]
        if status is not None:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        async with self.conn.execute(query, params) as cur:
            rows = await cur.fetchall()
        return [_poll(row, await self.options(row["id"])) for row in rows]

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[tuple[int, str, str]]:
        """(id, question, status) of recent polls whose question contains `text` (autocomplete)."""
        async with self.conn.execute(
            "SELECT id, question, status FROM polls WHERE guild_id = ? AND status != 'deleted' "
            "AND (question LIKE '%' || ? || '%' OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT ?",
            (guild_id, text, text, limit),
        ) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

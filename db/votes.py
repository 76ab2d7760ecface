"""The vote write path in plain sqlite3, run inside `Database.run_in_writer` (one thread trip per batch)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MARK_RENDER_PENDING = "UPDATE polls SET render_pending = 1, tally_version = tally_version + 1 WHERE id = ?"


@dataclass(frozen=True, slots=True)
class PollFacts:
    """What a poll never changes once created: its answers, single or multiple choice, anonymity.

    The recorder reads it once per poll and keeps it, so a vote's own read is one statement."""

    anonymous: bool
    multiple: bool
    labels: dict[int, str]  # answer position → label


@dataclass(frozen=True, slots=True)
class PollForVote:
    """What deciding a click needs to know about its poll that can change, read in the vote's transaction."""

    status: str
    closes_at: int
    anonymous: bool
    multiple: bool
    role_id: int | None
    channel_id: int | None
    results_visibility: str
    results_published: bool


class VoteWriter:
    """Synchronous reads and writes of `votes` for one open transaction."""

    def __init__(self, conn: sqlite3.Connection | Any) -> None:  # or db.postgres.PgSyncConnection
        self.conn = conn
        # Buffered (PostgreSQL's optimistic first run, see db/postgres.py): a batch's votes are kept here as the
        # answers each voter holds, and written at its end as their net change in two pipelined statements;
        # if that write fails, the batch runs again unbuffered, each vote in its own savepoint.
        self._buffered = bool(getattr(conn, "buffered", False))
        self._stored: dict[tuple[int, str], frozenset[int]] = {}
        self._held: dict[tuple[int, str], set[int]] = {}
        self._voted_at: dict[tuple[int, str, int], int] = {}
        if self._buffered:
            buffered: Any = conn  # db.postgres.PgSyncConnection (never imported here: asyncpg stays optional)
            buffered.before_commit(self._flush)

    def facts(self, poll_id: int) -> PollFacts | None:
        row = self.conn.execute("SELECT anonymous, multiple FROM polls WHERE id = ?", (poll_id,)).fetchone()
        if row is None:
            return None
        options = self.conn.execute(
            "SELECT position, label FROM poll_options WHERE poll_id = ? ORDER BY position", (poll_id,)
        )
        return PollFacts(bool(row[0]), bool(row[1]), {r[0]: r[1] for r in options})

    def poll_and_choices(self, poll_id: int, voter: str) -> tuple[PollForVote, frozenset[int]] | None:
        """The poll's row and the answers `voter` holds on it, in one statement (one row per answer held)."""
        rows = self.conn.execute(
            "SELECT p.status, p.closes_at, p.anonymous, p.multiple, p.role_id, p.channel_id, "
            "p.results_visibility, p.results_published, v.position "
            "FROM polls p LEFT JOIN votes v ON v.poll_id = p.id AND v.voter = ? WHERE p.id = ?",
            (voter, poll_id),
        ).fetchall()
        if not rows:
            return None
        r = rows[0]
        poll = PollForVote(r[0], r[1], bool(r[2]), bool(r[3]), r[4], r[5], r[6], bool(r[7]))
        return poll, self._held_now((poll_id, voter), frozenset(row[8] for row in rows if row[8] is not None))

    def choices_of(self, poll_id: int, voter: str) -> frozenset[int]:
        key = (poll_id, voter)
        if self._buffered and key in self._held:
            return frozenset(self._held[key])
        rows = self.conn.execute("SELECT position FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, voter))
        return self._held_now(key, frozenset(r[0] for r in rows))

    def _held_now(self, key: tuple[int, str], stored: frozenset[int]) -> frozenset[int]:
        """What the voter holds: as stored, or, buffered, as this batch has left it (first sight: as stored)."""
        if not self._buffered:
            return stored
        if key in self._held:  # this voter already clicked in this batch
            return frozenset(self._held[key])
        self._stored[key], self._held[key] = stored, set(stored)
        return stored

    def remove(self, poll_id: int, voter: str, positions: Iterable[int]) -> None:
        if self._buffered:
            self._holding(poll_id, voter).difference_update(positions)
            return
        self.conn.executemany(
            "DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?",
            [(poll_id, voter, p) for p in positions],
        )

    def add(self, poll_id: int, voter: str, position: int, voted_at: int) -> None:
        """The store refuses it on a closed poll or as a second single choice (triggers)."""
        if self._buffered:
            self._holding(poll_id, voter).add(position)
            self._voted_at[(poll_id, voter, position)] = voted_at
            return
        self.conn.execute(
            "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
            (poll_id, voter, position, voted_at),
        )

    def mark_render_pending(self, poll_ids: Iterable[int]) -> None:
        self.conn.executemany(MARK_RENDER_PENDING, [(p,) for p in poll_ids])

    def mark_one_render_pending(self, poll_id: int) -> None:
        self.conn.execute(MARK_RENDER_PENDING, (poll_id,))  # a lone vote's: execute costs less than executemany

    def _holding(self, poll_id: int, voter: str) -> set[int]:
        if (poll_id, voter) not in self._held:
            self.choices_of(poll_id, voter)
        return self._held[(poll_id, voter)]

    def _flush(self) -> None:
        gone, new = [], []
        for (poll_id, voter), held in self._held.items():
            stored = self._stored[(poll_id, voter)]
            gone += [(poll_id, voter, p) for p in sorted(stored - held)]
            new += [(poll_id, voter, p, self._voted_at[(poll_id, voter, p)]) for p in sorted(held - stored)]
        # Removals first: a changed single choice never holds two rows, even for a moment.
        self.conn.executemany("DELETE FROM votes WHERE poll_id = ? AND voter = ? AND position = ?", gone)
        self.conn.executemany("INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)", new)
        self._held.clear()
        self._stored.clear()

    def savepoint(self) -> None:
        self.conn.execute("SAVEPOINT vote")

    def release(self) -> None:
        self.conn.execute("RELEASE vote")

    def rollback_to_savepoint(self) -> None:
        self.conn.execute("ROLLBACK TO vote")

"""The vote write path in plain sqlite3, run inside `Database.run_in_writer` (one thread trip per batch)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from db.polls import PollOption


@dataclass(frozen=True)
class PollForVote:
    """What deciding a click needs to know about its poll, read in the same transaction as the write."""

    id: int
    status: str
    closes_at: int
    multiple: bool
    anonymous: bool
    role_id: int | None
    channel_id: int | None
    results_visibility: str = "live"
    results_published: bool = False


class VoteWriter:
    """Synchronous reads and writes of `votes` for one open transaction."""

    def __init__(self, conn: sqlite3.Connection | Any) -> None:  # or db.postgres.PgSyncConnection
        self.conn = conn
        # One writer per transaction: a poll's row is read once per batch (nothing else changes it meanwhile:
        # a close by another process makes the vote trigger refuse the insert).
        self._polls: dict[int, PollForVote | None] = {}
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

    def poll(self, poll_id: int) -> PollForVote | None:
        if poll_id not in self._polls:
            self._polls[poll_id] = self._read_poll(poll_id)
        return self._polls[poll_id]

    def _read_poll(self, poll_id: int) -> PollForVote | None:
        row = self.conn.execute(
            "SELECT id, status, closes_at, multiple, anonymous, role_id, channel_id, results_visibility, "
            "results_published FROM polls WHERE id = ?",
            (poll_id,),
        ).fetchone()
        if row is None:
            return None
        return PollForVote(
            row["id"], row["status"], row["closes_at"], bool(row["multiple"]), bool(row["anonymous"]),
            row["role_id"], row["channel_id"], row["results_visibility"], bool(row["results_published"]),
        )  # fmt: skip

    def options(self, poll_id: int) -> tuple[PollOption, ...]:
        rows = self.conn.execute(
            "SELECT position, label, score FROM poll_options WHERE poll_id = ? ORDER BY position", (poll_id,)
        )
        return tuple(PollOption(r[0], r[1], r[2]) for r in rows)

    def choices_of(self, poll_id: int, voter: str) -> frozenset[int]:
        key = (poll_id, voter)
        if self._buffered and key in self._held:
            return frozenset(self._held[key])
        rows = self.conn.execute("SELECT position FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, voter))
        found = frozenset(r[0] for r in rows)
        if self._buffered:
            self._stored[key], self._held[key] = found, set(found)
        return found

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
        self.conn.executemany(
            "UPDATE polls SET render_pending = 1, tally_version = tally_version + 1 WHERE id = ?",
            [(p,) for p in poll_ids],
        )

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

"""The vote path against a real SQLite file: exactness under concurrency, refusals, durability."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

from bot.services.recorder import VoteRecorder, VoteRequest
from db.database import Database
from db.polls import PollStore
from tests.conftest import NOW, REPO_ROOT
from tests.db.test_polls_store import new_poll

SECRET = b"s" * 32


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def create(db: Database, **overrides: object) -> int:
    async with db.transaction() as conn:
        return (await PollStore(conn).create(new_poll(**overrides))).id


async def counts(db: Database, poll_id: int) -> dict[int, int]:
    async with db.read() as conn:
        return (await PollStore(conn).counts(poll_id)).per_option


async def test_vote_change_and_withdraw(db: Database) -> None:
    poll_id = await create(db)
    recorder = VoteRecorder(db, SECRET, Clock(NOW))
    first = await recorder.submit(VoteRequest(poll_id, 100, 1))
    assert first.accepted and first.added == "Plutôt oui" and first.removed == ()
    changed = await recorder.submit(VoteRequest(poll_id, 100, 3))
    assert changed.added == "Non" and changed.removed == ("Plutôt oui",) and changed.choices == ("Non",)
    assert await counts(db, poll_id) == {3: 1}
    withdrawn = await recorder.submit(VoteRequest(poll_id, 100, 3))
    assert withdrawn.added is None and withdrawn.removed == ("Non",) and withdrawn.choices == ()
    assert await counts(db, poll_id) == {}
    async with db.read() as conn:
        assert await PollStore(conn).render_pending() == [poll_id]
    await recorder.stop()


async def test_multiple_choice_toggles(db: Database) -> None:
    poll_id = await create(db, multiple=True)
    recorder = VoteRecorder(db, SECRET, Clock(NOW))
    await recorder.submit(VoteRequest(poll_id, 100, 0))
    both = await recorder.submit(VoteRequest(poll_id, 100, 2))
    assert both.choices == ("Oui", "Plutôt non")
    one = await recorder.submit(VoteRequest(poll_id, 100, 0))
    assert one.choices == ("Plutôt non",)
    assert await counts(db, poll_id) == {2: 1}
    await recorder.stop()


async def test_three_hundred_concurrent_members_are_each_counted_once(db: Database) -> None:
    poll_id = await create(db)
    recorder = VoteRecorder(db, SECRET, Clock(NOW))
    outcomes = await asyncio.gather(*(recorder.submit(VoteRequest(poll_id, 1000 + i, i % 5)) for i in range(300)))
    assert all(o.accepted for o in outcomes)
    assert await counts(db, poll_id) == {0: 60, 1: 60, 2: 60, 3: 60, 4: 60}
    assert recorder.batches < 300  # group commit really grouped
    await recorder.stop()


async def test_refusals_closed_deadline_role_and_missing(db: Database) -> None:
    clock = Clock(NOW)
    recorder = VoteRecorder(db, SECRET, clock)
    closed = await create(db)
    async with db.transaction() as conn:
        await PollStore(conn).close(closed, NOW)
    assert (await recorder.submit(VoteRequest(closed, 1, 0))).refusal == "vote.poll_closed"
    racing = await create(db, closes_at=NOW + timedelta(hours=1))
    clock.now = NOW + timedelta(hours=1)  # the deadline passed, the closing loop has not run yet
    assert (await recorder.submit(VoteRequest(racing, 1, 0))).refusal == "vote.poll_closed"
    clock.now = NOW
    restricted = await create(db, role_id=77)
    assert (await recorder.submit(VoteRequest(restricted, 1, 0, frozenset({5})))).refusal == "vote.role_required"
    assert (await recorder.submit(VoteRequest(restricted, 1, 0, frozenset({5, 77})))).accepted
    assert (await recorder.submit(VoteRequest(999, 1, 0))).refusal == "vote.poll_missing"
    assert (await recorder.submit(VoteRequest(restricted, 1, 9, frozenset({77})))).refusal == "vote.answer_missing"
    assert await counts(db, closed) == {} and await counts(db, racing) == {}
    await recorder.stop()


async def test_anonymous_votes_store_no_member_id(db: Database, tmp_path: Path) -> None:
    poll_id = await create(db)  # anonymous by default
    public_id = await create(db, anonymous=False)
    recorder = VoteRecorder(db, SECRET, Clock(NOW))
    await recorder.submit(VoteRequest(poll_id, 987654321012345678, 0))
    await recorder.submit(VoteRequest(public_id, 987654321012345678, 0))
    await recorder.stop()
    async with db.read() as raw:  # the rows as stored, on either engine
        async with raw.execute("SELECT voter FROM votes WHERE poll_id = ?", (poll_id,)) as cur:
            anonymous_voters = [r[0] for r in await cur.fetchall()]
        async with raw.execute("SELECT voter FROM votes WHERE poll_id = ?", (public_id,)) as cur:
            public_voters = [r[0] for r in await cur.fetchall()]
    assert len(anonymous_voters) == 1 and "987654321012345678" not in anonymous_voters[0]
    assert public_voters == ["987654321012345678"]


async def test_what_the_recorder_keeps_of_a_poll_follows_a_poll_id_taken_again(sqlite_db: Database) -> None:
    """The recorder keeps each poll's answers and anonymity between votes; an unposted poll's row is deleted
    (PollStore.forget) and SQLite may give its id to the next poll, which must not vote by the old one's rules."""
    db = sqlite_db
    recorder = VoteRecorder(db, SECRET, Clock(NOW))
    gone = await create(db)  # anonymous, single choice
    assert (await recorder.submit(VoteRequest(gone, 100, 0))).accepted
    async with db.transaction() as conn:
        await PollStore(conn).forget(gone)
    again = await create(db, anonymous=False, multiple=True)
    assert again == gone
    await recorder.submit(VoteRequest(again, 100, 0))
    both = await recorder.submit(VoteRequest(again, 100, 2))
    assert both.choices == ("Oui", "Plutôt non")
    await recorder.stop()
    async with db.read() as raw:
        query = "SELECT voter, position FROM votes WHERE poll_id = ? ORDER BY position"
        async with raw.execute(query, (again,)) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [("100", 0), ("100", 2)]


def test_an_acknowledged_vote_survives_a_killed_process(tmp_path: Path) -> None:
    """The child acknowledges a vote (prints ACK) and is SIGKILLed at once: the vote must be on disk."""
    db_path = tmp_path / "kill.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        from datetime import UTC, datetime, timedelta
        from bot.services.recorder import VoteRecorder, VoteRequest
        from db.database import Database
        from db.polls import NewPoll, PollOption, PollStore

        async def main():
            db = Database.from_path({str(db_path)!r})
            await db.connect(); await db.migrate()
            now = datetime.now(UTC)
            async with db.transaction() as conn:
                options = [PollOption(0, "A"), PollOption(1, "B")]
                new = NewPoll(1, "Q ?", "choice", options, 1, now, now + timedelta(days=1))
                poll = await PollStore(conn).create(new)
            outcome = await VoteRecorder(db, b"k", lambda: now).submit(VoteRequest(poll.id, 42, 1))
            assert outcome.accepted
            print("ACK", flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ACK"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    rows = sqlite3.connect(db_path).execute("SELECT position FROM votes").fetchall()
    assert rows == [(1,)]


async def test_a_refused_write_in_a_batch_undoes_only_itself(db: Database) -> None:
    """Each vote of a group commit in its own savepoint; on PostgreSQL the batch first runs without them and
    is run again with them when one vote fails (db/postgres.py, RetryWithSavepoints)."""
    from db.votes import VoteWriter

    poll_id = await create(db)
    runs: list[int] = []

    def work(conn: object) -> list[bool]:
        runs.append(1)
        writer, outcomes = VoteWriter(conn), []
        for voter, position in (("a", 0), ("b", 9), ("c", 1)):  # 9: no such answer (foreign key)
            writer.savepoint()
            try:
                writer.add(poll_id, voter, position, 0)
            except sqlite3.IntegrityError:
                writer.rollback_to_savepoint()
                outcomes.append(False)
            else:
                outcomes.append(True)
            writer.release()
        return outcomes

    assert await db.run_in_writer(work) == [True, False, True]
    assert await counts(db, poll_id) == {0: 1, 1: 1}
    assert len(runs) == (2 if db.dialect == "postgres" else 1)
